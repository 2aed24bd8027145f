import Foundation
import GRDB
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoStore

/// How the ledger's rows are stored: the rules' hash and the rule's id once (`interned`),
/// referred to by number (migration 0016); instants as milliseconds (0017, LedgerTime);
/// partners, resellers, customers and sales by their rows' numbers (0019, RowRef).
@Suite struct LedgerStorageTests {
    static let eur = Currency.named("EUR")!

    /// A database migrated up to `version` holding a partner `ptr_1` and its customer `cus_1`.
    static func database(at version: String) throws -> (path: String, queue: DatabaseQueue) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("l.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(queue, upTo: version)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                    VALUES ('ptr_1', 'P', 'p', 'eu', 'standard', 'active', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt)
                    VALUES ('cus_1', 'ptr_1', 'C', 'c@x.io', 'DE', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
                """)
        }
        return (path, queue)
    }

    /// Rows written before the migration read back the same after it, and new rows under
    /// the same texts refer to the same numbers.
    @Test func theMigrationKeepsEveryTextAndNewRowsShareIt() throws {
        let hash = String(repeating: "ab", count: 32), odd = "é\u{202E}😀 rule"
        let (path, queue) = try Self.database(at: "0015-commission-hold-ends")
        do {
            defer { try? queue.close() }
            try queue.write { db in
                for (i, rulesHash) in [hash, hash, odd].enumerated() {
                    try db.execute(sql: """
                        INSERT INTO sale (id, partnerId, customerId, externalId, plan, kind, amount, currency, occurredAt, rulesHash, auditSeq, createdAt)
                        VALUES (?, 'ptr_1', 'cus_1', ?, 'pro', 'new', 1000, 'EUR', '2027-01-02T00:00:00.000Z', ?, 0, '2027-01-02T00:00:00.000Z')
                        """, arguments: ["sal_\(i)", "e\(i)", rulesHash])
                    try db.execute(sql: """
                        INSERT INTO commission (id, partnerId, beneficiary, saleId, kind, amount, originalAmount, currency, status, payableAt,
                                                occurredAt, ruleId, rulesHash, basis, createdAt, updatedAt)
                        VALUES (?, 'ptr_1', 'partner', ?, ?, 100, 100, 'EUR', 'pending', '2027-02-01T00:00:00.000Z', '2027-01-02T00:00:00.000Z',
                                ?, ?, '10%', '2027-01-02T00:00:00.000Z', '2027-01-02T00:00:00.000Z')
                        """, arguments: ["com_\(i)", "sal_\(i)", i == 2 ? "manual" : "sale", i == 2 ? nil : odd, i == 2 ? nil : rulesHash])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        let sales = try store.read { tx in try (0..<3).map { try tx.sale(id: "sal_\($0)")! } }
        #expect(sales.map(\.rulesHash) == [hash, hash, odd])
        let entries = try store.read { tx in try (0..<3).map { try tx.commission(id: "com_\($0)")! } }
        #expect(entries.map(\.ruleId) == [odd, odd, nil])
        #expect(entries.map(\.rulesHash) == [hash, hash, nil])
        try store.write { tx in
            var sale = sales[0]
            sale.id = "sal_new"; sale.externalId = "new"
            try tx.insert(&sale)
        }
        #expect(try store.read { try $0.sale(id: "sal_new")?.rulesHash } == hash)
        #expect(try store.read { try Int.fetchOne($0.db, sql: "SELECT COUNT(*) FROM interned") } == 2)
        #expect(try store.read { try Int.fetchOne($0.db, sql: "SELECT COUNT(DISTINCT rulesRef) FROM sale") } == 2)
    }

    /// A text interned in a request that then failed is gone with it; the next request
    /// under the same transaction interns it again rather than refer to a number that no
    /// longer names anything.
    @Test func aTextInternedByARolledBackRequestIsInternedAgain() throws {
        let store = try temporaryDatabase()
        try store.write { tx in
            var partner = PartnerRecord(id: "ptr_1", name: "P", subdomain: "p", region: "eu", tier: "standard", status: .active,
                                        statusReason: nil, createdAt: ts("2027-01-01T00:00:00.000Z"), updatedAt: ts("2027-01-01T00:00:00.000Z"))
            try tx.insert(&partner)
            var customer = CustomerRecord(id: "cus_1", partnerId: "ptr_1", resellerId: nil, name: "C", email: "c@x.io", country: "DE",
                                          createdAt: ts("2027-01-01T00:00:00.000Z"), updatedAt: ts("2027-01-01T00:00:00.000Z"))
            try tx.insert(&customer)
            func sale(_ n: Int) -> SaleRecord {
                SaleRecord(id: "sal_\(n)", partnerId: "ptr_1", resellerId: nil, customerId: "cus_1", externalId: "e\(n)", plan: "pro",
                           kind: .new, amount: Money(100, Self.eur), occurredAt: ts("2027-01-02T00:00:00.000Z"), rulesHash: "new-rules",
                           createdAt: ts("2027-01-02T00:00:00.000Z"))
            }
            let failed = try SQLiteStore.inSavepoint(tx) {
                var s = sale(1)
                try? tx.insert(&s)
                return false
            }
            #expect(!failed)
            var s = sale(2)
            try tx.insert(&s)
        }
        #expect(try store.read { try $0.sale(id: "sal_1") } == nil)
        #expect(try store.read { try $0.sale(id: "sal_2")?.rulesHash } == "new-rules")
    }

    /// Instants written as text before migration 0017 read back as the same instants (any
    /// RFC 3339 form, normalized), sum on the same UTC days, and the ledger's
    /// totals agree with it after; text that is no instant stops the migration, naming it,
    /// and leaves the database as it was.
    @Test func theMigrationStoresEachInstantAsItsMillisecondsOrStops() throws {
        func fixture(_ created: String) throws -> (String, DatabaseQueue) {
            let (path, queue) = try Self.database(at: "0016-interned-texts")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO interned (id, text) VALUES (1, 'h');
                    INSERT INTO sale (id, partnerId, customerId, externalId, plan, kind, amount, currency, occurredAt, rulesRef, auditSeq, createdAt)
                        VALUES ('sal_1', 'ptr_1', 'cus_1', 'e1', 'pro', 'new', 1000, 'EUR', '2027-01-01T23:30:00.000Z', 1, 0, ?),
                               ('sal_2', 'ptr_1', 'cus_1', 'e2', 'pro', 'new', 500, 'EUR', '1969-12-31T23:59:59.999Z', 1, 0, '2027-01-02T00:00:00.000Z');
                    INSERT INTO commission (id, partnerId, beneficiary, saleId, kind, amount, originalAmount, currency, status, payableAt,
                                            occurredAt, createdAt, updatedAt)
                        VALUES ('com_1', 'ptr_1', 'partner', 'sal_1', 'sale', 100, 100, 'EUR', 'pending', '2027-02-01T00:00:00.000Z',
                                '2027-01-01T23:30:00.000Z', '2027-01-02T00:00:00.000Z', ?);
                    """, arguments: [created, created])
            }
            return (path, queue)
        }
        let (path, queue) = try fixture("2027-01-03T05:05:06.789+01:00")
        try queue.close()
        let store = try SQLiteStore(path: path)
        #expect(try store.read { try $0.sale(id: "sal_1")?.occurredAt } == ts("2027-01-01T23:30:00.000Z"))
        #expect(try store.read { try $0.sale(id: "sal_1")?.createdAt } == ts("2027-01-03T04:05:06.789Z"))
        #expect(try store.read { try $0.sale(id: "sal_2")?.occurredAt } == ts("1969-12-31T23:59:59.999Z"))
        let entry = try store.read { try $0.commission(id: "com_1") }
        #expect(entry?.payableAt == ts("2027-02-01T00:00:00.000Z") && entry?.updatedAt == ts("2027-01-03T04:05:06.789Z"))
        try store.write { tx in try tx.foldTotals() }
        #expect(try store.writer.read { try String.fetchAll($0, sql: "SELECT day FROM sale_total ORDER BY day") } == ["1969-12-31", "2027-01-01"])
        #expect(try store.writer.read { try RunningTotals.mismatch($0) } == nil)
        // A refund still moves the day's total the trigger derives.
        try store.write { tx in _ = try tx.addRefund(saleId: "sal_1", amount: 250) }
        #expect(try store.writer.read { try Int.fetchOne($0, sql: "SELECT refunded FROM sale_total WHERE day = '2027-01-01'") } == 250)
        #expect(try store.writer.read { try RunningTotals.mismatch($0) } == nil)

        let (badPath, badQueue) = try fixture("yesterday")
        try badQueue.close()
        #expect {
            _ = try SQLiteStore(path: badPath)
        } throws: { error in
            String(describing: error).contains("yesterday") && String(describing: error).contains("not RFC 3339")
        }
        let reopened = try DatabaseQueue(path: badPath)
        #expect(try reopened.read { try SQLiteStore.migrator.appliedMigrations($0).last } == "0016-interned-texts")
        #expect(try reopened.read { try String.fetchOne($0, sql: "SELECT createdAt FROM sale WHERE id = 'sal_1'") } == "yesterday")
    }

    /// Rows written with ids before migration 0019 read back with the same ids after it,
    /// refer by number to the rows those ids name, keep their running totals (which the
    /// triggers, created again, go on keeping: a refund, a new sale), and the lists and
    /// lookups by id find them.
    @Test func theMigrationRefersToEachRowByItsNumberAndReadsTheSameIds() throws {
        let (path, queue) = try Self.database(at: "0018-compact-audit-fields")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                    VALUES ('ptr_2', 'Q', 'q', 'eu', 'standard', 'active', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
                INSERT INTO reseller (id, partnerId, name, email, region, commissionRate, createdAt, updatedAt)
                    VALUES ('rsl_1', 'ptr_2', 'R', 'r@x.io', 'eu', '10', 't', 't');
                INSERT INTO customer (id, partnerId, resellerId, name, email, country, createdAt, updatedAt)
                    VALUES ('cus_2', 'ptr_2', 'rsl_1', 'C', 'c@q.io', 'FR', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
                INSERT INTO interned (id, text) VALUES (1, 'h');
                INSERT INTO sale (id, partnerId, resellerId, customerId, externalId, plan, kind, amount, currency, occurredAt, rulesRef, auditSeq, createdAt)
                    VALUES ('sal_1', 'ptr_1', NULL, 'cus_1', 'e1', 'pro', 'new', 1000, 'EUR', 1798761600000, 1, 0, 1798761600000),
                           ('sal_2', 'ptr_2', 'rsl_1', 'cus_2', 'e1', 'pro', 'new', 3000, 'EUR', 1798848000000, 1, 0, 1798848000000);
                INSERT INTO commission (id, partnerId, beneficiary, resellerId, saleId, kind, amount, originalAmount, currency, status, payableAt,
                                        occurredAt, createdAt, updatedAt)
                    VALUES ('com_1', 'ptr_1', 'partner', NULL, 'sal_1', 'sale', 100, 100, 'EUR', 'pending', 1801440000000, 1798761600000,
                            1798761600000, 1798761600000),
                           ('com_2', 'ptr_2', 'reseller', 'rsl_1', 'sal_2', 'sale', 300, 300, 'EUR', 'pending', 1801440000000, 1798848000000,
                            1798848000000, 1798848000000),
                           ('com_3', 'ptr_2', 'partner', NULL, NULL, 'manual', 50, 50, 'EUR', 'pending', 1801440000000, 1798848000000,
                            1798848000000, 1798848000000);
                """)
        }
        try queue.close()
        let store = try SQLiteStore(path: path)
        let sales = try store.read { tx in try ["sal_1", "sal_2"].map { try tx.sale(id: $0)! } }
        #expect(sales.map(\.partnerId) == ["ptr_1", "ptr_2"] && sales.map(\.customerId) == ["cus_1", "cus_2"])
        #expect(sales.map(\.resellerId) == [nil, "rsl_1"])
        let entries = try store.read { tx in try ["com_1", "com_2", "com_3"].map { try tx.commission(id: $0)! } }
        #expect(entries.map(\.partnerId) == ["ptr_1", "ptr_2", "ptr_2"] && entries.map(\.saleId) == ["sal_1", "sal_2", nil])
        #expect(entries.map(\.resellerId) == [nil, "rsl_1", nil])
        #expect(try store.read { try $0.commissions(saleId: "sal_2").map(\.id) } == ["com_2"])
        #expect(try store.read { try $0.sale(partnerId: "ptr_2", externalId: "e1")?.id } == "sal_2")
        #expect(try store.read { try $0.sale(partnerId: "ptr_missing", externalId: "e1") } == nil)
        #expect(try store.read { try $0.hasPurchased(customerId: "cus_2") } && !(try store.read { try $0.hasPurchased(customerId: "cus_x") }))
        let columns = try store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT typeof(partnerSeq) || typeof(customerSeq) || typeof(resellerSeq) FROM sale ORDER BY seq")
        }
        #expect(columns == ["integerintegernull", "integerintegerinteger"])
        try store.write { tx in try tx.foldTotals() }
        #expect(try store.writer.read { try RunningTotals.mismatch($0) } == nil)
        // The triggers keep the totals by number: a refund, then a sale recorded after.
        try store.write { tx in _ = try tx.addRefund(saleId: "sal_2", amount: 500) }
        try store.write { tx in
            var sale = sales[1]
            sale.id = "sal_3"; sale.externalId = "e3"
            try tx.insert(&sale)
        }
        #expect(try store.read { try $0.salesVolume(partnerId: "ptr_2", resellerId: "rsl_1", currency: "EUR", days: .all) } == 5500)
        #expect(try store.read { try $0.salesVolume(partnerId: "ptr_2", resellerId: nil, currency: "EUR", days: .all) } == 5500)
        try store.write { tx in try tx.foldTotals() }
        #expect(try store.writer.read { try RunningTotals.mismatch($0) } == nil)
        // A sale naming a partner that does not exist fails its foreign key, changing nothing.
        #expect(throws: (any Error).self) {
            try store.write { tx in
                var sale = sales[0]
                sale.id = "sal_4"; sale.externalId = "e4"; sale.partnerId = "ptr_missing"
                try tx.insert(&sale)
            }
        }
        #expect(try store.read { try $0.sale(id: "sal_4") } == nil)
    }
}
