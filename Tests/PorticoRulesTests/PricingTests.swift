import Testing
@testable import PorticoRules

func pricing(_ text: String) -> (PricingRules?, [String]) {
    let (rules, diagnostics) = PricingRules.compile(text, file: "p.yaml")
    return (rules, diagnostics.map(\.description))
}

let pricingHead = """
    base_currency: USD
    plans: { pro: 9900, starter: 2900 }
    regions:
      us: { countries: [US], currency: USD, tax: exclusive, tax_rate: "8.875" }
      eu: { countries: [DE, FR], currency: EUR, rate: "0.92", rounding: ending-99, tax: inclusive, tax_rate: "19" }
      jp: { countries: [JP], currency: JPY, rate: "151.37", rounding: { multiple: 100 }, tax: inclusive, tax_rate: "10" }
      bh: { countries: [BH], currency: BHD, rate: "0.376", rounding: whole }

    """

@Suite struct PricingDiagnosticTests {
    @Test func aCatchAllIsRequiredAndNothingMayFollowIt() {
        #expect(pricing(pricingHead + "rules:\n  - { id: a, when: { plan: pro }, discount: 5 }\n").1
            == ["p.yaml:9:3: the rules need a catch-all (a last rule without 'when') so that every plan in every region has a price"])
        #expect(pricing(pricingHead + "rules:\n  - { id: list }\n  - { id: late, when: { plan: pro }, discount: 5 }\n").1
            == ["p.yaml:10:5: rule 'late' can never apply: it comes after the catch-all 'list' (line 9)"])
    }

    @Test func plansRegionsAndCurrenciesAreChecked() {
        let d = pricing(pricingHead + "rules:\n  - { id: a, when: { plan: prp, region: eu }, price: { EUR: 100 }, discount: 5 }\n  - { id: list }\n").1
        #expect(d.contains("p.yaml:9:22: unknown plan 'prp' (did you mean 'pro'?)"))
        #expect(d.contains("p.yaml:9:5: rule 'a' sets a price and a discount: give one"))
        #expect(pricing("""
            base_currency: USD
            plans: { pro: 100 }
            regions:
              a: { countries: [US, FR], currency: USD }
              b: { countries: [FR], currency: EUR }
              c: { countries: [JP], currency: JPY, rounding: ending-99 }
            rules: [ { id: list } ]
            """).1 == ["p.yaml:5:6: country FR is in both a and b",
                       "p.yaml:6:6: ending-99 needs a currency with minor units; JPY has none (use {multiple: N})"])
        #expect(pricing("base_currency: USD\nplans: { pro: [ { from: 2027-01-01, price: 1 } ] }\nregions: { us: { countries: [US], currency: USD } }\nrules: [ { id: l } ]\n").1
            == ["p.yaml:2:15: plans.pro needs exactly one price without 'from' (the price before any dated one)"])
    }
}

@Suite struct PricingEvaluationTests {
    func quote(_ rules: PricingRules, _ plan: String, country: String, tier: String? = nil, date: String = "2027-01-01") -> PricingRules.Quote? {
        try? rules.quote(.init(plan: plan, country: country, partnerTier: tier, date: RuleDate(date)!)).get()
    }

    @Test func convertsRoundsAndTaxesExactly() throws {
        let rules = try #require(pricing(pricingHead + "rules:\n  - { id: list }\n").0)
        // US: tax added on top; 8.875% of 99.00 = 8.78625 -> 8.79.
        let us = try #require(quote(rules, "pro", country: "US"))
        #expect((us.price, us.net, us.tax, us.total, us.taxIncluded) == (9900, 9900, 879, 10779, false))
        // EU: 99.00 × 0.92 = 91.08 -> 90.99 tax included; net 90.99 / 1.19 = 76.4621... -> 76.46.
        let eu = try #require(quote(rules, "pro", country: "FR"))
        #expect((eu.price, eu.net, eu.tax) == (9099, 7646, 1453))
        // JP: 99.00 × 151.37 = 14985.63 yen -> 14986 -> nearest 100 = 15000.
        #expect(quote(rules, "pro", country: "JP")?.price == 15000)
        // BHD has three decimals: 29.00 × 0.376 = 10.904 BHD -> whole units: 11.000.
        #expect(quote(rules, "starter", country: "BH")?.price == 11000)
    }

    @Test func theFirstMatchingRuleDecidesAndOverridesNeedTheirCurrency() throws {
        let rules = try #require(pricing(pricingHead + """
            rules:
              - { id: jp-pro, when: { plan: pro, region: jp }, price: { JPY: 9800 } }
              - { id: pro-eur-only, when: { plan: pro }, price: { EUR: 8900 } }
              - { id: gold, when: { partner.tier: gold }, discount: "12.5" }
              - { id: list }
            """).0)
        #expect(quote(rules, "pro", country: "JP")?.rules == ["jp-pro"])
        #expect(quote(rules, "pro", country: "DE")?.price == 8900)
        // The EUR override has no USD price: the next rule decides.
        #expect(quote(rules, "pro", country: "US", tier: "gold")?.rules == ["gold"])
        // 99.00 less 12.5% = 86.625 -> 86.62 (half even), USD has no price-point rounding here.
        #expect(quote(rules, "pro", country: "US", tier: "gold")?.price == 8662)
        #expect(quote(rules, "starter", country: "US")?.rules == ["list"])
    }

    @Test func effectiveDatesPickTheLatestPriceInEffect() throws {
        let rules = try #require(pricing("""
            base_currency: USD
            plans: { pro: [ { price: 9900 }, { from: 2027-07-01, price: 10900 }, { from: 2028-01-01, price: 11900 } ] }
            regions: { us: { countries: [US], currency: USD } }
            rules: [ { id: list } ]
            """).0)
        #expect(quote(rules, "pro", country: "US", date: "2027-06-30")?.price == 9900)
        #expect(quote(rules, "pro", country: "US", date: "2027-07-01")?.price == 10900)
        #expect(quote(rules, "pro", country: "US", date: "2030-01-01")?.price == 11900)
    }

    @Test func unknownPlansAndCountriesAreErrors() throws {
        let rules = try #require(pricing(pricingHead + "rules: [ { id: list } ]\n").0)
        #expect(throws: PricingRules.QuoteError.unknownPlan("gold")) { try rules.quote(.init(plan: "gold", country: "US", date: RuleDate("2027-01-01")!)).get() }
        #expect(throws: PricingRules.QuoteError.unpricedCountry("BR")) { try rules.quote(.init(plan: "pro", country: "BR", date: RuleDate("2027-01-01")!)).get() }
    }
}
