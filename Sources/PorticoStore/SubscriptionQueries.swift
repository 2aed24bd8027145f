import GRDB
import PorticoCore

extension SubscriptionRecord: ColumnRecord {
    static let columns = """
        seq, id, partnerId, resellerId, customerId, plan, interval, status, startAt, period, periodStart, periodEnd, amount, currency, \
        cancelAtPeriodEnd, cancelledAt, endedAt, lastSaleId, createdAt, updatedAt
        """

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], resellerId: row[3], customerId: row[4], plan: row[5],
                  interval: try row.value(6), status: try row.value(7), startAt: try row.timestamp(8), period: row[9],
                  periodStart: try row.timestamp(10), periodEnd: try row.timestamp(11), amount: try row.money(12, currency: 13),
                  cancelAtPeriodEnd: row[14], cancelledAt: try row.optionalTimestamp(15), endedAt: try row.optionalTimestamp(16),
                  lastSaleId: row[17], createdAt: try row.timestamp(18), updatedAt: try row.timestamp(19))
    }
}

extension SQLiteTransaction: SubscriptionStore {
    public func insert(_ s: inout SubscriptionRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO subscription (id, partnerId, resellerId, customerId, plan, interval, status, startAt, period, periodStart,
                                          periodEnd, amount, currency, cancelAtPeriodEnd, cancelledAt, endedAt, lastSaleId, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [s.id, s.partnerId, s.resellerId, s.customerId, s.plan, s.interval.rawValue, s.status.rawValue,
                                         s.startAt.rfc3339, s.period, s.periodStart.rfc3339, s.periodEnd.rfc3339, s.amount.amount,
                                         s.amount.currency.code, s.cancelAtPeriodEnd, s.cancelledAt?.rfc3339, s.endedAt?.rfc3339,
                                         s.lastSaleId, s.createdAt.rfc3339, s.updatedAt.rfc3339])
        }
        s.seq = db.lastInsertedRowID
    }

    public func subscription(id: String) throws -> SubscriptionRecord? {
        try SubscriptionRecord.fetchOne(db.cachedStatement(sql: "SELECT \(SubscriptionRecord.columns) FROM subscription WHERE id = ?"),
                                        arguments: [id])
    }

    public func subscriptions(partnerId: String, customerId: String?, status: SubscriptionStatus?, afterSeq: Int64, limit: Int) throws
        -> [SubscriptionRecord]
    {
        // `?N IS NULL OR ...` keeps one statement for every filter.
        try SubscriptionRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(SubscriptionRecord.columns) FROM subscription
            WHERE partnerId = ?1 AND (?2 IS NULL OR customerId = ?2) AND (?3 IS NULL OR status = ?3) AND seq > ?4
            ORDER BY seq LIMIT ?5
            """), arguments: [partnerId, customerId, status?.rawValue, afterSeq, limit])
    }

    public func update(_ s: SubscriptionRecord, expectedPeriod: Int64) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE subscription SET status = ?, period = ?, periodStart = ?, periodEnd = ?, amount = ?, currency = ?,
                       cancelAtPeriodEnd = ?, cancelledAt = ?, endedAt = ?, lastSaleId = ?, updatedAt = ?
                WHERE id = ? AND period = ? AND status = 'active'
                """).execute(arguments: [s.status.rawValue, s.period, s.periodStart.rfc3339, s.periodEnd.rfc3339, s.amount.amount,
                                         s.amount.currency.code, s.cancelAtPeriodEnd, s.cancelledAt?.rfc3339, s.endedAt?.rfc3339,
                                         s.lastSaleId, s.updatedAt.rfc3339, s.id, expectedPeriod])
        }
        return db.changesCount == 1
    }

    public func dueSubscriptions(asOf: Timestamp, after: (periodEnd: Timestamp, seq: Int64)?, limit: Int) throws -> [SubscriptionRecord] {
        try SubscriptionRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(SubscriptionRecord.columns) FROM subscription INDEXED BY subscription_due
            WHERE status = 'active' AND periodEnd <= ?1 AND (periodEnd, seq) > (?2, ?3)
            ORDER BY periodEnd, seq LIMIT ?4
            """), arguments: [asOf.rfc3339, after?.periodEnd.rfc3339 ?? "", after?.seq ?? 0, limit])
    }

    public func countDueSubscriptions(asOf: Timestamp) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM subscription INDEXED BY subscription_due WHERE status = 'active' AND periodEnd <= ?
            """), arguments: [asOf.rfc3339]) ?? 0
    }
}
