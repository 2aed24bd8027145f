import Crypto
import Foundation
import JSONRPC
import PorticoCore
import PorticoStore
import Testing
@testable import PorticoServer

/// A partner with payable commissions, driven through the whole engine.
final class PayoutWorld {
    static let secret = "whsec_test_0123456789abcdef"
    let t: TestEngine
    var next = 100
    let partnerId: String
    let ownerId: String
    let customerId: String

    init(sales: [Int64] = [100_000, 50_000], secrets: Secrets = Secrets(stripeWebhookSecrets: [Array(PayoutWorld.secret.utf8)])) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("payout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let engine = try Engine(options: .init(databasePath: dir.appendingPathComponent("t.sqlite").path, openStore: SQLiteStore.opener,
                                               clock: ClockSpec.parse("step:2026-01-01T00:00:00Z,1s")!, seed: 9,
                                               rulesDirectory: RulesIntegrationTests.rulesDirectory, rulesDirectoryRequired: true,
                                               secrets: secrets))
        t = TestEngine(engine: engine, dir: dir)
        let p = try t.call("partner.create", createParams("nimbus"))
        partnerId = p["result"]!["id"]!.stringValue!
        ownerId = p["result"]!["owner"]!["id"]!.stringValue!
        customerId = try t.call("customer.create", ["actor": platform, "partnerId": .string(partnerId), "name": "Acme",
                                                    "email": "it@acme.example", "country": "DE"])["result"]!["id"]!.stringValue!
        for amount in sales { _ = try sale(amount) }
    }

    /// A sale long enough ago that its commission is payable (25% on the first, 20% after).
    @discardableResult
    func sale(_ amount: Int64, currency: String = "EUR") throws -> JSONValue {
        next += 1
        return try t.call("sale.record", ["actor": platform, "customerId": .string(customerId), "plan": "pro",
                                          "kind": next == 101 ? "new" : "upgrade", "occurredAt": "2025-10-01T10:00:00Z",
                                          "externalId": .string("s\(next)"), "amount": ["amount": .integer(amount), "currency": .string(currency)]])
    }

    func call(_ method: String, _ params: JSONObject, as actor: JSONValue = platform) throws -> JSONValue {
        var p = params
        p["actor"] = actor
        return try t.call(method, .object(p))
    }

    var owner: JSONValue { ["member": .string(ownerId)] }

    func setAccount(_ method: String = "stripe", _ destination: String = "acct_1A2b3C4d5E6f7G8h") throws -> JSONValue {
        try call("payout.account.set", ["partnerId": .string(partnerId), "method": .string(method), "destination": .string(destination)], as: owner)
    }

    func create(_ currency: String = "EUR") throws -> JSONValue {
        try call("payout.create", ["partnerId": .string(partnerId), "currency": .string(currency)], as: owner)
    }

    func payout(_ id: String) throws -> JSONValue { try call("payout.get", ["payoutId": .string(id)])["result"]! }

    /// Sums the ledger by status straight from the store.
    func ledger() throws -> [String: Int64] {
        try t.engine.database.writer.read { db in
            var out: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, SUM(amount) AS s FROM commission GROUP BY status") {
                out[row["status"]] = row["s"]
            }
            return out
        }
    }

    /// A Stripe event for a transfer of the payout, signed as Stripe signs it.
    func webhook(event: String, type: String, payoutId: String, amount: Int64, transfer: String = "tr_1", reversed: Int64 = 0,
                 signedAt: Int64 = 1_767_225_700, receivedAt: String = "2026-01-01T00:01:40Z", secret: String = PayoutWorld.secret) throws -> JSONValue
    {
        let payload = """
            {"id":"\(event)","object":"event","type":"\(type)","data":{"object":{"id":"\(transfer)","object":"transfer","amount":\(amount),\
            "amount_reversed":\(reversed),"currency":"eur","destination":"acct_1A2b3C4d5E6f7G8h","metadata":{"payout_id":"\(payoutId)"},\
            "reversed":\(reversed == amount),"transfer_group":"\(payoutId)"}}}
            """
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(signedAt).\(payload)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        let header = "t=\(signedAt),v1=\(mac.map { String(format: "%02x", $0) }.joined())"
        return try call("payout.webhook", ["provider": "stripe", "payload": .string(payload), "signatureHeader": .string(header),
                                           "receivedAt": .string(receivedAt)])
    }
}

