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
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt) VALUES ('ptr_old', 'O', 'o', 'eu', 'standard', 'active', 't', 't');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt) VALUES ('cus_1', 'ptr_1', 'C', 'c@x.io', 'BH', 't', 't');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt) VALUES ('cus_old', 'ptr_old', 'C', 'o@x.io', 'BH', 't', 't');
                -- Written before the bound existed: a day's sales far past it, kept as they are.
                INSERT INTO sale (id, partnerId, customerId, externalId, plan, kind, amount, currency, occurredAt, rulesHash, auditSeq, createdAt)
                    VALUES ('sal_old1', 'ptr_old', 'cus_old', 'o1', 'pro', 'new', 4611686018427387904, 'BHD', '2026-01-01T00:00:00.000Z', 'h', 1, '2026-01-01T00:00:00.000Z'),
                           ('sal_old2', 'ptr_old', 'cus_old', 'o2', 'pro', 'new', 2305843009213693952, 'BHD', '2026-01-01T00:00:00.000Z', 'h', 1, '2026-01-01T00:00:00.000Z');
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
            #expect(try Int64.fetchOne(db, sql: "SELECT amount FROM sale_total WHERE partnerSeq = 1") == 1 << 53)
            #expect(try Int64.fetchOne(db, sql: "SELECT amount FROM sale_customer_total WHERE partnerSeq = 1") == 1 << 53)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sale WHERE partnerSeq = 1") == 1)
            // Another day has its own total.
            var other = sale(3, day: "2027-01-03")
            try SQLiteTransaction(db).insert(&other)
        }
    }

    /// A year's total is bounded at 2^62 (so it never leaves Int64): a sale that would pass
    /// it is refused, naming the year's total, and leaves every total as it was.
    @Test func aSaleThatWouldPassTheYearsBoundIsRefusedAndChangesNothing() throws {
        let queue = try fixture()
        try queue.write { db in
            try db.execute(sql: "INSERT INTO period_total VALUES ('y', 'BHD', '2027', 1, 600, ?, 0, 0, 0)",
                           arguments: [PeriodTotals.bound - (1 << 52)])
            var s = sale(1)
            let tx = SQLiteTransaction(db)
            try tx.insert(&s)
            do {
                // The sale's part in the totals is summed in at the end of its transaction.
                try tx.foldTotals()
                Issue.record("a sale past the year's bound was recorded")
            } catch let e as PorticoError {
                #expect(e.data["state"] == "total_limit" && e.data["reason"] == .string(PeriodTotals.what))
                #expect(e.data["limit"] == .integer(PeriodTotals.bound))
            }
            // The fold changed nothing: the totals as they were, the sale still to be summed
            // (the transaction is rolled back by its request's failure).
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM period_total WHERE partnerSeq = 1") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM customer_period_total WHERE partnerSeq = 1") == 0)
            #expect(try Bool.fetchOne(db, sql: "SELECT (SELECT MAX(seq) FROM sale) > (SELECT seq FROM total_fold WHERE source = 'sale')") == true)
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
            // The totals 0012 filled from the ledger: 2^62 + 2^61, past the bound, as the ledger has it.
            #expect(try Int64.fetchOne(db, sql: "SELECT amount FROM sale_total WHERE partnerSeq = 2") == 1 << 62 + 1 << 61)
            #expect(try Int64.fetchOne(db, sql: "SELECT count FROM sale_total WHERE partnerSeq = 2") == 2)
            #expect(try Int64.fetchOne(db, sql: "SELECT amount FROM sale_customer_total WHERE customerSeq = 2") == 1 << 62 + 1 << 61)
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name").count >= 6)
        }
    }

    /// Sums of any number of stored amounts are exact, whatever their size.
    @Test func reportSumsDoNotOverflow() throws {
        let queue = try fixture()
        try queue.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: "INSERT INTO sale_total VALUES (2, 'BHD', '2026-01-02', 'new', 512, 4611686018427387904, 0)")
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
            try db.execute(sql: "INSERT INTO sale_total VALUES (2, 'BHD', '2026-01-03', 'new', 1, 0, 9007199254740992)")
            let v = try SQLiteTransaction(db).salesVolume(partnerId: "ptr_old", resellerId: nil, currency: "BHD", days: .all)
            #expect(v == Int128(1 << 62) * 2 + Int128(1 << 61) - Int128(1 << 53))
        }
    }

    /// Every report query sums plainly first and exactly (split) when a plain sum overflows:
    /// totals past Int64 come back exact from the running totals, with counts and statuses
    /// where they belong.
    @Test func everyReportQueryFallsBackToExactSumsPastInt64() throws {
        let queue = try fixture()
        let big = Int128(1) << 62
        let year2027 = TimeRange(first: Timestamp(rfc3339: "2027-01-01T00:00:00Z")!, last: Timestamp(rfc3339: "2027-12-31T23:59:59.999Z")!)
        try queue.write { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: """
                INSERT INTO sale_total VALUES (1, 'BHD', '2027-01-01', 'new', 3, 4611686018427387904, 0),
                                              (1, 'BHD', '2027-01-02', 'new', 4, 4611686018427387904, 0),
                                              (1, 'BHD', '2027-01-03', 'renewal', 5, 4611686018427387904, 0);
                INSERT INTO commission_rollup VALUES (1, 'BHD', 'paid', '2027-01-01', '2027-01-01', 4611686018427387904, 2),
                                                     (1, 'BHD', 'paid', '2027-01-02', '2027-01-02', 4611686018427387904, 2),
                                                     (1, 'BHD', 'pending', '2027-01-01', '2027-01-01', 4611686018427387904, 1),
                                                     (1, 'BHD', 'pending', '2027-01-02', '2027-01-02', 4611686018427387904, 1),
                                                     (1, 'BHD', 'pending', '2027-01-03', '2099-01-01', 4611686018427387904, 1);
                """)
            try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
            let tx = SQLiteTransaction(db)
            let sales = try tx.salesFromRunningTotals(partnerId: "ptr_1", days: year2027, periodLength: nil)
            #expect(sales == [ReportTotal(key: "", currency: "BHD", amount: big * 3, count: 12)])
            let monthly = try tx.salesFromRunningTotals(partnerId: "ptr_1", days: year2027, periodLength: 7)
            #expect(monthly == [ReportTotal(key: "2027-01", currency: "BHD", amount: big * 3, count: 12)])
            let now = Timestamp(rfc3339: "2027-06-01T00:00:00Z")!
            let byStatus = try tx.commissionsFromRunningTotals(partnerId: "ptr_1", days: year2027, now: now, periodLength: nil)
            #expect(byStatus == [ReportTotal(key: "paid", currency: "BHD", amount: big * 2, count: 4),
                                 ReportTotal(key: "payable", currency: "BHD", amount: big * 2, count: 2),
                                 ReportTotal(key: "pending", currency: "BHD", amount: big, count: 1)])
            let standing = try tx.commissionsFromRunningTotals(partnerId: "ptr_1", days: year2027, now: now, periodLength: 10)
            #expect(standing.map(\.amount) == [big * 2, big * 2, big])  // each day: paid and pending
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
