import Foundation
import GRDB
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

/// The sales figures: a data generator for large ledgers, `sale.record` throughput
/// pipelined and one at a time, and dashboard and summary latency on a large ledger.
enum SalesBench {
    /// Fills a new database with a partner (with 20 resellers and 2,000 customers) and
    /// `sales` sales spread over two years, each reseller sale with its commission and the
    /// partner's override — written directly, in large transactions, with the shapes
    /// `sale.record` gives them. Answers the partner and a customer id.
    static func generate(path: String, sales: Int) throws -> (partner: String, customers: [String]) {
        let engine = try Engine(options: .init(databasePath: path, openStore: SQLiteStore.opener, clock: FixedClock(Timestamp(rfc3339: "2027-01-01T00:00:00Z")!), seed: 5))
        guard case .result(let p) = engine.call("partner.create", ["actor": ["platform": "bench"], "name": "Bench Partner", "subdomain": "bench",
                                                                    "region": "us", "owner": ["email": "o@bench.example", "name": "O"]]),
              let partner = p["id"]?.stringValue else { throw CocoaError(.featureUnsupported) }
        var resellers: [String] = []
        var customers: [String] = []
        for i in 0..<20 {
            if case .result(let r) = engine.call("reseller.create", ["actor": ["platform": "bench"], "partnerId": .string(partner),
                                                                    "name": .string("R\(i)"), "email": .string("r\(i)@bench.example"), "region": "us"]) {
                resellers.append(r["id"]!.stringValue!)
            }
        }
        engine.close()
        let db = try SQLiteStore(path: path)
        let ids = IDGenerator(seed: 11)
        let start = Timestamp(rfc3339: "2025-01-01T00:00:00Z")!
        try db.write { tx in
            for i in 0..<2000 {
                var c = CustomerRecord(id: ids.make("cus", at: start), partnerId: partner, resellerId: i % 2 == 0 ? resellers[i % 20] : nil,
                                       name: "C\(i)", email: "c\(i)@bench.example", country: "US", createdAt: start, updatedAt: start)
                try tx.insert(&c)
                customers.append(c.id)
            }
        }
        var written = 0
        let usd = Currency.named("USD")!
        while written < sales {
            try db.write { tx in
                for _ in 0..<min(50_000, sales - written) {
                    let i = written
                    let at = start.adding(milliseconds: Int64(i) * (2 * 365 * 86_400_000 / Int64(max(sales, 1))))
                    let customer = customers[i % customers.count]
                    let reseller: String? = (i % customers.count) % 2 == 0 ? resellers[(i % customers.count) % 20] : nil
                    var s = SaleRecord(id: ids.make("sal", at: at), partnerId: partner, resellerId: reseller, customerId: customer,
                                       externalId: "gen-\(i)", plan: "pro", kind: .new, amount: Money(9900, usd),
                                       occurredAt: at, rulesHash: "bench", auditSeq: 0, createdAt: at)
                    try tx.insert(&s)
                    let payable = at.adding(days: 30)
                    var seller = CommissionRecord(id: ids.make("com", at: at), partnerId: partner, beneficiary: reseller == nil ? .partner : .reseller,
                                                  resellerId: reseller, saleId: s.id, kind: .sale, amount: Money(reseller == nil ? 1980 : 792, usd),
                                                  payableAt: payable, occurredAt: s.occurredAt, ruleId: "bench",
                                                  rulesHash: "bench", basis: "bench", reason: nil, createdAt: s.createdAt)
                    try tx.insert(&seller)
                    var second = CommissionRecord(id: ids.make("com", at: at), partnerId: partner, beneficiary: .partner, resellerId: nil,
                                                  saleId: s.id, kind: reseller == nil ? .adjustment : .override, amount: Money(reseller == nil ? -10 : 297, usd),
                                                  payableAt: payable, occurredAt: s.occurredAt, ruleId: "bench",
                                                  rulesHash: "bench", basis: "bench", reason: nil, createdAt: s.createdAt)
                    try tx.insert(&second)
                    written += 1
                }
            }
        }
        try db.close()
        return (partner, customers)
    }

