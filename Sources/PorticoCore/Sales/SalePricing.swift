import PorticoRules

/// What a sale is worth: the amount given (in a currency the pricing rules price), or the
/// pricing rules' net price for the customer's country and the partner's tier on the day.
enum SalePricing {
    static func amount(plan: String, given: Money?, day: RuleDate, customer: CustomerRecord, partner: PartnerRecord,
                       _ pricing: PricingRules) throws(PorticoError) -> Money
    {
        guard pricing.plans[plan] != nil else {
            throw .invalid("plan", "no plan '\(plan)' is priced (\(pricing.plans.keys.sorted().joined(separator: ", ")))")
        }
        if let given {
            guard given.amount >= 0 else { throw .invalid("amount.amount", "must not be negative") }
            let priced = Set(pricing.regions.values.map(\.currency.code)).union([pricing.baseCurrency.code])
            guard priced.contains(given.currency.code) else {
                throw .invalid("amount.currency",
                               "the pricing rules do not price \(given.currency.code) (\(priced.sorted().joined(separator: ", ")))")
            }
            return given
        }
        switch pricing.quote(.init(plan: plan, country: customer.country, partnerTier: partner.tier, date: day)) {
        case .success(let quote):
            return Money(quote.net, Currency.named(quote.currency)!)
        case .failure(.unpricedCountry(let c)):
            throw .invalid("amount", "no pricing region includes the customer's country \(c): give the amount")
        case .failure(let e):
            throw .invalid("plan", "cannot price it: \(e)")
        }
    }
}
