extension CommissionRules {
    /// Reads, validates and compiles `commission.yaml`; nil and the diagnostics when
    /// anything is wrong.
    public static func compile(_ text: String, file: String = "commission.yaml") -> (CommissionRules?, [RuleDiagnostic]) {
        NodeReader.compileFile(text, file: file) { root, r in compile(root, r) }
    }

    static func compile(_ root: RuleNode, _ r: NodeReader) -> CommissionRules? {
        guard let top = r.mapping(root, "the commission file") else { return nil }
        if let v = top.take("version"), let n = r.integer(v, "version"), n != 1 {
            r.error(v.position, "version \(n) is not supported (this engine reads version 1)")
        }
        var hit: HitPolicy = .first
        if let node = top.require("hit", r, in: "the commission file"), let s = r.string(node, "hit") {
            if let h = HitPolicy(rawValue: s) { hit = h } else { r.error(node.position, "hit must be first or collect, not '\(s)'") }
        }
        let holdDays = top.take("hold_days").flatMap { r.integer($0, "hold_days", in: 0...3650) }.map(Int.init) ?? 0
        let destinationHold = top.take("destination_change_hold_days")
            .flatMap { r.integer($0, "destination_change_hold_days", in: 0...365) }.map(Int.init) ?? 0
        let depth = top.take("override_depth").flatMap { r.integer($0, "override_depth", in: 0...5) }.map(Int.init) ?? 1
        var minimum: [String: Int64] = [:]
        if let node = top.take("minimum_payout") { minimum = amounts(node, "minimum_payout", r, allowZero: true) }
        let maxTotal = top.take("max_total_percent").flatMap { r.percent($0, "max_total_percent") } ?? ExactDecimal(100)
        let maxRate = top.take("max_reseller_rate").flatMap { r.percent($0, "max_reseller_rate") } ?? ExactDecimal(100)
        var rules: [Rule] = []
        var ids: [String: SourcePosition] = [:]
        var catchAll: Rule? = nil
        if let node = top.require("rules", r, in: "the commission file"), let items = r.list(node, "rules") {
            for item in items {
                r.registerID(item, in: &ids)
                guard let rule = compileRule(item, r) else { continue }
                if hit == .first, let c = catchAll {
                    r.error(rule.position, "rule '\(rule.id)' can never apply: it comes after the catch-all '\(c.id)' (line \(c.position.line)) in a first-hit table")
                }
                if rule.isCatchAll && catchAll == nil { catchAll = rule }
                rules.append(rule)
            }
        }
        var tests: [Test] = []
        if let node = top.take("tests"), let items = r.list(node, "tests") {
            for item in items {
                if let t = compileTest(item, r, ids: ids) { tests.append(t) }
            }
        }
        _ = top.take("$schema")
        top.finish(r, in: "the commission file")
        return CommissionRules(hit: hit, holdDays: holdDays, overrideDepth: depth, minimumPayout: minimum, maxTotalPercent: maxTotal,
                               maxResellerRate: maxRate, destinationChangeHoldDays: destinationHold, rules: rules, tests: tests)
    }

    /// `{USD: 5000, JPY: 500}`: whole minor units per known currency.
    static func amounts(_ node: RuleNode, _ what: String, _ r: NodeReader, allowZero: Bool = false) -> [String: Int64] {
        guard let f = r.mapping(node, what) else { return [:] }
        var out: [String: Int64] = [:]
        for e in f.entries {
            _ = f.take(e.key)
            guard r.currency(code: e.key, at: e.keyPosition, what) != nil else { continue }
            if let v = r.integer(e.value, "\(what).\(e.key) (minor units)", in: (allowZero ? 0 : 1)...(Int64(1) << 53)) { out[e.key] = v }
        }
        return out
    }

