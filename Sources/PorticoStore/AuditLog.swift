import Crypto
import GRDB
import JSONRPC

/// One audit record: who did what to which target, with the state before and after.
public struct AuditEntry: Sendable, Equatable, ColumnRecord {
    public var seq: Int64
    public var id: String
    public var at: String
    public var requestId: String?
    public var actor: String
    public var action: String
    public var targetType: String
    public var targetId: String
    public var partnerId: String?
    public var reason: String?
    /// Canonical JSON text of the target before and after, nil where it did not exist.
    public var before: String?
    public var after: String?
    public var prevHash: String
    public var hash: String

    public init(seq: Int64 = 0, id: String, at: String, requestId: String?, actor: String, action: String,
                targetType: String, targetId: String, partnerId: String?, reason: String? = nil,
                before: JSONValue?, after: JSONValue?)
    {
        self.seq = seq; self.id = id; self.at = at; self.requestId = requestId; self.actor = actor
        self.action = action; self.targetType = targetType; self.targetId = targetId; self.partnerId = partnerId
        self.reason = reason
        self.before = before.map { String(decoding: JSONWriter.canonical($0), as: UTF8.self) }
        self.after = after.map { String(decoding: JSONWriter.canonical($0), as: UTF8.self) }
        self.prevHash = ""
        self.hash = ""
    }

    static let columns = "seq, id, at, requestId, actor, action, targetType, targetId, partnerId, reason, before, after, prevHash, hash"

    init(row: Columns) {
        seq = row[0]; id = row[1]; at = row[2]; requestId = row[3]; actor = row[4]; action = row[5]
        targetType = row[6]; targetId = row[7]; partnerId = row[8]; reason = row[9]; before = row[10]
        after = row[11]; prevHash = row[12]; hash = row[13]
    }

