import Foundation

/// Runs the calls of one group and answers each.
///
/// The connection hands over every call that arrived together (up to a bound), in arrival
/// order, so that a handler can commit their writes in one transaction and answer each
/// after that commit. A handler answers one outcome per call, nil for notifications.
public protocol CallHandler: AnyObject {
    func handle(_ calls: [Call], control: ConnectionControl) -> [Outcome?]
    /// Called on the reading thread for each call as it is read, before it is queued: work
    /// that needs nothing but the call (reading its params) done here overlaps the running
    /// of the calls before it. Must not depend on anything a call may change.
    func prepare(_ call: inout Call)
}

extension CallHandler {
    public func prepare(_ call: inout Call) {}
}

/// What a handler may ask of the connection while it runs a group.
public final class ConnectionControl: @unchecked Sendable {
    let queue: InboundQueue
    var outbound: [UInt8] = []
    let framing: () -> Framing

    init(queue: InboundQueue, framing: @escaping () -> Framing) {
        self.queue = queue
        self.framing = framing
    }

    /// A control for calls made without a connection (benchmarks, embedding): nothing is
    /// ever cancelled, and notifications are kept in `outbound`.
    public static func detached() -> ConnectionControl {
        ConnectionControl(queue: InboundQueue(), framing: { .newlineDelimited })
    }

    /// True once the client sent `$/cancelRequest` for this id. Long jobs poll it and
    /// answer -32800 when it turns true.
    public func isCancelled(_ id: RequestID?) -> Bool {
        guard let id else { return false }
        return queue.isCancelled(id)
    }

    /// Where notifications go at once, ahead of the group's answers, when the control
    /// belongs to a connection (its answer writer, which keeps the order of everything
    /// written); nil for a detached control.
    var sendNow: (([UInt8]) -> Void)?

    /// Sends a notification now: on the wire at once (progress of a long job the client
    /// is waiting on), in order with every answer written before it.
    public func notifyNow(method: String, params: JSONValue) {
        guard let sendNow else { return notify(method: method, params: params) }
        var framed: [UInt8] = []
        framing().frame(Self.notification(method, params), into: &framed)
        sendNow(framed)
    }

