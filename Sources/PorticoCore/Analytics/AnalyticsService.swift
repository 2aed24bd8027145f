import JSONRPC

/// Analytics over the ledger: a partner's series and KPIs, rankings of partners and of a
/// partner's resellers, sales by region and country, and the platform's overview. Every
/// figure is read from the ledger's own rows (see AnalyticsStore), per currency: amounts in
/// different currencies are never added together or converted.
public enum AnalyticsService {
    /// The most entries a ranking answers.
    public static let rankingLimit = 100

    /// A partner's figures per period and currency, and its KPIs over the range, in one
    /// currency or in every one the partner has figures in.
    public static func partner(_ ctx: RequestContext, partnerId: String, range: TimeRange, granularity: Granularity,
                               currency: String?) throws -> PartnerAnalytics
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let periods = try Periods.split(range, granularity)
        let store = ctx.store
        var figures = Array(repeating: [String: PartnerFigures](), count: periods.count)
        var kpis: [String: PartnerKPIs] = [:]
        var currencies = Set(currency.map { [$0] } ?? [])
        func slot(_ day: String) throws -> Int {
            guard let i = Periods.index(of: day, in: periods) else {
                throw PorticoError(.internalError, "a row of \(day) outside the range \(range.firstText)...\(range.lastText)")
            }
            return i
        }
        for s in try store.salesByDay(partnerId: partner.id, currency: currency, range: range) {
            figures[try slot(s.day)][s.currency, default: PartnerFigures()].add(s)
            kpis[s.currency, default: PartnerKPIs()].totals.add(s)
            currencies.insert(s.currency)
        }
        for c in try store.commissionsByDay(partnerId: partner.id, currency: currency, range: range) {
            let i = try slot(c.day)
            figures[i][c.currency, default: PartnerFigures()].commissionsEarned += c.earned
            figures[i][c.currency]!.commissionsPaid += c.paid
            kpis[c.currency, default: PartnerKPIs()].totals.commissionsEarned += c.earned
            kpis[c.currency]!.totals.commissionsPaid += c.paid
            currencies.insert(c.currency)
        }
        var newCustomers = Array(repeating: Int64(0), count: periods.count)
        for c in try store.customersByDay(partnerId: partner.id, range: range) { newCustomers[try slot(c.day)] += c.count }

        // Subscriptions: ended ones counted in their period; running ones at each period's
        // end, by sweeping starts and ends in time order.
        let spans = try store.subscriptionSpans(partnerId: partner.id, currency: currency, range: range)
        var events: [(at: Timestamp, span: Int, delta: Int64)] = []
        for (n, s) in spans.enumerated() {
            currencies.insert(s.currency)
            events.append((s.startAt, n, 1))
            if let end = s.endedAt {
                events.append((end, n, -1))
                if let i = Periods.index(of: end, in: periods) {
                    figures[i][s.currency, default: PartnerFigures()].churnedSubscriptions += 1
                    kpis[s.currency, default: PartnerKPIs()].totals.churnedSubscriptions += 1
                }
            }
            // Running at the range's start: started before it and not ended by then.
            if s.startAt < range.first, s.endedAt.map({ $0 >= range.first }) ?? true {
                kpis[s.currency, default: PartnerKPIs()].subscriptionsAtStart += 1
                if let end = s.endedAt, end <= range.last { kpis[s.currency]!.churnedOfThose += 1 }
            }
        }
        events.sort { ($0.at, $0.delta) < ($1.at, $1.delta) }
        var running: [String: PartnerFigures] = [:]
        var next = 0
        for (i, p) in periods.enumerated() {
            while next < events.count, events[next].at <= p.range.last {
                let e = events[next], s = spans[e.span]
                running[s.currency, default: PartnerFigures()].activeSubscriptions += e.delta
                if s.interval == .month {
                    running[s.currency]!.monthlyPrices += Int128(e.delta) * Int128(s.amount)
                } else {
                    running[s.currency]!.yearlyPrices += Int128(e.delta) * Int128(s.amount)
                }
                next += 1
            }
            for (c, r) in running {
                figures[i][c, default: PartnerFigures()].activeSubscriptions = r.activeSubscriptions
                figures[i][c]!.monthlyPrices = r.monthlyPrices
                figures[i][c]!.yearlyPrices = r.yearlyPrices
            }
        }
        for (c, r) in running {
            kpis[c, default: PartnerKPIs()].totals.activeSubscriptions = r.activeSubscriptions
            kpis[c]!.totals.monthlyPrices = r.monthlyPrices
            kpis[c]!.totals.yearlyPrices = r.yearlyPrices
        }

