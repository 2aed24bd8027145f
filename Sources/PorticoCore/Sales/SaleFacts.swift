import PorticoRules

/// The facts the commission rules judge a sale by: the sale's, the customer's, the
/// partner's and the seller's own, and those read from the store (volumes, earnings,
/// first purchase, subscription month) only when a loaded rule reads them.
struct SaleFacts {
    let plan: String
    let kind: SaleKind
    let amount: Money
    let occurredAt: Timestamp
    let customer: CustomerRecord
    let partner: PartnerRecord
    let reseller: ResellerRecord?

    func gather(_ rules: CommissionRules, region: String?, _ store: any StoreTransaction) throws -> FactSet {
        var facts = CommissionRules.newFacts()
        facts[fact: .saleAmount] = .number(ExactDecimal(amount.amount))
        facts[fact: .saleCurrency] = .string(amount.currency.code)
        facts[fact: .salePlan] = .string(plan)
        facts[fact: .saleKind] = .string(kind.rawValue)
        facts[fact: .saleDate] = .date(occurredAt.ruleDate)
        facts[fact: .sellerKind] = .string(reseller == nil ? Beneficiary.partner.rawValue : Beneficiary.reseller.rawValue)
        facts[fact: .customerCountry] = .string(customer.country)
        facts[fact: .customerRegion] = region.map { .string($0) }
        facts[fact: .partnerTier] = .string(partner.tier)
        facts[fact: .partnerRegion] = .string(partner.region)
        if let reseller {
            facts[fact: .resellerRegion] = .string(reseller.region)
            facts[fact: .resellerCommissionRate] = reseller.commissionRate.flatMap(ExactDecimal.init).map { .number($0) }
        }
        let derived = rules.derived
        guard !derived.isEmpty else { return facts }
        let currency = amount.currency.code
        let periods: [(reseller: CommissionFact, partner: CommissionFact, TimeRange)] = [
            (.resellerVolumeMonth, .partnerVolumeMonth, .month(of: occurredAt)),
            (.resellerVolumeQuarter, .partnerVolumeQuarter, .quarter(of: occurredAt)),
            (.resellerVolumeLifetime, .partnerVolumeLifetime, .all),
        ]
        for (resellerFact, partnerFact, range) in periods {
            if derived.contains(resellerFact), let reseller {
                facts[fact: resellerFact] = Self.number(try store.salesVolume(
                    partnerId: partner.id, resellerId: reseller.id, currency: currency, days: range))
            }
            if derived.contains(partnerFact) {
                facts[fact: partnerFact] = Self.number(try store.salesVolume(
                    partnerId: partner.id, resellerId: nil, currency: currency, days: range))
            }
        }
        if derived.contains(.customerFirstPurchase) {
            facts[fact: .customerFirstPurchase] = .bool(!(try store.hasPurchased(customerId: customer.id)))
        }
        if derived.contains(.subscriptionMonth) {
            let first = try store.firstSaleOccurred(customerId: customer.id, plan: plan)
            let month = first.map { max(0, occurredAt.months(since: $0)) + 1 } ?? 1
            facts[fact: .subscriptionMonth] = .number(ExactDecimal(month))
        }
        let month = TimeRange.month(of: occurredAt)
        if derived.contains(.sellerEarnedMonth) {
            facts[fact: .sellerEarnedMonth] = Self.number(try store.earned(
                partnerId: partner.id, resellerId: reseller?.id, currency: currency, range: month))
        }
        if derived.contains(.partnerEarnedMonth) {
            facts[fact: .partnerEarnedMonth] = Self.number(try store.earned(
                partnerId: partner.id, resellerId: nil, currency: currency, range: month))
        }
        return facts
    }

    /// Sums of stored amounts are exact (Int128); a fact beyond Int64 (far past any band
    /// or cap a rule can name, which stop at 2^53) is read as Int64's largest.
    static func number(_ sum: Int128) -> FactValue { .number(ExactDecimal(Int64(clamping: sum))) }
}