    static func notification(_ method: String, _ params: JSONValue) -> [UInt8] {
        var msg: [UInt8] = []
        msg.append(contentsOf: #"{"jsonrpc":"2.0","method":"#.utf8)
        JSONWriter.writeString(method, into: &msg)
        msg.append(contentsOf: #","params":"#.utf8)
        JSONWriter.write(params, into: &msg)
        msg.append(UInt8(ascii: "}"))
        return msg
    }

    /// Sends a notification (progress, events) with the group's answers, ahead of them.
    public func notify(method: String, params: JSONValue) {
        framing().frame(Self.notification(method, params), into: &outbound)
    }
}

/// Where answers go.
public protocol OutputSink: AnyObject {
    func write(_ bytes: [UInt8])
}

/// Writes to a file descriptor, retrying short writes. A closed pipe ends output quietly
/// (SIGPIPE is ignored by the executable).
public final class FileDescriptorSink: OutputSink {
    public let fd: Int32
    public private(set) var isBroken = false
    public init(fd: Int32) { self.fd = fd }

    public func write(_ bytes: [UInt8]) {
        guard !isBroken else { return }
        if !bytes.withUnsafeBytes({ Self.writeAll(fd, $0) }) { isBroken = true }
    }

    /// Writes all of `bytes` to `fd`, retrying short and interrupted writes; false when a
    /// write fails (`errno` says why: EPIPE when the reader is gone).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }
}

/// Collects output in memory (replay, tests).
public final class BufferSink: OutputSink, @unchecked Sendable {
    private let lock = NSLock()
    private var data: [UInt8] = []
    public init() {}
    public func write(_ bytes: [UInt8]) { lock.withLock { data.append(contentsOf: bytes) } }
    public var bytes: [UInt8] { lock.withLock { data } }
}

/// Messages read but not yet run, the ids still in flight, and the cancellations.
final class InboundQueue: @unchecked Sendable {
    let condition = NSCondition()
    var envelopes: [Envelope] = []
    var inputClosed = false
    var stopRequested = false
    var inFlight: [RequestID: Int] = [:]
    var cancelled: Set<RequestID> = []
    let capacity = 4096
    /// True while a thread (the worker, or the reader running a small message itself)
    /// runs a group: groups never overlap, so answers keep their order.
    var executing = false

    func isCancelled(_ id: RequestID) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled.contains(id)
    }
}

/// A JSON-RPC connection over a byte stream: one reader thread frames and decodes
/// messages; the calling thread runs them in order through the handler and writes the
/// answers in the framing the client used.
///
/// A client that sends one request and waits for its answer would pay a thread hand-off
/// per request; so when the queue is idle and a read brings only a message or two, the
/// reader runs them itself. Pipelined input goes to the worker, and reading goes on
/// while it runs.
///
/// Protocol methods handled here: `$/cancelRequest` (overtakes the queue: a call that has
/// not started answers -32800), `shutdown` (answered null; later requests are refused),
/// `exit` (stop reading; what was read before it still runs). `run()` returns after end
/// of input, `exit`, or `stop()`, once every message read before that was answered.
public final class Connection: @unchecked Sendable {
    public let limits: MessageLimits
    let input: Int32
    let output: OutputSink
    let handler: CallHandler
    let queue = InboundQueue()
    let log: @Sendable (String) -> Void
    /// The most calls handed to the handler at once.
    public var maxGroup = 1024
    /// The reader runs what it read itself when the queue was idle and holds at most this many messages.
    public var inlineLimit = 2
    private lazy var control: ConnectionControl = {
        let c = ConnectionControl(queue: queue, framing: { [unowned self] in framing })
        c.sendNow = { [unowned self] bytes in
            writer.submit(Answers(group: [], outcomes: [], framing: framing, notifications: bytes), offload: false)
        }
        return c
    }()
    private lazy var writer = AnswerWriter(output: output)
    private var shuttingDown = false
    private let framingLock = NSLock()
    private var detectedFraming: Framing = .newlineDelimited

    public init(input: Int32, output: OutputSink, handler: CallHandler, limits: MessageLimits = MessageLimits(),
                log: @escaping @Sendable (String) -> Void = { _ in })
    {
        self.input = input
        self.output = output
        self.handler = handler
        self.limits = limits
        self.log = log
    }

    public var framing: Framing { framingLock.withLock { detectedFraming } }

