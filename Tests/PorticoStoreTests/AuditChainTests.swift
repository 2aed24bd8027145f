import Crypto
import GRDB
import JSONRPC
import PorticoCore
import Testing
@testable import PorticoStore

@Suite struct AuditChainTests {
    func chain(_ n: Int) throws -> SQLiteStore {
        let db = try temporaryDatabase()
        try db.write { tx in
            for i in 1...n {
                _ = try tx.append(AuditEntry(id: "aud_\(i)", at: "2026-01-01T00:00:0\(i).000Z", requestId: "\(i)",
                                               actor: "platform:ops", action: "partner.update", targetType: "partner",
                                               targetId: "ptr_1", partnerId: "ptr_1", before: ["n": .integer(Int64(i))],
                                               after: ["n": .integer(Int64(i + 1))]))
            }
        }
        return db
    }

    /// Tampering as someone with the file would: the append-only triggers dropped first.
    func tamper(_ db: SQLiteStore, _ sql: String) throws {
        try db.writer.writeWithoutTransaction { (db: Database) throws in
            try db.execute(sql: "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; " + sql)
        }
    }

    func verify(_ db: SQLiteStore) throws -> AuditVerification {
        try db.read { try AuditVerification.verify($0) }
    }

    @Test func anUntouchedChainVerifies() throws {
        let v = try verify(try chain(5))
        #expect(v == AuditVerification(ok: true, checked: 5, firstBadSeq: nil, problem: nil))
    }

    @Test func eachRecordLinksToThePreviousHash() throws {
        let db = try chain(3)
        let rows = try db.read { try $0.auditEntries(AuditFilter(), afterSeq: 0, limit: 10) }
        #expect(rows[0].prevHash == AuditEntry.genesisHash)
        #expect(rows[1].prevHash == rows[0].hash)
        #expect(rows[2].prevHash == rows[1].hash)
    }

    @Test func recordsAreAppendOnly() throws {
        let db = try chain(2)
        try db.writer.writeWithoutTransaction { (db: Database) throws in
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE audit SET actor = 'x' WHERE seq = 1") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM audit WHERE seq = 1") }
        }
    }

    @Test func detectsAnEditedRecord() throws {
        let db = try chain(5)
        try tamper(db, #"UPDATE audit SET after = '{"n":99}' WHERE seq = 3"#)
        let v = try verify(db)
        #expect(!v.ok)
        #expect(v.firstBadSeq == 3)
    }

    @Test func detectsAnEditedRecordWhoseHashWasRecomputedAlone() throws {
        let db = try chain(5)
        var e = try db.read { try $0.auditEntries(AuditFilter(), afterSeq: 2, limit: 1) }[0]
        e.actor = "platform:mallory"
        let forged = e.computeHash()
        try tamper(db, "UPDATE audit SET actor = 'platform:mallory', hash = '\(forged)' WHERE seq = 3")
        #expect(try verify(db).firstBadSeq == 4)
    }

    @Test func detectsADeletedRecord() throws {
        let db = try chain(5)
        try tamper(db, "DELETE FROM audit WHERE seq = 2")
        let v = try verify(db)
        #expect(!v.ok)
        #expect(v.firstBadSeq == 2)
    }

    @Test func detectsDeletedNewestRecords() throws {
        let db = try chain(5)
        try tamper(db, "DELETE FROM audit WHERE seq >= 4")
        let v = try verify(db)
        #expect(!v.ok)
        #expect(v.firstBadSeq == 4)
    }

    @Test func detectsReorderedRecords() throws {
        let db = try chain(5)
        try tamper(db, "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -2")
        let v = try verify(db)
        #expect(!v.ok)
        #expect(v.firstBadSeq == 2)
    }

    @Test func filtersByPartnerActorActionAndTime() throws {
        let db = try chain(5)
        try db.read { (db: SQLiteTransaction) throws in
            #expect(try db.auditEntries(AuditFilter(partnerId: "ptr_1"), afterSeq: 0, limit: 10).count == 5)
            #expect(try db.auditEntries(AuditFilter(partnerId: "ptr_2"), afterSeq: 0, limit: 10).isEmpty)
            #expect(try db.auditEntries(AuditFilter(actor: "platform:ops", action: "partner.update"), afterSeq: 0, limit: 10).count == 5)
            let window = AuditFilter(range: TimeRange(first: Timestamp(rfc3339: "2026-01-01T00:00:02.000Z")!,
                                                     last: Timestamp(rfc3339: "2026-01-01T00:00:03.999Z")!))
            #expect(try db.auditEntries(window, afterSeq: 0, limit: 10).map(\.seq) == [2, 3])
        }
    }
}

@Suite struct AuditHashTests {
    /// The hash is defined as SHA-256 over the canonical JSON of the record's fields; the
    /// hand-written serializer must produce exactly that text.
    @Test func theHashIsSHA256OfTheCanonicalRecord() {
        var e = AuditEntry(id: "aud_1", at: "2026-01-01T00:00:00.000Z", requestId: "r\"1", actor: "member:mem_x",
                           action: "partner.members.add", targetType: "member", targetId: "mem_y", partnerId: nil,
                           reason: "line\nbreak é", before: nil, after: ["b": 1, "a": ["z": "ü", "y": nil]])
        e.seq = 42
        e.prevHash = AuditEntry.genesisHash
        let reference: JSONValue = [
            "seq": .integer(e.seq), "id": .string(e.id), "at": .string(e.at), "requestId": .string(e.requestId),
            "actor": .string(e.actor), "action": .string(e.action), "targetType": .string(e.targetType),
            "targetId": .string(e.targetId), "partnerId": .string(e.partnerId), "reason": .string(e.reason),
            "before": .null, "after": try! JSONReader.parse(e.after!), "prevHash": .string(e.prevHash),
        ]
        #expect(e.after == #"{"a":{"y":null,"z":"ü"},"b":1}"#)
        #expect(e.computeHash() == lowercaseHex(SHA256.hash(data: JSONWriter.canonical(reference))))
    }
}