    static func compileRule(_ node: RuleNode, _ r: NodeReader) -> Rule? {
        guard let f = r.mapping(node, "a rule") else { return nil }
        let before = r.diagnostics.count
        let id = f.require("id", r, in: "a rule").flatMap { r.identifier($0, "id") } ?? ""
        let summary = f.take("description").flatMap { r.string($0, "description") }
        var conditions = f.take("when").flatMap { r.conditions($0, catalog: facts) }?.conditions ?? []
        if let node = f.take("recurring"), let rf = r.mapping(node, "recurring") {
            if let mNode = rf.require("months", r, in: "recurring"), let months = r.integer(mNode, "recurring.months", in: 1...600) {
                conditions.append(Condition(slot: CommissionFact.subscriptionMonth.slot, fact: CommissionFact.subscriptionMonth.rawValue, op: .lte,
                                            operands: [.number(ExactDecimal(months))], position: node.position))
            }
            rf.finish(r, in: "recurring")
        }
        if let node = f.take("first_purchase_only"), let b = r.bool(node, "first_purchase_only"), b {
            conditions.append(Condition(slot: CommissionFact.customerFirstPurchase.slot, fact: CommissionFact.customerFirstPurchase.rawValue, op: .equals,
                                        operands: [.bool(true)], position: node.position))
        }
        let seller = f.take("seller").flatMap { payment($0, "seller", r) }
        var partner: Payment? = nil
        if let node = f.take("override"), let of = r.mapping(node, "override") {
            partner = of.require("partner", r, in: "override").flatMap { payment($0, "override.partner", r) }
            of.finish(r, in: "override")
        }
        if seller == nil && partner == nil && r.diagnostics.count == before {
            r.error(f.position, "rule '\(id)' pays nobody: give it 'seller' or 'override'")
        }
        // The facts the seller's payment reads are conditions too: a rule that would read
        // an absent fact does not match (and explain names the fact), rather than paying
        // half of its commissions.
        if let seller {
            var reads: [Int] = []
            if case .tiers(let t) = seller.pay { reads.append(t.basisSlot) }
            if case .rate(let slot, _) = seller.pay { reads.append(slot) }
            if !seller.cap.perMonth.isEmpty { reads.append(sellerEarnedSlot) }
            for slot in reads where !conditions.contains(where: { $0.slot == slot && $0.op == .exists }) {
                conditions.append(Condition(slot: slot, fact: facts[slot].name, op: .exists, operands: [.bool(true)], position: f.position))
            }
        }
        let hold = f.take("hold_days").flatMap { r.integer($0, "hold_days", in: 0...3650) }.map(Int.init)
        f.finish(r, in: "rule '\(id)'")
        guard r.diagnostics.count == before else { return nil }
        return Rule(id: id, summary: summary, conditions: ConditionList(conditions), seller: seller, overridePartner: partner,
                    holdDays: hold, position: f.position)
    }

    /// Exactly one of `percent`, `flat`, `rate`, `tiers`, and an optional `cap`.
    static func payment(_ node: RuleNode, _ what: String, _ r: NodeReader) -> Payment? {
        guard let f = r.mapping(node, what) else { return nil }
        let before = r.diagnostics.count
        let kinds = ["percent", "flat", "rate", "tiers"].filter { f.has($0) }
        guard kinds.count == 1 else {
            r.error(f.position, "\(what) needs exactly one of percent, flat, rate, tiers" + (kinds.isEmpty ? "" : " (found \(kinds.joined(separator: ", ")))"))
            for k in ["percent", "flat", "rate", "tiers", "cap"] { _ = f.take(k) }
            return nil
        }
        var pay: Pay? = nil
        if let n = f.take("percent") { pay = r.percent(n, "\(what).percent").map { .percent($0) } }
        if let n = f.take("flat") {
            let a = amounts(n, "\(what).flat", r)
            if !a.isEmpty { pay = .flat(a) }
        }
        if let n = f.take("rate"), let fact = r.string(n, "\(what).rate") {
            if let slot = facts.slot(fact), facts[slot].type == .number {
                pay = .rate(slot: slot, fact: fact)
            } else {
                r.error(n.position, "\(what).rate must name a number fact holding a percentage, such as reseller.commissionRate")
            }
        }
        if let n = f.take("tiers") { pay = tiers(n, "\(what).tiers", r).map { .tiers($0) } }
        var cap = Cap()
        if let n = f.take("cap"), let cf = r.mapping(n, "\(what).cap") {
            if let s = cf.take("per_sale") { cap.perSale = amounts(s, "\(what).cap.per_sale", r) }
            if let m = cf.take("per_month") { cap.perMonth = amounts(m, "\(what).cap.per_month", r) }
            cf.finish(r, in: "\(what).cap")
        }
        f.finish(r, in: what)
        guard r.diagnostics.count == before, let pay else { return nil }
        return Payment(pay: pay, cap: cap)
    }

