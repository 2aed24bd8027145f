extension PricingRules {
    /// The plan of the sales that close a period's metered usage (kind `usage`).
    public static let usagePlan = "usage"

    /// Reads, validates and compiles `pricing.yaml`; nil and the diagnostics when anything
    /// is wrong.
    public static func compile(_ text: String, file: String = "pricing.yaml") -> (PricingRules?, [RuleDiagnostic]) {
        NodeReader.compileFile(text, file: file) { root, r in compile(root, r) }
    }

    static func compile(_ root: RuleNode, _ r: NodeReader) -> PricingRules? {
        guard let top = r.mapping(root, "the pricing file") else { return nil }
        if let v = top.take("version"), let n = r.integer(v, "version"), n != 1 {
            r.error(v.position, "version \(n) is not supported (this engine reads version 1)")
        }
        let base = top.require("base_currency", r, in: "the pricing file").flatMap { r.currency($0, "base_currency") }
            ?? Currency.named("USD")!
        var plans: [String: [PlanPrice]] = [:]
        if let node = top.require("plans", r, in: "the pricing file"), let pf = r.mapping(node, "plans") {
            for e in pf.entries {
                _ = pf.take(e.key)
                if e.key == usagePlan { r.error(e.keyPosition, "the plan name '\(usagePlan)' is kept for the sales of metered usage (see meters)") }
                if let prices = planPrices(e.value, "plans.\(e.key)", r) { plans[e.key] = prices }
            }
            if pf.entries.isEmpty { r.error(node.position, "plans needs at least one plan") }
        }
        var tiers: [String] = []
        if let node = top.take("tiers"), let items = r.list(node, "tiers") {
            for item in items {
                guard let t = r.code(item, "a tier") else { continue }
                if tiers.contains(t) { r.error(item.position, "tier '\(t)' is listed twice") }
                tiers.append(t)
            }
            if items.isEmpty { r.error(node.position, "tiers needs at least one tier (the first is a new partner's)") }
        }
        var regions: [String: Region] = [:]
        var countryAt: [String: (String, SourcePosition)] = [:]
        if let node = top.require("regions", r, in: "the pricing file"), let rf = r.mapping(node, "regions") {
            for e in rf.entries {
                _ = rf.take(e.key)
                if !NodeReader.isCode(e.key) {
                    r.error(e.keyPosition, "region '\(e.key)' must be 1-32 characters of a-z, 0-9 and '-', starting with a letter")
                }
                guard let region = region(e.key, e.value, r) else { continue }
                for (i, c) in region.countries.enumerated() {
                    if let (other, _) = countryAt[c] {
                        r.error(e.value.position, "country \(c) is in both \(other) and \(e.key)")
                    }
                    countryAt[c] = (e.key, e.value.position)
                    _ = i
                }
                regions[e.key] = region
            }
        }
        var rules: [Rule] = []
        var ids: [String: SourcePosition] = [:]
        var catchAll: Rule? = nil
        if let node = top.require("rules", r, in: "the pricing file"), let items = r.list(node, "rules") {
            for item in items {
                r.registerID(item, in: &ids)
                guard let rule = rule(item, r, plans: plans, regions: regions) else { continue }
                if let c = catchAll {
                    r.error(rule.position, "rule '\(rule.id)' can never apply: it comes after the catch-all '\(c.id)' (line \(c.position.line))")
                }
                if rule.isCatchAll && catchAll == nil { catchAll = rule }
                rules.append(rule)
            }
            if catchAll == nil && r.diagnostics.isEmpty {
                r.error(node.position, "the rules need a catch-all (a last rule without 'when') so that every plan in every region has a price")
            }
        }
        var meters: [String: Meter] = [:]
        if let node = top.take("meters"), let mf = r.mapping(node, "meters") {
            for e in mf.entries {
                _ = mf.take(e.key)
                if !NodeReader.isCode(e.key) {
                    r.error(e.keyPosition, "meter '\(e.key)' must be 1-32 characters of a-z, 0-9 and '-', starting with a letter")
                }
                if let m = meter(e.key, e.value, r, regions: regions) { meters[e.key] = m }
            }
        }
        var tests: [Test] = []
        if let node = top.take("tests"), let items = r.list(node, "tests") {
            for item in items { if let t = test(item, r, ids: ids, meters: meters, regions: regions) { tests.append(t) } }
        }
        _ = top.take("$schema")
        top.finish(r, in: "the pricing file")
        return PricingRules(baseCurrency: base, plans: plans, regions: regions, tiers: tiers.isEmpty ? ["standard"] : tiers,
                            rules: rules, tests: tests, meters: meters)
    }

    /// `9900`, or `[{from: 2027-01-01, price: 10900}, {price: 9900}]`.
    static func planPrices(_ node: RuleNode, _ what: String, _ r: NodeReader) -> [PlanPrice]? {
        if case .scalar = node {
            return r.integer(node, "\(what) (minor units)", in: 0...(Int64(1) << 53)).map { [PlanPrice(from: nil, amount: $0)] }
        }
        guard let items = r.list(node, what) else { return nil }
        var out: [PlanPrice] = []
        var undated = 0
        for item in items {
            guard let f = r.mapping(item, "a price of \(what)") else { continue }
            let from = f.take("from").flatMap { r.date($0, "from") }
            if from == nil { undated += 1 }
            if let amount = f.require("price", r, in: "a price of \(what)").flatMap({ r.integer($0, "price (minor units)", in: 0...(Int64(1) << 53)) }) {
                if let d = from, out.contains(where: { $0.from == d }) { r.error(item.position, "two prices from \(d)") }
                out.append(PlanPrice(from: from, amount: amount))
            }
            f.finish(r, in: "a price of \(what)")
        }
        if undated != 1 { r.error(node.position, "\(what) needs exactly one price without 'from' (the price before any dated one)") }
        return out
    }

    static func region(_ name: String, _ node: RuleNode, _ r: NodeReader) -> Region? {
        guard let f = r.mapping(node, "regions.\(name)") else { return nil }
        let before = r.diagnostics.count
        var countries: [String] = []
        if let n = f.require("countries", r, in: "regions.\(name)"), let items = r.list(n, "countries") {
            for item in items {
                guard let c = r.string(item, "a country") else { continue }
                if !Country.codes.contains(c) {
                    r.error(item.position, "'\(c)' is not an assigned ISO 3166-1 alpha-2 country code (two capital letters, such as DE or JP)")
                }
                countries.append(c)
            }
            if items.isEmpty { r.error(n.position, "a region needs at least one country") }
        }
        let currency = f.require("currency", r, in: "regions.\(name)").flatMap { r.currency($0, "currency") }
        let rate = f.take("rate").flatMap { r.decimal($0, "rate") } ?? ExactDecimal(1)
        if rate <= ExactDecimal(0) { r.error(f.position, "regions.\(name).rate must be above 0") }
        var rounding: Rounding = .none
        if let n = f.take("rounding") {
            switch n {
            case .scalar(let s):
                switch s.text {
                case "none": rounding = .none
                case "whole": rounding = .whole
                case "ending-99": rounding = .ending99
                default: r.error(s.position, "rounding must be none, whole, ending-99 or {multiple: N}, not '\(s.text)'")
                }
            default:
                if let rf = r.mapping(n, "rounding"), let m = rf.require("multiple", r, in: "rounding").flatMap({ r.integer($0, "multiple (minor units)", in: 1...1_000_000) }) {
                    rounding = .multiple(m)
                    rf.finish(r, in: "rounding")
                }
            }
        }
        var tax: Tax = .exclusive
        if let n = f.take("tax"), let s = r.string(n, "tax") {
            if let t = Tax(rawValue: s) { tax = t } else { r.error(n.position, "tax must be inclusive or exclusive, not '\(s)'") }
        }
        let taxRate = f.take("tax_rate").flatMap { r.percent($0, "tax_rate") } ?? ExactDecimal(0)
        f.finish(r, in: "regions.\(name)")
        guard r.diagnostics.count == before, let currency else { return nil }
        if case .ending99 = rounding, currency.exponent == 0 {
            r.error(f.position, "ending-99 needs a currency with minor units; \(currency.code) has none (use {multiple: N})")
            return nil
        }
        return Region(name: name, countries: countries, currency: currency, rate: rate, rounding: rounding, tax: tax, taxRate: taxRate)
    }

    static func rule(_ node: RuleNode, _ r: NodeReader, plans: [String: [PlanPrice]], regions: [String: Region]) -> Rule? {
        guard let f = r.mapping(node, "a rule") else { return nil }
        let before = r.diagnostics.count
        let id = f.require("id", r, in: "a rule").flatMap { r.identifier($0, "id") } ?? ""
        let summary = f.take("description").flatMap { r.string($0, "description") }
        let conditions = f.take("when").flatMap { r.conditions($0, catalog: facts) } ?? ConditionList()
        // Plans and regions named in conditions must exist.
        for c in conditions.conditions where c.fact == "plan" || c.fact == "region" {
            for case .string(let v) in c.operands where (c.fact == "plan" ? plans[v] == nil : regions[v] == nil) {
                r.error(c.position, "unknown \(c.fact) '\(v)'" + Suggestion.hint(for: v, among: c.fact == "plan" ? Array(plans.keys) : Array(regions.keys)))
            }
        }
        var price: [String: Int64] = [:]
        if let n = f.take("price") { price = CommissionRules.amounts(n, "price", r) }
        let discount = f.take("discount").flatMap { r.percent($0, "discount") }
        if !price.isEmpty && discount != nil { r.error(f.position, "rule '\(id)' sets a price and a discount: give one") }
        f.finish(r, in: "rule '\(id)'")
        guard r.diagnostics.count == before else { return nil }
        return Rule(id: id, summary: summary, conditions: conditions, price: price, discount: discount, position: f.position)
    }

    /// `gpu-hours: {unit: hour, decimals: 6, prices: {us: "250", eu: [{up_to: 1000, price: "230"}, {price: "210"}]}}`.
    static func meter(_ name: String, _ node: RuleNode, _ r: NodeReader, regions: [String: Region]) -> Meter? {
        let what = "meters.\(name)"
        guard let f = r.mapping(node, what) else { return nil }
        let before = r.diagnostics.count
        let summary = f.take("description").flatMap { r.string($0, "description") }
        let unit = f.require("unit", r, in: what).flatMap { r.string($0, "unit") } ?? ""
        let decimals = f.take("decimals").flatMap { r.integer($0, "decimals", in: 0...9) } ?? 0
        var prices: [String: [Meter.Band]] = [:]
        if let n = f.require("prices", r, in: what), let pf = r.mapping(n, "\(what).prices") {
            for e in pf.entries {
                _ = pf.take(e.key)
                guard regions[e.key] != nil else {
                    r.error(e.keyPosition, "unknown region '\(e.key)'" + Suggestion.hint(for: e.key, among: Array(regions.keys)))
                    continue
                }
                if let bands = meterBands(e.value, "\(what).prices.\(e.key)", r) { prices[e.key] = bands }
            }
            if pf.entries.isEmpty { r.error(n.position, "\(what).prices needs at least one region") }
        }
        f.finish(r, in: what)
        guard r.diagnostics.count == before else { return nil }
        return Meter(name: name, summary: summary, unit: unit, decimals: Int(decimals), prices: prices, position: f.position)
    }

    /// `"0.25"`, or graduated bands `[{up_to: 1000000, price: "0.0002"}, {price: "0.00015"}]`,
    /// the bounds rising, the last without one.
    static func meterBands(_ node: RuleNode, _ what: String, _ r: NodeReader) -> [Meter.Band]? {
        func price(_ n: RuleNode, _ what: String) -> ExactDecimal? {
            guard let d = r.decimal(n, what) else { return nil }
            guard d >= ExactDecimal(0) else { r.error(n.position, "\(what) must not be negative"); return nil }
            guard d.scale <= Meter.maxPriceScale else {
                r.error(n.position, "\(what) has more than \(Meter.maxPriceScale) decimal places (a price is minor units per unit)")
                return nil
            }
            return d
        }
        if case .scalar = node { return price(node, "\(what) (minor units per unit)").map { [Meter.Band(upTo: nil, price: $0)] } }
        guard let items = r.list(node, what) else { return nil }
        var bands: [Meter.Band] = []
        for (i, item) in items.enumerated() {
            guard let bf = r.mapping(item, "a band of \(what)") else { continue }
            let upTo = bf.take("up_to").flatMap { r.integer($0, "up_to (units of the period's total)", in: 1...Meter.maxUnits) }
            if let p = bf.require("price", r, in: "a band of \(what)").flatMap({ price($0, "price (minor units per unit)") }) {
                if i < items.count - 1 && upTo == nil { r.error(item.position, "only the last band of \(what) may leave out up_to") }
                if i == items.count - 1 && upTo != nil { r.error(item.position, "the last band of \(what) must leave out up_to (it takes the rest)") }
                if let u = upTo, let last = bands.last?.upTo, u <= last {
                    r.error(item.position, "up_to \(u) must be above the band before's \(last)")
                }
                bands.append(Meter.Band(upTo: upTo, price: p))
            }
            bf.finish(r, in: "a band of \(what)")
        }
        if items.isEmpty { r.error(node.position, "\(what) needs at least one band") }
        return bands
    }

    static func test(_ node: RuleNode, _ r: NodeReader, ids: [String: SourcePosition], meters: [String: Meter] = [:],
                     regions: [String: Region] = [:]) -> Test?
    {
        guard let f = r.mapping(node, "a test") else { return nil }
        let before = r.diagnostics.count
        let name = f.require("name", r, in: "a test").flatMap { r.string($0, "name") } ?? "?"
        if let m = f.take("meter") { return usageTest(name, meter: m, f, r, meters: meters, regions: regions, before: before) }
        let plan = f.require("plan", r, in: "test '\(name)'").flatMap { r.string($0, "plan") } ?? ""
        let country = f.take("country").flatMap { r.string($0, "country") }
        let region = f.take("region").flatMap { r.string($0, "region") }
        if country == nil && region == nil { r.error(f.position, "test '\(name)' needs a country or a region") }
        let tier = f.take("partner_tier").flatMap { r.string($0, "partner_tier") }
        let date = f.take("date").flatMap { r.date($0, "date") } ?? RuleDate("2027-01-01")!
        var expectPrice: Int64? = nil, expectCurrency: String? = nil, expectRule: String? = nil, expectError = false
        if let n = f.require("expect", r, in: "test '\(name)'") {
            if case .scalar(let s) = n, s.text == "no-price" {
                expectError = true
            } else if let ef = r.mapping(n, "expect") {
                expectPrice = ef.take("price").flatMap { r.integer($0, "price (minor units)") }
                expectCurrency = ef.take("currency").flatMap { r.string($0, "currency") }
                if let rn = ef.take("rule"), let s = r.string(rn, "rule") {
                    if ids[s] == nil { r.error(rn.position, "no rule has the id '\(s)'") }
                    expectRule = s
                }
                ef.finish(r, in: "expect")
            }
        }
        f.finish(r, in: "test '\(name)'")
        guard r.diagnostics.count == before else { return nil }
        return Test(name: name, request: QuoteRequest(plan: plan, country: country, region: region, partnerTier: tier, date: date),
                    usage: nil, expectPrice: expectPrice, expectCurrency: expectCurrency, expectRule: expectRule, expectError: expectError,
                    position: f.position)
    }

    /// `{name, meter: gpu-hours, region: us (or country: US), quantity: "12.5", expect: {amount: 3125, currency: USD} | no-price}`.
    static func usageTest(_ name: String, meter node: RuleNode, _ f: NodeReader.Fields, _ r: NodeReader, meters: [String: Meter],
                          regions: [String: Region], before: Int) -> Test?
    {
        let meter = r.string(node, "meter") ?? ""
        if meters[meter] == nil { r.error(node.position, "no meter '\(meter)'" + Suggestion.hint(for: meter, among: Array(meters.keys))) }
        var region = f.take("region").flatMap { r.string($0, "region") }
        if let c = f.take("country") {
            if let code = r.string(c, "country") {
                if let found = regions.first(where: { $0.value.countries.contains(code) })?.key { region = found } else {
                    r.error(c.position, "no pricing region includes country \(code)")
                }
            }
        }
        if region == nil && r.diagnostics.count == before { r.error(f.position, "test '\(name)' needs a region or a country") }
        let quantity = f.require("quantity", r, in: "test '\(name)'").flatMap { r.string($0, "quantity") } ?? "0"
        if let m = meters[meter], case .failure(let e) = m.units(quantity) { r.error(f.position, "test '\(name)': quantity \(quantity) \(e)") }
        var amount: Int64? = nil, currency: String? = nil, noPrice = false
        if let n = f.require("expect", r, in: "test '\(name)'") {
            if case .scalar(let s) = n, s.text == "no-price" {
                noPrice = true
            } else if let ef = r.mapping(n, "expect") {
                amount = ef.take("amount").flatMap { r.integer($0, "amount (minor units)") }
                currency = ef.take("currency").flatMap { r.string($0, "currency") }
                ef.finish(r, in: "expect")
            }
        }
        f.finish(r, in: "test '\(name)'")
        guard r.diagnostics.count == before, let region else { return nil }
        return Test(name: name, request: QuoteRequest(plan: "", region: region, date: RuleDate("2027-01-01")!),
                    usage: UsageTest(meter: meter, region: region, quantity: quantity, expectAmount: amount, expectCurrency: currency,
                                     expectError: noPrice),
                    expectPrice: nil, expectCurrency: nil, expectRule: nil, expectError: false, position: f.position)
    }
}
