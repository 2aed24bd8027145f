import GRDB
import PorticoCore

/// How a query sums stored amounts, exactly whatever their number and size.
///
/// `plain` is SQLite's own SUM, which stops with "integer overflow" rather than wrap past
/// Int64. `split` sums each amount's high and low 32 bits apart (`x >> 32`, `x &
/// 0xFFFFFFFF`, each far from Int64's limit for any number of rows below 2^31) and puts
/// them together as an `Int128`: it never overflows, at the cost of a second sum. Every
/// query runs plain first and again split only when a plain sum overflowed (`exact`), so
/// the common case pays for one sum. Sum columns come last in a row. Whether a total fits
/// what the engine answers is the caller's to check.
struct Sums {
    let split: Bool

    /// The SQL of a sum of `expression`: `width` result columns.
    func sql(_ expression: String) -> String {
        split ? "SUM((\(expression)) >> 32), SUM((\(expression)) & 4294967295)" : "SUM(\(expression))"
    }

    var width: Int { split ? 2 : 1 }

    /// The sum read from its column(s), starting at `index`.
    func value(_ row: Columns, _ index: Int) -> Int128 {
        split ? (Int128(row[index] as Int64) << 32) + Int128(row[index + 1] as Int64) : Int128(row[index] as Int64)
    }

    /// Runs `query` with plain sums, and again with split ones if a sum overflowed.
    static func exact<T>(_ query: (Sums) throws -> T) throws -> T {
        do {
            return try query(Sums(split: false))
        } catch let e as DatabaseError where e.resultCode == .SQLITE_ERROR && (e.message ?? "").contains("integer overflow") {
            return try query(Sums(split: true))
        }
    }

    /// `(key, currency, count, sum)` rows.
    func totals(_ statement: Statement, _ arguments: StatementArguments) throws -> [ReportTotal] {
        try Columns.fetchAll(statement, arguments: arguments) { ReportTotal(key: $0[0], currency: $0[1], amount: value($0, 3), count: $0[2]) }
    }
}

extension SQLiteTransaction: ReportStore {
    /// Net sales (amount less refunds) by currency, or by period and currency when
    /// `periodLength` is 10 (YYYY-MM-DD) or 7 (YYYY-MM), for a partner or one reseller.
    public func salesTotals(partnerId: String, resellerId: String?, range: TimeRange, periodLength: Int?) throws -> [ReportTotal] {
        let key = periodLength.map { LedgerTime.period("occurredAt", width: "\($0)") } ?? "''"
        let (column, seq) = try resellerId.map { ("resellerSeq", try ref(.reseller, $0)) } ?? ("partnerSeq", try ref(.partner, partnerId))
        return try Sums.exact { sums in
            try sums.totals(db.cachedStatement(sql: """
                SELECT \(key) AS k, currency, COUNT(*), \(sums.sql("amount - refunded")) FROM sale
                WHERE \(column) = ? AND occurredAt >= ? AND occurredAt <= ?
                GROUP BY k, currency ORDER BY k, currency
                """), [seq, range.firstMillis, range.lastMillis])
        }
    }

    /// Commissions by effective status (payable = pending whose hold has ended at `now`)
    /// and currency, or standing ones (not cancelled or reversed) by period and currency,
    /// occurring from `first` through `last`.
    public func commissionTotals(partnerId: String, resellerId: String?, range: TimeRange, now: Timestamp,
                                 periodLength: Int?) throws -> [ReportTotal]
    {
        let now = now.millisecondsSinceEpoch
        let key = periodLength.map { LedgerTime.period("occurredAt", width: "\($0)") }
            ?? "CASE WHEN status = 'pending' AND payableAt <= ? THEN 'payable' ELSE status END"
        var args: [(any DatabaseValueConvertible)?] = periodLength == nil ? [now] : []
        var conditions = "partnerSeq = ?"
        args.append(try ref(.partner, partnerId))
        if let resellerId { conditions += " AND resellerSeq = ?"; args.append(try ref(.reseller, resellerId)) }
        if periodLength != nil { conditions += " AND status != 'cancelled' AND status != 'reversed'" }
        conditions += " AND occurredAt >= ? AND occurredAt <= ?"
        args += [range.firstMillis, range.lastMillis]
        return try Sums.exact { sums in
            try sums.totals(db.cachedStatement(sql: """
                SELECT \(key) AS k, currency, COUNT(*), \(sums.sql("amount")) FROM commission WHERE \(conditions)
                GROUP BY k, currency ORDER BY k, currency
                """), StatementArguments(args))
        }
    }

