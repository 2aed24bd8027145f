/// Compiled commission rules: who earns what on a sale.
///
/// A table has a hit policy: `first` (the first matching rule decides) or `collect`
/// (every matching rule adds its lines: bonuses stack on a base rate). A rule pays the
/// seller and, when the seller is a reseller, an override to the partner above it (up
/// to `override_depth` levels). Amounts are in the sale's currency and minor units,
/// computed exactly and rounded half to even once per line.
public struct CommissionRules: Sendable {
    public enum HitPolicy: String, Sendable { case first, collect }

    /// How one beneficiary is paid.
    public enum Pay: Sendable {
        case percent(ExactDecimal)
        /// A flat amount per currency, in minor units.
        case flat([String: Int64])
        /// A percentage read from a fact (the reseller's own `commissionRate`).
        case rate(slot: Int, fact: String)
        case tiers(Tiers)
    }

    public struct Tiers: Sendable {
        public enum Mode: String, Sendable { case slab, marginal }
        public var basisSlot: Int
        public var basis: String
        public var mode: Mode
        /// Ascending exclusive upper bounds (minor units); the last band has none.
        public var bands: [(upTo: Int64?, percent: ExactDecimal)]
    }

    public struct Cap: Sendable {
        public var perSale: [String: Int64] = [:]
        public var perMonth: [String: Int64] = [:]
    }

    public struct Payment: Sendable {
        public var pay: Pay
        public var cap: Cap
        /// How a percent payment is described on its lines ("20%"), made once.
        public var label: String

        init(pay: Pay, cap: Cap) {
            self.pay = pay
            self.cap = cap
            if case .percent(let pct) = pay { label = "\(pct)%" } else { label = "" }
        }
    }

    public struct Rule: Sendable {
        public var id: String
        public var summary: String?
        public var conditions: ConditionList
        public var seller: Payment?
        public var overridePartner: Payment?
        public var holdDays: Int?
        public var position: SourcePosition
        public var isCatchAll: Bool { conditions.conditions.isEmpty }
    }

    public struct Test: Sendable {
        public var name: String
        public var facts: FactSet
        public var expected: [(to: Beneficiary, amount: Int64, rule: String?)]
        public var position: SourcePosition
    }

    public enum Beneficiary: String, Sendable { case seller, partner }

    /// One commission a sale earns.
    public struct Line: Sendable, Equatable {
        public var to: Beneficiary
        public var amount: Int64
        public var currency: String
        public var rule: String
        /// How the amount was found: "20%", "flat", "rate 12.5%", "slab 8%", "marginal".
        public var basis: String
    }

    public let hit: HitPolicy
    public let holdDays: Int
    public let overrideDepth: Int
    public let minimumPayout: [String: Int64]
    /// The most the commissions of one sale may add up to, in percent of the sale
    /// (`max_total_percent`, at most and by default 100): built in, whatever the rules say.
    public let maxTotalPercent: ExactDecimal
    /// The highest `commissionRate` a reseller may be given (`max_reseller_rate`, at most
    /// and by default 100).
    public let maxResellerRate: ExactDecimal
    /// Days the payouts created after a partner changes a payout destination wait before
    /// they may be processed (`destination_change_hold_days`, default 0): a changed
    /// destination is the classic fraud path, and the hold gives the partner time to see it.
    public let destinationChangeHoldDays: Int
    public let rules: [Rule]
    public let tests: [Test]

    /// The facts commission rules read: `CommissionFact`'s cases, in order.
    public static let facts = FactCatalog(CommissionFact.allCases.map(\.definition))
    static let amountSlot = CommissionFact.saleAmount.slot
    static let currencySlot = CommissionFact.saleCurrency.slot
    static let sellerKindSlot = CommissionFact.sellerKind.slot
    static let sellerEarnedSlot = CommissionFact.sellerEarnedMonth.slot
    static let partnerEarnedSlot = CommissionFact.partnerEarnedMonth.slot

    /// The store-derived facts the loaded rules read: the caller fetches only these.
    public let derivedFacts: [String]
    /// The same, as constants.
    public let derived: Set<CommissionFact>
    /// Every rule's conditions, flattened for the evaluation loop.
    let table: ConditionTable

