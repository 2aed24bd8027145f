import Foundation
import GRDB
import JSONRPC
import PorticoCore
import Testing

/// kill -9 anywhere in the renewal and usage-close runs, then restart and run again: the
/// `portico` binary renews 60 subscriptions two years in arrears and closes a year of
/// metered usage, killed after a random delay, round after round on the same database.
/// After every kill: SQLite's integrity check passes; every subscription's periods were
/// each sold exactly once, 1 to its period, none missing; every closed month has its one
/// usage sale and no usage sale lacks its closed month. At the end the runs have finished
/// everything and the audit chain verifies. `PORTICO_CRASH_ROUNDS` sets the rounds.
@Suite(.serialized) struct JobCrashTests {
    typealias Child = PayoutCrashTests.Child
    static let platform: JSONValue = ["platform": "crash-test"]

    static func check(_ path: String) throws -> [String] {
        var problems: [String] = []
        let db = try DatabaseQueue(path: path)
        defer { try? db.close() }
        try db.read { db in
            if let r = try String.fetchOne(db, sql: "PRAGMA integrity_check"), r != "ok" { problems.append("integrity: \(r)") }
            for row in try Row.fetchAll(db, sql: """
                SELECT s.id, s.period, COUNT(x.id) AS sold, MAX(CAST(substr(x.externalId, instr(x.externalId, '/') + 1) AS INTEGER)) AS last
                FROM subscription s LEFT JOIN sale x ON x.externalId LIKE s.id || '/%' GROUP BY s.id
                """) {
                let period: Int64 = row["period"], sold: Int64 = row["sold"], last: Int64? = row["last"]
                if sold != period || last != period { problems.append("subscription \(row["id"] as String): period \(period), \(sold) sales, last \(last ?? 0)") }
            }
            let orphans = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM sale x WHERE x.kind = 'usage' AND NOT EXISTS
                (SELECT 1 FROM usage_period p WHERE p.saleId = x.id AND p.closedAt IS NOT NULL)
                """) ?? 0
            if orphans > 0 { problems.append("\(orphans) usage sales without their closed month") }
            let unsold = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM usage_period p WHERE p.closedAt IS NOT NULL AND p.saleId IS NULL
                """) ?? 0
            if unsold > 0 { problems.append("\(unsold) closed months without a sale") }
        }
        return problems
    }

    @Test func killedAnywhereInTheRenewalAndUsageRunsNothingIsSoldTwiceOrSkipped() throws {
        let (db, secrets) = try PayoutCrashTests.workspace("jobcrash")

        // Set-up, not killed: a partner, 60 customers, each a monthly subscription two years
        // old and a usage event in each of the last twelve months.
        let setup = try Child(db: db, secrets: secrets)
        let partner = setup.send([("partner.create", ["actor": Self.platform, "name": "P", "subdomain": "jobcrash", "region": "us",
                                                      "owner": ["email": "o@jobcrash.example", "name": "O"]])])?.first?["result"]?["id"] ?? .null
        let customers = (setup.send((0..<60).map { k in
            ("customer.create", ["actor": Self.platform, "partnerId": partner, "name": "C", "email": .string("c\(k)@c.example"), "country": "US"])
        }) ?? []).compactMap { $0["result"]?["id"] }
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        let twoYears = now.adding(months: -24)!.rfc3339
        let created = setup.send(customers.map { c in
            ("subscription.create", ["actor": Self.platform, "customerId": c, "plan": "starter", "interval": "month", "startAt": .string(twoYears)])
        }) ?? []
        let client = setup.send([("oauth.client.create", ["actor": Self.platform, "partnerId": partner, "name": "M", "scopes": ["usage:write"]])])?.first?["result"]
        let token = setup.send([("oauth.token", ["grantType": "client_credentials", "clientId": client?["client"]?["id"] ?? .null,
                                                 "clientSecret": client?["clientSecret"] ?? .null])])?.first?["result"]?["accessToken"] ?? .null
        var recorded = 0
        for m in 1...12 {
            let at = now.adding(months: -Int64(m))!.rfc3339
            let events: [JSONValue] = customers.enumerated().map { k, c in
                ["eventId": .string("e\(m)-\(k)"), "customerId": c, "meter": "gpu-h100-hours", "quantity": "1.5", "occurredAt": .string(at)]
            }
            recorded += setup.send([("api.usage.record", ["accessToken": token, "events": .array(events)])])?.first?["result"]?["accepted"]?.integerValue.map(Int.init) ?? 0
        }
        setup.finish()
        #expect(customers.count == 60 && created.allSatisfy { $0["result"] != nil } && recorded == 720)

        for round in 0..<PayoutCrashTests.rounds {
            let child = try Child(db: db, secrets: secrets)
            let delay = UInt32.random(in: 2_000...400_000)
            let killer = Thread { usleep(delay); child.kill() }
            killer.start()
            _ = child.send([("subscription.renewDue", ["actor": Self.platform, "idempotencyKey": .string("r\(round)")])])
            _ = child.send([("usage.close", ["actor": Self.platform])])
            while child.process.isRunning { usleep(1_000) }
            let problems = try Self.check(db)
            #expect(problems.isEmpty, "round \(round) (killed after \(delay) us): \(problems)")
            if !problems.isEmpty { break }
        }
        // Restarted and left to finish: everything due is sold, once.
        let last = try Child(db: db, secrets: secrets)
        _ = last.send([("subscription.renewDue", ["actor": Self.platform])])
        _ = last.send([("usage.close", ["actor": Self.platform])])
        let verify = last.send([("audit.verify", ["actor": Self.platform])])
        last.finish()
        #expect(verify?.first?["result"]?["ok"] == true)
        #expect(try Self.check(db).isEmpty)
        let counts = try DatabaseQueue(path: db).read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM subscription WHERE periodEnd <= ?", arguments: [Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)).rfc3339]) ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM usage_period WHERE closedAt IS NULL AND month < ?", arguments: [String(now.rfc3339.prefix(7))]) ?? -1)
        }
        #expect(counts.0 == 0 && counts.1 == 0, "still due after the last run: \(counts)")
    }
}
