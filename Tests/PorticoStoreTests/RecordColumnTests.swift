import Foundation
import GRDB
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoStore

/// Records are read by column position, so a record that names its columns in one order
/// and reads them in another would pass every test whose values happen to agree. Each
/// table's record names exactly the table's columns, and a record whose every field holds
/// a different value survives an insert and a read unchanged.
@Suite struct RecordColumnTests {
    static func tableColumns(_ table: String, _ store: SQLiteStore) throws -> Set<String> {
        try store.read { tx in Set(try String.fetchAll(tx.db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])) }
    }

    /// The table's column each entry of a select list reads: a qualified name without its
    /// table, an interned text (`Interned.text`) by its reference column.
    static func named(_ columns: String) -> Set<String> {
        Set(columns.split(separator: ",").map { entry in
            var name = entry.trimmingCharacters(in: .whitespacesAndNewlines)
            // A text looked up by the column's number (Interned.text, RowRef.id) names that column.
            if name.hasPrefix("(SELECT "), name.hasSuffix(")"), let equals = name.range(of: "= ", options: .backwards) {
                name = String(name[equals.upperBound...].dropLast())
            }
            return String(name.split(separator: ".").last ?? "")
        })
    }

    @Test func everyRecordNamesExactlyItsTablesColumns() throws {
        let store = try temporaryDatabase()
        let records: [(String, String)] = [
            ("partner", PartnerRecord.columns), ("member", MemberRecord.columns), ("reseller", ResellerRecord.columns),
            ("customer", CustomerRecord.columns), ("sale", SaleRecord.columns), ("commission", CommissionRecord.columns),
            ("audit", AuditEntry.storedColumns), ("payout", PayoutRecord.columns), ("payout_account", PayoutAccountRecord.columns),
        ]
        for (table, columns) in records {
            #expect(Self.named(columns) == (try Self.tableColumns(table, store)), "\(table)")
            #expect(Self.named(columns).count == columns.split(separator: ",").count, "\(table) names a column twice")
        }
    }

    @Test func everyRecordRoundTripsWithADifferentValueInEachField() throws {
        let store = try temporaryDatabase()
        try store.write { tx in
            var partner = PartnerRecord(id: "ptr_a", name: "Partner Name", subdomain: "partner-sub", region: "eu", tier: "gold",
                                        status: .frozen, statusReason: "frozen for review", createdAt: ts("2027-01-01T00:00:01.000Z"),
                                        updatedAt: ts("2027-01-01T00:00:02.000Z"))
            try tx.insert(&partner)
            #expect(try tx.partner(id: partner.id) == partner)

            var member = MemberRecord(id: "mem_a", partnerId: partner.id, email: "m@example.com", name: "Member Name", role: .support,
                                      status: .removed, createdAt: ts("2027-01-01T00:00:03.000Z"), updatedAt: ts("2027-01-01T00:00:04.000Z"),
                                      removedAt: ts("2027-01-01T00:00:05.000Z"))
            try tx.insert(&member)
            #expect(try tx.member(id: member.id) == member)

            var reseller = ResellerRecord(id: "rsl_a", partnerId: partner.id, name: "Reseller Name", email: "r@example.com", region: "us",
                                          commissionRate: "12.5", createdAt: ts("2027-01-01T00:00:06.000Z"), updatedAt: ts("2027-01-01T00:00:07.000Z"))
            try tx.insert(&reseller)
            #expect(try tx.reseller(id: reseller.id) == reseller)

            var customer = CustomerRecord(id: "cus_a", partnerId: partner.id, resellerId: reseller.id, name: "Customer Name",
                                          email: "c@example.com", country: "DE", createdAt: ts("2027-01-01T00:00:08.000Z"),
                                          updatedAt: ts("2027-01-01T00:00:09.000Z"))
            try tx.insert(&customer)
            #expect(try tx.customer(id: customer.id) == customer)

            var sale = SaleRecord(id: "sal_a", partnerId: partner.id, resellerId: reseller.id, customerId: customer.id, externalId: "INV-1",
                                  plan: "pro", kind: .upgrade, amount: Money(12_345, Currency.named("EUR")!), refunded: 45,
                                  occurredAt: ts("2027-01-01T00:00:10.000Z"), rulesHash: "rules-hash", auditSeq: 77,
                                  createdAt: ts("2027-01-01T00:00:11.000Z"))
            try tx.insert(&sale)
            #expect(try tx.sale(id: sale.id) == sale)

            var commission = CommissionRecord(seq: 0, id: "com_a", partnerId: partner.id, beneficiary: .reseller, resellerId: reseller.id,
                                              saleId: sale.id, kind: .override, amount: Money(900, Currency.named("EUR")!), originalAmount: Money(1_000, Currency.named("EUR")!),
                                              status: .processing, payableAt: ts("2027-01-01T00:00:12.000Z"),
                                              occurredAt: ts("2027-01-01T00:00:13.000Z"), ruleId: "rule-id", rulesHash: "commission-hash",
                                              basis: "10% of 10000", reason: "a reason", payoutId: "pay_a",
                                              createdAt: ts("2027-01-01T00:00:14.000Z"), updatedAt: ts("2027-01-01T00:00:15.000Z"))
            try tx.insert(&commission)
            #expect(try tx.commission(id: commission.id) == commission)

            var payout = PayoutRecord(id: "po_a", partnerId: partner.id, amount: Money(4_321, Currency.named("GBP")!), lineCount: 3,
                                      status: .paid, method: .paypal, destination: "p@example.com", period: "2027-W05",
                                      asOf: ts("2027-01-01T00:00:17.000Z"), holdUntil: ts("2027-01-01T00:00:18.000Z"), instruction: "{}",
                                      providerReference: "batch-1", failureReason: "none really", reversedAmount: 21,
                                      createdAt: ts("2027-01-01T00:00:19.000Z"), updatedAt: ts("2027-01-01T00:00:20.000Z"))
            _ = try tx.insert(&payout)
            #expect(try tx.payout(id: payout.id) == payout)

            let account = PayoutAccountRecord(seq: 1, partnerId: partner.id, currency: "JPY", method: .manual, destination: "bank ref",
                                              holdUntil: ts("2027-01-01T00:00:21.000Z"), createdAt: ts("2027-01-01T00:00:22.000Z"),
                                              updatedAt: ts("2027-01-01T00:00:23.000Z"))
            try tx.save(account)
            #expect(try tx.payoutAccount(partnerId: partner.id, currency: "JPY") == account)

            let entry = try tx.append(AuditEntry(id: "aud_a", at: "2027-01-01T00:00:16.000Z", requestId: "req-1", actor: "platform:ops",
                                                 action: "partner.update", targetType: "partner", targetId: partner.id,
                                                 partnerId: "ptr_other", reason: "audit reason", before: ["b": 1], after: ["a": 2]))
            #expect(try tx.auditEntry(seq: entry.seq) == entry)
        }
    }

    /// A value the engine does not know, written behind its back, fails the read with an
    /// error instead of trapping: a status, an instant, a currency.
    @Test func anUnknownStoredValueFailsTheReadWithoutATrap() throws {
        let store = try temporaryDatabase()
        try store.writer.write { db in
            try db.execute(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                VALUES ('ptr_x', 'P', 'p', 'eu', 'standard', 'active', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
                INSERT INTO partner (id, name, subdomain, region, tier, status, createdAt, updatedAt)
                VALUES ('ptr_y', 'P', 'q', 'eu', 'standard', 'active', 'yesterday', '2027-01-01T00:00:00.000Z');
                INSERT INTO customer (id, partnerId, name, email, country, createdAt, updatedAt)
                VALUES ('cus_1', 'ptr_x', 'C', 'c@x.io', 'DE', '2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
                INSERT INTO interned (id, text) VALUES (1, 'h');
                INSERT INTO sale (id, partnerSeq, customerSeq, externalId, plan, kind, amount, currency, occurredAt, rulesRef, auditSeq, createdAt)
                VALUES ('sal_1', 1, 1, 'e1', 'pro', 'new', 1000, 'XXX', 1798848000000, 1, 1, 1798848000000);
                """)
        }
        #expect(try store.read { try $0.partner(id: "ptr_x") }?.id == "ptr_x")
        try store.writer.write { db in
            try db.execute(sql: """
                PRAGMA ignore_check_constraints = ON;
                UPDATE partner SET status = 'gone' WHERE id = 'ptr_x';
                PRAGMA ignore_check_constraints = OFF;
                """)
        }
        #expect(throws: DatabaseError.self) { try store.read { try $0.partner(id: "ptr_x") } }
        #expect(throws: DatabaseError.self) { try store.read { try $0.partner(id: "ptr_y") } }
        #expect(throws: DatabaseError.self) { try store.read { try $0.sale(id: "sal_1") } }
    }

    /// `Bind` copies a statement's texts into one buffer and binds them from there: each
    /// value arrives whole — empty text stays text, not NULL; inline and heap strings,
    /// multi-byte ones too — and a statement run again with other values holds only those.
    @Test func boundTextsArriveWholeAndNothingOutlivesTheRun() throws {
        let store = try temporaryDatabase()
        try store.write { tx in
            try tx.db.execute(sql: "CREATE TEMP TABLE t (a TEXT, b TEXT, c INTEGER, d TEXT)")
            let insert = try tx.db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?), (?, ?, ?, ?)")
            let long = String(repeating: "ü€𝄞", count: 40)
            try Bind.run(insert, tx.db, [.text(""), .text("short"), .int(-1), .null, .text(long), .text("naïve"), .int(Int64.max), .text("x")]) { _ in }
            try Bind.run(insert, tx.db, [.text("y"), .null, .int(0), .text(""), .text("z"), .text(long + long), .int(7), .text("")]) { _ in }
            let rows = try Row.fetchAll(tx.db, sql: "SELECT a, b, c, d, typeof(a), typeof(d) FROM t ORDER BY rowid")
            #expect(rows.count == 4)
            #expect(rows[0][0] as String? == "" && rows[0][4] as String == "text" && rows[0][1] as String? == "short" && rows[0][3] as String? == nil)
            #expect(rows[1][0] as String? == long && rows[1][1] as String? == "naïve" && rows[1][2] as Int64 == .max && rows[1][3] as String? == "x")
            #expect(rows[2][1] as String? == nil && rows[2][3] as String? == "" && rows[2][5] as String == "text")
            #expect(rows[3][1] as String? == long + long && rows[3][2] as Int64 == 7)
        }
    }
}
