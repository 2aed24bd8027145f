import ArgumentParser
import Foundation
import GRDB
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

/// The payout figures: `payout.runScheduled` over a large payable ledger (time, progress,
/// the engine's peak memory) against SQLite's own cost for the same row changes, and
/// `payout.process` + `payout.complete` pipelined.
enum PayoutBench {
    /// Fills a new database with `partners` active partners, each with a Stripe account, a
    /// monthly schedule on the 1st and `lines` payable USD commissions — written directly,
    /// in large transactions, with the shapes the services give them.
    static func generate(path: String, partners: Int, lines: Int) throws {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        let ids = IDGenerator(seed: 21)
        let at = Timestamp(rfc3339: "2026-01-10T00:00:00Z")!
        let usd = Currency.named("USD")!
        var done = 0
        while done < partners {
            try db.write { tx in
                for _ in 0..<min(1_000, partners - done) {
                    var p = PartnerRecord(id: ids.make("ptr", at: at), name: "P\(done)", subdomain: "bench\(done)", region: "us", tier: "standard",
                                          status: .active, createdAt: at, updatedAt: at)
                    try tx.insert(&p)
                    try tx.save(PayoutAccountRecord(partnerId: p.id, currency: nil, method: .stripe, destination: "acct_Bench00000000000001",
                                                    holdUntil: nil, createdAt: at, updatedAt: at))
                    try tx.save(PayoutScheduleRecord(partnerId: p.id, cadence: .monthly, day: 1, createdAt: at, updatedAt: at))
                    for k in 0..<lines {
                        var c = CommissionRecord(id: ids.make("com", at: at), partnerId: p.id, beneficiary: .partner, resellerId: nil, saleId: nil,
                                                 kind: .manual, amount: Money(Int64(max(500, 6_000 / lines) + k), usd), payableAt: at, occurredAt: at, ruleId: nil,
                                                 rulesHash: nil, basis: "manual", reason: "bench", createdAt: at)
                        try tx.insert(&c)
                    }
                    done += 1
                }
            }
        }
    }

    /// A field of /proc/PID/status in MB (VmHWM: peak resident memory, file pages mapped
    /// by SQLite's mmap included; RssAnon: the heap and SQLite's page cache, now).
    static func status(_ pid: Int32, _ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
              let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    /// Samples the engine's anonymous memory every 20 ms while `body` runs: its peak.
    static func peakAnonymous(_ pid: Int32, during body: () throws -> (seconds: Double, progress: Int, answer: String)) rethrows
        -> ((seconds: Double, progress: Int, answer: String), Double)
    {
        final class Peak: @unchecked Sendable { var value = 0.0; var running = true; let lock = NSLock() }
        let peak = Peak()
        let sampler = Thread {
            while peak.lock.withLock({ peak.running }) {
                let v = status(pid, "RssAnon")
                peak.lock.withLock { peak.value = max(peak.value, v) }
                usleep(20_000)
            }
        }
        sampler.start()
        let result = try body()
        peak.lock.withLock { peak.running = false }
        return (result, peak.lock.withLock { peak.value })
    }

    /// Sends one request and reads until its answer, counting the notifications before it.
    static func runJob(_ server: Bench.Server, _ line: String) throws -> (seconds: Double, progress: Int, answer: String) {
        let start = Bench.now()
        server.write(Data((line + "\n").utf8))
        var buffer: [UInt8] = []
        var progress = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let fd = server.stdout.fileHandleForReading.fileDescriptor
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { throw ValidationError("the engine stopped") }
            buffer += chunk[0..<n]
            while let nl = buffer.firstIndex(of: 0x0A) {
                let text = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeFirst(nl + 1)
                if text.contains("\"$/progress\"") { progress += 1; continue }
                return (Bench.now() - start, progress, text)
            }
        }
    }

