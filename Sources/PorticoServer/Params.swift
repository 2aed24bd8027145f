import JSONRPC
import PorticoCore
import PorticoRules

/// Typed access to a request's by-name params. Every failure is -32602 naming the field
/// by its dotted path; `finish()` refuses fields the method does not know, so a typo is
/// an error rather than a silently ignored option.
public struct Params {
    let object: JSONObject
    /// The path of these params in the request (`""` at the top), with the index when
    /// they are an item of a list (`events`, 3: `events[3]`): put together only for an
    /// error's field, never for the many items read without one.
    let base: String
    let index: Int?
    /// Which members the method read, by position (a request's objects are small: a scan
    /// by code points finds a key faster than hashing it): the first 64 as bits, any more
    /// in a list.
    private var used: UInt64 = 0
    private var usedBeyond: [Bool]
    /// What the engine made of these params ahead of the call (see `prepared(_:)`).
    var ahead: (any Sendable)?

    public init(_ value: JSONValue?, path: String = "") throws(PorticoError) {
        try self.init(value, base: path, index: nil)
    }

    /// What a method's `read` made of its params, with the members it read.
    struct Prepared<T: Sendable>: Sendable {
        let result: Result<T, any Error>
        let used: UInt64
        let usedBeyond: [Bool]
    }

    /// Runs `read` on `value` as params, ahead of the call (`Method.preparing`); nil when
    /// the params are no object (the call fails on that when it runs).
    static func prepare<T: Sendable>(_ value: JSONValue?, _ read: (inout Params) throws -> T) -> (any Sendable)? {
        guard var p = try? Params(value) else { return nil }
        let result = Result { try read(&p) }
        return Prepared(result: result, used: p.used, usedBeyond: p.usedBeyond)
    }

    /// What `read` makes of these params: made ahead, on the thread that read the request,
    /// when the method prepares it (`Method.preparing`), else now — the same value or the
    /// same error either way, the members it read marked read.
    public mutating func prepared<T: Sendable>(_ read: (inout Params) throws -> T) throws -> T {
        guard let made = ahead as? Prepared<T> else { return try read(&self) }
        ahead = nil
        used |= made.used
        for (i, u) in made.usedBeyond.enumerated() where u { usedBeyond[i] = true }
        return try made.result.get()
    }

    init(_ value: JSONValue?, base: String, index: Int?) throws(PorticoError) {
        self.base = base
        self.index = index
        switch value {
        case nil: object = [:]
        case .object(let o)?: object = o
        case .array?: throw .invalid(Self.path(base, index) ?? "params", "must be an object of named params")
        case let v?: throw .invalid(Self.path(base, index) ?? "params", "must be an object, got \(v.typeName)")
        }
        usedBeyond = object.count > 64 ? Array(repeating: false, count: object.count - 64) : []
    }

    static func path(_ base: String, _ index: Int?) -> String? {
        if let index { return "\(base)[\(index)]" }
        return base.isEmpty ? nil : base
    }

    var path: String { Self.path(base, index) ?? "" }

    private func isUsed(_ i: Int) -> Bool { i < 64 ? used & (1 << UInt64(i)) != 0 : usedBeyond[i - 64] }

    /// The member named `key` (by code points), marked as read; nil when absent.
    private mutating func take(_ key: String) -> JSONValue? {
        for (i, m) in object.members.enumerated() where m.key.hasSameCodePoints(as: key) {
            if i < 64 { used |= 1 << UInt64(i) } else { usedBeyond[i - 64] = true }
            return m.value
        }
        return nil
    }

    func field(_ key: String) -> String {
        guard let path = Self.path(base, index) else { return key }
        return "\(path).\(key)"
    }

    mutating func raw(_ key: String) -> JSONValue? {
        guard let v = take(key), !v.isNull else { return nil }
        return v
    }

    public mutating func has(_ key: String) -> Bool { object[key] != nil }

    /// The keys present, in order.
    public var keys: [String] { object.keys }

    public mutating func string(_ key: String) throws(PorticoError) -> String {
        guard let s = try optionalString(key) else { throw .invalid(field(key), "is required") }
        return s
    }

    /// Every string param passes `Validate.wireText` here: no NUL, no other control
    /// character but tab and line breaks. Fields with stricter rules check them after.
    public mutating func optionalString(_ key: String) throws(PorticoError) -> String? {
        guard let v = raw(key) else { return nil }
        guard case .string(let s) = v else { throw .invalid(field(key), "must be a string, got \(v.typeName)") }
        try Validate.wireText(s, field: self.field(key))
        return s
    }