    init(hit: HitPolicy, holdDays: Int, overrideDepth: Int, minimumPayout: [String: Int64], maxTotalPercent: ExactDecimal = ExactDecimal(100),
         maxResellerRate: ExactDecimal = ExactDecimal(100), destinationChangeHoldDays: Int = 0, rules: [Rule], tests: [Test])
    {
        self.destinationChangeHoldDays = destinationChangeHoldDays
        self.hit = hit
        self.holdDays = holdDays
        self.overrideDepth = overrideDepth
        self.minimumPayout = minimumPayout
        self.maxTotalPercent = maxTotalPercent
        self.maxResellerRate = maxResellerRate
        self.rules = rules
        self.tests = tests
        table = ConditionTable(rules.map(\.conditions))
        var slots = Set<Int>()
        func reads(_ p: Payment?, earned: Int) {
            guard let p else { return }
            if case .tiers(let t) = p.pay { slots.insert(t.basisSlot) }
            if case .rate(let s, _) = p.pay { slots.insert(s) }
            if !p.cap.perMonth.isEmpty { slots.insert(earned) }
        }
        for r in rules {
            slots.formUnion(r.conditions.slots)
            reads(r.seller, earned: Self.sellerEarnedSlot)
            reads(r.overridePartner, earned: Self.partnerEarnedSlot)
        }
        derivedFacts = slots.filter { Self.facts[$0].derived }.map { Self.facts[$0].name }.sorted()
        derived = Set(derivedFacts.compactMap(CommissionFact.init(rawValue:)))
    }

    /// A new, empty set of facts for this catalog.
    public static func newFacts() -> FactSet { FactSet(catalog: facts) }

    /// The commissions a sale earns. Facts must include `sale.amount` and
    /// `sale.currency`; a rule reading an absent fact does not match. Together they never
    /// pass the ceiling (see `ceiling`).
    public func evaluate(_ f: FactSet) -> [Line] {
        var lines: [Line] = []
        var note: String? = nil
        switch hit {
        case .first:
            if let r = table.firstMatch(f) { append(rules[r], f, into: &lines, note: &note) }
        case .collect:
            var next = 0
            while let r = table.firstMatch(from: next, f) {
                append(rules[r], f, into: &lines, note: &note)
                next = r + 1
            }
        }
        return applyCeiling(lines, f).lines
    }

    /// The most the commissions of a sale of `amount` may add up to: `maxTotalPercent`
    /// of it, rounded down (100% is the sale itself).
    public func ceiling(forSaleOf amount: Int64) -> Int64 {
        let n = Int128(amount) * Int128(maxTotalPercent.mantissa)
        let d = Int128(100) * Int128(ExactDecimal.pow10(maxTotalPercent.scale))
        return Int64(n / d)
    }

    /// When the lines add up to more than the ceiling, they are scaled down together to
    /// exactly the ceiling, in proportion (largest remainder, so no unit is lost), each
    /// line saying so in its basis. Answers the lines and whether they were scaled.
    func applyCeiling(_ lines: [Line], _ f: FactSet) -> (lines: [Line], scaled: Bool) {
        guard !lines.isEmpty, case .number(let d)? = f[Self.amountSlot], let amount = d.integerValue, amount >= 0 else {
            return (lines, false)
        }
        let limit = ceiling(forSaleOf: amount)
        let total = lines.reduce(Int128(0)) { $0 + Int128($1.amount) }
        guard total > Int128(limit) else { return (lines, false) }
        let parts = Allocation.largestRemainder(limit, weights: lines.map { max(0, $0.amount) })
        var scaled = lines
        for i in scaled.indices {
            scaled[i].amount = parts[i]
            scaled[i].basis += ", scaled down: a sale's commissions may not pass \(maxTotalPercent)% of it"
        }
        return (scaled, true)
    }

    /// The hold period that applies to what `evaluate` answered (the deciding rule's
    /// own, else the table's).
    public func holdDays(for lines: [Line]) -> Int {
        guard let first = lines.first, let rule = rules.first(where: { $0.id == first.rule }) else { return holdDays }
        return rule.holdDays ?? holdDays
    }

    func append(_ rule: Rule, _ f: FactSet, into lines: inout [Line], note: inout String?) {
        guard case .number(let amountDecimal)? = f[Self.amountSlot], let amount = amountDecimal.integerValue,
              case .string(let currency)? = f[Self.currencySlot]
        else {
            note = "sale.amount and sale.currency are needed"
            return
        }
        if let seller = rule.seller, let line = pay(seller, .seller, rule, amount: amount, currency: currency, f, note: &note) {
            lines.append(line)
        }
        if overrideDepth >= 1, let partner = rule.overridePartner, f[Self.sellerKindSlot] == .string("reseller"),
           let line = pay(partner, .partner, rule, amount: amount, currency: currency, f, note: &note)
        {
            lines.append(line)
        }
    }

