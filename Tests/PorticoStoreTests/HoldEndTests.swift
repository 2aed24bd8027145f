import Foundation
import GRDB
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoStore

/// The overview splits the platform's pending entries whose hold ends today at the moment
/// it is asked, from the entries listed by the instant their hold ends (migration 0015):
/// the same figures as the ledger, whatever was paid or cancelled since, trimmed days
/// included, and from the ledger itself when today's entries may have been trimmed.
@Suite struct HoldEndTests {
    static let eur = Currency.named("EUR")!

    func store() throws -> SQLiteStore {
        let store = try temporaryDatabase()
        try store.writer.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt) VALUES ('ptr_1', 'P', 'p', 'eu', 'standard', 'active', 't', 't');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt) VALUES ('cus_1', 'ptr_1', 'C', 'c@x.io', 'DE', 't', 't');
                """)
        }
        return store
    }

    /// Entries created at `created`, one for each hold end (amounts 1, 2, 4, … so any sum
    /// names its entries).
    func add(_ store: SQLiteStore, created: String, ends: [String], first: Int) throws {
        try store.write { tx in
            var s = SaleRecord(id: "sal_\(first)", partnerId: "ptr_1", resellerId: nil, customerId: "cus_1", externalId: "e\(first)", plan: "pro",
                               kind: .new, amount: Money(100, Self.eur), occurredAt: ts(created), rulesHash: "h", createdAt: ts(created))
            try tx.insert(&s)
            for (k, end) in ends.enumerated() {
                var c = CommissionRecord(id: "com_\(first + k)", partnerId: "ptr_1", beneficiary: .partner, resellerId: nil, saleId: s.id,
                                         kind: .sale, amount: Money(1 << Int64(first + k), Self.eur), payableAt: ts(end),
                                         occurredAt: ts(created), ruleId: "r", rulesHash: "h", basis: "b", reason: nil, createdAt: ts(created))
                try tx.insert(&c)
            }
        }
    }

    func split(_ store: SQLiteStore, at now: String) throws -> (due: Int128, hold: Int128) {
        let row = try store.read { try $0.platformTotals(now: ts(now)) }.first { $0.currency == "EUR" }!
        return (row.commissions["payable"] ?? 0, row.commissions["pending"] ?? 0)
    }

    @Test func todaysEntriesSplitAtTheMomentAsked() throws {
        let store = try store()
        // 0 yesterday, 1-3 today at 08:00, 12:00 and 18:00, 4 tomorrow, 5 today at 09:00
        // (then cancelled), 6 today at 10:00 (then reversed).
        try add(store, created: "2027-01-05T10:00:00.000Z", ends: [
            "2027-01-09T10:00:00.000Z", "2027-01-10T08:00:00.000Z", "2027-01-10T12:00:00.000Z", "2027-01-10T18:00:00.000Z",
            "2027-01-11T00:00:00.000Z", "2027-01-10T09:00:00.000Z", "2027-01-10T10:00:00.000Z",
        ], first: 0)
        try store.writer.write { db in
            try db.execute(sql: "UPDATE commission SET status = 'cancelled' WHERE id = 'com_5'")
            try db.execute(sql: "UPDATE commission SET status = 'reversed' WHERE id = 'com_6'")
            try SQLiteTransaction(db).foldTotals()
        }
        let expected: (Int128, Int128) = (1 + 2 + 4, 8 + 16)
        #expect(try split(store, at: "2027-01-10T13:00:00.000Z") == expected)
        #expect(try split(store, at: "2027-01-10T12:00:00.000Z") == expected)  // a hold ending now has ended
        #expect(try split(store, at: "2027-01-10T11:59:59.999Z") == (1 + 2, 4 + 8 + 16))
        #expect(try store.writer.read { try RunningTotals.mismatch($0) } == nil)

        // A sale created on the 10th trims the days before it; today still splits the same.
        try add(store, created: "2027-01-10T12:30:00.000Z", ends: ["2027-01-10T12:45:00.000Z", "2027-01-10T11:00:00.000Z"], first: 7)
        let listed = try store.writer.read { try Int64.fetchAll($0, sql: "SELECT payableAt FROM commission_hold_end ORDER BY 1") }
        #expect(listed.allSatisfy { $0 >= ts("2027-01-10T00:00:00.000Z").millisecondsSinceEpoch })
        #expect(listed.count == 8)  // 1-8 (5 and 6 no longer pending, listed still), not 0
        #expect(try split(store, at: "2027-01-10T13:00:00.000Z") == (1 + 2 + 4 + 128 + 256, 8 + 16))
        #expect(try store.writer.read { try RunningTotals.mismatch($0) } == nil)

        // A clock set back to the 9th: its entries were trimmed, so the split reads the ledger.
        #expect(try split(store, at: "2027-01-09T12:00:00.000Z") == (1, 2 + 4 + 8 + 16 + 128 + 256))
    }
}
