import PorticoCore

extension SaleRecord: PGRecord {
    static let columns = """
        seq, id, partner_id, reseller_id, customer_id, external_id, plan, kind, amount, currency, refunded, occurred_at, rules_hash, \
        audit_seq, created_at
        """

    init(row: PGRow) throws {
        let amount = try row.money(8, currency: 9)
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), resellerId: row[3], customerId: try row.string(4),
                  externalId: try row.string(5), plan: try row.string(6), kind: try row.value(7), amount: amount, refunded: try row.int(10),
                  occurredAt: try row.timestamp(11), rulesHash: try row.string(12), auditSeq: try row.int(13), createdAt: try row.timestamp(14))
    }
}

extension PostgresTransaction: SaleStore {
    public func insert(_ s: inout SaleRecord) throws {
        s.seq = try writing {
            try query("""
                INSERT INTO sale (\(SaleRecord.columns))
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM sale), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq
                """, [.text(s.id), .text(s.partnerId), .text(s.resellerId), .text(s.customerId), .text(s.externalId), .text(s.plan),
                      .text(s.kind.rawValue), .int(s.amount.amount), .text(s.currency), .int(s.refunded.amount), .text(s.occurredAt.rfc3339),
                      .text(s.rulesHash), .int(s.auditSeq), .text(s.createdAt.rfc3339)]).row(0).int(0)
        }
    }

    public func addRefund(saleId: String, amount: Int64) throws -> Bool {
        try writing {
            try query("UPDATE sale SET refunded = refunded + $1 WHERE id = $2 AND refunded + $1 <= amount", [.int(amount), .text(saleId)]).affected == 1
        }
    }

    public func sale(id: String) throws -> SaleRecord? {
        try one("SELECT \(SaleRecord.columns) FROM sale WHERE id = $1", [.text(id)])
    }

    public func sale(partnerId: String, externalId: String) throws -> SaleRecord? {
        try one("SELECT \(SaleRecord.columns) FROM sale WHERE partner_id = $1 AND external_id = $2", [.text(partnerId), .text(externalId)])
    }

    /// A list's filter: $1 the partner, $2 a customer or NULL, $3 a kind or NULL, $4 and $5
    /// the range's ends, $6 the seq to start after, $7 the seq to go through.
    static let salesWhere = """
        partner_id = $1 AND ($2::text IS NULL OR customer_id = $2) AND ($3::text IS NULL OR kind = $3)
          AND occurred_at >= $4 AND occurred_at <= $5 AND seq > $6 AND seq <= $7
        """

    static func salesParams(_ f: SaleFilter, afterSeq: Int64) -> [PGValue] {
        [.text(f.partnerId), .text(f.customerId), .text(f.kind?.rawValue), .text(f.range.firstText), .text(f.range.lastText), .int(afterSeq),
         .int(f.throughSeq)]
    }

    public func sales(_ f: SaleFilter, afterSeq: Int64, limit: Int) throws -> [SaleRecord] {
        try all("SELECT \(SaleRecord.columns) FROM sale WHERE \(Self.salesWhere) ORDER BY seq LIMIT $8",
                Self.salesParams(f, afterSeq: afterSeq) + [.limit(limit)])
    }

    public func saleCount(_ f: SaleFilter) throws -> (count: Int, lastSeq: Int64?) {
        let r = try query("SELECT count(*), max(seq) FROM sale WHERE \(Self.salesWhere)", Self.salesParams(f, afterSeq: 0)).row(0)
        return (Int(try r.int(0)), try r.optionalInt(1))
    }

    /// Read from the running totals: a partner's `sale_total` (net of refunds, every kind),
    /// a reseller's `sale_volume`.
    public func salesVolume(partnerId: String, resellerId: String?, currency: String, days: TimeRange) throws -> Int128 {
        if let resellerId {
            return try query("SELECT sum(amount) FROM sale_volume WHERE reseller_id = $1 AND currency = $2 AND day >= $3 AND day <= $4",
                             [.text(resellerId), .text(currency), .text(days.firstDay), .text(days.lastDay)]).row(0).sum(0)
        }
        return try query("SELECT sum(amount - refunded) FROM sale_total WHERE partner_id = $1 AND currency = $2 AND day >= $3 AND day <= $4",
                         [.text(partnerId), .text(currency), .text(days.firstDay), .text(days.lastDay)]).row(0).sum(0)
    }

    public func firstSaleOccurred(customerId: String, plan: String) throws -> Timestamp? {
        try query("SELECT min(occurred_at) FROM sale WHERE customer_id = $1 AND plan = $2", [.text(customerId), .text(plan)]).row(0)
            .optionalTimestamp(0)
    }

    public func hasPurchased(customerId: String) throws -> Bool {
        try query("SELECT 1 FROM sale WHERE customer_id = $1 LIMIT 1", [.text(customerId)]).count > 0
    }
}
