import Crypto
import Foundation
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoExport

/// A fresh export directory, with a directory outside it for links to point at.
struct Sandbox {
    let base: URL
    var root: URL { base.appendingPathComponent("exports") }
    var outside: URL { base.appendingPathComponent("outside") }

    init() throws {
        base = FileManager.default.temporaryDirectory.appendingPathComponent("portico-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base.appendingPathComponent("exports/reports"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: base.appendingPathComponent("outside"), withIntermediateDirectories: true)
    }

    var directory: ExportDirectory { get throws { try ExportDirectory(root.path) } }

    /// Every name under the root, recursively (temporary files included).
    func listing() -> [String] {
        (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    }

    /// Removes the sandbox (kept when PORTICO_KEEP_EXPORTS is set, to look at the files).
    func remove() {
        guard ProcessInfo.processInfo.environment["PORTICO_KEEP_EXPORTS"] == nil else { return }
        try? FileManager.default.removeItem(at: base)
    }
}

@Suite struct ExportFileTests {
    func reason(_ body: () throws -> Void) -> (Int, String?) {
        do {
            try body()
            return (0, nil)
        } catch let e as PorticoError {
            return (e.code.rawValue, e.data["field"]?.stringValue)
        } catch {
            return (-1, "\(error)")
        }
    }

    @Test func aCommittedFileHasItsBytesAndHash() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let file = try ExportFile(try box.directory, path: "reports/a.csv", overwrite: false)
        let text = Array(repeating: Array("hello, world\r\n".utf8), count: 200_000).flatMap { $0 }  // past the buffer: several flushes
        try file.write(text)
        #expect(box.listing().contains { $0.hasPrefix("reports/.portico-export-") && $0.hasSuffix(".tmp") })
        #expect(!FileManager.default.fileExists(atPath: box.root.appendingPathComponent("reports/a.csv").path))  // not before commit
        let (bytes, sha) = try file.commit()
        let written = try Data(contentsOf: box.root.appendingPathComponent("reports/a.csv"))
        #expect(bytes == Int64(text.count) && written.count == text.count)
        #expect(sha == SHA256.hash(data: written).map { String(format: "%02x", $0) }.joined())
        #expect(box.listing() == ["reports", "reports/a.csv"])
        let attributes = try FileManager.default.attributesOfItem(atPath: box.root.appendingPathComponent("reports/a.csv").path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test func anAbandonedFileLeavesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        do {
            let file = try ExportFile(try box.directory, path: "b.csv", overwrite: false)
            try file.write(Array("x".utf8))
            file.abandon()
        }
        do {
            let dropped = try ExportFile(try box.directory, path: "c.csv", overwrite: false)
            try dropped.write(Array("y".utf8))
        }  // dropped without a commit
        #expect(box.listing() == ["reports"])
    }

    @Test func pathsOutOfTheDirectoryAreRefused() throws {
        let box = try Sandbox()
        defer { box.remove() }
        try FileManager.default.createSymbolicLink(atPath: box.root.appendingPathComponent("out").path, withDestinationPath: box.outside.path)
        try FileManager.default.createSymbolicLink(atPath: box.root.appendingPathComponent("link.csv").path,
                                                   withDestinationPath: box.outside.appendingPathComponent("target.csv").path)
        for bad in ["../x.csv", "reports/../../x.csv", "/tmp/x.csv", "", "reports//x.csv", "./x.csv", "reports/.", "out/x.csv",
                    "link.csv", "missing/x.csv", "reports", "a\u{0}b.csv", String(repeating: "n", count: 256)]
        {
            let (code, field) = reason { _ = try ExportFile(try box.directory, path: bad, overwrite: true) }
            #expect(code == -32602 && field == "path", "\(bad.debugDescription): \(code) \(field ?? "-")")
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: box.outside.path)) == [])
        #expect(box.listing() == ["link.csv", "out", "reports"])
    }

    @Test func anExistingFileIsReplacedOnlyWhenAskedTo() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let target = box.root.appendingPathComponent("d.csv")
        try Data("old".utf8).write(to: target)
        let (code, field) = reason { _ = try ExportFile(try box.directory, path: "d.csv", overwrite: false) }
        #expect(code == -32009 && field == "path")
        let file = try ExportFile(try box.directory, path: "d.csv", overwrite: true)
        try file.write(Array("new".utf8))
        _ = try file.commit()
        #expect(try String(contentsOf: target, encoding: .utf8) == "new")

        // Taken between the check and the move: the move refuses, the file there stays.
        let racing = try ExportFile(try box.directory, path: "e.csv", overwrite: false)
        try Data("first".utf8).write(to: box.root.appendingPathComponent("e.csv"))
        try racing.write(Array("second".utf8))
        #expect(reason { _ = try racing.commit() }.0 == -32009)
        racing.abandon()
        #expect(try String(contentsOf: box.root.appendingPathComponent("e.csv"), encoding: .utf8) == "first")
        #expect(box.listing() == ["d.csv", "e.csv", "reports"])
    }
}

extension ExportFileTests {
    /// Temporary files of an engine killed mid-write are removed when the next one starts,
    /// in any directory under the root; a running writer's (this process's) and a file
    /// beyond a link are left alone, as is anything else.
    @Test func abandonedTemporaryFilesAreRemoved() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = gone.processIdentifier
        let fm = FileManager.default
        func touch(_ path: String, at date: Date = Date()) throws {
            let url = box.root.appendingPathComponent(path)
            #expect(fm.createFile(atPath: url.path, contents: Data("x".utf8)))
            try fm.setAttributes([.modificationDate: date], ofItemAtPath: url.path)
        }
        try touch(".portico-export-\(dead)-abc.tmp")
        try touch("reports/.portico-export-\(dead)-def.tmp")
        try touch(".portico-export-\(getpid())-live.tmp")
        try touch(".portico-export-oldformat.tmp", at: Date(timeIntervalSinceNow: -2 * 86_400))
        try touch(".portico-export-recentformat.tmp")
        try touch("sales.csv")
        try fm.createSymbolicLink(at: box.root.appendingPathComponent("elsewhere"), withDestinationURL: box.outside)
        #expect(fm.createFile(atPath: box.outside.appendingPathComponent(".portico-export-\(dead)-out.tmp").path, contents: Data()))

        // A file being written now, by this process, is not touched.
        let writing = try ExportFile(try box.directory, path: "reports/now.csv", overwrite: false)
        let removed = try box.directory.removeAbandoned()
        #expect(removed.sorted() == [".portico-export-\(dead)-abc.tmp", ".portico-export-oldformat.tmp", "reports/.portico-export-\(dead)-def.tmp"])
        #expect(box.listing().filter { $0.contains(".portico-export-") }.count == 3)  // live, recentformat, and the file being written
        #expect(fm.fileExists(atPath: box.outside.appendingPathComponent(".portico-export-\(dead)-out.tmp").path))
        #expect(fm.fileExists(atPath: box.root.appendingPathComponent("sales.csv").path))
        _ = try writing.commit()
    }
}
