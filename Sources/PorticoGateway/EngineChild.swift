import Foundation
import JSONRPC
import Logging

/// One `portico serve` child, spoken to as any host would: requests written to its stdin
/// one line each, as they come (pipelined: the engine groups what arrived together into
/// one transaction), answers read from its stdout and matched to their callers by id.
/// Should the child die, every call waiting is failed (the gateway answers 503) and a new
/// child is started after a short pause.
public final class EngineChild: @unchecked Sendable {
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "the engine is not running" }
    }

    let executable: URL
    let arguments: [String]
    let log: Logger
    private let lock = NSLock()
    private let writeLock = NSLock()
    private var process: Process?
    private var input: FileHandle?
    /// The calls waiting for their answers. Each is resumed exactly once: by whoever
    /// removes it from here (under `lock`), so unchecked continuations are safe.
    private var pending: [Int64: UnsafeContinuation<EngineAnswer, any Error>] = [:]
    private var nextId: Int64 = 1
    private var stopping = false
    /// Lines waiting to be written to the child, and whether a caller is writing them:
    /// under load the lines of many calls go out in one write (and the engine reads them
    /// together, as one group), with no wait when there is only one.
    private var outbox: [UInt8] = []
    private var outboxIds: [Int64] = []
    private var flushing = false

    public init(executable: URL, arguments: [String], log: Logger) {
        self.executable = executable; self.arguments = arguments; self.log = log
    }

    public var isRunning: Bool { lock.withLock { process?.isRunning ?? false } }

    public func start() throws {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle.standardError
        p.terminationHandler = { [weak self] proc in self?.exited(proc) }
        try p.run()
        lock.withLock {
            process = p
            input = stdin.fileHandleForWriting
        }
        let reader = Thread { [weak self] in self?.read(stdout.fileHandleForReading) }
        reader.name = "engine-reader"
        reader.start()
    }

    /// Sends one request and waits for its answer: the whole response object (`result`
    /// or `error`).
    public func call(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        try await answer(method, params).json
    }

    /// Sends one request and waits for its answer as the engine wrote it: a route that
    /// passes a result on as it is need not read it (`EngineAnswer.result`).
    public func answer(_ method: String, _ params: JSONValue) async throws -> EngineAnswer {
        try await withUnsafeThrowingContinuation { (c: UnsafeContinuation<EngineAnswer, any Error>) in
            let (id, handle): (Int64, FileHandle?) = lock.withLock {
                // `process` is cleared when the child exits; a write to one that died since fails the call.
                guard let open = self.input, process != nil, !stopping else { return (0, nil) }
                let id = nextId
                nextId += 1
                pending[id] = c
                return (id, open)
            }
            guard let handle else { return c.resume(throwing: Unavailable()) }
            var line = JSONWriter.bytes(["jsonrpc": "2.0", "id": .integer(id), "method": .string(method), "params": params])
            line.append(0x0A)
            send(line, id: id, to: handle)
        }
    }

    /// Queues a line for the child; the caller that finds no one writing writes everything
    /// queued, again and again until the queue is empty. Lines stay whole and in order.
    /// Writes happen outside `lock`: a write that waits for the child (its input full
    /// while it works) never holds up the reader handing answers out, which is what lets
    /// the child go on. A failed write fails the calls whose lines it carried.
    private func send(_ line: [UInt8], id: Int64, to handle: FileHandle) {
        let writes: Bool = writeLock.withLock {
            outbox.append(contentsOf: line)
            outboxIds.append(id)
            if flushing { return false }
            flushing = true
            return true
        }
        guard writes else { return }
        while true {
            let (batch, ids): ([UInt8], [Int64]) = writeLock.withLock {
                defer { outbox = []; outboxIds = [] }
                if outbox.isEmpty { flushing = false }
                return (outbox, outboxIds)
            }
            if batch.isEmpty { return }
            let written = batch.withUnsafeBytes { FileDescriptorSink.writeAll(handle.fileDescriptor, $0) }
            if !written {
                let failed = lock.withLock { ids.compactMap { pending.removeValue(forKey: $0) } }
                for waiting in failed { waiting.resume(throwing: Unavailable()) }
            }
        }
    }

    /// Reads answers until the child's stdout closes: straight from the pipe into one
    /// buffer, each whole line handed out as it completes.
    func read(_ output: FileHandle) {
        var reader = LineReader(fd: output.fileDescriptor)
        while let lines = reader.next() {
            for line in lines { deliver(line) }
        }
    }

    func deliver(_ line: [UInt8]) {
        let answer = EngineAnswer(line)
        guard let id = answer.id else {
            log.warning("engine answer without a known id: \(String(decoding: line.prefix(200), as: UTF8.self))")
            return
        }
        let waiting = lock.withLock { pending.removeValue(forKey: id) }
        waiting?.resume(returning: answer)
    }

    func exited(_ p: Process) {
        let (waiting, restart): ([UnsafeContinuation<EngineAnswer, any Error>], Bool) = lock.withLock {
            let w = Array(pending.values)
            pending.removeAll()
            if process === p { process = nil; input = nil }
            return (w, !stopping)
        }
        for c in waiting { c.resume(throwing: Unavailable()) }
        guard restart else { return }
        log.error("the engine exited (status \(p.terminationStatus)); starting it again")
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(200)) { [weak self] in
            guard let self else { return }
            do { try self.start() } catch { self.log.error("cannot start the engine: \(error)") }
        }
    }

    /// Closes the child's stdin once the calls in flight are answered: it finishes, commits
    /// and exits 0. Answers whether it exited within `timeout`.
    public func stop(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        lock.withLock { stopping = true }
        while lock.withLock({ !pending.isEmpty }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let p = lock.withLock { () -> Process? in
            try? input?.close()
            input = nil
            return process
        }
        while p?.isRunning == true && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return p?.isRunning != true && (p?.terminationStatus ?? 0) == 0
    }
}

