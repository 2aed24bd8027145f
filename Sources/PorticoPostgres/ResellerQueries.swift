import PorticoCore

extension ResellerRecord: PGRecord {
    static let columns = "seq, id, partner_id, name, email, region, commission_rate, created_at, updated_at"

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), name: try row.string(3), email: try row.string(4),
                  region: try row.string(5), commissionRate: row[6], createdAt: try row.timestamp(7), updatedAt: try row.timestamp(8))
    }
}

extension PostgresTransaction: ResellerStore {
    public func insert(_ r: inout ResellerRecord) throws {
        r.seq = try writing {
            try query("""
                INSERT INTO reseller (seq, id, partner_id, name, email, region, commission_rate, created_at, updated_at)
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM reseller), $1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq
                """, [.text(r.id), .text(r.partnerId), .text(r.name), .text(r.email), .text(r.region), .text(r.commissionRate),
                      .text(r.createdAt.rfc3339), .text(r.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func update(_ r: ResellerRecord) throws {
        try writing {
            try query("UPDATE reseller SET name = $1, email = $2, region = $3, commission_rate = $4, updated_at = $5 WHERE id = $6",
                      [.text(r.name), .text(r.email), .text(r.region), .text(r.commissionRate), .text(r.updatedAt.rfc3339), .text(r.id)])
        }
    }

    public func reseller(id: String) throws -> ResellerRecord? {
        try one("SELECT \(ResellerRecord.columns) FROM reseller WHERE id = $1", [.text(id)])
    }

    public func resellerEmailTaken(partnerId: String, email: String, except id: String?) throws -> Bool {
        try query("SELECT 1 FROM reseller WHERE partner_id = $1 AND email = $2 AND id IS DISTINCT FROM $3",
                  [.text(partnerId), .text(email), .text(id)]).count > 0
    }

    public func resellers(partnerId: String, afterSeq: Int64, limit: Int) throws -> [ResellerRecord] {
        try all("SELECT \(ResellerRecord.columns) FROM reseller WHERE partner_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                [.text(partnerId), .int(afterSeq), .limit(limit)])
    }

    public func resellerCount(partnerId: String) throws -> Int64 {
        try query("SELECT count(*) FROM reseller WHERE partner_id = $1", [.text(partnerId)]).row(0).int(0)
    }
}