    /// SQLite alone making the same changes: a payout row per partner and every payable
    /// entry moved into it, in batches of the run's size, each batch one durable commit.
    static func floor(path: String, partners: Int) throws -> Double {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        let seqs = try db.writer.read { try Int64.fetchAll($0, sql: "SELECT partnerSeq FROM payout_schedule ORDER BY partnerSeq") }
        // The ledger's instants are milliseconds (LedgerTime): 2027-01-01T00:00:00.000Z.
        let asOf: Int64 = 1_798_761_600_000
        let start = Bench.now()
        for batch in stride(from: 0, to: seqs.count, by: PayoutRun.batch) {
            let slice = seqs[batch..<min(seqs.count, batch + PayoutRun.batch)]
            try db.writer.write { db in
                for seq in slice {
                    let partner = try String.fetchOne(db.cachedStatement(sql: "SELECT partnerId FROM payout_schedule WHERE partnerSeq = ?"), arguments: [seq])!
                    let (count, sum) = try Row.fetchOne(db.cachedStatement(sql: """
                        SELECT COUNT(*), SUM(amount) FROM commission WHERE partnerSeq = ? AND status = 'pending' AND payableAt <= ? AND currency = 'USD'
                        """), arguments: [seq, asOf]).map { ($0[0] as Int64, $0[1] as Int64) }!
                    let id = "po_floor_" + partner
                    try db.cachedStatement(sql: """
                        INSERT INTO payout (id, partnerId, amount, currency, lineCount, status, method, destination, period, asOf, createdAt, updatedAt)
                        VALUES (?, ?, ?, 'USD', ?, 'created', 'stripe', 'acct_Bench00000000000001', '2027-01', 't', 't', 't')
                        """).execute(arguments: [id, partner, sum, count])
                    try db.cachedStatement(sql: """
                        UPDATE commission SET status = 'processing', payoutId = ?, updatedAt = ?
                        WHERE partnerSeq = ? AND status = 'pending' AND payableAt <= ? AND currency = 'USD'
                        """).execute(arguments: [id, asOf, seq, asOf])
                }
            }
        }
        return Bench.now() - start
    }

    static func run(dir: URL, partners: Int, lines: Int, smallLines: Int) throws {
        let path = dir.appendingPathComponent("payouts.sqlite").path
        let t0 = Bench.now()
        try generate(path: path, partners: partners, lines: lines)
        print(String(format: "payout ledger: %d partners, %d payable commissions, generated in %.1f s", partners, partners * lines, Bench.now() - t0))
        // The floor runs on a copy of the same file.
        let copy = dir.appendingPathComponent("payouts-floor.sqlite").path
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: path, toPath: copy)