import GRDB

@Suite struct PayoutTests {
    @Test func aPayoutGathersThePayableLedgerAndIsPaidOnce() throws {
        let w = try PayoutWorld()
        // No account yet: refused, nothing written.
        #expect(try w.create()["error"]?["data"]?["state"] == "no_payout_account")
        #expect(try w.t.count("payout") == 0)
        #expect(try w.setAccount()["result"]?["holdUntil"] == .null)
        let created = try w.create()["result"]!
        let id = created["id"]!.stringValue!
        #expect(created["amount"] == ["amount": 35000, "currency": "EUR"])  // 25% of 1000 + 20% of 500
        #expect(created["lines"] == 2 && created["status"] == "created")
        #expect(try w.ledger()["processing"] == 35000)
        // Nothing payable is left: a second payout is below the minimum.
        #expect(try w.create()["error"]?["data"]?["state"] == "below_minimum")

        // Only the platform processes; the instruction is the same bytes every time.
        #expect(try w.call("payout.process", ["payoutId": .string(id)], as: w.owner).errorCode == -32003)
        let first = try w.call("payout.process", ["payoutId": .string(id)])["result"]!
        let again = try w.call("payout.process", ["payoutId": .string(id)])["result"]!
        #expect(JSONWriter.string(first["instruction"]!) == JSONWriter.string(again["instruction"]!))
        #expect(first["instruction"]?["headers"]?["Idempotency-Key"] == .string("portico-" + id))
        #expect(first["instruction"]?["body"] == .string("amount=35000&currency=eur&destination=acct_1A2b3C4d5E6f7G8h&transfer_group=\(id)&metadata%5Bpayout_id%5D=\(id)"))
        // Cancel only before processing.
        let cancel = try w.call("payout.cancel", ["payoutId": .string(id)], as: w.owner)
        #expect(cancel["error"]?["data"] == ["state": "processing", "allowed": ["created"]])

        let paid = try w.call("payout.complete", ["payoutId": .string(id), "providerReference": "tr_1"])["result"]!
        #expect(paid["status"] == "paid" && paid["providerReference"] == "tr_1")
        // The same reference again answers the payout; another is refused.
        #expect(try w.call("payout.complete", ["payoutId": .string(id), "providerReference": "tr_1"])["result"]?["status"] == "paid")
        #expect(try w.call("payout.complete", ["payoutId": .string(id), "providerReference": "tr_2"]).errorCode == -32010)
        #expect(try w.call("payout.fail", ["payoutId": .string(id), "reason": "late"])["error"]?["data"] == ["state": "paid", "allowed": ["processing"]])
        #expect(try w.ledger() == ["paid": 35000])
        // Processing a paid payout still answers its instruction, unchanged.
        let late = try w.call("payout.process", ["payoutId": .string(id)])["result"]!
        #expect(JSONWriter.string(late["instruction"]!) == JSONWriter.string(first["instruction"]!))

        // The statement: every line, and totals that add up to the amount.
        let st = try w.call("payout.statement", ["payoutId": .string(id)], as: w.owner)["result"]!
        #expect(st["lines"]?["items"]?.arrayValue?.count == 2)
        #expect(st["totals"]?["amount"] == ["amount": 35000, "currency": "EUR"])
        #expect(st["lines"]?["items"]?.arrayValue?.first?["customerId"] == .string(w.customerId))
        #expect(try w.call("audit.verify", [:])["result"]?["ok"] == true)
    }

