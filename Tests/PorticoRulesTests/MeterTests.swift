import Testing
@testable import PorticoRules

/// The `meters:` section of pricing.yaml: what is refused, where, and what a period costs.
@Suite struct MeterTests {
    func rules(_ meters: String, tests: String = "") -> (PricingRules?, [String]) {
        pricing(pricingHead + "meters:\n" + meters + "rules: [ { id: list } ]\n" + tests)
    }

    @Test func badMetersAreNamedWhereTheyAre() {
        let d = rules("""
              GPU: { unit: hour, prices: { us: "1" } }
              gpu: { unit: hour, decimals: 10, prices: { us: "1" } }
              tok: { unit: token, prices: { mars: "1", eu: "-2", jp: "0.0000001" } }
              band: { unit: token, prices: { us: [ { up_to: 10, price: "1" }, { up_to: 5, price: "2" }, { price: "1" } ] } }
              last: { unit: token, prices: { us: [ { price: "1" }, { up_to: 5, price: "2" } ] } }
              none: { unit: token, prices: {} }
              nounit: { prices: { us: "1" } }

            """).1
        #expect(d == [
            "p.yaml:9:3: meter 'GPU' must be 1-32 characters of a-z, 0-9 and '-', starting with a letter",
            "p.yaml:10:32: decimals must be between 0 and 9",
            "p.yaml:11:33: unknown region 'mars'",
            "p.yaml:11:48: meters.tok.prices.eu (minor units per unit) must not be negative",
            "p.yaml:11:58: meters.tok.prices.jp (minor units per unit) has more than 6 decimal places (a price is minor units per unit)",
            "p.yaml:12:67: up_to 5 must be above the band before's 10",
            "p.yaml:13:40: only the last band of meters.last.prices.us may leave out up_to",
            "p.yaml:13:56: the last band of meters.last.prices.us must leave out up_to (it takes the rest)",
            "p.yaml:14:32: meters.none.prices needs at least one region",
            "p.yaml:15:11: meters.nounit needs 'unit'",
        ])
    }

    @Test func thePlanNamedUsageIsKept() {
        let d = pricing("base_currency: USD\nplans: { usage: 1 }\nregions: { us: { countries: [US], currency: USD } }\nrules: [ { id: l } ]\n").1
        #expect(d == ["p.yaml:2:10: the plan name 'usage' is kept for the sales of metered usage (see meters)"])
    }

    @Test func graduatedBandsChargeEachUnitAtItsBandsPriceRoundedOnce() throws {
        let (r, d) = rules("""
              tok: { unit: token, prices: { us: [ { up_to: 100, price: "0.5" }, { up_to: 200, price: "0.25" }, { price: "0.125" } ] } }
              gpu: { unit: hour, decimals: 3, prices: { us: "0.5", bh: "940" } }

            """)
        #expect(d.isEmpty, "\(d)")
        let rules = try #require(r)
        func charge(_ lines: [(String, String)], _ region: String = "us") -> Int64? {
            let totals = lines.map { ($0.0, Int128(try! rules.meters[$0.0]!.units($0.1).get())) }
            return try? rules.usageCharge(totals, region: region).get().amount
        }
        #expect(charge([("tok", "100")]) == 50)
        #expect(charge([("tok", "250")]) == 81)              // 50 + 25 + 6.25
        #expect(charge([("tok", "1")]) == 0)                  // 0.5 rounds to even 0
        #expect(charge([("tok", "3")]) == 2)                  // 1.5 rounds to even 2
        // Rounded once on the sum: 0.5 + 0.5 is 1, where rounding each would give 0.
        #expect(charge([("tok", "1"), ("gpu", "1")]) == 1)
        #expect(charge([("gpu", "0.001")], "bh") == 1)        // 0.94 fils
        #expect(charge([("tok", "1")], "bh") == nil)          // not sold there
    }

    @Test func quantitiesAreReadExactlyAgainstTheMetersPrecision() throws {
        let meter = Meter(name: "m", unit: "h", decimals: 3, prices: [:], position: SourcePosition(line: 1, column: 1))
        #expect(try meter.units("1.5").get() == 1500)
        #expect(try meter.units("1.500000").get() == 1500)
        #expect(try meter.units("0.001").get() == 1)
        #expect(meter.units("0.0001") == .failure(.tooPrecise(3)))
        #expect(meter.units("-1") == .failure(.negative))
        #expect(meter.units("1e3") == .failure(.notADecimal))
        #expect(meter.units("9007199254740.993") == .failure(.tooLarge))
        #expect(try meter.units("9007199254740.992").get() == 1 << 53)
        #expect(meter.quantity(1500) == "1.5" && meter.quantity(1) == "0.001" && meter.quantity(0) == "0")
    }

    @Test func usageTestsRunWithTheFile() throws {
        let (r, d) = rules("""
              tok: { unit: token, prices: { us: "0.5" } }

            """, tests: """
            tests:
              - { name: ok, meter: tok, country: US, quantity: "3", expect: { amount: 2, currency: USD } }
              - { name: wrong, meter: tok, region: us, quantity: "3", expect: { amount: 1 } }
              - { name: unsold, meter: tok, region: eu, quantity: "3", expect: no-price }

            """)
        #expect(d.isEmpty, "\(d)")
        let results = try #require(r).runTests(file: "p.yaml")
        #expect(results.map(\.passed) == [true, false, true])
        #expect(results[1].failure == "expected 1, got 2 USD (exactly 1.5)")
    }
}
