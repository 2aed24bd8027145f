/// Compiled pricing rules: the price of a plan for a region, country and partner.
///
/// A plan has a base price in the base currency (optionally by effective date). A region
/// is a set of countries with a currency, a conversion rate from the base currency, a
/// price-point rounding and a tax treatment. Rules are a first-hit table, most specific
/// first, ending in a required catch-all: a rule may set an explicit price (an override
/// for one plan in one region), a discount (partner tiers), or neither (the list price).
public struct PricingRules: Sendable {
    public enum Rounding: Sendable, Equatable {
        case none
        /// To whole units of the currency.
        case whole
        /// To the nearest whole unit, less one minor unit (9.99, 90.99).
        case ending99
        /// To a multiple of this many minor units (JPY 100).
        case multiple(Int64)
    }

    public enum Tax: String, Sendable { case inclusive, exclusive }

    public struct Region: Sendable {
        public var name: String
        public var countries: [String]
        public var currency: Currency
        public var rate: ExactDecimal
        public var rounding: Rounding
        public var tax: Tax
        public var taxRate: ExactDecimal
    }

    public struct PlanPrice: Sendable {
        /// In effect from this day (nil: always); the latest one in effect applies.
        public var from: RuleDate?
        public var amount: Int64
    }

    public struct Rule: Sendable {
        public var id: String
        public var summary: String?
        public var conditions: ConditionList
        /// Explicit prices by currency (minor units): an override.
        public var price: [String: Int64]
        /// A percentage off the converted price.
        public var discount: ExactDecimal?
        public var position: SourcePosition
        public var isCatchAll: Bool { conditions.conditions.isEmpty }
    }

    public struct Test: Sendable {
        public var name: String
        public var request: QuoteRequest
        /// A usage test instead of a plan's: a meter's charge for a period's quantity.
        public var usage: UsageTest?
        public var expectPrice: Int64?
        public var expectCurrency: String?
        public var expectRule: String?
        public var expectError: Bool
        public var position: SourcePosition
    }

    public struct QuoteRequest: Sendable {
        public var plan: String
        public var country: String?
        public var region: String?
        public var partnerTier: String?
        public var date: RuleDate
        public init(plan: String, country: String? = nil, region: String? = nil, partnerTier: String? = nil, date: RuleDate) {
            self.plan = plan; self.country = country; self.region = region; self.partnerTier = partnerTier; self.date = date
        }
    }

    public struct Quote: Sendable, Equatable {
        /// The price shown: gross when tax is included, net when it is added.
        public var price: Int64
        public var currency: String
        public var net: Int64
        public var tax: Int64
        public var total: Int64
        public var taxIncluded: Bool
        public var region: String
        /// The deciding rule and how the price was made.
        public var rules: [String]
        public var steps: [String]
    }

    public enum QuoteError: Error, Sendable, Equatable {
        case unknownPlan(String)
        case unknownRegion(String)
        case unpricedCountry(String)
        case noPrice(String)
        case overflow
    }

    public static let facts = FactCatalog([
        FactDefinition("plan", .string, "the plan quoted"),
        FactDefinition("region", .string, "the pricing region"),
        FactDefinition("country", .string, "the customer's ISO 3166 country, when given"),
        FactDefinition("currency", .string, "the region's currency", values: Currency.all.keys.sorted()),
        FactDefinition("partner.tier", .string, "the partner's tier, when the quote is for a partner"),
        FactDefinition("date", .date, "the day of the quote (UTC)"),
    ])

    public let baseCurrency: Currency
    public let plans: [String: [PlanPrice]]
    public let regions: [String: Region]
    public let countryRegion: [String: String]
    /// The partner tiers, in the order the file lists them; the first is a new partner's.
    public let tiers: [String]
    public let rules: [Rule]
    public let tests: [Test]
    /// Metered usage and its prices by region.
    public let meters: [String: Meter]
    let table: ConditionTable

    /// The tier a partner gets when none is named.
    public var defaultTier: String { tiers.first ?? "standard" }

    init(baseCurrency: Currency, plans: [String: [PlanPrice]], regions: [String: Region], tiers: [String] = ["standard"],
         rules: [Rule], tests: [Test], meters: [String: Meter] = [:])
    {
        self.meters = meters
        self.baseCurrency = baseCurrency
        self.plans = plans
        self.regions = regions
        self.tiers = tiers
        var byCountry: [String: String] = [:]
        for (name, r) in regions { for c in r.countries { byCountry[c] = name } }
        countryRegion = byCountry
        self.rules = rules
        self.tests = tests
        table = ConditionTable(rules.map(\.conditions))
    }

