import GRDB
import PorticoCore

extension AuditEntry: ColumnRecord {
    static let columns = "seq, id, at, requestId, actor, action, targetType, targetId, partnerId, reason, before, after, prevHash, hash"

    init(row: Columns) {
        self.init(seq: row[0], id: row[1], at: row[2], requestId: row[3], actor: row[4], action: row[5], targetType: row[6],
                  targetId: row[7], partnerId: row[8], reason: row[9], beforeText: row[10], afterText: row[11], prevHash: row[12],
                  hash: row[13])
    }
}

/// The chain's head is one row (`audit_head`), read and moved inside the group's
/// `BEGIN IMMEDIATE` transaction: SQLite's write lock is the head's lock.
extension SQLiteTransaction: AuditStore {
    public func append(_ entry: AuditEntry) throws -> AuditEntry {
        // SQLite cuts text at a NUL, so the hash would cover more than is stored and the
        // chain would fail to verify forever. Requests cannot carry one (every string is
        // checked on the way in); this refuses the write should one ever get this far.
        for text in [entry.id, entry.at, entry.actor, entry.action, entry.targetType, entry.targetId, entry.requestId, entry.partnerId,
                     entry.reason] where text?.utf8.contains(0) == true {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "audit text holds a NUL character: refused")
        }
        let e = entry.chained(after: try appendHead ?? auditHead())
        // Every write appends here: bound straight through SQLite's C API.
        try writing {
            try Bind.execute(db.cachedStatement(sql: Self.insertAudit), db, .int(e.seq), .text(e.id), .text(e.at), .text(e.requestId), .text(e.actor),
                             .text(e.action), .text(e.targetType), .text(e.targetId), .text(e.partnerId), .text(e.reason), .text(e.before), .text(e.after), .text(e.prevHash), .text(e.hash))
            try Bind.execute(db.cachedStatement(sql: """
                INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?)
                ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
                """), db, .int(e.seq), .text(e.hash))
        }
        appendHead = AuditHead(seq: e.seq, hash: e.hash)
        return e
    }

    static let insertAudit = "INSERT INTO audit (\(AuditEntry.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    public func auditHead() throws -> AuditHead {
        try Columns.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE singleton = 1")) {
            AuditHead(seq: $0[0], hash: $0[1])
        } ?? .genesis
    }

    public func auditEntry(seq: Int64) throws -> AuditEntry? {
        try AuditEntry.fetchOne(db.cachedStatement(sql: "SELECT \(AuditEntry.columns) FROM audit WHERE seq = ?"), arguments: [seq])
    }

    public func auditEntries(_ f: AuditFilter, afterSeq: Int64, limit: Int) throws -> [AuditEntry] {
        let (clause, args) = Self.clause(f, afterSeq: afterSeq)
        return try AuditEntry.fetchAll(db.cachedStatement(sql: "SELECT \(AuditEntry.columns) FROM audit WHERE \(clause) ORDER BY seq LIMIT ?"),
                                       arguments: StatementArguments(args + [limit]))
    }

    public func auditCount(_ f: AuditFilter) throws -> Int {
        let (clause, args) = Self.clause(f, afterSeq: 0)
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM audit WHERE \(clause)"), arguments: StatementArguments(args)) ?? 0
    }

    /// The filter as a WHERE clause and its arguments.
    static func clause(_ f: AuditFilter, afterSeq: Int64) -> (String, [(any DatabaseValueConvertible)?]) {
        var sql = "seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let v = f.partnerId { sql += " AND partnerId = ?"; args.append(v) }
        if let v = f.actor { sql += " AND actor = ?"; args.append(v) }
        if let v = f.action { sql += " AND action = ?"; args.append(v) }
        if f.range != .all {
            sql += " AND at >= ? AND at <= ?"
            args += [f.range.firstText, f.range.lastText]
        }
        return (sql, args)
    }

    public func forEachAuditEntry(_ body: (AuditEntry) throws -> Bool) throws {
        let cursor = try ColumnCursor(db.makeStatement(sql: "SELECT \(AuditEntry.columns) FROM audit ORDER BY seq"), [], AuditEntry.init(row:))
        while let e = try cursor.next() {
            guard try body(e) else { return }
        }
    }
}
