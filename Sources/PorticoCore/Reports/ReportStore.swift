/// One total of a report: an amount and a count under a key (a status, a period, or
/// empty), in one currency. Exact: sums of stored amounts are kept as Int128, and whether
/// a total fits what the engine answers is the report's to check.
public struct ReportTotal: Sendable, Equatable {
    public var key: String
    public var currency: String
    public var amount: Int128
    public var count: Int64
    public init(key: String, currency: String, amount: Int128, count: Int64) {
        self.key = key; self.currency = currency; self.amount = amount; self.count = count
    }
}

/// Totals gathered from several reads (a status split at a day, then entries moved between
/// statuses), each key and currency summed once: answered without the empty ones, ordered
/// by key, then currency.
public struct ReportTotals {
    private var totals: [String: ReportTotal] = [:]

    public init() {}

    public mutating func add(_ key: String, _ currency: String, _ amount: Int128, _ count: Int64) {
        totals[key + "|" + currency, default: ReportTotal(key: key, currency: currency, amount: 0, count: 0)].amount += amount
        totals[key + "|" + currency]!.count += count
    }

    public var ordered: [ReportTotal] {
        totals.values.filter { $0.count > 0 }.sorted { ($0.key, $0.currency) < ($1.key, $1.currency) }
    }
}

/// Aggregates for dashboards and reports. Every amount is grouped by currency: amounts in
/// different currencies are never added together. Ranges are closed (`TimeRange`); the
/// running totals, kept per UTC day, are read for the days a range's ends fall on (the
/// callers pass whole-day ranges). A `periodLength` of 10 groups by day, 7 by month, nil
/// not at all. Results are ordered by key, then currency.
public protocol ReportStore {
    /// Net sales (amount less refunds), for a partner or one of its resellers, read from
    /// the sales themselves.
    func salesTotals(partnerId: String, resellerId: String?, range: TimeRange, periodLength: Int?) throws -> [ReportTotal]
    /// Commissions of a partner (or one reseller's) occurring in `range`: by
    /// effective status as of `now` when `periodLength` is nil, else the standing ones
    /// (neither cancelled nor reversed) by period.
    func commissionTotals(partnerId: String, resellerId: String?, range: TimeRange, now: Timestamp,
                          periodLength: Int?) throws -> [ReportTotal]
    /// A partner's net sales from the running totals, for whole days.
    func salesFromRunningTotals(partnerId: String, days: TimeRange, periodLength: Int?) throws -> [ReportTotal]
    /// A partner's commissions from the running totals, for whole days, keyed as
    /// `commissionTotals` keys them.
    func commissionsFromRunningTotals(partnerId: String, days: TimeRange, now: Timestamp,
                                      periodLength: Int?) throws -> [ReportTotal]
}