    /// The base price of a plan on a day.
    func basePrice(_ plan: String, on date: RuleDate) -> Int64? {
        guard let prices = plans[plan] else { return nil }
        var best: PlanPrice? = nil
        for p in prices where (p.from.map { $0 <= date } ?? true) {
            if best == nil || (p.from ?? RuleDate(days: .min)) > (best!.from ?? RuleDate(days: .min)) { best = p }
        }
        return best?.amount
    }

    /// The quote; with `describe`, also the steps that made the price (for people:
    /// building them costs more than the price itself).
    public func quote(_ q: QuoteRequest, describe: Bool = false) -> Result<Quote, QuoteError> {
        guard let base = basePrice(q.plan, on: q.date) else { return .failure(.unknownPlan(q.plan)) }
        let regionName: String
        if let r = q.region {
            guard regions[r] != nil else { return .failure(.unknownRegion(r)) }
            regionName = r
        } else if let c = q.country {
            guard let r = countryRegion[c] else { return .failure(.unpricedCountry(c)) }
            regionName = r
        } else {
            return .failure(.unknownRegion(""))
        }
        let region = regions[regionName]!
        var f = FactSet(catalog: Self.facts)
        f[0] = .string(q.plan)
        f[1] = .string(regionName)
        if let c = q.country { f[2] = .string(c) }
        f[3] = .string(region.currency.code)
        if let t = q.partnerTier { f[4] = .string(t) }
        f[5] = .date(q.date)
        var start = 0
        while let r = table.firstMatch(from: start, f) {
            let rule = rules[r]
            if !rule.price.isEmpty && rule.price[region.currency.code] == nil {
                start = r + 1  // an override for other currencies does not apply here
                continue
            }
            return price(base: base, region: region, rule: rule, describe: describe)
        }
        return .failure(.noPrice(q.plan))
    }

    func price(base: Int64, region: Region, rule: Rule, describe: Bool) -> Result<Quote, QuoteError> {
        var steps: [String] = []
        var amount: Int64
        if let explicit = rule.price[region.currency.code] {
            amount = explicit
            if describe { steps.append("explicit price \(explicit) (\(rule.id))") }
        } else {
            // base minor units × rate × 10^(region exponent − base exponent), rounded once.
            let shift = region.currency.exponent - baseCurrency.exponent
            var numerator = Int128(base) * Int128(region.rate.mantissa)
            var denominator = Int128(ExactDecimal.pow10(region.rate.scale))
            if shift >= 0 { numerator *= Int128(ExactDecimal.pow10(shift)) } else { denominator *= Int128(ExactDecimal.pow10(-shift)) }
            guard let converted = ExactDecimal.divideHalfEven(numerator, denominator) else { return .failure(.overflow) }
            amount = converted
            if describe { steps.append("\(base) \(baseCurrency.code) at \(region.rate) = \(converted) \(region.currency.code)") }
            if let d = rule.discount {
                guard let off = d.apply(to: amount, dividingBy: 100) else { return .failure(.overflow) }
                amount -= off
                if describe { steps.append("\(d)% off (\(rule.id)) = \(amount)") }
            }
            let rounded = Self.round(amount, region.rounding, exponent: region.currency.exponent)
            if describe && rounded != amount { steps.append("price point \(rounded)") }
            amount = rounded
        }
        let quote: Quote
        switch region.tax {
        case .inclusive:
            let netNumerator = Int128(amount) * 100 * Int128(ExactDecimal.pow10(region.taxRate.scale))
            let netDenominator = Int128(100) * Int128(ExactDecimal.pow10(region.taxRate.scale)) + Int128(region.taxRate.mantissa)
            guard let net = ExactDecimal.divideHalfEven(netNumerator, netDenominator) else { return .failure(.overflow) }
            quote = Quote(price: amount, currency: region.currency.code, net: net, tax: amount - net, total: amount,
                          taxIncluded: true, region: region.name, rules: [rule.id], steps: steps)
        case .exclusive:
            guard let tax = region.taxRate.apply(to: amount, dividingBy: 100) else { return .failure(.overflow) }
            quote = Quote(price: amount, currency: region.currency.code, net: amount, tax: tax, total: amount + tax,
                          taxIncluded: false, region: region.name, rules: [rule.id], steps: steps)
        }
        return .success(quote)
    }

