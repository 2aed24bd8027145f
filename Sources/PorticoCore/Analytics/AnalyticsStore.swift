/// Sales of one UTC day, currency and kind: how many, their amounts and what was refunded
/// of them.
public struct DailySales: Sendable, Equatable {
    public var day: String
    public var currency: String
    public var kind: String
    public var count: Int64
    public var amount: Int128
    public var refunded: Int128
    public init(day: String, currency: String, kind: String, count: Int64, amount: Int128, refunded: Int128) {
        self.day = day; self.currency = currency; self.kind = kind; self.count = count; self.amount = amount; self.refunded = refunded
    }
}

/// The commissions of one UTC day and currency that stand (neither cancelled nor
/// reversed), and of them the ones paid.
public struct DailyCommissions: Sendable, Equatable {
    public var day: String
    public var currency: String
    public var earned: Int128
    public var paid: Int128
    public init(day: String, currency: String, earned: Int128, paid: Int128) {
        self.day = day; self.currency = currency; self.earned = earned; self.paid = paid
    }
}

/// A subscription's life as analytics count it: when it started and ended (nil: still
/// running), and its price per interval now.
public struct SubscriptionSpan: Sendable, Equatable {
    public var currency: String
    public var interval: SubscriptionInterval
    public var amount: Int64
    public var startAt: Timestamp
    public var endedAt: Timestamp?
    public init(currency: String, interval: SubscriptionInterval, amount: Int64, startAt: Timestamp, endedAt: Timestamp?) {
        self.currency = currency; self.interval = interval; self.amount = amount; self.startAt = startAt; self.endedAt = endedAt
    }
}

/// What the customers who bought in one range (net revenue above zero) spent then and in
/// the next, in one currency.
public struct RetentionTotals: Sendable, Equatable {
    public var currency: String
    public var customers: Int64
    public var before: Int128
    public var after: Int128
    public init(currency: String, customers: Int64, before: Int128, after: Int128) {
        self.currency = currency; self.customers = customers; self.before = before; self.after = after
    }
}

/// Who a ranking ranks: every partner (of a region and tier, when given), or the
/// resellers of one partner.
public enum RankingGroup: Sendable, Equatable {
    case partners(region: String?, tier: String?)
    case resellers(partnerId: String)
}

/// One partner's or reseller's sales in a ranking's currency and range.
public struct RankedSales: Sendable, Equatable {
    public var count: Int64
    public var net: Int128
    public var customers: Int64
    public init(count: Int64, net: Int128, customers: Int64) { self.count = count; self.net = net; self.customers = customers }
}

/// Sales to the customers of one country in one currency.
public struct CountrySales: Sendable, Equatable {
    public var country: String
    public var currency: String
    public var count: Int64
    public var customers: Int64
    public var amount: Int128
    public var refunded: Int128
    public init(country: String, currency: String, count: Int64, customers: Int64, amount: Int128, refunded: Int128) {
        self.country = country; self.currency = currency; self.count = count; self.customers = customers
        self.amount = amount; self.refunded = refunded
    }
}

/// The platform's totals in one currency: net sales, commissions by effective status as of
/// now (`payable`: pending whose hold has ended), and payouts in flight (created or
/// processing).
public struct CurrencyOverview: Sendable, Equatable {
    public var currency: String
    public var salesCount: Int64 = 0
    public var netSales: Int128 = 0
    public var commissions: [String: Int128] = [:]
    public var payoutsInFlight: Int64 = 0
    public var payoutsInFlightAmount: Int128 = 0
    public init(currency: String) { self.currency = currency }
}

/// The grouped figures analytics read. Amounts are summed exactly (Int128) and never
/// across currencies; ranges are closed; a `currency` of nil means every currency.
public protocol AnalyticsStore {
    /// A partner's sales occurring in `range`, by UTC day, currency and kind.
    func salesByDay(partnerId: String, currency: String?, range: TimeRange) throws -> [DailySales]
    /// A partner's commissions (its own and its resellers') occurring in `range` that stand,
    /// and of them those paid, by UTC day and currency.
    func commissionsByDay(partnerId: String, currency: String?, range: TimeRange) throws -> [DailyCommissions]
    /// How many of a partner's customers were created each UTC day of `range`.
    func customersByDay(partnerId: String, range: TimeRange) throws -> [(day: String, count: Int64)]
    /// A partner's subscriptions running at some instant of `range`: started by its last,
    /// not ended before its first.
    func subscriptionSpans(partnerId: String, currency: String?, range: TimeRange) throws -> [SubscriptionSpan]
    /// Per currency, the customers with net sales above zero in `before`: how many, those
    /// net sales, and theirs in `after`.
    func retention(partnerId: String, currency: String?, before: TimeRange, after: TimeRange) throws -> [RetentionTotals]
    /// Each member of `group` with sales in `currency` in `range`: their count, net amount
    /// and (when `customers`, 0 otherwise) distinct customers, by partner or reseller id.
    func rankedSales(_ group: RankingGroup, currency: String, range: TimeRange, customers: Bool) throws -> [String: RankedSales]
    /// How many distinct customers one member of `group` sold to in `currency` in `range`.
    func rankedCustomers(_ group: RankingGroup, member id: String, currency: String, range: TimeRange) throws -> Int64
    /// Each member of `group`'s commissions in `currency` occurring in `range` that stand
    /// (for resellers, those the reseller earns), with how many.
    func rankedCommissions(_ group: RankingGroup, currency: String, range: TimeRange) throws -> [String: (count: Int64, amount: Int128)]
    /// Sales occurring in `range`, of one partner or all, by the customer's country and
    /// currency.
    func salesByCountry(partnerId: String?, currency: String?, range: TimeRange) throws -> [CountrySales]
    /// How many partners have each status and tier.
    func partnerCounts() throws -> [(status: String, tier: String, count: Int64)]
    /// Every currency's totals over the whole platform, as of `now`.
    func platformTotals(now: Timestamp) throws -> [CurrencyOverview]
}