    /// A list of strings (at most `max`), each passing `Validate.wireText`.
    public mutating func strings(_ key: String, max: Int = 100) throws(PorticoError) -> [String] {
        guard let v = raw(key) else { throw .invalid(field(key), "is required") }
        guard case .array(let items) = v else { throw .invalid(field(key), "must be an array of strings, got \(v.typeName)") }
        guard items.count <= max else { throw .invalid(field(key), "holds at most \(max) items") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else { throw .invalid(field("\(key)[\(i)]"), "must be a string, got \(item.typeName)") }
            try Validate.wireText(s, field: field("\(key)[\(i)]"))
            out.append(s)
        }
        return out
    }

    public mutating func optionalInteger(_ key: String) throws(PorticoError) -> Int64? {
        guard let v = raw(key) else { return nil }
        switch v {
        case .integer(let i): return i
        case .number: throw .invalid(field(key), "must be an integer")
        default: throw .invalid(field(key), "must be an integer, got \(v.typeName)")
        }
    }

    public mutating func optionalBool(_ key: String) throws(PorticoError) -> Bool? {
        guard let v = raw(key) else { return nil }
        guard case .bool(let b) = v else { throw .invalid(field(key), "must be a boolean, got \(v.typeName)") }
        return b
    }

    /// Money amounts and other counts: an integer within ±2^53 (what every JSON client can
    /// represent exactly). Fractions and larger values are refused, never rounded.
    public mutating func optionalAmount(_ key: String) throws(PorticoError) -> Int64? {
        guard let v = raw(key) else { return nil }
        let limit = Money.jsonLimit
        switch v {
        case .integer(let i) where i >= -limit && i <= limit: return i
        case .integer, .number:
            if case .number(let text) = v, text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
                throw .invalid(field(key), "must be an integer count of minor units, without a fraction or exponent")
            }
            throw .invalid(field(key), "must be within ±2^53")
        default: throw .invalid(field(key), "must be an integer, got \(v.typeName)")
        }
    }

    /// Money: `{"amount": <integer minor units within ±2^53>, "currency": "<ISO 4217>"}`.
    public mutating func optionalMoney(_ key: String) throws(PorticoError) -> Money? {
        guard let v = raw(key) else { return nil }
        guard case .object = v else { throw .invalid(field(key), "must be {\"amount\": <minor units>, \"currency\": \"USD\"}") }
        var m = try Params(v, path: field(key))
        guard let amount = try m.optionalAmount("amount") else { throw .invalid(field("\(key).amount"), "is required") }
        let currency = try Validate.currency(try m.string("currency"), field: field("\(key).currency"))
        try m.finish()
        return Money(amount, currency)
    }

    public mutating func money(_ key: String) throws(PorticoError) -> Money {
        guard let m = try optionalMoney(key) else { throw .invalid(field(key), "is required") }
        return m
    }

    /// Whether the key is present with an explicit `null` (to clear a value).
    public mutating func isExplicitNull(_ key: String) -> Bool { take(key) == .null }

    public mutating func optionalExactDecimal(_ key: String) throws(PorticoError) -> ExactDecimal? {
        guard let v = take(key), !v.isNull else { return nil }
        return try exactDecimal(key)
    }

    /// The text of a decimal as sent: a JSON number's own digits or a string ("12.5"),
    /// never through a Double; its caller reads it exactly.
    public mutating func decimalText(_ key: String) throws(PorticoError) -> String {
        guard let v = raw(key) else { throw .invalid(field(key), "is required") }
        switch v {
        case .integer(let i): return String(i)
        case .number(let t): return t
        case .string(let s):
            try Validate.wireText(s, field: field(key))
            return s
        default: throw .invalid(field(key), "must be a decimal number or a string such as \"12.5\", got \(v.typeName)")
        }
    }

    /// A list of objects (1 to `max`), each read as params at its path (`events[3]`).
    public mutating func objects(_ key: String, max: Int) throws(PorticoError) -> [Params] {
        guard let v = raw(key) else { throw .invalid(field(key), "is required") }
        guard case .array(let items) = v else { throw .invalid(field(key), "must be an array of objects, got \(v.typeName)") }
        guard !items.isEmpty && items.count <= max else { throw .invalid(field(key), "must hold 1 to \(max) items, got \(items.count)") }
        var out: [Params] = []
        out.reserveCapacity(items.count)
        let list = field(key)
        for (i, item) in items.enumerated() {
            guard case .object = item else { throw .invalid("\(list)[\(i)]", "must be an object, got \(item.typeName)") }
            out.append(try Params(item, base: list, index: i))
        }
        return out
    }

    /// An exact decimal: a JSON number or a numeric string ("12.5"), never through a Double.
    public mutating func exactDecimal(_ key: String) throws(PorticoError) -> ExactDecimal {
        guard let v = raw(key) else { throw .invalid(field(key), "is required") }
        let text: String
        switch v {
        case .integer(let i): return ExactDecimal(i)
        case .number(let t): text = t
        case .string(let s): text = s
        default: throw .invalid(field(key), "must be a number, got \(v.typeName)")
        }
        guard let d = ExactDecimal(text) else {
            throw .invalid(field(key), "'\(text)' is not an exact decimal (digits, an optional '.', at most 12 decimals, no exponent)")
        }
        return d
    }

    public mutating func object(_ key: String) throws(PorticoError) -> Params {
        guard let v = raw(key) else { throw .invalid(field(key), "is required") }
        guard case .object = v else { throw .invalid(field(key), "must be an object, got \(v.typeName)") }
        return try Params(v, path: field(key))
    }

    /// A date-time, or a date alone read as the start of its UTC day (see `TimeRange`).
    mutating func instant(_ key: String) throws(PorticoError) -> (Timestamp, isDate: Bool)? {
        guard let s = try optionalString(key) else { return nil }
        guard let t = Timestamp(dateOrDateTime: s) else {
            throw .invalid(field(key), "must be an RFC 3339 date-time (2026-01-31T12:00:00Z) or a date (2026-01-31), from 0001-01-01 to 9999-12-31 in UTC")
        }
        return (t, Timestamp.isDate(s))
    }

    /// `from` (inclusive) and `to` (exclusive; a date takes its whole day in), each a
    /// date-time or a date; `from` after `to` is -32602 naming `to`. Every method with a
    /// range reads it here, so every range follows the same rule.
    public mutating func range(required: Bool = false) throws(PorticoError) -> TimeRange {
        let from = try instant("from"), to = try instant("to")
        if required {
            guard from != nil else { throw .invalid(field("from"), "is required") }
            guard to != nil else { throw .invalid(field("to"), "is required") }
        }
        if let from, let to, from.0 > to.0 { throw .invalid(field("to"), "must not be before from") }
        let end = to.map { $0.isDate ? Timestamp(millisecondsSinceEpoch: $0.0.millisecondsSinceEpoch + Timestamp.msPerDay) : $0.0 }
        return TimeRange(from: from?.0, to: end)
    }

    /// A date-time (no date alone): an instant something happened.
    public mutating func timestamp(_ key: String) throws(PorticoError) -> Timestamp {
        let s = try string(key)
        guard let t = Timestamp(rfc3339: s) else {
            throw .invalid(field(key), "must be an RFC 3339 date-time such as 2027-01-15T10:00:00Z, from 0001-01-01 to 9999-12-31 in UTC")
        }
        return t
    }

    /// A date-time when present and not null.
    public mutating func optionalTimestamp(_ key: String) throws(PorticoError) -> Timestamp? {
        has(key) && !isExplicitNull(key) ? try timestamp(key) : nil
    }

    public mutating func bool(_ key: String) throws(PorticoError) -> Bool {
        guard let b = try optionalBool(key) else { throw .invalid(field(key), "is required") }
        return b
    }

    /// The `actor` object: exactly one of `platform` or `member`.
    public mutating func actor() throws(PorticoError) -> ActorRef {
        guard let v = raw("actor") else { throw .invalid(field("actor"), "is required") }
        guard case .object(let o) = v, o.count == 1, let only = o.members.first else {
            throw .invalid(field("actor"), "must be {\"platform\": \"<operator id>\"} or {\"member\": \"mem_...\"}")
        }
        guard case .string(let id) = only.value else { throw .invalid(field("actor.\(only.key)"), "must be a string") }
        switch only.key {
        case "platform": return .platform(try Validate.key(id, field: field("actor.platform"), max: 128))
        case "member": return .member(try Validate.key(id, field: field("actor.member"), max: 128))
        default: throw .invalid(field("actor"), "must name \"platform\" or \"member\", not \"\(only.key)\"")
        }
    }

    /// A long request's `progressToken` (an integer or a string, as in LSP): `$/progress`
    /// notifications carry it back.
    public mutating func progressToken() throws(PorticoError) -> JSONValue? {
        guard let v = raw("progressToken") else { return nil }
        switch v {
        case .integer: return v
        case .string(let s): return .string(try Validate.key(s, field: field("progressToken"), max: 255))
        default: throw .invalid(field("progressToken"), "must be an integer or a string, got \(v.typeName)")
        }
    }

    /// `cursor` and `limit` of a list method.
    public mutating func page() throws(PorticoError) -> PageRequest {
        try PageRequest(cursor: try optionalString("cursor"), limit: try optionalInteger("limit"))
    }

    /// Refuses any field the method did not read.
    public func finish() throws(PorticoError) {
        for (i, m) in object.members.enumerated() where !isUsed(i) {
            throw .invalid(field(m.key), "is not a parameter of this method")
        }
    }
}
