import ArgumentParser
import Crypto
import Foundation
import GRDB
import GRDBSQLite
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

/// `portico-bench`: drives `portico serve` as a host would, over pipes, and prints the
/// figures README's performance section reports. Its own executable, so `portico` stays a
/// thin command line; it runs the `portico` binary built beside it.
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico-bench",
        abstract: "Measure pipelined throughput, durable writes and cold start of `portico serve`.")

    @Option(help: "Trivial requests (system.health) sent pipelined.")
    var trivial = 1_000_000

    @Option(help: "partner.create requests sent one at a time, each waiting for its answer.")
    var sequential = 3_000

    @Option(help: "partner.create requests sent pipelined.")
    var pipelined = 100_000

    @Option(help: "Cold starts to time (spawn to first answer).")
    var coldStarts = 30

    @Option(help: "Bare SQLite commits to time, for the disk's own commit rate.")
    var diskCommits = 2_000

    @Option(help: "Decodes of a typical request, per reader, for the JSON comparison.")
    var jsonDecodes = 200_000

    @Option(help: "Permission decisions to time with the shipped rules.")
    var decisions = 1_000_000

    @Option(help: "Directory of the rule files to time (default ./rules, else the shipped defaults).")
    var rules: String = "./rules"

    @Option(help: "Sales in the large generated ledger (0 skips the sales figures).")
    var salesLedger = 1_000_000

    @Option(help: "sale.record requests sent pipelined on each ledger.")
    var salesPipelined = 50_000

    @Option(help: "sale.record requests sent one at a time on the large ledger.")
    var salesSequential = 2_000

    @Option(help: "Partners in the payout ledger (0 skips the payout figures).")
    var payoutPartners = 10_000

    @Option(help: "Payable commissions per partner in the payout ledger.")
    var payoutLines = 100

    @Option(help: "Token checks (with scope and rate-limit decision) to time in process (0 skips the partner API figures).")
    var tokenChecks = 1_000_000

    @Option(help: "oauth.token requests sent pipelined.")
    var tokens = 100_000

    @Option(help: "Usage events sent pipelined with api.usage.record, 100 a call.")
    var usageEvents = 500_000

    @Option(help: "Due subscriptions for subscription.renewDue.")
    var renewals = 100_000

    @Option(help: "brand.resolve look-ups to time in process (half as many sent pipelined; 0 skips the brand figures).")
    var resolves = 1_000_000

    @Option(help: "Sales in the export ledger: every one exported to CSV (0 skips the export figures).")
    var exportSales = 0

    @Option(help: "Rows of the XLSX export, timed beside libxlsxwriter alone writing the same cells.")
    var exportXlsxRows = 100_000

    @Option(help: "Rows of the PDF export (about 33 a page).")
    var exportPdfRows = 320

    @Option(help: "Sales in the analytics ledger, timed with every analytics method (0 skips the analytics figures).")
    var analyticsSales = 0

    @Option(help: "Partners in the analytics ledger.")
    var analyticsPartners = 10_000

    @Option(help: "Directory for the benchmark databases (default: a temporary directory).")
    var dir: String?

    @Option(help: "A PostgreSQL server (postgres://user@host:port/db) for the PostgreSQL figures: a database of the bench's own is made there and dropped after. (The SQLite figures use files under --dir.)")
    var db: String?

    @Option(help: "sale.record requests sent pipelined on PostgreSQL (by one engine, then by four together).")
    var postgresSales = 20_000

    @Option(help: "Seconds of each pgbench run beside the PostgreSQL figures.")
    var pgbenchSeconds = 10

    func run() throws {
        let base = dir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("portico-bench-\(getpid())")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(at: base) } }
        print("portico-bench — \(ProcessInfo.processInfo.activeProcessorCount) cores, binary \(Self.binary.path)")

        if jsonDecodes > 0 { Self.jsonComparison(jsonDecodes) }
        if diskCommits > 0 { try Self.diskCommitRate(diskCommits, dir: base) }
        if decisions > 0 { try Self.ruleFigures(decisions, directory: rules) }
        if decisions > 0 { Self.webhookSignature(decisions / 10) }
        if trivial > 0 {
            let lines = (0..<trivial).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"system.health"}"# }
            let s = try Self.pipelined(lines, db: base.appendingPathComponent("trivial.sqlite").path)
            print(String(format: "trivial method, pipelined:        %9.0f requests/s  (%d in %.3f s)", Double(trivial) / s, trivial, s))
        }
        if sequential > 0 {
            let s = try Self.sequential(Self.creates(sequential, prefix: "s"), db: base.appendingPathComponent("sequential.sqlite").path)
            print(String(format: "partner.create, one at a time:    %9.0f requests/s  (%d in %.3f s, %.1f µs each)",
                         Double(sequential) / s, sequential, s, s / Double(sequential) * 1e6))
        }
        if pipelined > 0 {
            let s = try Self.pipelined(Self.creates(pipelined, prefix: "p"), db: base.appendingPathComponent("pipelined.sqlite").path)
            print(String(format: "partner.create, pipelined:        %9.0f requests/s  (%d in %.3f s)", Double(pipelined) / s, pipelined, s))
        }
        if tokenChecks > 0 {
            try APIBench.run(dir: base, checks: tokenChecks, tokens: tokens, usageEvents: usageEvents, subscriptions: renewals)
        }
        if resolves > 0 { try BrandBench.run(dir: base, resolves: resolves) }
        if payoutPartners > 0 {
            try PayoutBench.run(dir: base, partners: payoutPartners, lines: payoutLines, smallLines: 2)
        }
        if salesLedger > 0 {
            try SalesBench.run(dir: base, large: salesLedger, pipelined: salesPipelined, sequential: salesSequential)
        }
        if exportSales > 0 {
            try ExportBench.run(dir: base, sales: exportSales, xlsxRows: exportXlsxRows, pdfRows: exportPdfRows)
        }
        if analyticsSales > 0 { try AnalyticsBench.run(dir: base, sales: analyticsSales, partners: analyticsPartners) }
        if let db {
            guard db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") else {
                throw ValidationError("--db takes a PostgreSQL URL (postgres://...); the SQLite figures use files under --dir")
            }
            try PostgresBench.run(server: db, sales: postgresSales, seconds: pgbenchSeconds, coldStarts: coldStarts)
        }
        if coldStarts > 0 {
            let db = base.appendingPathComponent("cold.sqlite").path
            _ = try Self.firstAnswer(db: db)  // creates and migrates the file once
            var warm = try (0..<coldStarts).map { _ in try Self.firstAnswer(db: db) }.sorted()
            let fresh = try (0..<max(1, coldStarts / 3)).map { i in
                try Self.firstAnswer(db: base.appendingPathComponent("fresh-\(i).sqlite").path)
            }.sorted()
            warm = warm.map { $0 * 1000 }
            print(String(format: "cold start to first answer:       median %.1f ms, p90 %.1f ms (existing database)",
                         warm[warm.count / 2], warm[min(warm.count - 1, warm.count * 9 / 10)]))
            print(String(format: "cold start, new database:         median %.1f ms (creates and migrates the file)",
                         fresh[fresh.count / 2] * 1000))
        }
    }

    /// Decoding one typical request: the engine's strict reader against Foundation's two.
    static func jsonComparison(_ n: Int) {
        let text = #"{"jsonrpc":"2.0","id":42,"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"Acme AI","subdomain":"acme","region":"eu","owner":{"email":"olga@acme.example","name":"Olga"}}}"#
        let bytes = Array(text.utf8)
        let data = Data(text.utf8)
        struct Request: Decodable {
            struct Params: Decodable {
                struct Actor: Decodable { var platform: String }
                struct Owner: Decodable { var email: String; var name: String }
                var actor: Actor; var name: String; var subdomain: String; var region: String; var owner: Owner
            }
            var jsonrpc: String; var id: Int; var method: String; var params: Params
        }
        func time(_ body: () -> Void) -> Double {
            let start = now()
            for _ in 0..<n { body() }
            return (now() - start) / Double(n) * 1e6
        }
        var sink = 0
        let strict = time { if case .single = Envelope.decode(bytes) { sink += 1 } }
        let serialization = time { if (try? JSONSerialization.jsonObject(with: data)) != nil { sink += 1 } }
        let decoder = JSONDecoder()
        let decodable = time { if (try? decoder.decode(Request.self, from: data)) != nil { sink += 1 } }
        precondition(sink == 3 * n)
        print(String(format: "decode one request: strict reader %.2f µs, JSONSerialization %.2f µs, JSONDecoder %.2f µs", strict, serialization, decodable))
        // A sale.record answer (sale and two commissions, 1.2 KB): written as answered, and
        // in the canonical form the audit record hashes.
        let answer = try! JSONReader.parse(#"{"sale":{"id":"sal_01m8akc4td67q9ey08cn","partnerId":"ptr_01mb78qn00ttgkrhj1vs","resellerId":"rsl_01mb78qn00ttgkrhj1vs","customerId":"cus_01jgfjjz00zzbjwwngft","externalId":"x-49999","plan":"pro","kind":"renewal","amount":{"amount":9900,"currency":"USD"},"refunded":{"amount":0,"currency":"USD"},"occurredAt":"2027-01-15T10:00:00.000Z","rulesHash":"f6da4b78dd20a5ec75f50452df58fa39262c68f8b6a233a862345a15a96b4bd0","createdAt":"2026-11-26T00:16:35.149Z"},"commissions":[{"id":"com_01m8akc4tda3q4xcym5z","partnerId":"ptr_01mb78qn00ttgkrhj1vs","beneficiary":"reseller","resellerId":"rsl_01mb78qn00ttgkrhj1vs","saleId":"sal_01m8akc4td67q9ey08cn","kind":"sale","amount":{"amount":1485,"currency":"USD"},"status":"pending","payableAt":"2027-02-14T10:00:00.000Z","occurredAt":"2027-01-15T10:00:00.000Z","ruleId":"renewal-recurring","rulesHash":"f6da4b78dd20a5ec75f50452df58fa39262c68f8b6a233a862345a15a96b4bd0","basis":"15%","createdAt":"2026-11-26T00:16:35.149Z","updatedAt":"2026-11-26T00:16:35.149Z"},{"id":"com_01m8akc4tda3q4xcym6z","partnerId":"ptr_01mb78qn00ttgkrhj1vs","beneficiary":"partner","resellerId":null,"saleId":"sal_01m8akc4td67q9ey08cn","kind":"override","amount":{"amount":297,"currency":"USD"},"status":"pending","payableAt":"2027-02-14T10:00:00.000Z","occurredAt":"2027-01-15T10:00:00.000Z","ruleId":"renewal-recurring","rulesHash":"f6da4b78dd20a5ec75f50452df58fa39262c68f8b6a233a862345a15a96b4bd0","basis":"3%","createdAt":"2026-11-26T00:16:35.149Z","updatedAt":"2026-11-26T00:16:35.149Z"}]}"#)
        let asGiven = time { sink += JSONWriter.bytes(answer).count }
        let canonical = time { sink += JSONWriter.canonical(answer).count }
        print(String(format: "write a sale.record answer (1.2 KB): as answered %.2f µs, canonical (sorted keys) %.2f µs", asGiven, canonical))
    }

    /// The floor under durable one-at-a-time writes: bare transactions on this disk with
    /// the engine's settings (WAL, synchronous=FULL), inserting one row into one table, and
    /// one row into each of 17 tables (the B-trees a partner.create touches).
    static func diskCommitRate(_ n: Int, dir: URL) throws {
        for tables in [1, 17] {
            let db = try SQLiteStore(path: dir.appendingPathComponent("disk-\(tables).sqlite").path)
            try db.writer.writeWithoutTransaction { db in
                for t in 0..<tables { try db.execute(sql: "CREATE TABLE bench\(t) (a INTEGER PRIMARY KEY, b TEXT) STRICT") }
            }
            let start = now()
            for _ in 0..<n {
                try db.writer.writeWithoutTransaction { db in
                    try db.inTransaction(.immediate) {
                        for t in 0..<tables {
                            try db.execute(sql: "INSERT INTO bench\(t) (b) VALUES ('0123456789012345678901234567890123456789')")
                        }
                        return .commit
                    }
                }
            }
            let s = now() - start
            print(String(format: "disk: bare SQLite commits, %2d table(s): %9.0f commits/s  (%.1f µs each)", tables, Double(n) / s, s / Double(n) * 1e6))
            try db.close()
        }
    }

    /// Permission decisions with the shipped rules (a mix of principals, roles, actions and
    /// partner statuses), and reloading the rule files (read, validate, compile).
    /// Stripe's webhook signature check on a 2 KB payload (the payout webhook's cost before
    /// any store work): parse the header, HMAC-SHA256, constant-time compare.
    static func webhookSignature(_ n: Int) {
        let secret = Array("whsec_bench_secret_0123456789".utf8)
        let payload = Array(String(repeating: #"{"object":"transfer","amount":12345},"#, count: 55).utf8.prefix(2048))
        var signed = Array("1700000000.".utf8)
        signed.append(contentsOf: payload)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret))
        let header = "t=1700000000,v1=" + lowercaseHex(mac)
        let at = Timestamp(millisecondsSinceEpoch: 1_700_000_030_000)
        var samples: [Double] = []
        var ok = 0
        let rounds = max(n / 20, 1)
        for _ in 0..<20 {
            let start = now()
            for _ in 0..<rounds {
                if case .success = StripeSignature.verify(payload: payload, header: header, secret: secret, receivedAt: at) { ok += 1 }
            }
            samples.append((now() - start) / Double(rounds))
        }
        precondition(ok == 20 * rounds)
        samples.sort()
        // The floor: HMAC-SHA256 alone over the same bytes.
        var floor: [Double] = []
        var sink: UInt8 = 0
        for _ in 0..<20 {
            let start = now()
            for _ in 0..<rounds { sink ^= HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret)).first { _ in true } ?? 0 }
            floor.append((now() - start) / Double(rounds))
        }
        floor.sort()
        print(String(format: "stripe webhook signature check (2 KB payload): median %.2f µs; HMAC-SHA256 alone %.2f µs%@",
                     samples[samples.count / 2] * 1e6, floor[floor.count / 2] * 1e6, sink == 1 ? " " : ""))
    }

    static func ruleFigures(_ n: Int, directory: String) throws {
        let load = { () throws -> RuleSet in
            FileManager.default.fileExists(atPath: directory)
                ? try RuleSet.load(directory: directory, catalog: MethodTable.actions).get()
                : try RuleSet.compile(Engine.embeddedRuleFiles, source: "embedded", catalog: MethodTable.actions).get()
        }
        var reloads: [Double] = []
        for _ in 0..<30 {
            let start = now()
            _ = try load()
            reloads.append(now() - start)
        }
        reloads.sort()
        let rules = try load().permissions
        var requests: [PermissionRequest] = []
        let actions = MethodTable.all.filter(\.needsActor).map(\.name)
        for (i, action) in actions.enumerated() {
            for status in ["active", "frozen", "suspended"] {
                let partner = PermissionRequest.PartnerFacts(status: status, tier: i % 2 == 0 ? "gold" : "standard", region: "eu")
                requests.append(PermissionRequest(principal: .platform, action: action, partner: partner))
                for role in MemberRoleName.allCases {
                    requests.append(PermissionRequest(principal: .member, role: role, action: action, partner: partner))
                }
            }
        }
        // Median of batches, each deciding every request of the mix.
        var perDecision: [Double] = []
        var allowed = 0
        let rounds = max(1, n / requests.count / 20)
        for _ in 0..<20 {
            let start = now()
            for _ in 0..<rounds {
                for r in requests where rules.decide(r).allowed { allowed += 1 }
            }
            perDecision.append((now() - start) / Double(rounds * requests.count))
        }
        perDecision.sort()
        print(String(format: "permission decision, shipped rules: median %.3f µs (%d-request mix, %d allowed per round)",
                     perDecision[perDecision.count / 2] * 1e6, requests.count, allowed / (rounds * 20)))
        print(String(format: "rules reload (read, validate, compile): median %.2f ms", reloads[reloads.count / 2] * 1000))
        try commissionFigure(n)
        try pricingFigure(n, rules: try load().pricing)
        try largeFileFigure()
    }

    /// A commission file of 10,000 rules: the time to load it and to evaluate a sale that
    /// only its last rule matches.
    static func largeFileFigure() throws {
        var text = "hit: first\nrules:\n"
        for i in 0..<9_999 {
            text += "  - { id: r\(i), when: { sale.plan: plan-\(i), customer.region: [eu, uk] }, seller: { percent: \"\(i % 30).5\" } }\n"
        }
        text += "  - { id: last, seller: { percent: 20 } }\n"
        let start = now()
        let (compiled, diagnostics) = CommissionRules.compile(text, file: "large.yaml")
        let loaded = now() - start
        guard let rules = compiled else { throw ValidationError("large file: \(diagnostics.prefix(3))") }
        var facts = CommissionRules.newFacts()
        facts[fact: .saleAmount] = .number(ExactDecimal(10000))
        facts[fact: .saleCurrency] = .string("USD")
        facts[fact: .salePlan] = .string("pro")
        let evalStart = now()
        var total: Int64 = 0
        for _ in 0..<200 { total &+= rules.evaluate(facts).first?.amount ?? 0 }
        let perSale = (now() - evalStart) / 200
        precondition(total == 200 * 2000)
        print(String(format: "10,000-rule commission file: loads in %.0f ms (%.1f MB of YAML), a sale matching the last rule %.1f µs",
                     loaded * 1000, Double(text.utf8.count) / 1e6, perSale * 1e6))
    }

    /// Quotes with the shipped pricing rules: a mix of plans, countries and tiers.
    static func pricingFigure(_ n: Int, rules: PricingRules) throws {
        let day = RuleDate("2027-05-01")!
        var requests: [PricingRules.QuoteRequest] = []
        for plan in rules.plans.keys.sorted() {
            for country in rules.countryRegion.keys.sorted() {
                for tier in ["standard", "gold"] { requests.append(.init(plan: plan, country: country, partnerTier: tier, date: day)) }
            }
        }
        var total: Int64 = 0
        var samples: [Double] = []
        let rounds = max(1, n / requests.count / 20)
        for _ in 0..<20 {
            let start = now()
            for _ in 0..<rounds {
                for r in requests { if case .success(let q) = rules.quote(r) { total &+= q.price } }
            }
            samples.append((now() - start) / Double(rounds * requests.count))
        }
        samples.sort()
        precondition(total != 0)
        print(String(format: "pricing quote, shipped rules: median %.3f µs (%d-request mix)", samples[samples.count / 2] * 1e6, requests.count))
    }

    /// A 50-rule commission table (first hit) where the sale matches only the last rule,
    /// so every rule's conditions are evaluated: the worst case per sale.
    static func commissionFigure(_ n: Int) throws {
        var text = "hit: first\nrules:\n"
        for i in 0..<49 {
            text += "  - { id: plan-\(i), when: { sale.plan: p\(i), customer.region: [eu, uk], sale.date: { between: [2027-01-01, 2027-12-31] } }, seller: { percent: \"\(i % 20 + 1).5\" } }\n"
        }
        text += "  - { id: volume, when: { seller.kind: reseller }, seller: { tiers: { basis: reseller.volume.month, mode: marginal, bands: [ { up_to: 1000000, percent: 8 }, { percent: 12 } ] } }, override: { partner: { percent: 3 } } }\n"
        let (compiled, diagnostics) = CommissionRules.compile(text, file: "bench.yaml")
        guard let rules = compiled else { throw ValidationError("bench commission rules: \(diagnostics)") }
        var facts = CommissionRules.newFacts()
        func set(_ name: String, _ v: FactValue) { facts[CommissionRules.facts.slot(name)!] = v }
        set("sale.amount", .number(ExactDecimal(20000)))
        set("sale.currency", .string("USD"))
        set("sale.plan", .string("pro"))
        set("sale.date", .date(RuleDate("2027-05-01")!))
        set("customer.region", .string("eu"))
        set("seller.kind", .string("reseller"))
        set("reseller.volume.month", .number(ExactDecimal(990000)))
        var total: Int64 = 0
        var samples: [Double] = []
        let rounds = max(1, n / 20)
        for _ in 0..<20 {
            let start = now()
            for _ in 0..<rounds { for line in rules.evaluate(facts) { total &+= line.amount } }
            samples.append((now() - start) / Double(rounds))
        }
        samples.sort()
        precondition(total != 0)
        print(String(format: "commission evaluation, 50 rules, facts supplied: median %.3f µs", samples[samples.count / 2] * 1e6))
    }

    /// The `portico` binary built beside this one.
    static var binary: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("portico")
    }

    static func creates(_ n: Int, prefix: String) -> [String] {
        (0..<n).map { i in
            #"{"jsonrpc":"2.0","id":\#(i),"method":"partner.create","params":{"actor":{"platform":"bench"},"name":"Partner \#(i)","subdomain":"\#(prefix)\#(i)","region":"eu","owner":{"email":"owner@\#(prefix)\#(i).example","name":"Owner \#(i)"}}}"#
        }
    }

    final class Server: @unchecked Sendable {
        let process = Process()
        let stdin = Pipe()
        let stdout = Pipe()
        init(db: String, arguments: [String] = []) throws {
            process.executableURL = Bench.binary
            process.arguments = ["serve", "--db", db] + arguments
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = FileHandle.standardError
            try process.run()
        }
        func write(_ data: Data) { stdin.fileHandleForWriting.write(data) }
        /// Reads until `count` answers (newlines) have arrived.
        func awaitAnswers(_ count: Int, buffer: UnsafeMutableRawBufferPointer) throws {
            var seen = 0
            let fd = stdout.fileHandleForReading.fileDescriptor
            while seen < count {
                let n = read(fd, buffer.baseAddress!, buffer.count)
                guard n > 0 else { throw ValidationError("the engine stopped after \(seen) answers") }
                for i in 0..<n where buffer[i] == 0x0A { seen += 1 }
            }
        }
        func finish() {
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// Reads every column of the statement's current row as SQLite alone would hand it
    /// over (a text's bytes, a number), answering something of each so none is skipped.
    static func touchColumns(_ h: OpaquePointer?) -> Int {
        var touched = 0
        for c in 0..<sqlite3_column_count(h) {
            if sqlite3_column_type(h, c) == SQLITE_TEXT {
                touched &+= Int(sqlite3_column_bytes(h, c)) &+ Int(sqlite3_column_text(h, c)![0])
            } else {
                touched &+= Int(sqlite3_column_int64(h, c))
            }
        }
        return touched
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Seconds from the first byte written to the last answer read, with a writer thread
    /// feeding the pipe while the answers are read.
    static func pipelined(_ lines: [String], db: String) throws -> Double {
        let server = try Server(db: db)
        let payload = Data((lines.joined(separator: "\n") + "\n").utf8)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        // Warm the process up (start, open, migrate) before the clock starts.
        server.write(Data(#"{"jsonrpc":"2.0","id":"warm","method":"system.health"}"#.utf8 + [0x0A]))
        try server.awaitAnswers(1, buffer: buffer)
        let start = now()
        let written = DispatchSemaphore(value: 0)
        let writer = Thread {
            server.write(payload)
            written.signal()
        }
        writer.start()
        try server.awaitAnswers(lines.count, buffer: buffer)
        let elapsed = now() - start
        // Closing the pipe while the writer is still inside its write would fail it.
        written.wait()
        server.finish()
        return elapsed
    }

    /// Seconds for the lines sent one at a time, each after the previous answer.
    static func sequential(_ lines: [String], db: String) throws -> Double {
        let server = try Server(db: db)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        server.write(Data(#"{"jsonrpc":"2.0","id":"warm","method":"system.health"}"#.utf8 + [0x0A]))
        try server.awaitAnswers(1, buffer: buffer)
        let payloads = lines.map { Data(($0 + "\n").utf8) }
        let start = now()
        for p in payloads {
            server.write(p)
            try server.awaitAnswers(1, buffer: buffer)
        }
        let elapsed = now() - start
        server.finish()
        return elapsed
    }

    /// Seconds from spawning the engine to reading its first answer.
    static func firstAnswer(db: String) throws -> Double {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        let start = now()
        let server = try Server(db: db)
        server.write(Data(#"{"jsonrpc":"2.0","id":1,"method":"system.health"}"#.utf8 + [0x0A]))
        try server.awaitAnswers(1, buffer: buffer)
        let elapsed = now() - start
        server.finish()
        return elapsed
    }
}
