import JSONRPC

/// Dashboards and reports. Periods are UTC days (`YYYY-MM-DD`) and months (`YYYY-MM`).
///
/// Every report answers its figures in one shape: a list of rows, one per currency in
/// code order, each `{"currency": "USD", <figure>: <minor units>, ...}` with every figure
/// the report has, zeros included (see `CurrencyFigures`). Amounts in different
/// currencies are never added together, and every total is checked against the largest
/// amount the engine answers (2^53 minor units).
public enum ReportService {
    /// Sales and commissions of a partner: from the running totals for whole-day ranges
    /// (a few rows whatever the ledger's size), from the ledger itself otherwise.
    static func totals(_ partnerId: String, _ range: TimeRange, _ ctx: RequestContext, periodLength: Int?) throws
        -> ([ReportTotal], [ReportTotal])
    {
        if range.isEmpty { return ([], []) }
        if range.isWholeDays {
            return (try ctx.store.salesFromRunningTotals(partnerId: partnerId, days: range, periodLength: periodLength),
                    try ctx.store.commissionsFromRunningTotals(partnerId: partnerId, days: range, now: ctx.now, periodLength: periodLength))
        }
        return (try ctx.store.salesTotals(partnerId: partnerId, resellerId: nil, range: range, periodLength: periodLength),
                try ctx.store.commissionTotals(partnerId: partnerId, resellerId: nil, range: range, now: ctx.now, periodLength: periodLength))
    }

    /// Per currency: net sales and their count, commissions by status, what stands
    /// earned, and the profit (sales less what stands earned).
    public static func dashboard(_ ctx: RequestContext, partnerId: String, range: TimeRange) throws -> Dashboard {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let (sales, commissions) = try totals(partner.id, range, ctx, periodLength: nil)
        var figures = CurrencyFigures()
        figures.add(sales: sales)
        figures.add(commissionsByStatus: commissions)
        return Dashboard(partnerId: partner.id, customers: try ctx.store.customerCount(partnerId: partner.id, resellerId: nil),
                         resellers: try ctx.store.resellerCount(partnerId: partner.id), figures: figures)
    }

    /// One row per UTC day or month that had sales or commissions, each with every
    /// currency of the report: net sales, their count, and the commissions that stand.
    public static func partnerReport(_ ctx: RequestContext, partnerId: String, period: String, range: TimeRange) throws -> PartnerReport {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let length: Int
        switch period {
        case "daily": length = 10
        case "monthly": length = 7
        default: throw PorticoError.invalid("period", "must be daily or monthly")
        }
        let (sales, commissions) = try totals(partner.id, range, ctx, periodLength: length)
        var byPeriod: [String: CurrencyFigures] = [:]
        for s in sales { byPeriod[s.key, default: CurrencyFigures()].add(sales: [s]) }
        for c in commissions { byPeriod[c.key, default: CurrencyFigures()].add(earned: c) }
        let currencies = Set(sales.map(\.currency) + commissions.map(\.currency))
        let rows = byPeriod.keys.sorted().map { key in
            var figures = byPeriod[key]!
            figures.include(currencies)
            return (period: key, figures: figures)
        }
        return PartnerReport(partnerId: partner.id, period: period, rows: rows)
    }

    /// A reseller's customers, and per currency its net sales and the commissions it
    /// earned, by status.
    public static func resellerReport(_ ctx: RequestContext, resellerId: String, range: TimeRange) throws -> ResellerReport {
        let reseller = try ResellerService.load(resellerId, ctx.store)
        try ctx.authorize(partner: try PartnerService.load(reseller.partnerId, ctx.store))
        var figures = CurrencyFigures()
        if !range.isEmpty {
            figures.add(sales: try ctx.store.salesTotals(partnerId: reseller.partnerId, resellerId: reseller.id, range: range,
                                                       periodLength: nil))
            figures.add(commissionsByStatus: try ctx.store.commissionTotals(
                partnerId: reseller.partnerId, resellerId: reseller.id, range: range,
                now: ctx.now, periodLength: nil))
        }
        return ResellerReport(reseller: reseller, customers: try ctx.store.customerCount(partnerId: reseller.partnerId,
                                                                                         resellerId: reseller.id), figures: figures)
    }
}

/// The figures of a report, per currency, added up exactly (Int128) and checked once,
/// when answered, against the largest amount the engine answers.
///
/// Field names are the same in every report: `sales` (net of refunds) and `salesCount`;
/// the commission statuses `pending`, `payable`, `processing`, `paid`, `cancelled`,
/// `reversed` and their `...Count`; `earned` (what stands: pending, payable, processing
/// and paid); `profit` (sales less earned). All amounts are minor units of the row's
/// currency.
public struct CurrencyFigures {
    public enum Figure: String, Sendable {
        case sales, salesCount, pending, payable, processing, paid, cancelled, reversed, earned, profit
        case pendingCount, payableCount, processingCount, paidCount, cancelledCount, reversedCount
    }


    public static let dashboard: [Figure] = [.sales, .salesCount, .pending, .payable, .processing, .paid, .cancelled, .reversed,
                                             .earned, .profit]
    public static let report: [Figure] = [.sales, .salesCount, .earned]
    public static let resellerReport: [Figure] = [.sales, .salesCount, .pending, .payable, .processing, .paid, .cancelled,
                                                  .reversed, .earned]
    public static let summary: [Figure] = [.pending, .payable, .processing, .paid, .cancelled, .reversed, .earned,
                                           .pendingCount, .payableCount, .processingCount, .paidCount, .cancelledCount,
                                           .reversedCount]

    var amounts: [String: [String: Int128]] = [:]

    public init() {}

    mutating func add(_ figure: String, _ currency: String, _ value: Int128) {
        amounts[currency, default: [:]][figure, default: 0] += value
    }

    /// Net sales totals (`amount` and `count`), whatever their keys.
    public mutating func add(sales: [ReportTotal]) {
        for s in sales {
            add("sales", s.currency, s.amount)
            add("salesCount", s.currency, Int128(s.count))
        }
    }

    /// Commission totals keyed by effective status.
    public mutating func add(commissionsByStatus totals: [ReportTotal]) {
        for c in totals {
            add(c.key, c.currency, c.amount)
            add(c.key + "Count", c.currency, Int128(c.count))
            if CommissionStatus(rawValue: c.key)?.stands == true { add("earned", c.currency, c.amount) }
        }
    }

    /// A total of commissions that stand, whatever its key.
    public mutating func add(earned c: ReportTotal) { add("earned", c.currency, c.amount) }

    /// Rows for these currencies too, with zeros.
    public mutating func include(_ currencies: Set<String>) {
        for c in currencies where amounts[c] == nil { amounts[c] = [:] }
    }

    /// One row per currency, in code order, with exactly `figures`; -32010 `total_limit`
    /// naming `report` when one is past ±2^53.
    public func rows(_ figures: [Figure], of report: String) throws(PorticoError) -> JSONValue {
        var rows: [JSONValue] = []
        for currency in amounts.keys.sorted() {
            let a = amounts[currency]!
            var row: JSONObject = ["currency": .string(currency)]
            for f in figures {
                let value = f == .profit ? (a["sales"] ?? 0) - (a["earned"] ?? 0) : a[f.rawValue] ?? 0
                row[f.rawValue] = .integer(try Money.total(value, "the \(f.rawValue) in \(currency) of \(report)"))
            }
            rows.append(.object(row))
        }
        return .array(rows)
    }
}
