import Foundation
import GRDB
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
        let saleId = answer["sale"]!["id"]!.stringValue!
        let rows = try h.db.writer.read { try CommissionTable.forSale(saleId, $0) }
        return (saleId, rows)
    }

    @Test func aStatusMovesOnceEvenWithTwoWriters() throws {
        let h = try Harness()
        let (_, rows) = try sale(h, try rules())
        let id = rows[0].id
        try h.db.writer.write { (db: Database) throws in
            #expect(try CommissionTable.change(id: id, expected: "pending", amount: rows[0].amount, status: "processing", updatedAt: "t", db))
            // The second writer still believes the entry is pending: its guard matches nothing.
            #expect(try !CommissionTable.change(id: id, expected: "pending", amount: rows[0].amount, status: "processing", updatedAt: "t", db))
            #expect(try CommissionTable.change(id: id, expected: "processing", amount: rows[0].amount, status: "paid", updatedAt: "t", db))
        }
    }

    @Test func refundingAPaidSaleAddsANegativeAdjustmentForTheNextPayout() throws {
        let h = try Harness()
        let (saleId, rows) = try sale(h, try rules())
        #expect(rows.map(\.amount) == [2475])  // 25% of 99.00 on a first purchase
        try h.db.writer.write { (db: Database) throws in
            _ = try CommissionTable.change(id: rows[0].id, expected: "pending", amount: 2475, status: "paid", updatedAt: "t", db)
        }
        let partial = try h.run("sale.refund") { try SaleService.refund($0, saleId: saleId, amount: Money(3300, usd), reason: "a third back") }
        #expect(partial["commissions"]?.arrayValue?.first?["amount"]?["amount"] == -825)
        let rest = try h.run("sale.refund") { try SaleService.refund($0, saleId: saleId, amount: nil, reason: "the rest") }
        // The full refund takes back exactly what is left of the paid commission.
        #expect(rest["commissions"]?.arrayValue?.first?["amount"]?["amount"] == -1650)
        let all = try h.db.writer.read { try CommissionTable.forSale(saleId, $0) }
        #expect(all.map(\.amount).reduce(0, +) == 0)
        #expect(all[0].status == "paid")
        #expect(all.dropFirst().allSatisfy { $0.kind == "adjustment" && $0.status == "pending" })
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
                let original = rows[0].amount
                if paidFirst {
                    try h.db.writer.write { (db: Database) throws in
                        _ = try CommissionTable.change(id: rows[0].id, expected: "pending", amount: original, status: "paid", updatedAt: "t", db)
                    }
                }
                let sale = try h.db.writer.read { try SaleTable.find(id: saleId, $0)! }
                // Slices of the sale by the weights (largest remainder: they sum to the sale).
                let slices = try Money(sale.amount, usd).allocate(weights).filter { $0.amount > 0 }
                for (k, slice) in slices.enumerated() {
                    let last = k == slices.count - 1
                    _ = try h.run("sale.refund") {
                        try SaleService.refund($0, saleId: saleId, amount: last ? nil : slice, reason: "slice \(k)")
                    }
                    let entries = try h.db.writer.read { try CommissionTable.forSale(saleId, $0) }
                    let standing = entries.filter { !["cancelled", "reversed"].contains($0.status) }.map(\.amount).reduce(0, +)
                    #expect(standing >= 0 && standing <= original)
                }
                let entries = try h.db.writer.read { try CommissionTable.forSale(saleId, $0) }
                let standing = entries.filter { !["cancelled", "reversed"].contains($0.status) }.map(\.amount).reduce(0, +)
                #expect(standing == 0, "\(weights) paid: \(paidFirst): \(entries.map { ($0.kind, $0.amount, $0.status) })")
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}
