import Foundation
import GRDB
import JSONRPC
import PorticoCore
import Testing
@testable import PorticoServer

/// Subscriptions and their renewals: period arithmetic, once per period, recurring
/// commissions, cancellation, suspended partners, and a cancelled run going on.
@Suite struct SubscriptionTests {
    /// A partner (gold, so its prices carry the tier discount) with one customer per country.
    struct World {
        let t: TestEngine
        let partner: String
        let owner: String
        var customers: [String: String] = [:]

        init(countries: [String] = ["US"]) throws {
            t = try TestEngine()
            var p = createParams("subs").objectValue!
            p["tier"] = "gold"
            let created = try t.call("partner.create", .object(p))
            partner = created["result"]!["id"]!.stringValue!
            owner = created["result"]!["owner"]!["id"]!.stringValue!
            for (i, c) in countries.enumerated() {
                customers[c] = try t.call("customer.create", ["actor": platform, "partnerId": .string(partner), "name": "C",
                                                              "email": .string("c\(i)@c.example"), "country": .string(c)])["result"]!["id"]!.stringValue!
            }
        }

        func subscribe(_ country: String = "US", plan: String = "pro", interval: String = "month", startAt: String) throws -> String {
            let r = try t.call("subscription.create", ["actor": platform, "customerId": .string(customers[country]!), "plan": .string(plan),
                                                       "interval": .string(interval), "startAt": .string(startAt)])
            guard let id = r["result"]?["subscription"]?["id"]?.stringValue else { throw PorticoError(.internalError, "\(r)") }
            return id
        }

        func renew(asOf: String? = nil) throws -> JSONValue {
            var params: JSONObject = ["actor": platform]
            if let asOf { params["asOf"] = .string(asOf) }
            let r = try t.call("subscription.renewDue", .object(params))
            guard let result = r["result"] else { throw PorticoError(.internalError, "\(r)") }
            return result
        }

