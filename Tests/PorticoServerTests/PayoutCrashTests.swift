import Crypto
import Foundation
import GRDB
import JSONRPC
import PorticoCore
import Testing

/// kill -9 at any point of the payout loop, then restart and go on: the `portico` binary
/// runs a host's loop (earnings, scheduled and on-demand payouts, process, complete or
/// fail or a signed webhook) and is killed after a random delay, round after round on the
/// same database. After every kill: SQLite's integrity check passes; every ledger entry
/// in a payout is in exactly one that holds it, with the matching status; every payout's
/// amount is the exact sum of its lines; what is paid in the ledger is what paid payouts
/// paid; every acknowledged completion stands; no instruction ever changes; the audit
/// chain verifies. `PORTICO_CRASH_ROUNDS` sets the number of rounds (30 by default; 1,000
/// on demand).
@Suite(.serialized) struct PayoutCrashTests {
    static let binary: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("portico")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/portico").standardized
    }()
    static let secret = "whsec_crash_test_secret"
    static let rounds = Int(ProcessInfo.processInfo.environment["PORTICO_CRASH_ROUNDS"] ?? "") ?? 30

    /// An engine child with pipes, driven one batch at a time.
    final class Child: @unchecked Sendable {
        let process = Process()
        let stdin = Pipe(), stdout = Pipe()
        var buffer: [UInt8] = []
        var nextId = 1

        let stderr = Pipe()

        /// `extra` replaces the quiet log level (`--log-level trace` to read everything the
        /// engine logs, then `finishReadingStderr`).
        init(db: String, secrets: String, extra: [String] = ["--log-level", "critical"]) throws {
            process.executableURL = PayoutCrashTests.binary
            process.arguments = ["serve", "--db", db, "--secrets", secrets] + extra
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = extra.contains("trace") ? stderr : FileHandle.nullDevice
            try process.run()
        }

        /// Ends the session and answers everything the engine wrote to stderr.
        func finishReadingStderr() -> Data {
            try? stdin.fileHandleForWriting.close()
            let data = stderr.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return data
        }

        /// Sends the calls together and reads their answers (nil once the engine is gone).
        func send(_ calls: [(String, JSONValue)]) -> [JSONValue]? {
            guard !calls.isEmpty else { return [] }
            var text = ""
            for (method, params) in calls {
                text += JSONWriter.string(["jsonrpc": "2.0", "id": .integer(Int64(nextId)), "method": .string(method), "params": params]) + "\n"
                nextId += 1
            }
            let ok = text.utf8.withContiguousStorageIfAvailable { buf -> Bool in
                var off = 0
                while off < buf.count {
                    let n = write(stdin.fileHandleForWriting.fileDescriptor, buf.baseAddress! + off, buf.count - off)
                    if n <= 0 { return false }
                    off += n
                }
                return true
            } ?? false
            guard ok else { return nil }
            var answers: [JSONValue] = []
            while answers.count < calls.count {
                guard let line = readLine() else { return nil }
                guard let v = try? JSONReader.parse(line), v["id"] != nil else { continue }  // progress notifications
                answers.append(v)
            }
            return answers
        }

        func readLine() -> [UInt8]? {
            while true {
                if let nl = buffer.firstIndex(of: 0x0A) {
                    let line = Array(buffer[..<nl])
                    buffer.removeFirst(nl + 1)
                    return line
                }
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                let n = chunk.withUnsafeMutableBytes { read(stdout.fileHandleForReading.fileDescriptor, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return nil }
                buffer += chunk[0..<n]
            }
        }

        func kill() {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func finish() {
            try? stdin.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    static let platform: JSONValue = ["platform": "crash-test"]

    /// A fresh directory with a database path and a secrets file (mode 600) for a child.
    static func workspace(_ name: String) throws -> (db: String, secrets: String) {
        // Writing to a child killed a moment before must fail the write, not kill the tests.
        signal(SIGPIPE, SIG_IGN)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let secrets = dir.appendingPathComponent("secrets").path
        try Data("stripe.webhook_secret=\(Self.secret)\n".utf8).write(to: URL(fileURLWithPath: secrets))
        chmod(secrets, 0o600)
        return (dir.appendingPathComponent("p.sqlite").path, secrets)
    }

    /// What the host learnt from answers it received: the instruction of every payout it
    /// processed, and the payouts it was told were paid.
    final class HostMemory: @unchecked Sendable {
        let lock = NSLock()
        var instructions: [String: String] = [:]
        var paid: Set<String> = []
        var problems: [String] = []
        func note(_ s: String) { lock.withLock { problems.append(s) } }
    }

    static func signed(_ payoutId: String, amount: Int64) -> (String, String) {
        let payload = #"{"id":"evt_\#(payoutId)","object":"event","type":"transfer.created","data":{"object":{"id":"tr_\#(payoutId)","object":"transfer","amount":\#(amount),"amount_reversed":0,"currency":"usd","metadata":{"payout_id":"\#(payoutId)"},"reversed":false}}}"#
        let t = Int64(Date().timeIntervalSince1970)
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(t).\(payload)".utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return (payload, "t=\(t),v1=" + mac.map { String(format: "%02x", $0) }.joined())
    }

    /// One host loop: earnings, payouts, processing, outcomes; as far as it gets.
    static func hostLoop(_ child: Child, partners: [String], memory: HostMemory, round: Int) {
        var rng = SystemRandomNumberGenerator()
        // Restarted after the last kill: the audit chain verifies before anything else.
        guard let verified = child.send([("audit.verify", ["actor": platform])]) else { return }
        if verified[0]["result"]?["ok"] != true { memory.note("round \(round): audit.verify \(JSONWriter.string(verified[0]))") }
        var earnings: [(String, JSONValue)] = []
        for p in partners.shuffled().prefix(6) {
            earnings.append(("commission.create", ["actor": platform, "partnerId": .string(p), "reason": .string("round \(round)"),
                                                   "amount": ["amount": .integer(Int64.random(in: 3_000...9_000, using: &rng)), "currency": "USD"]]))
            if Bool.random(using: &rng) {
                earnings.append(("commission.create", ["actor": platform, "partnerId": .string(p), "reason": .string("clawback \(round)"),
                                                       "amount": ["amount": -2_000, "currency": "USD"]]))
            }
        }
        guard child.send(earnings) != nil else { return }
        guard child.send([("payout.runScheduled", ["actor": platform, "progressToken": .integer(Int64(round))])]) != nil else { return }
        guard child.send(partners.shuffled().prefix(8).map { ("payout.create", ["actor": platform, "partnerId": .string($0), "currency": "USD"]) })
                != nil else { return }
        for status in ["created", "processing"] {
            guard let list = child.send([("payout.list", ["actor": platform, "status": .string(status), "limit": 1000])]),
                  let items = list[0]["result"]?["items"]?.arrayValue else { return }
            let ids = items.compactMap { $0["id"]?.stringValue }
            // Processing (again, for those already processing): the instruction never changes.
            guard let processed = child.send(ids.map { ("payout.process", ["actor": platform, "payoutId": .string($0)]) }) else { return }
            for (id, answer) in zip(ids, processed) {
                guard let instruction = answer["result"]?["instruction"] else {
                    if answer["error"]?["data"]?["state"] != "on_hold" { memory.note("process \(id): \(JSONWriter.string(answer))") }
                    continue
                }
                let text = JSONWriter.string(instruction)
                memory.lock.withLock {
                    if let seen = memory.instructions[id], seen != text { memory.problems.append("the instruction of \(id) changed") }
                    memory.instructions[id] = text
                }
            }
            var outcomes: [(String, JSONValue)] = []
            var outcomeIds: [String] = []
            for item in items {
                guard let id = item["id"]?.stringValue, let amount = item["amount"]?["amount"]?.integerValue else { continue }
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:
                    outcomes.append(("payout.complete", ["actor": platform, "payoutId": .string(id), "providerReference": .string("tr_" + id)]))
                    outcomeIds.append(id)
                case 1:
                    let (payload, header) = signed(id, amount: amount)
                    outcomes.append(("payout.webhook", ["actor": platform, "provider": "stripe", "payload": .string(payload),
                                                        "signatureHeader": .string(header),
                                                        "receivedAt": .string(Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)).rfc3339)]))
                    outcomeIds.append(id)
                case 2:
                    outcomes.append(("payout.fail", ["actor": platform, "payoutId": .string(id), "reason": "declined"]))
                    outcomeIds.append(id)
                default: break
                }
            }
            guard let answers = child.send(outcomes) else { return }
            for (k, answer) in answers.enumerated() where outcomes[k].0 != "payout.fail" {
                let status = answer["result"]?["status"] ?? answer["result"]?["payout"]?["status"]
                if status == "paid" { memory.lock.withLock { _ = memory.paid.insert(outcomeIds[k]) } }
            }
        }
    }

    /// The invariants, read straight from the file after a kill.
    static func check(_ path: String, _ memory: HostMemory) throws -> [String] {
        var problems: [String] = []
        let db = try DatabaseQueue(path: path)
        try db.read { db in
            if let r = try String.fetchOne(db, sql: "PRAGMA integrity_check"), r != "ok" { problems.append("integrity_check: \(r)") }
            let orphans = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM commission c LEFT JOIN payout p ON p.id = c.payoutId
                WHERE c.payoutId IS NOT NULL AND (p.id IS NULL
                   OR NOT ((c.status = 'processing' AND p.status IN ('created', 'processing')) OR (c.status = 'paid' AND p.status = 'paid')))
                """) ?? 0
            if orphans > 0 { problems.append("\(orphans) entries in no payout that holds them") }
            let wrong = try String.fetchAll(db, sql: """
                SELECT p.id FROM payout p LEFT JOIN commission c ON c.payoutId = p.id
                WHERE p.status IN ('created', 'processing', 'paid')
                GROUP BY p.id HAVING COUNT(c.id) != p.lineCount OR COALESCE(SUM(c.amount), 0) != p.amount
                """)
            if !wrong.isEmpty { problems.append("payouts whose lines do not add up: \(wrong)") }
            let paidLedger = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount), 0) FROM commission WHERE status = 'paid'") ?? 0
            let paidPayouts = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(amount), 0) FROM payout WHERE status = 'paid'") ?? 0
            if paidLedger != paidPayouts { problems.append("paid in the ledger \(paidLedger) != paid payouts \(paidPayouts)") }
            // What came back by partial reversals of payouts still paid is owed again, once:
            // what the partner received plus what it is owed is what it earned.
            let recredited = try Int64.fetchOne(db, sql: """
                SELECT COALESCE(SUM(amount), 0) FROM commission WHERE basis LIKE 'reversal of %' AND status != 'cancelled' AND status != 'reversed'
                """) ?? 0
            let reversedOfPaid = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(reversedAmount), 0) FROM payout WHERE status = 'paid'") ?? 0
            if recredited != reversedOfPaid { problems.append("re-credited \(recredited) != partly reversed \(reversedOfPaid)") }
            let released = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM payout p WHERE p.status IN ('failed', 'cancelled', 'reversed')
                  AND (SELECT COUNT(*) FROM payout_released_line l WHERE l.payoutId = p.id) != p.lineCount
                """) ?? 0
            if released > 0 { problems.append("\(released) released payouts without their lines") }
            let stored = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, instruction FROM payout WHERE instruction IS NOT NULL")
                .map { ($0["id"] as String, $0["instruction"] as String) })
            memory.lock.withLock {
                for (id, text) in memory.instructions {
                    guard let s = stored[id] else { problems.append("acknowledged instruction of \(id) lost"); continue }
                    if JSONWriter.string((try? JSONReader.parse(s)) ?? .null) != text { problems.append("the stored instruction of \(id) changed") }
                }
            }
            let statuses = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, status FROM payout").map { ($0["id"] as String, $0["status"] as String) })
            memory.lock.withLock {
                for id in memory.paid where statuses[id] != "paid" { problems.append("acknowledged payment of \(id) lost") }
            }
        }
        return problems
    }

    @Test func killedAnywhereInThePayoutLoopNothingIsPaidTwiceOrLost() throws {
        let (db, secrets) = try Self.workspace("crash")

        // Set-up, not killed: partners with accounts and monthly schedules.
        let setup = try Child(db: db, secrets: secrets)
        var partners: [String] = []
        let created = setup.send((0..<12).map { k in
            ("partner.create", ["actor": Self.platform, "name": .string("P\(k)"), "subdomain": .string("crash\(k)"), "region": "us",
                                "owner": ["email": .string("o@crash\(k).example"), "name": "O"]])
        }) ?? []
        partners = created.compactMap { $0["result"]?["id"]?.stringValue }
        _ = setup.send(partners.flatMap { p in [
            ("payout.account.set", ["actor": Self.platform, "partnerId": .string(p), "method": "stripe", "destination": "acct_CrashTest0000000001"]),
            ("payout.schedule", ["actor": Self.platform, "partnerId": .string(p), "cadence": "monthly", "day": 1]),
        ] as [(String, JSONValue)] })
        setup.finish()
        #expect(partners.count == 12)

        let memory = HostMemory()
        for round in 0..<Self.rounds {
            let child = try Child(db: db, secrets: secrets)
            // The last round runs to its end, so the loop pays something however slow the
            // machine is that every kill came early.
            let last = round == Self.rounds - 1
            let delay = UInt32.random(in: 2_000...250_000)
            if !last { Thread { usleep(delay); child.kill() }.start() }
            Self.hostLoop(child, partners: partners, memory: memory, round: round)
            if last { child.finish() }
            while child.process.isRunning { usleep(1_000) }
            let problems = try Self.check(db, memory)
            #expect(problems.isEmpty, "round \(round) (killed after \(delay) us): \(problems)")
            if !problems.isEmpty { break }
        }
        // Restarted, the engine verifies its audit chain and answers every instruction as it was.
        let last = try Child(db: db, secrets: secrets)
        let verify = last.send([("audit.verify", ["actor": Self.platform])])
        #expect(verify?.first?["result"]?["ok"] == true, "\(verify.map { JSONWriter.string(.array($0)) } ?? "no answer")")
        let ids = memory.lock.withLock { Array(memory.instructions.keys) }
        let again = last.send(ids.map { ("payout.process", ["actor": Self.platform, "payoutId": .string($0)]) }) ?? []
        for (id, answer) in zip(ids, again) {
            #expect(answer["result"]?["instruction"].map { JSONWriter.string($0) } == memory.lock.withLock { memory.instructions[id] })
        }
        last.finish()
        let paid = memory.lock.withLock { memory.paid.count }
        #expect(memory.problems.isEmpty, "\(memory.problems)")
        #expect(memory.instructions.count > 0 && paid > 0, "the loop never got as far as paying")
    }
}