/// One answer line of the engine. The engine writes every answer the same way,
/// `{"jsonrpc":"2.0","id":N,"result":...}` (or `"error":`), so the id and the result's
/// bytes are found without reading the rest; anything else is read whole.
public struct EngineAnswer: Sendable {
    public let line: [UInt8]
    /// The id, when it is an integer (the gateway's ids are).
    public let id: Int64?
    /// Where the result's value is in `line`, when the line has the engine's own shape.
    let resultRange: Range<Int>?

    static let head = Array(#"{"jsonrpc":"2.0","id":"#.utf8)
    static let result = Array(#","result":"#.utf8)

    public init(_ line: [UInt8]) {
        self.line = line
        var i = Self.head.count
        var id: Int64 = 0, digits = 0
        if line.starts(with: Self.head) {
            while i < line.count, line[i] >= 0x30, line[i] <= 0x39, digits < 18 {
                id = id * 10 + Int64(line[i] - 0x30)
                i += 1; digits += 1
            }
        }
        if digits > 0, line[i...].starts(with: Self.result), line.last == UInt8(ascii: "}") {
            self.id = id
            resultRange = (i + Self.result.count)..<(line.count - 1)
        } else {
            // Not the engine's usual shape (an error, say): read the whole line.
            self.id = (try? JSONReader.parse(line[...]))?["id"]?.integerValue
            resultRange = nil
        }
    }

    /// The whole answer, read.
    public var json: JSONValue { (try? JSONReader.parse(line[...])) ?? .null }

    /// The result's JSON text as the engine wrote it; nil for an error.
    public var result: ArraySlice<UInt8>? { resultRange.map { line[$0] } }
}

/// Newline-delimited lines from a file descriptor: read straight into one buffer (a line
/// longer than it grows it), each line found with `memchr` among the bytes just read and
/// handed over as its own array; what follows the last newline moves to the front.
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8]
    private var filled = 0

    init(fd: Int32, capacity: Int = 1 << 16) {
        self.fd = fd
        buffer = [UInt8](repeating: 0, count: max(capacity, 1))
    }

    /// The lines one read completed (perhaps none); nil at the end of input or on an error.
    mutating func next() -> [[UInt8]]? {
        while true {
            if filled == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let filled = self.filled
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            let end = filled + n
            var lines: [[UInt8]] = []
            let start = buffer.withUnsafeMutableBytes { all -> Int in
                let base = all.baseAddress!
                var start = 0, from = filled  // the bytes before `filled` hold no newline
                while from < end, let nl = memchr(base + from, 0x0A, end - from) {
                    let at = nl - base
                    lines.append(Array(UnsafeRawBufferPointer(start: base + start, count: at - start)))
                    start = at + 1
                    from = start
                }
                if start > 0, start < end { memmove(base, base + start, end - start) }
                return start
            }
            self.filled = end - start
            return lines
        }
    }
}
