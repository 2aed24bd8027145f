import Foundation
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

/// The analytics figures on a generated ledger the shape the analytics issue names:
/// `partners` partners (regions and tiers in turn), a reseller for every tenth, five
/// customers each, `sales` sales over two years from 2025-01-01 with two commissions each
/// (a tenth of the sales to the first partner, the rest spread over all), and a
/// subscription for every customer (a fifth of them ended). Each method is timed in
/// process, as the engine answers it, the median of several calls.
enum AnalyticsBench {
    static func run(dir: URL, sales: Int, partners: Int) throws {
        let path = dir.appendingPathComponent("analytics-\(sales)-\(partners).sqlite").path
        let start = Timestamp(rfc3339: "2025-01-01T00:00:00Z")!
        if FileManager.default.fileExists(atPath: path) {
            print("analytics ledger: \(sales) sales, \(partners) partners, from an earlier run")
        } else {
            let generating = Date()
            try generate(path: path, sales: sales, partners: partners, start: start)
            print(String(format: "analytics ledger: %d sales, %d commissions, %d partners generated in %.1f s", sales, 2 * sales, partners,
                         Date().timeIntervalSince(generating)))
        }
        let exports = dir.appendingPathComponent("analytics-exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        let engine = try Engine(options: .init(databasePath: path, openStore: SQLiteStore.opener,
                                               clock: FixedClock(Timestamp(rfc3339: "2027-01-01T00:00:00Z")!), seed: 5,
                                               exportDirectory: exports.path))
        defer { engine.close() }
        let first = try SQLiteStore(path: path).read { tx in try tx.partners(status: nil, region: nil, onlyID: nil, afterSeq: 0, limit: 1).first!.id }
        let actor: JSONValue = ["platform": "bench"]
        let year: JSONObject = ["actor": actor, "from": "2025-01-01", "to": "2025-12-31"]
        func with(_ base: JSONObject, _ extra: JSONObject) -> JSONValue {
            var o = base
            for m in extra.members { o[m.key] = m.value }
            return .object(o)
        }
        let cases: [(String, String, JSONValue)] = [
            ("analytics.partner, a year by day", "analytics.partner",
             with(year, ["partnerId": .string(first), "granularity": "day"])),
            ("analytics.partner, a year by month", "analytics.partner",
             with(year, ["partnerId": .string(first), "granularity": "month"])),
            ("analytics.topPartners by revenue", "analytics.topPartners", with(year, ["by": "revenue", "currency": "USD"])),
            ("analytics.topPartners by growth", "analytics.topPartners", with(year, ["by": "growth", "currency": "EUR"])),
            ("analytics.resellers", "analytics.resellers", with(year, ["partnerId": .string(first), "by": "revenue", "currency": "USD"])),
            ("analytics.regions", "analytics.regions", .object(year)),
            // A range of days that is not whole months: its years, months and days summed.
            ("analytics.topPartners, 15 Jan-14 Dec", "analytics.topPartners",
             with(year, ["from": "2025-01-15", "to": "2025-12-14", "by": "revenue", "currency": "USD"])),
            ("analytics.regions, 15 Jan-14 Dec", "analytics.regions", with(year, ["from": "2025-01-15", "to": "2025-12-14"])),
            ("analytics.overview", "analytics.overview", ["actor": actor]),
        ]
        for (name, method, params) in cases {
            var times: [Double] = []
            for _ in 0..<5 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let outcome = engine.call(method, params)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                if case .error(let e) = outcome { throw BenchFailure("\(method): \(e)") }
            }
            times.sort()
            let label = (name + ":").padding(toLength: 36, withPad: " ", startingAt: 0)
            print(label + String(format: " %8.2f ms (median of 5; fastest %.2f ms)", times[2], times[0]))
        }
        // The first partner's year by day as a file: its figures, four charts and a table
        // of 365 rows (about ten PDF pages).
        for format in ["pdf", "xlsx"] {
            var times: [Double] = []
            let name = "partner-year-by-day.\(format)"
            for _ in 0..<3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let outcome = engine.call("analytics.export", ["actor": actor, "report": "partnerAnalytics", "format": .string(format),
                                                               "path": .string(name), "overwrite": true,
                                                               "params": ["partnerId": .string(first), "from": "2025-01-01", "to": "2025-12-31",
                                                                          "granularity": "day"]])
                times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
                if case .error(let e) = outcome { throw BenchFailure("analytics.export: \(e)") }
            }
            times.sort()
            let pages = format == "pdf" ? ExportBench.pdfPages(exports.appendingPathComponent(name).path).map { ", \($0) pages" } ?? "" : ""
            let label = "analytics.export a year by day, \(format.uppercased()):".padding(toLength: 36, withPad: " ", startingAt: 0)
            print(label + String(format: " %8.2f ms (median of 3%@; in %@)", times[1], pages, exports.appendingPathComponent(name).path))
        }
    }

    static func generate(path: String, sales: Int, partners count: Int, start: Timestamp) throws {
        let db = try SQLiteStore(path: path)
        defer { try? db.close() }
        let ids = IDGenerator(seed: 13)
        let regions = [("us", "US", "USD"), ("eu", "DE", "EUR"), ("uk", "GB", "GBP"), ("jp", "JP", "JPY")]
        let tiers = ["standard", "silver", "gold", "platinum"]
        var partners: [(id: String, region: Int, reseller: String?)] = []
        var customers: [(id: String, partner: Int, reseller: String?)] = []
        try db.write { tx in
            for i in 0..<count {
                let r = i % regions.count
                var p = PartnerRecord(id: ids.make("ptr", at: start), name: "Partner \(i)", subdomain: "p\(i)", region: regions[r].0,
                                      tier: tiers[(i / 4) % tiers.count], status: .active, createdAt: start, updatedAt: start)
                try tx.insert(&p)
                var reseller: String? = nil
                if i % 10 == 0 {
                    var s = ResellerRecord(id: ids.make("rsl", at: start), partnerId: p.id, name: "Reseller \(i)", email: "r\(i)@bench.example",
                                           region: regions[r].0, commissionRate: nil, createdAt: start, updatedAt: start)
                    try tx.insert(&s)
                    reseller = s.id
                }
                partners.append((p.id, r, reseller))
                for k in 0..<5 {
                    let via = k % 2 == 0 ? reseller : nil
                    var c = CustomerRecord(id: ids.make("cus", at: start), partnerId: p.id, resellerId: via, name: "C\(i)-\(k)",
                                           email: "c\(i)-\(k)@bench.example", country: regions[r].1, createdAt: start, updatedAt: start)
                    try tx.insert(&c)
                    customers.append((c.id, i, via))
                }
            }
        }
        let kinds: [SaleKind] = [.new, .renewal, .upgrade, .usage]
        let step = 2 * 365 * 86_400_000 / Int64(max(sales, 1))
        var written = 0
        var lastSale: [String: String] = [:]
        while written < sales {
            try db.write { tx in
                for _ in 0..<min(50_000, sales - written) {
                    let i = written
                    let at = start.adding(milliseconds: Int64(i) * step)
                    // A tenth of the sales to the first partner's customers, the rest to everyone's.
                    let c = customers[i % 10 == 0 ? (i / 10) % 5 : (i * 7) % customers.count]
                    let currency = Currency.named(regions[partners[c.partner].region].2)!
                    let amount: Int64 = currency.exponent == 0 ? 9_800 : 9_900
                    var s = SaleRecord(id: ids.make("sal", at: at), partnerId: partners[c.partner].id, resellerId: c.reseller, customerId: c.id,
                                       externalId: "gen-\(i)", plan: "pro", kind: kinds[i % 4], amount: Money(amount, currency),
                                       occurredAt: at, rulesHash: "bench", auditSeq: 0, createdAt: at)
                    try tx.insert(&s)
                    lastSale[c.id] = s.id
                    let payable = at.adding(days: 30)
                    var seller = CommissionRecord(id: ids.make("com", at: at), partnerId: s.partnerId, beneficiary: c.reseller == nil ? .partner : .reseller,
                                                  resellerId: c.reseller, saleId: s.id, kind: .sale, amount: Money(amount / 5, currency),
                                                  payableAt: payable, occurredAt: at, ruleId: "bench", rulesHash: "bench", basis: "bench",
                                                  reason: nil, createdAt: at)
                    try tx.insert(&seller)
                    var second = CommissionRecord(id: ids.make("com", at: at), partnerId: s.partnerId, beneficiary: .partner, resellerId: nil,
                                                  saleId: s.id, kind: .override, amount: Money(amount / 20, currency), payableAt: payable,
                                                  occurredAt: at, ruleId: "bench", rulesHash: "bench", basis: "bench", reason: nil, createdAt: at)
                    try tx.insert(&second)
                    written += 1
                }
            }
        }
        try db.write { tx in
            for (n, c) in customers.enumerated() {
                guard let sale = lastSale[c.id] else { continue }
                let currency = Currency.named(regions[partners[c.partner].region].2)!
                let begin = start.adding(days: Int64(n % 600))
                let ended = n % 5 == 0 ? begin.adding(days: 90) : nil
                var s = SubscriptionRecord(id: ids.make("sub", at: begin), partnerId: partners[c.partner].id, resellerId: c.reseller, customerId: c.id,
                                           plan: "pro", interval: n % 3 == 0 ? .year : .month, status: ended == nil ? .active : .cancelled,
                                           startAt: begin, period: 1, periodStart: begin, periodEnd: begin.adding(months: 1)!,
                                           amount: Money(9_900, currency), cancelAtPeriodEnd: false, cancelledAt: ended, endedAt: ended,
                                           lastSaleId: sale, createdAt: begin, updatedAt: begin)
                try tx.insert(&s)
            }
        }
    }
}
