import ArgumentParser
import Foundation
import GRDB
import GRDBSQLite
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

/// The partner API figures: a token's check with its scope and rate-limit decision in
/// process; `oauth.token` and `api.usage.record` pipelined, durable, each against SQLite's
/// own cost for the same rows; `subscription.renewDue` over many due subscriptions against
/// SQLite's cost for the same changes.
enum APIBench {
    static let platform: JSONValue = ["platform": "bench"]

    static func must(_ engine: Engine, _ method: String, _ params: JSONValue) throws -> JSONValue {
        switch engine.call(method, params) {
        case .result(let r): return r
        case .error(let e): throw ValidationError("bench set-up: \(method) failed: \(e.message)")
        case .encoded: preconditionFailure("Engine.call answers results as trees")
        }
    }

    /// A platinum partner (10,000 requests a minute) with `customers` US customers and a
    /// client of every scope; answers (partner, customers, client id, secret).
    static func setUp(_ engine: Engine, customers: Int) throws -> (String, [String], String, String) {
        let partner = try must(engine, "partner.create", ["actor": platform, "name": "API", "subdomain": "bench-api", "region": "us", "tier": "platinum",
                                                          "owner": ["email": "o@api.example", "name": "O"]])["id"]!.stringValue!
        let ids = try (0..<customers).map { i in
            try must(engine, "customer.create", ["actor": platform, "partnerId": .string(partner), "name": "C", "email": .string("c\(i)@c.example"),
                                                 "country": "US"])["id"]!.stringValue!
        }
        let client = try must(engine, "oauth.client.create", ["actor": platform, "partnerId": .string(partner), "name": "bench",
                                                              "scopes": ["customers:read", "usage:read", "usage:write", "sales:read"]])
        return (partner, ids, client["client"]!["id"]!.stringValue!, client["clientSecret"]!.stringValue!)
    }

    static func run(dir: URL, checks: Int, tokens: Int, usageEvents: Int, subscriptions: Int) throws {
        let path = dir.appendingPathComponent("api.sqlite").path
        var engine: Engine? = try Engine(options: .init(databasePath: path, openStore: SQLiteStore.opener))
        let (_, customers, clientId, secret) = try setUp(engine!, customers: 100)
        let token = try must(engine!, "oauth.token", ["grantType": "client_credentials", "clientId": .string(clientId),
                                                      "clientSecret": .string(secret)])["accessToken"]!.stringValue!
        if checks > 0 {
            try gate(engine!, token: token, checks: checks)
            // Within the platinum tier's burst (10,000 calls): every call measured is served.
            try salesList(engine!, token: token, customers: customers, calls: min(9_000, max(2_000, checks / 50)))
        }
        try engine!.store.close()
        engine = nil
        if tokens > 0 { try tokenIssuance(path: path, clientId: clientId, secret: secret, count: tokens, dir: dir) }
        if usageEvents > 0 { try usage(path: path, token: token, customers: customers, events: usageEvents, dir: dir) }
        if subscriptions > 0 { try renewals(dir: dir, count: subscriptions) }
    }

