import GRDB
import PorticoCore

/// The SQL of report totals.
///
/// Sums cannot overflow, however many rows they add: each amount is summed as its high
/// and low 32 bits (`amount >> 32`, `amount & 0xFFFFFFFF`, each far from Int64's limit
/// for any number of rows below 2^31) and put together as an `Int128`. Whether a total
/// fits what the engine answers is the caller's to check.
enum ReportSQL {
    /// The SQL of an overflow-free sum of `expression`: two result columns.
    static func sum(_ expression: String) -> String {
        "SUM((\(expression)) >> 32), SUM((\(expression)) & 4294967295)"
    }

    /// The value of a `sum` read from its two columns, starting at `index`.
    static func sumValue(_ row: Columns, _ index: Int) -> Int128 {
        (Int128(row[index] as Int64) << 32) + Int128(row[index + 1] as Int64)
    }

    /// `(key, currency, sum, count)` rows.
    static func totals(_ statement: Statement, _ arguments: StatementArguments) throws -> [ReportTotal] {
        try Columns.fetchAll(statement, arguments: arguments) { ReportTotal(key: $0[0], currency: $0[1], amount: sumValue($0, 2), count: $0[4]) }
    }
}

extension SQLiteTransaction: ReportStore {
    /// Net sales (amount less refunds) by currency, or by period and currency when
    /// `periodLength` is 10 (YYYY-MM-DD) or 7 (YYYY-MM), for a partner or one reseller.
    public func salesTotals(partnerId: String, resellerId: String?, first: String, last: String, periodLength: Int?) throws
        -> [ReportTotal]
    {
        let key = periodLength.map { "substr(occurredAt, 1, \($0))" } ?? "''"
        let (column, id) = resellerId.map { ("resellerId", $0) } ?? ("partnerId", partnerId)
        return try ReportSQL.totals(db.cachedStatement(sql: """
            SELECT \(key) AS k, currency, \(ReportSQL.sum("amount - refunded")), COUNT(*) FROM sale
            WHERE \(column) = ? AND occurredAt >= ? AND occurredAt <= ?
            GROUP BY k, currency ORDER BY k, currency
            """), [id, first, last])
    }

    /// Commissions by effective status (payable = pending whose hold has ended at `now`)
    /// and currency, or standing ones (not cancelled or reversed) by period and currency,
    /// occurring from `first` through `last`.
    public func commissionTotals(partnerId: String, resellerId: String?, first: String, last: String, now: Timestamp,
                                 periodLength: Int?) throws -> [ReportTotal]
    {
        let now = now.rfc3339
        let key = periodLength.map { "substr(occurredAt, 1, \($0))" }
            ?? "CASE WHEN status = 'pending' AND payableAt <= ? THEN 'payable' ELSE status END"
        var args: [(any DatabaseValueConvertible)?] = periodLength == nil ? [now] : []
        var sql = "SELECT \(key) AS k, currency, \(ReportSQL.sum("amount")), COUNT(*) FROM commission WHERE partnerId = ?"
        args.append(partnerId)
        if let resellerId { sql += " AND resellerId = ?"; args.append(resellerId) }
        if periodLength != nil { sql += " AND status != 'cancelled' AND status != 'reversed'" }
        sql += " AND occurredAt >= ? AND occurredAt <= ? GROUP BY k, currency ORDER BY k, currency"
        args += [first, last]
        return try ReportSQL.totals(db.cachedStatement(sql: sql), StatementArguments(args))
    }

    /// Net sales by currency (or by period and currency) from the running totals, for the
    /// days `firstDay` through `lastDay`.
    public func salesFromRunningTotals(partnerId: String, firstDay: String, lastDay: String, periodLength: Int?) throws -> [ReportTotal] {
        let scope = RunningTotals.scope(partnerId: partnerId, resellerId: nil)
        // Without periods, group in the primary key's order (currency): no sorting.
        let (key, groups) = periodLength.map { ("substr(day, 1, \($0))", "k, currency") } ?? ("''", "currency")
        return try ReportSQL.totals(db.cachedStatement(sql: """
            SELECT \(key) AS k, currency, \(ReportSQL.sum("amount")), SUM(count) FROM sale_volume
            WHERE scope = ? AND day >= ? AND day <= ? GROUP BY \(groups) HAVING SUM(count) > 0 ORDER BY k, currency
            """), [scope, firstDay, lastDay])
    }

