import Foundation

/// The `portico` executable built beside the test bundle.
enum Binary {
    static let url: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("portico")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repository.appendingPathComponent(".build/debug/portico")
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let transcripts = repository.appendingPathComponent("Tests/TranscriptTests/Transcripts")

    struct Run {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var out: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs the binary with `input` on stdin (written from another thread, as a host would).
    static func run(_ arguments: [String], input: Data = Data(), in directory: URL? = nil,
                    beforeWait: ((Process) -> Void)? = nil) throws -> Run
    {
        let p = Process()
        p.executableURL = url
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = stderr
        try p.run()
        let keepOpen = beforeWait != nil
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            if !keepOpen { try? stdin.fileHandleForWriting.close() }
        }
        writer.start()
        final class Box: @unchecked Sendable { var data = Data(); let done = DispatchSemaphore(value: 0) }
        let err = Box()
        let errReader = Thread {
            err.data = readAll(stderr.fileHandleForReading.fileDescriptor)
            err.done.signal()
        }
        errReader.start()
        beforeWait?(p)
        let outData = readAll(stdout.fileHandleForReading.fileDescriptor)
        p.waitUntilExit()
        err.done.wait()
        return Run(status: p.terminationStatus, stdout: outData, stderr: err.data)
    }

    /// Reads a descriptor to its end, retrying interrupted reads (Foundation's
    /// readDataToEndOfFile traps on EINTR).
    static func readAll(_ fd: Int32) -> Data {
        var out = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n > 0 { out.append(contentsOf: buffer[0..<n]); continue }
            if n < 0 && errno == EINTR { continue }
            return out
        }
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("transcript-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
