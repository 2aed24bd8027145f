import Foundation
import PorticoRules
import Testing
@testable import PorticoCore
@testable import PorticoStore

/// The commission ledger below the methods: the paid path (which payouts will drive) and
/// the SQL guards on status changes.
@Suite struct LedgerTests {
    let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../rules").standardized.path

    func rules() throws -> RuleSet {
        let catalog = ActionCatalog(["partner.create", "customer.create", "sale.record", "sale.refund"].map { .init($0, .write) })
        var texts: [String: String] = [:]
        for name in RuleSet.files { texts[name] = try String(contentsOfFile: "\(rulesDirectory)/\(name)", encoding: .utf8) }
        // The shipped permissions name the whole contract; this test only needs the platform.
        texts["permissions.yaml"] = "rules: [ { id: platform, effect: permit, principal: platform, actions: ['*'] } ]\n"
        return try RuleSet.compile(texts, source: "test", catalog: catalog).get()
    }

    func sale(_ h: Harness, _ rules: RuleSet) throws -> (String, [CommissionRecord]) {
        let (p, _) = try h.partner("acme")
        let c = try h.run("customer.create") { try CustomerService.create($0, partnerId: p.id, resellerId: nil, name: "C", email: "c@c.example", country: "US") }
        let answer = try h.run("sale.record") {
            try SaleService.record($0, rules: rules, .init(customerId: c.id, plan: "pro", kind: "new",
                                                           occurredAt: Timestamp(rfc3339: "2027-05-01T00:00:00Z")!, externalId: "x", amount: nil))
        }
        let saleId = answer.json["sale"]!["id"]!.stringValue!
        let rows = try h.db.read { try $0.commissions(saleId: saleId) }
        return (saleId, rows)
    }

    @Test func aStatusMovesOnceEvenWithTwoWriters() throws {
        let h = try Harness()
        let (_, rows) = try sale(h, try rules())
        let id = rows[0].id
        try h.db.write { (db: SQLiteTransaction) throws in
            #expect(try db.changeCommission(id: id, expected: .pending, amount: 0, status: .cancelled, updatedAt: Timestamp(millisecondsSinceEpoch: 0)))
            // The second writer still believes the entry is pending: its guard matches nothing.
            #expect(try !db.changeCommission(id: id, expected: .pending, amount: 0, status: .cancelled, updatedAt: Timestamp(millisecondsSinceEpoch: 0)))
            // No entry is processing or paid outside a payout: the store refuses it.
            #expect(throws: (any Error).self) {
                try db.changeCommission(id: id, expected: .cancelled, amount: 0, status: .paid, updatedAt: Timestamp(millisecondsSinceEpoch: 0))
            }
        }
    }

    /// Puts an entry in a payout of its own in `status` (`processing` or `paid`), as the
    /// payout module does, without going through it.
    static func inPayout(_ db: SQLiteTransaction, _ c: CommissionRecord, _ status: CommissionStatus) throws {
        let payoutId = "po_test_" + c.id
        try db.db.execute(sql: """
            INSERT INTO payout (id, partnerId, amount, currency, lineCount, status, method, destination, asOf, instruction, providerReference, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, 1, ?, 'manual', 'test', 't', '{}', ?, 't', 't')
            """, arguments: [payoutId, c.partnerId, max(c.amount.amount, 1), c.currency, status == .paid ? "paid" : "processing",
                             status == .paid ? "ref" : nil])
        try db.db.execute(sql: "UPDATE commission SET status = ?, payoutId = ? WHERE id = ?", arguments: [status.rawValue, payoutId, c.id])
    }

    @Test func refundingAPaidSaleAddsANegativeAdjustmentForTheNextPayout() throws {
        let h = try Harness()
        let (saleId, rows) = try sale(h, try rules())
        #expect(rows.map(\.amount.amount) == [2475])  // 25% of 99.00 on a first purchase
        try h.db.write { (db: SQLiteTransaction) throws in try LedgerTests.inPayout(db, rows[0], .paid) }
        let partial = try h.run("sale.refund") { try SaleService.refund($0, saleId: saleId, amount: Money(3300, usd), reason: "a third back") }
        #expect(partial.commissions.first?.amount.amount == -825)
        let rest = try h.run("sale.refund") { try SaleService.refund($0, saleId: saleId, amount: nil, reason: "the rest") }
        // The full refund takes back exactly what is left of the paid commission.
        #expect(rest.commissions.first?.amount.amount == -1650)
        let all = try h.db.read { try $0.commissions(saleId: saleId) }
        #expect(all.map(\.amount.amount).reduce(0, +) == 0)
        #expect(all[0].status == .paid)
        #expect(all.dropFirst().allSatisfy { $0.kind == .adjustment && $0.status == .pending })
    }
}

