import PorticoCore

extension CustomerRecord: PGRecord {
    static let columns = "seq, id, partner_id, reseller_id, name, email, country, created_at, updated_at"

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), resellerId: row[3], name: try row.string(4),
                  email: try row.string(5), country: try row.string(6), createdAt: try row.timestamp(7), updatedAt: try row.timestamp(8))
    }
}

extension PostgresTransaction: CustomerStore {
    public func insert(_ c: inout CustomerRecord) throws {
        c.seq = try writing {
            try query("""
                INSERT INTO customer (seq, id, partner_id, reseller_id, name, email, country, created_at, updated_at)
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM customer), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq
                """, [.text(c.id), .text(c.partnerId), .text(c.resellerId), .text(c.name), .text(c.email), .text(c.country),
                      .text(c.createdAt.rfc3339), .text(c.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func customer(id: String) throws -> CustomerRecord? {
        try one("SELECT \(CustomerRecord.columns) FROM customer WHERE id = $1", [.text(id)])
    }

    public func customerEmailTaken(partnerId: String, email: String) throws -> Bool {
        try query("SELECT 1 FROM customer WHERE partner_id = $1 AND email = $2", [.text(partnerId), .text(email)]).count > 0
    }

    public func customers(partnerId: String, resellerId: String?, afterSeq: Int64, limit: Int) throws -> [CustomerRecord] {
        var filter = Filter("partner_id = $1 AND seq > $2", [.text(partnerId), .int(afterSeq)])
        if let resellerId { filter.and("reseller_id", .text(resellerId)) }
        return try all("SELECT \(CustomerRecord.columns) FROM customer WHERE \(filter.sql) ORDER BY seq LIMIT \(filter.next)", filter.params + [.limit(limit)])
    }

    public func customerCount(partnerId: String, resellerId: String?) throws -> Int64 {
        var filter = Filter("partner_id = $1", [.text(partnerId)])
        if let resellerId { filter.and("reseller_id", .text(resellerId)) }
        return try query("SELECT count(*) FROM customer WHERE \(filter.sql)", filter.params).row(0).int(0)
    }
}
