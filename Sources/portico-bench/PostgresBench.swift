import Foundation
import PorticoPostgres

/// The PostgreSQL figures: `sale.record` pipelined by one engine and by four at once on one
/// database, beside pgbench's own simple-update TPS on the same server in the same run
/// (one client, then four), and the cold start of an engine on an existing database.
enum PostgresBench {
    static func run(server: String, sales: Int, seconds: Int, coldStarts: Int) throws {
        let admin = try PGConnection(url: server)
        print("PostgreSQL \(admin.serverVersion / 10000).\(admin.serverVersion % 100) at \(PGConnection.redacted(server))")
        let database = try PGDatabase("portico_bench_\(getpid())", on: server)
        defer { try? database.drop() }
        let db = database.url

        // A partner and its customers, through the engine.
        let setup = try Bench.Server(db: db)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        setup.write(Data((#"{"jsonrpc":"2.0","id":0,"method":"partner.create","params":{"actor":{"platform":"bench"},"name":"PG Bench","subdomain":"pgbench","region":"us","owner":{"email":"o@pg.example","name":"O"}}}"# + "\n").utf8))
        try setup.awaitAnswers(1, buffer: buffer)
        setup.finish()
        let pg = try PGConnection(url: db)
        let partner = try pg.query("SELECT id FROM partner").text(0, 0)!
        let setup2 = try Bench.Server(db: db)
        let creates = (0..<200).map { i in
            #"{"jsonrpc":"2.0","id":\#(i),"method":"customer.create","params":{"actor":{"platform":"bench"},"partnerId":"\#(partner)","name":"C\#(i)","email":"c\#(i)@pg.example","country":"US"}}"#
        }
        setup2.write(Data((creates.joined(separator: "\n") + "\n").utf8))
        try setup2.awaitAnswers(creates.count, buffer: buffer)
        setup2.finish()
        let rows = try pg.query("SELECT id FROM customer ORDER BY seq")
        let customers = (0..<rows.count).map { rows.text($0, 0)! }

        let one = try Bench.pipelined(SalesBench.saleLines(customers, count: sales, prefix: "pg1"), db: db)
        let oneRate = Double(sales) / one
        print(String(format: "  sale.record pipelined, one engine:   %8.0f sales/s  (%.1f µs a sale)", oneRate, one / Double(sales) * 1e6))
        let four = try concurrently(4) { k in
            try Bench.pipelined(SalesBench.saleLines(customers, count: sales / 4, prefix: "pg4-\(k)"), db: db)
        }
        let fourRate = Double(4 * (sales / 4)) / four.max()!
        print(String(format: "  sale.record pipelined, four engines: %8.0f sales/s together (each %@ s)", fourRate,
                     four.map { String(format: "%.2f", $0) }.joined(separator: ", ")))

        // pgbench's own figure on the same server: its simple-update script (an UPDATE, a
        // SELECT and an INSERT a transaction), one client and four.
        let bench = try PGDatabase("portico_pgbench_\(getpid())", on: server)
        defer { try? bench.drop() }
        _ = try pgbench(["-i", "-q", "-s", "4", bench.url])
        let tps1 = try tps(pgbench(["-b", "simple-update", "-c", "1", "-j", "1", "-T", "\(seconds)", bench.url]))
        let tps4 = try tps(pgbench(["-b", "simple-update", "-c", "4", "-j", "4", "-T", "\(seconds)", bench.url]))
        print(String(format: "  pgbench simple-update, same server:  %8.0f TPS one client, %.0f TPS four clients", tps1, tps4))
        print(String(format: "  engine / pgbench:                    %.2f (one engine / one client), %.2f (four / four)", oneRate / tps1, fourRate / tps4))

        if coldStarts > 0 {
            var times = try (0..<coldStarts).map { _ in try Bench.firstAnswer(db: db) * 1000 }.sorted()
            times.sort()
            print(String(format: "  cold start to first answer:          median %.1f ms, p90 %.1f ms (existing database)",
                         times[times.count / 2], times[min(times.count - 1, times.count * 9 / 10)]))
        }
    }

    /// Runs `body` on `n` threads at once; answers each one's result.
    static func concurrently(_ n: Int, _ body: @escaping @Sendable (Int) throws -> Double) throws -> [Double] {
        final class Results: @unchecked Sendable {
            var values = [Result<Double, any Error>?](repeating: nil, count: 4)
            let lock = NSLock()
        }
        let results = Results()
        results.values = Array(repeating: nil, count: n)
        DispatchQueue.concurrentPerform(iterations: n) { k in
            let r = Result { try body(k) }
            results.lock.withLock { results.values[k] = r }
        }
        return try results.values.map { try $0!.get() }
    }

    static func pgbench(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["pgbench"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard p.terminationStatus == 0 else { throw PGError(state: "XX000", message: "pgbench failed: \(text)") }
        return text
    }

    /// pgbench's "tps = N (without initial connection time)".
    static func tps(_ output: String) throws -> Double {
        for line in output.split(separator: "\n") where line.hasPrefix("tps = ") {
            if let n = Double(line.dropFirst(6).prefix { $0 != " " }) { return n }
        }
        throw PGError(state: "XX000", message: "no tps in pgbench's output: \(output)")
    }
}
