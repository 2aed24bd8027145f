import PorticoCore

extension PostgresTransaction: ReportStore {
    /// Net sales (amount less refunds) by currency, or by period and currency when
    /// `periodLength` is 10 (YYYY-MM-DD) or 7 (YYYY-MM), for a partner or one reseller.
    public func salesTotals(partnerId: String, resellerId: String?, range: TimeRange, periodLength: Int?) throws -> [ReportTotal] {
        let key = periodLength.map { "substr(occurred_at, 1, \($0))" } ?? "''"
        let (column, id) = resellerId.map { ("reseller_id", $0) } ?? ("partner_id", partnerId)
        return try query("""
            SELECT \(key) AS k, currency, count(*), sum(amount - refunded) FROM sale
            WHERE \(column) = $1 AND occurred_at >= $2 AND occurred_at <= $3
            GROUP BY k, currency ORDER BY k, currency
            """, [.text(id), .text(range.firstText), .text(range.lastText)]).all.map { try $0.reportTotal() }
    }

    /// Commissions by effective status (payable = pending whose hold has ended at `now`)
    /// and currency, or standing ones (not cancelled or reversed) by period and currency.
    public func commissionTotals(partnerId: String, resellerId: String?, range: TimeRange, now: Timestamp,
                                 periodLength: Int?) throws -> [ReportTotal]
    {
        var w = Filter("partner_id = $1", [.text(partnerId)])
        if let resellerId { w.and("reseller_id", .text(resellerId)) }
        if periodLength != nil { w.sql += " AND status != 'cancelled' AND status != 'reversed'" }
        w.params += [.text(range.firstText), .text(range.lastText)]
        w.sql += " AND occurred_at >= $\(w.params.count - 1) AND occurred_at <= $\(w.params.count)"
        let key = periodLength.map { "substr(occurred_at, 1, \($0))" } ?? "CASE WHEN status = 'pending' AND payable_at <= \(w.next) THEN 'payable' ELSE status END"
        return try query("""
            SELECT \(key) AS k, currency, count(*), sum(amount) FROM commission WHERE \(w.sql) GROUP BY k, currency ORDER BY k, currency
            """, w.params + (periodLength == nil ? [.text(now.rfc3339)] : [])).all.map { try $0.reportTotal() }
    }

    /// Net sales by currency (or by period and currency) from the running totals, for the
    /// days `days` spans.
    public func salesFromRunningTotals(partnerId: String, days: TimeRange, periodLength: Int?) throws -> [ReportTotal] {
        let key = periodLength.map { "substr(day, 1, \($0))" } ?? "''"
        return try query("""
            SELECT \(key) AS k, currency, sum(count)::bigint, sum(amount - refunded) FROM sale_total
            WHERE partner_id = $1 AND day >= $2 AND day <= $3 GROUP BY k, currency HAVING sum(count) > 0 ORDER BY k, currency
            """, [.text(partnerId), .text(days.firstDay), .text(days.lastDay)]).all.map { try $0.reportTotal() }
    }

    /// Commissions by effective status and currency (or standing ones by period) from the
    /// running totals, for the days `days` spans; pending entries whose hold ends today are
    /// split at `now` from the ledger itself.
    public func commissionsFromRunningTotals(partnerId: String, days: TimeRange, now: Timestamp, periodLength: Int?) throws
        -> [ReportTotal]
    {
        if let length = periodLength {
            return try query("""
                SELECT substr(day, 1, \(length)) AS k, currency, sum(count)::bigint, sum(amount) FROM commission_rollup
                WHERE partner_id = $1 AND day >= $2 AND day <= $3 AND status != 'cancelled' AND status != 'reversed'
                GROUP BY k, currency HAVING sum(count) > 0 ORDER BY k, currency
                """, [.text(partnerId), .text(days.firstDay), .text(days.lastDay)]).all.map { try $0.reportTotal() }
        }
        let today = String(now.rfc3339.prefix(10))
        var totals = ReportTotals()
        // Pending totals split by payable day: before today payable, from today on pending...
        for row in try query("""
            SELECT status, currency,
                   sum(CASE WHEN status != 'pending' OR payable_day >= $4 THEN count ELSE 0 END)::bigint,
                   sum(CASE WHEN status = 'pending' AND payable_day < $4 THEN count ELSE 0 END)::bigint,
                   sum(CASE WHEN status != 'pending' OR payable_day >= $4 THEN amount ELSE 0 END),
                   sum(CASE WHEN status = 'pending' AND payable_day < $4 THEN amount ELSE 0 END)
            FROM commission_rollup WHERE partner_id = $1 AND day >= $2 AND day <= $3 GROUP BY currency, status
            """, [.text(partnerId), .text(days.firstDay), .text(days.lastDay), .text(today)]).all {
            totals.add(try row.string(0), try row.string(1), try row.sum(4), try row.int(2))
            totals.add("payable", try row.string(1), try row.sum(5), try row.int(3))
        }
        // ...then the entries whose hold ended earlier today move from pending to payable.
        let startOfDay = now.startOfDay
        let occurred = days == .all ? (first: Timestamp.min, last: Timestamp.max)
            : (first: days.first.startOfDay, last: Timestamp(millisecondsSinceEpoch: days.last.startOfDay.adding(days: 1).millisecondsSinceEpoch - 1))
        for row in try query("""
            SELECT currency, count(*), sum(amount) FROM commission
            WHERE partner_id = $1 AND status = 'pending' AND payable_at >= $2 AND payable_at <= $3 AND occurred_at >= $4 AND occurred_at <= $5
            GROUP BY currency
            """, [.text(partnerId), .text(startOfDay.rfc3339), .text(now.rfc3339), .text(occurred.first.rfc3339), .text(occurred.last.rfc3339)]).all {
            totals.add("payable", try row.string(0), try row.sum(2), try row.int(1))
            totals.add("pending", try row.string(0), -(try row.sum(2)), -(try row.int(1)))
        }
        return totals.ordered
    }
}
