import Crypto
import JSONRPC

/// One audit record: who did what to which target, with the state before and after.
public struct AuditEntry: Sendable, Equatable {
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
        self.init(seq: seq, id: id, at: at, requestId: requestId, actor: actor, action: action, targetType: targetType,
                  targetId: targetId, partnerId: partnerId, reason: reason,
                  beforeText: before.map { String(decoding: JSONWriter.canonical($0), as: UTF8.self) },
                  afterText: after.map { String(decoding: JSONWriter.canonical($0), as: UTF8.self) }, prevHash: "", hash: "")
    }

    /// Every column, as stored.
    public init(seq: Int64, id: String, at: String, requestId: String?, actor: String, action: String, targetType: String,
                targetId: String, partnerId: String?, reason: String?, beforeText: String?, afterText: String?, prevHash: String,
                hash: String)
    {
        self.seq = seq; self.id = id; self.at = at; self.requestId = requestId; self.actor = actor
        self.action = action; self.targetType = targetType; self.targetId = targetId; self.partnerId = partnerId
        self.reason = reason; self.before = beforeText; self.after = afterText; self.prevHash = prevHash; self.hash = hash
    }

    public static let genesisHash = String(repeating: "0", count: 64)

    /// This entry as the record after `head`: the next sequence number, chained to the
    /// head's hash, and hashed.
    public func chained(after head: AuditHead) -> AuditEntry {
        var e = self
        e.seq = head.seq + 1
        e.prevHash = head.hash
        e.hash = e.computeHash()
        return e
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
        return lowercaseHex(SHA256.hash(data: out))
    }

    public var json: JSONValue {
        func parsed(_ text: String?) -> JSONValue {
            guard let text, let v = try? JSONReader.parse(text) else { return .null }
            return v
        }
        return [
            "seq": .integer(seq), "id": .string(id), "at": .string(at), "requestId": .string(requestId),
            "actor": .string(actor), "action": .string(action),
            "target": ["type": .string(targetType), "id": .string(targetId)],
            "partnerId": .string(partnerId), "reason": .string(reason),
            "before": parsed(before), "after": parsed(after), "prevHash": .string(prevHash), "hash": .string(hash),
        ]
    }
}

/// The newest record's sequence number and hash: where the next record chains on.
public struct AuditHead: Sendable, Equatable {
    public var seq: Int64
    public var hash: String
    public init(seq: Int64, hash: String) { self.seq = seq; self.hash = hash }
    /// The head of an empty log.
    public static let genesis = AuditHead(seq: 0, hash: AuditEntry.genesisHash)
}

public struct AuditFilter: Sendable {
    public var partnerId: String?
    public var actor: String?
    public var action: String?
    /// The records' time.
    public var range: TimeRange
    public init(partnerId: String? = nil, actor: String? = nil, action: String? = nil, range: TimeRange = .all) {
        self.partnerId = partnerId; self.actor = actor; self.action = action; self.range = range
    }
}

/// The append-only, hash-chained audit log in storage. Each record's hash covers the
/// previous record's hash, so an edited, deleted or reordered record breaks the chain
/// from there.
public protocol AuditStore {
    /// Appends `entry` as the record after the current head (`entry.chained(after:)`),
    /// holding the head's lock until the transaction ends, and moves the head to it.
    /// Refuses text the store cannot keep exactly (SQLite cuts text at a NUL): the hash
    /// must cover exactly what is stored.
    func append(_ entry: AuditEntry) throws -> AuditEntry
    func auditHead() throws -> AuditHead
    func auditEntry(seq: Int64) throws -> AuditEntry?
    /// One page in sequence order after `afterSeq`.
    func auditEntries(_ filter: AuditFilter, afterSeq: Int64, limit: Int) throws -> [AuditEntry]
    /// How many records match the filter.
    func auditCount(_ filter: AuditFilter) throws -> Int
    /// Every record in sequence order, until `body` answers false.
    func forEachAuditEntry(_ body: (AuditEntry) throws -> Bool) throws
}

/// The outcome of walking the chain.
public struct AuditVerification: Sendable, Equatable {
    public var ok: Bool
    public var checked: Int
    public var firstBadSeq: Int64?
    public var problem: String?

    public init(ok: Bool, checked: Int, firstBadSeq: Int64?, problem: String?) {
        self.ok = ok; self.checked = checked; self.firstBadSeq = firstBadSeq; self.problem = problem
    }

    /// Walks every record in order: sequence numbers without gaps, each prevHash equal to
    /// the previous hash, each hash recomputed, and the head matching the last record.
    public static func verify(_ store: any AuditStore) throws -> AuditVerification {
        var expectedSeq: Int64 = 1
        var prev = AuditEntry.genesisHash
        var checked = 0
        var failure: AuditVerification? = nil
        try store.forEachAuditEntry { e in
            if e.seq != expectedSeq {
                failure = AuditVerification(ok: false, checked: checked, firstBadSeq: expectedSeq, problem: "record \(expectedSeq) is missing")
            } else if e.prevHash != prev {
                failure = AuditVerification(ok: false, checked: checked, firstBadSeq: e.seq,
                                            problem: "record \(e.seq) does not follow the previous record")
            } else if e.computeHash() != e.hash {
                failure = AuditVerification(ok: false, checked: checked, firstBadSeq: e.seq, problem: "record \(e.seq) was altered")
            }
            guard failure == nil else { return false }
            prev = e.hash
            expectedSeq += 1
            checked += 1
            return true
        }
        if let failure { return failure }
        let head = try store.auditHead()
        if head.seq != expectedSeq - 1 || head.hash != prev {
            return AuditVerification(ok: false, checked: checked, firstBadSeq: min(head.seq, expectedSeq - 1) + 1,
                                     problem: "the newest records are missing (head is at \(head.seq))")
        }
        return AuditVerification(ok: true, checked: checked, firstBadSeq: nil, problem: nil)
    }
}
