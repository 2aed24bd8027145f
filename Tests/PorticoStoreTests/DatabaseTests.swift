import Foundation
import GRDB
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoStore

func temporaryDatabase() throws -> SQLiteStore {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return try SQLiteStore(path: dir.appendingPathComponent("t.sqlite").path)
}

@Suite struct DatabaseTests {
    @Test func opensInWALWithFullSyncForeignKeysAndABusyTimeout() throws {
        let db = try temporaryDatabase()
        try db.writer.writeWithoutTransaction { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 2)
            #expect(try Int.fetchOne(db, sql: "PRAGMA foreign_keys") == 1)
            #expect(try Int.fetchOne(db, sql: "PRAGMA busy_timeout") == 5000)
        }
    }

    @Test func migratesToTheLatestVersionAndIsIdempotent() throws {
        let db = try temporaryDatabase()
        #expect(try db.schemaVersion() == "0021-audit-reference-records")
        let again = try SQLiteStore(path: db.path)
        #expect(try again.schemaVersion() == "0021-audit-reference-records")
    }

    /// Migration 0005 rebuilds four tables: their rows, indexes and triggers survive, the
    /// checks still refuse what they refused, and no write builds a temporary b-tree.
    @Test func theRebuiltTablesKeepRowsIndexesTriggersAndChecks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("m.sqlite").path)
        try SQLiteStore.migrator.migrate(queue, upTo: "0004-ledger-rollups")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt) VALUES ('ptr_1', 'P', 'p', 'eu', 'standard', 'active', 't', 't');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt) VALUES ('cus_1', 'ptr_1', 'C', 'c@x.io', 'DE', 't', 't');
                INSERT INTO sale (id, partnerId, customerId, externalId, plan, kind, amount, currency, occurredAt, rulesHash, auditSeq, createdAt)
                    VALUES ('sal_1', 'ptr_1', 'cus_1', 'e1', 'pro', 'new', 1000, 'EUR', '2027-01-02T00:00:00.000Z', 'h', 1, 't');
                INSERT INTO commission (id, partnerId, beneficiary, saleId, kind, amount, originalAmount, currency, status, payableAt, occurredAt, createdAt, updatedAt)
                    VALUES ('com_1', 'ptr_1', 'partner', 'sal_1', 'sale', 100, 100, 'EUR', 'pending', 'x', '2027-01-02T00:00:00.000Z', 't', 't');
                """)
        }
        let before = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema ORDER BY name") }
        try SQLiteStore.migrator.migrate(queue, upTo: "0006-running-totals-bounded")
        try queue.write { db in
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema ORDER BY name") == before)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM commission WHERE saleId = 'sal_1'") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT amount FROM sale_volume WHERE scope = 'p:ptr_1'") == 1000)
            #expect(try String.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            // The running totals' triggers were created again on the new tables.
            try db.execute(sql: "UPDATE sale SET refunded = 400 WHERE id = 'sal_1'")
            #expect(try Int.fetchOne(db, sql: "SELECT amount FROM sale_volume WHERE scope = 'p:ptr_1'") == 600)
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE commission SET status = 'payable' WHERE id = 'com_1'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE sale SET kind = 'gift' WHERE id = 'sal_1'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE partner SET status = 'gone' WHERE id = 'ptr_1'") }
            for table in ["partner", "member", "sale", "commission"] {
                let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) WHERE name != 'seq'", arguments: [table])
                let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
                let nulls = StatementArguments(columns.map { _ in String?.none })
                let program = try Row.fetchAll(db, sql: "EXPLAIN " + sql, arguments: nulls).map { $0["opcode"] as String }
                #expect(!program.contains("OpenEphemeral"), "an insert into \(table) builds a temporary b-tree")
            }
        }
    }

    /// Migration 0007 adds the payout tables and rebuilds the ledger with a check tying an
    /// entry's payout link to its status: rows, indexes and triggers survive; an entry in
    /// `processing` or `paid` without a payout, or pending with one, is refused.
    @Test func thePayoutMigrationKeepsTheLedgerAndTiesEntriesToPayouts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("m.sqlite").path)
        try SQLiteStore.migrator.migrate(queue, upTo: "0006-running-totals-bounded")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt) VALUES ('ptr_1', 'P', 'p', 'eu', 'standard', 'active', 't', 't');
                INSERT INTO commission (id, partnerId, beneficiary, kind, amount, originalAmount, currency, status, payableAt, occurredAt, createdAt, updatedAt)
                    VALUES ('com_1', 'ptr_1', 'partner', 'manual', 100, 100, 'EUR', 'pending', '2027-01-02T00:00:00.000Z', '2027-01-02T00:00:00.000Z', 't', 't');
                """)
        }
        let before = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema ORDER BY name") }
        try SQLiteStore.migrator.migrate(queue, upTo: "0007-payouts")
        try queue.write { db in
            let after = try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema ORDER BY name")
            #expect(Set(before).isSubset(of: Set(after)))
            #expect(try Int.fetchOne(db, sql: "SELECT amount FROM commission_rollup WHERE partnerId = 'ptr_1'") == 100)
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE commission SET status = 'processing' WHERE id = 'com_1'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE commission SET payoutId = 'po_x' WHERE id = 'com_1'") }
            try db.execute(sql: """
                INSERT INTO payout (id, partnerId, amount, currency, lineCount, status, method, destination, asOf, createdAt, updatedAt)
                    VALUES ('po_1', 'ptr_1', 100, 'EUR', 1, 'created', 'manual', 'by hand', 't', 't', 't');
                UPDATE commission SET status = 'processing', payoutId = 'po_1' WHERE id = 'com_1';
                """)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM commission_rollup WHERE status = 'processing' AND amount = 100") == 1)
            // The state machine and the fixed fields hold in the store too.
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE payout SET status = 'paid', providerReference = 'r', instruction = '{}' WHERE id = 'po_1'") }
            try db.execute(sql: "UPDATE payout SET status = 'processing', instruction = '{}' WHERE id = 'po_1'")
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE payout SET instruction = '{\"x\":1}' WHERE id = 'po_1'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE payout SET amount = 99 WHERE id = 'po_1'") }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM payout WHERE id = 'po_1'") }
            #expect(try String.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
    }

    /// The write-ahead log is copied back into the database file by the checkpoint thread,
    /// while the writer stays open: the main file grows without a close.
    @Test func theCheckpointThreadCopiesTheLogIntoTheDatabaseFile() throws {
        let db = try temporaryDatabase()
        func mainFileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: db.path)[.size] as? Int ?? 0 }
        let initial = try mainFileSize()
        try db.writer.writeWithoutTransaction { db in try db.execute(sql: "CREATE TABLE filler (b BLOB)") }
        for _ in 0..<60 {
            try db.writer.write { db in
                for _ in 0..<20 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4000))") }
            }
        }
        var waited = 0
        while try mainFileSize() <= initial + 1_000_000, waited < 100 {
            usleep(50_000)
            waited += 1
        }
        #expect(try mainFileSize() > initial + 1_000_000)
    }

    @Test func tablesAreStrict() throws {
        let db = try temporaryDatabase()
        _ = try db.writer.writeWithoutTransaction { (db: Database) throws in
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: """
                    INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                    VALUES ('p', X'00ff', 's', 'r', 't', 'active', 'x', 'x')
                    """)
            }
        }
    }

    /// Uniqueness is the store's own (constraints, not a check before the insert), and a
    /// violated key answers Core's conflict naming the field a request would have named.
    @Test func aPartnerHasAtMostOneActiveOwnerAndUniqueActiveEmails() throws {
        let store = try temporaryDatabase()
        try store.write { tx in
            var p = PartnerRecord(id: "ptr_1", name: "A", subdomain: "a", region: "eu", tier: "standard", status: .active,
                                  createdAt: ts("t"), updatedAt: ts("t"))
            try tx.insert(&p)
            var owner = MemberRecord(id: "mem_1", partnerId: "ptr_1", email: "a@x.io", name: "A", role: .owner,
                                     status: .active, createdAt: ts("t"), updatedAt: ts("t"))
            try tx.insert(&owner)
            var second = MemberRecord(id: "mem_2", partnerId: "ptr_1", email: "b@x.io", name: "B", role: .owner,
                                      status: .active, createdAt: ts("t"), updatedAt: ts("t"))
            #expect(Self.conflictField { try tx.insert(&second) } == "role")
            var sameEmail = MemberRecord(id: "mem_3", partnerId: "ptr_1", email: "a@x.io", name: "C", role: .viewer,
                                         status: .active, createdAt: ts("t"), updatedAt: ts("t"))
            #expect(Self.conflictField { try tx.insert(&sameEmail) } == "email")
            sameEmail.status = .removed
            try tx.insert(&sameEmail)  // a removed member does not hold the address
            var taken = PartnerRecord(id: "ptr_2", name: "B", subdomain: "a", region: "eu", tier: "standard", status: .active,
                                      createdAt: ts("t"), updatedAt: ts("t"))
            #expect(Self.conflictField { try tx.insert(&taken) } == "subdomain")
            var customer = CustomerRecord(id: "cus_1", partnerId: "ptr_1", resellerId: nil, name: "C", email: "c@x.io", country: "DE",
                                          createdAt: ts("t"), updatedAt: ts("t"))
            try tx.insert(&customer)
            customer.id = "cus_2"
            #expect(Self.conflictField { try tx.insert(&customer) } == "email")
            var reseller = ResellerRecord(id: "rsl_1", partnerId: "ptr_1", name: "R", email: "r@x.io", region: "eu",
                                          commissionRate: nil, createdAt: ts("t"), updatedAt: ts("t"))
            try tx.insert(&reseller)
            reseller.id = "rsl_2"
            #expect(Self.conflictField { try tx.insert(&reseller) } == "email")
            var sale = SaleRecord(id: "sal_1", partnerId: "ptr_1", resellerId: nil, customerId: "cus_1", externalId: "INV-1", plan: "pro",
                                  kind: .new, amount: Money(100, Currency.named("EUR")!), occurredAt: ts("2027-01-01T00:00:00.000Z"), rulesHash: "h",
                                  createdAt: ts("t"))
            try tx.insert(&sale)
            sale.id = "sal_2"
            #expect(Self.conflictField { try tx.insert(&sale) } == "externalId")
            let record = IdempotencyRecord(method: "partner.create", paramsHash: "h", result: "{}")
            try tx.insert(record, scope: "platform:ops", key: "k1", createdAt: "t")
            #expect(Self.conflictField { try tx.insert(record, scope: "platform:ops", key: "k1", createdAt: "t") } == "idempotencyKey")
            try tx.insert(record, scope: "platform:other", key: "k1", createdAt: "t")
        }
    }

    static func conflictField(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let e as PorticoError where e.code == .conflict {
            return e.data["field"]?.stringValue
        } catch {
            return "not a conflict: \(error)"
        }
    }

    @Test func aMemberNeedsAnExistingPartner() throws {
        let store = try temporaryDatabase()
        try store.write { tx in
            var m = MemberRecord(id: "mem_1", partnerId: "ptr_missing", email: "a@x.io", name: "A", role: .viewer,
                                 status: .active, createdAt: ts("t"), updatedAt: ts("t"))
            #expect(throws: DatabaseError.self) { try tx.insert(&m) }
        }
    }
}

