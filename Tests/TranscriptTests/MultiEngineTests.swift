import Foundation
import JSONRPC
import PorticoPostgres
import Testing

/// Four engines on one PostgreSQL database, each pipelining sales, refunds, usage, payouts
/// and renewals for the same partners, while engines are killed (SIGKILL) at random and
/// started again. Afterwards: every acknowledged write is there exactly once, the running
/// totals agree with the ledger, no entry is in two payouts and each payout sums its lines,
/// and the audit chain verifies. `PORTICO_SOAK_SECONDS` sets the load's length (60).
@Suite(.enabled(if: TranscriptTests.postgres != nil, "needs PORTICO_TEST_POSTGRES"))
struct MultiEngineTests {
    @Test func fourEnginesWithKillsKeepEveryAcknowledgedWriteOnce() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["PORTICO_SOAK_SECONDS"] ?? "") ?? 60
        // A killed engine's stdin is a broken pipe: a write to it must fail, not end the tests.
        signal(SIGPIPE, SIG_IGN)
        let database = try PGDatabase(PGDatabase.name("portico_soak"), on: TranscriptTests.postgres!)
        defer { try? database.drop() }
        let url = database.url

        // The partners, their customers, payout accounts, subscriptions and a usage token.
        let setup = try EngineProcess(url: url)
        var partners: [(id: String, customers: [String], token: String)] = []
        for p in 0..<2 {
            let partner = try setup.call("partner.create", #"{"actor":{"platform":"ops"},"name":"Soak \#(p)","subdomain":"soak\#(p)","region":"eu","owner":{"email":"o@soak\#(p).example","name":"O"}}"#)
            let pid = partner["id"]!.stringValue!
            _ = try setup.call("payout.account.set", #"{"actor":{"platform":"ops"},"partnerId":"\#(pid)","method":"manual","destination":"bank \#(p)"}"#)
            var customers: [String] = []
            for c in 0..<8 {
                let customer = try setup.call("customer.create", #"{"actor":{"platform":"ops"},"partnerId":"\#(pid)","name":"C\#(c)","email":"c\#(c)@soak\#(p).example","country":"DE"}"#)
                customers.append(customer["id"]!.stringValue!)
                _ = try setup.call("subscription.create", #"{"actor":{"platform":"ops"},"customerId":"\#(customers.last!)","plan":"pro","interval":"month","startAt":"2024-01-15T00:00:00Z"}"#)
            }
            let client = try setup.call("oauth.client.create", #"{"actor":{"platform":"ops"},"partnerId":"\#(pid)","name":"Meter","scopes":["usage:write"]}"#)
            let token = try setup.call("oauth.token", #"{"grantType":"client_credentials","clientId":"\#(client["client"]!["id"]!.stringValue!)","clientSecret":"\#(client["clientSecret"]!.stringValue!)"}"#)
            partners.append((pid, customers, token["access_token"]?.stringValue ?? token["accessToken"]!.stringValue!))
        }
        setup.stop()
        let load = partners

        let ledger = Ledger()
        let deadline = Date().addingTimeInterval(seconds)
        let slots = (0..<4).map { Slot(index: $0, url: url) }
        let done = DispatchGroup()
        for slot in slots {
            done.enter()
            Thread {
                slot.drive(partners: load, ledger: ledger, until: deadline)
                done.leave()
            }.start()
        }
        // kill -9 of a random engine every few seconds, mid-write.
        var kills = 0
        while Date() < deadline.addingTimeInterval(-3) {
            Thread.sleep(forTimeInterval: Double.random(in: 2...5))
            slots.randomElement()!.kill()
            kills += 1
        }
        done.wait()
        #expect(kills >= 1)
        #expect(ledger.sales.count > 100, "too little load to mean anything: \(ledger.sales.count) sales acknowledged")

        // Every acknowledged write is there, once; a write sent but never answered may be
        // there or not (its engine died after or before the commit).
        let db = try PGConnection(url: url)
        let stored = try db.query("SELECT external_id, count(*) FROM sale GROUP BY external_id")
        var saleCounts: [String: Int64] = [:]
        for i in 0..<stored.count { saleCounts[stored.text(i, 0)!] = stored.int(i, 1)! }
        #expect(saleCounts.values.allSatisfy { $0 == 1 })
        let missingSales = ledger.sales.keys.filter { saleCounts[$0] == nil }
        #expect(missingSales.isEmpty, "acknowledged sales missing: \(missingSales.prefix(5))")
        let events = try db.query("SELECT event_id FROM usage_event")
        let storedEvents = Set((0..<events.count).map { events.text($0, 0)! })
        #expect(ledger.events.subtracting(storedEvents).isEmpty)
        for (saleId, acknowledged) in ledger.refunds {
            let refunded = try db.query("SELECT refunded FROM sale WHERE id = $1", [.text(saleId)]).int(0, 0) ?? -1
            #expect(refunded >= acknowledged && refunded <= acknowledged + (ledger.unansweredRefunds[saleId] ?? 0),
                    "sale \(saleId) refunded \(refunded), acknowledged \(acknowledged)")
        }
        let payouts = try db.query("SELECT id FROM payout")
        let storedPayouts = Set((0..<payouts.count).map { payouts.text($0, 0)! })
        #expect(ledger.payouts.subtracting(storedPayouts).isEmpty)

        // No entry in two payouts (a payout's lines are the entries naming it), each payout
        // the sum of its lines, and the running totals equal to the ledger's rows.
        let unbalanced = try db.query("""
            SELECT p.id FROM payout p LEFT JOIN commission c ON c.payout_id = p.id
            WHERE p.status IN ('created', 'processing', 'paid')
            GROUP BY p.id, p.amount, p.line_count HAVING coalesce(sum(c.amount), 0) != p.amount OR count(c.seq) != p.line_count
            """)
        #expect(unbalanced.count == 0)
        for check in [
            "SELECT partner_id, currency, sum(amount) FROM sale GROUP BY 1, 2 EXCEPT SELECT partner_id, currency, sum(amount) FROM sale_total GROUP BY 1, 2",
            "SELECT partner_id, currency, sum(refunded) FROM sale GROUP BY 1, 2 EXCEPT SELECT partner_id, currency, sum(refunded) FROM sale_total GROUP BY 1, 2",
            "SELECT partner_id, currency, status, sum(amount) FROM commission GROUP BY 1, 2, 3 EXCEPT SELECT partner_id, currency, status, sum(amount) FROM commission_rollup GROUP BY 1, 2, 3 HAVING sum(count) > 0",
            "SELECT currency, period, sum(amount), sum(refunded) FROM period_total WHERE level = 'y' GROUP BY 1, 2 EXCEPT SELECT currency, substr(occurred_at, 1, 4), sum(amount), sum(refunded) FROM sale GROUP BY 1, 2",
            "SELECT customer_id, meter, sum(units) FROM usage_event GROUP BY 1, 2 EXCEPT SELECT customer_id, meter, sum(units) FROM usage_total GROUP BY 1, 2",
        ] {
            #expect(try db.query(check).count == 0, "totals disagree with the ledger: \(check)")
        }

        // A stored sale nobody was told of is one whose answer was lost with its engine (or a
        // renewal's, `sub_...`): never one answered with an error.
        let untold = saleCounts.keys.filter { ledger.sales[$0] == nil && !$0.hasPrefix("sub_") }
        #expect(untold.allSatisfy { ledger.unansweredSales[$0] == "none" }, "stored though answered with an error: \(untold.filter { ledger.unansweredSales[$0] != "none" }.prefix(3))")
        // No period renewed twice: a subscription's sales are its periods, one each.
        let twice = try db.query("""
            SELECT s.id FROM subscription s
            WHERE s.period != (SELECT count(*) FROM sale WHERE partner_id = s.partner_id AND external_id LIKE s.id || '/%')
            """)
        #expect(twice.count == 0)
        let renewed = try db.query("SELECT count(*) FROM subscription WHERE period > 1").int(0, 0) ?? 0
        print("multi-engine load: \(seconds) s, \(kills) engines killed; acknowledged \(ledger.sales.count) sales, "
              + "\(ledger.refunds.values.filter { $0 > 0 }.count) sales refunded, \(ledger.events.count) usage events, \(ledger.payouts.count) payouts; "
              + "\(renewed) subscriptions renewed; stored \(saleCounts.count) sales, \(untold.count) of them unanswered")
        #expect(renewed > 0 && !ledger.payouts.isEmpty && !ledger.events.isEmpty && ledger.refunds.values.contains { $0 > 0 })

        let last = try EngineProcess(url: url)
        let verified = try last.call("audit.verify", #"{"actor":{"platform":"ops"}}"#)
        #expect(verified["ok"] == true, "\(verified)")
        last.stop()
    }
}

extension MultiEngineTests {
    /// Four engines racing for the same unique values: one wins, and the losers answer as
    /// on SQLite — `-32009` on the field for a subdomain, the first answer for a sale's
    /// external id and for an idempotency key.
    @Test func enginesRacingForTheSameKeyAnswerAsOneEngineWould() throws {
        let database = try PGDatabase(PGDatabase.name("portico_race"), on: TranscriptTests.postgres!)
        defer { try? database.drop() }
        let url = database.url
        let engines = try (0..<4).map { _ in try EngineProcess(url: url) }
        defer { engines.forEach { $0.stop() } }
        final class Answers: @unchecked Sendable { var values: [JSONValue?] = Array(repeating: nil, count: 4); let lock = NSLock() }
        var n = 0
        func race(_ line: String) -> (results: [JSONValue?], errors: [JSONValue?]) {
            let answers = Answers()
            n += 1
            let ids = (0..<4).map { "race-\(n)-\($0)" }
            DispatchQueue.concurrentPerform(iterations: 4) { k in
                engines[k].send([line.replacingOccurrences(of: "RACE_ID", with: ids[k])])
                let a = engines[k].answers([ids[k]], timeout: 30)[ids[k]] ?? nil
                answers.lock.withLock { answers.values[k] = a ?? nil }
            }
            return (answers.values, (0..<4).map { engines[$0].error(of: ids[$0]) })
        }
        for round in 0..<5 {
            let (created, refusals) = race(#"{"jsonrpc":"2.0","id":"RACE_ID","method":"partner.create","params":{"actor":{"platform":"ops"},"name":"R","subdomain":"race\#(round)","region":"eu","owner":{"email":"o@race.example","name":"O"}}}"#)
            #expect(created.compactMap { $0 }.count == 1, "one engine creates the partner, the others are refused")
            #expect(refusals.compactMap { $0 }.count == 3
                    && refusals.compactMap { $0 }.allSatisfy { $0["code"] == -32009 && $0["data"]?["field"] == "subdomain" })
            let partner = created.compactMap { $0 }.first!["id"]!.stringValue!
            let keyed = race(#"{"jsonrpc":"2.0","id":"RACE_ID","method":"customer.create","params":{"actor":{"platform":"ops"},"partnerId":"\#(partner)","name":"C","email":"c@race.example","country":"DE","idempotencyKey":"k-\#(round)"}}"#).results
            #expect(keyed.allSatisfy { $0 != nil } && Set(keyed.map { $0!["id"]!.stringValue! }).count == 1, "every engine answers the first result")
            let customer = keyed[0]!["id"]!.stringValue!
            let sold = race(#"{"jsonrpc":"2.0","id":"RACE_ID","method":"sale.record","params":{"actor":{"platform":"ops"},"customerId":"\#(customer)","plan":"pro","kind":"new","occurredAt":"2025-06-01T10:00:00Z","externalId":"inv-\#(round)","amount":{"amount":1000,"currency":"EUR"}}}"#).results
            #expect(sold.allSatisfy { $0 != nil } && Set(sold.map { $0!["sale"]!["id"]!.stringValue! }).count == 1, "every engine answers the one sale")
        }
        let db = try PGConnection(url: url)
        #expect(try db.query("SELECT count(*) FROM partner").int(0, 0) == 5)
        #expect(try db.query("SELECT count(*) FROM customer").int(0, 0) == 5)
        #expect(try db.query("SELECT count(*) FROM sale").int(0, 0) == 5)
    }

    /// A reload on one engine is announced to the others, which read their own rule files
    /// again; system.health lists every engine with the hash it runs.
    @Test func aRulesReloadOnOneEngineReachesTheOthers() throws {
        let database = try PGDatabase(PGDatabase.name("portico_reload"), on: TranscriptTests.postgres!)
        defer { try? database.drop() }
        let (url, name) = (database.url, database.name)
        let dirs = try (0..<2).map { _ -> URL in
            let dir = try Binary.temporaryDirectory().appendingPathComponent("rules")
            try FileManager.default.copyItem(at: Binary.repository.appendingPathComponent("rules"), to: dir)
            return dir
        }
        let a = try EngineProcess(url: url, arguments: ["--rules", dirs[0].path])
        let b = try EngineProcess(url: url, arguments: ["--rules", dirs[1].path])
        defer { a.stop(); b.stop() }
        let before = try b.call("system.health", "{}")["rulesHash"]!.stringValue!
        #expect(try a.call("system.health", "{}")["engines"]?.arrayValue?.count == 2)
        // The same change to both engines' files, as a deployment ships them.
        for dir in dirs {
            let file = dir.appendingPathComponent("pricing.yaml")
            try (try String(contentsOf: file, encoding: .utf8) + "\n# reloaded together\n").write(to: file, atomically: true, encoding: .utf8)
        }
        let reloaded = try a.call("rules.reload", #"{"actor":{"platform":"ops"}}"#)
        let after = reloaded["rulesHash"]!.stringValue!
        #expect(after != before && reloaded["changed"] == true)
        var seen = before
        for _ in 0..<50 where seen != after {
            Thread.sleep(forTimeInterval: 0.1)
            seen = try b.call("system.health", "{}")["rulesHash"]!.stringValue!
        }
        #expect(seen == after, "the other engine still runs \(seen)")
        let engines = try b.call("system.health", "{}")["engines"]?.arrayValue ?? []
        #expect(engines.count == 2 && engines.allSatisfy { $0["rulesHash"]?.stringValue == after })

        // The listeners' connections dropped (a server restart, a failover): a reload
        // announced meanwhile still reaches the other engine once it is connected again.
        let db = try PGConnection(url: url)
        let dropped = try db.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND application_name = 'portico-listener'
            """, [.text(name)])
        #expect(dropped.count == 2)
        for dir in dirs {
            let file = dir.appendingPathComponent("pricing.yaml")
            try (try String(contentsOf: file, encoding: .utf8) + "# and again\n").write(to: file, atomically: true, encoding: .utf8)
        }
        let third = try a.call("rules.reload", #"{"actor":{"platform":"ops"}}"#)["rulesHash"]!.stringValue!
        for _ in 0..<60 where seen != third {
            Thread.sleep(forTimeInterval: 0.1)
            seen = try b.call("system.health", "{}")["rulesHash"]!.stringValue!
        }
        #expect(seen == third, "the other engine missed the reload announced while it was disconnected")
    }
}

/// What the engines acknowledged, and what they were sent but never answered.
final class Ledger: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var sales: [String: String] = [:]   // externalId -> sale id
    private(set) var events: Set<String> = []
    private(set) var refunds: [String: Int64] = [:]
    private(set) var unansweredRefunds: [String: Int64] = [:]
    private(set) var payouts: Set<String> = []

    func with<T>(_ body: (Ledger) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(self) }
    func sale(_ external: String, _ id: String) { with { $0.sales[external] = id } }
    func event(_ id: String) { _ = with { $0.events.insert(id) } }
    func refund(_ sale: String, _ amount: Int64, answered: Bool) {
        with { l in
            if answered { l.refunds[sale, default: 0] += amount } else { l.unansweredRefunds[sale, default: 0] += amount }
        }
    }
    func payout(_ id: String) { _ = with { $0.payouts.insert(id) } }
    private(set) var unansweredSales: [String: String] = [:]
    func unanswered(_ external: String, _ r: JSONValue?) { with { $0.unansweredSales[external] = r.map { "\($0)" } ?? "none" } }
    func someSale() -> String? { with { $0.sales.values.randomElement() } }
}

/// One engine's place: a `portico serve` process, replaced when it is killed.
final class Slot: @unchecked Sendable {
    let index: Int
    let url: String
    private let lock = NSLock()
    private var engine: EngineProcess?
    private var generation = 0

    init(index: Int, url: String) { self.index = index; self.url = url }

    func kill() { lock.withLock { engine?.kill() } }

    /// Sends batches of requests until `deadline`, starting the engine again whenever it died.
    func drive(partners: [(id: String, customers: [String], token: String)], ledger: Ledger, until deadline: Date) {
        var n = 0
        while Date() < deadline {
            let current: EngineProcess
            do {
                current = try lock.withLock {
                    if let e = engine, e.isAlive { return e }
                    generation += 1
                    let e = try EngineProcess(url: url)
                    engine = e
                    return e
                }
            } catch {
                Thread.sleep(forTimeInterval: 0.2)
                continue
            }
            var batch: [(id: String, line: String, onAnswer: (JSONValue?) -> Void)] = []
            for _ in 0..<24 {
                n += 1
                let id = "s\(index)-g\(generation)-\(n)"
                let p = partners.randomElement()!
                let customer = p.customers.randomElement()!
                switch Int.random(in: 0..<10) {
                case 0..<5:
                    let external = "x\(index)-\(generation)-\(n)"
                    let day = Int.random(in: 1...28)
                    batch.append((id, #"{"jsonrpc":"2.0","id":"\#(id)","method":"sale.record","params":{"actor":{"platform":"ops"},"customerId":"\#(customer)","plan":"pro","kind":"new","occurredAt":"2025-0\#(Int.random(in: 1...9))-\#(day < 10 ? "0" : "")\#(day)T10:00:00Z","externalId":"\#(external)","amount":{"amount":\#(Int.random(in: 100...50_000)),"currency":"EUR"}}}"#,
                                  { r in
                                      if let s = r?["sale"]?["id"]?.stringValue { ledger.sale(external, s) } else { ledger.unanswered(external, r) }
                                  }))
                case 5, 6:
                    guard let sale = ledger.someSale() else { continue }
                    let amount = Int64.random(in: 1...50)
                    batch.append((id, #"{"jsonrpc":"2.0","id":"\#(id)","method":"sale.refund","params":{"actor":{"platform":"ops"},"saleId":"\#(sale)","reason":"soak","amount":{"amount":\#(amount),"currency":"EUR"}}}"#,
                                  { r in ledger.refund(sale, amount, answered: r != nil) }))
                case 7:
                    let event = "u\(index)-\(generation)-\(n)"
                    batch.append((id, #"{"jsonrpc":"2.0","id":"\#(id)","method":"api.usage.record","params":{"accessToken":"\#(p.token)","events":[{"eventId":"\#(event)","customerId":"\#(customer)","meter":"gpu-h100-hours","quantity":"1.5","occurredAt":"2025-06-01T10:00:00Z"}]}}"#,
                                  { r in if r != nil { ledger.event(event) } }))
                case 8:
                    batch.append((id, #"{"jsonrpc":"2.0","id":"\#(id)","method":"payout.create","params":{"actor":{"platform":"ops"},"partnerId":"\#(p.id)","currency":"EUR"}}"#,
                                  { r in if let pid = r?["id"]?.stringValue ?? r?["payout"]?["id"]?.stringValue { ledger.payout(pid) } }))
                default:
                    batch.append((id, #"{"jsonrpc":"2.0","id":"\#(id)","method":"subscription.renewDue","params":{"actor":{"platform":"ops"}}}"#, { _ in }))
                }
            }
            current.send(batch.map(\.line))
            let answers = current.answers(batch.map(\.id), timeout: 20)
            for b in batch {
                switch answers[b.id] {
                case .some(.some(let result)): b.onAnswer(result)
                case .some(.none): break   // answered with an error: nothing was written
                case .none: b.onAnswer(nil)   // never answered: may or may not have been written
                }
            }
        }
        lock.withLock { engine?.stop() }
    }
}

/// A `portico serve` process on the database, answers read on a thread of their own.
final class EngineProcess: @unchecked Sendable {
    private let process = Process()
    private let input: FileHandle
    private let condition = NSCondition()
    /// Answers by request id: the result, or nil for an error; and the errors by id.
    private var answers: [String: JSONValue?] = [:]
    private var errors: [String: JSONValue] = [:]
    private var closed = false

    init(url: String, arguments: [String] = []) throws {
        process.executableURL = Binary.url
        process.arguments = ["serve", "--db", url, "--log-level", "critical"] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        input = stdin.fileHandleForWriting
        let fd = stdout.fileHandleForReading.fileDescriptor
        Thread { [self] in
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                pending += buffer[0..<n]
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = Array(pending[..<nl])
                    pending.removeSubrange(...nl)
                    guard let v = try? JSONReader.parse(line), let id = v["id"]?.stringValue else { continue }
                    condition.withLock {
                        answers.updateValue(v["result"], forKey: id)
                        if let e = v["error"] { errors[id] = e }
                        condition.broadcast()
                    }
                }
            }
            condition.withLock {
                closed = true
                condition.broadcast()
            }
        }.start()
    }

    var isAlive: Bool { process.isRunning && !condition.withLock { closed } }

    func send(_ lines: [String]) {
        // A dead engine's pipe refuses the write (EPIPE; SIGPIPE is ignored): the requests
        // are then never answered.
        let data = Array((lines.joined(separator: "\n") + "\n").utf8)
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(input.fileDescriptor, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }

    /// The answers to `ids` that came before the engine closed its output or `timeout`.
    func answers(_ ids: [String], timeout: TimeInterval) -> [String: JSONValue?] {
        let until = Date().addingTimeInterval(timeout)
        return condition.withLock {
            while !closed && ids.contains(where: { answers[$0] == nil }) && Date() < until { _ = condition.wait(until: until) }
            var out: [String: JSONValue?] = [:]
            for id in ids { if let a = answers.removeValue(forKey: id) { out[id] = a } }
            return out
        }
    }

    /// The error a request was answered with, if any.
    func error(of id: String) -> JSONValue? { condition.withLock { errors[id] } }

    /// One request, answered (or this throws).
    func call(_ method: String, _ params: String) throws -> JSONValue {
        let id = "c\(UInt32.random(in: 0...UInt32.max))"
        send([#"{"jsonrpc":"2.0","id":"\#(id)","method":"\#(method)","params":\#(params)}"#])
        guard case .some(.some(let result)) = answers([id], timeout: 30)[id] else {
            throw Binary.Failure(description: "\(method) was not answered with a result")
        }
        return result
    }

    func kill() { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }

    func stop() {
        try? input.close()
        process.waitUntilExit()
    }
}

extension Binary {
    struct Failure: Error, CustomStringConvertible { let description: String }
}
