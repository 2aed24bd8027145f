/// One entry of an incoming message: a call to run, or a member that was not a valid
/// request and is answered with an error without running anything.
public enum Incoming: Sendable {
    case call(Call)
    case invalid(id: RequestID?, error: RPCError)
}

/// A request or notification, validated against JSON-RPC 2.0's request object rules.
public struct Call: Sendable {
    /// nil for a notification: it is run but never answered.
    public var id: RequestID?
    public var method: String
    /// An object or an array; nil when the request had no `params`.
    public var params: JSONValue?
    /// What the handler made of the params ahead of running the call, on the thread that
    /// read it (see `CallHandler.prepare`); nil when it made nothing.
    public var prepared: (any Sendable)?

    public init(id: RequestID?, method: String, params: JSONValue?) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var isNotification: Bool { id == nil }
}

/// One message as framed on the wire: a single request, a batch, or text that could not
/// be read (answered with one error, whose id is the request's own when it could still be
/// read from the broken text, else null).
public enum Envelope: Sendable {
    case single(Incoming)
    case batch([Incoming])
    case unreadable(RPCError, id: RequestID?)

    /// Decodes one framed message.
    public static func decode(_ bytes: UnsafeRawBufferPointer, limits: MessageLimits) -> Envelope {
        let value: JSONValue
        do {
            value = try JSONReader.parse(bytes, limits: .init(maxDepth: limits.maxDepth, maxTopLevelElements: limits.maxBatch))
        } catch {
            if error.kind == .tooManyElements {
                return .unreadable(.invalidRequest("a batch may hold at most \(limits.maxBatch) requests"), id: nil)
            }
            // A request whose params are broken (NaN, a bad escape, a duplicate key) still
            // gets its own id back when the envelope's `id` member can be read.
            let id = JSONReader.recoverMember("id", in: bytes).flatMap(RequestID.init)
            return .unreadable(.parseError(error.description), id: id)
        }
        switch value {
        case .array(let items):
            if items.isEmpty { return .unreadable(.invalidRequest("empty batch"), id: nil) }
            return .batch(items.map(Self.validate))
        default:
            return .single(validate(value))
        }
    }

    public static func decode(_ bytes: [UInt8], limits: MessageLimits = MessageLimits()) -> Envelope {
        bytes.withUnsafeBytes { decode($0, limits: limits) }
    }

    /// Applies the request object rules of JSON-RPC 2.0 §4.
    public static func validate(_ value: JSONValue) -> Incoming {
        guard case .object(let o) = value else {
            return .invalid(id: nil, error: .invalidRequest("a request must be an object"))
        }
        var id: RequestID? = nil
        if let rawID = o["id"] {
            guard let parsed = RequestID(rawID) else {
                return .invalid(id: nil, error: .invalidRequest("id must be a string, an integer or null", field: "id"))
            }
            id = parsed
        }
        guard let version = o["jsonrpc"] else {
            return .invalid(id: id, error: .invalidRequest("\"jsonrpc\": \"2.0\" is required", field: "jsonrpc"))
        }
        guard version == .string("2.0") else {
            return .invalid(id: id, error: .invalidRequest("jsonrpc must be \"2.0\"", field: "jsonrpc"))
        }
        guard case .string(let method)? = o["method"] else {
            return .invalid(id: id, error: .invalidRequest("method must be a string", field: "method"))
        }
        let params = o["params"]
        switch params {
        case nil, .object?, .array?: break
        default:
            return .invalid(id: id, error: .invalidRequest("params must be an object or an array", field: "params"))
        }
        return .call(Call(id: id, method: method, params: params))
    }
}

public struct MessageLimits: Sendable {
    public var maxMessageBytes: Int
    public var maxDepth: Int
    public var maxBatch: Int
    public init(maxMessageBytes: Int = 4 << 20, maxDepth: Int = 64, maxBatch: Int = 1000) {
        self.maxMessageBytes = maxMessageBytes
        self.maxDepth = maxDepth
        self.maxBatch = maxBatch
    }
}

/// What a handler answers for one call.
public enum Outcome: Sendable {
    case result(JSONValue)
    /// A result written straight as compact JSON text (by a `JSONEncodable`): the
    /// connection puts its bytes on the wire as they are.
    case encoded([UInt8])
    case error(RPCError)

    /// `.result` for a tree, `.encoded` for any other encodable (its text written once).
    public init(result: any JSONEncodable) {
        if let v = result as? JSONValue {
            self = .result(v)
        } else {
            self = .encoded(result.jsonText)
        }
    }

    /// The same outcome with an encoded result read back into a tree, for in-process
    /// callers that inspect it.
    public var read: Outcome {
        guard case .encoded(let text) = self else { return self }
        do {
            return .result(try JSONReader.parse(text))
        } catch {
            preconditionFailure("an encoded result is not JSON: \(error)")
        }
    }
}

public enum Response {
    /// Writes `{"jsonrpc":"2.0","id":...,"result"|"error":...}`.
    public static func write(id: RequestID?, outcome: Outcome, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONWriter.write(id?.json ?? .null, into: &out)
        switch outcome {
        case .result(let v):
            out.append(contentsOf: #","result":"#.utf8)
            JSONWriter.write(v, into: &out)
        case .encoded(let text):
            out.append(contentsOf: #","result":"#.utf8)
            out.append(contentsOf: text)
        case .error(let e):
            out.append(contentsOf: #","error":"#.utf8)
            JSONWriter.write(e.json, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