    func pay(_ p: Payment, _ to: Beneficiary, _ rule: Rule, amount: Int64, currency: String, _ f: FactSet,
             note: inout String?) -> Line?
    {
        var value: Int64
        var basis: String
        switch p.pay {
        case .percent(let pct):
            guard let v = pct.apply(to: amount, dividingBy: 100) else { return nil }
            value = v
            basis = p.label
        case .flat(let amounts):
            guard let v = amounts[currency] else {
                note = "no flat amount in \(currency)"
                return nil
            }
            value = v
            basis = "flat"
        case .rate(let slot, let fact):
            guard case .number(let pct)? = f[slot] else {
                note = "\(fact) was not supplied"
                return nil
            }
            guard pct >= ExactDecimal(0), pct <= ExactDecimal(100) else {
                note = "\(fact) \(pct) is not a percentage between 0 and 100"
                return nil
            }
            guard let v = pct.apply(to: amount, dividingBy: 100) else { return nil }
            value = v
            basis = "rate \(pct)%"
        case .tiers(let t):
            guard case .number(let basisValue)? = f[t.basisSlot], let volume = basisValue.integerValue else {
                note = "\(t.basis) was not supplied"
                return nil
            }
            guard let (v, b) = Self.tiered(t, volume: volume, amount: amount) else { return nil }
            value = v
            basis = b
        }
        if let cap = p.cap.perSale[currency], value > cap { value = cap; basis += ", capped per sale" }
        if let cap = p.cap.perMonth[currency] {
            let slot = to == .seller ? Self.sellerEarnedSlot : Self.partnerEarnedSlot
            guard case .number(let earnedDecimal)? = f[slot], let earned = earnedDecimal.integerValue else {
                note = "\(Self.facts[slot].name) was not supplied (the rule has a monthly cap)"
                return nil
            }
            let room = Int64(clamping: max(0, Int128(cap) - Int128(earned)))
            if value > room { value = room; basis += ", capped per month" }
        }
        return Line(to: to, amount: value, currency: currency, rule: rule.id, basis: basis)
    }

    /// Slab: the band the volume before the sale falls in sets the rate for the whole
    /// sale. Marginal: the sale spans volume..volume+amount, and each band's part earns
    /// that band's rate; the parts are added exactly and rounded once.
    static func tiered(_ t: Tiers, volume: Int64, amount: Int64) -> (Int64, String)? {
        switch t.mode {
        case .slab:
            let band = t.bands.first { $0.upTo.map { volume < $0 } ?? true } ?? t.bands[t.bands.count - 1]
            return band.percent.apply(to: amount, dividingBy: 100).map { ($0, "slab \(band.percent)%") }
        case .marginal:
            // In Int128: the volume before the sale may be anything up to Int64's limit.
            var numerator: Int128 = 0
            var lower: Int128 = 0
            let start = Int128(volume), end = Int128(volume) + Int128(amount)
            for band in t.bands {
                let upper: Int128 = band.upTo.map { Int128($0) } ?? .max
                let from = max(start, lower), to = min(end, upper)
                if to > from { numerator += (to - from) * band.percent.normalized }
                lower = upper
                if upper >= end { break }
            }
            let denominator = Int128(100) * Int128(ExactDecimal.pow10(ExactDecimal.maxScale))
            return ExactDecimal.divideHalfEven(numerator, denominator).map { ($0, "marginal") }
        }
    }

    /// One rule's part, for `rules.explain`.
    public struct Trace: Sendable {
        public var rule: String
        public var matched: Bool
        public var because: String?
        public var missingFact: String?
        public var lines: [Line]
    }

    /// Every rule's part and the lines decided (after the ceiling; `scaled` says whether
    /// it applied).
    public func explain(_ f: FactSet) -> (lines: [Line], traces: [Trace], scaled: Bool) {
        var all: [Line] = []
        var traces: [Trace] = []
        var decided = false
        for rule in rules {
            if decided {
                traces.append(Trace(rule: rule.id, matched: false, because: "not considered: hit policy first, an earlier rule decided", lines: []))
                continue
            }
            if let (c, outcome) = rule.conditions.firstFailure(f) {
                if outcome == .missing {
                    traces.append(Trace(rule: rule.id, matched: false, because: "\(c.fact) was not supplied", missingFact: c.fact, lines: []))
                } else {
                    traces.append(Trace(rule: rule.id, matched: false,
                                        because: "\(c.text) does not hold (\(c.fact) is \(f[c.slot]?.description ?? "absent"))", lines: []))
                }
                continue
            }
            var lines: [Line] = []
            var note: String? = nil
            append(rule, f, into: &lines, note: &note)
            traces.append(Trace(rule: rule.id, matched: true, because: note, lines: lines))
            all += lines
            if hit == .first { decided = true }
        }
        let (decided_, scaled) = applyCeiling(all, f)
        return (decided_, traces, scaled)
    }
}

