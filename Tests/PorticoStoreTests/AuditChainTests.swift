import Foundation
import Crypto
import GRDB
import JSONRPC
import PorticoCore
import PropertyBased
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

    /// A record of the same action as an earlier one stored on its own is deflated against
    /// that one's state (`refSeq`), in fewer bytes; each refers to the last stored on its
    /// own, which serves 64 before the next is stored on its own, in the transaction and
    /// after it; all read back and verify as written. A referred record changed, or a
    /// reference moved, is named by verify; a record gone with its rolled-back transaction
    /// is never referred to.
    @Test func laterRecordsOfAnActionAreStoredAgainstAnEarlierOne() throws {
        let db = try temporaryDatabase()
        func record(_ i: Int) -> AuditEntry {
            AuditEntry(id: "aud_\(i)", at: "2026-01-01T00:00:00.\(String(format: "%03d", i % 1000))Z", requestId: "\(i)", actor: "platform:ops",
                       action: "sale.record", targetType: "sale", targetId: "sal_\(i)", partnerId: "ptr_1", before: nil,
                       after: ["sale": ["id": .string("sal_\(i)"), "customerId": "cus_01jgfjjz00b4fmhr0e3c", "plan": "pro", "amount": .integer(Int64(i)),
                                        "externalId": .string("INV-\(i)"), "kind": "new", "occurredAt": "2027-01-15T10:00:00.000Z"]])
        }
        var written = try db.write { tx in try (1...70).map { try tx.append(record($0)) } }
        written += try db.write { tx in [try tx.append(record(71))] }
        struct Undo: Error {}
        #expect(throws: Undo.self) { try db.write { tx in _ = try tx.append(record(72)); throw Undo() } }
        written += try db.write { tx in [try tx.append(record(73))] }
        let stored = try db.writer.read { try Row.fetchAll($0, sql: "SELECT seq, refSeq, length(after) AS n FROM audit ORDER BY seq") }
        let refs = stored.map { $0["refSeq"] as Int64? }
        #expect(refs[0] == nil && refs[1] == 1 && refs[64] == 1 && refs[65] == nil && refs[66] == 66 && refs[69] == 66)
        #expect(refs[70] == 66 && refs[71] == 66, "\(refs.suffix(3))")
        #expect(stored[1]["n"] as Int + 20 < stored[0]["n"] as Int, "\(stored[1]["n"] as Int) against \(stored[0]["n"] as Int) bytes")
        #expect(try db.read { tx in try (1...72).map { try tx.auditEntry(seq: $0) } } == written)
        #expect(try verify(db).ok)
        try tamper(db, "UPDATE audit SET refSeq = 1 WHERE seq = 70")
        #expect(try verify(db).firstBadSeq == 70)
        try db.writer.writeWithoutTransaction { (db: Database) throws in
            try db.execute(sql: """
                UPDATE audit SET refSeq = 66 WHERE seq = 70;
                UPDATE audit SET after = CAST(substr(after, 1, 10) || (CASE WHEN substr(after, 11, 1) = X'00' THEN X'01' ELSE X'00' END)
                                              || substr(after, 12) AS BLOB)
                    WHERE seq = 1;
                """)
        }
        #expect(try verify(db).firstBadSeq == 1)
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
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE audit SET reason = 'x' WHERE seq = 1") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM audit WHERE seq = 1") }
        }
    }

    @Test func detectsAnEditedRecord() throws {
        let db = try chain(5)
        try tamper(db, "UPDATE audit SET after = X'\(lowercaseHex(AuditBody.encode(#"{"n":99}"#)))' WHERE seq = 3")
        let v = try verify(db)
        #expect(!v.ok)
        #expect(v.firstBadSeq == 3)
    }

    @Test func detectsAnEditedRecordWhoseHashWasRecomputedAlone() throws {
        let db = try chain(5)
        var e = try db.read { try $0.auditEntries(AuditFilter(), afterSeq: 2, limit: 1) }[0]
        e.actor = "platform:mallory"
        let forged = e.computeHash()
        try tamper(db, """
            INSERT INTO interned (text) VALUES ('platform:mallory');
            UPDATE audit SET actorRef = (SELECT id FROM interned WHERE text = 'platform:mallory'), hash = X'\(forged)' WHERE seq = 3
            """)
        #expect(try verify(db).firstBadSeq == 4)
    }

    /// The time is stored as milliseconds: one moved, or one past the instants the engine
    /// reads, is named.
    @Test func detectsAnEditedTime() throws {
        for edit in ["at = at + 1", "at = \(Timestamp.max.millisecondsSinceEpoch + 1)"] {
            let db = try chain(5)
            try tamper(db, "UPDATE audit SET \(edit) WHERE seq = 3")
            let v = try verify(db)
            #expect(v.firstBadSeq == 3 && v.problem == "record 3 was altered", "\(edit)")
        }
    }

    /// A time the engine would not write (not in its RFC 3339 form) is refused before the
    /// chain moves: it could not be stored so as to read back as it was hashed.
    @Test func aTimeNotInTheEnginesFormIsRefused() throws {
        let db = try chain(2)
        #expect(throws: DatabaseError.self) {
            try db.write { tx in
                _ = try tx.append(AuditEntry(id: "aud_x", at: "2026-01-01T00:00:00Z", requestId: nil, actor: "platform:ops",
                                             action: "partner.update", targetType: "partner", targetId: "ptr_1", partnerId: "ptr_1",
                                             before: nil, after: ["n": 1]))
            }
        }
        #expect(try verify(db) == AuditVerification(ok: true, checked: 2, firstBadSeq: nil, problem: nil))
    }

    /// Stored bytes that do not inflate (a flipped bit, a cut stream, a format this engine
    /// does not know) read as a state no record hashes to: verify names the record.
    @Test func detectsADamagedStoredState() throws {
        for damage in ["substr(after, 1, length(after) - 2)", "CAST(X'09' || substr(after, 2) AS BLOB)", "CAST(after || X'00' AS BLOB)", "X'0103ffffff'"] {
            let db = try chain(5)
            try tamper(db, "UPDATE audit SET after = \(damage) WHERE seq = 3")
            let v = try verify(db)
            #expect(v.firstBadSeq == 3, "\(damage)")
            #expect(v.problem == "record 3 was altered", "\(damage)")
        }
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

@Suite struct AuditBodyTests {
    /// Any text comes back exactly as it went in, whatever its size and characters.
    @Test func aStoredStateReadsBackExactly() async {
        let text = Gen.oneOf(Gen.character(in: "\u{0}"..."\u{7F}"), Gen.character(in: "\u{80}"..."\u{2FF}"),
                             Gen.character(in: "\u{202A}"..."\u{202E}"), Gen.character(in: "\u{1F600}"..."\u{1F64F}"))
            .string(of: 0...3000)
        await propertyCheck(count: 300, input: text, Gen.int(in: 0...40)) { text, repeats in
            let long = String(repeating: text, count: repeats)
            for t in [text, long] {
                let stored = AuditBody.encode(t)
                #expect(AuditBody.decode(stored) == t)
                // And nothing shorter or longer reads as it.
                #expect(AuditBody.decode(Array(stored.dropLast())) == nil)
                #expect(AuditBody.decode(stored + [0]) == nil)
                // Format 2, against a context of the record's (made of the text itself, so
                // the stream refers to it): read back with that context only.
                let context = String(t.unicodeScalars.prefix(40))
                let withContext = AuditBody.encode(t, context: context)
                #expect(withContext.first == AuditBody.formatV2)
                #expect(AuditBody.decode(withContext, context: context) == t)
                #expect(AuditBody.decode(Array(withContext.dropLast()), context: context) == nil)
                if t.unicodeScalars.count >= 40, t == text {
                    // Another context reads as something else, or nothing (bytes compared:
                    // String's == would normalize a long garbled text), once the stream
                    // refers to it: a text of 40 scalars or more starts with the whole
                    // context, which deflate copies (a shorter one may be stored as literals,
                    // which read the same against any context; the record's hash still
                    // tells them apart).
                    #expect(AuditBody.decode(withContext, context: context + "x").map { Array($0.utf8) } != Array(t.utf8))
                }

            }
        }
    }

    /// A sale's answer is stored in about a quarter of its text.
    @Test func aSalesAnswerIsStoredCompactly() {
        let answer = #"{"commissions":[{"amount":{"amount":1485,"currency":"USD"},"basis":"15%","beneficiary":"partner","createdAt":"2026-12-02T22:59:09.215Z","id":"com_01m8wfqcrz7dep9a6f5s","kind":"sale","occurredAt":"2027-01-15T10:00:00.000Z","partnerId":"ptr_01mb78qn009v1jhrkgtt","payableAt":"2027-02-14T10:00:00.000Z","resellerId":null,"ruleId":"renewal-recurring","rulesHash":"f713630a9da48d0c7858df2999488dbc8c7ccb47dacd387c8717b04afdf152fb","saleId":"sal_01m8wfqcrz7dep9a6f5r","status":"pending","updatedAt":"2026-12-02T22:59:09.215Z"}],"sale":{"amount":{"amount":9900,"currency":"USD"},"createdAt":"2026-12-02T22:59:09.215Z","customerId":"cus_01jgfjjz00b4fmhr0e3c","externalId":"p10000-49999","id":"sal_01m8wfqcrz7dep9a6f5r","kind":"renewal","occurredAt":"2027-01-15T10:00:00.000Z","partnerId":"ptr_01mb78qn009v1jhrkgtt","plan":"pro","refunded":{"amount":0,"currency":"USD"},"resellerId":null,"rulesHash":"f713630a9da48d0c7858df2999488dbc8c7ccb47dacd387c8717b04afdf152fb"}}"#
        let stored = AuditBody.encode(answer)
        #expect(stored.count * 3 < answer.utf8.count, "\(stored.count) of \(answer.utf8.count) bytes")
        #expect(AuditBody.decode(stored) == answer)
    }

    /// Against its record's partner, target and time, about 40 bytes fewer still.
    @Test func aSalesAnswerIsStoredInLessAgainstItsRecord() {
        let answer = #"{"commissions":[{"amount":{"amount":1485,"currency":"USD"},"basis":"15%","beneficiary":"partner","createdAt":"2026-12-02T22:59:09.215Z","id":"com_01m8wfqcrz7dep9a6f5s","kind":"sale","occurredAt":"2027-01-15T10:00:00.000Z","partnerId":"ptr_01mb78qn009v1jhrkgtt","payableAt":"2027-02-14T10:00:00.000Z","resellerId":null,"ruleId":"renewal-recurring","rulesHash":"f713630a9da48d0c7858df2999488dbc8c7ccb47dacd387c8717b04afdf152fb","saleId":"sal_01m8wfqcrz7dep9a6f5r","status":"pending","updatedAt":"2026-12-02T22:59:09.215Z"}],"sale":{"amount":{"amount":9900,"currency":"USD"},"createdAt":"2026-12-02T22:59:09.215Z","customerId":"cus_01jgfjjz00b4fmhr0e3c","externalId":"p10000-49999","id":"sal_01m8wfqcrz7dep9a6f5r","kind":"renewal","occurredAt":"2027-01-15T10:00:00.000Z","partnerId":"ptr_01mb78qn009v1jhrkgtt","plan":"pro","refunded":{"amount":0,"currency":"USD"},"resellerId":null,"rulesHash":"f713630a9da48d0c7858df2999488dbc8c7ccb47dacd387c8717b04afdf152fb"}}"#
        let context = AuditEntry.bodyContext(partnerId: "ptr_01mb78qn009v1jhrkgtt", targetId: "sal_01m8wfqcrz7dep9a6f5r",
                                             at: "2026-12-02T22:59:09.215Z")
        let stored = AuditBody.encode(answer, context: context)
        #expect(stored.count + 30 < AuditBody.encode(answer).count, "\(stored.count) against \(AuditBody.encode(answer).count) bytes")
        #expect(AuditBody.decode(stored, context: context) == answer)
    }

    /// A record whose state names a rules' hash is deflated against it too (the row names
    /// it, `contextRef`): stored in fewer bytes, read back and verified the same; one that
    /// names none (or something that is no hash) names nothing. Another text in its place
    /// reads as something else, which verify names.
    @Test func aStateNamingTheRulesHashIsStoredAgainstIt() throws {
        let hash = "f713630a9da48d0c7858df2999488dbc8c7ccb47dacd387c8717b04afdf152fb"
        let after: JSONValue = ["sale": ["id": "sal_1", "rulesHash": .string(hash)], "commissions": [["rulesHash": .string(hash)]]]
        #expect(AuditEntry.repeatedText(nil, String(decoding: JSONWriter.canonical(after), as: UTF8.self)) == hash)
        #expect(AuditEntry.repeatedText(#"{"rulesHash":"F713630A"}"#, #"{"rulesHash":"xyz"}"#) == nil)
        let text = String(decoding: JSONWriter.canonical(after), as: UTF8.self)
        let plain = AuditEntry.bodyContext(partnerId: "ptr_1", targetId: "sal_1", at: "2026-01-01T00:00:01.000Z")
        let named = AuditEntry.bodyContext(repeated: hash, partnerId: "ptr_1", targetId: "sal_1", at: "2026-01-01T00:00:01.000Z")
        #expect(AuditBody.encode(text, context: named).count + 30 < AuditBody.encode(text, context: plain).count)
        let db = try temporaryDatabase()
        let written = try db.write { tx in
            [try tx.append(AuditEntry(id: "aud_1", at: "2026-01-01T00:00:01.000Z", requestId: "1", actor: "platform:ops", action: "sale.record",
                                      targetType: "sale", targetId: "sal_1", partnerId: "ptr_1", before: nil, after: after)),
             try tx.append(AuditEntry(id: "aud_2", at: "2026-01-01T00:00:02.000Z", requestId: "2", actor: "platform:ops", action: "partner.update",
                                      targetType: "partner", targetId: "ptr_1", partnerId: "ptr_1", before: ["n": 1], after: ["n": 2]))]
        }
        #expect(try db.read { tx in try [1, 2].map { try tx.auditEntry(seq: $0) } } == written)
        #expect(try db.writer.read { try String.fetchAll($0, sql: """
            SELECT coalesce((SELECT text FROM interned WHERE id = contextRef), '-') FROM audit ORDER BY seq
            """) } == [hash, "-"])
        #expect(try db.read { try AuditVerification.verify($0) }.ok)
        try db.writer.writeWithoutTransaction { (db: Database) throws in
            try db.execute(sql: """
                INSERT INTO interned (text) VALUES ('0000000000000000000000000000000000000000000000000000000000000000');
                DROP TRIGGER audit_no_update;
                UPDATE audit SET contextRef = (SELECT MAX(id) FROM interned) WHERE seq = 1;
                """)
        }
        #expect(try db.read { try AuditVerification.verify($0) }.firstBadSeq == 1)
    }

    /// Records written before migration 0014 (text states, hex hashes, a previous-hash
    /// column) come through it stored compactly, read the same and still verify.
    @Test func theMigrationKeepsEveryRecordAndItsChain() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("a.sqlite").path
        var written: [AuditEntry] = []
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "0013-period-totals")
            try queue.write { db in
                var head = AuditHead.genesis
                for i in 1...6 {
                    let e = AuditEntry(id: "aud_\(i)", at: "2026-01-01T00:00:0\(i).000Z", requestId: i == 2 ? nil : "\(i)",
                                       actor: "platform:ops", action: "partner.update", targetType: "partner", targetId: "ptr_1",
                                       partnerId: i == 3 ? nil : "ptr_1", reason: i == 4 ? "é\u{202E}" : nil,
                                       before: i == 1 ? nil : ["n": .integer(Int64(i)), "s": "ü😀"], after: i == 5 ? nil : ["n": .integer(Int64(i + 1))])
                        .chained(after: head)
                    try db.execute(sql: """
                        INSERT INTO audit (seq, id, at, requestId, actor, action, targetType, targetId, partnerId, reason, before, after, prevHash, hash)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [e.seq, e.id, e.at, e.requestId, e.actor, e.action, e.targetType, e.targetId, e.partnerId, e.reason,
                                         e.before, e.after, e.prevHash, e.hash])
                    head = AuditHead(seq: e.seq, hash: e.hash)
                    written.append(e)
                }
                try db.execute(sql: "INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?)", arguments: [head.seq, head.hash])
            }
        }
        let store = try SQLiteStore(path: path)
        let read = try store.read { try $0.auditEntries(AuditFilter(), afterSeq: 0, limit: 10) }
        #expect(read == written)
        #expect(try store.read { try AuditVerification.verify($0) } == AuditVerification(ok: true, checked: 6, firstBadSeq: nil, problem: nil))
        // And the chain goes on from there.
        try store.write { tx in
            _ = try tx.append(AuditEntry(id: "aud_7", at: "2026-01-01T00:00:07.000Z", requestId: "7", actor: "platform:ops",
                                         action: "partner.update", targetType: "partner", targetId: "ptr_1", partnerId: "ptr_1",
                                         before: nil, after: ["n": 8]))
        }
        #expect(try store.read { try AuditVerification.verify($0) }.checked == 7)
        #expect(try store.read { try $0.auditEntry(seq: 7) }?.prevHash == written.last!.hash)
    }

    /// Migration 0018 stores each record's time as milliseconds; a record whose time would
    /// not read back as the text it was hashed with stops it, named, and nothing changes.
    @Test func aTimeThatWouldNotReadBackStopsTheMigration() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("a.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "0017-ledger-instants-as-milliseconds")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO audit (seq, id, at, requestId, actor, action, targetType, targetId, partnerId, reason, before, after, hash)
                    VALUES (1, 'aud_1', '2026-01-01T00:00:00Z', NULL, 'platform:ops', 'partner.update', 'partner', 'ptr_1', NULL, NULL,
                            NULL, NULL, zeroblob(32))
                    """)
            }
            try queue.close()
        }
        #expect {
            _ = try SQLiteStore(path: path)
        } throws: { error in
            String(describing: error).contains("2026-01-01T00:00:00Z") && String(describing: error).contains("not in the engine's form")
        }
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { try SQLiteStore.migrator.appliedMigrations($0).last } == "0017-ledger-instants-as-milliseconds")
        #expect(try queue.read { try String.fetchOne($0, sql: "SELECT at FROM audit") } == "2026-01-01T00:00:00Z")
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