    static func round(_ amount: Int64, _ rounding: Rounding, exponent: Int) -> Int64 {
        let unit = ExactDecimal.pow10(exponent)
        switch rounding {
        case .none: return amount
        case .whole: return (ExactDecimal.divideHalfEven(Int128(amount), Int128(unit)) ?? 0) * unit
        case .ending99:
            guard unit > 1 else { return amount }
            let whole = (ExactDecimal.divideHalfEven(Int128(amount), Int128(unit)) ?? 0) * unit
            return max(unit - 1, whole - 1)
        case .multiple(let m): return (ExactDecimal.divideHalfEven(Int128(amount), Int128(m)) ?? 0) * m
        }
    }

    /// One rule's part in a quote, for `rules.explain`.
    public struct Trace: Sendable {
        public var rule: String
        public var matched: Bool
        public var because: String?
        public var missingFact: String?
    }

    /// Every rule's part, in order: the first that matched decided.
    public func explain(_ q: QuoteRequest) -> ([Trace], [String]) {
        let regionName = q.region ?? q.country.flatMap { countryRegion[$0] }
        var f = FactSet(catalog: Self.facts)
        f[0] = .string(q.plan)
        if let r = regionName { f[1] = .string(r) }
        if let c = q.country { f[2] = .string(c) }
        if let r = regionName, let region = regions[r] { f[3] = .string(region.currency.code) }
        if let t = q.partnerTier { f[4] = .string(t) }
        f[5] = .date(q.date)
        var traces: [Trace] = []
        var missing: [String] = []
        var decided = false
        for rule in rules {
            if decided {
                traces.append(Trace(rule: rule.id, matched: false, because: "not considered: an earlier rule decided"))
                continue
            }
            if let (c, outcome) = rule.conditions.firstFailure(f) {
                if outcome == .missing {
                    missing.append(c.fact)
                    traces.append(Trace(rule: rule.id, matched: false, because: "\(c.fact) was not supplied", missingFact: c.fact))
                } else {
                    traces.append(Trace(rule: rule.id, matched: false,
                                        because: "\(c.text) does not hold (\(c.fact) is \(f[c.slot]?.description ?? "absent"))"))
                }
                continue
            }
            if let r = regionName, let region = regions[r], !rule.price.isEmpty, rule.price[region.currency.code] == nil {
                traces.append(Trace(rule: rule.id, matched: false, because: "it has no price in \(region.currency.code)"))
                continue
            }
            traces.append(Trace(rule: rule.id, matched: true))
            decided = true
        }
        return (traces, Array(Set(missing)).sorted())
    }

    /// A usage test: the meter, where, the period's quantity, and the charge expected.
    public struct UsageTest: Sendable {
        public var meter: String
        public var region: String
        public var quantity: String
        public var expectAmount: Int64?
        public var expectCurrency: String?
        public var expectError: Bool
    }

    func run(_ u: UsageTest) -> String? {
        guard let meter = meters[u.meter] else { return "no meter '\(u.meter)'" }
        guard case .success(let units) = meter.units(u.quantity) else { return "quantity \(u.quantity) does not fit meter \(u.meter)" }
        switch usageCharge([(u.meter, Int128(units))], region: u.region) {
        case .success(let c):
            if u.expectError { return "expected no price, got \(c.amount) \(c.currency)" }
            if let a = u.expectAmount, a != c.amount { return "expected \(a), got \(c.amount) \(c.currency) (exactly \(c.exact))" }
            if let cur = u.expectCurrency, cur != c.currency { return "expected \(cur), got \(c.currency)" }
            return nil
        case .failure(let e):
            return u.expectError ? nil : "expected a price, got: \(e)"
        }
    }

    public func runTests(file: String = "pricing.yaml") -> [RuleTestResult] {
        tests.map { t in
            if let u = t.usage { return RuleTestResult(file: file, name: t.name, position: t.position, failure: run(u)) }
            let result = quote(t.request)
            var failure: String? = nil
            switch result {
            case .success(let q):
                if t.expectError {
                    failure = "expected no price, got \(q.price) \(q.currency)"
                } else if let p = t.expectPrice, p != q.price {
                    failure = "expected \(p), got \(q.price) \(q.currency) by \(q.rules.joined(separator: ", "))"
                } else if let c = t.expectCurrency, c != q.currency {
                    failure = "expected \(c), got \(q.currency)"
                } else if let r = t.expectRule, !q.rules.contains(r) {
                    failure = "expected the price of \(r), got \(q.rules.joined(separator: ", "))"
                }
            case .failure(let e):
                if !t.expectError { failure = "expected a price, got \(e)" }
            }
            return RuleTestResult(file: file, name: t.name, position: t.position, failure: failure)
        }
    }
}
