import PorticoCore

/// The analytics read the ledger's own rows, grouped and summed exactly (PostgreSQL sums
/// bigints as numeric): the same figures SQLite's store reads from its running totals, which
/// its property tests hold equal to these groupings of the ledger.
extension PostgresTransaction: AnalyticsStore {
    public func salesByDay(partnerId: String, currency: String?, range: TimeRange) throws -> [DailySales] {
        try query("""
            SELECT substr(occurred_at, 1, 10) AS d, currency, kind, count(*), sum(amount), sum(refunded) FROM sale
            WHERE partner_id = $1 AND ($2::text IS NULL OR currency = $2) AND occurred_at >= $3 AND occurred_at <= $4
            GROUP BY d, currency, kind ORDER BY d, currency, kind
            """, [.text(partnerId), .text(currency), .text(range.firstText), .text(range.lastText)]).all.map {
            DailySales(day: try $0.string(0), currency: try $0.string(1), kind: try $0.string(2), count: try $0.int(3), amount: try $0.sum(4),
                       refunded: try $0.sum(5))
        }
    }

    public func commissionsByDay(partnerId: String, currency: String?, range: TimeRange) throws -> [DailyCommissions] {
        try query("""
            SELECT substr(occurred_at, 1, 10) AS d, currency, sum(amount), sum(CASE WHEN status = 'paid' THEN amount ELSE 0 END) FROM commission
            WHERE partner_id = $1 AND ($2::text IS NULL OR currency = $2) AND occurred_at >= $3 AND occurred_at <= $4
              AND status != 'cancelled' AND status != 'reversed'
            GROUP BY d, currency ORDER BY d, currency
            """, [.text(partnerId), .text(currency), .text(range.firstText), .text(range.lastText)]).all.map {
            DailyCommissions(day: try $0.string(0), currency: try $0.string(1), earned: try $0.sum(2), paid: try $0.sum(3))
        }
    }

    public func customersByDay(partnerId: String, range: TimeRange) throws -> [(day: String, count: Int64)] {
        try query("""
            SELECT substr(created_at, 1, 10) AS d, count(*) FROM customer WHERE partner_id = $1 AND created_at >= $2 AND created_at <= $3
            GROUP BY d ORDER BY d
            """, [.text(partnerId), .text(range.firstText), .text(range.lastText)]).all.map { (day: try $0.string(0), count: try $0.int(1)) }
    }

    public func subscriptionSpans(partnerId: String, currency: String?, range: TimeRange) throws -> [SubscriptionSpan] {
        try query("""
            SELECT currency, interval, amount, start_at, ended_at FROM subscription
            WHERE partner_id = $1 AND ($2::text IS NULL OR currency = $2) AND start_at <= $3 AND (ended_at IS NULL OR ended_at >= $4) ORDER BY seq
            """, [.text(partnerId), .text(currency), .text(range.lastText), .text(range.firstText)]).all.map {
            SubscriptionSpan(currency: try $0.string(0), interval: try $0.value(1), amount: try $0.int(2), startAt: try $0.timestamp(3),
                             endedAt: try $0.optionalTimestamp(4))
        }
    }

    public func retention(partnerId: String, currency: String?, before: TimeRange, after: TimeRange) throws -> [RetentionTotals] {
        if before.isEmpty || after.isEmpty { return [] }
        let span = TimeRange(first: min(before.first, after.first), last: max(before.last, after.last))
        return try query("""
            SELECT currency, count(*), sum(b), sum(a) FROM (
                SELECT currency, sum(CASE WHEN occurred_at >= $1 AND occurred_at <= $2 THEN amount - refunded ELSE 0 END) AS b,
                       sum(CASE WHEN occurred_at >= $3 AND occurred_at <= $4 THEN amount - refunded ELSE 0 END) AS a
                FROM sale WHERE partner_id = $5 AND ($6::text IS NULL OR currency = $6) AND occurred_at >= $7 AND occurred_at <= $8
                GROUP BY customer_id, currency) AS c
            WHERE b > 0 GROUP BY currency ORDER BY currency
            """, [.text(before.firstText), .text(before.lastText), .text(after.firstText), .text(after.lastText), .text(partnerId), .text(currency),
                  .text(span.firstText), .text(span.lastText)]).all.map {
            RetentionTotals(currency: try $0.string(0), customers: try $0.int(1), before: try $0.sum(2), after: try $0.sum(3))
        }
    }

    /// The FROM and WHERE of a ranking over `table` (`sale` or `commission`, aliased `t`): its
    /// group's rows in one currency and range, keyed by partner or reseller (`key`).
    private func ranking(_ table: String, _ group: RankingGroup, currency: String, range: TimeRange) -> (key: String, from: String, params: [PGValue]) {
        switch group {
        case .partners(let region, let tier):
            return ("t.partner_id", """
                \(table) t JOIN partner p ON p.id = t.partner_id
                WHERE t.currency = $1 AND t.occurred_at >= $2 AND t.occurred_at <= $3
                  AND ($4::text IS NULL OR p.region = $4) AND ($5::text IS NULL OR p.tier = $5)
                """, [.text(currency), .text(range.firstText), .text(range.lastText), .text(region), .text(tier)])
        case .resellers(let partnerId):
            return ("t.reseller_id", """
                \(table) t WHERE t.currency = $1 AND t.occurred_at >= $2 AND t.occurred_at <= $3 AND t.partner_id = $4 AND t.reseller_id IS NOT NULL
                """, [.text(currency), .text(range.firstText), .text(range.lastText), .text(partnerId)])
        }
    }

