import GRDB
import PorticoCore

extension CustomerRecord: ColumnRecord {
    static let columns = "seq, id, partnerId, resellerId, name, email, country, createdAt, updatedAt"

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], resellerId: row[3], name: row[4], email: row[5], country: row[6],
                  createdAt: try row.timestamp(7), updatedAt: try row.timestamp(8))
    }
}

extension SQLiteTransaction: CustomerStore {
    public func insert(_ c: inout CustomerRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO customer (id, partnerId, resellerId, name, email, country, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [c.id, c.partnerId, c.resellerId, c.name, c.email, c.country, c.createdAt.rfc3339, c.updatedAt.rfc3339])
        }
        c.seq = db.lastInsertedRowID
    }

    public func customer(id: String) throws -> CustomerRecord? {
        remembered(.customer, try CustomerRecord.fetchOne(db.cachedStatement(sql: "SELECT \(CustomerRecord.columns) FROM customer WHERE id = ?"),
                                                         db, key: id), seq: \.seq, id: \.id)
    }

    public func customerEmailTaken(partnerId: String, email: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM customer WHERE partnerId = ? AND email = ?"),
                          arguments: [partnerId, email]) ?? false
    }

    public func customers(partnerId: String, resellerId: String?, afterSeq: Int64, limit: Int) throws -> [CustomerRecord] {
        if let resellerId {
            return try CustomerRecord.fetchAll(db.cachedStatement(sql: """
                SELECT \(CustomerRecord.columns) FROM customer WHERE resellerId = ? AND partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
                """), arguments: [resellerId, partnerId, afterSeq, limit])
        }
        return try CustomerRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(CustomerRecord.columns) FROM customer WHERE partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [partnerId, afterSeq, limit])
    }

    public func customerCount(partnerId: String, resellerId: String?) throws -> Int64 {
        if let resellerId {
            return try Int64.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM customer WHERE partnerId = ? AND resellerId = ?"),
                                      arguments: [partnerId, resellerId]) ?? 0
        }
        return try Int64.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM customer WHERE partnerId = ?"), arguments: [partnerId]) ?? 0
    }
}
