import JSONRPC

// What the analytics methods answer, as values: the methods encode them, the exports lay
// out the same figures. Amounts are minor units of their row's currency, never converted
// or added across currencies; every one is checked, when answered, against the largest
// amount the engine answers (2^53 minor units). Ratios are integers in basis points (1/100
// of a percent), rounded half to even, and null where their base is zero.

/// One currency's figures over a period (or the whole range) of a partner.
///
/// Sales count in the period they occurred in: `revenue` is their amounts (by kind in
/// `newRevenue`...), `refunds` what was refunded of those sales, `netRevenue` the
/// difference, `averageOrderValue` the revenue over the count. Commissions (the partner's
/// and its resellers') count in the period they were earned: `commissionsEarned` those that
/// stand (neither cancelled nor reversed), `commissionsPaid` those of them paid since.
/// Subscriptions: `activeSubscriptions` running at the period's end, `churnedSubscriptions`
/// ended in it, `mrr` the monthly recurring revenue at its end (monthly prices, and yearly
/// ones over 12, at each subscription's current price).
public struct PartnerFigures: Sendable, Equatable {
    public var salesCount: Int64 = 0
    public var revenueByKind: [SaleKind: Int128] = [:]
    public var refunds: Int128 = 0
    public var commissionsEarned: Int128 = 0
    public var commissionsPaid: Int128 = 0
    public var activeSubscriptions: Int64 = 0
    public var churnedSubscriptions: Int64 = 0
    /// Monthly prices of the running subscriptions, and yearly ones (MRR adds a twelfth).
    public var monthlyPrices: Int128 = 0
    public var yearlyPrices: Int128 = 0

    public init() {}

    public var revenue: Int128 { revenueByKind.values.reduce(0, +) }
    public var netRevenue: Int128 { revenue - refunds }
    public var averageOrderValue: Int128 { Ratio.divide(revenue, Int128(salesCount)) ?? 0 }
    public var mrr: Int128 { monthlyPrices + (Ratio.divide(yearlyPrices, 12) ?? 0) }

    mutating func add(_ s: DailySales) {
        salesCount += s.count
        revenueByKind[SaleKind(rawValue: s.kind) ?? .new, default: 0] += s.amount
        refunds += s.refunded
    }

    func fields(_ currency: String, of what: String) throws(PorticoError) -> [JSONObject.Member] {
        func money(_ key: String, _ v: Int128) throws(PorticoError) -> JSONObject.Member { try amount(key, v, currency, of: what) }
        var out: [JSONObject.Member] = [.init(key: "currency", value: .string(currency)),
                                        .init(key: "salesCount", value: .integer(salesCount)), try money("revenue", revenue)]
        for kind in SaleKind.allCases { out.append(try money(kind.rawValue + "Revenue", revenueByKind[kind] ?? 0)) }
        out += [try money("refunds", refunds), try money("netRevenue", netRevenue), try money("averageOrderValue", averageOrderValue),
                try money("commissionsEarned", commissionsEarned), try money("commissionsPaid", commissionsPaid),
                .init(key: "activeSubscriptions", value: .integer(activeSubscriptions)),
                .init(key: "churnedSubscriptions", value: .integer(churnedSubscriptions)), try money("mrr", mrr)]
        return out
    }
}

/// A partner's key figures over the whole range, in one currency: its totals (as a
/// period's), and against the range of the same length just before it: `growthBasisPoints`
/// (net revenue's change over the previous net revenue), `churnRateBasisPoints` (of the
/// subscriptions running at the range's start, the share that ended in it), and
/// `netRevenueRetentionBasisPoints` (what the customers with net revenue in the previous
/// range spent in this one, over what they spent then).
public struct PartnerKPIs: Sendable, Equatable {
    public var totals = PartnerFigures()
    public var previousNetRevenue: Int128 = 0
    public var subscriptionsAtStart: Int64 = 0
    public var churnedOfThose: Int64 = 0
    public var retainedCustomers: Int64 = 0
    public var retainedBefore: Int128 = 0
    public var retainedAfter: Int128 = 0

    public init() {}

    public var growthBasisPoints: Int128? {
        previousNetRevenue > 0 ? Ratio.basisPoints(totals.netRevenue - previousNetRevenue, of: previousNetRevenue) : nil
    }
    public var churnRateBasisPoints: Int128? { Ratio.basisPoints(Int128(churnedOfThose), of: Int128(subscriptionsAtStart)) }
    public var netRevenueRetentionBasisPoints: Int128? { Ratio.basisPoints(retainedAfter, of: retainedBefore) }