    /// SHA-256 (hex) over the canonical JSON (keys sorted, compact) of every field but
    /// `hash`, `prevHash` included: `{"action":…,"actor":…,"after":{…},"at":…,"before":{…},
    /// "id":…,"partnerId":…,"prevHash":…,"reason":…,"requestId":…,"seq":…,"targetId":…,
    /// "targetType":…}`, with before and after as the canonical JSON values they hold (they
    /// are stored canonical, so their text goes in as it is). Written field by field in
    /// that order rather than through a JSONValue: it runs on every mutation.
    public func computeHash() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(256 + (before?.utf8.count ?? 0) + (after?.utf8.count ?? 0))
        func field(_ key: StaticString, _ value: String?, first: Bool = false) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
            if let value { JSONWriter.writeString(value, into: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        func raw(_ key: StaticString, _ canonicalJSON: String?) {
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
            out.append(contentsOf: (canonicalJSON ?? "null").utf8)
        }
        field("action", action, first: true)
        field("actor", actor)
        raw("after", after)
        field("at", at)
        raw("before", before)
        field("id", id)
        field("partnerId", partnerId)
        field("prevHash", prevHash)
        field("reason", reason)
        field("requestId", requestId)
        out.append(contentsOf: ",\"seq\":".utf8)
        JSONWriter.writeInteger(seq, into: &out)
        field("targetId", targetId)
        field("targetType", targetType)
        out.append(UInt8(ascii: "}"))
        return AuditLog.hex(SHA256.hash(data: out))
    }
}

public struct AuditFilter: Sendable {
    public var partnerId: String?
    public var actor: String?
    public var action: String?
    /// The records' time, `first` through `last` (inclusive); nil for open.
    public var first: String?
    public var last: String?
    public init(partnerId: String? = nil, actor: String? = nil, action: String? = nil, first: String? = nil, last: String? = nil) {
        self.partnerId = partnerId; self.actor = actor; self.action = action; self.first = first; self.last = last
    }
}

/// The outcome of walking the chain.
public struct AuditVerification: Sendable, Equatable {
    public var ok: Bool
    public var checked: Int
    public var firstBadSeq: Int64?
    public var problem: String?
}

/// The append-only, hash-chained audit log. Each record's hash covers the previous
/// record's hash, so an edited, deleted or reordered record breaks the chain from there.
public enum AuditLog {
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Appends in the caller's transaction, assigning seq, prevHash and hash.
    @discardableResult
    public static func append(_ entry: AuditEntry, _ db: Database) throws -> AuditEntry {
        // SQLite cuts text at a NUL, so the hash would cover more than is stored and the
        // chain would fail to verify forever. Requests cannot carry one (every string is
        // checked on the way in); this refuses the write should one ever get this far.
        for text in [entry.id, entry.at, entry.actor, entry.action, entry.targetType, entry.targetId] + [entry.requestId,
                     entry.partnerId, entry.reason].compactMap({ $0 }) where text.utf8.contains(0) {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "audit text holds a NUL character: refused")
        }
        var e = entry
        let (seq, hash) = try head(db)
        e.seq = seq + 1
        e.prevHash = hash
        e.hash = e.computeHash()
        try db.cachedStatement(sql: """
            INSERT INTO audit (\(AuditEntry.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [e.seq, e.id, e.at, e.requestId, e.actor, e.action, e.targetType, e.targetId,
                                     e.partnerId, e.reason, e.before, e.after, e.prevHash, e.hash])
        try db.cachedStatement(sql: """
            INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?)
            ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
            """).execute(arguments: [e.seq, e.hash])
        return e
    }

    /// The newest record's sequence number and hash (0 and the genesis hash when empty).
    static func head(_ db: Database) throws -> (seq: Int64, hash: String) {
        try Columns.fetchOne(db.cachedStatement(sql: "SELECT seq, hash FROM audit_head WHERE singleton = 1")) {
            ($0[0] as Int64, $0[1] as String)
        } ?? (0, genesisHash)
    }

    public static func find(seq: Int64, _ db: Database) throws -> AuditEntry? {
        try AuditEntry.fetchOne(db.cachedStatement(sql: "SELECT \(AuditEntry.columns) FROM audit WHERE seq = ?"), arguments: [seq])
    }

    /// One page in sequence order after `afterSeq`.
    public static func page(_ f: AuditFilter, afterSeq: Int64, limit: Int, _ db: Database) throws -> [AuditEntry] {
        var sql = "SELECT \(AuditEntry.columns) FROM audit WHERE seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let v = f.partnerId { sql += " AND partnerId = ?"; args.append(v) }
        if let v = f.actor { sql += " AND actor = ?"; args.append(v) }
        if let v = f.action { sql += " AND action = ?"; args.append(v) }
        if let v = f.first { sql += " AND at >= ?"; args.append(v) }
        if let v = f.last { sql += " AND at <= ?"; args.append(v) }
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return try AuditEntry.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
    }

    /// Walks every record in order: sequence numbers without gaps, each prevHash equal to
    /// the previous hash, each hash recomputed, and the head matching the last record.
    public static func verify(_ db: Database) throws -> AuditVerification {
        var expectedSeq: Int64 = 1
        var prev = genesisHash
        var checked = 0
        let cursor = try ColumnCursor(db.makeStatement(sql: "SELECT \(AuditEntry.columns) FROM audit ORDER BY seq"), [], AuditEntry.init(row:))
        while let e = try cursor.next() {
            if e.seq != expectedSeq {
                return AuditVerification(ok: false, checked: checked, firstBadSeq: expectedSeq,
                                         problem: "record \(expectedSeq) is missing")
            }
            if e.prevHash != prev {
                return AuditVerification(ok: false, checked: checked, firstBadSeq: e.seq,
                                         problem: "record \(e.seq) does not follow the previous record")
            }
            if e.computeHash() != e.hash {
                return AuditVerification(ok: false, checked: checked, firstBadSeq: e.seq,
                                         problem: "record \(e.seq) was altered")
            }
            prev = e.hash
            expectedSeq += 1
            checked += 1
        }
        let (headSeq, headHash) = try head(db)
        if headSeq != expectedSeq - 1 || headHash != prev {
            return AuditVerification(ok: false, checked: checked, firstBadSeq: min(headSeq, expectedSeq - 1) + 1,
                                     problem: "the newest records are missing (head is at \(headSeq))")
        }
        return AuditVerification(ok: true, checked: checked, firstBadSeq: nil, problem: nil)
    }

    /// Lower-case hex of a digest or any bytes.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
