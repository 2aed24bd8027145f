import GRDB

/// A row of `partner`.
public struct PartnerRecord: Sendable, Equatable, ColumnRecord {
    public var seq: Int64
    public var id: String
    public var name: String
    public var subdomain: String
    public var region: String
    public var tier: String
    public var status: String
    public var statusReason: String?
    public var createdAt: String
    public var updatedAt: String

    public init(seq: Int64 = 0, id: String, name: String, subdomain: String, region: String, tier: String,
                status: String, statusReason: String? = nil, createdAt: String, updatedAt: String)
    {
        self.seq = seq; self.id = id; self.name = name; self.subdomain = subdomain; self.region = region
        self.tier = tier; self.status = status; self.statusReason = statusReason
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    static let columns = "seq, id, name, subdomain, region, tier, status, statusReason, createdAt, updatedAt"

    init(row: Columns) {
        seq = row[0]; id = row[1]; name = row[2]; subdomain = row[3]; region = row[4]
        tier = row[5]; status = row[6]; statusReason = row[7]; createdAt = row[8]; updatedAt = row[9]
    }
}

/// Queries on `partner`. Callers hold the transaction.
public enum PartnerTable {
    public static func insert(_ p: inout PartnerRecord, _ db: Database) throws {
        let s = try db.cachedStatement(sql: """
            INSERT INTO partner (id, name, subdomain, region, tier, status, statusReason, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try s.execute(arguments: [p.id, p.name, p.subdomain, p.region, p.tier, p.status, p.statusReason, p.createdAt, p.updatedAt])
        p.seq = db.lastInsertedRowID
    }

    public static func update(_ p: PartnerRecord, _ db: Database) throws {
        let s = try db.cachedStatement(sql: """
            UPDATE partner SET name = ?, subdomain = ?, region = ?, tier = ?, status = ?, statusReason = ?, updatedAt = ?
            WHERE id = ?
            """)
        try s.execute(arguments: [p.name, p.subdomain, p.region, p.tier, p.status, p.statusReason, p.updatedAt, p.id])
    }

    public static func find(id: String, _ db: Database) throws -> PartnerRecord? {
        let s = try db.cachedStatement(sql: "SELECT \(PartnerRecord.columns) FROM partner WHERE id = ?")
        return try PartnerRecord.fetchOne(s, arguments: [id])
    }

    public static func find(subdomain: String, _ db: Database) throws -> PartnerRecord? {
        let s = try db.cachedStatement(sql: "SELECT \(PartnerRecord.columns) FROM partner WHERE subdomain = ?")
        return try PartnerRecord.fetchOne(s, arguments: [subdomain])
    }

    public static func subdomainTaken(_ subdomain: String, _ db: Database) throws -> Bool {
        let s = try db.cachedStatement(sql: "SELECT 1 FROM partner WHERE subdomain = ?")
        return try Bool.fetchOne(s, arguments: [subdomain]) ?? false
    }

    /// One page in creation order, after `afterSeq`, optionally filtered.
    public static func page(status: String?, region: String?, onlyID: String?, afterSeq: Int64, limit: Int,
                            _ db: Database) throws -> [PartnerRecord]
    {
        var sql = "SELECT \(PartnerRecord.columns) FROM partner WHERE seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let status { sql += " AND status = ?"; args.append(status) }
        if let region { sql += " AND region = ?"; args.append(region) }
        if let onlyID { sql += " AND id = ?"; args.append(onlyID) }
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return try PartnerRecord.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
    }
}
