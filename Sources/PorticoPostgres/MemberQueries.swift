import PorticoCore

extension MemberRecord: PGRecord {
    static let columns = "seq, id, partner_id, email, name, role, status, created_at, updated_at, removed_at"

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), email: try row.string(3), name: try row.string(4),
                  role: try row.value(5), status: try row.value(6), createdAt: try row.timestamp(7), updatedAt: try row.timestamp(8),
                  removedAt: try row.optionalTimestamp(9))
    }
}

extension PostgresTransaction: MemberStore {
    public func insert(_ m: inout MemberRecord) throws {
        m.seq = try writing {
            try query("""
                INSERT INTO member (seq, id, partner_id, email, name, role, status, created_at, updated_at, removed_at)
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM member), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq
                """, [.text(m.id), .text(m.partnerId), .text(m.email), .text(m.name), .text(m.role.rawValue), .text(m.status.rawValue),
                      .text(m.createdAt.rfc3339), .text(m.updatedAt.rfc3339), .text(m.removedAt?.rfc3339)]).row(0).int(0)
        }
    }

    public func update(_ m: MemberRecord) throws {
        try writing {
            try query("UPDATE member SET email = $1, name = $2, role = $3, status = $4, updated_at = $5, removed_at = $6 WHERE id = $7",
                      [.text(m.email), .text(m.name), .text(m.role.rawValue), .text(m.status.rawValue), .text(m.updatedAt.rfc3339),
                       .text(m.removedAt?.rfc3339), .text(m.id)])
        }
    }

    public func member(id: String) throws -> MemberRecord? {
        try one("SELECT \(MemberRecord.columns) FROM member WHERE id = $1", [.text(id)])
    }

    public func activeMemberExists(partnerId: String, email: String) throws -> Bool {
        try query("SELECT 1 FROM member WHERE partner_id = $1 AND email = $2 AND status = 'active'", [.text(partnerId), .text(email)]).count > 0
    }

    public func activeOwner(partnerId: String) throws -> MemberRecord? {
        try one("SELECT \(MemberRecord.columns) FROM member WHERE partner_id = $1 AND role = 'owner' AND status = 'active'", [.text(partnerId)])
    }

    public func members(partnerId: String, role: MemberRole?, includeRemoved: Bool, afterSeq: Int64, limit: Int) throws -> [MemberRecord] {
        var filter = Filter("partner_id = $1 AND seq > $2", [.text(partnerId), .int(afterSeq)])
        if let role { filter.and("role", .text(role.rawValue)) }
        if !includeRemoved { filter.and("status", .text(MemberStatus.active.rawValue)) }
        return try all("SELECT \(MemberRecord.columns) FROM member WHERE \(filter.sql) ORDER BY seq LIMIT \(filter.next)", filter.params + [.limit(limit)])
    }
}
