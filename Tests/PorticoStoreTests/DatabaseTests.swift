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
        #expect(try db.schemaVersion() == "0004-ledger-rollups")
        let again = try AppDatabase(path: db.path)
        #expect(try again.schemaVersion() == "0004-ledger-rollups")
    }

    @Test func tablesAreStrict() throws {
        let db = try temporaryDatabase()
        try db.writer.inDatabase { (db: Database) throws in
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