    /// The stages a partner API call passes before its service — the token resolved (from
    /// the engine's token cache, or by its hash with its client and partner read when the
    /// cache has not got it), the rate-limit decision, and the decision of the token's
    /// scopes and the permission rules — in one transaction, as a group's calls share one.
    /// The clock advances by the platinum tier's interval (6 ms) a call, so every call is
    /// admitted and a cached token is read again once a second (every 167th call).
    static func gate(_ engine: Engine, token: String, checks: Int) throws {
        let policy = RulesAccessPolicy(engine.rules)
        let db = engine.store as! SQLiteStore
        func measure(cache: TokenCache?, _ n: Int) throws -> Double {
            let limiter = PartnerRateLimiter(rules: engine.rules)
            var now = Timestamp(rfc3339: "2026-06-01T00:00:00Z")!
            var samples: [Double] = []
            let rounds = 20
            for _ in 0..<rounds {
                let start = Bench.now()
                try db.read { tx in
                    for _ in 0..<(n / rounds) {
                        let actor = try OAuthService.caller(tx, now: now, accessToken: token, cache: cache)
                        try limiter.admit(actor, action: "api.customer.list", now: now)
                        try policy.authorize(actor, action: "api.customer.list", partner: actor.ownPartner)
                        now = now.adding(milliseconds: 6)
                    }
                }
                samples.append((Bench.now() - start) / Double(n / rounds))
            }
            return samples.sorted()[rounds / 2]
        }
        // The hit path stage by stage, on a token already cached (one instant: the entry stays).
        let cache = TokenCache()
        let at = Timestamp(rfc3339: "2026-06-01T00:00:00Z")!
        let actor = try db.read { tx in try OAuthService.caller(tx, now: at, accessToken: token, cache: cache) }
        let limiter = PartnerRateLimiter(rules: engine.rules)
        var (lookup, limit, decide) = (0.0, 0.0, 0.0)
        try db.read { tx in
            var t0 = Bench.now()
            for _ in 0..<checks { _ = try OAuthService.caller(tx, now: at, accessToken: token, cache: cache) }
            lookup = (Bench.now() - t0) / Double(checks)
            var now = at
            t0 = Bench.now()
            for _ in 0..<checks {
                try limiter.admit(actor, action: "api.customer.list", now: now)
                now = now.adding(milliseconds: 6)
            }
            limit = (Bench.now() - t0) / Double(checks)
            t0 = Bench.now()
            for _ in 0..<checks { try policy.authorize(actor, action: "api.customer.list", partner: actor.ownPartner) }
            decide = (Bench.now() - t0) / Double(checks)
        }
        let cached = try measure(cache: TokenCache(), checks)
        let uncached = try measure(cache: nil, max(20, checks / 20))
        print(String(format: "token check + scope + rate-limit decision, in process: %.2f µs a cached token (lookup %.2f, rate limit %.2f, scopes and rules %.2f); %.1f µs a token not cached (SHA-256, then the token, client and partner read by key); median %.2f µs a call at 167 calls a second on one token (one miss a second)",
                     (lookup + limit + decide) * 1e6, lookup * 1e6, limit * 1e6, decide * 1e6, uncached * 1e6, cached * 1e6))
    }

