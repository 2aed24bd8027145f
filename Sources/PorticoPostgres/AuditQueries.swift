import PorticoCore

extension AuditEntry: PGRecord {
    static let columns = "seq, id, at, request_id, actor, action, target_type, target_id, partner_id, reason, before, after, prev_hash, hash"

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), at: try row.string(2), requestId: row[3], actor: try row.string(4),
                  action: try row.string(5), targetType: try row.string(6), targetId: try row.string(7), partnerId: row[8], reason: row[9],
                  beforeText: row[10], afterText: row[11], prevHash: try row.string(12), hash: try row.string(13))
    }
}

/// The chain's head is one row (`audit_head`), locked by every writing transaction before
/// anything else it does (`lockAuditHead`): one appender at a time across engines.
extension PostgresTransaction: AuditStore {
    /// Locks the head until the transaction ends and answers it.
    func lockAuditHead() throws -> AuditHead {
        guard let r = try query("SELECT seq, hash FROM audit_head WHERE singleton = 1 FOR UPDATE").first else {
            throw PGError(state: "XX000", message: "the audit chain's head row is missing")
        }
        return AuditHead(seq: try r.int(0), hash: try r.string(1))
    }

    public func append(_ entry: AuditEntry) throws -> AuditEntry {
        // PostgreSQL's text holds no NUL, so the hash could not cover what is stored.
        for text in [entry.id, entry.at, entry.actor, entry.action, entry.targetType, entry.targetId, entry.requestId, entry.partnerId,
                     entry.reason, entry.before, entry.after] where text?.utf8.contains(0) == true {
            throw PGError(state: "22021", message: "audit text holds a NUL character: refused")
        }
        let e = entry.chained(after: try appendHead ?? auditHead())
        // The record and the head's move in one statement: one round trip a write.
        try writing {
            try query("""
                WITH appended AS (
                    INSERT INTO audit (\(AuditEntry.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq, hash)
                UPDATE audit_head SET seq = appended.seq, hash = appended.hash FROM appended WHERE singleton = 1
                """, [.int(e.seq), .text(e.id), .text(e.at), .text(e.requestId), .text(e.actor), .text(e.action), .text(e.targetType),
                      .text(e.targetId), .text(e.partnerId), .text(e.reason), .text(e.before), .text(e.after), .text(e.prevHash), .text(e.hash)])
        }
        appendHead = AuditHead(seq: e.seq, hash: e.hash)
        return e
    }

    public func auditHead() throws -> AuditHead {
        try query("SELECT seq, hash FROM audit_head WHERE singleton = 1").first.map { AuditHead(seq: try $0.int(0), hash: try $0.string(1)) }
            ?? .genesis
    }

    public func auditEntry(seq: Int64) throws -> AuditEntry? {
        try one("SELECT \(AuditEntry.columns) FROM audit WHERE seq = $1", [.int(seq)])
    }

    public func auditEntries(_ f: AuditFilter, afterSeq: Int64, limit: Int) throws -> [AuditEntry] {
        let (clause, params) = Self.clause(f, afterSeq: afterSeq)
        return try all("SELECT \(AuditEntry.columns) FROM audit WHERE \(clause) ORDER BY seq LIMIT $\(params.count + 1)",
                       params + [.int(Int64(limit))])
    }

    public func auditCount(_ f: AuditFilter) throws -> Int {
        let (clause, params) = Self.clause(f, afterSeq: 0)
        return Int(try query("SELECT count(*) FROM audit WHERE \(clause)", params).first?.int(0) ?? 0)
    }

    /// Every record in sequence order, read a page at a time, until `body` answers false.
    public func forEachAuditEntry(_ body: (AuditEntry) throws -> Bool) throws {
        var after: Int64 = 0
        while true {
            let page: [AuditEntry] = try all("SELECT \(AuditEntry.columns) FROM audit WHERE seq > $1 ORDER BY seq LIMIT 1000", [.int(after)])
            for e in page {
                guard try body(e) else { return }
            }
            guard let last = page.last, page.count == 1000 else { return }
            after = last.seq
        }
    }

    /// The filter as a WHERE clause and its parameters.
    static func clause(_ f: AuditFilter, afterSeq: Int64) -> (String, [PGValue]) {
        var sql = "seq > $1"
        var params: [PGValue] = [.int(afterSeq)]
        func add(_ column: String, _ op: String, _ value: PGValue) {
            params.append(value)
            sql += " AND \(column) \(op) $\(params.count)"
        }
        if let v = f.partnerId { add("partner_id", "=", .text(v)) }
        if let v = f.actor { add("actor", "=", .text(v)) }
        if let v = f.action { add("action", "=", .text(v)) }
        if f.range != .all {
            add("at", ">=", .text(f.range.first.rfc3339))
            add("at", "<=", .text(f.range.last.rfc3339))
        }
        return (sql, params)
    }
}
