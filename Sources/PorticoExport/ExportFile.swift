#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import JSONRPC
import PorticoCore

/// The directory exports go to (`--export-dir`), and the rules a requested path keeps: a
/// relative path of plain names (no `.`, `..` or empty ones, no NUL) whose directories
/// exist below the root and are real directories, not symbolic links. Each directory is
/// opened from the one above it without following links, so a link swapped in after the
/// check cannot lead the file out either.
public struct ExportDirectory: Sendable {
    public let root: String

    /// `path` must be an existing directory.
    public init(_ path: String) throws(PorticoError) {
        var info = stat()
        guard !path.isEmpty, stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw PorticoError(.invalidState, "the export directory '\(path)' is not a directory (any more)",
                               data: ["state": "no_export_directory", "allowed": []])
        }
        root = path
    }

    /// The names of a requested path, checked; -32602 naming `path` otherwise.
    static func names(_ path: String) throws(PorticoError) -> [String] {
        guard !path.isEmpty, path.utf8.count <= 1024 else { throw .invalid("path", "must be 1 to 1,024 bytes") }
        guard !path.utf8.contains(0) else { throw .invalid("path", "must not contain NUL") }
        guard !path.hasPrefix("/") else { throw .invalid("path", "must be relative to the export directory") }
        let names = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        for name in names {
            guard !name.isEmpty, name != ".", name != ".." else {
                throw .invalid("path", "must be plain names joined by '/': no empty, '.' or '..' parts")
            }
            guard name.utf8.count <= 255 else { throw .invalid("path", "has a name longer than 255 bytes") }
        }
        return names
    }
}

/// A file being written under the export directory: a temporary file beside its target,
/// written through a buffer, its SHA-256 taken as it goes, then flushed to disk and moved
/// to its name in one step, so a reader never sees half a file. Dropped before `commit`,
/// the temporary file is removed. A full buffer is hashed and written on a thread of its
/// own (`Writer`) while the next one fills.
public final class ExportFile {
    public let path: String
    private let directory: Int32
    private let name: String
    private let temporaryName: String
    private var fd: Int32
    private let overwrite: Bool
    private var buffer: [UInt8] = []
    private let writer: Writer
    private var done = false

    static let bufferSize = 1 << 20

    /// Opens a temporary file for `path` under `directory`; -32602 for a path the
    /// directory's rules refuse, -32009 naming `path` when a file is there and `overwrite`
    /// is false.
    public init(_ directory: ExportDirectory, path: String, overwrite: Bool) throws(PorticoError) {
        let names = try ExportDirectory.names(path)
        var dir = open(directory.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dir >= 0 else { throw PorticoError(.internalError, "the export directory cannot be opened: \(Self.reason(errno))") }
        for name in names.dropLast() {
            let next = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let failure = errno
            close(dir)
            guard next >= 0 else {
                throw .invalid("path", failure == ENOENT ? "names a directory '\(name)' that does not exist"
                                                         : "names '\(name)', which is not a directory (a link is not followed)")
            }
            dir = next
        }
        let name = names.last!
        var info = stat()
        if fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFREG else {
                close(dir)
                throw .invalid("path", kind == S_IFLNK ? "is a symbolic link" : "is there and is not a regular file")
            }
            guard overwrite else {
                close(dir)
                throw PorticoError(.conflict, "a file is already at '\(path)' (overwrite: true replaces it)", data: ["field": "path"])
            }
        }
        var random = SystemRandomNumberGenerator()
        let temporary = "\(Self.temporaryPrefix)\(getpid())-\(String(random.next(), radix: 36)).tmp"
        // Owner only: an export holds partners' and customers' data.
        let file = openat(dir, temporary, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else {
            let failure = errno
            close(dir)
            throw PorticoError(.internalError, "the export file cannot be created: \(Self.reason(failure))")
        }
        self.path = path; self.directory = dir; self.name = name; self.temporaryName = temporary; self.fd = file
        self.overwrite = overwrite
        writer = Writer(fd: file)
        buffer.reserveCapacity(Self.bufferSize)
    }

    deinit {
        if !done { abandon() }
    }

    public func write(_ text: [UInt8]) throws {
        buffer.append(contentsOf: text)
        if buffer.count >= Self.bufferSize { try flush() }
    }

    public func write(_ text: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: text)
        if buffer.count >= Self.bufferSize { try flush() }
    }

    /// Hands the buffer to the writer once it has written the previous one (whose failure
    /// is this write's), and fills the one it gave back.
    private func flush() throws {
        writer.wait()
        try writer.check()
        guard !buffer.isEmpty else { return }
        let full = buffer
        buffer = writer.spare
        writer.submit(full)
    }

    /// Every buffer handed over written, or the first failure.
    private func drain() throws {
        try flush()
        writer.wait()
        try writer.check()
    }

    /// A name that opens this temporary file and no other, for a library that writes a file
    /// by name (libxlsxwriter): the open descriptor's own entry, so a link or file swapped
    /// into the directory meanwhile is never what gets written.
    public var descriptorPath: String {
        #if os(Linux)
        "/proc/self/fd/\(fd)"
        #else
        "/dev/fd/\(fd)"
        #endif
    }