    @Test func failingOrCancellingReleasesTheLinesForTheNextPayout() throws {
        let w = try PayoutWorld()
        _ = try w.setAccount("paypal", "Payouts@Nimbus.example")
        let a = try w.create()["result"]!["id"]!.stringValue!
        _ = try w.call("payout.cancel", ["payoutId": .string(a)], as: w.owner)
        #expect(try w.ledger() == ["pending": 35000])
        let b = try w.create()["result"]!["id"]!.stringValue!
        let processed = try w.call("payout.process", ["payoutId": .string(b)])["result"]!
        let item = processed["instruction"]?["body"]?["items"]?.arrayValue?.first
        #expect(item?["amount"] == ["value": "350.00", "currency": "EUR"])
        #expect(item?["recipient_type"] == "EMAIL" && item?["receiver"] == "payouts@nimbus.example")
        #expect(processed["instruction"]?["headers"]?["PayPal-Request-Id"] == .string("portico-" + b))
        let failed = try w.call("payout.fail", ["payoutId": .string(b), "reason": "receiver unconfirmed"])["result"]!
        #expect(failed["status"] == "failed" && failed["failureReason"] == "receiver unconfirmed")
        #expect(try w.ledger() == ["pending": 35000])
        // Released payouts keep their statement; the lines go into the next payout.
        let st = try w.call("payout.statement", ["payoutId": .string(b)])["result"]!
        #expect(st["totals"]?["amount"] == ["amount": 35000, "currency": "EUR"])
        let c = try w.create()["result"]!
        #expect(c["amount"] == ["amount": 35000, "currency": "EUR"] && c["method"] == "paypal")
        #expect(try w.t.count("payout") == 3)
    }