    /// `api.sales.list` with `limit: 10` (what `GET /v1/sales?limit=10` asks of the engine)
    /// in process through the whole path — token, rate limit, permission, the read group's
    /// transaction, the rows, the answer's text as the connection writes it — beside
    /// SQLite's own cost for the same rows (the same query in a read transaction of its own,
    /// every column of the 11 rows read and nothing made of them), and the stages alone: the
    /// rows written as their records' text as they are read, the page of them; and, for
    /// comparison, the rows read as records and the page of records written as JSON.
    static func salesList(_ engine: Engine, token: String, customers: [String], calls: Int) throws {
        for (i, customer) in customers.prefix(20).enumerated() {
            _ = try must(engine, "sale.record", ["actor": platform, "customerId": .string(customer), "plan": "pro", "kind": "new",
                                                 "occurredAt": "2026-05-01T00:00:00Z", "externalId": .string("bench-list-\(i)")])
        }
        let db = engine.store as! SQLiteStore
        let partnerId = try db.read { tx in try tx.customer(id: customers[0])!.partnerId }
        let call = Call(id: .integer(1), method: "api.sales.list", params: ["accessToken": .string(token), "limit": 10])
        var out: [UInt8] = []
        let answered = engine.handle([call], control: .detached())[0]!
        Response.write(id: call.id, outcome: answered, into: &out)
        guard case .encoded = answered, (try? JSONReader.parse(out))?["result"]?["items"]?.arrayValue?.count == 10 else {
            throw ValidationError("api.sales.list did not answer a page of 10: \(String(decoding: out, as: UTF8.self))")
        }
        let bytes = out.count

        func median(_ body: () throws -> Void) rethrows -> Double {
            var samples: [Double] = []
            let rounds = 15
            for _ in 0..<rounds {
                let start = Bench.now()
                for _ in 0..<max(1, calls / rounds) { try body() }
                samples.append((Bench.now() - start) / Double(max(1, calls / rounds)))
            }
            return samples.sorted()[rounds / 2] * 1e6
        }
        let whole = median {
            out.removeAll(keepingCapacity: true)
            let outcome = engine.handle([call], control: .detached())[0]!
            guard case .encoded = outcome else { preconditionFailure("api.sales.list refused: \(outcome)") }
            Response.write(id: call.id, outcome: outcome, into: &out)
        }
        let sql = """
            SELECT seq, id, (SELECT id FROM partner WHERE seq = partnerSeq), (SELECT id FROM reseller WHERE seq = resellerSeq),
                   (SELECT id FROM customer WHERE seq = customerSeq), externalId, plan, kind, amount, currency, refunded, occurredAt,
                   (SELECT text FROM interned WHERE id = rulesRef), auditSeq, createdAt FROM sale INDEXED BY sale_by_partner
            WHERE partnerSeq = (SELECT seq FROM partner WHERE id = ?1) AND (?2 IS NULL OR customerSeq = (SELECT seq FROM customer WHERE id = ?2)) AND (?3 IS NULL OR kind = ?3)
              AND occurredAt >= ?4 AND occurredAt <= ?5 AND seq > ?6
            ORDER BY seq LIMIT ?7
            """
        let range = TimeRange.all
        // SQLite alone: a read-only connection of its own, the transaction begun and ended
        // with prepared statements, the rows stepped and every column read.
        var readOnly = Configuration()
        readOnly.readonly = true
        let alone = try DatabaseQueue(path: db.path, configuration: readOnly)
        defer { try? alone.close() }
        func transaction(_ body: (Database) throws -> Void) throws {
            try alone.inDatabase { d in
                let begin = try d.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").sqliteStatement
                let commit = try d.cachedStatement(sql: "COMMIT TRANSACTION").sqliteStatement
                sqlite3_step(begin)
                sqlite3_reset(begin)
                try body(d)
                guard sqlite3_step(commit) == SQLITE_DONE else { throw ValidationError("the floor's COMMIT failed") }
                sqlite3_reset(commit)
            }
        }
        let floor = try median {
            try transaction { d in
                let statement = try d.cachedStatement(sql: sql)
                try statement.setArguments([partnerId, nil, nil, range.first.millisecondsSinceEpoch, range.last.millisecondsSinceEpoch, 0, 11])
                let h = statement.sqliteStatement
                var touched = 0
                while sqlite3_step(h) == SQLITE_ROW {
                    touched &+= Bench.touchColumns(h)
                }
                sqlite3_reset(h)
                precondition(touched != 0)
            }
        }
        let empty = try median { try transaction { _ in } }
        let pooled = try median { try db.read { _ in } }  // a reader from GRDB's pool, in its isolation
        var records: [SaleRecord] = []
        // As the engine reads them: in a read group's transaction.
        let rows = try median {
            try db.runGroup([.read], restart: {}) { _, tx in
                records = (try? tx.sales(SaleFilter(partnerId: partnerId), afterSeq: 0, limit: 11)) ?? []
                return true
            }
        }
        guard records.count == 11 else { throw ValidationError("the sales read back: \(records.count)") }
        let page = PageRequest(afterSeq: 0, limit: 10).page(records, seq: \.seq)
        let text = median { precondition(!page.jsonText.isEmpty) }
        // What the engine does: each row written as its record's text as it is read.
        var texts: [RecordText] = []
        let rowTexts = try median {
            try db.runGroup([.read], restart: {}) { _, tx in
                texts = (try? tx.saleTexts(SaleFilter(partnerId: partnerId), afterSeq: 0, limit: 11)) ?? []
                return true
            }
        }
        guard texts.count == 11 else { throw ValidationError("the sales written back: \(texts.count)") }
        let textPage = PageRequest(afterSeq: 0, limit: 10).page(texts, seq: \.seq)
        let spliced = median { precondition(!textPage.jsonText.isEmpty) }
        print(String(format: "api.sales.list, limit 10 (%d bytes an answer), in process, whole path: %.1f µs a call; SQLite alone, the same rows in a read transaction: %.1f µs (the engine at %.1fx its time; an empty transaction %.1f µs, %.1f µs on a reader of GRDB's pool); stages alone: the rows written as the answer's text %.1f µs, the page of them %.1f µs (read as records instead %.1f µs, then written as JSON %.1f µs)",
                     bytes, whole, floor, whole / floor, empty, pooled, rowTexts, spliced, rows, text))
    }