    /// After a library wrote the file through `descriptorPath`: its bytes are read back for
    /// their size and SHA-256, then it is committed as `commit` does.
    public func commitWrittenElsewhere() throws -> (bytes: Int64, sha256: String) {
        try drain()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset: Int64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw PorticoError(.internalError, "reading the export back failed: \(Self.reason(errno))") }
            if n == 0 { break }
            chunk.withUnsafeBytes { writer.hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            offset += Int64(n)
        }
        writer.bytes = offset
        return try move()
    }

    /// Flushes, syncs and moves the file to its name (replacing a file there only when
    /// `overwrite` was given); answers its size and SHA-256 in hex.
    public func commit() throws -> (bytes: Int64, sha256: String) {
        try drain()
        return try move()
    }

    private func move() throws -> (bytes: Int64, sha256: String) {
        guard fsync(fd) == 0 else { throw PorticoError(.internalError, "syncing the export failed: \(Self.reason(errno))") }
        close(fd)
        fd = -1
        if overwrite {
            guard renameat(directory, temporaryName, directory, name) == 0 else {
                throw PorticoError(.internalError, "the export could not be moved to its name: \(Self.reason(errno))")
            }
        } else {
            // A link fails when the name was taken meanwhile: never replaces a file.
            guard linkat(directory, temporaryName, directory, name, 0) == 0 else {
                let failure = errno
                if failure == EEXIST {
                    throw PorticoError(.conflict, "a file is already at '\(path)' (overwrite: true replaces it)", data: ["field": "path"])
                }
                throw PorticoError(.internalError, "the export could not be moved to its name: \(Self.reason(failure))")
            }
            unlinkat(directory, temporaryName, 0)
        }
        fsync(directory)
        close(directory)
        done = true
        return (writer.bytes, writer.hasher.finalize().map { String($0, radix: 16).leftPadded(2) }.joined())
    }

    /// Removes the temporary file (a failed or cancelled export leaves nothing behind).
    public func abandon() {
        guard !done else { return }
        done = true
        writer.wait()
        if fd >= 0 { close(fd) }
        unlinkat(directory, temporaryName, 0)
        close(directory)
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// Hashes and writes full buffers on a queue of its own. Its state is touched by one
    /// thread at a time: by the queue while a buffer is in flight, by the file's owner only
    /// after `wait` (the group's wait orders the two).
    final class Writer: @unchecked Sendable {
        let fd: Int32
        var hasher = SHA256()
        var bytes: Int64 = 0
        /// The errno of the first write that failed.
        var failure: Int32?
        /// An emptied buffer to fill next (the last one written, its capacity kept).
        var spare: [UInt8] = []
        private let queue = DispatchQueue(label: "portico-export-write")
        private let group = DispatchGroup()

        init(fd: Int32) {
            self.fd = fd
            spare.reserveCapacity(ExportFile.bufferSize)
        }

        func submit(_ full: [UInt8]) {
            spare = []
            queue.async(group: group) {
                var written = full
                if self.failure == nil {
                    self.hasher.update(data: written)
                    if written.withUnsafeBytes({ FileDescriptorSink.writeAll(self.fd, $0) }) {
                        self.bytes += Int64(written.count)
                    } else {
                        self.failure = errno
                    }
                }
                written.removeAll(keepingCapacity: true)
                self.spare = written
            }
        }

        func wait() { group.wait() }

        func check() throws {
            if let failure { throw PorticoError(.internalError, "writing the export failed: \(ExportFile.reason(failure))") }
        }
    }

    /// A temporary file's name: this prefix, the writing process's id, a random part, `.tmp`.
    static let temporaryPrefix = ".portico-export-"
}

extension ExportDirectory {
    /// Removes the temporary files of exports whose engine is gone (killed mid-write: a
    /// finished or failed export removes its own), anywhere under the root; links are not
    /// followed. A file whose writer is still running is left alone, and a name without a
    /// process id (an older engine's) once it is a day old. Answers the paths removed.
    @discardableResult
    public func removeAbandoned(now: Date = Date()) -> [String] {
        let root = URL(fileURLWithPath: self.root)
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isSymbolicLinkKey, .contentModificationDateKey],
                                                        options: [], errorHandler: { _, _ in true }) else { return [] }
        var removed: [String] = []
        for case let url as URL in walk {
            let values = try? url.resourceValues(forKeys: [.isSymbolicLinkKey, .contentModificationDateKey])
            if values?.isSymbolicLink == true {
                walk.skipDescendants()
                continue
            }
            let name = url.lastPathComponent
            guard name.hasPrefix(ExportFile.temporaryPrefix), name.hasSuffix(".tmp") else { continue }
            let middle = name.dropFirst(ExportFile.temporaryPrefix.count).dropLast(4)
            let abandoned: Bool
            if let dash = middle.firstIndex(of: "-"), let pid = Int32(middle[..<dash]) {
                abandoned = pid != getpid() && kill(pid, 0) == -1 && errno == ESRCH
            } else {
                abandoned = (values?.contentModificationDate).map { now.timeIntervalSince($0) > 86_400 } ?? false
            }
            if abandoned, unlink(url.path) == 0 {
                removed.append(String(url.path.dropFirst(root.path.count + 1)))
            }
        }
        return removed
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// A format's writer over an export file, which moves the file to its name once written.
public protocol FileSink: ExportSink {
    var file: ExportFile { get }
    /// Commits the file written (see `ExportFile.commit`): its size and SHA-256.
    func commit() throws -> (bytes: Int64, sha256: String)
}

extension FileSink {
    public func commit() throws -> (bytes: Int64, sha256: String) { try file.commit() }
}

extension ExportFormat {
    /// The format's writer over `file`.
    public func sink(_ file: ExportFile) -> any FileSink {
        switch self {
        case .csv: CSVSink(file)
        case .xlsx: XLSXSink(file)
        case .pdf: PDFSink(file)
        }
    }
}
