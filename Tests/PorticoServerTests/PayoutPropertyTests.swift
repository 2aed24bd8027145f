import Foundation
import JSONRPC
import PorticoCore
import PropertyBased
import Testing
@testable import PorticoServer

/// Random interleavings of everything that touches payouts — sales (in two currencies,
/// direct and through a reseller), refunds of paid and unpaid sales, manual entries of
/// either sign, payouts created on demand and by scheduled runs, processed, completed,
/// failed, cancelled, and reversed by signed webhooks, whole or in part — and after every
/// one the invariants hold: every entry in a payout is in exactly one payout that holds it,
/// with the matching status; every payout's amount and line count are its lines'; what the
/// ledger holds as paid is what paid payouts paid; released payouts keep their lines; the
/// ledger's total by status equals `commission.summary`; and the audit chain verifies.
@Suite struct PayoutPropertyTests {
    enum Op {
        case sale(Int, currency: Int, viaReseller: Bool)
        case refund(Int, half: Bool)
        case manual(Int, negative: Bool)
        case create(currency: Int)
        case run
        case process(Int)
        case complete(Int)
        case fail(Int)
        case cancel(Int)
        case reverse(Int, whole: Bool)
    }

    static let op = Gen.int(in: 0...99).array(of: 3).map { r -> Op in
        switch r[0] % 20 {
        case 0...4: return .sale(r[1], currency: r[2] % 2, viaReseller: r[2] % 3 == 0)
        case 5: return .refund(r[1], half: r[2] % 2 == 0)
        case 6: return .manual(r[1], negative: r[2] % 3 == 0)
        case 7...8: return .create(currency: r[1] % 2)
        case 9: return .run
        case 10...11: return .process(r[1])
        case 12...13: return .complete(r[1])
        case 14: return .fail(r[1])
        case 15: return .cancel(r[1])
        default: return .reverse(r[1], whole: r[2] % 2 == 0)
        }
    }

    @Test func theLedgerAndThePayoutsAgreeWhateverTheOrder() async throws {
        await propertyCheck(count: 20, input: Self.op.array(of: 8...30)) { ops in
            do { try Self.check(ops) } catch { Issue.record("\(error)") }
        }
    }

    static func check(_ ops: [Op]) throws {
        let w = try PayoutWorld(sales: [])
        _ = try w.setAccount()
        _ = try w.call("payout.schedule", ["partnerId": .string(w.partnerId), "cadence": "weekly", "day": 1], as: w.owner)
        let reseller = try w.call("reseller.create", ["partnerId": .string(w.partnerId), "name": "R", "email": "r@r.example", "region": "eu"])
        let resellerId = reseller["result"]!["id"]!
        let via = try w.call("customer.create", ["partnerId": .string(w.partnerId), "resellerId": resellerId, "name": "V",
                                                 "email": "v@v.example", "country": "DE"])["result"]!["id"]!.stringValue!
        var sales: [String] = []
        var payouts: [String] = []
        var event = 0
        let currencies = ["EUR", "USD"]
        for (k, op) in ops.enumerated() {
            var answer: JSONValue = .null
            switch op {
            case .sale(let n, let c, let viaReseller):
                answer = try w.t.call("sale.record", ["actor": platform, "customerId": .string(viaReseller ? via : w.customerId), "plan": "pro",
                                                      "kind": "upgrade", "occurredAt": "2025-10-01T10:00:00Z", "externalId": .string("s\(k)"),
                                                      "amount": ["amount": .integer(Int64(10_000 + 977 * n)), "currency": .string(currencies[c])]])
                if let id = answer["result"]?["sale"]?["id"]?.stringValue { sales.append(id) }
            case .refund(let n, let half):
                guard !sales.isEmpty else { continue }
                var p: JSONObject = ["saleId": .string(sales[n % sales.count]), "reason": "refund"]
                if half { p["amount"] = ["amount": 3_000, "currency": "EUR"] }
                answer = try w.call("sale.refund", p)
            case .manual(let n, let negative):
                answer = try w.call("commission.create", ["partnerId": .string(w.partnerId), "reason": "adjust",
                                                          "amount": ["amount": .integer(Int64((negative ? -1 : 1) * (1_000 + 313 * n))), "currency": "EUR"]])
            case .create(let c):
                answer = try w.create(currencies[c])
                if let id = answer["result"]?["id"]?.stringValue { payouts.append(id) }
            case .run:
                answer = try w.call("payout.runScheduled", [:])
                let list = try w.call("payout.list", ["partnerId": .string(w.partnerId), "limit": 1000])["result"]!["items"]!.arrayValue!
                payouts = list.compactMap { $0["id"]?.stringValue }
            case .process(let n), .complete(let n), .fail(let n), .cancel(let n), .reverse(let n, _):
                guard !payouts.isEmpty else { continue }
                let id = payouts[n % payouts.count]
                switch op {
                case .process: answer = try w.call("payout.process", ["payoutId": .string(id)])
                case .complete: answer = try w.call("payout.complete", ["payoutId": .string(id), "providerReference": .string("tr_" + id)])
                case .fail: answer = try w.call("payout.fail", ["payoutId": .string(id), "reason": "declined"])
                case .cancel: answer = try w.call("payout.cancel", ["payoutId": .string(id)], as: w.owner)
                case .reverse(let n, let whole):
                    // A payout Stripe could report on: processing or paid, in EUR (the signed events are in EUR).
                    var live: [JSONValue] = []
                    for candidate in payouts {
                        let p = try w.payout(candidate)
                        let status = p["status"]?.stringValue ?? ""
                        let currency = p["amount"]?["currency"]?.stringValue ?? ""
                        if (status == "paid" || status == "processing") && currency == "EUR" { live.append(p) }
                    }
                    guard !live.isEmpty else { continue }
                    let p = live[n % live.count]
                    let id = p["id"]!.stringValue!
                    guard let amount = p["amount"]?["amount"]?.integerValue else { continue }
                    event += 1
                    answer = try w.webhook(event: "evt_\(event)", type: "transfer.reversed", payoutId: id, amount: amount, transfer: "tr_" + id,
                                           reversed: whole ? amount : amount / 3)
                default: break
                }
            }
            // Refusals are fine (a payout in the wrong state, below the minimum); internal errors never.
            #expect(answer["error"]?["code"] != -32603, "\(op): \(answer)")
            let problems = try PayoutCrashTests.check(w.t.engine.database.path, PayoutCrashTests.HostMemory())
            #expect(problems.isEmpty, "after \(op) (#\(k)): \(problems)")
            if !problems.isEmpty { return }
        }
        // The summary agrees with the entries themselves, per currency and status.
        let ledger = try w.t.engine.database.writer.read { db in
            try Dictionary(grouping: Row.fetchAll(db, sql: """
                SELECT currency, CASE WHEN status = 'pending' THEN 'payable' ELSE status END AS s, SUM(amount) AS a FROM commission
                WHERE status != 'pending' OR payableAt < 1767312000000 /* 2026-01-02T00:00:00Z */ GROUP BY currency, s
                """), by: { $0["currency"] as String })
        }
        let summary = try w.call("commission.summary", ["partnerId": .string(w.partnerId)])["result"]!["currencies"]!.arrayValue!
        for row in summary {
            let c = row["currency"]!.stringValue!
            for r in ledger[c] ?? [] {
                let status: String = r["s"]
                #expect(row[status]?.integerValue == r["a"] as Int64?, "\(c) \(status)")
            }
        }
        #expect(try w.call("audit.verify", [:])["result"]?["ok"] == true)
    }
}

import GRDB