import PropertyBased

/// Refunds in random slices: every step leaves amounts between zero and the original,
/// shrinking in proportion, and the last slice leaves nothing standing.
@Suite struct RefundPropertyTests {
    @Test func refundsInSlicesNeverGoNegativeAndEndAtZero() async throws {
        let rules = try LedgerTests().rules()
        await propertyCheck(count: 25, input: Gen.int64(in: 1...9).array(of: 1...5), Gen.bool) { weights, paidFirst in
            do {
                let h = try Harness()
                let (saleId, rows) = try LedgerTests().sale(h, rules)
                let original = rows[0].amount.amount
                if paidFirst {
                    try h.db.write { (db: SQLiteTransaction) throws in try LedgerTests.inPayout(db, rows[0], .paid) }
                }
                let sale = try h.db.read { try $0.sale(id: saleId)! }
                // Slices of the sale by the weights (largest remainder: they sum to the sale).
                let slices = try sale.amount.allocate(weights).filter { $0.amount > 0 }
                for (k, slice) in slices.enumerated() {
                    let last = k == slices.count - 1
                    _ = try h.run("sale.refund") {
                        try SaleService.refund($0, saleId: saleId, amount: last ? nil : slice, reason: "slice \(k)")
                    }
                    let entries = try h.db.read { try $0.commissions(saleId: saleId) }
                    let standing = entries.filter { $0.status.stands }.map(\.amount.amount).reduce(0, +)
                    #expect(standing >= 0 && standing <= original)
                }
                let entries = try h.db.read { try $0.commissions(saleId: saleId) }
                let standing = entries.filter { $0.status.stands }.map(\.amount.amount).reduce(0, +)
                #expect(standing == 0, "\(weights) paid: \(paidFirst): \(entries.map { ($0.kind, $0.amount, $0.status) })")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

/// `commission.summary` and `partner.dashboard` read running totals and split the entries
/// whose hold ends on the day of reading at the time of reading; whatever the ledger and
/// the time, their totals equal the entries themselves, each counted under its status as
/// of that time (`payable` once its hold has ended).
@Suite struct SummaryPropertyTests {
    static let day: Int64 = 86_400_000
    static let start = Timestamp(rfc3339: "2027-03-01T00:00:00Z")!

    @Test func totalsEqualTheEntriesAtAnyTimeOfReading() async throws {
        let rules = try LedgerTests().rules()
        await propertyCheck(count: 20, input: Gen.int64(in: 0...(40 * 24 * 60)).array(of: 1...10),
                            Gen.int64(in: 25 * Self.day...75 * Self.day).array(of: 1...4), Gen.int64(in: 0...40)) { minutes, readings, firstDay in
            do {
                let h = try Harness()
                let (p, _) = try h.partner("acme")
                let reseller = try h.run("reseller.create") {
                    try ResellerService.create($0, partnerId: p.id, name: "R", email: "r@r.example", region: "eu", commissionRate: nil)
                }
                var sales: [String] = []
                for (k, minute) in minutes.enumerated() {
                    let customer = try h.run("customer.create") {
                        try CustomerService.create($0, partnerId: p.id, resellerId: k % 2 == 0 ? reseller.id : nil, name: "C\(k)",
                                                   email: "c\(k)@c.example", country: k % 3 == 0 ? "DE" : "US")
                    }
                    let answer = try h.run("sale.record") {
                        try SaleService.record($0, rules: rules, .init(customerId: customer.id, plan: "pro", kind: "new",
                                                                       occurredAt: Self.start.adding(milliseconds: minute * 60_000),
                                                                       externalId: "s\(k)", amount: nil))
                    }
                    sales.append(answer.json["sale"]!["id"]!.stringValue!)
                }
                // Some refunded in part, some entries in a payout or paid, a manual entry.
                for (k, saleId) in sales.enumerated() where k % 3 == 1 {
                    _ = try h.run("sale.refund") { try SaleService.refund($0, saleId: saleId, amount: nil, reason: "refund") }
                }
                try h.db.write { (db: SQLiteTransaction) throws in
                    for (k, saleId) in sales.enumerated() where k % 4 == 2 {
                        for c in try db.commissions(saleId: saleId) where c.status == .pending {
                            try LedgerTests.inPayout(db, c, k % 8 == 2 ? .paid : .processing)
                        }
                    }
                }
                _ = try h.run("commission.create", now: Self.start.adding(milliseconds: 3 * Self.day + 5_000)) {
                    try CommissionLedger.create($0, partnerId: p.id, resellerId: nil, amount: Money(-700, usd), reason: "correction")
                }
                let all = try h.db.read { db in try db.commissions(CommissionFilter(partnerId: p.id), now: Timestamp.min, afterSeq: 0, limit: 1_000) }
                // Random times, and exactly the moment an entry's hold ends.
                let times = readings.map { Self.start.adding(milliseconds: $0) } + [all[0].payableAt]
                for now in times {
                    let ranges: [(String?, String?)] = [
                        (nil, nil),
                        (Self.start.adding(milliseconds: firstDay * Self.day).rfc3339, Self.start.adding(milliseconds: (firstDay + 10) * Self.day).rfc3339),
                    ]
                    for (from, to) in ranges {
                        var expected: [String: (Int64, Int64)] = [:]
                        for c in all where from.map({ c.occurredAt.rfc3339 >= $0 }) ?? true && to.map({ c.occurredAt.rfc3339 < $0 }) ?? true {
                            let k = c.effectiveStatus(now: now).rawValue + " " + c.currency
                            expected[k] = ((expected[k]?.0 ?? 0) + c.amount.amount, (expected[k]?.1 ?? 0) + 1)
                        }
                        let range = TimeRange(from: from.flatMap { Timestamp(rfc3339: $0) }, to: to.flatMap { Timestamp(rfc3339: $0) })
                        let summary = try h.run("commission.summary", now: now) { try CommissionLedger.summary($0, partnerId: p.id, range: range) }
                        var answered: [String: (Int64, Int64)] = [:]
                        let rows = try summary.json()["currencies"]?.arrayValue ?? []
                        for row in rows {
                            let currency: String = row["currency"]?.stringValue ?? "?"
                            for status in CommissionStatus.allCases.map(\.rawValue) {
                                let amount: Int64 = row[status]?.integerValue ?? 0
                                let count: Int64 = row[status + "Count"]?.integerValue ?? 0
                                if count > 0 { answered[status + " " + currency] = (amount, count) }
                            }
                        }
                        #expect(answered.mapValues { [$0.0, $0.1] } == expected.filter { $0.value.1 > 0 }.mapValues { [$0.0, $0.1] },
                                "at \(now.rfc3339), from \(from ?? "-") to \(to ?? "-")")
                        // The dashboard shows the same standing totals.
                        let dashboard = try h.run("partner.dashboard", now: now) { try ReportService.dashboard($0, partnerId: p.id, range: range) }
                        let usd = (try dashboard.json()["currencies"]?.arrayValue ?? []).first { $0["currency"]?.stringValue == "USD" }
                        for status in ["pending", "payable", "processing", "paid"] {
                            let shown: Int64 = usd?[status]?.integerValue ?? 0
                            #expect(shown == expected[status + " USD"]?.0 ?? 0, "\(status) at \(now.rfc3339)")
                        }
                    }
                }
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
