/// Typed reading of a rule file's node tree. Problems are collected as diagnostics (not
/// thrown) so that one check reports every problem in the file at once; a reader that
/// found problems answers nil for that part and the file is refused as a whole.
public final class NodeReader {
    public var sink: DiagnosticSink

    public init(file: String) { sink = DiagnosticSink(file: file) }

    /// Reads `text` as YAML and hands the tree to `compile`; answers its result only when
    /// no diagnostic was raised (a file is taken whole or not at all), and the
    /// diagnostics in file order.
    public static func compileFile<T>(_ text: String, file: String, _ compile: (RuleNode, NodeReader) -> T?) -> (T?, [RuleDiagnostic]) {
        var sink = DiagnosticSink(file: file)
        guard let root = RuleNodeReader.read(text, file: file, into: &sink) else { return (nil, sink.diagnostics) }
        let r = NodeReader(file: file)
        r.sink = sink
        let result = compile(root, r)
        return (r.diagnostics.isEmpty ? result : nil, r.sortedDiagnostics)
    }

    /// Records a rule's id (read straight from its mapping, so that a rule with other
    /// problems still claims its id) and reports a duplicate.
    public func registerID(_ rule: RuleNode, in ids: inout [String: SourcePosition]) {
        guard case .mapping(let entries, let position) = rule, let idNode = entries.first(where: { $0.key == "id" }),
              case .scalar(let id) = idNode.value
        else { return }
        if let first = ids[id.text] {
            error(position, "duplicate rule id '\(id.text)' (first at line \(first.line))")
        } else {
            ids[id.text] = position
        }
    }

    public var diagnostics: [RuleDiagnostic] { sink.diagnostics }

    /// In the order of the file, as a compiler lists them.
    public var sortedDiagnostics: [RuleDiagnostic] {
        sink.diagnostics.enumerated().sorted {
            ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
        }.map(\.element)
    }

    public func error(_ at: SourcePosition, _ message: String) { sink.error(at, message) }

    /// A mapping's entries, with unknown-key checking.
    public final class Fields {
        public let entries: [RuleNode.Entry]
        public let position: SourcePosition
        var used: Set<String> = []

        init(_ entries: [RuleNode.Entry], _ position: SourcePosition) {
            self.entries = entries
            self.position = position
        }

        public func take(_ key: String) -> RuleNode? {
            used.insert(key)
            return entries.first { $0.key == key }?.value
        }

        public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

        public func require(_ key: String, _ reader: NodeReader, in what: String) -> RuleNode? {
            guard let v = take(key) else {
                reader.error(position, "\(what) needs '\(key)'")
                return nil
            }
            return v
        }

        /// Reports every key that was not taken.
        public func finish(_ reader: NodeReader, in what: String) {
            let known = used.sorted()
            for e in entries where !used.contains(e.key) {
                let hint = Suggestion.closest(to: e.key, among: known)
                let expected = hint.isEmpty ? known : hint
                let list = expected.map { "'\($0)'" }.joined(separator: hint.isEmpty ? ", " : " or ")
                reader.error(e.keyPosition, "unknown key '\(e.key)' in \(what) (" + (hint.isEmpty ? "expected \(list))" : "did you mean \(list)?)"))
            }
        }
    }

    public func mapping(_ node: RuleNode, _ what: String) -> Fields? {
        guard case .mapping(let entries, let pos) = node else {
            error(node.position, "\(what) must be a mapping, found \(node.kindName)")
            return nil
        }
        return Fields(entries, pos)
    }

    public func list(_ node: RuleNode, _ what: String) -> [RuleNode]? {
        guard case .sequence(let items, _) = node else {
            error(node.position, "\(what) must be a list, found \(node.kindName)")
            return nil
        }
        return items
    }

    public func scalar(_ node: RuleNode, _ what: String) -> RuleNode.Scalar? {
        guard case .scalar(let s) = node, !(s.isPlain && (s.text == "null" || s.text == "~" || s.text.isEmpty)) else {
            error(node.position, "\(what) must be a value, found \(node.kindName)")
            return nil
        }
        return s
    }

