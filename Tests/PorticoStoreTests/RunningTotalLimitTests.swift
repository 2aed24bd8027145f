import Foundation
import GRDB
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoStore

/// Running totals stay within ±2^53: a write that would pass the bound fails with
/// Core's `totalLimit` error (never a REAL smuggled into a STRICT column, never an internal
/// error), and leaves every total as it was.
@Suite struct RunningTotalLimitTests {
    func fixture() throws -> DatabaseQueue {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("limit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("m.sqlite").path)
        try SQLiteStore.migrator.migrate(queue, upTo: "0005-checks-without-temporary-tables")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt) VALUES ('ptr_1', 'P', 'p', 'eu', 'standard', 'active', 't', 't');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt) VALUES ('cus_1', 'ptr_1', 'C', 'c@x.io', 'BH', 't', 't');
                -- Written before the bound existed: far past it, and kept as it is.
                INSERT INTO sale_volume VALUES ('p:ptr_old', 'BHD', '2026-01-01', 4611686018427387904, 512);
                """)
        }
        try SQLiteStore.migrator.migrate(queue)
        return queue
    }

    func sale(_ n: Int, day: String = "2027-01-02") -> SaleRecord {
        SaleRecord(id: "sal_\(day)_\(n)", partnerId: "ptr_1", resellerId: nil, customerId: "cus_1", externalId: "e\(day)\(n)", plan: "pro",
                   kind: .new, amount: Money(1 << 53, Currency.named("BHD")!), occurredAt: ts(day + "T00:00:00.000Z"), rulesHash: "h", createdAt: ts("t"))
    }

    @Test func aSaleThatWouldPassTheDaysBoundIsRefusedAndChangesNothing() throws {
        let queue = try fixture()
        try queue.write { db in
            var first = sale(1)
            try SQLiteTransaction(db).insert(&first)
            var second = sale(2)
            #expect(Self.isTotalLimit { try SQLiteTransaction(db).insert(&second) })
            #expect(try Int64.fetchOne(db, sql: "SELECT amount FROM sale_volume WHERE scope = 'p:ptr_1'") == 1 << 53)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sale") == 1)
            // Another day has its own total.
            var other = sale(3, day: "2027-01-03")
            try SQLiteTransaction(db).insert(&other)
        }
    }

    @Test func aCommissionThatWouldPassTheBoundIsRefused() throws {
        let queue = try fixture()
        try queue.write { db in
            var s = sale(1)
            try SQLiteTransaction(db).insert(&s)
            for k in 0..<2 {
                var c = CommissionRecord(id: "com_\(k)", partnerId: "ptr_1", beneficiary: .partner, resellerId: nil, saleId: s.id,
                                         kind: .sale, amount: Money(1 << 53, Currency.named("BHD")!), payableAt: ts("2027-02-01T00:00:00.000Z"),
                                         occurredAt: s.occurredAt, ruleId: "r", rulesHash: "h", basis: "b", reason: nil, createdAt: ts("t"))
                if k == 0 { try SQLiteTransaction(db).insert(&c) } else {
                    #expect(Self.isTotalLimit { try SQLiteTransaction(db).insert(&c) })
                }
            }
        }
    }

    @Test func theMigrationKeepsRowsWrittenBeforeTheBound() throws {
        let queue = try fixture()
        try queue.read { (db: Database) throws in
            #expect(try Int64.fetchOne(db, sql: "SELECT amount FROM sale_volume WHERE scope = 'p:ptr_old'") == 1 << 62)
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").count >= 6)
        }
    }

    /// Sums of any number of stored amounts are exact, whatever their size.
    @Test func reportSumsDoNotOverflow() throws {
        let queue = try fixture()
        try queue.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "INSERT INTO sale_volume VALUES ('p:ptr_old', 'BHD', '2026-01-02', 4611686018427387904, 512)")
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
            try db.execute(sql: "INSERT INTO sale_volume VALUES ('p:ptr_old', 'BHD', '2026-01-03', -9007199254740992, 1)")
            let v = try SQLiteTransaction(db).salesVolume(partnerId: "ptr_old", resellerId: nil, currency: "BHD", firstDay: "0001-01-01", lastDay: "9999-12-31")
            #expect(v == Int128(1 << 62) * 2 - Int128(1 << 53))
        }
    }

    static func isTotalLimit(_ body: () throws -> Void) -> Bool {
        do {
            try body()
            return false
        } catch let e as PorticoError {
            return e.data["state"] == "total_limit"
        } catch {
            return false
        }
    }
}