    func json(_ currency: String, of what: String) throws(PorticoError) -> JSONValue {
        func ratio(_ v: Int128?) -> JSONValue { v.map { .integer(Int64($0)) } ?? .null }
        var members = try totals.fields(currency, of: what)
        members += [.init(key: "previousNetRevenue", value: .integer(try Money.total(previousNetRevenue, "the previous net revenue in \(currency) of \(what)"))),
                    .init(key: "growthBasisPoints", value: try bounded(growthBasisPoints, "growth", currency, what)),
                    .init(key: "subscriptionsAtStart", value: .integer(subscriptionsAtStart)),
                    .init(key: "churnRateBasisPoints", value: ratio(churnRateBasisPoints)),
                    .init(key: "retainedCustomers", value: .integer(retainedCustomers)),
                    .init(key: "netRevenueRetentionBasisPoints", value: try bounded(netRevenueRetentionBasisPoints, "net revenue retention", currency, what))]
        return .object(JSONObject(uniqueMembers: members))
    }
}

/// A money figure as answered: its key and amount in minor units of `currency`, checked
/// against the largest amount the engine answers.
func amount(_ key: String, _ v: Int128, _ currency: String, of what: String) throws(PorticoError) -> JSONObject.Member {
    .init(key: key, value: .integer(try Money.total(v, "the \(key) in \(currency) of \(what)")))
}

/// A ratio as answered: null when undefined, checked against what the engine answers.
func bounded(_ v: Int128?, _ name: String, _ currency: String, _ what: String) throws(PorticoError) -> JSONValue {
    guard let v else { return .null }
    return .integer(try Money.total(v, "the \(name) in \(currency) of \(what)"))
}

/// `analytics.partner`: a partner's figures per period and currency, and its KPIs.
public struct PartnerAnalytics: Sendable {
    public var partnerId: String
    public var range: TimeRange
    public var granularity: Granularity
    public var currencies: [String]
    public var periods: [Period]
    public var newCustomers: [Int64]
    public var figures: [[String: PartnerFigures]]
    public var kpis: [String: PartnerKPIs]

    public func json() throws(PorticoError) -> JSONValue {
        let what = "partner \(partnerId)'s analytics"
        var rows: [JSONValue] = []
        for (i, p) in periods.enumerated() {
            var currencyRows: [JSONValue] = []
            for c in currencies {
                currencyRows.append(.object(JSONObject(uniqueMembers: try (figures[i][c] ?? PartnerFigures()).fields(c, of: what + " for " + p.label))))
            }
            rows.append(["period": .string(p.label), "from": .string(p.range.firstText), "to": p.range.endText.map(JSONValue.string) ?? .null,
                         "newCustomers": .integer(newCustomers[i]), "currencies": .array(currencyRows)])
        }
        var kpiRows: [JSONValue] = []
        for c in currencies { kpiRows.append(try (kpis[c] ?? PartnerKPIs()).json(c, of: what)) }
        return ["partnerId": .string(partnerId), "from": .string(range.firstText), "to": range.endText.map(JSONValue.string) ?? .null,
                "granularity": .string(granularity.rawValue), "newCustomers": .integer(newCustomers.reduce(0, +)),
                "periods": .array(rows), "kpis": .array(kpiRows)]
    }
}

/// What a ranking orders by.
public enum RankBy: String, Sendable, CaseIterable {
    case revenue, commissions, customers, growth
}

/// One partner or reseller of a ranking, in its currency and range: net revenue and sales
/// count, commissions that stand, distinct customers who bought, and the previous range's
/// net revenue with the growth over it.
public struct RankedEntry: Sendable {
    public var id: String
    public var name: String
    /// A partner's region, tier and status; nil for a reseller.
    public var partner: (region: String, tier: String, status: String)?
    public var sales: RankedSales
    public var commissions: Int128
    public var previousRevenue: Int128

    public var growthBasisPoints: Int128? { previousRevenue > 0 ? Ratio.basisPoints(sales.net - previousRevenue, of: previousRevenue) : nil }
}

/// `analytics.topPartners` and `analytics.resellers`.
public struct Ranking: Sendable {
    public var kind: String
    public var partnerId: String?
    public var range: TimeRange
    public var currency: String
    public var by: RankBy
    public var entries: [RankedEntry]

    public func json() throws(PorticoError) -> JSONValue {
        var items: [JSONValue] = []
        for (i, e) in entries.enumerated() {
            let what = "\(kind) \(e.id) in the ranking"
            var m: [JSONObject.Member] = [.init(key: "rank", value: .integer(Int64(i + 1))),
                                          .init(key: kind + "Id", value: .string(e.id)), .init(key: "name", value: .string(e.name))]
            if let p = e.partner {
                m += [.init(key: "region", value: .string(p.region)), .init(key: "tier", value: .string(p.tier)),
                      .init(key: "status", value: .string(p.status))]
            }
            m += [try amount("revenue", e.sales.net, currency, of: what), .init(key: "salesCount", value: .integer(e.sales.count)),
                  try amount("commissions", e.commissions, currency, of: what), .init(key: "customers", value: .integer(e.sales.customers)),
                  try amount("previousRevenue", e.previousRevenue, currency, of: what),
                  .init(key: "growthBasisPoints", value: try bounded(e.growthBasisPoints, "growth", currency, what))]
            items.append(.object(JSONObject(uniqueMembers: m)))
        }
        var out: JSONObject = ["from": .string(range.firstText), "to": range.endText.map(JSONValue.string) ?? .null,
                               "currency": .string(currency), "by": .string(by.rawValue), "items": .array(items)]
        if let partnerId { out["partnerId"] = .string(partnerId) }
        return .object(out)
    }
}