    @Test func aRefundOfAPaidSaleIsNettedAndANegativeNetIsCarriedForward() throws {
        let w = try PayoutWorld(sales: [100_000])
        _ = try w.setAccount()
        let id = try w.create()["result"]!["id"]!.stringValue!  // 25,000
        _ = try w.call("payout.process", ["payoutId": .string(id)])
        _ = try w.call("payout.complete", ["payoutId": .string(id), "providerReference": "tr_9"])
        let sale = try w.t.engine.database.writer.read { try String.fetchOne($0, sql: "SELECT id FROM sale")! }
        _ = try w.call("sale.refund", ["saleId": .string(sale), "reason": "refund"])
        // -25,000 open: nothing to pay, and nothing is written.
        let refused = try w.create()
        #expect(refused["error"]?["data"]?["state"] == "below_minimum")
        #expect(refused["error"]?["data"]?["net"] == ["amount": -25000, "currency": "EUR"])
        #expect(try w.t.count("payout") == 1)
        // New earnings net against it: 20% of 2,000.00 = 40,000, less 25,000.
        try w.sale(200_000)
        let next = try w.create()["result"]!
        #expect(next["amount"] == ["amount": 15000, "currency": "EUR"] && next["lines"] == 2)
        let st = try w.call("payout.statement", ["payoutId": next["id"]!])["result"]!
        #expect(st["totals"]?["byKind"] == [["kind": "adjustment", "count": 1, "amount": ["amount": -25000, "currency": "EUR"]],
                                            ["kind": "sale", "count": 1, "amount": ["amount": 40000, "currency": "EUR"]]])
    }

    @Test func tenantsGovernanceAndHoldsStopPayouts() throws {
        let w = try PayoutWorld()
        _ = try w.setAccount()
        let other = try w.t.call("partner.create", createParams("other"))["result"]!
        let stranger: JSONValue = ["member": other["owner"]!["id"]!]
        let id = try w.create()["result"]!["id"]!.stringValue!
        for method in ["payout.get", "payout.statement", "payout.cancel"] {
            #expect(try w.call(method, ["payoutId": .string(id)], as: stranger).errorCode == -32003, "\(method)")
        }
        #expect(try w.call("payout.create", ["partnerId": .string(w.partnerId), "currency": "EUR"], as: stranger).errorCode == -32003)
        #expect(try w.call("payout.list", [:], as: stranger)["result"]?["items"] == [])
        // A frozen partner: no payout processed, whoever asks.
        _ = try w.call("partner.freeze", ["partnerId": .string(w.partnerId), "reason": "review"])
        #expect(try w.call("payout.process", ["payoutId": .string(id)]).errorCode == -32003)
        _ = try w.call("partner.activate", ["partnerId": .string(w.partnerId), "reason": "cleared"])
        // A changed destination holds payouts created from then on; the one before keeps its destination.
        let changed = try w.setAccount("stripe", "acct_9Z8y7X6w5V4u3T2s")["result"]!
        #expect(changed["holdUntil"] == "2026-01-08T00:00:15.000Z")  // 7 days (destination_change_hold_days)
        _ = try w.call("payout.cancel", ["payoutId": .string(id)], as: w.owner)
        let held = try w.create()["result"]!
        #expect(held["destination"] == "acct_9Z8y7X6w5V4u3T2s" && held["holdUntil"] == changed["holdUntil"])
        let refused = try w.call("payout.process", ["payoutId": held["id"]!])
        #expect(refused["error"]?["data"]?["state"] == "on_hold")
        // A manager may not change the destination.
        let manager = try w.call("partner.members.add", ["partnerId": .string(w.partnerId), "email": "m@nimbus.example", "name": "M",
                                                         "role": "manager"], as: w.owner)["result"]!["id"]!
        #expect(try w.call("payout.account.set", ["partnerId": .string(w.partnerId), "method": "stripe",
                                                  "destination": "acct_1111111111111111"], as: ["member": manager]).errorCode == -32003)
    }

    @Test func badInputIsRefusedNamingTheField() throws {
        let w = try PayoutWorld()
        let cases: [(JSONObject, String)] = [
            (["method": "stripe", "destination": "acct_short"], "destination"),
            (["method": "stripe", "destination": "acct_1A2b3C4d5E6f7G8h!"], "destination"),
            (["method": "paypal", "destination": "someone"], "destination"),
            (["method": "paypal", "destination": "a@b"], "destination"),
            (["method": "wire", "destination": "x"], "method"),
            (["method": "manual", "destination": "bank\u{0}"], "destination"),
            (["method": "manual", "destination": "IBAN DE89", "currency": "EURO"], "currency"),
        ]
        for (params, field) in cases {
            var p = params
            p["partnerId"] = .string(w.partnerId)
            #expect(try w.call("payout.account.set", p, as: w.owner).errorField == field, "\(params)")
        }
        _ = try w.setAccount()
        #expect(try w.create("CHF").errorField == "currency")  // no minimum payout in the rules
        #expect(try w.call("payout.schedule", ["partnerId": .string(w.partnerId), "cadence": "weekly", "day": 8], as: w.owner).errorField == "day")
        #expect(try w.call("payout.schedule", ["partnerId": .string(w.partnerId), "cadence": "manual", "day": 1], as: w.owner).errorField == "day")
        #expect(try w.call("payout.runScheduled", ["asOf": "2030-01-01T00:00:00Z"]).errorField == "asOf")
        #expect(try w.call("payout.get", ["payoutId": "po_nothing"]).errorCode == -32004)
        #expect(try w.t.count("payout") == 0)
    }

    @Test func webhooksAreVerifiedAppliedOnceAndReverse() throws {
        let w = try PayoutWorld()
        _ = try w.setAccount()
        let id = try w.create()["result"]!["id"]!.stringValue!
        _ = try w.call("payout.process", ["payoutId": .string(id)])
        let audits = try w.t.count("audit")
        // A wrong secret, a stale timestamp, a tampered payload: -32001, nothing changes.
        #expect(try w.webhook(event: "evt_1", type: "transfer.created", payoutId: id, amount: 35000, secret: "whsec_other").errorCode == -32001)
        #expect(try w.webhook(event: "evt_1", type: "transfer.created", payoutId: id, amount: 35000,
                              receivedAt: "2026-01-01T00:06:41Z").errorCode == -32001)
        #expect(try w.t.count("audit") == audits)
        #expect(try w.payout(id)["status"] == "processing")
        // A valid event for a transfer of no payout of ours.
        #expect(try w.webhook(event: "evt_0", type: "transfer.created", payoutId: "po_unknown", amount: 35000).errorCode == -32004)
        // Created: paid. The same event again: its first answer.
        let first = try w.webhook(event: "evt_1", type: "transfer.created", payoutId: id, amount: 35000)["result"]!
        #expect(first["effect"] == "paid" && first["payout"]?["status"] == "paid")
        let replay = try w.webhook(event: "evt_1", type: "transfer.created", payoutId: id, amount: 35000)["result"]!
        #expect(replay == first)
        // A partial reversal owes the amount again; a full one reopens the lines (and takes
        // back what the partial one re-credited).
        let partial = try w.webhook(event: "evt_2", type: "transfer.reversed", payoutId: id, amount: 35000, reversed: 5000)["result"]!
        #expect(partial["effect"] == "partly reversed")
        #expect(try w.ledger() == ["paid": 35000, "pending": 5000])
        let full = try w.webhook(event: "evt_3", type: "transfer.reversed", payoutId: id, amount: 35000, reversed: 35000)["result"]!
        #expect(full["effect"] == "reversed" && full["payout"]?["status"] == "reversed")
        #expect(try w.ledger() == ["pending": 35000])
        let next = try w.create()["result"]!
        #expect(next["amount"] == ["amount": 35000, "currency": "EUR"])
        // Other event types are recorded, not applied.
        #expect(try w.webhook(event: "evt_4", type: "payout.paid", payoutId: id, amount: 1)["result"]?["applied"] == false)
        #expect(try w.call("audit.verify", [:])["result"]?["ok"] == true)
    }

    @Test func withoutASecretWebhooksAreRefused() throws {
        let w = try PayoutWorld(secrets: .none)
        #expect(try w.webhook(event: "evt_1", type: "transfer.created", payoutId: "po_x", amount: 1).errorCode == -32001)
    }

    @Test func scheduledRunsPayEachPeriodOnceWithProgress() throws {
        let w = try PayoutWorld()
        _ = try w.setAccount()
        _ = try w.call("payout.schedule", ["partnerId": .string(w.partnerId), "cadence": "monthly", "day": 1], as: w.owner)
        let answers = try w.t.send([
            request("payout.runScheduled", ["actor": platform, "progressToken": "p1"], id: 1),
            request("payout.runScheduled", ["actor": platform], id: 2),
        ])
        let progress = answers.filter { $0["method"] == "$/progress" }
        #expect(progress.count == 2 && progress.allSatisfy { $0["params"]?["token"] == "p1" })
        let run = answers.first { $0["id"] == 1 }!["result"]!
        #expect(run["payoutsCreated"] == 1 && run["currencies"] == [["currency": "EUR", "payouts": 1, "amount": "35000"]])
        // The same period again: nothing more, even with new earnings.
        try w.sale(100_000)
        let second = answers.first { $0["id"] == 2 }!["result"]!
        #expect(second["payoutsCreated"] == 0)
        let third = try w.call("payout.runScheduled", [:])["result"]!
        #expect(third["payoutsCreated"] == 0 && third["skipped"]?["alreadyCreated"] == 1)
        let payouts = try w.call("payout.list", ["partnerId": .string(w.partnerId)])["result"]!["items"]!
        #expect(payouts.arrayValue?.count == 1 && payouts.arrayValue?.first?["period"] == "2026-01")
        // Weekly schedules are keyed by ISO week (2026-01-01 is a Thursday of 2026-W01).
        #expect(PayoutSetup.duePeriod(PayoutScheduleRecord(partnerId: "p", cadence: .weekly, day: 4, createdAt: .min, updatedAt: .min),
                                      asOf: Timestamp(rfc3339: "2026-01-01T00:00:00Z")!) == "2026-W01")
        #expect(PayoutSetup.duePeriod(PayoutScheduleRecord(partnerId: "p", cadence: .weekly, day: 5, createdAt: .min, updatedAt: .min),
                                      asOf: Timestamp(rfc3339: "2026-01-01T00:00:00Z")!) == nil)
        #expect(PayoutSetup.duePeriod(PayoutScheduleRecord(partnerId: "p", cadence: .weekly, day: 1, createdAt: .min, updatedAt: .min),
                                      asOf: Timestamp(rfc3339: "2027-01-01T00:00:00Z")!) == "2026-W53")
        #expect(PayoutSetup.duePeriod(PayoutScheduleRecord(partnerId: "p", cadence: .monthly, day: 31, createdAt: .min, updatedAt: .min),
                                      asOf: Timestamp(rfc3339: "2027-02-28T00:00:00Z")!) == "2027-02")
    }
}

