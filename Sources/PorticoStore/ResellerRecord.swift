import GRDB

/// A row of `reseller`.
public struct ResellerRecord: Sendable, Equatable, ColumnRecord {
    public var seq: Int64
    public var id: String
    public var partnerId: String
    public var name: String
    public var email: String
    public var region: String
    /// Exact decimal text ("12.5"), or nil.
    public var commissionRate: String?
    public var createdAt: String
    public var updatedAt: String

    public init(seq: Int64 = 0, id: String, partnerId: String, name: String, email: String, region: String,
                commissionRate: String?, createdAt: String, updatedAt: String)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.name = name; self.email = email
        self.region = region; self.commissionRate = commissionRate; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    static let columns = "seq, id, partnerId, name, email, region, commissionRate, createdAt, updatedAt"

    init(row: Columns) {
        seq = row[0]; id = row[1]; partnerId = row[2]; name = row[3]; email = row[4]; region = row[5]
        commissionRate = row[6]; createdAt = row[7]; updatedAt = row[8]
    }
}

/// Queries on `reseller`. Callers hold the transaction.
public enum ResellerTable {
    public static func insert(_ r: inout ResellerRecord, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO reseller (id, partnerId, name, email, region, commissionRate, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [r.id, r.partnerId, r.name, r.email, r.region, r.commissionRate, r.createdAt, r.updatedAt])
        r.seq = db.lastInsertedRowID
    }

    public static func update(_ r: ResellerRecord, _ db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE reseller SET name = ?, email = ?, region = ?, commissionRate = ?, updatedAt = ? WHERE id = ?
            """).execute(arguments: [r.name, r.email, r.region, r.commissionRate, r.updatedAt, r.id])
    }

    public static func find(id: String, _ db: Database) throws -> ResellerRecord? {
        try ResellerRecord.fetchOne(db.cachedStatement(sql: "SELECT \(ResellerRecord.columns) FROM reseller WHERE id = ?"), arguments: [id])
    }

    public static func emailTaken(partnerId: String, email: String, except id: String? = nil, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM reseller WHERE partnerId = ? AND email = ? AND id IS NOT ?"),
                          arguments: [partnerId, email, id]) ?? false
    }

    public static func page(partnerId: String, afterSeq: Int64, limit: Int, _ db: Database) throws -> [ResellerRecord] {
        try ResellerRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(ResellerRecord.columns) FROM reseller WHERE partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [partnerId, afterSeq, limit])
    }
}

/// A row of `customer`.
public struct CustomerRecord: Sendable, Equatable, ColumnRecord {
    public var seq: Int64
    public var id: String
    public var partnerId: String
    public var resellerId: String?
    public var name: String
    public var email: String
    public var country: String
    public var createdAt: String
    public var updatedAt: String

    public init(seq: Int64 = 0, id: String, partnerId: String, resellerId: String?, name: String, email: String, country: String,
                createdAt: String, updatedAt: String)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.resellerId = resellerId; self.name = name
        self.email = email; self.country = country; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    static let columns = "seq, id, partnerId, resellerId, name, email, country, createdAt, updatedAt"

    init(row: Columns) {
        seq = row[0]; id = row[1]; partnerId = row[2]; resellerId = row[3]; name = row[4]; email = row[5]
        country = row[6]; createdAt = row[7]; updatedAt = row[8]
    }
}

/// Queries on `customer`. Callers hold the transaction.
public enum CustomerTable {
    public static func insert(_ c: inout CustomerRecord, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO customer (id, partnerId, resellerId, name, email, country, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [c.id, c.partnerId, c.resellerId, c.name, c.email, c.country, c.createdAt, c.updatedAt])
        c.seq = db.lastInsertedRowID
    }

    public static func find(id: String, _ db: Database) throws -> CustomerRecord? {
        try CustomerRecord.fetchOne(db.cachedStatement(sql: "SELECT \(CustomerRecord.columns) FROM customer WHERE id = ?"), arguments: [id])
    }

    public static func emailTaken(partnerId: String, email: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM customer WHERE partnerId = ? AND email = ?"),
                          arguments: [partnerId, email]) ?? false
    }

    /// A partner's customers, or one reseller's, in creation order.
    public static func page(partnerId: String, resellerId: String?, afterSeq: Int64, limit: Int, _ db: Database) throws
        -> [CustomerRecord]
    {
        if let resellerId {
            return try CustomerRecord.fetchAll(db.cachedStatement(sql: """
                SELECT \(CustomerRecord.columns) FROM customer WHERE resellerId = ? AND partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
                """), arguments: [resellerId, partnerId, afterSeq, limit])
        }
        return try CustomerRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(CustomerRecord.columns) FROM customer WHERE partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [partnerId, afterSeq, limit])
    }
}
