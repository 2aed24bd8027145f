import GRDB
import PorticoCore

extension AuditEntry: ColumnRecord {
    /// The audit table's columns, as written.
    static let storedColumns = """
        seq, id, at, requestId, actorRef, actionRef, targetTypeRef, targetId, partnerRef, reason, before, after, hash, contextRef, refSeq
        """

    /// The record's columns as stored (`a` is the audit table): the actor, action, target
    /// type and partner as the texts their numbers stand for (migration 0018), the previous
    /// record's hash joined in where `prevHash` goes: the chain keeps no copy of it (0014);
    /// then what its states are deflated against besides itself: the text it names
    /// (`contextRef`, 0020), and the record it refers to (`refSeq`, 0021: `r`, joined by
    /// `source`) as stored.
    static let columns = """
        a.seq, a.id, a.at, a.requestId, \(Interned.text("a.actorRef")), \(Interned.text("a.actionRef")), \
        \(Interned.text("a.targetTypeRef")), a.targetId, \(Interned.text("a.partnerRef")), a.reason, a.before, a.after,
        (SELECT p.hash FROM audit p WHERE p.seq = a.seq - 1), a.hash, \(Interned.text("a.contextRef")), a.refSeq,
        r.before, r.after, r.at, r.targetId, \(Interned.text("r.partnerRef")), \(Interned.text("r.contextRef"))
        """

    /// The FROM of a query reading `columns`.
    static let source = "audit a LEFT JOIN audit r ON r.seq = a.refSeq"

    /// A record as stored. A state or a time that does not read back (a damaged stream, a
    /// number past the instants the engine reads) comes back as text no record hashes to,
    /// so verify names the record; a first record chains on the genesis hash, any other
    /// whose predecessor is gone on none.
    init(row: Columns) {
        let seq: Int64 = row[0]
        let at = (try? row.millis(2))??.rfc3339 ?? AuditBody.unreadable
        let targetId: String = row[7], partnerId: String? = row[8]
        // The record referred to reads against its own context (it refers to none); a
        // reference to a record that is gone reads as text no state was deflated against.
        var reference: String?
        if !row.isNull(15) {
            if row.isNull(18) {
                reference = AuditBody.unreadable
            } else {
                let context = AuditEntry.bodyContext(repeated: row[21], partnerId: row[20], targetId: row[19],
                                                     at: (try? row.millis(18))??.rfc3339 ?? AuditBody.unreadable)
                reference = (row.blob(17) ?? row.blob(16)).map { AuditBody.decodeRemembered($0, context: context) ?? AuditBody.unreadable }
                    ?? AuditBody.unreadable
            }
        }
        let context = AuditEntry.bodyContext(reference: reference, repeated: row[14], partnerId: partnerId, targetId: targetId, at: at)
        func state(_ i: Int) -> String? { row.blob(i).map { AuditBody.decode($0, context: context) ?? AuditBody.unreadable } }
        func hash(_ i: Int) -> String { row.blob(i).map { lowercaseHex($0) } ?? "" }
        self.init(seq: seq, id: row[1], at: at, requestId: row[3], actor: row[4], action: row[5], targetType: row[6],
                  targetId: targetId, partnerId: partnerId, reason: row[9], beforeText: state(10), afterText: state(11),
                  prevHash: seq == 1 ? AuditEntry.genesisHash : hash(12), hash: hash(13))
    }
}

extension AuditEntry {
    /// What a record's states are deflated against after the dictionary (AuditBody format
    /// 2): the state of the earlier record it refers to (`refSeq`, migration 0021: a record
    /// of the same action, whose answer has the same shape and many of the same texts), the
    /// long text its states repeat that the row names (`contextRef`, 0020: the rules' hash a
    /// sale's answer holds three times), then its partner, target and time as they appear in
    /// JSON, the time nearest the text (the states repeat it most).
    static func bodyContext(reference: String? = nil, repeated: String? = nil, partnerId: String?, targetId: String, at: String) -> String {
        (reference ?? "") + (repeated ?? "") + "\"" + (partnerId ?? "") + "\",\"" + targetId + "\",\"" + at + "\""
    }