/// Steps over the test engine's store, cancelled once `cancelAfter` steps have run.
final class CountingJob: JobSteps {
    let engine: Engine
    let cancelAfter: Int
    let action: String
    let now: Timestamp
    var steps = 0
    var reports: [(Int, Int)] = []
    init(_ engine: Engine, cancelAfter: Int, action: String = "payout.runScheduled", now: String = "2026-02-01T00:00:00Z") {
        self.engine = engine; self.cancelAfter = cancelAfter; self.action = action; self.now = Timestamp(rfc3339: now)!
    }

    func step<T>(_ body: (RequestContext) throws -> T) throws -> T {
        steps += 1
        return try engine.database.write { tx in
            let ctx = RequestContext(store: tx, now: now, requestId: "job", action: action,
                                     actor: try ActorResolver.resolve(.platform("ops"), tx), ids: engine.ids,
                                     policy: RulesAccessPolicy(engine.rules), activeRules: engine.rules)
            return try body(ctx)
        }
    }
    func read<T>(_ body: (RequestContext) throws -> T) throws -> T { try step(body) }
    func progress(done: Int, total: Int, message: String) { reports.append((done, total)) }
    var isCancelled: Bool { steps > cancelAfter }
}

@Suite struct PayoutRunTests {
    /// Cancelled between batches, a run answers -32800 with what it committed; run again,
    /// it goes on and pays every partner once.
    @Test func aCancelledRunKeepsWhatItCommittedAndARerunFinishes() throws {
        let w = try PayoutWorld(sales: [])
        let n = PayoutRun.batch + 20
        var lines: [String] = []
        for k in 0..<n {
            var p = createParams("p\(k)").objectValue!
            p["region"] = "us"
            lines.append(request("partner.create", .object(p), id: k))
        }
        let partners = try w.t.send(lines).map { $0["result"]!["id"]!.stringValue! }
        var setup: [String] = []
        for (k, id) in partners.enumerated() {
            setup.append(request("payout.account.set", ["actor": platform, "partnerId": .string(id), "method": "manual", "destination": "by hand"], id: 3 * k))
            setup.append(request("payout.schedule", ["actor": platform, "partnerId": .string(id), "cadence": "monthly", "day": 1], id: 3 * k + 1))
            setup.append(request("commission.create", ["actor": platform, "partnerId": .string(id), "amount": ["amount": 6000, "currency": "USD"],
                                                       "reason": "bonus"], id: 3 * k + 2))
        }
        #expect(try w.t.send(setup).allSatisfy { $0["error"] == nil })
        let job = CountingJob(w.t.engine, cancelAfter: 1)
        do {
            _ = try PayoutRun.run(job, asOf: nil)
            Issue.record("the run was not cancelled")
        } catch let e as PorticoError {
            #expect(e.code == .requestCancelled)
            #expect(e.data["committed"]?["payoutsCreated"] == .integer(Int64(PayoutRun.batch)))
        }
        #expect(try w.t.count("payout") == PayoutRun.batch)
        let rest = try PayoutRun.run(CountingJob(w.t.engine, cancelAfter: 100), asOf: nil)
        #expect(rest.created == 20 && rest.due == n)
        #expect(try w.t.count("payout") == n)
        #expect(job.reports.first?.1 == n)
    }
}