    /// Asks the connection to finish what it has read and return from `run()` (SIGTERM).
    public func stop() {
        queue.condition.lock()
        queue.stopRequested = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    /// The stack of the threads that run requests (the reader runs small groups itself):
    /// set here rather than inherited from the process, so deep but legal input (nesting is
    /// bounded at 64 everywhere) has the same room whatever `ulimit -s` the host set.
    public static let threadStackSize = 8 << 20

    /// Serves until end of input, `exit`, or `stop()`.
    public func run() {
        let reader = Thread { [self] in readLoop() }
        reader.name = "portico-reader"
        reader.stackSize = Self.threadStackSize
        reader.start()
        let done = DispatchSemaphore(value: 0)
        let worker = Thread { [self] in
            workLoop()
            done.signal()
        }
        worker.name = "portico-worker"
        worker.stackSize = Self.threadStackSize
        worker.start()
        done.wait()
        writer.drain()
    }

    // MARK: reading

    func readLoop() {
        var decoder = FrameDecoder(maxMessageBytes: limits.maxMessageBytes)
        let chunkSize = 1 << 18
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var batch: [Envelope] = []
        var exitSeen = false
        while !exitSeen {
            let n = read(input, chunk.baseAddress!, chunkSize)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                if n < 0 { log("reading input failed: errno \(errno)") }
                if let event = decoder.finish() { exitSeen = decode(event, into: &batch, decoder: decoder) }
                break
            }
            decoder.append(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            while let event = decoder.next() {
                if decode(event, into: &batch, decoder: decoder) { exitSeen = true; break }
            }
            if let f = decoder.framing { framingLock.withLock { detectedFraming = f } }
            if !enqueue(&batch) { return }
            if let group = inline {
                inline = nil
                execute(group, byReader: true)
            }
        }
        if let f = decoder.framing { framingLock.withLock { detectedFraming = f } }
        _ = enqueue(&batch)
        if let group = inline {
            inline = nil
            execute(group, byReader: true)
        }
        queue.condition.lock()
        queue.inputClosed = true
        queue.condition.broadcast()
        queue.condition.unlock()
    }

    /// Decodes one frame into `batch`; answers true on `exit`.
    func decode(_ event: FrameEvent, into batch: inout [Envelope], decoder: FrameDecoder) -> Bool {
        switch event {
        case .error(let e):
            log("framing: \(e.message)")
            batch.append(.unreadable(e, id: nil))
            return false
        case .message(let bytes):
            var envelope = bytes.withUnsafeBytes { Envelope.decode($0, limits: limits) }
            if case .unreadable(var e, let id) = envelope, decoder.framing == .newlineDelimited,
               ["end of input", "after the JSON value", "character '}'", "character ']'"].contains(where: e.message.contains)
            {
                // A request file written pretty-printed breaks into one error per line: say why.
                e.message += " (in newline-delimited framing each message is one line)"
                envelope = .unreadable(e, id: id)
            }
            if case .single(.call(let call)) = envelope, call.isNotification {
                switch call.method {
                case "$/cancelRequest":
                    cancel(call.params, readBefore: batch)
                    return false
                case "exit":
                    return true
                default: break
                }
            }
            prepare(&envelope)
            batch.append(envelope)
            return false
        }
    }

    /// Lets the handler prepare each call of an envelope (`CallHandler.prepare`).
    func prepare(_ envelope: inout Envelope) {
        switch envelope {
        case .single(.call(var c)):
            handler.prepare(&c)
            envelope = .single(.call(c))
        case .batch(var items):
            for i in items.indices {
                guard case .call(var c) = items[i] else { continue }
                handler.prepare(&c)
                items[i] = .call(c)
            }
            envelope = .batch(items)
        default: break
        }
    }

    /// Cancellations of requests read earlier in the same chunk, applied when those are
    /// queued: a cancellation always reaches a request read before it, and never one read
    /// after it.
    var pendingCancels: [RequestID] = []

    /// A cancellation applies to a request read before it: one still queued or running,
    /// or one decoded earlier in this chunk (`readBefore`). Any other id is ignored, even
    /// if a request with that id arrives later.
    func cancel(_ params: JSONValue?, readBefore batch: [Envelope]) {
        guard let raw = params?["id"], let id = RequestID(raw) else { return }
        var earlierInChunk = false
        for envelope in batch where !earlierInChunk {
            forEachCall(envelope) { if $0.id == id { earlierInChunk = true } }
        }
        if earlierInChunk {
            pendingCancels.append(id)
            return
        }
        queue.condition.lock()
        if queue.inFlight[id] != nil { queue.cancelled.insert(id) }
        queue.condition.unlock()
    }

    /// Moves decoded messages to the queue, waiting while it is full. False once stopped.
    func enqueue(_ batch: inout [Envelope]) -> Bool {
        guard !batch.isEmpty || !pendingCancels.isEmpty else { return true }
        queue.condition.lock()
        defer { queue.condition.unlock() }
        while queue.envelopes.count >= queue.capacity && !queue.stopRequested { queue.condition.wait() }
        if queue.stopRequested { return false }
        for envelope in batch {
            forEachCall(envelope) { call in
                if let id = call.id { queue.inFlight[id, default: 0] += 1 }
            }
        }
        for id in pendingCancels { queue.cancelled.insert(id) }
        pendingCancels.removeAll()
        queue.envelopes.append(contentsOf: batch)
        batch.removeAll(keepingCapacity: true)
        if !queue.executing && !queue.envelopes.isEmpty && queue.envelopes.count <= inlineLimit {
            queue.executing = true
            inline = takeGroup()
        } else {
            queue.condition.broadcast()
        }
        return true
    }

    /// Set by `enqueue` when the reader claimed the group to run it itself.
    var inline: [Envelope]? = nil

    /// Takes whole envelopes up to the group bound. Called with the lock held.
    func takeGroup() -> [Envelope] {
        var taken = 0
        var calls = 0
        for envelope in queue.envelopes {
            taken += 1
            switch envelope {
            case .batch(let items): calls += items.count
            default: calls += 1
            }
            if calls >= maxGroup { break }
        }
        let group = Array(queue.envelopes.prefix(taken))
        queue.envelopes.removeFirst(taken)
        return group
    }

    /// Runs a group claimed with `executing`, then releases it.
    func execute(_ group: [Envelope], byReader: Bool) {
        run(group, control: control, shuttingDown: &shuttingDown)
        queue.condition.lock()
        queue.executing = false
        // Wake the other thread only when it has something to do: an idle worker woken
        // after every inline request would cost a context switch per request.
        if !queue.envelopes.isEmpty || queue.inputClosed || queue.stopRequested || !byReader {
            queue.condition.broadcast()
        }
        queue.condition.unlock()
    }

    func forEachCall(_ envelope: Envelope, _ body: (Call) -> Void) {
        switch envelope {
        case .single(.call(let c)): body(c)
        case .batch(let items):
            for case .call(let c) in items { body(c) }
        default: break
        }
    }

    // MARK: running

    func workLoop() {
        while true {
            queue.condition.lock()
            while true {
                if queue.executing { queue.condition.wait(); continue }
                if !queue.envelopes.isEmpty { break }
                if queue.inputClosed || queue.stopRequested {
                    queue.condition.unlock()
                    return
                }
                queue.condition.wait()
            }
            queue.executing = true
            let group = takeGroup()
            queue.condition.broadcast()
            queue.condition.unlock()
            execute(group, byReader: false)
        }
    }

    func run(_ group: [Envelope], control: ConnectionControl, shuttingDown: inout Bool) {
        // Flatten to entries; each keeps its place for the answer.
        var entries: [Incoming] = []
        for envelope in group {
            switch envelope {
            case .single(let i): entries.append(i)
            case .batch(let items): entries.append(contentsOf: items)
            case .unreadable(let e, let id): entries.append(.invalid(id: id, error: e))
            }
        }
        var outcomes = [Outcome?](repeating: nil, count: entries.count)
        var pending: [Call] = []
        var pendingIndex: [Int] = []
        var finished: [RequestID] = []

        func flush() {
            guard !pending.isEmpty else { return }
            let answers = handler.handle(pending, control: control)
            for (k, i) in pendingIndex.enumerated() { outcomes[i] = answers[k] }
            pending.removeAll()
            pendingIndex.removeAll()
        }

        for (i, entry) in entries.enumerated() {
            switch entry {
            case .invalid(_, let error):
                outcomes[i] = .error(error)
            case .call(let call):
                if let id = call.id { finished.append(id) }
                if shuttingDown {
                    if !call.isNotification { outcomes[i] = .error(.invalidRequest("the server is shutting down")) }
                    continue
                }
                switch call.method {
                case "shutdown":
                    flush()
                    shuttingDown = true
                    if !call.isNotification { outcomes[i] = .result(.null) }
                    continue
                case "exit", "$/cancelRequest":
                    if !call.isNotification { outcomes[i] = .result(.null) }
                    continue
                default:
                    if call.method.hasPrefix("$/") && call.isNotification { continue }
                }
                if let id = call.id, takeCancellation(id) {
                    outcomes[i] = .error(.requestCancelled)
                    continue
                }
                pending.append(call)
                pendingIndex.append(i)
            }
        }
        flush()

        // Answers leave in arrival order; a large group's are written by the answer
        // writer while the next group runs.
        let notifications = control.outbound
        control.outbound.removeAll(keepingCapacity: true)
        writer.submit(Answers(group: group, outcomes: outcomes, framing: framing, notifications: notifications),
                      offload: entries.count > inlineLimit)

        queue.condition.lock()
        for id in finished {
            if let n = queue.inFlight[id] {
                if n <= 1 {
                    queue.inFlight[id] = nil
                    queue.cancelled.remove(id)
                } else {
                    queue.inFlight[id] = n - 1
                }
            }
        }
        queue.condition.unlock()
    }

    func takeCancellation(_ id: RequestID) -> Bool {
        queue.condition.lock()
        defer { queue.condition.unlock() }
        return queue.cancelled.remove(id) != nil
    }
}

/// One group's answers, written once the group has committed: in arrival order, batches as
/// arrays, notifications sent during the group first.
struct Answers {
    let group: [Envelope]
    let outcomes: [Outcome?]
    let framing: Framing
    let notifications: [UInt8]

