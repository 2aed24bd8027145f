/// A JSON-RPC error object: the code, a human message, and optional structured data.
public struct RPCError: Error, Sendable, Equatable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var json: JSONValue {
        var o: JSONObject = ["code": .integer(Int64(code)), "message": .string(message)]
        if let data { o["data"] = data }
        return .object(o)
    }

    // The codes JSON-RPC 2.0 and the LSP base protocol define.
    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    public static let requestCancelledCode = -32800

    public static func parseError(_ message: String) -> RPCError {
        RPCError(code: parseErrorCode, message: "Parse error: \(message)")
    }
    public static func invalidRequest(_ message: String, field: String? = nil) -> RPCError {
        RPCError(code: invalidRequestCode, message: "Invalid Request: \(message)",
                 data: field.map { ["field": .string($0)] })
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: methodNotFoundCode, message: "Method not found: \(method)", data: ["method": .string(method)])
    }
    public static func invalidParams(field: String, reason: String) -> RPCError {
        RPCError(code: invalidParamsCode, message: "Invalid params: \(field): \(reason)",
                 data: ["field": .string(field), "reason": .string(reason)])
    }
    public static var requestCancelled: RPCError { RPCError(code: requestCancelledCode, message: "Request cancelled") }
}

/// A request id: a string or an integer, or null when the client sent `"id": null`.
public enum RequestID: Sendable, Hashable, CustomStringConvertible {
    case integer(Int64)
    case string(String)
    case null

    public var json: JSONValue {
        switch self {
        case .integer(let i): return .integer(i)
        case .string(let s): return .string(s)
        case .null: return .null
        }
    }

    /// Reads an id; nil when the value cannot be an id (a fraction, an object, ...).
    public init?(_ value: JSONValue) {
        switch value {
        case .integer(let i): self = .integer(i)
        case .string(let s): self = .string(s)
        case .null: self = .null
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .integer(let i): return String(i)
        case .string(let s): return s
        case .null: return "null"
        }
    }

    /// Ids compare by code points, as JSON strings do.
    public static func == (a: RequestID, b: RequestID) -> Bool {
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return x == y
        case (.string(let x), .string(let y)): return x.hasSameCodePoints(as: y)
        case (.null, .null): return true
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .integer(let i): hasher.combine(0); hasher.combine(i)
        case .string(let s): hasher.combine(1); s.hashCodePoints(into: &hasher)
        case .null: hasher.combine(2)
        }
    }
}