    /// `oauth.token` pipelined on an engine, and SQLite alone writing the same rows (the
    /// token and its audit record, the chain's head moved) 1,024 to a commit.
    static func tokenIssuance(path: String, clientId: String, secret: String, count: Int, dir: URL) throws {
        let line = #"{"jsonrpc":"2.0","id":1,"method":"oauth.token","params":{"grantType":"client_credentials","clientId":"\#(clientId)","clientSecret":"\#(secret)"}}"#
        let s = try Bench.pipelined(Array(repeating: line, count: count), db: path)
        let issued = try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM oauth_token") ?? 0 }
        guard issued >= count else { throw ValidationError("\(issued) tokens issued of \(count)") }
        let floor = try auditedRowsFloor(path: dir.appendingPathComponent("tokens-floor.sqlite").path, count: count, perCommit: 1024) { db, i in
            try db.cachedStatement(sql: """
                INSERT INTO oauth_token (hash, id, clientId, partnerId, scopes, issuedAt, expiresAt) VALUES (?, ?, 'c', 'p', 'usage:read', 't', 't')
                """).execute(arguments: [String(format: "%064d", i), "tok_floor_\(i)"])
        }
        print(String(format: "oauth.token pipelined, durable:   %8.0f tokens/s  (%d in %.2f s); SQLite alone, the same rows 1,024 a commit: %8.0f/s (the engine at %.1fx its time)",
                     Double(count) / s, count, s, Double(count) / floor, s / floor))
    }

    /// SQLite alone: `count` writes by `write` (with foreign keys off: the rows name no real
    /// parents), each with `audits` audit records of the engine's size (a state of `size`
    /// bytes of JSON stored deflated: random bytes of a third of that) and the chain's head
    /// moved, `perCommit` to a durable commit, on the database at `path` (created if new).
    static func auditedRowsFloor(path: String, count: Int, perCommit: Int, audits: Int = 1, snapshot size: Int = 300,
                                 _ write: (Database, Int) throws -> Void) throws -> Double
    {
        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        var seq = try store.writer.read { try Int64.fetchOne($0, sql: "SELECT COALESCE(MAX(seq), 0) FROM audit") ?? 0 }
        // Off outside a transaction (SQLite ignores it inside one): the rows name no real parents.
        try store.writer.writeWithoutTransaction { try $0.execute(sql: "PRAGMA foreign_keys = OFF") }
        let start = Bench.now()
        for group in stride(from: 0, to: count, by: perCommit) {
            try store.writer.write { db in
                for i in group..<min(count, group + perCommit) {
                    try write(db, i)
                    for _ in 0..<audits {
                        seq += 1
                        try db.cachedStatement(sql: """
                            INSERT INTO audit (seq, id, at, requestId, actorRef, actionRef, targetTypeRef, targetId, partnerRef, reason, before, after, hash)
                            VALUES (?, ?, 1798761600000, '1', 1, 2, 3, 'x', 4, NULL, NULL, randomblob(?), randomblob(32))
                            """).execute(arguments: [seq, "aud_floor_\(seq)", size / 3])
                        try db.cachedStatement(sql: "INSERT INTO audit_head (singleton, seq, hash) VALUES (1, ?, ?) ON CONFLICT DO UPDATE SET seq = excluded.seq, hash = excluded.hash")
                            .execute(arguments: [seq, String(repeating: "b", count: 64)])
                    }
                }
            }
        }
        return Bench.now() - start
    }