    public func rankedSales(_ group: RankingGroup, currency: String, range: TimeRange, customers: Bool) throws -> [String: RankedSales] {
        let (key, from, params) = ranking("sale", group, currency: currency, range: range)
        let distinct = customers ? "count(DISTINCT t.customer_id)" : "0"
        var out: [String: RankedSales] = [:]
        for row in try query("SELECT \(key), count(*), \(distinct), sum(t.amount - t.refunded) FROM \(from) GROUP BY \(key)", params).all {
            out[try row.string(0)] = RankedSales(count: try row.int(1), net: try row.sum(3), customers: try row.int(2))
        }
        return out
    }

    public func rankedCustomers(_ group: RankingGroup, member id: String, currency: String, range: TimeRange) throws -> Int64 {
        if range.isEmpty { return 0 }
        switch group {
        case .partners:
            return try query("""
                SELECT count(DISTINCT customer_id) FROM sale WHERE partner_id = $1 AND currency = $2 AND occurred_at >= $3 AND occurred_at <= $4
                """, [.text(id), .text(currency), .text(range.firstText), .text(range.lastText)]).row(0).int(0)
        case .resellers(let partnerId):
            return try query("""
                SELECT count(DISTINCT customer_id) FROM sale
                WHERE reseller_id = $1 AND currency = $2 AND occurred_at >= $3 AND occurred_at <= $4 AND partner_id = $5
                """, [.text(id), .text(currency), .text(range.firstText), .text(range.lastText), .text(partnerId)]).row(0).int(0)
        }
    }

    public func rankedCommissions(_ group: RankingGroup, currency: String, range: TimeRange) throws -> [String: (count: Int64, amount: Int128)] {
        let (key, from, params) = ranking("commission", group, currency: currency, range: range)
        var out: [String: (count: Int64, amount: Int128)] = [:]
        for row in try query("""
            SELECT \(key), count(*), sum(t.amount) FROM \(from) AND t.status != 'cancelled' AND t.status != 'reversed' GROUP BY \(key)
            """, params).all {
            out[try row.string(0)] = (try row.int(1), try row.sum(2))
        }
        return out
    }

    public func salesByCountry(partnerId: String?, currency: String?, range: TimeRange) throws -> [CountrySales] {
        try query("""
            SELECT c.country, s.currency, count(*), count(DISTINCT s.customer_id), sum(s.amount), sum(s.refunded)
            FROM sale s JOIN customer c ON c.id = s.customer_id
            WHERE ($1::text IS NULL OR s.partner_id = $1) AND ($2::text IS NULL OR s.currency = $2) AND s.occurred_at >= $3 AND s.occurred_at <= $4
            GROUP BY c.country, s.currency ORDER BY c.country, s.currency
            """, [.text(partnerId), .text(currency), .text(range.firstText), .text(range.lastText)]).all.map {
            CountrySales(country: try $0.string(0), currency: try $0.string(1), count: try $0.int(2), customers: try $0.int(3), amount: try $0.sum(4),
                         refunded: try $0.sum(5))
        }
    }

    public func partnerCounts() throws -> [(status: String, tier: String, count: Int64)] {
        try query("SELECT status, tier, count(*) FROM partner GROUP BY status, tier ORDER BY status, tier").all.map {
            (status: try $0.string(0), tier: try $0.string(1), count: try $0.int(2))
        }
    }

    /// Sales per currency, commissions by effective status at `now` (pending whose hold has
    /// ended is payable), payouts in flight.
    public func platformTotals(now: Timestamp) throws -> [CurrencyOverview] {
        var out: [String: CurrencyOverview] = [:]
        for r in try query("SELECT currency, count(*), sum(amount - refunded) FROM sale GROUP BY currency").all {
            let currency = try r.string(0)
            out[currency, default: CurrencyOverview(currency: currency)].salesCount = try r.int(1)
            out[currency]!.netSales = try r.sum(2)
        }
        for r in try query("""
            SELECT currency, CASE WHEN status = 'pending' AND payable_at <= $1 THEN 'payable' ELSE status END AS s, sum(amount)
            FROM commission GROUP BY currency, s
            """, [.text(now.rfc3339)]).all {
            let currency = try r.string(0)
            out[currency, default: CurrencyOverview(currency: currency)].commissions[try r.string(1), default: 0] += try r.sum(2)
        }
        for r in try query("SELECT currency, count(*), sum(amount) FROM payout WHERE status = 'created' OR status = 'processing' GROUP BY currency").all {
            let currency = try r.string(0)
            out[currency, default: CurrencyOverview(currency: currency)].payoutsInFlight = try r.int(1)
            out[currency]!.payoutsInFlightAmount = try r.sum(2)
        }
        return out.keys.sorted().map { out[$0]! }
    }
}
