import GRDB
import PorticoCore

extension ResellerRecord: ColumnRecord {
    static let columns = "seq, id, partnerId, name, email, region, commissionRate, createdAt, updatedAt"

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], name: row[3], email: row[4], region: row[5], commissionRate: row[6],
                  createdAt: try row.timestamp(7), updatedAt: try row.timestamp(8))
    }
}

extension SQLiteTransaction: ResellerStore {
    public func insert(_ r: inout ResellerRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO reseller (id, partnerId, name, email, region, commissionRate, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [r.id, r.partnerId, r.name, r.email, r.region, r.commissionRate, r.createdAt.rfc3339, r.updatedAt.rfc3339])
        }
        r.seq = db.lastInsertedRowID
    }

    public func update(_ r: ResellerRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE reseller SET name = ?, email = ?, region = ?, commissionRate = ?, updatedAt = ? WHERE id = ?
                """).execute(arguments: [r.name, r.email, r.region, r.commissionRate, r.updatedAt.rfc3339, r.id])
        }
    }

    public func reseller(id: String) throws -> ResellerRecord? {
        remembered(.reseller, try ResellerRecord.fetchOne(db.cachedStatement(sql: "SELECT \(ResellerRecord.columns) FROM reseller WHERE id = ?"),
                                                          arguments: [id]), seq: \.seq, id: \.id)
    }

    public func resellerEmailTaken(partnerId: String, email: String, except id: String?) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM reseller WHERE partnerId = ? AND email = ? AND id IS NOT ?"),
                          arguments: [partnerId, email, id]) ?? false
    }

    public func resellers(partnerId: String, afterSeq: Int64, limit: Int) throws -> [ResellerRecord] {
        try ResellerRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(ResellerRecord.columns) FROM reseller WHERE partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [partnerId, afterSeq, limit])
    }

    public func resellerCount(partnerId: String) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM reseller WHERE partnerId = ?"), arguments: [partnerId]) ?? 0
    }
}
