import PorticoCore

extension SubscriptionRecord: PGRecord {
    static let columns = """
        seq, id, partner_id, reseller_id, customer_id, plan, interval, status, start_at, period, period_start, period_end, amount, currency, \
        cancel_at_period_end, cancelled_at, ended_at, last_sale_id, created_at, updated_at
        """

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), resellerId: row[3], customerId: try row.string(4),
                  plan: try row.string(5), interval: try row.value(6), status: try row.value(7), startAt: try row.timestamp(8),
                  period: try row.int(9), periodStart: try row.timestamp(10), periodEnd: try row.timestamp(11),
                  amount: try row.money(12, currency: 13), cancelAtPeriodEnd: try row.bool(14), cancelledAt: try row.optionalTimestamp(15),
                  endedAt: try row.optionalTimestamp(16), lastSaleId: try row.string(17), createdAt: try row.timestamp(18),
                  updatedAt: try row.timestamp(19))
    }
}

extension PostgresTransaction: SubscriptionStore {
    public func insert(_ s: inout SubscriptionRecord) throws {
        s.seq = try writing {
            try query("""
                INSERT INTO subscription (\(SubscriptionRecord.columns))
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM subscription), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                        $16, $17, $18, $19) RETURNING seq
                """, [.text(s.id), .text(s.partnerId), .text(s.resellerId), .text(s.customerId), .text(s.plan), .text(s.interval.rawValue),
                      .text(s.status.rawValue), .text(s.startAt.rfc3339), .int(s.period), .text(s.periodStart.rfc3339), .text(s.periodEnd.rfc3339),
                      .int(s.amount.amount), .text(s.amount.currency.code), .bool(s.cancelAtPeriodEnd), .text(s.cancelledAt?.rfc3339),
                      .text(s.endedAt?.rfc3339), .text(s.lastSaleId), .text(s.createdAt.rfc3339), .text(s.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func subscription(id: String) throws -> SubscriptionRecord? {
        try one("SELECT \(SubscriptionRecord.columns) FROM subscription WHERE id = $1", [.text(id)])
    }

    public func subscriptions(partnerId: String, customerId: String?, status: SubscriptionStatus?, afterSeq: Int64, limit: Int) throws
        -> [SubscriptionRecord]
    {
        try all("""
            SELECT \(SubscriptionRecord.columns) FROM subscription
            WHERE partner_id = $1 AND ($2::text IS NULL OR customer_id = $2) AND ($3::text IS NULL OR status = $3) AND seq > $4
            ORDER BY seq LIMIT $5
            """, [.text(partnerId), .text(customerId), .text(status?.rawValue), .int(afterSeq), .limit(limit)])
    }

    public func update(_ s: SubscriptionRecord, expectedPeriod: Int64) throws -> Bool {
        try writing {
            try query("""
                UPDATE subscription SET status = $1, period = $2, period_start = $3, period_end = $4, amount = $5, currency = $6,
                       cancel_at_period_end = $7, cancelled_at = $8, ended_at = $9, last_sale_id = $10, updated_at = $11
                WHERE id = $12 AND period = $13 AND status = 'active'
                """, [.text(s.status.rawValue), .int(s.period), .text(s.periodStart.rfc3339), .text(s.periodEnd.rfc3339), .int(s.amount.amount),
                      .text(s.amount.currency.code), .bool(s.cancelAtPeriodEnd), .text(s.cancelledAt?.rfc3339), .text(s.endedAt?.rfc3339),
                      .text(s.lastSaleId), .text(s.updatedAt.rfc3339), .text(s.id), .int(expectedPeriod)]).affected == 1
        }
    }

    public func dueSubscriptions(asOf: Timestamp, after: (periodEnd: Timestamp, seq: Int64)?, limit: Int) throws -> [SubscriptionRecord] {
        try all("""
            SELECT \(SubscriptionRecord.columns) FROM subscription
            WHERE status = 'active' AND period_end <= $1 AND (period_end, seq) > ($2, $3)
            ORDER BY period_end, seq LIMIT $4
            """, [.text(asOf.rfc3339), .text(after?.periodEnd.rfc3339 ?? ""), .int(after?.seq ?? 0), .limit(limit)])
    }

    public func countDueSubscriptions(asOf: Timestamp) throws -> Int {
        Int(try query("SELECT count(*) FROM subscription WHERE status = 'active' AND period_end <= $1", [.text(asOf.rfc3339)]).row(0).int(0))
    }
}
