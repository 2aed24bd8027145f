import CXLSXWriter
import Foundation
import GRDB
import GRDBSQLite
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

/// The export figures on a generated ledger (SalesBench's): `analytics.export` of every
/// sale to CSV, of 100,000 to XLSX beside libxlsxwriter alone writing the same cells, and a
/// PDF of about ten pages; with the resident memory each export adds to the idle engine.
enum ExportBench {
    static func run(dir: URL, sales: Int, xlsxRows: Int, pdfRows: Int) throws {
        let path = dir.appendingPathComponent("exports.sqlite").path
        let partner: String
        // A ledger of the same size left in --dir by an earlier run is used again.
        if FileManager.default.fileExists(atPath: path), let (id, count) = try? existing(path), count == sales {
            partner = id
            print("export ledger: \(sales) sales, from an earlier run")
        } else {
            try? FileManager.default.removeItem(atPath: path)
            let generating = Date()
            partner = try SalesBench.generate(path: path, sales: sales).partner
            print(String(format: "export ledger: %d sales generated in %.1f s", sales, Date().timeIntervalSince(generating)))
        }
        let exports = dir.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        // The real binary, as a host runs it: its memory is the child's own.
        let server = try Bench.Server(db: path, arguments: ["--export-dir", exports.path])
        defer { server.finish() }
        var pending: [UInt8] = []
        func call(_ request: JSONValue) throws -> JSONValue {
            var line = JSONWriter.bytes(request)
            line.append(0x0A)
            server.write(Data(line))
            let fd = server.stdout.fileHandleForReading.fileDescriptor
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while !pending.contains(0x0A) {
                let n = read(fd, &chunk, chunk.count)
                guard n > 0 else { throw BenchFailure("the engine stopped") }
                pending += chunk[..<n]
            }
            let nl = pending.firstIndex(of: 0x0A)!
            let answer = try JSONReader.parse(pending[..<nl])
            pending.removeSubrange(...nl)
            return answer
        }
        _ = try call(["jsonrpc": "2.0", "id": 0, "method": "system.health"])

        // The generator spreads the sales evenly over two years from 2025-01-01: a range
        // holding the first n of them.
        let start = Timestamp(rfc3339: "2025-01-01T00:00:00Z")!
        let step = 2 * 365 * 86_400_000 / Int64(max(sales, 1))
        func first(_ n: Int) -> JSONValue {
            ["partnerId": .string(partner), "to": .string(start.adding(milliseconds: Int64(min(n, sales)) * step).rfc3339)]
        }
        func export(_ format: String, _ params: JSONValue, name: String) throws -> (seconds: Double, rows: Int64, bytes: Int64, memory: Int) {
            let sampler = MemorySampler.start(pid: server.process.processIdentifier)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let answer = try call(["jsonrpc": "2.0", "id": 1, "method": "analytics.export",
                                   "params": ["actor": ["platform": "bench"], "report": "sales", "params": params,
                                              "format": .string(format), "path": .string(name), "overwrite": true]])
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let memory = sampler.stop()
            print(String(format: "  (%@: the engine's CPU %.3f s of %.3f s)", name, sampler.cpuSeconds, seconds))
            guard let r = answer["result"] else { throw BenchFailure("\(name): \(answer)") }
            return (seconds, r["rows"]?.integerValue ?? 0, r["bytes"]?.integerValue ?? 0, memory)
        }

        let csv = try export("csv", ["partnerId": .string(partner)], name: "all.csv")
        let floor = try sqliteAlone(path: path, partner: partner)
        print(String(format: "export CSV, every sale:           %.3f s for %d rows (%.0f rows/s, %.1f MB, +%.1f MB resident); SQLite alone reading the same rows: %.3f s (%.2fx)",
                     csv.seconds, csv.rows, Double(csv.rows) / csv.seconds, Double(csv.bytes) / 1e6, Double(csv.memory) / 1e6,
                     floor, csv.seconds / floor))

        let xlsx = try export("xlsx", first(xlsxRows), name: "part.xlsx")
        let alone = try libxlsxwriterAlone(path: path, partner: partner, rows: Int(xlsx.rows), to: dir.appendingPathComponent("alone.xlsx").path)
        print(String(format: "export XLSX:                      %.3f s for %d rows (+%.1f MB resident); libxlsxwriter alone, same cells: %.3f s (%.2fx)",
                     xlsx.seconds, xlsx.rows, Double(xlsx.memory) / 1e6, alone, xlsx.seconds / alone))

        let pdf = try export("pdf", first(pdfRows), name: "part.pdf")
        let pages = pdfPages(exports.appendingPathComponent("part.pdf").path)
        print(String(format: "export PDF:                       %.3f s for %d rows, %@ pages (+%.1f MB resident)",
                     pdf.seconds, pdf.rows, pages.map(String.init) ?? "?", Double(pdf.memory) / 1e6))
    }

