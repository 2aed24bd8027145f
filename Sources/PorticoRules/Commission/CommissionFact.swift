/// Every fact a commission rule can read, as a constant: the catalog
/// (`CommissionRules.facts`) is built from these cases in their order, so code that
/// supplies a fact names it by case and its slot is the case's position — no name is
/// spelled twice, and no lookup by text happens on the sale path.
public enum CommissionFact: String, CaseIterable, Sendable {
    case saleAmount = "sale.amount"
    case saleCurrency = "sale.currency"
    case salePlan = "sale.plan"
    case saleKind = "sale.kind"
    case saleDate = "sale.date"
    case sellerKind = "seller.kind"
    case customerRegion = "customer.region"
    case customerCountry = "customer.country"
    case customerFirstPurchase = "customer.firstPurchase"
    case subscriptionMonth = "subscription.month"
    case partnerTier = "partner.tier"
    case partnerRegion = "partner.region"
    case resellerCommissionRate = "reseller.commissionRate"
    case resellerRegion = "reseller.region"
    case resellerVolumeMonth = "reseller.volume.month"
    case resellerVolumeQuarter = "reseller.volume.quarter"
    case resellerVolumeLifetime = "reseller.volume.lifetime"
    case partnerVolumeMonth = "partner.volume.month"
    case partnerVolumeQuarter = "partner.volume.quarter"
    case partnerVolumeLifetime = "partner.volume.lifetime"
    case sellerEarnedMonth = "seller.earned.month"
    case partnerEarnedMonth = "partner.earned.month"

    /// Its slot in a commission `FactSet`.
    public var slot: Int { Self.slots[self]! }

    private static let slots = Dictionary(uniqueKeysWithValues: allCases.enumerated().map { ($1, $0) })

    /// What the catalog says of it: its type, what it means, its closed list of values,
    /// and whether the engine reads it from the store (fetched only when a rule reads it).
    public var definition: FactDefinition {
        switch self {
        case .saleAmount: return .init(rawValue, .number, "the sale's amount in minor units")
        case .saleCurrency: return .init(rawValue, .string, "the sale's ISO 4217 currency", values: Currency.all.keys.sorted())
        case .salePlan: return .init(rawValue, .string, "the plan sold")
        case .saleKind: return .init(rawValue, .string, "new, renewal, upgrade or usage (metered usage closed for a period)", values: ["new", "renewal", "upgrade", "usage"])
        case .saleDate: return .init(rawValue, .date, "the day the sale occurred (UTC)")
        case .sellerKind:
            return .init(rawValue, .string, "who sold: the partner itself or one of its resellers", values: ["partner", "reseller"])
        case .customerRegion: return .init(rawValue, .string, "the customer's pricing region")
        case .customerCountry: return .init(rawValue, .string, "the customer's ISO 3166 country")
        case .customerFirstPurchase: return .init(rawValue, .bool, "the customer's first purchase", derived: true)
        case .subscriptionMonth:
            return .init(rawValue, .number, "which month of the subscription the sale pays for (1 = first)", derived: true)
        case .partnerTier: return .init(rawValue, .string, "the partner's tier")
        case .partnerRegion: return .init(rawValue, .string, "the partner's region")
        case .resellerCommissionRate: return .init(rawValue, .number, "the reseller's own configured rate, in percent")
        case .resellerRegion: return .init(rawValue, .string, "the reseller's region")
        case .resellerVolumeMonth:
            return .init(rawValue, .number, "the reseller's sales this month before this sale, minor units of the sale currency",
                         derived: true)
        case .resellerVolumeQuarter: return .init(rawValue, .number, "the reseller's sales this quarter before this sale", derived: true)
        case .resellerVolumeLifetime: return .init(rawValue, .number, "the reseller's sales ever before this sale", derived: true)
        case .partnerVolumeMonth:
            return .init(rawValue, .number, "the partner's sales (its own and its resellers') this month before this sale", derived: true)
        case .partnerVolumeQuarter: return .init(rawValue, .number, "the partner's sales this quarter before this sale", derived: true)
        case .partnerVolumeLifetime: return .init(rawValue, .number, "the partner's sales ever before this sale", derived: true)
        case .sellerEarnedMonth:
            return .init(rawValue, .number, "commissions the seller earned this month in the sale currency", derived: true)
        case .partnerEarnedMonth:
            return .init(rawValue, .number, "override commissions the partner earned this month in the sale currency", derived: true)
        }
    }
}

extension FactSet {
    public subscript(fact fact: CommissionFact) -> FactValue? {
        get { self[fact.slot] }
        set { self[fact.slot] = newValue }
    }
}
