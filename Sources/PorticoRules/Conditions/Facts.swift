/// The type of a fact, which decides how literals in conditions are read and which
/// operators apply.
public enum FactType: String, Sendable {
    case string, number, date, bool
}

/// A fact's value at evaluation time.
public enum FactValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(ExactDecimal)
    case date(RuleDate)
    case bool(Bool)

    public var description: String {
        switch self {
        case .string(let s): return s
        case .number(let d): return d.description
        case .date(let d): return d.description
        case .bool(let b): return b ? "true" : "false"
        }
    }

    /// Ordering for `<`, `between` and friends; nil across types.
    static func compare(_ a: FactValue, _ b: FactValue) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.date(let x), .date(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.string(let x), .string(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        default: return nil
        }
    }
}

/// One fact a rule may read: its name, its type, and, for facts with a closed set of
/// values, those values (so a typo in a rule is caught when the file loads).
public struct FactDefinition: Sendable {
    public var name: String
    public var type: FactType
    public var summary: String
    /// Values a string fact can take; empty when open.
    public var values: [String]
    /// Read from the store when a loaded rule uses it (volumes, first purchase, ...).
    public var derived: Bool

    public init(_ name: String, _ type: FactType, _ summary: String, values: [String] = [], derived: Bool = false) {
        self.name = name
        self.type = type
        self.summary = summary
        self.values = values
        self.derived = derived
    }
}

/// The facts one kind of rule file may use, each at a fixed index so that compiled
/// conditions read a slot of an array rather than look a name up.
public struct FactCatalog: Sendable {
    public let definitions: [FactDefinition]
    let index: [String: Int]

    public init(_ definitions: [FactDefinition]) {
        self.definitions = definitions
        index = Dictionary(uniqueKeysWithValues: definitions.enumerated().map { ($1.name, $0) })
    }

    public func slot(_ name: String) -> Int? { index[name] }
    public subscript(slot: Int) -> FactDefinition { definitions[slot] }
}

/// Fact values for one evaluation, by catalog slot. Absent facts are nil.
public struct FactSet: Sendable {
    public var values: [FactValue?]

    public init(catalog: FactCatalog) { values = Array(repeating: nil, count: catalog.definitions.count) }

    public subscript(slot: Int) -> FactValue? {
        get { values[slot] }
        set { values[slot] = newValue }
    }
}