    /// Net sales by currency (or by period and currency) from the running totals, for the
    /// days `firstDay` through `lastDay`.
    public func salesFromRunningTotals(partnerId: String, days: TimeRange, periodLength: Int?) throws -> [ReportTotal] {
        // Without periods, group in the primary key's order (currency): no sorting.
        let (key, groups) = periodLength.map { ("substr(day, 1, \($0))", "k, currency") } ?? ("''", "currency")
        return try Sums.exact { sums in
            try sums.totals(db.cachedStatement(sql: """
                SELECT \(key) AS k, currency, SUM(count), \(sums.sql("amount - refunded")) FROM sale_total
                WHERE partnerSeq = ? AND day >= ? AND day <= ? GROUP BY \(groups) HAVING SUM(count) > 0 ORDER BY k, currency
                """), [ref(.partner, partnerId), days.firstDay, days.lastDay])
        }
    }

    /// Commissions by effective status and currency (or standing ones by period) from the
    /// running totals, for the days `days` spans. Pending entries whose
    /// hold ends today are split at `now` from the ledger itself; a range of every instant
    /// (`.all`) spares that split a test of the occurrence time.
    public func commissionsFromRunningTotals(partnerId: String, days: TimeRange, now: Timestamp, periodLength: Int?) throws
        -> [ReportTotal]
    {
        let (firstDay, lastDay, wholeLedger) = (days.firstDay, days.lastDay, days == .all)
        let partnerSeq = try ref(.partner, partnerId)
        if let length = periodLength {
            return try Sums.exact { sums in
                try sums.totals(db.cachedStatement(sql: """
                    SELECT substr(day, 1, \(length)) AS k, currency, SUM(count), \(sums.sql("amount")) FROM commission_rollup
                    WHERE partnerSeq = ? AND day >= ? AND day <= ? AND status != 'cancelled' AND status != 'reversed'
                    GROUP BY k, currency HAVING SUM(count) > 0 ORDER BY k, currency
                    """), [partnerSeq, firstDay, lastDay])
            }
        }
        let today = String(now.rfc3339.prefix(10))
        var totals = ReportTotals()
        // Grouped in the primary key's order (currency, status): no sorting. Pending totals
        // split by payable day: before today payable, from today on pending...
        let standing = "CASE WHEN status != 'pending' OR payableDay >= ? THEN amount ELSE 0 END"
        let due = "CASE WHEN status = 'pending' AND payableDay < ? THEN amount ELSE 0 END"
        let rows = try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT status, currency,
                       SUM(CASE WHEN status != 'pending' OR payableDay >= ? THEN count ELSE 0 END),
                       SUM(CASE WHEN status = 'pending' AND payableDay < ? THEN count ELSE 0 END),
                       \(sums.sql(standing)), \(sums.sql(due))
                FROM commission_rollup
                WHERE partnerSeq = ? AND day >= ? AND day <= ?
                GROUP BY currency, status
                """), arguments: StatementArguments(Array(repeating: today, count: 2 + 2 * sums.width) + [partnerSeq, firstDay, lastDay] as [any DatabaseValueConvertible])) { row in
                (status: row[0] as String, currency: row[1] as String, standingCount: row[2] as Int64, dueCount: row[3] as Int64,
                 standing: sums.value(row, 4), due: sums.value(row, 4 + sums.width))
            }
        }
        for row in rows {
            totals.add(row.status, row.currency, row.standing, row.standingCount)
            totals.add("payable", row.currency, row.due, row.dueCount)
        }
        // ...then the entries whose hold ended earlier today move from pending to payable:
        // the only ones read from the ledger, from a covering index, and only up to `now`.
        // The whole ledger needs no test of the occurrence time.
        let occurred = wholeLedger ? "" : "AND occurredAt >= ? AND occurredAt <= ?"
        let endedToday = try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT currency, COUNT(*), \(sums.sql("amount")) FROM commission INDEXED BY commission_due
                WHERE partnerSeq = ? AND status = 'pending' AND payableAt >= ? AND payableAt <= ? \(occurred)
                GROUP BY currency
                """), arguments: StatementArguments([partnerSeq, now.startOfDay.millisecondsSinceEpoch, now.millisecondsSinceEpoch] as [any DatabaseValueConvertible]
                    + (wholeLedger ? [] : [days.first.startOfDay.millisecondsSinceEpoch,
                                           days.last.startOfDay.adding(days: 1).millisecondsSinceEpoch - 1]))) {
                (currency: $0[0] as String, count: $0[1] as Int64, amount: sums.value($0, 2))
            }
        }
        for row in endedToday {
            totals.add("payable", row.currency, row.amount, row.count)
            totals.add("pending", row.currency, -row.amount, -row.count)
        }
        return totals.ordered
    }
}
