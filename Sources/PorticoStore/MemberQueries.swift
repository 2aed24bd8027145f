import GRDB
import PorticoCore

extension MemberRecord: ColumnRecord {
    static let columns = "seq, id, partnerId, email, name, role, status, createdAt, updatedAt, removedAt"

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], email: row[3], name: row[4], role: try row.value(5), status: try row.value(6),
                  createdAt: try row.timestamp(7), updatedAt: try row.timestamp(8), removedAt: try row.optionalTimestamp(9))
    }
}

extension SQLiteTransaction: MemberStore {
    public func insert(_ m: inout MemberRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO member (id, partnerId, email, name, role, status, createdAt, updatedAt, removedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [m.id, m.partnerId, m.email, m.name, m.role.rawValue, m.status.rawValue, m.createdAt.rfc3339, m.updatedAt.rfc3339,
                                         m.removedAt?.rfc3339])
        }
        m.seq = db.lastInsertedRowID
    }

    public func update(_ m: MemberRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE member SET email = ?, name = ?, role = ?, status = ?, updatedAt = ?, removedAt = ? WHERE id = ?
                """).execute(arguments: [m.email, m.name, m.role.rawValue, m.status.rawValue, m.updatedAt.rfc3339, m.removedAt?.rfc3339, m.id])
        }
    }

    public func member(id: String) throws -> MemberRecord? {
        try MemberRecord.fetchOne(db.cachedStatement(sql: "SELECT \(MemberRecord.columns) FROM member WHERE id = ?"), arguments: [id])
    }

    public func activeMemberExists(partnerId: String, email: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM member WHERE partnerId = ? AND email = ? AND status = 'active'"),
                          arguments: [partnerId, email]) ?? false
    }

    public func activeOwner(partnerId: String) throws -> MemberRecord? {
        try MemberRecord.fetchOne(db.cachedStatement(sql: """
            SELECT \(MemberRecord.columns) FROM member WHERE partnerId = ? AND role = 'owner' AND status = 'active'
            """), arguments: [partnerId])
    }

    public func members(partnerId: String, role: MemberRole?, includeRemoved: Bool, afterSeq: Int64, limit: Int) throws -> [MemberRecord] {
        var sql = "SELECT \(MemberRecord.columns) FROM member WHERE partnerId = ? AND seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [partnerId, afterSeq]
        if let role { sql += " AND role = ?"; args.append(role.rawValue) }
        if !includeRemoved { sql += " AND status = 'active'" }
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return try MemberRecord.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
    }
}