    /// SQLite alone reading what the CSV export reads: the same query, a page of 2,000 at a
    /// time (each in a transaction of its own), every column of every row touched.
    static func sqliteAlone(path: String, partner: String) throws -> Double {
        var readOnly = Configuration()
        readOnly.readonly = true
        let db = try DatabaseQueue(path: path, configuration: readOnly)
        defer { try? db.close() }
        let sql = """
            SELECT seq, id, partnerSeq, resellerSeq, customerSeq, externalId, plan, kind, amount, currency, refunded, occurredAt,
                   rulesRef, auditSeq, createdAt FROM sale INDEXED BY sale_by_partner
            WHERE partnerSeq = (SELECT seq FROM partner WHERE id = ?1) AND (?2 IS NULL OR customerSeq = ?2) AND (?3 IS NULL OR kind = ?3)
              AND occurredAt >= ?4 AND occurredAt <= ?5 AND seq > ?6
            ORDER BY seq LIMIT ?7
            """
        let t0 = DispatchTime.now().uptimeNanoseconds
        var after: Int64 = 0, rows = 0, touched = 0
        while true {
            let page: Int = try db.read { d in
                let statement = try d.cachedStatement(sql: sql)
                try statement.setArguments([partner, nil, nil, TimeRange.all.first.millisecondsSinceEpoch, TimeRange.all.last.millisecondsSinceEpoch, after, 2_000])
                let h = statement.sqliteStatement
                var n = 0
                while sqlite3_step(h) == SQLITE_ROW {
                    touched &+= Bench.touchColumns(h)
                    after = sqlite3_column_int64(h, 0)
                    n += 1
                }
                sqlite3_reset(h)
                return n
            }
            rows += page
            if page < 2_000 { break }
        }
        precondition(touched != 0 && rows > 0)
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// libxlsxwriter writing the export's cells with nothing of the engine around it: the
    /// sales read first (not timed), then a constant-memory workbook of the same columns,
    /// kinds and formats, timed from open to close.
    static func libxlsxwriterAlone(path: String, partner: String, rows: Int, to file: String) throws -> Double {
        let store = try SQLiteStore(path: path)
        defer { try? store.close() }
        var sales: [SaleRecord] = []
        try store.read { tx in
            var after: Int64 = 0
            while sales.count < rows {
                let page = try tx.sales(SaleFilter(partnerId: partner), afterSeq: after, limit: min(10_000, rows - sales.count))
                sales += page
                guard let last = page.last else { break }
                after = last.seq
            }
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        var options = lxw_workbook_options(constant_memory: 1, tmpdir: nil, use_zip64: 1)
        let wb = workbook_new_opt(file, &options)
        let ws = workbook_add_worksheet(wb, "Sales")
        let header = workbook_add_format(wb)
        format_set_bold(header)
        let time = workbook_add_format(wb)
        format_set_num_format(time, "yyyy-mm-dd hh:mm:ss")
        let money = workbook_add_format(wb)
        format_set_num_format(money, "#,##0.00 \"USD\"")
        let names = ["id", "occurredAt", "customerId", "resellerId", "externalId", "plan", "kind", "amount", "refunded", "currency", "createdAt"]
        for (i, name) in names.enumerated() { worksheet_write_string(ws, 0, UInt16(i), name, header) }
        worksheet_freeze_panes(ws, 1, 0)
        func serial(_ t: Timestamp) -> Double { Double(t.millisecondsSinceEpoch) / 86_400_000 + 25_569 }
        for (r, s) in sales.enumerated() {
            let row = UInt32(r + 1)
            worksheet_write_string(ws, row, 0, s.id, nil)
            worksheet_write_number(ws, row, 1, serial(s.occurredAt), time)
            worksheet_write_string(ws, row, 2, s.customerId, nil)
            if let reseller = s.resellerId { worksheet_write_string(ws, row, 3, reseller, nil) }
            worksheet_write_string(ws, row, 4, s.externalId, nil)
            worksheet_write_string(ws, row, 5, s.plan, nil)
            worksheet_write_string(ws, row, 6, s.kind.rawValue, nil)
            worksheet_write_number(ws, row, 7, Double(s.amount.amount) / 100, money)
            worksheet_write_number(ws, row, 8, Double(s.refunded.amount) / 100, money)
            worksheet_write_string(ws, row, 9, s.currency, nil)
            worksheet_write_number(ws, row, 10, serial(s.createdAt), time)
        }
        worksheet_autofilter(ws, 0, 0, UInt32(sales.count), UInt16(names.count - 1))
        guard workbook_close(wb) == LXW_NO_ERROR else { throw BenchFailure("libxlsxwriter alone failed") }
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// The partner of a generated ledger and its sales.
    static func existing(_ path: String) throws -> (String, Int) {
        let db = try DatabaseQueue(path: path)
        return try db.read { db in
            (try String.fetchOne(db, sql: "SELECT id FROM partner LIMIT 1") ?? "", try Int.fetchOne(db, sql: "SELECT count(*) FROM sale") ?? 0)
        }
    }

    static func pdfPages(_ path: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        // cairo writes one `/Type /Page` object a page (and `/Type /Pages` for the tree).
        let text = String(decoding: data, as: UTF8.self)
        return text.components(separatedBy: "/Type /Page\n").count - 1 + text.components(separatedBy: "/Type /Page ").count - 1
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A process's resident memory, sampled every millisecond on a thread of its own until
/// `stop`: answers the highest reading above the first.
final class MemorySampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var peak: Int
    private let base: Int

    private let pid: Int32
    private let cpuAtStart: Double

    private init(pid: Int32) {
        self.pid = pid
        base = Self.resident(pid)
        peak = base
        cpuAtStart = Self.cpu(pid)
    }

    /// The CPU time the process used since the sampler started, in seconds.
    var cpuSeconds: Double { Self.cpu(pid) - cpuAtStart }

    /// utime + stime from /proc/PID/stat (the fields after the command's closing parenthesis).
    static func cpu(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func start(pid: Int32) -> MemorySampler {
        let s = MemorySampler(pid: pid)
        Thread { s.sample() }.start()
        return s
    }

    private func sample() {
        while lock.withLock({ running }) {
            let now = Self.resident(pid)
            lock.withLock { peak = max(peak, now) }
            usleep(1000)
        }
    }

    func stop() -> Int {
        let now = Self.resident(pid)
        return lock.withLock {
            running = false
            return max(0, max(peak, now) - base)
        }
    }

    /// A process's own resident memory (RssAnon in /proc/PID/status: its heap and stacks),
    /// in bytes. Pages of the database file SQLite maps (`mmap_size`) are the kernel's page
    /// cache, shared and dropped under pressure, and not counted.
    static func resident(_ pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }) else { return 0 }
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}
