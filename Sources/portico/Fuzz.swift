import ArgumentParser
import Foundation
import GRDB
import JSONRPC
import PorticoCore
import PorticoServer
import PorticoStore

/// `portico fuzz`: a seeded, in-process fuzzer for the wire and for every method's params.
///
/// Params: each case takes a valid request of a random method (ids of the fuzzer's own
/// partners, members of every role, resellers, customers and sales, and of the other
/// partner's), then mutates it: values swapped for hostile ones (every class of code
/// point, NUL and controls, amounts near 2^53 and Int64's ends, fractions, instants at
/// the ends of time, wrong types, deep nesting), fields dropped or invented, actors of
/// other tenants. Wire: valid messages serialized and mutated byte by byte (flips,
/// insertions, truncations, splices, duplicate keys, NaN, stray headers, wrong
/// Content-Length), fed through the real framing and connection.
///
/// Every answer must be a well-formed JSON-RPC response with a known code, never -32603;
/// -32602 names its field; a request that fails leaves the database exactly as it was;
/// the audit chain verifies and SQLite's integrity check passes throughout. The same
/// seed makes the same cases: a failure prints its seed and case number, and
/// `--seed S --cases N --verbose` shows the case that failed.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fuzz the wire and every method's params in process; exit 1 on the first broken invariant.")

    @Option(help: "Stop after this many seconds.")
    var seconds = 60.0

    @Option(help: "Stop after this many cases (0: no limit).")
    var cases = 0

    @Option(help: "Seed of the case generator.")
    var seed: UInt64 = 1

    @Flag(help: "Print every case before running it (to stderr).")
    var verbose = false

    func run() throws {
        StandardStreams.ignoreSIGPIPE()
        var fuzzer = try Fuzzer(seed: seed, verbose: verbose)
        let deadline = Date().addingTimeInterval(seconds)
        var n = 0
        while Date() < deadline && (cases == 0 || n < cases) {
            n += 1
            if let failure = fuzzer.runCase(n) {
                FileHandle.standardError.write(Data("portico fuzz: seed \(seed), case \(n): \(failure) (its database: \(fuzzer.dir.path))\n".utf8))
                throw ExitCode(1)
            }
            if n % 500 == 0, let failure = fuzzer.checkStore() {
                FileHandle.standardError.write(Data("portico fuzz: seed \(seed), after case \(n): \(failure) (its database: \(fuzzer.dir.path))\n".utf8))
                throw ExitCode(1)
            }
        }
        if let failure = fuzzer.checkStore() {
            FileHandle.standardError.write(Data("portico fuzz: seed \(seed), at the end: \(failure) (its database: \(fuzzer.dir.path))\n".utf8))
            throw ExitCode(1)
        }
        print("portico fuzz: seed \(seed): \(n) cases (\(fuzzer.wireCases) wire, \(n - fuzzer.wireCases) params), "
              + "\(fuzzer.results) results, \(fuzzer.errors) errors, no invariant broken")
        // A run that broke nothing leaves nothing behind (its database grows to hundreds of
        // megabytes); a failing one keeps it, named above, to look into.
        fuzzer.engine.close()
        try? FileManager.default.removeItem(at: fuzzer.dir)
    }
}

struct Fuzzer {
    var rng: SplitMix64
    let verbose: Bool
    let engine: Engine
    /// The store under the engine, read directly to check it after each case.
    let sqlite: SQLiteStore
    let dir: URL
    var wireCases = 0, results = 0, errors = 0
    /// Ids the cases draw from: both partners' and a few that name nothing.
    var partners: [String] = [], members: [String] = [], resellers: [String] = [], customers: [String] = []
    var sales: [String] = [], payouts: [String] = [], clients: [(id: String, secret: String)] = [], tokens: [String] = [], subscriptions: [String] = []
    var nextId: Int64 = 1

    static let knownCodes: Set<Int> = [-32700, -32600, -32601, -32602, -32800, -32001, -32003, -32004, -32009, -32010, -32029, -32030]