    /// The text of the record's states worth naming in its context: the rules' hash a state
    /// holds (`"rulesHash":"` and 64 hex digits), nil when none does.
    static func repeatedText(_ states: String?...) -> String? {
        let key = Array(#""rulesHash":""#.utf8)
        for state in states {
            guard let state else { continue }
            let found: String? = state.utf8.withContiguousStorageIfAvailable { bytes in
                guard bytes.count > key.count + 64 else { return nil }
                var i = 0
                while i + key.count + 64 <= bytes.count {
                    if bytes[i] == key[0], bytes[i..<i + key.count].elementsEqual(key) {
                        let hash = bytes[(i + key.count)..<(i + key.count + 64)]
                        if hash.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) {
                            return String(decoding: hash, as: UTF8.self)
                        }
                    }
                    i += 1
                }
                return nil
            } ?? nil
            if let found { return found }
        }
        return nil
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
        // The time is stored as its milliseconds and read back as their text: only a time
        // in that form (the engine's clock writes no other) reads back as it was hashed.
        guard let at = AuditTime.millis(entry.at) else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "audit time '\(entry.at)' is not in the engine's form: refused")
        }
        let e = entry.chained(after: try appendHead ?? auditHead())
        // Every write appends here: bound straight through SQLite's C API.
        let repeated = AuditEntry.repeatedText(e.after, e.before)
        let reference = try auditReference(for: e.action)
        try writing {
            let context = AuditEntry.bodyContext(reference: reference?.text, repeated: repeated, partnerId: e.partnerId, targetId: e.targetId,
                                                 at: e.at)
            func state(_ text: String?) -> Bind { text.map { .blob(AuditBody.encode($0, context: context)) } ?? .null }
            try Bind.execute(db.cachedStatement(sql: Self.insertAudit), db, .int(e.seq), .text(e.id), .int(at), .text(e.requestId),
                             .int(intern(e.actor)), .int(intern(e.action)), .int(intern(e.targetType)), .text(e.targetId),
                             e.partnerId.map { .int(try intern($0)) } ?? .null, .text(e.reason), state(e.before), state(e.after),
                             .blob(hexBytes(ArraySlice(e.hash.utf8))!), try intern(repeated).map(Bind.int) ?? .null,
                             reference.map { .int($0.seq) } ?? .null)
            try Bind.execute(db.cachedStatement(sql: """
                INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?)
                ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
                """), db, .int(e.seq), .text(e.hash))
        }
        appendHead = AuditHead(seq: e.seq, hash: e.hash)
        if reference == nil, let text = e.after ?? e.before, text.utf8.count <= AuditReference.longest {
            auditReferences[e.action] = AuditReference(seq: e.seq, text: text, uses: 0)
        }
        return e
    }

    /// The earlier record of `action` the next one's states are deflated against (nil: it
    /// is stored on its own, and the next ones refer to it): the last one stored on its own,
    /// so reading a record reads at most one other, until it has served `AuditReference.uses`
    /// records. Remembered for the transaction (forgotten when a savepoint rolls back);
    /// the first record of an action in a transaction looks among the action's last records.
    func auditReference(for action: String) throws -> AuditReference? {
        if var r = auditReferences[action] {
            guard r.uses < AuditReference.uses else {
                auditReferences[action] = nil
                return nil
            }
            r.uses += 1
            auditReferences[action] = r
            return r
        }
        guard auditReferenceLookups.insert(action).inserted else { return nil }
        var found: (seq: Int64, newer: Int)?
        var newer = 0
        try Bind.run(db.cachedStatement(sql: """
            SELECT seq, refSeq IS NULL FROM audit INDEXED BY audit_by_action WHERE actionRef = ? ORDER BY seq DESC LIMIT ?
            """), db, [.int(intern(action)), .int(Int64(AuditReference.uses))]) { row in
            if found == nil, row[1] as Int64 == 1 { found = (row[0], newer) }
            newer += 1
        }
        guard let found, let earlier = try auditEntry(seq: found.seq), let text = earlier.after ?? earlier.before,
              text.utf8.count <= AuditReference.longest
        else { return nil }
        let r = AuditReference(seq: found.seq, text: text, uses: found.newer + 1)
        auditReferences[action] = r
        return r
    }

    static let insertAudit = """
        INSERT INTO audit (\(AuditEntry.storedColumns))
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    public func auditHead() throws -> AuditHead {
        try Columns.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE singleton = 1")) {
            AuditHead(seq: $0[0], hash: $0[1])
        } ?? .genesis
    }

    public func auditEntry(seq: Int64) throws -> AuditEntry? {
        try AuditEntry.fetchOne(db.cachedStatement(sql: "SELECT \(AuditEntry.columns) FROM \(AuditEntry.source) WHERE a.seq = ?"), arguments: [seq])
    }

    public func auditEntries(_ f: AuditFilter, afterSeq: Int64, limit: Int) throws -> [AuditEntry] {
        let (clause, args) = Self.clause(f, afterSeq: afterSeq)
        return try AuditEntry.fetchAll(db.cachedStatement(sql: "SELECT \(AuditEntry.columns) FROM \(AuditEntry.source) WHERE \(clause) ORDER BY a.seq LIMIT ?"),
                                       arguments: StatementArguments(args + [limit]))
    }

    public func auditCount(_ f: AuditFilter) throws -> Int {
        let (clause, args) = Self.clause(f, afterSeq: 0)
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM audit a WHERE \(clause)"), arguments: StatementArguments(args)) ?? 0
    }

    /// The filter as a WHERE clause and its arguments.
    static func clause(_ f: AuditFilter, afterSeq: Int64) -> (String, [(any DatabaseValueConvertible)?]) {
        var sql = "a.seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let v = f.partnerId { sql += " AND a.partnerRef = (SELECT id FROM interned WHERE text = ?)"; args.append(v) }
        if let v = f.actor { sql += " AND a.actorRef = (SELECT id FROM interned WHERE text = ?)"; args.append(v) }
        if let v = f.action { sql += " AND a.actionRef = (SELECT id FROM interned WHERE text = ?)"; args.append(v) }
        if f.range != .all {
            sql += " AND a.at >= ? AND a.at <= ?"
            args += [f.range.firstMillis, f.range.lastMillis]
        }
        return (sql, args)
    }

    public func forEachAuditEntry(_ body: (AuditEntry) throws -> Bool) throws {
        let cursor = try ColumnCursor(db.makeStatement(sql: "SELECT \(AuditEntry.columns) FROM \(AuditEntry.source) ORDER BY a.seq"), [], AuditEntry.init(row:))
        while let e = try cursor.next() {
            guard try body(e) else { return }
        }
    }
}

/// An audit record's time as stored: its milliseconds (migration 0018), which read back as
/// the engine's RFC 3339 text (`Timestamp.rfc3339`).
enum AuditTime {
    /// The milliseconds of `text` when it is in the engine's form, so that they read back
    /// as exactly `text`; nil for any other text.
    static func millis(_ text: String) -> Int64? {
        guard let t = Timestamp(rfc3339: text), t.rfc3339 == text else { return nil }
        return t.millisecondsSinceEpoch
    }
}

/// An earlier record whose state later records of its action are deflated against.
struct AuditReference {
    let seq: Int64
    let text: String
    /// How many records have referred to it.
    var uses: Int

    /// How many records refer to one before the next is stored on its own.
    static let uses = 64
    /// The longest state referred to, in bytes (a reference is read with each record).
    static let longest = 8_192
}