    public func string(_ node: RuleNode, _ what: String) -> String? { scalar(node, what)?.text }

    /// A stable rule id: starts with a letter or digit, then letters, digits, '.', '_', '-'.
    public func identifier(_ node: RuleNode, _ what: String) -> String? {
        guard let s = scalar(node, what) else { return nil }
        let ok = !s.text.isEmpty && s.text.utf8.count <= 100 && s.text.utf8.allSatisfy { b in
            (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2E || b == 0x5F || b == 0x2D
        } && s.text.first != "." && s.text.first != "-"
        guard ok else {
            error(s.position, "\(what) '\(s.text)' must be 1-100 letters, digits, '.', '_' or '-'")
            return nil
        }
        return s.text
    }

    /// A short lower-case code (a tier, a region): 1-32 of a-z, 0-9 and '-', starting
    /// with a letter; what requests name them by.
    public func code(_ node: RuleNode, _ what: String) -> String? {
        guard let s = scalar(node, what) else { return nil }
        guard Self.isCode(s.text) else {
            error(s.position, "\(what) '\(s.text)' must be 1-32 characters of a-z, 0-9 and '-', starting with a letter")
            return nil
        }
        return s.text
    }

    public static func isCode(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return (1...32).contains(u.count) && (0x61...0x7A).contains(u[0])
            && u.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    public func bool(_ node: RuleNode, _ what: String) -> Bool? {
        guard case .scalar(let s) = node, s.isPlain, s.text == "true" || s.text == "false" else {
            error(node.position, "\(what) must be true or false")
            return nil
        }
        return s.text == "true"
    }

    /// An exact decimal read from the scalar's text ("12.5" or 12.5 alike).
    public func decimal(_ node: RuleNode, _ what: String) -> ExactDecimal? {
        guard let s = scalar(node, what) else { return nil }
        guard let d = ExactDecimal(s.text) else {
            error(s.position, "\(what) '\(s.text)' is not an exact decimal number (digits, an optional '.' and at most 12 decimals)")
            return nil
        }
        return d
    }

    /// A whole number in `range`.
    public func integer(_ node: RuleNode, _ what: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) -> Int64? {
        guard let s = scalar(node, what) else { return nil }
        guard let d = ExactDecimal(s.text), let i = d.integerValue, d.scale == 0 else {
            error(s.position, "\(what) '\(s.text)' must be a whole number")
            return nil
        }
        guard range.contains(i) else {
            error(s.position, "\(what) must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return i
    }

    public func percent(_ node: RuleNode, _ what: String) -> ExactDecimal? {
        guard let d = decimal(node, what) else { return nil }
        guard d >= ExactDecimal(0), d <= ExactDecimal(100) else {
            error(node.position, "\(what) must be between 0 and 100")
            return nil
        }
        return d
    }

    public func currency(_ node: RuleNode, _ what: String) -> Currency? {
        guard let s = scalar(node, what) else { return nil }
        return currency(code: s.text, at: s.position, what)
    }

    public func currency(code: String, at: SourcePosition, _ what: String) -> Currency? {
        guard let c = Currency.named(code) else {
            error(at, "\(what): unknown currency '\(code)' (an ISO 4217 code such as USD, EUR, JPY)")
            return nil
        }
        return c
    }

    public func date(_ node: RuleNode, _ what: String) -> RuleDate? {
        guard let s = scalar(node, what) else { return nil }
        guard let d = RuleDate(s.text) else {
            error(s.position, "\(what) '\(s.text)' is not a date (YYYY-MM-DD)")
            return nil
        }
        return d
    }

    /// A literal of the fact's type.
    func literal(_ node: RuleNode, for fact: FactDefinition) -> FactValue? {
        guard let s = scalar(node, "a value for \(fact.name)") else { return nil }
        switch fact.type {
        case .string:
            if !fact.values.isEmpty && !fact.values.contains(s.text) {
                error(s.position, "'\(s.text)' is not a value of \(fact.name) (one of: \(fact.values.joined(separator: ", ")))")
                return nil
            }
            return .string(s.text)
        case .number:
            guard let d = ExactDecimal(s.text) else {
                error(s.position, "\(fact.name) is a number; '\(s.text)' is not an exact decimal number")
                return nil
            }
            return .number(d)
        case .date:
            guard let d = RuleDate(s.text) else {
                error(s.position, "\(fact.name) is a date; '\(s.text)' is not YYYY-MM-DD")
                return nil
            }
            return .date(d)
        case .bool:
            guard s.isPlain, s.text == "true" || s.text == "false" else {
                error(s.position, "\(fact.name) is true or false, not '\(s.text)'")
                return nil
            }
            return .bool(s.text == "true")
        }
    }

    /// A `when:` mapping: `fact: value` (equals), `fact: [a, b]` (in), or
    /// `fact: {operator: operand, ...}`. All conditions must hold.
    public func conditions(_ node: RuleNode, catalog: FactCatalog) -> ConditionList? {
        guard case .mapping(let entries, _) = node else {
            error(node.position, "'when' must be a mapping of facts to conditions, found \(node.kindName)")
            return nil
        }
        var out: [Condition] = []
        var ok = true
        for e in entries {
            guard let slot = catalog.slot(e.key) else {
                error(e.keyPosition, "unknown fact '\(e.key)'" + Suggestion.hint(for: e.key, among: catalog.definitions.map(\.name)))
                ok = false
                continue
            }
            let fact = catalog[slot]
            switch e.value {
            case .scalar:
                guard let v = literal(e.value, for: fact) else { ok = false; continue }
                out.append(Condition(slot: slot, fact: fact.name, op: .equals, operands: [v], position: e.keyPosition))
            case .sequence(let items, _):
                let vs = items.compactMap { literal($0, for: fact) }
                guard vs.count == items.count, !vs.isEmpty else {
                    if items.isEmpty { error(e.value.position, "an empty list never matches") }
                    ok = false
                    continue
                }
                out.append(Condition(slot: slot, fact: fact.name, op: .in, operands: vs, position: e.keyPosition))
            case .mapping(let ops, _):
                for o in ops {
                    guard let op = ConditionOperator.spellings[o.key] else {
                        error(o.keyPosition, "unknown operator '\(o.key)' (equals, not_equals, in, not_in, <, <=, >, >=, between, exists)")
                        ok = false
                        continue
                    }
                    guard let c = condition(op, spelled: o.key, o.value, fact: fact, slot: slot, at: o.keyPosition) else { ok = false; continue }
                    out.append(c)
                }
            }
        }
        return ok ? ConditionList(out) : nil
    }

    func condition(_ op: ConditionOperator, spelled: String, _ node: RuleNode, fact: FactDefinition, slot: Int, at: SourcePosition) -> Condition? {
        func make(_ operands: [FactValue]) -> Condition {
            Condition(slot: slot, fact: fact.name, op: op, operands: operands, position: at)
        }
        switch op {
        case .exists:
            guard let b = bool(node, "exists") else { return nil }
            return make([.bool(b)])
        case .equals, .notEquals:
            return literal(node, for: fact).map { make([$0]) }
        case .in, .notIn:
            guard let items = list(node, "'\(spelled)'"), !items.isEmpty else {
                if case .sequence = node { error(node.position, "an empty list never matches") }
                return nil
            }
            let vs = items.compactMap { literal($0, for: fact) }
            return vs.count == items.count ? make(vs) : nil
        case .lt, .lte, .gt, .gte, .between:
            guard fact.type == .number || fact.type == .date else {
                error(at, "'\(spelled)' compares numbers or dates; \(fact.name) is a \(fact.type.rawValue)")
                return nil
            }
            if op == .between {
                guard let items = list(node, "'between'") else { return nil }
                guard items.count == 2 else {
                    error(node.position, "'between' takes [low, high]")
                    return nil
                }
                guard let lo = literal(items[0], for: fact), let hi = literal(items[1], for: fact) else { return nil }
                if (FactValue.compare(lo, hi) ?? 0) > 0 {
                    error(node.position, "'between' bounds are reversed: \(lo) is after \(hi)")
                    return nil
                }
                return make([lo, hi])
            }
            return literal(node, for: fact).map { make([$0]) }
        }
    }
}
