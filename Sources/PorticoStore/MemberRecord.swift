import GRDB

/// A row of `member`.
public struct MemberRecord: Sendable, Equatable, ColumnRecord {
    public var seq: Int64
    public var id: String
    public var partnerId: String
    public var email: String
    public var name: String
    public var role: String
    public var status: String
    public var createdAt: String
    public var updatedAt: String
    public var removedAt: String?

    public init(seq: Int64 = 0, id: String, partnerId: String, email: String, name: String, role: String,
                status: String, createdAt: String, updatedAt: String, removedAt: String? = nil)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.email = email; self.name = name
        self.role = role; self.status = status; self.createdAt = createdAt; self.updatedAt = updatedAt
        self.removedAt = removedAt
    }

    static let columns = "seq, id, partnerId, email, name, role, status, createdAt, updatedAt, removedAt"

    init(row: Columns) {
        seq = row[0]; id = row[1]; partnerId = row[2]; email = row[3]; name = row[4]
        role = row[5]; status = row[6]; createdAt = row[7]; updatedAt = row[8]; removedAt = row[9]
    }
}

/// Queries on `member`. Callers hold the transaction.
public enum MemberTable {
    public static func insert(_ m: inout MemberRecord, _ db: Database) throws {
        let s = try db.cachedStatement(sql: """
            INSERT INTO member (id, partnerId, email, name, role, status, createdAt, updatedAt, removedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try s.execute(arguments: [m.id, m.partnerId, m.email, m.name, m.role, m.status, m.createdAt, m.updatedAt, m.removedAt])
        m.seq = db.lastInsertedRowID
    }

    public static func update(_ m: MemberRecord, _ db: Database) throws {
        let s = try db.cachedStatement(sql: """
            UPDATE member SET email = ?, name = ?, role = ?, status = ?, updatedAt = ?, removedAt = ? WHERE id = ?
            """)
        try s.execute(arguments: [m.email, m.name, m.role, m.status, m.updatedAt, m.removedAt, m.id])
    }

    public static func find(id: String, _ db: Database) throws -> MemberRecord? {
        let s = try db.cachedStatement(sql: "SELECT \(MemberRecord.columns) FROM member WHERE id = ?")
        return try MemberRecord.fetchOne(s, arguments: [id])
    }

    public static func activeEmailTaken(partnerId: String, email: String, _ db: Database) throws -> Bool {
        let s = try db.cachedStatement(sql: "SELECT 1 FROM member WHERE partnerId = ? AND email = ? AND status = 'active'")
        return try Bool.fetchOne(s, arguments: [partnerId, email]) ?? false
    }

    public static func activeOwner(partnerId: String, _ db: Database) throws -> MemberRecord? {
        let s = try db.cachedStatement(sql: """
            SELECT \(MemberRecord.columns) FROM member WHERE partnerId = ? AND role = 'owner' AND status = 'active'
            """)
        return try MemberRecord.fetchOne(s, arguments: [partnerId])
    }

    /// A partner's members in creation order, after `afterSeq`.
    public static func page(partnerId: String, role: String?, includeRemoved: Bool, afterSeq: Int64, limit: Int,
                            _ db: Database) throws -> [MemberRecord]
    {
        var sql = "SELECT \(MemberRecord.columns) FROM member WHERE partnerId = ? AND seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [partnerId, afterSeq]
        if let role { sql += " AND role = ?"; args.append(role) }
        if !includeRemoved { sql += " AND status = 'active'" }
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return try MemberRecord.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
    }
}