    func bytes() -> [UInt8] {
        var out = notifications
        var message: [UInt8] = []
        var k = 0
        for envelope in group {
            message.removeAll(keepingCapacity: true)
            switch envelope {
            case .single(let entry):
                Self.write(entry, outcomes[k], into: &message)
                k += 1
            case .batch(let items):
                // An all-notification batch answers nothing.
                var first = true
                for item in items {
                    if Self.answered(item), outcomes[k] != nil {
                        message.append(first ? UInt8(ascii: "[") : UInt8(ascii: ","))
                        first = false
                        Self.write(item, outcomes[k], into: &message)
                    }
                    k += 1
                }
                if !first { message.append(UInt8(ascii: "]")) }
            case .unreadable(let e, let id):
                Response.write(id: id, outcome: .error(e), into: &message)
                k += 1
            }
            if !message.isEmpty { framing.frame(message, into: &out) }
        }
        return out
    }

    /// Notifications are never answered; invalid members always are (with their id or null).
    static func answered(_ entry: Incoming) -> Bool {
        switch entry {
        case .invalid: return true
        case .call(let c): return !c.isNotification
        }
    }

    static func write(_ entry: Incoming, _ outcome: Outcome?, into out: inout [UInt8]) {
        guard answered(entry), let outcome else { return }
        switch entry {
        case .invalid(let id, _): Response.write(id: id ?? .null, outcome: outcome, into: &out)
        case .call(let c): Response.write(id: c.id, outcome: outcome, into: &out)
        }
    }
}

/// Serializes and writes answers in the order groups ran. A large group's answers go to a
/// thread of its own, so writing them overlaps running the next group; a small group's are
/// written by the thread that ran it when nothing is waiting, which spares a one-at-a-time
/// client a thread hand-off per request.
final class AnswerWriter: @unchecked Sendable {
    private let output: OutputSink
    private let condition = NSCondition()
    private var waiting: [Answers] = []
    /// True while some thread writes to the output.
    private var writing = false
    private var started = false
    private var stopping = false
    private var finished = false
    /// Groups queued at most before `submit` waits: bounds the memory answers hold.
    private let capacity = 4

    init(output: OutputSink) { self.output = output }

    func submit(_ answers: Answers, offload: Bool) {
        condition.lock()
        if !offload && waiting.isEmpty && !writing {
            writing = true
            condition.unlock()
            output.write(answers.bytes())
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
            return
        }
        if !started {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "portico-writer"
            thread.start()
        }
        while waiting.count >= capacity { condition.wait() }
        waiting.append(answers)
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        condition.lock()
        while true {
            while (waiting.isEmpty || writing) && !(stopping && waiting.isEmpty) { condition.wait() }
            if waiting.isEmpty { break }
            let answers = waiting.removeFirst()
            writing = true
            condition.broadcast()
            condition.unlock()
            output.write(answers.bytes())
            condition.lock()
            writing = false
            condition.broadcast()
        }
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Returns once every submitted answer is written.
    func drain() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !waiting.isEmpty || writing || (started && !finished) { condition.wait() }
        condition.unlock()
    }
}