    init(seed: UInt64, verbose: Bool) throws {
        rng = SplitMix64(state: seed)
        self.verbose = verbose
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("portico-fuzz-\(getpid())-\(seed)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: dir.appendingPathComponent("fuzz.sqlite").path)
        sqlite = store
        engine = try Engine(options: .init(databasePath: store.path, openStore: { _ in store },
                                           clock: ClockSpec.parse("step:2027-01-01T00:00:00Z,1s")!, seed: seed))
        try setUp()
    }

    // MARK: the tenants every case draws from

    mutating func setUp() throws {
        let platform: JSONValue = ["platform": "ops"]
        for (k, region) in ["eu", "us"].enumerated() {
            let p = try must("partner.create", ["actor": platform, "name": .string("P\(k)"), "subdomain": .string("p\(k)"),
                                                "region": .string(region), "owner": ["email": .string("o@p\(k).example"), "name": "O"]])
            let partner = p["id"]!.stringValue!
            partners.append(partner)
            members.append(p["owner"]!["id"]!.stringValue!)
            for role in ["manager", "sales", "support", "viewer"] {
                members.append(try must("partner.members.add", ["actor": platform, "partnerId": .string(partner),
                                                                "email": .string("\(role)@p\(k).example"), "name": "M", "role": .string(role)])["id"]!.stringValue!)
            }
            let r = try must("reseller.create", ["actor": platform, "partnerId": .string(partner), "name": "R", "email": "r@r.example",
                                                 "region": .string(region), "commissionRate": "12.5"])["id"]!.stringValue!
            resellers.append(r)
            for (j, country) in ["DE", "US", "JP", "BH"].enumerated() {
                var c: JSONObject = ["actor": platform, "partnerId": .string(partner), "name": "C", "email": .string("c\(j)@c.example"),
                                     "country": .string(country)]
                if j % 2 == 1 { c["resellerId"] = .string(r) }
                let customer = try must("customer.create", .object(c))["id"]!.stringValue!
                customers.append(customer)
                sales.append(try must("sale.record", ["actor": platform, "customerId": .string(customer), "plan": "pro", "kind": "new",
                                                      "occurredAt": "2026-12-01T10:00:00Z", "externalId": .string("setup-\(k)-\(j)")])["sale"]!["id"]!.stringValue!)
            }
            // Payouts in every state the cases move them from.
            _ = try must("payout.account.set", ["actor": platform, "partnerId": .string(partner), "method": "stripe",
                                                "destination": "acct_0123456789abcdefXYZ"])
            _ = try must("payout.schedule", ["actor": platform, "partnerId": .string(partner), "cadence": "monthly", "day": 1])
            for _ in 0..<3 {
                _ = try must("commission.create", ["actor": platform, "partnerId": .string(partner), "reason": "bonus",
                                                   "amount": ["amount": 10_000, "currency": "USD"]])
                payouts.append(try must("payout.create", ["actor": platform, "partnerId": .string(partner), "currency": "USD"])["id"]!.stringValue!)
            }
            _ = try must("payout.process", ["actor": platform, "payoutId": .string(payouts[payouts.count - 2])])
            _ = try must("payout.process", ["actor": platform, "payoutId": .string(payouts[payouts.count - 1])])
            _ = try must("payout.complete", ["actor": platform, "payoutId": .string(payouts[payouts.count - 1]), "providerReference": "tr_1"])
            subscriptions.append(try must("subscription.create", ["actor": platform, "customerId": .string(customers[customers.count - 4]),
                                                                  "plan": "pro", "interval": "month", "startAt": "2026-10-31T09:00:00Z"])["subscription"]!["id"]!.stringValue!)
            let client = try must("oauth.client.create", ["actor": platform, "partnerId": .string(partner), "name": "C",
                                                          "scopes": ["sales:read", "customers:read", "customers:write", "commissions:read",
                                                                     "subscriptions:read", "subscriptions:write", "usage:read", "usage:write", "tokens:introspect"]])
            clients.append((client["client"]!["id"]!.stringValue!, client["clientSecret"]!.stringValue!))
            tokens.append(try must("oauth.token", ["grantType": "client_credentials", "clientId": client["client"]!["id"]!,
                                                   "clientSecret": client["clientSecret"]!])["accessToken"]!.stringValue!)
        }
    }

    mutating func must(_ method: String, _ params: JSONValue) throws -> JSONValue {
        nextId += 1
        guard case .result(let r) = engine.call(method, params, id: nextId) else {
            throw ValidationError("fuzz set-up: \(method) failed")
        }
        return r
    }

    // MARK: cases

    mutating func runCase(_ n: Int) -> String? {
        if Int.random(in: 0..<4, using: &rng) == 0 {
            wireCases += 1
            return wireCase()
        }
        return paramsCase()
    }

    /// One request, its params mutated; the database must not change when it fails.
    mutating func paramsCase() -> String? {
        let (method, params) = template()
        var mutated = params
        let rounds = Int.random(in: 0...3, using: &rng)
        for _ in 0..<rounds { mutated = mutate(mutated, depth: 0) }
        nextId += 1
        let id: RequestID = Int.random(in: 0..<20, using: &rng) == 0 ? .string(randomString()) : .integer(nextId)
        if verbose { FileHandle.standardError.write(Data("\(method) \(JSONWriter.string(mutated))\n".utf8)) }
        let before = fingerprint()
        let outcome = engine.handle([Call(id: id, method: method, params: mutated)], control: .detached())[0]!
        switch outcome {
        case .result, .encoded:
            results += 1
            return nil
        case .error(let e):
            errors += 1
            if let problem = Self.check(e) { return "\(method) \(JSONWriter.string(mutated)): \(problem)" }
            if fingerprint() != before { return "\(method) \(JSONWriter.string(mutated)) failed (\(e.code)) but changed the database" }
            return nil
        }
    }

    static func check(_ e: RPCError) -> String? {
        guard knownCodes.contains(e.code) else { return "error code \(e.code): \(e.message)" }
        if e.code == RPCError.invalidParamsCode, e.data?["field"]?.stringValue == nil { return "-32602 without a field: \(e.message)" }
        return nil
    }

    /// Counts of every table and the audit head: equal before and after a failed request.
    func fingerprint() -> [Int64] {
        (try? sqlite.writer.read { db in
            try Array(Row.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM partner), (SELECT count(*) FROM member), (SELECT count(*) FROM reseller),
                       (SELECT count(*) FROM customer), (SELECT count(*) FROM sale), (SELECT count(*) FROM commission),
                       (SELECT count(*) FROM audit), (SELECT count(*) FROM idempotency),
                       (SELECT coalesce(sum(refunded), 0) FROM sale), (SELECT coalesce(sum(amount), 0) FROM commission)
                """)!.databaseValues.map { Int64.fromDatabaseValue($0) ?? -1 })
        }) ?? []
    }

    /// The audit chain verifies, SQLite finds nothing wrong, every foreign key holds, the
    /// running totals equal the ledger.
    func checkStore() -> String? {
        if case .result(let r) = engine.call("audit.verify", ["actor": ["platform": "ops"]], id: 0), r["ok"] != true {
            return "audit.verify: \(JSONWriter.string(r))"
        }
        do {
            return try sqlite.writer.read { db -> String? in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                if integrity != ["ok"] { return "integrity_check: \(integrity)" }
                if try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") != nil { return "a foreign key does not hold" }
                return try RunningTotals.mismatch(db)
            }
        } catch { return "reading the store: \(error)" }
    }

    /// Bytes of valid messages, mutated, through framing, decoding and the engine.
    mutating func wireCase() -> String? {
        var stream: [UInt8] = []
        let lsp = Bool.random(using: &rng)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let (method, params) = template()
            nextId += 1
            var message = JSONWriter.bytes(["jsonrpc": "2.0", "id": .integer(nextId), "method": .string(method), "params": params])
            if Int.random(in: 0..<3, using: &rng) > 0 { message = mutateBytes(message) }
            if lsp {
                if Int.random(in: 0..<6, using: &rng) == 0 {
                    stream += Array("Content-Length: \(max(0, message.count + Int.random(in: -3...3, using: &rng)))\r\n\r\n".utf8)
                    stream += message
                } else {
                    Framing.contentLength.frame(message, into: &stream)
                }
                if Int.random(in: 0..<8, using: &rng) == 0 { stream += Array(["X-Trace\r\n", "Content-Length : 2\r\n\r\n{}", "\r\n"].randomElement(using: &rng)!.utf8) }
            } else {
                Framing.newlineDelimited.frame(message, into: &stream)
            }
        }
        if verbose { FileHandle.standardError.write(Data("wire \(stream.count) bytes: \(String(decoding: stream.prefix(400), as: UTF8.self))\n".utf8)) }
        let path = dir.appendingPathComponent("wire").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(stream))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let sink = BufferSink()
        Connection(input: fd, output: sink, handler: engine, limits: MessageLimits(maxMessageBytes: 1 << 16)).run()
        let answers: [JSONValue]
        do { answers = try PorticoServer.Replay.messages(sink.bytes) } catch {
            return "the answers are not well-formed JSON-RPC: \(error) in \(String(decoding: sink.bytes.prefix(300), as: UTF8.self))"
        }
        for answer in answers {
            for response in answer.arrayValue ?? [answer] {
                // A long request's progress: a notification, with its token and counts.
                if answer.arrayValue == nil, response["method"] == "$/progress", response["id"] == nil,
                   response["params"]?["value"]?["done"]?.integerValue != nil { continue }
                guard response["jsonrpc"] == "2.0", response["id"] != nil, (response["result"] == nil) != (response["error"] == nil) else {
                    return "not a JSON-RPC response: \(JSONWriter.string(response))"
                }
                if let e = response["error"] {
                    errors += 1
                    let error = RPCError(code: Int(e["code"]?.integerValue ?? 0), message: e["message"]?.stringValue ?? "", data: e["data"])
                    if let problem = Self.check(error) { return "wire: \(problem)" }
                } else {
                    results += 1
                }
            }
        }
        return nil
    }

    // MARK: generators

    mutating func pick<T>(_ items: [T]) -> T { items.randomElement(using: &rng)! }

    /// An id: one of the fuzzer's (either tenant), or one that names nothing.
    mutating func anyId(_ pool: [String]) -> JSONValue {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .string(pick(["ptr_00000000000000000000", "", "x", pick(pool) + "\u{0}", pick(members)]))
        default: return .string(pick(pool))
        }
    }

    mutating func actor() -> JSONValue {
        Int.random(in: 0..<3, using: &rng) == 0 ? ["platform": .string(pick(["ops", "ops-b"]))] : ["member": .string(pick(members))]
    }

    mutating func range(_ o: inout JSONObject) {
        if Bool.random(using: &rng) { o["from"] = .string(pick(["2026-01-01", "2026-12-01T10:00:00Z", "0001-01-01", "9999-12-31"])) }
        if Bool.random(using: &rng) { o["to"] = .string(pick(["2027-12-31", "2026-12-02T00:00:00+01:00", "9999-12-31T23:59:59.999Z"])) }
    }

    /// A valid request of a random method.
    mutating func template() -> (String, JSONValue) {
        let a = actor()
        let partner = anyId(partners), reseller = anyId(resellers), customer = anyId(customers), member = anyId(members)
        let k = Int.random(in: 0..<1_000_000, using: &rng)
        var o: JSONObject = ["actor": a]
        let method = pick([
            "partner.create", "partner.get", "partner.getBySubdomain", "partner.update", "partner.list", "partner.dashboard",
            "partner.report", "partner.members.add", "partner.members.list", "partner.members.updateRole", "partner.members.remove",
            "partner.freeze", "partner.suspend", "partner.activate", "reseller.create", "reseller.get", "reseller.update",
            "reseller.list", "reseller.report", "customer.create", "customer.get", "customer.list", "sale.record", "sale.refund",
            "commission.create", "commission.list", "commission.summary", "audit.list", "audit.verify", "rules.validate",
            "rules.explain", "rules.test", "pricing.quote", "system.health", "rpc.discover", "payout.account.set", "payout.account.get",
            "payout.schedule", "payout.create", "payout.runScheduled", "payout.process", "payout.complete", "payout.fail", "payout.cancel",
            "payout.webhook", "payout.get", "payout.list", "payout.statement", "oauth.client.create", "oauth.client.list",
            "oauth.client.revoke", "oauth.client.rotateSecret", "oauth.token", "oauth.revoke", "oauth.introspect",
            "api.customer.register", "api.customer.get", "api.customer.list", "api.commissions.list", "sale.list", "subscription.create",
            "subscription.get", "subscription.list", "subscription.cancel", "subscription.renewDue", "api.sales.list",
            "api.subscription.create", "api.subscription.get", "api.subscription.list", "api.subscription.cancel",
            "usage.get", "usage.close", "api.usage.record", "api.usage.get",
        ])
        switch method {
        case "partner.create":
            o["name"] = .string("N\(k)"); o["subdomain"] = .string("s\(k)"); o["region"] = .string(pick(["eu", "us", "jp"]))
            o["owner"] = ["email": .string("o\(k)@x.example"), "name": "O"]
        case "partner.get", "partner.dashboard", "partner.members.list", "reseller.list", "commission.summary":
            o["partnerId"] = partner
            if method == "partner.dashboard" || method == "commission.summary" { range(&o) }
        case "partner.getBySubdomain": o["subdomain"] = .string(pick(["p0", "p1", "P0", "none"]))
        case "partner.update":
            o["partnerId"] = partner; o["name"] = .string("U\(k)")
            if Bool.random(using: &rng) { o["tier"] = .string(pick(["gold", "silver", "standard"])) }
        case "partner.list": if Bool.random(using: &rng) { o["status"] = "active" }
        case "partner.report":
            o["partnerId"] = partner; o["period"] = .string(pick(["daily", "monthly"])); o["from"] = "2026-11-01"; o["to"] = "2027-01-31"
        case "partner.members.add":
            o["partnerId"] = partner; o["email"] = .string("m\(k)@x.example"); o["name"] = "M"
            o["role"] = .string(pick(["manager", "sales", "support", "viewer"]))
        case "partner.members.updateRole": o["memberId"] = member; o["role"] = .string(pick(["manager", "sales", "owner", "viewer"]))
        case "partner.members.remove": o["memberId"] = member
        case "partner.freeze", "partner.suspend", "partner.activate": o["partnerId"] = partner; o["reason"] = "review"
        case "reseller.create":
            o["partnerId"] = partner; o["name"] = "R"; o["email"] = .string("r\(k)@x.example"); o["region"] = "eu"
            if Bool.random(using: &rng) { o["commissionRate"] = .string(pick(["10", "40", "12.5"])) }
        case "reseller.get", "reseller.report":
            o["resellerId"] = reseller
            if method == "reseller.report" { range(&o) }
        case "reseller.update": o["resellerId"] = reseller; o["name"] = .string("R\(k)")
        case "customer.create":
            o["partnerId"] = partner; o["name"] = "C"; o["email"] = .string("c\(k)@x.example"); o["country"] = .string(pick(["DE", "us", "JP"]))
            if Bool.random(using: &rng) { o["resellerId"] = reseller }
        case "customer.get": o["customerId"] = customer
        case "customer.list": o["partnerId"] = partner
        case "sale.record":
            o["customerId"] = customer; o["plan"] = .string(pick(["pro", "starter", "enterprise"])); o["kind"] = .string(pick(["new", "renewal", "upgrade"]))
            o["occurredAt"] = .string(pick(["2027-01-01T10:00:00Z", "2026-12-31T23:59:60Z", "2027-02-28T12:00:00+05:00"]))
            o["externalId"] = .string("e\(k % 50)")
            if Bool.random(using: &rng) { o["amount"] = ["amount": .integer(pick([1, 9900, 1 << 53, 1 << 52])), "currency": .string(pick(["USD", "EUR", "bhd"]))] }
        case "sale.refund":
            o["saleId"] = anyId(sales); o["reason"] = "refund"
            if Bool.random(using: &rng) { o["amount"] = ["amount": .integer(pick([1, 100, 1 << 53])), "currency": "USD"] }
        case "commission.create":
            o["partnerId"] = partner; o["reason"] = "adj"
            o["amount"] = ["amount": .integer(pick([1, -1, 1 << 53, -(1 << 53)])), "currency": "USD"]
        case "commission.list": o["partnerId"] = partner; range(&o)
        case "audit.list": if Bool.random(using: &rng) { o["partnerId"] = partner }; range(&o)
        case "audit.verify", "rules.test": break
        case "rules.validate":
            if Bool.random(using: &rng) { o["files"] = ["commission.yaml": .string(pick(["version: 1\nhit: first\nrules: []\n", "rules: [[[", "x: \"\\0\""]))] }
        case "rules.explain":
            o["kind"] = "commission"
            o["input"] = ["sale.amount": .integer(pick([100, 1 << 53])), "sale.currency": "USD", "seller.kind": "reseller",
                          "reseller.commissionRate": .string(pick(["40", "100", "-5", "1e3"]))]
        case "payout.account.set":
            o["partnerId"] = partner; o["method"] = .string(pick(["stripe", "paypal", "manual"]))
            o["destination"] = .string(pick(["acct_0123456789abcdefXYZ", "pay@p.example", "ABCDEFGHJKLMN", "bank ref 1"]))
            if Bool.random(using: &rng) { o["currency"] = .string(pick(["USD", "eur", "JPY"])) }
        case "payout.account.get": o["partnerId"] = partner
        case "payout.schedule":
            o["partnerId"] = partner; o["cadence"] = .string(pick(["weekly", "monthly", "manual"]))
            if Int.random(in: 0..<3, using: &rng) > 0 { o["day"] = .integer(pick([1, 5, 7, 28, 31])) }
        case "payout.create":
            o["partnerId"] = partner; o["currency"] = .string(pick(["USD", "EUR", "JPY", "CHF"]))
        case "payout.runScheduled":
            if Bool.random(using: &rng) { o["asOf"] = .string(pick(["2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "9999-01-01T00:00:00Z"])) }
            if Bool.random(using: &rng) { o["progressToken"] = .string("t\(k)") }
        case "payout.process", "payout.cancel", "payout.get", "payout.statement": o["payoutId"] = anyId(payouts)
        case "payout.complete": o["payoutId"] = anyId(payouts); o["providerReference"] = .string(pick(["tr_1", "tr_\(k)"]))
        case "payout.fail": o["payoutId"] = anyId(payouts); o["reason"] = "declined"
        case "payout.list":
            if Bool.random(using: &rng) { o["partnerId"] = partner }
            if Bool.random(using: &rng) { o["status"] = .string(pick(["created", "paid", "failed"])) }
            range(&o)
        case "payout.webhook":
            o["provider"] = .string(pick(["stripe", "paypal"])); o["payload"] = .string(#"{"id":"evt_1","type":"transfer.created"}"#)
            o["signatureHeader"] = .string(pick(["t=1798761600,v1=00", "garbage"])); o["receivedAt"] = "2027-01-01T00:00:00Z"
        case "oauth.client.create":
            o["partnerId"] = partner; o["name"] = .string("C\(k)"); o["scopes"] = [.string(pick(["sales:read", "usage:read", "admin"]))]
        case "oauth.client.list": o["partnerId"] = partner
        case "oauth.client.revoke", "oauth.client.rotateSecret":
            o["clientId"] = anyId(clients.map(\.id))
            if method == "oauth.client.rotateSecret", Bool.random(using: &rng) { o["graceSeconds"] = .integer(pick([0, 60, 86_400, 86_401])) }
        case "oauth.token":
            let c = pick(clients)
            o = ["grantType": .string(pick(["client_credentials", "password"])), "clientId": .string(c.id),
                 "clientSecret": .string(pick([c.secret, c.secret + "x", ""]))]
            if Bool.random(using: &rng) { o["scope"] = .string(pick(["sales:read", "usage:read", " ", "sales:read sales:read"])) }
        case "sale.list":
            o["partnerId"] = partner
            if Bool.random(using: &rng) { o["customerId"] = customer }
            if Bool.random(using: &rng) { o["kind"] = .string(pick(["new", "renewal", "usage", "gift"])) }
            range(&o)
        case "subscription.create":
            o["customerId"] = customer; o["plan"] = .string(pick(["pro", "starter", "none"])); o["interval"] = .string(pick(["month", "year", "week"]))
            if Bool.random(using: &rng) { o["startAt"] = .string(pick(["2026-01-31T00:00:00Z", "2027-03-01T00:00:00Z", "0001-01-01T00:00:00Z"])) }
        case "subscription.get": o["subscriptionId"] = anyId(subscriptions)
        case "subscription.list":
            if Bool.random(using: &rng) { o["partnerId"] = partner } else { o["customerId"] = customer }
            if Bool.random(using: &rng) { o["status"] = .string(pick(["active", "cancelled", "paused"])) }
        case "subscription.cancel": o["subscriptionId"] = anyId(subscriptions); o["atPeriodEnd"] = .bool(Bool.random(using: &rng))
        case "subscription.renewDue":
            if Bool.random(using: &rng) { o["asOf"] = .string(pick(["2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "9999-01-01T00:00:00Z"])) }
            if Bool.random(using: &rng) { o["progressToken"] = .string("t\(k)") }
        case "usage.get":
            o["partnerId"] = partner; o["groupBy"] = .string(pick(["day", "meter", "customer", "hour"]))
            if Bool.random(using: &rng) { o["from"] = .string(pick(["2026-11-01", "2026-11-01T10:00:00Z"])) }
        case "usage.close":
            if Bool.random(using: &rng) { o["asOf"] = .string(pick(["2027-01-01T00:00:00Z", "2026-12-01T00:00:00Z", "9999-01-01T00:00:00Z"])) }
            if Bool.random(using: &rng) { o["progressToken"] = .string("t\(k)") }
        case "api.customer.register", "api.customer.get", "api.customer.list", "api.commissions.list", "api.sales.list",
             "api.subscription.create", "api.subscription.get", "api.subscription.list", "api.subscription.cancel",
             "api.usage.record", "api.usage.get":
            o = ["accessToken": .string(pick(tokens + ["portico_at_forged"]))]
            switch method {
            case "api.usage.record":
                o["events"] = .array((0..<Int.random(in: 1...5, using: &rng)).map { i in
                    ["eventId": .string("u\(k % 40)-\(i)"), "customerId": customer,
                     "meter": .string(pick(["gpu-h100-hours", "llm-tokens", "storage-gb-months", "none"])),
                     "quantity": pick([.string("1.5"), .string("0.000001"), .integer(1 << 53), .number("2.25"), .string("-1"), .string("1e3")]),
                     "occurredAt": .string(pick(["2026-12-15T10:00:00Z", "2026-11-30T23:59:59.999Z", "2027-02-01T00:00:00Z"]))]
                })
            case "api.usage.get":
                o["groupBy"] = .string(pick(["day", "meter", "customer"]))
                if Bool.random(using: &rng) { o["meter"] = "llm-tokens" }
            case "api.sales.list":
                if Bool.random(using: &rng) { o["kind"] = .string(pick(["new", "renewal", "gift"])) }
                range(&o)
            case "api.subscription.create":
                o["customerId"] = customer; o["plan"] = .string(pick(["pro", "enterprise"])); o["interval"] = .string(pick(["month", "year", "day"]))
            case "api.subscription.get": o["subscriptionId"] = anyId(subscriptions)
            case "api.subscription.list": if Bool.random(using: &rng) { o["status"] = "active" }
            case "api.subscription.cancel": o["subscriptionId"] = anyId(subscriptions); o["atPeriodEnd"] = .bool(Bool.random(using: &rng))
            case "api.customer.register":
                o["name"] = "C"; o["email"] = .string("api\(k)@x.example"); o["country"] = .string(pick(["DE", "US", "XX"]))
            case "api.customer.get": o["customerId"] = anyId(customers)
            case "api.commissions.list": o["status"] = .string(pick(["payable", "paid", "nope"])); range(&o)
            default: break
            }
        case "oauth.revoke": o = ["token": .string(pick(tokens + ["portico_at_x", ""]))]
        case "oauth.introspect":
            o["token"] = .string(pick(tokens + ["portico_at_x"]))
            if Bool.random(using: &rng), let c = clients.randomElement(using: &rng) {
                // A resource server's client instead of an actor (right secret or not, or both named).
                if Bool.random(using: &rng) { o["actor"] = nil }
                o["clientId"] = .string(c.id); o["clientSecret"] = .string(pick([c.secret, c.secret + "x"]))
            }
        case "pricing.quote":
            o = ["plan": .string(pick(["pro", "none"])), "country": .string(pick(["DE", "jp", "XX", "BR"]))]
        default:
            o = [:]
        }
        return (method, .object(o))
    }

    /// One change to a params object: a value replaced, a field dropped or invented.
    mutating func mutate(_ v: JSONValue, depth: Int) -> JSONValue {
        guard case .object(var o) = v, !o.isEmpty else { return hostileValue(depth: depth) }
        let keys = o.keys
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: o[pick(keys)] = nil
        case 1: o[pick(["extra", "idempotencyKey", "cursor", "limit", "actor", "amount", "é", "e\u{301}"])] = hostileValue(depth: depth)
        case 2...3:
            let key = pick(keys)
            o[key] = mutate(o[key]!, depth: depth + 1)
        default: o[pick(keys)] = hostileValue(depth: depth)
        }
        return .object(o)
    }

    static let scalars: [Unicode.Scalar] = [
        "a", "Z", "7", " ", "-", "é", "\u{301}", "株", "😀", "\u{200D}", "ע", "\u{0}", "\u{1}", "\u{9}", "\u{A}", "\u{7F}",
        "\u{85}", "\u{202E}", "\u{2028}", "\u{200B}", "\u{FEFF}", "\u{E000}", "\u{FFFF}", "\u{212A}",
    ]

    mutating func randomString() -> String {
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return pick(["", " ", "2027-01-01", "9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "2016-12-31T23:59:60Z",
                             "USD", "usd", "XX", "gold", "platinun", "12.5", "1e3", "NaN", String(repeating: "x", count: 300)])
        case 1: return pick(partners + members + resellers + customers + sales)
        default:
            let n = Int.random(in: 0...12, using: &rng)
            return String(String.UnicodeScalarView((0..<n).map { _ in pick(Self.scalars) }))
        }
    }

    mutating func hostileValue(depth: Int) -> JSONValue {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer(pick([0, 1, -1, 1 << 53, (1 << 53) + 1, -(1 << 53), .max, .min, 100, 1001]))
        case 3: return .number(pick(["1.5", "1e3", "-0.0", "99999999999999999999", "1E-400"]))
        case 4 where depth < 6:
            return .array((0..<Int.random(in: 0...3, using: &rng)).map { _ in hostileValue(depth: depth + 1) })
        case 5 where depth < 6:
            return ["amount": hostileValue(depth: depth + 1), "currency": .string(pick(["USD", "usd", "XXX", ""]))]
        case 6 where depth < 6:
            return ["platform": .string(randomString())]
        default: return .string(randomString())
        }
    }

    /// Byte-level damage to one serialized message.
    mutating func mutateBytes(_ message: [UInt8]) -> [UInt8] {
        var m = message
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !m.isEmpty else { break }
            let i = Int.random(in: 0..<m.count, using: &rng)
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: m[i] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: m.insert(pick([0x00, 0x0A, 0x22, 0x5C, 0x7B, 0x5D, 0xFF, 0xC0, 0xED]), at: i)
            case 2: m.removeSubrange(i..<min(m.count, i + Int.random(in: 1...8, using: &rng)))
            case 3: m = Array(m[..<i])
            case 4: m.insert(contentsOf: Array(pick(["NaN", "\\u0000", "\\ud800", ",\"id\":2", "[[[[", "{\"a\":1,\"a\":2}", "1e999"]).utf8), at: i)
            case 5: m.insert(contentsOf: m[i..<min(m.count, i + 16)], at: i)
            case 6: m = Array(m[i...]) + Array(m[..<i])
            default: m.insert(contentsOf: Array("\r\nContent-Length: 5\r\n\r\n".utf8), at: i)
            }
        }
        return m
    }
}
