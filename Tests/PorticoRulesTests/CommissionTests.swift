import PropertyBased
import Testing
@testable import PorticoRules

func commission(_ text: String) -> (CommissionRules?, [String]) {
    let (rules, diagnostics) = CommissionRules.compile(text, file: "c.yaml")
    return (rules, diagnostics.map(\.description))
}

func saleFacts(_ values: [String: FactValue]) -> FactSet {
    var f = CommissionRules.newFacts()
    for (k, v) in values { f[CommissionRules.facts.slot(k)!] = v }
    return f
}

func money(_ n: Int64) -> FactValue { .number(ExactDecimal(n)) }

@Suite struct CommissionDiagnosticTests {
    func first(_ text: String) -> String? { commission(text).1.first }

    @Test func aRuleAfterTheCatchAllCanNeverApply() {
        #expect(first("""
            hit: first
            rules:
              - { id: everyone, seller: { percent: "20" } }
              - { id: resellers, when: { seller.kind: reseller }, seller: { percent: "8" } }
            """) == "c.yaml:4:5: rule 'resellers' can never apply: it comes after the catch-all 'everyone' (line 3) in a first-hit table")
        // Under collect, every matching rule adds: no rule is unreachable.
        #expect(first("hit: collect\nrules:\n  - { id: a, seller: { percent: \"20\" } }\n  - { id: b, seller: { percent: \"1\" } }\n") == nil)
    }

    @Test func paymentsAndBands() {
        #expect(first("hit: first\nrules:\n  - { id: a, seller: { percent: \"20\", flat: { USD: 5 } } }\n")
            == "c.yaml:3:22: seller needs exactly one of percent, flat, rate, tiers (found percent, flat)")
        #expect(first("hit: first\nrules:\n  - { id: a, seller: { percent: \"12.5.1\" } }\n")
            == "c.yaml:3:33: seller.percent '12.5.1' is not an exact decimal number (digits, an optional '.' and at most 12 decimals)")
        #expect(first("hit: first\nrules:\n  - { id: a, seller: { percent: 120 } }\n") == "c.yaml:3:33: seller.percent must be between 0 and 100")
        #expect(first("hit: first\nrules:\n  - { id: a, seller: { flat: { USX: 5 } } }\n")
            == "c.yaml:3:32: seller.flat: unknown currency 'USX' (an ISO 4217 code such as USD, EUR, JPY)")
        #expect(first("hit: first\nrules:\n  - { id: a, seller: { flat: { USD: 5.5 } } }\n")
            == "c.yaml:3:37: seller.flat.USD (minor units) '5.5' must be a whole number")
        #expect(first("hit: first\nrules:\n  - { id: a, when: { seller.kind: partner } }\n") == "c.yaml:3:5: rule 'a' pays nobody: give it 'seller' or 'override'")
        let tiers = { (bands: String) in "hit: first\nrules:\n  - id: a\n    seller: { tiers: { basis: reseller.volume.month, mode: slab, bands: \(bands) } }\n" }
        #expect(first(tiers("[ { up_to: 100, percent: 5 }, { up_to: 50, percent: 6 }, { percent: 7 } ]"))?.contains("bands must rise: up_to 50 is not above 100") == true)
        #expect(first(tiers("[ { up_to: 100, percent: 5 } ]"))?.contains("the last band must be open") == true)
        #expect(first(tiers("[ { percent: 5 }, { percent: 6 } ]"))?.contains("only the last band may leave out up_to") == true)
        #expect(first("hit: first\nrules:\n  - { id: a, seller: { tiers: { basis: sale.amount, mode: slab, bands: [ { percent: 5 } ] } } }\n")?
            .contains("basis must be a volume fact") == true)
    }

    @Test func theTopLevel() {
        #expect(first("rules: []\n") == "c.yaml:1:1: the commission file needs 'hit'")
        #expect(first("hit: best\nrules: []\n") == "c.yaml:1:6: hit must be first or collect, not 'best'")
        #expect(first("hit: first\nminimum_payout: { EUR: 5000, XXX: 1 }\nrules: []\n")?.contains("unknown currency 'XXX'") == true)
        #expect(first("hit: first\nhold_days: -1\nrules: []\n") == "c.yaml:2:12: hold_days must be between 0 and 3650")
    }
}

@Suite struct CommissionEvaluationTests {
    @Test func collectStacksBonusesOnTheBaseRate() throws {
        let rules = try #require(commission("""
            hit: collect
            rules:
              - { id: base, seller: { percent: "20" } }
              - { id: first-purchase-bonus, first_purchase_only: true, seller: { flat: { USD: 1000, JPY: 1500 } } }
              - { id: gold-bonus, when: { partner.tier: gold }, seller: { percent: "2.5" } }
            """).0)
        let lines = rules.evaluate(saleFacts(["sale.amount": money(10000), "sale.currency": .string("USD"),
                                              "customer.firstPurchase": .bool(true), "partner.tier": .string("gold")]))
        #expect(lines.map(\.amount) == [2000, 1000, 250])
        #expect(lines.map(\.rule) == ["base", "first-purchase-bonus", "gold-bonus"])
        #expect(rules.derivedFacts == ["customer.firstPurchase"])
        // A flat amount in another currency earns nothing.
        let eur = rules.evaluate(saleFacts(["sale.amount": money(10000), "sale.currency": .string("EUR"),
                                            "customer.firstPurchase": .bool(true), "partner.tier": .string("silver")]))
        #expect(eur.map(\.rule) == ["base"])
    }

    @Test func overridesGoToThePartnerOnResellerSalesOnlyAndRespectTheDepth() throws {
        let text = { (depth: Int) in "hit: first\noverride_depth: \(depth)\nrules:\n  - { id: r, seller: { percent: \"10\" }, override: { partner: { percent: \"3\" } } }\n" }
        let rules = try #require(commission(text(1)).0)
        #expect(rules.evaluate(saleFacts(["sale.amount": money(1000), "sale.currency": .string("USD"), "seller.kind": .string("reseller")]))
            .map(\.amount) == [100, 30])
        #expect(rules.evaluate(saleFacts(["sale.amount": money(1000), "sale.currency": .string("USD"), "seller.kind": .string("partner")]))
            .map(\.amount) == [100])
        let none = try #require(commission(text(0)).0)
        #expect(none.evaluate(saleFacts(["sale.amount": money(1000), "sale.currency": .string("USD"), "seller.kind": .string("reseller")]))
            .map(\.amount) == [100])
    }

    @Test func theMonthlyCapLeavesOnlyTheRoomLeft() throws {
        let rules = try #require(commission("""
            hit: first
            rules:
              - { id: r, seller: { percent: "10", cap: { per_month: { USD: 50000 } } } }
            """).0)
        #expect(rules.derivedFacts == ["seller.earned.month"])
        let f = { (earned: Int64) in saleFacts(["sale.amount": money(100_000), "sale.currency": .string("USD"), "seller.earned.month": money(earned)]) }
        #expect(rules.evaluate(f(0)).map(\.amount) == [10_000])
        #expect(rules.evaluate(f(45_000)).map(\.amount) == [5_000])
        #expect(rules.evaluate(f(60_000)).map(\.amount) == [0])
        // Without the fact the cap needs, the rule cannot pay, and explain says why.
        let (lines, traces, _) = rules.explain(saleFacts(["sale.amount": money(100), "sale.currency": .string("USD")]))
        #expect(lines.isEmpty)
        #expect(traces[0].because == "seller.earned.month was not supplied")
        #expect(traces[0].missingFact == "seller.earned.month")
    }

    @Test func explainNamesTheFirstFailingConditionAndTheMissingFact() throws {
        let ok = try #require(commission("""
            hit: first
            rules:
              - { id: campaign, when: { sale.date: { between: [2027-01-01, 2027-03-31] }, sale.plan: enterprise }, seller: { percent: "25" } }
              - { id: volume, when: { reseller.volume.month: { ">=": 1000 } }, seller: { percent: "12" } }
              - { id: base, seller: { percent: "20" } }
            """).0)
        let (lines, traces, _) = ok.explain(saleFacts(["sale.amount": money(500), "sale.currency": .string("USD"),
                                                    "sale.date": .date(RuleDate("2027-04-01")!), "sale.plan": .string("enterprise")]))
        #expect(lines.map(\.amount) == [100])
        #expect(traces[0].because == "sale.date between 2027-01-01 and 2027-03-31 does not hold (sale.date is 2027-04-01)")
        #expect(traces[1].missingFact == "reseller.volume.month")
        #expect(traces[2].matched)
    }

    @Test func theShippedStyleTestsBlockRuns() throws {
        let rules = try #require(commission("""
            hit: first
            rules:
              - { id: base, seller: { percent: "20" } }
            tests:
              - { name: right, facts: { sale.amount: 100, sale.currency: USD }, expect: [ { to: seller, amount: 20, rule: base } ] }
              - { name: wrong, facts: { sale.amount: 100, sale.currency: USD }, expect: [ { to: seller, amount: 21 } ] }
            """).0)
        let results = rules.runTests(file: "c.yaml")
        #expect(results.map(\.passed) == [true, false])
        #expect(results[1].failure == "expected [seller 21], got [seller 20 by base]")
    }
}

@Suite struct TierArithmeticTests {
    /// Marginal tiers equal a sum over each unit of the sale, each at the rate of the band
    /// its position falls in, rounded once, half to even.
    @Test func marginalEqualsUnitByUnitSummation() async {
        await propertyCheck(count: 500, input: Gen.int64(in: 0...3000), Gen.int64(in: 1...2000), Gen.int64(in: 1...1500),
                            Gen.int64(in: 1...1500)) { volume, amount, w1, w2 in
            let b1 = w1, b2 = w1 + w2
            let tiers = CommissionRules.Tiers(basisSlot: 0, basis: "v", mode: .marginal,
                                              bands: [(b1, ExactDecimal("5")!), (b2, ExactDecimal("7.5")!), (nil, ExactDecimal("12.25")!)])
            var hundredths: Int128 = 0  // in units of 1/10000 percent-units
            for unit in volume..<(volume + amount) {
                let pct: Int128 = unit < b1 ? 50000 : (unit < b2 ? 75000 : 122500)
                hundredths += pct
            }
            let expected = ExactDecimal.divideHalfEven(hundredths, 100 * 10000)
            #expect(CommissionRules.tiered(tiers, volume: volume, amount: amount)?.0 == expected)
        }
    }

    @Test func slabUsesTheBandOfTheVolumeBeforeTheSale() async {
        await propertyCheck(count: 500, input: Gen.int64(in: 0...3000), Gen.int64(in: 1...100_000)) { volume, amount in
            let tiers = CommissionRules.Tiers(basisSlot: 0, basis: "v", mode: .slab,
                                              bands: [(1000, ExactDecimal("8")!), (2000, ExactDecimal("10")!), (nil, ExactDecimal("12")!)])
            let pct: Int64 = volume < 1000 ? 8 : (volume < 2000 ? 10 : 12)
            #expect(CommissionRules.tiered(tiers, volume: volume, amount: amount)?.0 == ExactDecimal.divideHalfEven(Int128(amount * pct), 100))
        }
    }
}

/// For random sales, the compiled table (flattened conditions) picks the same rules as
/// reading each rule's conditions one by one.
@Suite struct CommissionPropertyTests {
    @Test func compiledEvaluationEqualsTheLiteralReading() async throws {
        let text = """
            hit: first
            rules:
              - { id: campaign, when: { sale.plan: enterprise, customer.region: [eu, uk], sale.date: { between: [2027-01-01, 2027-03-31] } }, recurring: { months: 12 }, seller: { percent: "25" }, override: { partner: { percent: "5" } } }
              - { id: own-rate, when: { seller.kind: reseller, reseller.commissionRate: { exists: true } }, seller: { rate: reseller.commissionRate } }
              - { id: gold, when: { seller.kind: reseller, partner.tier: gold }, seller: { tiers: { basis: reseller.volume.month, mode: marginal, bands: [ { up_to: 5000, percent: 10 }, { percent: 14 } ] } }, override: { partner: { percent: 4 } } }
              - { id: volume, when: { seller.kind: reseller }, seller: { tiers: { basis: reseller.volume.month, mode: slab, bands: [ { up_to: 5000, percent: 8 }, { percent: 12 } ] } }, override: { partner: { percent: 3 } } }
              - { id: renewal, when: { seller.kind: partner, sale.kind: renewal, sale.amount: { ">=": 100 } }, recurring: { months: 24 }, seller: { percent: "15" } }
              - { id: base, when: { seller.kind: partner, sale.kind: { not_in: [renewal] } }, seller: { percent: "20" } }
            """
        let first = try #require(commission(text).0)
        let collect = try #require(commission(text.replacingOccurrences(of: "hit: first", with: "hit: collect")).0)
        await propertyCheck(count: 2000, input: Gen.uint64()) { seed in
            var g = PermissionPropertyTests.SplitMix(state: seed)
            func pick<T>(_ xs: [T]) -> T { xs[Int(g.next() % UInt64(xs.count))] }
            var values: [String: FactValue] = [
                "sale.amount": money(Int64(g.next() % 100_000)), "sale.currency": .string(pick(["USD", "EUR", "JPY"])),
                "seller.kind": .string(pick(["partner", "reseller"])),
            ]
            if g.next() % 4 != 0 { values["sale.plan"] = .string(pick(["pro", "enterprise"])) }
            if g.next() % 4 != 0 { values["sale.kind"] = .string(pick(["new", "renewal", "upgrade"])) }
            if g.next() % 4 != 0 { values["customer.region"] = .string(pick(["eu", "uk", "us"])) }
            if g.next() % 4 != 0 { values["sale.date"] = .date(RuleDate(days: RuleDate("2026-12-01")!.days + Int32(g.next() % 150))) }
            if g.next() % 4 != 0 { values["subscription.month"] = money(Int64(1 + g.next() % 30)) }
            if g.next() % 3 == 0 { values["reseller.commissionRate"] = .number(ExactDecimal(mantissa: Int64(g.next() % 300), scale: 1)) }
            if g.next() % 4 != 0 { values["partner.tier"] = .string(pick(["gold", "standard"])) }
            if g.next() % 4 != 0 { values["reseller.volume.month"] = money(Int64(g.next() % 10_000)) }
            let f = saleFacts(values)
            for rules in [first, collect] {
                var literal: [CommissionRules.Line] = []
                var note: String? = nil
                for rule in rules.rules where rule.conditions.conditions.allSatisfy({ $0.evaluate(f) == .pass }) {
                    rules.append(rule, f, into: &literal, note: &note)
                    if rules.hit == .first { break }
                }
                #expect(rules.evaluate(f) == literal, "\(values)")
                #expect(rules.explain(f).lines == literal)
            }
        }
    }
}

/// The commission facts are named once, as `CommissionFact`'s cases: the catalog is built
/// from them in order, so a case's slot is its fact's.
@Suite struct CommissionFactTests {
    @Test func theCatalogIsTheCasesInOrder() {
        #expect(CommissionRules.facts.definitions.map(\.name) == CommissionFact.allCases.map(\.rawValue))
        for fact in CommissionFact.allCases {
            #expect(CommissionRules.facts.slot(fact.rawValue) == fact.slot, "\(fact)")
        }
    }

    @Test func theDerivedFactsTheRulesReadAreKnownAsConstants() {
        let (rules, diagnostics) = CommissionRules.compile("""
            hit: first
            rules:
              - { id: big, when: { partner.volume.month: { gte: 100 }, customer.firstPurchase: true }, seller: { percent: 5 } }
              - { id: rest, seller: { percent: 1 } }
            """, file: "c.yaml")
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        #expect(rules?.derived == [.partnerVolumeMonth, .customerFirstPurchase])
        #expect(rules?.derivedFacts == ["customer.firstPurchase", "partner.volume.month"])
    }
}
