/// A JSON value as read from or written to the wire.
///
/// Numbers never pass through a binary floating point type: an integer that fits in
/// `Int64` is `.integer`; every other number keeps its exact text in `.number`, so money
/// and percentages can be checked and parsed exactly by whoever reads them. Strings and
/// keys compare by their code points (RFC 8259), never by Unicode canonical equivalence,
/// and objects compare as sets of members, whatever their order.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    /// A valid JSON number that is not an `Int64` integer (a fraction, an exponent, or too
    /// large), kept as the exact text it was written with.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON object that keeps its members in order. Keys are unique: the reader rejects
/// duplicates and the builders replace an existing key.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public struct Member: Sendable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var members: [Member]

    public init() { members = [] }

    /// Members must have distinct keys; the reader guarantees it.
    public init(uniqueMembers: [Member]) { members = uniqueMembers }

    /// A literal's keys are distinct (checked in debug builds, as a Dictionary literal's are):
    /// its members are taken as written, without a search per key.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(literal: elements)
    }

    init(literal elements: [(String, JSONValue)]) {
        assert(Set(elements.map(\.0)).count == elements.count, "a JSON object literal repeats a key: \(elements.map(\.0))")
        members = elements.map { Member(key: $0.0, value: $0.1) }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            for m in members where m.key.hasSameCodePoints(as: key) { return m.value }
            return nil
        }
        set {
            if let i = members.firstIndex(where: { $0.key.hasSameCodePoints(as: key) }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    public func makeIterator() -> IndexingIterator<[Member]> { members.makeIterator() }

    /// Equal when both hold the same keys with equal values, in any order.
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        for m in a.members {
            guard let other = b[m.key], other == m.value else { return false }
        }
        return true
    }

    /// Order-independent, as equality is.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for m in members {
            var h = Hasher()
            m.key.hashCodePoints(into: &h)
            h.combine(m.value)
            combined ^= h.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}

extension JSONValue {
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.number(let x), .number(let y)): return x.hasSameCodePoints(as: y)
        case (.string(let x), .string(let y)): return x.hasSameCodePoints(as: y)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(1); hasher.combine(b)
        case .integer(let i): hasher.combine(2); hasher.combine(i)
        case .number(let t): hasher.combine(3); t.hashCodePoints(into: &hasher)
        case .string(let s): hasher.combine(4); s.hashCodePoints(into: &hasher)
        case .array(let a): hasher.combine(5); hasher.combine(a)
        case .object(let o): hasher.combine(6); hasher.combine(o)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(literal: elements))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// `.string(s)` for a value, `.null` for nil.
    public static func string(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    public static func integer(_ i: Int64?) -> JSONValue { i.map { .integer($0) } ?? .null }

    public var objectValue: JSONObject? { if case .object(let o) = self { return o } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var integerValue: Int64? { if case .integer(let i) = self { return i } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// The JSON type name, for error messages ("expected string, got number").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer, .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
