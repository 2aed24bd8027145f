import JSONRPC

/// A domain error that knows its JSON-RPC code and its `data`, so services just throw.
public struct PorticoError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Int, Sendable {
        case invalidParams = -32602
        case internalError = -32603
        case unauthenticated = -32001
        case forbidden = -32003
        case notFound = -32004
        case conflict = -32009
        case invalidState = -32010
        case rateLimited = -32029
        case rulesInvalid = -32030
        case requestCancelled = -32800
    }

    public var code: Code
    public var message: String
    public var data: JSONObject

    public init(_ code: Code, _ message: String, data: JSONObject = [:]) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code) \(message)" }

    public var rpcError: RPCError {
        RPCError(code: code.rawValue, message: message, data: data.isEmpty ? nil : .object(data))
    }

    /// -32602 naming the field (a dotted path such as `owner.email`).
    public static func invalid(_ field: String, _ reason: String) -> PorticoError {
        PorticoError(.invalidParams, "Invalid params: \(field): \(reason)",
                     data: ["field": .string(field), "reason": .string(reason)])
    }

    public static func unauthenticated(_ reason: String) -> PorticoError {
        PorticoError(.unauthenticated, "Unauthenticated: \(reason)", data: ["reason": .string(reason)])
    }

    public static func forbidden(rule: String, _ reason: String) -> PorticoError {
        PorticoError(.forbidden, "Forbidden: \(reason)", data: ["rule": .string(rule), "reason": .string(reason)])
    }

    public static func notFound(_ type: String, _ id: String) -> PorticoError {
        PorticoError(.notFound, "Not found: \(type) \(id)", data: ["type": .string(type), "id": .string(id)])
    }

    public static func conflict(_ field: String, _ reason: String) -> PorticoError {
        PorticoError(.conflict, "Conflict: \(field): \(reason)", data: ["field": .string(field), "reason": .string(reason)])
    }

    /// An amount or total past the largest the engine keeps or answers (2^53 minor units,
    /// what every JSON client holds exactly): -32010 with `state: "total_limit"` and the
    /// limit. Nothing was written.
    public static func totalLimit(_ what: String) -> PorticoError {
        PorticoError(.invalidState, "Invalid state: \(what) would pass \(Money.jsonLimit) minor units (2^53), the largest amount the engine keeps or answers",
                     data: ["state": "total_limit", "allowed": [], "limit": .integer(Money.jsonLimit), "reason": .string(what)])
    }

    /// A running total of something other than money (usage units) would pass its bound.
    public static func totalLimit(_ what: String, limit: Int64, unit: String) -> PorticoError {
        PorticoError(.invalidState, "Invalid state: \(what) would pass \(limit) \(unit)",
                     data: ["state": "total_limit", "allowed": [], "limit": .integer(limit), "reason": .string(what)])
    }

    public static func invalidState(_ state: String, allowed: [String], _ reason: String, data more: JSONObject = [:]) -> PorticoError {
        var data: JSONObject = ["state": .string(state), "allowed": .array(allowed.map { .string($0) })]
        for m in more { data[m.key] = m.value }
        return PorticoError(.invalidState, "Invalid state: \(reason)", data: data)
    }

    /// -32800: the client cancelled a long job; `data` says what it had committed.
    public static func cancelled(_ data: JSONObject) -> PorticoError {
        PorticoError(.requestCancelled, "Request cancelled; the work committed before stopping stands", data: data)
    }
}