        // Against the range just before: growth, and what its customers spent since.
        if let previous = range.previous {
            for s in try store.salesByDay(partnerId: partner.id, currency: currency, range: previous) {
                kpis[s.currency, default: PartnerKPIs()].previousNetRevenue += s.amount - s.refunded
                currencies.insert(s.currency)
            }
            for r in try store.retention(partnerId: partner.id, currency: currency, before: previous, after: range) {
                kpis[r.currency, default: PartnerKPIs()].retainedCustomers = r.customers
                kpis[r.currency]!.retainedBefore = r.before
                kpis[r.currency]!.retainedAfter = r.after
            }
        }
        return PartnerAnalytics(partnerId: partner.id, range: range, granularity: granularity, currencies: currencies.sorted(),
                                periods: periods, newCustomers: newCustomers, figures: figures, kpis: kpis)
    }

    /// The platform's partners (of one region and tier of the pricing rules, when given)
    /// ranked in one currency.
    /// `fields` prefixes the params' names in errors (`params.` inside an export).
    public static func topPartners(_ ctx: RequestContext, range: TimeRange, by: RankBy, currency: String, region: String?,
                                   tier: String?, limit: Int, fields prefix: String = "") throws -> Ranking
    {
        try ctx.authorize(partner: nil)
        let region = try region.map { r throws(PorticoError) in try Validate.region(r, ctx.rules.pricing, field: prefix + "region") }
        let tier = try tier.map { t throws(PorticoError) in try Validate.tier(t, ctx.rules.pricing, field: prefix + "tier") }
        let entries = try rank(ctx.store, .partners(region: region, tier: tier), range: range, by: by, currency: currency, limit: limit) { id in
            let p = try PartnerService.load(id, ctx.store)
            return (p.name, (p.region, p.tier, p.status.rawValue))
        }
        return Ranking(kind: "partner", partnerId: nil, range: range, currency: currency, by: by, entries: entries)
    }

    /// A partner's resellers ranked in one currency (`growth` is not offered for
    /// resellers' commissions: `by` is any of RankBy).
    public static func resellers(_ ctx: RequestContext, partnerId: String, range: TimeRange, by: RankBy, currency: String,
                                 limit: Int) throws -> Ranking
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let entries = try rank(ctx.store, .resellers(partnerId: partner.id), range: range, by: by, currency: currency, limit: limit) { id in
            (try ResellerService.load(id, ctx.store).name, nil)
        }
        return Ranking(kind: "reseller", partnerId: partner.id, range: range, currency: currency, by: by, entries: entries)
    }

    /// The members of `group` that have the figure `by` orders by (sales in the range;
    /// commissions in it; net revenue in the previous range, for growth), highest first,
    /// ties in id order; the first `limit`, named by `describe`.
    static func rank(_ store: any StoreTransaction, _ group: RankingGroup, range: TimeRange, by: RankBy, currency: String, limit: Int,
                     describe: (String) throws -> (String, (region: String, tier: String, status: String)?)) throws -> [RankedEntry]
    {
        if range.isEmpty { return [] }
        // Distinct customers are counted for every member only when they decide the order,
        // otherwise for the entries answered.
        let sales = try store.rankedSales(group, currency: currency, range: range, customers: by == .customers)
        let commissions = try store.rankedCommissions(group, currency: currency, range: range)
        let previous = try range.previous.map { try store.rankedSales(group, currency: currency, range: $0, customers: false) } ?? [:]
        func entry(_ id: String) -> RankedEntry {
            RankedEntry(id: id, name: "", partner: nil, sales: sales[id] ?? RankedSales(count: 0, net: 0, customers: 0),
                        commissions: commissions[id]?.amount ?? 0, previousRevenue: previous[id]?.net ?? 0)
        }
        let candidates: [RankedEntry]
        let measure: (RankedEntry) -> Int128
        switch by {
        case .revenue:
            candidates = sales.keys.map(entry); measure = { $0.sales.net }
        case .customers:
            candidates = sales.keys.map(entry); measure = { Int128($0.sales.customers) }
        case .commissions:
            candidates = commissions.keys.map(entry); measure = { $0.commissions }
        case .growth:
            candidates = previous.filter { $0.value.net > 0 }.keys.map(entry); measure = { $0.growthBasisPoints ?? 0 }
        }
        var top = Array(candidates.map { (measure($0), $0) }
            .sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1.id < $1.1.id }
            .prefix(limit).map(\.1))
        for i in top.indices {
            (top[i].name, top[i].partner) = try describe(top[i].id)
            if by != .customers && top[i].sales.count > 0 {
                top[i].sales.customers = try store.rankedCustomers(group, member: top[i].id, currency: currency, range: range)
            }
        }
        return top
    }

    /// Sales by pricing region and customer country, of one partner or (for the platform)
    /// of all; a member reads its own partner's, whether it names it or not.
    public static func regions(_ ctx: RequestContext, partnerId: String?, range: TimeRange, currency: String?) throws -> RegionsReport {
        var scope: PartnerRecord? = try partnerId.map { try PartnerService.load($0, ctx.store) }
        if scope == nil, let own = try ctx.requireActor().ownPartner { scope = own }
        try ctx.authorize(partner: scope)
        var regions: [String: [String: [String: RegionFigures]]] = [:]
        if !range.isEmpty {
            let map = ctx.rules.pricing.countryRegion
            for row in try ctx.store.salesByCountry(partnerId: scope?.id, currency: currency, range: range) {
                regions[map[row.country] ?? RegionsReport.unassigned, default: [:]][row.country, default: [:]][row.currency, default: RegionFigures()]
                    .add(row)
            }
        }
        return RegionsReport(partnerId: scope?.id, range: range, regions: regions)
    }

    /// Partners by status and tier, and per currency the platform's net sales, its
    /// commissions by effective status and its payouts in flight.
    public static func overview(_ ctx: RequestContext) throws -> Overview {
        try ctx.authorize(partner: nil)
        var byStatus: [String: Int64] = [:], byTier: [String: Int64] = [:]
        for s in PartnerStatus.allCases { byStatus[s.rawValue] = 0 }
        for row in try ctx.store.partnerCounts() {
            byStatus[row.status, default: 0] += row.count
            byTier[row.tier, default: 0] += row.count
        }
        return Overview(asOf: ctx.now, byStatus: byStatus, byTier: byTier, currencies: try ctx.store.platformTotals(now: ctx.now))
    }
}