    static func saleLines(_ customers: [String], count: Int, prefix: String) -> [String] {
        (0..<count).map { i in
            #"{"jsonrpc":"2.0","id":\#(i),"method":"sale.record","params":{"actor":{"platform":"bench"},"customerId":"\#(customers[i % customers.count])","plan":"pro","kind":"renewal","occurredAt":"2027-01-15T10:00:00Z","externalId":"\#(prefix)-\#(i)"}}"#
        }
    }

    /// SQLite's own cost for the rows `sale.record` writes, without the engine: copies of
    /// the sales the pipelined run recorded (each sale row, its commissions and its audit
    /// record, with every index, trigger and foreign key they carry, and the totals' fold)
    /// inserted by SQL alone — one sale per durable commit, then all of them in one
    /// transaction. These bound what
    /// any engine on this schema, disk and CPU can reach.
    static func floor(path: String, prefix: String, oneAtATime: Int) throws -> (perCommit: Double, batched: Double, perSale: Double, sales: Int) {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        let sales = try db.writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT seq FROM sale WHERE externalId LIKE ? ORDER BY seq", arguments: [prefix + "-%"])
        }
        func copy(_ seqs: ArraySlice<Int64>, tag: String, _ db: Database) throws {
            let first = seqs.first!, last = seqs.last!
            let base = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit")!
            try db.cachedStatement(sql: """
                INSERT INTO audit (seq, id, at, requestId, actorRef, actionRef, targetTypeRef, targetId, partnerRef, reason, before, after, hash,
                                   contextRef, refSeq)
                SELECT ? + s.seq - ?, a.id || ?, a.at, a.requestId, a.actorRef, a.actionRef, a.targetTypeRef, a.targetId || ?, a.partnerRef,
                       a.reason, a.before, a.after, a.hash, a.contextRef, a.refSeq
                FROM sale s JOIN audit a ON a.seq = s.auditSeq WHERE s.seq BETWEEN ? AND ?
                """).execute(arguments: [base + 1, first, tag, tag, first, last])
            try db.cachedStatement(sql: """
                INSERT INTO sale (id, partnerSeq, resellerSeq, customerSeq, externalId, plan, kind, amount, currency, refunded, occurredAt,
                                  rulesRef, auditSeq, createdAt)
                SELECT id || ?, partnerSeq, resellerSeq, customerSeq, externalId || ?, plan, kind, amount, currency, refunded, occurredAt,
                       rulesRef, auditSeq, createdAt
                FROM sale WHERE seq BETWEEN ? AND ?
                """).execute(arguments: [tag, tag, first, last])
            try db.cachedStatement(sql: """
                INSERT INTO commission (id, partnerSeq, beneficiary, resellerSeq, saleSeq, kind, amount, originalAmount, currency, status,
                                        payableAt, occurredAt, ruleRef, rulesRef, basis, reason, payoutId, createdAt, updatedAt)
                SELECT c.id || ?1, c.partnerSeq, c.beneficiary, c.resellerSeq, (SELECT seq FROM sale WHERE id = s.id || ?1), c.kind, c.amount, c.originalAmount, c.currency,
                       c.status, c.payableAt, c.occurredAt, c.ruleRef, c.rulesRef, c.basis, c.reason, c.payoutId, c.createdAt, c.updatedAt
                FROM sale s JOIN commission c ON c.saleSeq = s.seq WHERE s.seq BETWEEN ?2 AND ?3
                """).execute(arguments: [tag, first, last])
            // And their part in the totals summed in, as the engine's commit does.
            try SQLiteTransaction(db).foldTotals()
        }
        let one = sales.prefix(oneAtATime)
        var start = Bench.now()
        for seq in one {
            try db.writer.writeWithoutTransaction { db in try db.inTransaction(.immediate) { try copy([seq], tag: "-c", db); return .commit } }
        }
        let perCommit = (Bench.now() - start) / Double(max(one.count, 1))
        start = Bench.now()
        try db.writer.writeWithoutTransaction { db in try db.inTransaction(.immediate) { try copy(sales[...], tag: "-b", db); return .commit } }
        let batched = (Bench.now() - start) / Double(max(sales.count, 1))
        // As an engine answering one request at a time must write them: each row by an
        // INSERT of its own, its values bound (read beforehand, untimed), all in one
        // transaction, the totals folded once.
        let rows = try db.writer.read { db in
            (try Row.fetchAll(db, sql: """
                SELECT a.id || '-s', a.at, a.requestId, a.actorRef, a.actionRef, a.targetTypeRef, a.targetId || '-s', a.partnerRef, a.reason,
                       a.before, a.after, a.hash, a.contextRef, a.refSeq
                FROM sale s JOIN audit a ON a.seq = s.auditSeq WHERE s.seq BETWEEN ? AND ? ORDER BY s.seq
                """, arguments: [sales.first, sales.last]),
             try Row.fetchAll(db, sql: """
                SELECT id || '-s', partnerSeq, resellerSeq, customerSeq, externalId || '-s', plan, kind, amount, currency, refunded, occurredAt,
                       rulesRef, createdAt
                FROM sale WHERE seq BETWEEN ? AND ? ORDER BY seq
                """, arguments: [sales.first, sales.last]),
             Dictionary(grouping: try Row.fetchAll(db, sql: """
                SELECT c.saleSeq, c.id || '-s', c.partnerSeq, c.beneficiary, c.resellerSeq, c.kind, c.amount, c.originalAmount, c.currency, c.status,
                       c.payableAt, c.occurredAt, c.ruleRef, c.rulesRef, c.basis, c.reason, c.payoutId, c.createdAt, c.updatedAt
                FROM commission c WHERE c.saleSeq BETWEEN ? AND ? ORDER BY c.seq
                """, arguments: [sales.first, sales.last]), by: { $0[0] as Int64 }))
        }
        func binds(_ row: Row, from: Int = 0) -> [Bind] {
            row.databaseValues.dropFirst(from).map { value in
                switch value.storage {
                case .int64(let n): .int(n)
                case .string(let t): .text(t)
                case .blob(let b): .blob(Array(b))
                case .double(let d): .int(Int64(d))
                case .null: .null
                }
            }
        }
        start = Bench.now()
        try db.writer.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                let audit = try db.makeStatement(sql: """
                    INSERT INTO audit (seq, id, at, requestId, actorRef, actionRef, targetTypeRef, targetId, partnerRef, reason, before, after, hash,
                                       contextRef, refSeq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let sale = try db.makeStatement(sql: """
                    INSERT INTO sale (id, partnerSeq, resellerSeq, customerSeq, externalId, plan, kind, amount, currency, refunded, occurredAt,
                                      rulesRef, createdAt, auditSeq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                let entry = try db.makeStatement(sql: """
                    INSERT INTO commission (id, partnerSeq, beneficiary, resellerSeq, kind, amount, originalAmount, currency, status,
                                            payableAt, occurredAt, ruleRef, rulesRef, basis, reason, payoutId, createdAt, updatedAt, saleSeq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                var auditSeq = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit")!
                for (k, seq) in sales.enumerated() {
                    auditSeq += 1
                    _ = try Bind.run(audit, db, [.int(auditSeq)] + binds(rows.0[k])) { _ in }
                    _ = try Bind.run(sale, db, binds(rows.1[k]) + [.int(auditSeq)]) { _ in }
                    let saleSeq = db.lastInsertedRowID
                    for c in rows.2[seq] ?? [] { _ = try Bind.run(entry, db, binds(c, from: 1) + [.int(saleSeq)]) { _ in } }
                }
                try SQLiteTransaction(db).foldTotals()
                return .commit
            }
        }
        return (perCommit, batched, (Bench.now() - start) / Double(max(sales.count, 1)), sales.count)
    }

    /// The bytes each table and index of the database at `path` takes (its pages in use,
    /// after a checkpoint), by name.
    static func storage(_ path: String) throws -> [String: Int64] {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        return try db.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").map {
                ($0[0] as String, $0[1] as Int64)
            })
        }
    }

    /// Median milliseconds of a read method run in-process on the database, read at the end
    /// of a day: the worst case for the entries whose hold ends that day, which are split
    /// at the time of reading from the ledger itself (about 2,700 here).
    static func latency(_ path: String, _ method: String, _ params: JSONValue, runs: Int = 15) throws -> Double {
        let engine = try Engine(options: .init(databasePath: path, openStore: SQLiteStore.opener, clock: FixedClock(Timestamp(rfc3339: "2027-01-20T23:59:59Z")!)))
        defer { engine.close() }
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = Bench.now()
            if case .error(let e) = engine.call(method, params) { throw CocoaError(.featureUnsupported, userInfo: ["e": e.message]) }
            samples.append(Bench.now() - start)
        }
        samples.sort()
        return samples[samples.count / 2] * 1000
    }

    static func run(dir: URL, large: Int, pipelined: Int, sequential: Int) throws {
        for size in Array(Set([min(10_000, large), large])).sorted() {
            let path = dir.appendingPathComponent("sales-\(size).sqlite").path
            let t0 = Bench.now()
            let (partner, customers) = try generate(path: path, sales: size)
            print(String(format: "ledger of %d sales, %d commissions generated in %.1f s", size, 2 * size, Bench.now() - t0))
            let before = try storage(path)
            let s = try Bench.pipelined(saleLines(customers, count: pipelined, prefix: "p\(size)"), db: path)
            print(String(format: "  sale.record pipelined on it:     %8.0f sales/s  (%.1f µs a sale)", Double(pipelined) / s, s / Double(pipelined) * 1e6))
            let after = try storage(path)
            let grown = after.mapValues { Double($0) } .merging(before.mapValues { -Double($0) }, uniquingKeysWith: +)
            let total = grown.values.reduce(0, +) / Double(pipelined)
            let parts = grown.filter { $0.value >= 5 * Double(pipelined) }.sorted { $0.value > $1.value }
                .map { String(format: "%@ %.0f", $0.key, $0.value / Double(pipelined)) }.joined(separator: ", ")
            print(String(format: "  storage: %.0f bytes a sale (the database's growth over the pipelined sales, each with its commissions and audit record); by table and index: %@",
                         total, parts))
            if size == large {
                let q = try Bench.sequential(saleLines(customers, count: sequential, prefix: "s\(size)"), db: path)
                print(String(format: "  sale.record one at a time:       %8.0f sales/s  (%.0f µs a sale)", Double(sequential) / q, q / Double(sequential) * 1e6))
                let f = try floor(path: path, prefix: "p\(size)", oneAtATime: sequential)
                print(String(format: "  SQLite alone, the same rows, one sale a commit: %8.0f sales/s  (%.0f µs a sale)", 1 / f.perCommit, f.perCommit * 1e6))
                print(String(format: "  SQLite alone, the same rows, %d sales in one transaction: %8.0f sales/s  (%.1f µs a sale)",
                             f.sales, 1 / f.batched, f.batched * 1e6))
                print(String(format: "  SQLite alone, the same rows, an INSERT a row, in one transaction: %8.0f sales/s  (%.1f µs a sale)",
                             1 / f.perSale, f.perSale * 1e6))
                let dashboard = try latency(path, "partner.dashboard", ["actor": ["platform": "bench"], "partnerId": .string(partner)])
                let summary = try latency(path, "commission.summary", ["actor": ["platform": "bench"], "partnerId": .string(partner)])
                print(String(format: "  partner.dashboard: median %.1f ms; commission.summary: median %.1f ms", dashboard, summary))
            }
        }
    }
}
