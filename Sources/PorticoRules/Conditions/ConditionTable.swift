/// The conditions of a whole table of rules, flattened for evaluation: one contiguous
/// array of plain checks (no strings, no nested arrays) and one pool of operands, with
/// each rule's checks at a range. Evaluating a row walks memory in place; nothing is
/// copied, allocated or reference-counted per check.
public struct ConditionTable: Sendable {
    struct Check: Sendable {
        var slot: Int
        var op: ConditionOperator
        var start: Int
        var count: Int
    }

    let checks: [Check]
    let pool: [FactValue]
    let rows: [Range<Int>]

    public init(_ lists: [ConditionList]) {
        var checks: [Check] = []
        var pool: [FactValue] = []
        var rows: [Range<Int>] = []
        for list in lists {
            let first = checks.count
            for c in list.conditions {
                checks.append(Check(slot: c.slot, op: c.op, start: pool.count, count: c.operands.count))
                pool.append(contentsOf: c.operands)
            }
            rows.append(first..<checks.count)
        }
        self.checks = checks
        self.pool = pool
        self.rows = rows
    }

    public var count: Int { rows.count }

    /// Whether every condition of `row` holds.
    public func matches(row: Int, _ facts: FactSet) -> Bool {
        facts.values.withUnsafeBufferPointer { fv in
            checks.withUnsafeBufferPointer { cs in
                pool.withUnsafeBufferPointer { ops in Self.holds(rows[row], cs, ops, fv) }
            }
        }
    }

    /// The first row at or after `start` whose conditions all hold.
    public func firstMatch(from start: Int = 0, _ facts: FactSet) -> Int? {
        guard start < rows.count else { return nil }
        return facts.values.withUnsafeBufferPointer { fv in
            checks.withUnsafeBufferPointer { cs in
                pool.withUnsafeBufferPointer { ops in
                    rows.withUnsafeBufferPointer { rs in
                        for r in start..<rs.count where Self.holds(rs[r], cs, ops, fv) { return r }
                        return nil
                    }
                }
            }
        }
    }

    @inline(__always)
    static func holds(_ range: Range<Int>, _ cs: UnsafeBufferPointer<Check>, _ ops: UnsafeBufferPointer<FactValue>,
                      _ fv: UnsafeBufferPointer<FactValue?>) -> Bool
    {
        for k in range where !check(cs[k], ops, fv) { return false }
        return true
    }

    @inline(__always)
    static func check(_ c: Check, _ ops: UnsafeBufferPointer<FactValue>, _ fv: UnsafeBufferPointer<FactValue?>) -> Bool {
        outcome(c, ops, fv) == .pass
    }

    /// The comparison of one fact with its operands; an absent fact is `.missing`, except
    /// for `exists: false`, which it satisfies.
    @inline(__always)
    static func outcome(_ c: Check, _ ops: UnsafeBufferPointer<FactValue>, _ fv: UnsafeBufferPointer<FactValue?>) -> Condition.Outcome {
        let o = c.start
        guard case .some(let value) = fv[c.slot] else {
            if c.op == .exists, case .bool(let want) = ops[o] { return want ? .missing : .pass }
            return .missing
        }
        func result(_ b: Bool) -> Condition.Outcome { b ? .pass : .fail }
        switch c.op {
        case .exists:
            if case .bool(let want) = ops[o] { return result(want) }
            return .fail
        case .equals: return result(value == ops[o])
        case .notEquals: return result(value != ops[o])
        case .in:
            for i in o..<(o + c.count) where ops[i] == value { return .pass }
            return .fail
        case .notIn:
            for i in o..<(o + c.count) where ops[i] == value { return .fail }
            return .pass
        case .lt: return result((FactValue.compare(value, ops[o]) ?? 0) < 0)
        case .lte: return result((FactValue.compare(value, ops[o]) ?? 1) <= 0)
        case .gt: return result((FactValue.compare(value, ops[o]) ?? 0) > 0)
        case .gte: return result((FactValue.compare(value, ops[o]) ?? -1) >= 0)
        case .between:
            guard let lo = FactValue.compare(value, ops[o]), let hi = FactValue.compare(value, ops[o + 1]) else { return .fail }
            return result(lo >= 0 && hi <= 0)
        }
    }
}