/// One currency's sales to a country's customers or a region's: how many, to how many
/// customers, their amount, refunds and net.
public struct RegionFigures: Sendable, Equatable {
    public var salesCount: Int64 = 0
    public var customers: Int64 = 0
    public var revenue: Int128 = 0
    public var refunds: Int128 = 0

    mutating func add(_ s: CountrySales) {
        salesCount += s.count; customers += s.customers; revenue += s.amount; refunds += s.refunded
    }

    func json(_ currency: String, of what: String) throws(PorticoError) -> JSONValue {
        .object(JSONObject(uniqueMembers: [
            .init(key: "currency", value: .string(currency)), .init(key: "salesCount", value: .integer(salesCount)),
            .init(key: "customers", value: .integer(customers)), try amount("revenue", revenue, currency, of: what),
            try amount("refunds", refunds, currency, of: what), try amount("netRevenue", revenue - refunds, currency, of: what),
        ]))
    }
}

/// `analytics.regions`: sales by pricing region (as the pricing rules in force group
/// countries; a country none names is under `unassigned`), and by country within each.
public struct RegionsReport: Sendable {
    public static let unassigned = "unassigned"
    public var partnerId: String?
    public var range: TimeRange
    /// region -> country -> currency -> figures
    public var regions: [String: [String: [String: RegionFigures]]]

    public func json() throws(PorticoError) -> JSONValue {
        var out: [JSONValue] = []
        for region in regions.keys.sorted() {
            let countries = regions[region]!
            var total: [String: RegionFigures] = [:]
            var countryRows: [JSONValue] = []
            for country in countries.keys.sorted() {
                var rows: [JSONValue] = []
                for (currency, f) in countries[country]!.sorted(by: { $0.key < $1.key }) {
                    rows.append(try f.json(currency, of: "country \(country)"))
                    total[currency, default: RegionFigures()].salesCount += f.salesCount
                    total[currency]!.customers += f.customers
                    total[currency]!.revenue += f.revenue
                    total[currency]!.refunds += f.refunds
                }
                countryRows.append(["country": .string(country), "currencies": .array(rows)])
            }
            var rows: [JSONValue] = []
            for (currency, f) in total.sorted(by: { $0.key < $1.key }) { rows.append(try f.json(currency, of: "region \(region)")) }
            out.append(["region": .string(region), "currencies": .array(rows), "countries": .array(countryRows)])
        }
        var answer: JSONObject = ["from": .string(range.firstText), "to": range.endText.map(JSONValue.string) ?? .null, "regions": .array(out)]
        answer["partnerId"] = partnerId.map(JSONValue.string) ?? .null
        return .object(answer)
    }
}

/// `analytics.overview`: the platform at a glance, as of now.
public struct Overview: Sendable {
    public var asOf: Timestamp
    public var byStatus: [String: Int64]
    public var byTier: [String: Int64]
    public var currencies: [CurrencyOverview]

    public func json() throws(PorticoError) -> JSONValue {
        var rows: [JSONValue] = []
        for c in currencies {
            func money(_ key: String, _ v: Int128) throws(PorticoError) -> JSONObject.Member { try amount(key, v, c.currency, of: "the overview") }
            let due = c.commissions["payable"] ?? 0
            rows.append(.object(JSONObject(uniqueMembers: [
                .init(key: "currency", value: .string(c.currency)), .init(key: "salesCount", value: .integer(c.salesCount)),
                try money("netRevenue", c.netSales),
                try money("commissionsOnHold", c.commissions["pending"] ?? 0), try money("commissionsDue", due),
                try money("commissionsProcessing", c.commissions["processing"] ?? 0), try money("commissionsPaid", c.commissions["paid"] ?? 0),
                .init(key: "payoutsInFlight", value: .integer(c.payoutsInFlight)), try money("payoutsInFlightAmount", c.payoutsInFlightAmount),
            ])))
        }
        func counts(_ d: [String: Int64]) -> JSONValue {
            .object(JSONObject(uniqueMembers: d.keys.sorted().map { .init(key: $0, value: .integer(d[$0]!)) }))
        }
        return ["asOf": .string(asOf.rfc3339),
                "partners": ["total": .integer(byStatus.values.reduce(0, +)), "byStatus": counts(byStatus), "byTier": counts(byTier)],
                "currencies": .array(rows)]
    }
}