        /// The sales of a subscription, by period: (external id suffix, kind, occurredAt, amount, commissions).
        func sales(of sub: String) throws -> [(period: Int, kind: String, at: String, amount: Int64, commission: Int64)] {
            try t.engine.database.writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT s.externalId, s.kind, strftime('%Y-%m-%dT%H:%M:%fZ', s.occurredAt / 1000.0, 'unixepoch'), s.amount, COALESCE((SELECT SUM(amount) FROM commission c WHERE c.saleSeq = s.seq), 0) AS c
                    FROM sale s WHERE s.externalId LIKE ? ORDER BY s.occurredAt
                    """, arguments: [sub + "/%"]).map { row in
                    let ext: String = row[0]
                    return (Int(ext.split(separator: "/").last!)!, row[1], row[2], row[3], row[4])
                }
            }
        }
    }

    @Test func aSubscriptionFromThe31stRenewsOnTheLastDayOfShorterMonthsAndThe31stAgain() throws {
        let w = try World()
        let sub = try w.subscribe(startAt: "2024-01-31T10:00:00Z")
        let run = try w.renew(asOf: "2024-06-01T00:00:00Z")
        #expect(run["sales"] == 4 && run["renewed"] == 1)
        let sales = try w.sales(of: sub)
        #expect(sales.map(\.at) == ["2024-01-31T10:00:00.000Z", "2024-02-29T10:00:00.000Z", "2024-03-31T10:00:00.000Z",
                                    "2024-04-30T10:00:00.000Z", "2024-05-31T10:00:00.000Z"])
        #expect(sales.map(\.period) == [1, 2, 3, 4, 5])
        #expect(sales.map(\.kind) == ["new", "renewal", "renewal", "renewal", "renewal"])
        let s = try w.t.call("subscription.get", ["actor": platform, "subscriptionId": .string(sub)])["result"]!
        #expect(s["period"] == 5 && s["currentPeriodEnd"] == "2024-06-30T10:00:00.000Z")
    }

    /// Run again, or run later for the same instant: no period is sold twice; the periods
    /// since are sold once each.
    @Test func eachPeriodIsSoldOnceWhateverReruns() throws {
        let w = try World()
        let sub = try w.subscribe(startAt: "2025-06-10T00:00:00Z")
        _ = try w.renew(asOf: "2025-09-10T00:00:00Z")
        let again = try w.renew(asOf: "2025-09-10T00:00:00Z")
        #expect(again["sales"] == 0 && again["due"] == 0)
        _ = try w.renew()
        _ = try w.renew()
        #expect(try w.sales(of: sub).map(\.period) == Array(1...7))
    }

    /// The shipped rules: 25% on the first purchase, then 15% on renewals for the first 24
    /// months of the subscription, then nothing.
    @Test func renewalsEarnTheRecurringCommissionForItsMonthsOnly() throws {
        let w = try World()
        let sub = try w.subscribe(startAt: "2023-06-15T00:00:00Z")
        _ = try w.renew()
        let sales = try w.sales(of: sub)
        #expect(sales.count == 31)
        // pro in the US for a gold partner: $99 less 10%.
        #expect(sales.allSatisfy { $0.amount == 8910 })
        #expect(sales[0].commission == 2228 && sales[0].kind == "new")
        #expect(sales[1..<24].allSatisfy { $0.commission == 1336 })
        #expect(sales[24...].allSatisfy { $0.commission == 0 })
    }

    @Test func aYearIsTwelveMonthsPricesAndEndsOnTheLastDayOfFebruary() throws {
        let w = try World()
        let sub = try w.subscribe(plan: "starter", interval: "year", startAt: "2024-02-29T00:00:00Z")
        _ = try w.renew()
        let sales = try w.sales(of: sub)
        #expect(sales.map(\.at) == ["2024-02-29T00:00:00.000Z", "2025-02-28T00:00:00.000Z"])
        // starter: $29 less 10%, twelve times.
        #expect(sales.allSatisfy { $0.amount == 2610 * 12 })
    }

    @Test func cancelledAtThePeriodEndItEndsThereUnsold() throws {
        let w = try World()
        let sub = try w.subscribe(startAt: "2025-11-15T00:00:00Z")
        let c = try w.t.call("subscription.cancel", ["actor": platform, "subscriptionId": .string(sub), "atPeriodEnd": true])["result"]!
        #expect(c["status"] == "active" && c["cancelAtPeriodEnd"] == true)
        let run = try w.renew()
        #expect(run["ended"] == 1 && run["sales"] == 0)
        let s = try w.t.call("subscription.get", ["actor": platform, "subscriptionId": .string(sub)])["result"]!
        #expect(s["status"] == "cancelled" && s["endedAt"] == "2025-12-15T00:00:00.000Z")
        #expect(try w.sales(of: sub).count == 1)
        #expect(try w.t.call("subscription.cancel", ["actor": platform, "subscriptionId": .string(sub), "atPeriodEnd": false]).errorCode == -32010)
    }

    /// A suspended partner's subscriptions are skipped and stay due; activated again, the
    /// next run sells their periods.
    @Test func aSuspendedPartnersSubscriptionsWaitAndRenewAfter() throws {
        let w = try World()
        let sub = try w.subscribe(startAt: "2025-10-01T00:00:00Z")
        #expect(try w.t.call("partner.suspend", ["actor": platform, "partnerId": .string(w.partner), "reason": "review"])["error"] == nil)
        let skipped = try w.renew()
        #expect(skipped["skipped"]?["partnerNotActive"] == 1 && skipped["sales"] == 0)
        #expect(try w.t.call("partner.activate", ["actor": platform, "partnerId": .string(w.partner), "reason": "ok"])["error"] == nil)
        #expect(try w.renew()["sales"] == 3)
        #expect(try w.sales(of: sub).count == 4)
    }

    /// Cancelled between batches, a run keeps what it committed; run again, it sells the rest,
    /// every period once.
    @Test func aCancelledRunKeepsWhatItCommittedAndARerunFinishes() throws {
        let w = try World()
        let n = RenewalRun.batch + 30
        var lines: [String] = []
        for k in 0..<n {
            lines.append(request("subscription.create", ["actor": platform, "customerId": .string(w.customers["US"]!), "plan": "starter",
                                                         "interval": "month", "startAt": "2025-12-01T00:00:00Z"], id: k))
        }
        #expect(try w.t.send(lines).allSatisfy { $0["error"] == nil })
        let job = CountingJob(w.t.engine, cancelAfter: 1, action: "subscription.renewDue", now: "2026-01-01T00:00:00Z")
        do {
            _ = try RenewalRun.run(job, asOf: nil)
            Issue.record("the run was not cancelled")
        } catch let e as PorticoError {
            #expect(e.code == .requestCancelled)
            #expect(e.data["committed"]?["sales"] == .integer(Int64(RenewalRun.batch)))
        }
        let rest = try RenewalRun.run(CountingJob(w.t.engine, cancelAfter: 100, action: "subscription.renewDue", now: "2026-01-01T00:00:00Z"),
                                      asOf: nil)
        #expect(rest.sales == 30 && rest.due == 30)
        #expect(try w.t.count("sale") == 2 * n)
        let perSubscription = try w.t.engine.database.writer.read { db in
            try Int.fetchAll(db, sql: "SELECT COUNT(*) FROM sale GROUP BY substr(externalId, 1, instr(externalId, '/'))")
        }
        #expect(perSubscription.count == n && perSubscription.allSatisfy { $0 == 2 })
    }

    @Test func anotherPartnersMemberNeitherReadsNorCancels() throws {
        let w = try World()
        let sub = try w.subscribe(startAt: "2025-12-20T00:00:00Z")
        let other = try w.t.call("partner.create", createParams("other"))["result"]!["owner"]!["id"]!.stringValue!
        let me: JSONValue = ["member": .string(other)]
        #expect(try w.t.call("subscription.get", ["actor": me, "subscriptionId": .string(sub)]).errorCode == -32003)
        #expect(try w.t.call("subscription.cancel", ["actor": me, "subscriptionId": .string(sub), "atPeriodEnd": false]).errorCode == -32003)
        #expect(try w.t.call("subscription.list", ["actor": me, "customerId": .string(w.customers["US"]!)]).errorCode == -32003)
        #expect(try w.t.call("subscription.get", ["actor": ["member": .string(w.owner)], "subscriptionId": .string(sub)])["result"]?["status"] == "active")
    }
}
