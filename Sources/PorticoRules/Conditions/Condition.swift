/// A comparison operator of the condition language.
public enum ConditionOperator: String, Sendable, CaseIterable {
    case equals, notEquals = "not_equals", `in`, notIn = "not_in", lt, lte, gt, gte, between, exists

    /// Operator spellings accepted in rule files.
    static let spellings: [String: ConditionOperator] = [
        "equals": .equals, "==": .equals, "not_equals": .notEquals, "!=": .notEquals,
        "in": .in, "not_in": .notIn, "lt": .lt, "<": .lt, "lte": .lte, "<=": .lte,
        "gt": .gt, ">": .gt, "gte": .gte, ">=": .gte, "between": .between, "exists": .exists,
    ]

    var symbol: String {
        switch self {
        case .equals: return "="
        case .notEquals: return "≠"
        case .in: return "in"
        case .notIn: return "not in"
        case .lt: return "<"
        case .lte: return "<="
        case .gt: return ">"
        case .gte: return ">="
        case .between: return "between"
        case .exists: return "exists"
        }
    }
}

/// One compiled comparison of a fact with constants.
public struct Condition: Sendable {
    public let slot: Int
    public let fact: String
    public let op: ConditionOperator
    public let operands: [FactValue]
    public let position: SourcePosition

    public enum Outcome: Sendable, Equatable {
        case pass
        case fail
        /// The fact the condition reads was not supplied.
        case missing
    }

    @inline(__always)
    public func evaluate(_ facts: FactSet) -> Outcome {
        withUnsafePointer(to: self) { Self.evaluate($0, facts) }
    }

    /// Evaluates in place through pointers (nothing copied or reference-counted), with
    /// the one comparison `ConditionTable` uses for whole tables.
    @inline(__always)
    static func evaluate(_ c: UnsafePointer<Condition>, _ facts: FactSet) -> Outcome {
        facts.values.withUnsafeBufferPointer { fv in
            c.pointee.operands.withUnsafeBufferPointer { ops in
                ConditionTable.outcome(.init(slot: c.pointee.slot, op: c.pointee.op, start: 0, count: ops.count), ops, fv)
            }
        }
    }

    /// `customer.region in [eu, uk]`, as explanations print it.
    public var text: String {
        switch op {
        case .in, .notIn: return "\(fact) \(op.symbol) [\(operands.map(\.description).joined(separator: ", "))]"
        case .between: return "\(fact) between \(operands[0]) and \(operands[1])"
        case .exists:
            if case .bool(false) = operands[0] { return "\(fact) is absent" }
            return "\(fact) exists"
        default: return "\(fact) \(op.symbol) \(operands[0])"
        }
    }
}

/// All of a rule's conditions (they must all hold).
public struct ConditionList: Sendable {
    public var conditions: [Condition] = []
    public init(_ conditions: [Condition] = []) { self.conditions = conditions }

    /// Every condition holds; a missing fact never matches. Walks the conditions in
    /// place (no copies, no reference counting): this is the evaluation loop.
    @inline(__always)
    public func matches(_ facts: FactSet) -> Bool {
        conditions.withUnsafeBufferPointer { cs in
            guard let base = cs.baseAddress else { return true }
            for i in 0..<cs.count where Condition.evaluate(base + i, facts) != .pass { return false }
            return true
        }
    }

    /// The first condition that does not hold, and why, or nil when all hold.
    public func firstFailure(_ facts: FactSet) -> (Condition, Condition.Outcome)? {
        for c in conditions {
            let o = c.evaluate(facts)
            if o != .pass { return (c, o) }
        }
        return nil
    }

    /// The facts these conditions read.
    public var slots: Set<Int> { Set(conditions.map(\.slot)) }
}