    /// `api.usage.record` with 100 events a call — one customer's metering for a day, as a
    /// partner's collector sends it, three meters mixed — pipelined; and SQLite alone
    /// writing the same rows: the event rows, each call's daily totals (one per meter), and
    /// one audit record a call, with the chain's head moved.
    static func usage(path: String, token: String, customers: [String], events: Int, dir: URL) throws {
        let meters = ["gpu-h100-hours", "llm-tokens", "storage-gb-months"]
        let quantities = ["0.25", "1500", "2.5"]
        let units: [Int64] = [250_000, 1500, 2500]
        let scales = [6, 0, 3]
        func day(_ call: Int) -> String { "2026-11-\(String(format: "%02d", 1 + call / customers.count % 28))" }
        var lines: [String] = []
        var n = 0
        while n < events {
            let call = lines.count
            var items: [String] = []
            for k in 0..<100 {
                items.append(#"{"eventId":"ev-\#(n)","customerId":"\#(customers[call % customers.count])","meter":"\#(meters[k % 3])","quantity":"\#(quantities[k % 3])","occurredAt":"\#(day(call))T10:\#(String(format: "%02d", k % 60)):00Z"}"#)
                n += 1
            }
            lines.append(#"{"jsonrpc":"2.0","id":\#(call),"method":"api.usage.record","params":{"accessToken":"\#(token)","events":[\#(items.joined(separator: ","))]}}"#)
        }
        let s = try Bench.pipelined(lines, db: path)
        let stored = try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM usage_event") ?? 0 }
        guard stored == n else { throw ValidationError("\(stored) events stored of \(n) (rate limited or refused?)") }
        let calls = lines.count
        // The floor binds straight through SQLite's C API, as the store does, with every
        // text made before the clock starts.
        let eventIds = (0..<n).map { "ev-\($0)" }
        let times = (0..<calls).map { call in (0..<100).map { k in "\(day(call))T10:\(String(format: "%02d", k % 60)):00.000Z" } }
        let days = (0..<calls).map(day)
        let floor = try auditedRowsFloor(path: dir.appendingPathComponent("usage-floor.sqlite").path, count: calls, perCommit: 1024) { db, call in
            // The engine's own statement: 50 events to an insert.
            let insert = try db.cachedStatement(sql: UsageInsert.many)
            let customer = customers[call % customers.count]
            var values: [Bind] = []
            values.reserveCapacity(8 * UsageInsert.rows)
            for chunk in stride(from: 0, to: 100, by: UsageInsert.rows) {
                values.removeAll(keepingCapacity: true)
                for k in chunk..<(chunk + UsageInsert.rows) {
                    values += [.text("ptr"), .text(eventIds[call * 100 + k]), .text(customer), .text(meters[k % 3]), .int(units[k % 3]),
                               .int(Int64(scales[k % 3])), .text(times[call][k]), .text("t")]
                }
                let inserted = try Bind.run(insert, db, values) { _ in }
                guard inserted == UsageInsert.rows else { throw ValidationError("floor: \(inserted) events inserted of \(UsageInsert.rows)") }
            }
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO usage_total VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET units = units + excluded.units, events = events + excluded.events
                """)
            for m in 0..<3 {
                try Bind.execute(upsert, db, .text("ptr"), .text(customer), .text(meters[m]), .text(days[call]), .int(Int64(scales[m])), .int(units[m] * 33), .int(33))
            }
        }
        print(String(format: "api.usage.record, 100 events a call, pipelined, durable: %8.0f events/s  (%d in %.2f s); SQLite alone, the same rows: %8.0f events/s (the engine at %.1fx its time)",
                     Double(n) / s, n, s, Double(n) / floor, s / floor))
    }

    /// `count` monthly subscriptions (1,000 partners × count/1,000 customers), each with the
    /// sale of its first period, written directly; all due once at the run's asOf.
    static func generateSubscriptions(path: String, count: Int) throws {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        let ids = IDGenerator(seed: 31)
        let start = Timestamp(rfc3339: "2026-01-05T00:00:00Z")!
        let end = start.adding(months: 1)!
        let usd = Currency.named("USD")!
        let perPartner = max(1, count / 1000)
        var done = 0
        var partnerIndex = 0
        while done < count {
            try db.write { tx in
                var p = PartnerRecord(id: ids.make("ptr", at: start), name: "P\(partnerIndex)", subdomain: "sub\(partnerIndex)", region: "us",
                                      tier: "standard", status: .active, createdAt: start, updatedAt: start)
                try tx.insert(&p)
                partnerIndex += 1
                for _ in 0..<min(perPartner, count - done) {
                    var c = CustomerRecord(id: ids.make("cus", at: start), partnerId: p.id, resellerId: nil, name: "C", email: "c\(done)@c.example",
                                           country: "US", createdAt: start, updatedAt: start)
                    try tx.insert(&c)
                    let subId = ids.make("sub", at: start)
                    var sale = SaleRecord(id: ids.make("sal", at: start), partnerId: p.id, resellerId: nil, customerId: c.id, externalId: subId + "/1",
                                          plan: "pro", kind: .new, amount: Money(9900, usd), occurredAt: start, rulesHash: "bench", auditSeq: 0,
                                          createdAt: start)
                    try tx.insert(&sale)
                    var s = SubscriptionRecord(id: subId, partnerId: p.id, resellerId: nil, customerId: c.id, plan: "pro", interval: .month,
                                               status: .active, startAt: start, period: 1, periodStart: start, periodEnd: end,
                                               amount: Money(9900, usd), cancelAtPeriodEnd: false, cancelledAt: nil, endedAt: nil,
                                               lastSaleId: sale.id, createdAt: start, updatedAt: start)
                    try tx.insert(&s)
                    done += 1
                }
            }
        }
    }

    /// `subscription.renewDue` over `count` due subscriptions, and SQLite alone making the
    /// same changes on a copy of the same file: per subscription a sale, its commission, two
    /// audit records and the subscription moved on, 500 to a commit.
    static func renewals(dir: URL, count: Int) throws {
        let path = dir.appendingPathComponent("renewals.sqlite").path
        let t0 = Bench.now()
        try generateSubscriptions(path: path, count: count)
        print(String(format: "subscriptions: %d due, generated in %.1f s", count, Bench.now() - t0))
        let copy = dir.appendingPathComponent("renewals-floor.sqlite").path
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        let server = try Bench.Server(db: path)
        _ = try PayoutBench.runJob(server, #"{"jsonrpc":"2.0","id":"warm","method":"system.health"}"#)
        let run = try PayoutBench.runJob(server, #"{"jsonrpc":"2.0","id":1,"method":"subscription.renewDue","params":{"actor":{"platform":"bench"},"asOf":"2026-02-10T00:00:00Z","progressToken":"bench"}}"#)
        server.finish()
        guard run.answer.contains("\"sales\":\(count)") else { throw ValidationError("renewDue answered \(run.answer.prefix(300))") }
        let subs = try DatabaseQueue(path: copy).read { try Row.fetchAll($0, sql: "SELECT id, partnerId, customerId FROM subscription ORDER BY periodEnd, seq") }
        let floor = try auditedRowsFloor(path: copy, count: count, perCommit: RenewalRun.batch, audits: 2, snapshot: 600) { db, i in
            let s = subs[i]
            let saleId = "sal_floor_\(i)"
            // The reads the run makes: the customer, the first sale of the plan (for the
            // subscription's month), then the writes.
            _ = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM customer WHERE id = ?"), arguments: [s[2] as String])
            _ = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(occurredAt) FROM sale WHERE customerSeq = (SELECT seq FROM customer WHERE id = ?) AND plan = 'pro'"), arguments: [s[2] as String])
            try db.cachedStatement(sql: """
                INSERT INTO sale (id, partnerSeq, resellerSeq, customerSeq, externalId, plan, kind, amount, currency, refunded, occurredAt, rulesRef, auditSeq, createdAt)
                VALUES (?, (SELECT seq FROM partner WHERE id = ?), NULL, (SELECT seq FROM customer WHERE id = ?), ?, 'pro', 'renewal', 9900, 'USD', 0, 1770249600000, 1, 0, 1770249600000)
                """).execute(arguments: [saleId, s[1] as String, s[2] as String, "\(s[0] as String)/2"])
            try db.cachedStatement(sql: """
                INSERT INTO commission (id, partnerSeq, beneficiary, resellerSeq, saleSeq, kind, amount, originalAmount, currency, status, payableAt, occurredAt,
                                        ruleRef, rulesRef, basis, reason, payoutId, createdAt, updatedAt)
                VALUES (?, (SELECT seq FROM partner WHERE id = ?), 'partner', NULL, (SELECT seq FROM sale WHERE id = ?), 'sale', 1485, 1485, 'USD', 'pending', 1772841600000, 1770249600000,
                        2, 1, '15%', NULL, NULL, 1770249600000, 1770249600000)
                """).execute(arguments: ["com_floor_\(i)", s[1] as String, saleId])
            try db.cachedStatement(sql: """
                UPDATE subscription SET period = 2, periodStart = '2026-02-05T00:00:00.000Z', periodEnd = '2026-03-05T00:00:00.000Z', lastSaleId = ?, updatedAt = 't'
                WHERE id = ? AND period = 1 AND status = 'active'
                """).execute(arguments: [saleId, s[0] as String])
        }
        print(String(format: "  subscription.renewDue, end to end: %.2f s (%d renewal sales, %d progress reports); SQLite alone, the same changes in the same batches: %.2f s (the engine at %.1fx)",
                     run.seconds, count, run.progress, floor, run.seconds / floor))
    }
}