    /// Commissions by effective status and currency (or standing ones by period) from the
    /// running totals, for the days `firstDay` through `lastDay`. Pending entries whose
    /// hold ends today are split at `now` from the ledger itself; `wholeLedger` says the
    /// range is every instant, which spares that split a test of the occurrence time.
    public func commissionsFromRunningTotals(partnerId: String, firstDay: String, lastDay: String, wholeLedger: Bool, now: Timestamp,
                                             periodLength: Int?) throws -> [ReportTotal]
    {
        let now = now.rfc3339
        if let length = periodLength {
            return try ReportSQL.totals(db.cachedStatement(sql: """
                SELECT substr(day, 1, \(length)) AS k, currency, \(ReportSQL.sum("amount")), SUM(count) FROM commission_rollup
                WHERE partnerId = ? AND day >= ? AND day <= ? AND status != 'cancelled' AND status != 'reversed'
                GROUP BY k, currency HAVING SUM(count) > 0 ORDER BY k, currency
                """), [partnerId, firstDay, lastDay])
        }
        let today = String(now.prefix(10))
        var totals: [String: ReportTotal] = [:]
        func add(_ status: String, _ currency: String, _ amount: Int128, _ count: Int64) {
            let k = status + "|" + currency
            var total = totals[k] ?? ReportTotal(key: status, currency: currency, amount: 0, count: 0)
            total.amount += amount
            total.count += count
            totals[k] = total
        }
        // Grouped in the primary key's order (currency, status): no sorting. Pending totals
        // split by payable day: before today payable, from today on pending...
        let standing = "CASE WHEN status != 'pending' OR payableDay >= ? THEN amount ELSE 0 END"
        let due = "CASE WHEN status = 'pending' AND payableDay < ? THEN amount ELSE 0 END"
        for row in try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT status, currency, \(ReportSQL.sum(standing)),
                   SUM(CASE WHEN status != 'pending' OR payableDay >= ? THEN count ELSE 0 END),
                   \(ReportSQL.sum(due)),
                   SUM(CASE WHEN status = 'pending' AND payableDay < ? THEN count ELSE 0 END)
            FROM commission_rollup
            WHERE partnerId = ? AND day >= ? AND day <= ?
            GROUP BY currency, status
            """), arguments: [today, today, today, today, today, today, partnerId, firstDay, lastDay], { row in
                (status: row[0] as String, currency: row[1] as String, standing: ReportSQL.sumValue(row, 2), standingCount: row[4] as Int64,
                 due: ReportSQL.sumValue(row, 5), dueCount: row[7] as Int64)
            })
        {
            add(row.status, row.currency, row.standing, row.standingCount)
            add("payable", row.currency, row.due, row.dueCount)
        }
        // ...then the entries whose hold ended earlier today move from pending to payable:
        // the only ones read from the ledger, from a covering index, and only up to `now`.
        // The whole ledger needs no test of the occurrence time.
        let occurred = wholeLedger ? "" : "AND occurredAt >= ? AND occurredAt <= ?"
        let endedToday = try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT currency, \(ReportSQL.sum("amount")), COUNT(*) FROM commission INDEXED BY commission_due
            WHERE partnerId = ? AND status = 'pending' AND payableAt >= ? AND payableAt <= ? \(occurred)
            GROUP BY currency
            """), arguments: StatementArguments([partnerId, today + "T00:00:00.000Z", now]
                + (wholeLedger ? [] : [firstDay + "T00:00:00.000Z", lastDay + "T23:59:59.999Z"])),
            { (currency: $0[0] as String, amount: ReportSQL.sumValue($0, 1), count: $0[3] as Int64) })
        for row in endedToday {
            add("payable", row.currency, row.amount, row.count)
            add("pending", row.currency, -row.amount, -row.count)
        }
        return totals.values.filter { $0.count > 0 }.sorted { ($0.key, $0.currency) < ($1.key, $1.currency) }
    }
}