/// A group that only reads runs on a reader's snapshot: it neither waits for a write
/// transaction in progress nor sees its uncommitted rows.
@Suite struct ReaderSnapshotTests {
    @Test func aGroupOfReadsDoesNotQueueBehindAnOpenWrite() throws {
        let store = try temporaryDatabase()
        let opened = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let writer = Thread {
            try? store.writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    try db.execute(sql: """
                        INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                        VALUES ('ptr_w', 'W', 'w', 'eu', 'standard', 'active', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z')
                        """)
                    opened.signal()
                    release.wait()
                    return .commit
                }
            }
        }
        writer.start()
        opened.wait()
        // The read runs on a thread of its own: were it to queue behind the writer, the
        // wait below times out instead of the test hanging.
        final class Box: @unchecked Sendable { var seen: PartnerRecord?? = nil }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? store.runGroup([.read], restart: {}) { _, tx in
                box.seen = .some(try? tx.partner(id: "ptr_w"))
                return true
            }
            done.signal()
        }.start()
        let finished = done.wait(timeout: .now() + 10) == .success
        release.signal()
        #expect(finished, "the read waited for the open write")
        if !finished { done.wait() }
        #expect(box.seen == .some(nil), "the read saw an uncommitted row or did not run")
        var later: PartnerRecord? = nil
        for _ in 0..<100 where later == nil {
            later = try store.read { try $0.partner(id: "ptr_w") }
            if later == nil { usleep(10_000) }
        }
        #expect(later?.id == "ptr_w")
    }
}

/// An instant for test rows; anything but RFC 3339 text (a placeholder such as "t") is
/// the epoch.
func ts(_ text: String) -> Timestamp { Timestamp(rfc3339: text) ?? Timestamp(millisecondsSinceEpoch: 0) }
