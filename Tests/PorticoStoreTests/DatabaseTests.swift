import Foundation
import GRDB
import Testing
@testable import PorticoStore

func temporaryDatabase() throws -> AppDatabase {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return try AppDatabase(path: dir.appendingPathComponent("t.sqlite").path)
}

@Suite struct DatabaseTests {
    @Test func opensInWALWithFullSyncForeignKeysAndABusyTimeout() throws {
        let db = try temporaryDatabase()
        try db.writer.inDatabase { (db: Database) throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 2)
            #expect(try Int.fetchOne(db, sql: "PRAGMA foreign_keys") == 1)
            #expect(try Int.fetchOne(db, sql: "PRAGMA busy_timeout") == 5000)
        }
    }

    @Test func migratesToTheLatestVersionAndIsIdempotent() throws {
        let db = try temporaryDatabase()
        #expect(try db.schemaVersion() == "0006-running-totals-bounded")
        let again = try AppDatabase(path: db.path)
        #expect(try again.schemaVersion() == "0006-running-totals-bounded")
    }

    /// Migration 0005 rebuilds four tables: their rows, indexes and triggers survive, the
    /// checks still refuse what they refused, and no write builds a temporary b-tree.
    @Test func theRebuiltTablesKeepRowsIndexesTriggersAndChecks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("m.sqlite").path)
        try AppDatabase.migrator.migrate(queue, upTo: "0004-ledger-rollups")
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
        try AppDatabase.migrator.migrate(queue)
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

    /// The write-ahead log is copied back into the database file by the checkpoint thread,
    /// while the writer stays open: the main file grows without a close.
    @Test func theCheckpointThreadCopiesTheLogIntoTheDatabaseFile() throws {
        let db = try temporaryDatabase()
        func mainFileSize() throws -> Int { try FileManager.default.attributesOfItem(atPath: db.path)[.size] as? Int ?? 0 }
        let initial = try mainFileSize()
        try db.writer.inDatabase { db in try db.execute(sql: "CREATE TABLE filler (b BLOB)") }
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
        _ = try db.writer.inDatabase { (db: Database) throws in
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: """
                    INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                    VALUES ('p', X'00ff', 's', 'r', 't', 'active', 'x', 'x')
                    """)
            }
        }
    }

    @Test func aPartnerHasAtMostOneActiveOwnerAndUniqueActiveEmails() throws {
        let db = try temporaryDatabase()
        try db.writer.inDatabase { (db: Database) throws in
            var p = PartnerRecord(id: "ptr_1", name: "A", subdomain: "a", region: "eu", tier: "standard", status: "active",
                                  createdAt: "t", updatedAt: "t")
            try PartnerTable.insert(&p, db)
            var owner = MemberRecord(id: "mem_1", partnerId: "ptr_1", email: "a@x.io", name: "A", role: "owner",
                                     status: "active", createdAt: "t", updatedAt: "t")
            try MemberTable.insert(&owner, db)
            var second = MemberRecord(id: "mem_2", partnerId: "ptr_1", email: "b@x.io", name: "B", role: "owner",
                                      status: "active", createdAt: "t", updatedAt: "t")
            #expect(throws: DatabaseError.self) { try MemberTable.insert(&second, db) }
            var sameEmail = MemberRecord(id: "mem_3", partnerId: "ptr_1", email: "a@x.io", name: "C", role: "viewer",
                                         status: "active", createdAt: "t", updatedAt: "t")
            #expect(throws: DatabaseError.self) { try MemberTable.insert(&sameEmail, db) }
            sameEmail.status = "removed"
            try MemberTable.insert(&sameEmail, db)  // a removed member does not hold the address
        }
    }

    @Test func aMemberNeedsAnExistingPartner() throws {
        let db = try temporaryDatabase()
        try db.writer.inDatabase { (db: Database) throws in
            var m = MemberRecord(id: "mem_1", partnerId: "ptr_missing", email: "a@x.io", name: "A", role: "viewer",
                                 status: "active", createdAt: "t", updatedAt: "t")
            #expect(throws: DatabaseError.self) { try MemberTable.insert(&m, db) }
        }
    }
}
