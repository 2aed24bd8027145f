import GRDB

/// Aggregates for dashboards and reports. Every amount is grouped by currency: amounts in
/// different currencies are never added together.
public enum ReportQueries {
    /// The bounds of an open range: before and after any time the engine writes.
    public static let openFrom = "0000-01-01T00:00:00.000Z", openTo = "9999-12-31T23:59:59.999Z"

    public struct Total: Sendable, Equatable {
        public var key: String
        public var currency: String
        public var amount: Int64
        public var count: Int64
    }

    /// Net sales (amount less refunds) by currency, or by period and currency when
    /// `periodLength` is 10 (YYYY-MM-DD) or 7 (YYYY-MM), for a partner or one reseller.
    public static func sales(partnerId: String?, resellerId: String?, from: String, to: String, periodLength: Int?,
                             _ db: Database) throws -> [Total]
    {
        let key = periodLength.map { "substr(occurredAt, 1, \($0))" } ?? "''"
        let (column, id) = resellerId.map { ("resellerId", $0) } ?? ("partnerId", partnerId ?? "")
        return try Row.fetchAll(db, sql: """
            SELECT \(key) AS k, currency, SUM(amount - refunded), COUNT(*) FROM sale
            WHERE \(column) = ? AND occurredAt >= ? AND occurredAt < ?
            GROUP BY k, currency ORDER BY k, currency
            """, arguments: [id, from, to]).map { Total(key: $0[0], currency: $0[1], amount: $0[2], count: $0[3]) }
    }

    /// Commissions by effective status (payable = pending whose hold has ended at `now`)
    /// and currency, or by period and currency, occurring in [from, to).
    public static func commissions(partnerId: String, resellerId: String?, from: String, to: String, now: String,
                                   periodLength: Int?, _ db: Database) throws -> [Total]
    {
        let key = periodLength.map { "substr(occurredAt, 1, \($0))" }
            ?? "CASE WHEN status = 'pending' AND payableAt <= ? THEN 'payable' ELSE status END"
        var args: [(any DatabaseValueConvertible)?] = periodLength == nil ? [now] : []
        var sql = "SELECT \(key) AS k, currency, SUM(amount), COUNT(*) FROM commission WHERE partnerId = ?"
        args.append(partnerId)
        if let resellerId { sql += " AND resellerId = ?"; args.append(resellerId) }
        if periodLength != nil { sql += " AND status NOT IN ('cancelled', 'reversed')" }
        sql += " AND occurredAt >= ? AND occurredAt < ? GROUP BY k, currency ORDER BY k, currency"
        args += [from, to]
        return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map {
            Total(key: $0[0], currency: $0[1], amount: $0[2], count: $0[3])
        }
    }

    /// Whether a range falls on whole UTC days, so the running totals answer it exactly.
    public static func dayAligned(_ from: String, _ to: String) -> Bool {
        func aligned(_ t: String) -> Bool { t.hasPrefix("0000") || t.hasPrefix("9999") || t.dropFirst(10).hasPrefix("T00:00:00.000") }
        return aligned(from) && aligned(to)
    }

    /// Net sales by currency (or by period and currency) from the running totals; the range
    /// must be whole days.
    public static func salesFromTotals(scope: String, from: String, to: String, periodLength: Int?, _ db: Database) throws -> [Total] {
        // Without periods, group in the primary key's order (currency): no sorting.
        let (key, groups) = periodLength.map { ("substr(day, 1, \($0))", "k, currency") } ?? ("''", "currency")
        return try Row.fetchAll(db, sql: """
            SELECT \(key) AS k, currency, SUM(amount), SUM(count) FROM sale_volume
            WHERE scope = ? AND day >= ? AND day < ? GROUP BY \(groups) HAVING SUM(count) > 0 ORDER BY k, currency
            """, arguments: [scope, String(from.prefix(10)), String(to.prefix(10))]).map { Total(key: $0[0], currency: $0[1], amount: $0[2], count: $0[3]) }
    }

    /// Commissions by effective status and currency (or standing ones by period) from the
    /// running totals; the range must be whole days. Pending entries whose hold ends today
    /// are split at `now` from the ledger itself.
    public static func commissionsFromTotals(partnerId: String, from: String, to: String, now: String, periodLength: Int?,
                                             _ db: Database) throws -> [Total]
    {
        let f = String(from.prefix(10)), t = String(to.prefix(10))
        if let length = periodLength {
            return try Row.fetchAll(db, sql: """
                SELECT substr(day, 1, \(length)) AS k, currency, SUM(amount), SUM(count) FROM commission_rollup
                WHERE partnerId = ? AND day >= ? AND day < ? AND status NOT IN ('cancelled', 'reversed')
                GROUP BY k, currency HAVING SUM(count) > 0 ORDER BY k, currency
                """, arguments: [partnerId, f, t]).map { Total(key: $0[0], currency: $0[1], amount: $0[2], count: $0[3]) }
        }
        let today = String(now.prefix(10))
        var totals: [String: Total] = [:]
        func add(_ status: String, _ currency: String, _ amount: Int64, _ count: Int64) {
            let k = status + "|" + currency
            var total = totals[k] ?? Total(key: status, currency: currency, amount: 0, count: 0)
            total.amount += amount
            total.count += count
            totals[k] = total
        }
        // Grouped in the primary key's order (currency, status): no sorting. Pending totals
        // split by payable day: before today payable, from today on pending...
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT status, currency,
                   SUM(CASE WHEN status != 'pending' OR payableDay >= ? THEN amount ELSE 0 END),
                   SUM(CASE WHEN status != 'pending' OR payableDay >= ? THEN count ELSE 0 END),
                   SUM(CASE WHEN status = 'pending' AND payableDay < ? THEN amount ELSE 0 END),
                   SUM(CASE WHEN status = 'pending' AND payableDay < ? THEN count ELSE 0 END)
            FROM commission_rollup
            WHERE partnerId = ? AND day >= ? AND day < ?
            GROUP BY currency, status
            """), arguments: [today, today, today, today, partnerId, f, t]) {
            add(row[0], row[1], row[2], row[3])
            add("payable", row[1], row[4], row[5])
        }
        // ...then the entries whose hold ended earlier today move from pending to payable:
        // the only ones read from the ledger, from a covering index, and only up to `now`.
        // An open range needs no test of the occurrence time (an entry occurs no later than
        // it becomes payable, so these all occurred inside it).
        let open = from == openFrom && to == openTo
        let occurred = open ? "" : "AND occurredAt >= ? AND occurredAt < ?"
        let endedToday = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT currency, SUM(amount), COUNT(*) FROM commission INDEXED BY commission_due
            WHERE partnerId = ? AND status = 'pending' AND payableAt >= ? AND payableAt <= ? \(occurred)
            GROUP BY currency
            """), arguments: StatementArguments([partnerId, today + "T00:00:00.000Z", now] + (open ? [] : [from, to])))
        for row in endedToday {
            let amount: Int64 = row[1], count: Int64 = row[2]
            add("payable", row[0], amount, count)
            add("pending", row[0], -amount, -count)
        }
        return totals.values.filter { $0.count > 0 }.sorted { ($0.key, $0.currency) < ($1.key, $1.currency) }
    }

    public static func count(_ table: String, partnerId: String, resellerId: String? = nil, _ db: Database) throws -> Int64 {
        if let resellerId {
            return try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE partnerId = ? AND resellerId = ?", arguments: [partnerId, resellerId]) ?? 0
        }
        return try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE partnerId = ?", arguments: [partnerId]) ?? 0
    }
}
