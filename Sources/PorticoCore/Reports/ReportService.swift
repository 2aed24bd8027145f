import GRDB
import JSONRPC
import PorticoStore

/// Dashboards and reports. Periods are UTC days (`YYYY-MM-DD`) and months (`YYYY-MM`);
/// every amount is per currency, never summed across currencies.
public enum ReportService {
    static func money(_ amount: Int64, _ currency: String) -> JSONValue { ["amount": .integer(amount), "currency": .string(currency)] }

    static func range(_ from: String?, _ to: String?) throws -> (String, String) {
        let f = from ?? ReportQueries.openFrom, t = to ?? ReportQueries.openTo
        guard f < t else { throw PorticoError.invalid("to", "must be after from") }
        return (f, t)
    }

    /// Sales and commissions of a partner: from the running totals for whole-day ranges
    /// (a few rows whatever the ledger's size), from the ledger itself otherwise.
    static func totals(_ partnerId: String, _ f: String, _ t: String, _ ctx: RequestContext, periodLength: Int?) throws
        -> ([ReportQueries.Total], [ReportQueries.Total])
    {
        if ReportQueries.dayAligned(f, t) {
            return (try ReportQueries.salesFromTotals(scope: "p:" + partnerId, from: f, to: t, periodLength: periodLength, ctx.db),
                    try ReportQueries.commissionsFromTotals(partnerId: partnerId, from: f, to: t, now: ctx.timestamp,
                                                            periodLength: periodLength, ctx.db))
        }
        return (try ReportQueries.sales(partnerId: partnerId, resellerId: nil, from: f, to: t, periodLength: periodLength, ctx.db),
                try ReportQueries.commissions(partnerId: partnerId, resellerId: nil, from: f, to: t, now: ctx.timestamp,
                                              periodLength: periodLength, ctx.db))
    }

    /// Sales, customers, resellers, commissions by status and profit (sales less
    /// commissions that stand), each per currency.
    public static func dashboard(_ ctx: RequestContext, partnerId: String, from: String?, to: String?) throws -> JSONValue {
        let partner = try PartnerService.load(partnerId, ctx.db)
        try ctx.authorize(partner: partner)
        let (f, t) = try range(from, to)
        let (sales, commissions) = try totals(partner.id, f, t, ctx, periodLength: nil)
        var byCurrency: [String: JSONObject] = [:]
        var profit: [String: Int64] = [:]
        for s in sales { profit[s.currency, default: 0] += s.amount }
        for c in commissions {
            var o = byCurrency[c.currency] ?? ["pending": 0, "payable": 0, "processing": 0, "paid": 0]
            if ["pending", "payable", "processing", "paid"].contains(c.key) {
                o[c.key] = .integer(c.amount)
                profit[c.currency, default: 0] -= c.amount
            }
            byCurrency[c.currency] = o
        }
        return [
            "partnerId": .string(partner.id),
            "sales": .array(sales.map { ["amount": money($0.amount, $0.currency), "count": .integer($0.count)] }),
            "customers": .integer(try ReportQueries.count("customer", partnerId: partner.id, ctx.db)),
            "resellers": .integer(try ReportQueries.count("reseller", partnerId: partner.id, ctx.db)),
            "commissions": .object(JSONObject(uniqueMembers: byCurrency.keys.sorted().map { .init(key: $0, value: .object(byCurrency[$0]!)) })),
            "profit": .array(profit.keys.sorted().map { money(profit[$0]!, $0) }),
        ]
    }

    /// One row per UTC day or month with sales and commissions per currency.
    public static func partnerReport(_ ctx: RequestContext, partnerId: String, period: String, from: String, to: String) throws -> JSONValue {
        let partner = try PartnerService.load(partnerId, ctx.db)
        try ctx.authorize(partner: partner)
        let length: Int
        switch period {
        case "daily": length = 10
        case "monthly": length = 7
        default: throw PorticoError.invalid("period", "must be daily or monthly")
        }
        let (f, t) = try range(from, to)
        let (sales, commissions) = try totals(partner.id, f, t, ctx, periodLength: length)
        let periods = Array(Set(sales.map(\.key) + commissions.map(\.key))).sorted()
        return [
            "partnerId": .string(partner.id), "period": .string(period),
            "rows": .array(periods.map { p in
                [
                    "period": .string(p),
                    "sales": .array(sales.filter { $0.key == p }.map { ["amount": money($0.amount, $0.currency), "count": .integer($0.count)] }),
                    "commissions": .array(commissions.filter { $0.key == p }.map { money($0.amount, $0.currency) }),
                ]
            }),
        ]
    }

    public static func resellerReport(_ ctx: RequestContext, resellerId: String, from: String?, to: String?) throws -> JSONValue {
        let reseller = try ResellerService.load(resellerId, ctx.db)
        try ctx.authorize(partner: try PartnerService.load(reseller.partnerId, ctx.db))
        let (f, t) = try range(from, to)
        let sales = try ReportQueries.sales(partnerId: nil, resellerId: reseller.id, from: f, to: t, periodLength: nil, ctx.db)
        let earned = try ReportQueries.commissions(partnerId: reseller.partnerId, resellerId: reseller.id, from: f, to: t,
                                                   now: ctx.timestamp, periodLength: nil, ctx.db)
        var byCurrency: [String: JSONObject] = [:]
        for c in earned {
            var o = byCurrency[c.currency] ?? JSONObject()
            o[c.key] = .integer(c.amount)
            byCurrency[c.currency] = o
        }
        return [
            "reseller": reseller.json,
            "sales": .array(sales.map { ["amount": money($0.amount, $0.currency), "count": .integer($0.count)] }),
            "customers": .integer(try ReportQueries.count("customer", partnerId: reseller.partnerId, resellerId: reseller.id, ctx.db)),
            "commissions": .object(JSONObject(uniqueMembers: byCurrency.keys.sorted().map { .init(key: $0, value: .object(byCurrency[$0]!)) })),
        ]
    }
}
