import GRDB

/// Aggregates for dashboards and reports. Every amount is grouped by currency: amounts in
/// different currencies are never added together.
public enum ReportQueries {
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

    public static func count(_ table: String, partnerId: String, resellerId: String? = nil, _ db: Database) throws -> Int64 {
        if let resellerId {
            return try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE partnerId = ? AND resellerId = ?", arguments: [partnerId, resellerId]) ?? 0
        }
        return try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE partnerId = ?", arguments: [partnerId]) ?? 0
    }
}