        let server = try Bench.Server(db: path)
        _ = try runJob(server, #"{"jsonrpc":"2.0","id":"warm","method":"system.health"}"#)
        let (run, anonymous) = try peakAnonymous(server.process.processIdentifier) {
            try runJob(server, #"{"jsonrpc":"2.0","id":1,"method":"payout.runScheduled","params":{"actor":{"platform":"bench"},"progressToken":"bench"}}"#)
        }
        let rss = status(server.process.processIdentifier, "VmHWM")
        server.finish()
        guard run.answer.contains("\"payoutsCreated\":\(partners)") else { throw ValidationError("runScheduled answered \(run.answer.prefix(300))") }
        let floor = try floor(path: copy, partners: partners)
        print(String(format: "  payout.runScheduled, end to end: %.2f s (%d payouts, %d lines moved, %d progress reports)",
                     run.seconds, partners, partners * lines, run.progress))
        print(String(format: "  engine memory during the run: peak %.0f MB anonymous (heap and page cache); peak RSS %.0f MB with the database file's mmap'd pages",
                     anonymous, rss))
        print(String(format: "  SQLite alone, the same payouts and line moves in the same batches: %.2f s (the engine at %.2fx)",
                     floor, run.seconds / floor))
        try processComplete(path: path, label: "\(lines) lines each")

        let smallPath = dir.appendingPathComponent("payouts-small.sqlite").path
        try generate(path: smallPath, partners: partners, lines: smallLines)
        let s = try Bench.Server(db: smallPath)
        _ = try runJob(s, #"{"jsonrpc":"2.0","id":"warm","method":"system.health"}"#)
        let small = try runJob(s, #"{"jsonrpc":"2.0","id":1,"method":"payout.runScheduled","params":{"actor":{"platform":"bench"}}}"#)
        s.finish()
        guard small.answer.contains("\"payoutsCreated\":\(partners)") else { throw ValidationError("runScheduled answered \(small.answer.prefix(300))") }
        try processComplete(path: smallPath, label: "\(smallLines) lines each")
    }

    /// SQLite alone making the changes of process + complete for every created payout:
    /// the payout's two status updates (the instruction and the reference stored), its lines
    /// moved to paid, and two audit records of the engine's size with the chain's head
    /// updated — 1,024 payouts a transaction, as many as a pipelined group holds.
    static func processCompleteFloor(path: String) throws -> (seconds: Double, payouts: Int) {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        let ids = try db.writer.read { try String.fetchAll($0, sql: "SELECT id FROM payout WHERE status = 'created' ORDER BY seq") }
        let snapshot = 420 / 3  // a payout's state of 420 bytes of JSON, as the audit log stores it deflated
        let instruction = String(repeating: "i", count: 560)
        let start = Bench.now()
        var seq = try db.writer.read { try Int64.fetchOne($0, sql: "SELECT COALESCE(MAX(seq), 0) FROM audit") ?? 0 }
        // The actor, action, target type and partner by number, as the engine stores them (interned).
        let refs = try db.writer.write { db in
            try ["platform:bench", "payout.process", "payout", "ptr"].map { text in
                try db.execute(sql: "INSERT OR IGNORE INTO interned (text) VALUES (?)", arguments: [text])
                return try Int64.fetchOne(db, sql: "SELECT id FROM interned WHERE text = ?", arguments: [text])!
            }
        }
        for group in stride(from: 0, to: ids.count, by: 1024) {
            try db.writer.write { db in
                func audit(_ target: String) throws {
                    seq += 1
                    try db.cachedStatement(sql: """
                        INSERT INTO audit (seq, id, at, requestId, actorRef, actionRef, targetTypeRef, targetId, partnerRef, reason, before, after, hash)
                        VALUES (?, ?, 1798761600000, '1', ?, ?, ?, ?, ?, NULL, randomblob(?), randomblob(?), randomblob(32))
                        """).execute(arguments: [seq, "aud_floor_\(seq)", refs[0], refs[1], refs[2], target, refs[3], snapshot, snapshot])
                    try db.cachedStatement(sql: "UPDATE audit_head SET seq = ?, hash = ? WHERE singleton = 1")
                        .execute(arguments: [seq, String(repeating: "b", count: 64)])
                }
                for id in ids[group..<min(ids.count, group + 1024)] {
                    try db.cachedStatement(sql: "UPDATE payout SET status = 'processing', instruction = ?, updatedAt = 't' WHERE id = ? AND status = 'created'")
                        .execute(arguments: [instruction, id])
                    try audit(id)
                    try db.cachedStatement(sql: "UPDATE commission SET status = 'paid', updatedAt = 1798761600000 WHERE payoutId = ? AND status = 'processing'")
                        .execute(arguments: [id])
                    try db.cachedStatement(sql: "UPDATE payout SET status = 'paid', providerReference = ?, updatedAt = 't' WHERE id = ? AND status = 'processing'")
                        .execute(arguments: ["tr_" + id, id])
                    try audit(id)
                }
            }
        }
        return (Bench.now() - start, ids.count)
    }

    /// Every created payout processed and completed, pipelined (process then complete for
    /// each, all written at once), and SQLite's own cost for the same changes on a copy.
    static func processComplete(path: String, label: String) throws {
        let copy = path + "-floor"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: copy + suffix) }
        try DatabaseQueue(path: path).writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
        let ids = try DatabaseQueue(path: path).read { try String.fetchAll($0, sql: "SELECT id FROM payout WHERE status = 'created' ORDER BY seq") }
        var lines: [String] = []
        for (k, id) in ids.enumerated() {
            lines.append(#"{"jsonrpc":"2.0","id":\#(2 * k),"method":"payout.process","params":{"actor":{"platform":"bench"},"payoutId":"\#(id)"}}"#)
            lines.append(#"{"jsonrpc":"2.0","id":\#(2 * k + 1),"method":"payout.complete","params":{"actor":{"platform":"bench"},"payoutId":"\#(id)","providerReference":"tr_\#(id)"}}"#)
        }
        let s = try Bench.pipelined(lines, db: path)
        let paid = try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM payout WHERE status = 'paid'") ?? 0 }
        guard paid == ids.count else { throw ValidationError("\(paid) of \(ids.count) payouts paid") }
        let floor = try processCompleteFloor(path: copy)
        print(String(format: "  payout.process + payout.complete pipelined (%@): %8.0f payouts/s  (%d in %.2f s); SQLite alone, the same changes: %8.0f payouts/s (the engine at %.1fx its time)",
                     label, Double(ids.count) / s, ids.count, s, Double(floor.payouts) / floor.seconds, s / floor.seconds))
    }
}