    static func tiers(_ node: RuleNode, _ what: String, _ r: NodeReader) -> Tiers? {
        guard let f = r.mapping(node, what) else { return nil }
        let before = r.diagnostics.count
        var basisSlot = 0, basis = ""
        if let n = f.require("basis", r, in: what), let s = r.string(n, "\(what).basis") {
            if let slot = facts.slot(s), facts[slot].type == .number, s.contains("volume") {
                basisSlot = slot
                basis = s
            } else {
                let volumes = facts.definitions.map(\.name).filter { $0.contains("volume") }
                r.error(n.position, "\(what).basis must be a volume fact (\(volumes.joined(separator: ", ")))")
            }
        }
        var mode: Tiers.Mode = .slab
        if let n = f.require("mode", r, in: what), let s = r.string(n, "\(what).mode") {
            if let m = Tiers.Mode(rawValue: s) { mode = m } else { r.error(n.position, "\(what).mode must be slab or marginal, not '\(s)'") }
        }
        var bands: [(upTo: Int64?, percent: ExactDecimal)] = []
        if let n = f.require("bands", r, in: what), let items = r.list(n, "\(what).bands") {
            if items.isEmpty { r.error(n.position, "\(what).bands needs at least one band") }
            var previous: Int64 = 0
            for (i, item) in items.enumerated() {
                guard let bf = r.mapping(item, "a band") else { continue }
                let pct = bf.require("percent", r, in: "a band").flatMap { r.percent($0, "percent") }
                var upTo: Int64? = nil
                if let u = bf.take("up_to") {
                    upTo = r.integer(u, "up_to (minor units)", in: 1...(Int64(1) << 53))
                    if let v = upTo, v <= previous { r.error(u.position, "bands must rise: up_to \(v) is not above \(previous)") }
                    if i == items.count - 1 { r.error(u.position, "the last band must be open (no up_to): sales above every bound need a rate") }
                    previous = upTo ?? previous
                } else if i < items.count - 1 {
                    r.error(bf.position, "only the last band may leave out up_to")
                }
                bf.finish(r, in: "a band")
                if let pct { bands.append((upTo, pct)) }
            }
        }
        f.finish(r, in: what)
        guard r.diagnostics.count == before else { return nil }
        return Tiers(basisSlot: basisSlot, basis: basis, mode: mode, bands: bands)
    }

    static func compileTest(_ node: RuleNode, _ r: NodeReader, ids: [String: SourcePosition]) -> Test? {
        guard let f = r.mapping(node, "a test") else { return nil }
        let before = r.diagnostics.count
        let name = f.require("name", r, in: "a test").flatMap { r.string($0, "name") } ?? "?"
        var set = FactSet(catalog: facts)
        if let n = f.require("facts", r, in: "test '\(name)'"), let ff = r.mapping(n, "facts") {
            for e in ff.entries {
                _ = ff.take(e.key)
                guard let slot = facts.slot(e.key) else {
                    r.error(e.keyPosition, "unknown fact '\(e.key)'" + Suggestion.hint(for: e.key, among: facts.definitions.map(\.name)))
                    continue
                }
                set[slot] = r.literal(e.value, for: facts[slot])
            }
        }
        var expected: [(to: Beneficiary, amount: Int64, rule: String?)] = []
        if let n = f.require("expect", r, in: "test '\(name)'"), let items = r.list(n, "expect") {
            for item in items {
                guard let ef = r.mapping(item, "an expected commission") else { continue }
                var to: Beneficiary = .seller
                if let t = ef.require("to", r, in: "an expected commission"), let s = r.string(t, "to") {
                    if let b = Beneficiary(rawValue: s) { to = b } else { r.error(t.position, "to must be seller or partner") }
                }
                let amount = ef.require("amount", r, in: "an expected commission").flatMap { r.integer($0, "amount (minor units)") } ?? 0
                var rule: String? = nil
                if let rn = ef.take("rule"), let s = r.string(rn, "rule") {
                    if ids[s] == nil { r.error(rn.position, "no rule has the id '\(s)'") }
                    rule = s
                }
                ef.finish(r, in: "an expected commission")
                expected.append((to, amount, rule))
            }
        }
        f.finish(r, in: "test '\(name)'")
        guard r.diagnostics.count == before else { return nil }
        return Test(name: name, facts: set, expected: expected, position: f.position)
    }

    public func runTests(file: String = "commission.yaml") -> [RuleTestResult] {
        tests.map { t in
            let got = evaluate(t.facts)
            let gotText = got.map { "\($0.to.rawValue) \($0.amount) by \($0.rule)" }
            let want = t.expected.map { "\($0.to.rawValue) \($0.amount)" + ($0.rule.map { " by \($0)" } ?? "") }
            let matches = got.count == t.expected.count && zip(got, t.expected).allSatisfy { g, e in
                g.to == e.to && g.amount == e.amount && (e.rule == nil || e.rule == g.rule)
            }
            return RuleTestResult(file: file, name: t.name, position: t.position,
                                  failure: matches ? nil : "expected [\(want.joined(separator: ", "))], got [\(gotText.joined(separator: ", "))]")
        }
    }
}
