import Foundation
import JSONRPC
import PorticoCore
import PorticoExport
import PorticoRules
import PorticoStore
import Testing
@testable import PorticoServer

/// Steps of an export over the test engine's store, as the platform, with an export
/// directory; cancelled once `cancelAfterReads` reads have run.
final class ExportJob: JobSteps {
    let engine: Engine
    let directory: String
    let cancelAfterReads: Int
    var reads = 0
    var reports: [(done: Int, total: Int)] = []
    /// Runs before each read, with the reads before it.
    var beforeRead: ((Int) throws -> Void)?

    init(_ engine: Engine, directory: String, cancelAfterReads: Int = .max) {
        self.engine = engine; self.directory = directory; self.cancelAfterReads = cancelAfterReads
    }

    func context(_ tx: any StoreTransaction) throws -> RequestContext {
        RequestContext(store: tx, now: Timestamp(rfc3339: "2026-06-01T00:00:00Z")!, requestId: "job", action: "analytics.export",
                       actor: try ActorResolver.resolve(.platform("ops"), tx), ids: engine.ids, policy: RulesAccessPolicy(engine.rules),
                       activeRules: engine.rules, exportDirectory: directory)
    }

    func step<T>(_ body: (RequestContext) throws -> T) throws -> T { try engine.database.write { tx in try body(try context(tx)) } }
    func read<T>(_ body: (RequestContext) throws -> T) throws -> T {
        try beforeRead?(reads)
        reads += 1
        return try engine.database.read { tx in try body(try context(tx)) }
    }
    func progress(done: Int, total: Int, message: String) { reports.append((done, total)) }
    var isCancelled: Bool { reads >= cancelAfterReads }
}

@Suite struct ExportTests {
    /// A partner with `count` sales (amounts in EUR and JPY), and an export directory.
    static func world(_ count: Int) throws -> (TestEngine, String, URL) {
        let t = try TestEngine()
        let partnerId = try t.call("partner.create", createParams("nimbus"))["result"]!["id"]!.stringValue!
        var customers: [String] = []
        for country in ["DE", "JP"] {
            customers.append(try t.call("customer.create", ["actor": platform, "partnerId": .string(partnerId), "name": .string("Customer, \"\(country)\""),
                                                            "email": .string("c-\(country)@example.com"), "country": .string(country)])["result"]!["id"]!.stringValue!)
        }
        for i in 0..<count {
            let answer = try t.call("sale.record", ["actor": platform, "customerId": .string(customers[i % 2]), "plan": "pro", "kind": i < 2 ? "new" : "upgrade",
                                                    "occurredAt": "2026-03-01T10:00:00Z", "externalId": .string(i % 3 == 0 ? "=cmd|' /C calc'!A\(i)" : "inv-\(i)")])
            precondition(answer["result"] != nil, "\(answer)")
        }
        let exports = t.dir.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        return (t, partnerId, exports)
    }

    static func python(_ path: String) throws -> [[String]] {
        let data = try output("/usr/bin/python3", ["-c", """
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='utf-8') as f:
                print(json.dumps(list(csv.reader(f))))
            """, path])
        return try JSONDecoder().decode([[String]].self, from: Data(data))
    }

    /// What a program writes to its standard output, and its exit status (a failing tool
    /// fails the test that expects its answer).
    static func output(_ executable: String, _ arguments: [String], status: UnsafeMutablePointer<Int32>? = nil) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status?.pointee = process.terminationStatus
        return Array(data)
    }

    /// Every sale `sale.list` shows is a row of the file, page after page, as Python's csv
    /// module reads it: money in the currency's exponent, a formula neutralised.
    @Test func theFileHoldsTheLedgersRows() throws {
        let (t, partnerId, exports) = try Self.world(23)
        let job = ExportJob(t.engine, directory: exports.path)
        let result = try AnalyticsMethods.export(job, .sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all), format: .csv,
                                                 path: "sales.csv", overwrite: false, pageSize: 5)
        #expect(result.rows == 23 && job.reads == 1 + 5)  // the count, then five pages
        let listed = try t.call("sale.list", ["actor": platform, "partnerId": .string(partnerId), "limit": 100])["result"]!["items"]!.arrayValue!
        let read = try Self.python(exports.appendingPathComponent("sales.csv").path)
        #expect(read.first == ["id", "occurredAt", "customerId", "resellerId", "externalId", "plan", "kind", "amount", "refunded", "currency", "createdAt"])
        #expect(read.count == 24)
        for (row, sale) in zip(read.dropFirst(), listed) {
            let money = Money(sale["amount"]!["amount"]!.integerValue!, Currency.named(sale["amount"]!["currency"]!.stringValue!)!)
            let external = sale["externalId"]!.stringValue!
            #expect(row == [sale["id"]!.stringValue!, sale["occurredAt"]!.stringValue!, sale["customerId"]!.stringValue!, "",
                            external.hasPrefix("=") ? "'" + external : external, "pro", sale["kind"]!.stringValue!, money.decimalText,
                            Money(0, money.currency).decimalText, money.currency.code, sale["createdAt"]!.stringValue!])
        }
        let file = try Data(contentsOf: exports.appendingPathComponent("sales.csv"))
        #expect(result.bytes == Int64(file.count))
    }

    /// A cancel between pages answers -32800 with what was done, and leaves no file, not
    /// even the temporary one.
    @Test func aCancelledExportLeavesNothing() throws {
        let (t, partnerId, exports) = try Self.world(12)
        let job = ExportJob(t.engine, directory: exports.path, cancelAfterReads: 3)
        do {
            _ = try AnalyticsMethods.export(job, .sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all), format: .csv,
                                            path: "cancelled.csv", overwrite: false, pageSize: 4)
            Issue.record("the export was not cancelled")
        } catch let e as PorticoError {
            #expect(e.code == .requestCancelled)
            #expect(e.data["done"] == 8 && e.data["total"] == 12)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: exports.path) == [])
    }

    /// The file's writer runs on a thread of its own (ExportPipe): what stops it there (a
    /// disk full) fails the export with that error, however many pages were read meanwhile,
    /// and the rows it was given are each page in order.
    @Test func aWriterThatFailsFailsTheExport() throws {
        final class Failing: ExportSink {
            var rows: [Int64] = []
            var column = 0
            let failAt: Int
            init(failAt: Int) { self.failAt = failAt }
            func begin(_ header: ExportHeader, totals: ExportTotals?) throws {}
            func text(_ utf8: UnsafeBufferPointer<UInt8>) throws { column += 1 }
            func integer(_ n: Int64) throws { column += 1 }
            func money(_ amount: Int64, _ currency: Currency) throws { column += 1 }
            func time(_ t: Timestamp) throws { column += 1 }
            func empty() throws { column += 1 }
            func endRow() throws {
                #expect(column == 11)
                column = 0
                rows.append(Int64(rows.count))
                if rows.count == failAt { throw PorticoError(.internalError, "the disk is full") }
            }
        }
        let (t, partnerId, exports) = try Self.world(12)
        let query = ExportQuery.sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all)
        let whole = Failing(failAt: 0)
        #expect(try ExportService.write(ExportJob(t.engine, directory: exports.path), query, ExportPlan(total: 12),
                                        generatedAt: .init(millisecondsSinceEpoch: 0), to: whole, pageSize: 5) == 12)
        #expect(whole.rows.count == 12)
        let failing = Failing(failAt: 7)
        #expect(throws: PorticoError.self) {
            _ = try ExportService.write(ExportJob(t.engine, directory: exports.path), query, ExportPlan(total: 12),
                                        generatedAt: .init(millisecondsSinceEpoch: 0), to: failing, pageSize: 2)
        }
        #expect(failing.rows.count == 7)
    }

    /// Progress goes out once 100 ms have passed since the last, with the rows done and the
    /// total counted first.
    @Test func progressReportsRowsDoneOfTheTotal() throws {
        let (t, partnerId, exports) = try Self.world(10)
        let job = ExportJob(t.engine, directory: exports.path)
        let file = try ExportFile(try ExportDirectory(exports.path), path: "p.csv", overwrite: false)
        var now: UInt64 = 0
        let query = ExportQuery.sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all)
        let rows = try ExportService.write(job, query, ExportPlan(total: 10), generatedAt: .init(millisecondsSinceEpoch: 0), to: CSVSink(file), pageSize: 2, clock: {
            now += 60_000_000  // 60 ms a look at the clock
            return now
        })
        file.abandon()
        #expect(rows == 10)
        // A look at the clock a page (the fifth page is full, so a sixth, empty, is read).
        #expect(job.reports.map(\.done) == [4, 8, 10] && job.reports.allSatisfy { $0.total == 10 })
    }

    @Test func exportsAreRefusedWithoutADirectory() throws {
        let (t, partnerId, _) = try Self.world(1)
        let answer = try t.call("analytics.export", ["actor": platform, "report": "sales", "params": ["partnerId": .string(partnerId)], "format": "csv"])
        #expect(answer.errorCode == -32010)
        #expect(answer["error"]?["data"]?["state"] == "no_export_directory")
    }

    /// XLSX and PDF of the same sales: openpyxl reads every row back with money as numbers
    /// and the totals on the summary sheet; pdftotext finds every sale and the totals; the
    /// PDF's rows are read twice (its totals first), the workbook's once.
    @Test func spreadsheetAndPDFHoldTheLedgersRows() throws {
        let (t, partnerId, exports) = try Self.world(23)
        let query = ExportQuery.sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all)
        let listed = try t.call("sale.list", ["actor": platform, "partnerId": .string(partnerId), "limit": 100])["result"]!["items"]!.arrayValue!
        var eur: Int64 = 0
        for sale in listed where sale["amount"]!["currency"] == "EUR" { eur += sale["amount"]!["amount"]!.integerValue! }

        let xlsxJob = ExportJob(t.engine, directory: exports.path)
        let xlsx = try AnalyticsMethods.export(xlsxJob, query, format: .xlsx, path: "sales.xlsx", overwrite: false, pageSize: 5)
        #expect(xlsx.rows == 23 && xlsxJob.reads == 1 + 5)
        let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            rows = list(wb["Sales"].iter_rows(values_only=True))
            summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r[0]}
            print(json.dumps({"ids": [r[0] for r in rows[1:]], "amounts": [r[7] for r in rows[1:]], "summary": summary}, default=str))
            """
        let read = try JSONReader.parse(try Self.output("/usr/bin/python3", ["-c", script, exports.appendingPathComponent("sales.xlsx").path]))
        #expect(read["ids"]?.arrayValue?.map { $0.stringValue } == listed.map { $0["id"]!.stringValue })
        #expect(read["summary"]?["rows"]?.integerValue == 23)
        let figure: Double? = switch read["summary"]?["amount EUR"] {
        case .integer(let n)?: Double(n)
        case .number(let text)?: Double(text)
        default: nil
        }
        #expect(eur > 0 && figure == Double(eur) / 100)

        let pdfJob = ExportJob(t.engine, directory: exports.path)
        let pdf = try AnalyticsMethods.export(pdfJob, query, format: .pdf, path: "sales.pdf", overwrite: false, pageSize: 5)
        #expect(pdf.rows == 23 && pdfJob.reads == 1 + 5 + 5)
        let page = try Self.pdftotext(exports.appendingPathComponent("sales.pdf").path)
        for sale in listed { #expect(page.contains(sale["id"]!.stringValue!)) }
        #expect(page.contains(Money.groupedText(Int128(eur), exponent: 2) + " EUR"))
        let audit = try t.call("audit.list", ["actor": platform, "action": "analytics.export"])["result"]!["items"]!.arrayValue!
        #expect(audit.compactMap { $0["after"]?["format"]?.stringValue }.sorted() == ["pdf", "xlsx"])
    }

    /// The series reports hold the analytics methods' own figures: the partner's series as
    /// CSV (every period and currency, money in the currency's exponent), the ranking as a
    /// spreadsheet, the regions as a PDF whose totals leave out no net revenue and add up
    /// no averages.
    @Test func seriesReportsHoldTheAnalyticsFigures() throws {
        let (t, partnerId, exports) = try Self.world(9)
        _ = try t.call("sale.record", ["actor": platform, "customerId": .string(try Self.customer(t, partnerId, "DE")), "plan": "pro",
                                       "kind": "renewal", "occurredAt": "2026-04-02T10:00:00Z", "externalId": "april"])
        let range = TimeRange(from: Timestamp(rfc3339: "2026-02-01T00:00:00Z"), to: Timestamp(rfc3339: "2026-05-01T00:00:00Z"))
        let csv = try AnalyticsMethods.export(ExportJob(t.engine, directory: exports.path),
                                              .partnerAnalytics(partnerId: partnerId, range: range, granularity: .month, currency: nil),
                                              format: .csv, path: "series.csv", overwrite: false)
        let answer = try t.call("analytics.partner", ["actor": platform, "partnerId": .string(partnerId), "from": "2026-02-01",
                                                      "to": "2026-04-30", "granularity": "month"])["result"]!
        let read = try Self.python(exports.appendingPathComponent("series.csv").path)
        let columns = ["period", "from", "currency", "salesCount", "revenue", "newRevenue", "renewalRevenue", "upgradeRevenue", "usageRevenue",
                       "refunds", "netRevenue", "averageOrderValue", "commissionsEarned", "commissionsPaid", "activeSubscriptions",
                       "churnedSubscriptions", "mrr"]
        #expect(read.first == columns)
        var expected: [[String]] = []
        for period in answer["periods"]!.arrayValue! {
            for row in period["currencies"]!.arrayValue! {
                let currency = Currency.named(row["currency"]!.stringValue!)!
                expected.append(columns.map { name in
                    switch name {
                    case "period", "from": period[name]!.stringValue!
                    case "currency": currency.code
                    case "salesCount", "activeSubscriptions", "churnedSubscriptions": String(row[name]!.integerValue!)
                    default: Money(row[name]!.integerValue!, currency).decimalText
                    }
                })
            }
        }
        #expect(expected.count == 6 && Array(read.dropFirst()) == expected)
        #expect(csv.rows == 6)

        let xlsx = try AnalyticsMethods.export(ExportJob(t.engine, directory: exports.path),
                                               .topPartners(range: range, by: .revenue, currency: "EUR", region: nil, tier: nil, limit: 10),
                                               format: .xlsx, path: "top.xlsx", overwrite: false)
        let top = try t.call("analytics.topPartners", ["actor": platform, "from": "2026-02-01", "to": "2026-04-30", "by": "revenue",
                                                       "currency": "EUR"])["result"]!["items"]!.arrayValue!
        let sheet = try Self.openpyxl(exports.appendingPathComponent("top.xlsx").path, sheet: "TopPartners")
        #expect(xlsx.rows == top.count && top.count == 1)
        let firstRow = sheet["rows"]?.arrayValue?.first?.arrayValue ?? []
        #expect(firstRow.count == 11 && firstRow[1].stringValue == partnerId)
        var revenue: Double?
        if firstRow.count > 5 {
            switch firstRow[5] {
            case .integer(let n): revenue = Double(n)
            case .number(let text): revenue = Double(text)
            default: revenue = nil
            }
        }
        #expect(revenue == Double(top[0]["revenue"]!.integerValue!) / 100)
        #expect(sheet["formats"]?.arrayValue?.dropFirst(5).first?.stringValue?.contains("EUR") == true)

        let pdf = try AnalyticsMethods.export(ExportJob(t.engine, directory: exports.path),
                                              .regions(partnerId: partnerId, range: range, currency: nil), format: .pdf, path: "regions.pdf",
                                              overwrite: false)
        #expect(pdf.rows == 2)  // Germany in EUR, Japan in JPY
        let page = try Self.pdftotext(exports.appendingPathComponent("regions.pdf").path)
        let regions = try t.call("analytics.regions", ["actor": platform, "partnerId": .string(partnerId), "from": "2026-02-01",
                                                       "to": "2026-04-30"])["result"]!["regions"]!.arrayValue!
        for region in regions {
            #expect(page.contains(region["region"]!.stringValue!))
            for row in region["currencies"]!.arrayValue! {
                let currency = Currency.named(row["currency"]!.stringValue!)!
                #expect(page.contains(Money.groupedText(Int128(row["netRevenue"]!.integerValue!), exponent: currency.exponent) + " " + currency.code))
            }
        }
    }

    /// The series reports draw their charts, one per currency of their amounts: the
    /// workbook's summary holds each chart's figures (the method's own, period by period)
    /// and a native chart of the right kind reading them; the PDF draws the same charts,
    /// titled per currency with their legends, and poppler renders every page.
    @Test func seriesReportsDrawTheirCharts() throws {
        let (t, partnerId, exports) = try Self.world(9)
        _ = try t.call("sale.record", ["actor": platform, "customerId": .string(try Self.customer(t, partnerId, "DE")), "plan": "pro",
                                       "kind": "renewal", "occurredAt": "2026-04-02T10:00:00Z", "externalId": "april"])
        let range = TimeRange(from: Timestamp(rfc3339: "2026-02-01T00:00:00Z"), to: Timestamp(rfc3339: "2026-05-01T00:00:00Z"))
        let query = ExportQuery.partnerAnalytics(partnerId: partnerId, range: range, granularity: .month, currency: nil)
        _ = try AnalyticsMethods.export(ExportJob(t.engine, directory: exports.path), query, format: .xlsx, path: "series.xlsx", overwrite: false)
        let answer = try t.call("analytics.partner", ["actor": platform, "partnerId": .string(partnerId), "from": "2026-02-01",
                                                      "to": "2026-04-30", "granularity": "month"])["result"]!
        let script = """
            import json, re, sys, zipfile, openpyxl
            z = zipfile.ZipFile(sys.argv[1])
            charts = []
            for name in sorted(n for n in z.namelist() if re.match(r"xl/charts/chart\\d+\\.xml$", n)):
                xml = z.read(name).decode()
                kind = "line" if "<c:lineChart>" in xml else "other"
                if "<c:barChart>" in xml: kind = "stacked" if '<c:grouping val="stacked"/>' in xml else "bar"
                charts.append({"kind": kind,
                               "refs": re.findall(r"<c:f>([^<]*)</c:f>", xml)})
            ws = openpyxl.load_workbook(sys.argv[1])["Summary"]
            print(json.dumps({"charts": charts, "cells": [[c.value for c in r] for r in ws.iter_rows()]}, default=str))
            """
        let read = try JSONReader.parse(try Self.output("/usr/bin/python3", ["-c", script, exports.appendingPathComponent("series.xlsx").path]))
        let charts = read["charts"]?.arrayValue ?? []
        // Per currency: net revenue (bars), revenue by kind (stacked), revenue, refunds and
        // commissions (lines), subscriptions (lines).
        #expect(charts.map { $0["kind"]?.stringValue } == ["bar", "stacked", "line", "line", "bar", "stacked", "line", "line"])
        #expect(charts.allSatisfy { $0["refs"]?.arrayValue?.allSatisfy { $0.stringValue?.hasPrefix("Summary!$") == true } == true })
        let cells = read["cells"]?.arrayValue?.map { $0.arrayValue ?? [] } ?? []
        // Each currency's net revenue, period by period, under the chart's title.
        for currency in ["EUR", "JPY"] {
            let exponent = Currency.named(currency)!.exponent
            let title = cells.firstIndex { $0.first?.stringValue == "Net revenue · \(currency)" }
            #expect(title != nil)
            guard let title else { continue }
            #expect(cells[title + 1].prefix(2).map(\.stringValue) == ["period", "netRevenue"])
            for (i, period) in answer["periods"]!.arrayValue!.enumerated() {
                let row = period["currencies"]!.arrayValue!.first { $0["currency"]?.stringValue == currency }!
                let cell = cells[title + 2 + i]
                #expect(cell.first?.stringValue == period["period"]?.stringValue)
                let value: Double? = switch cell.count > 1 ? cell[1] : .null {
                case .integer(let n): Double(n)
                case .number(let text): Double(text)
                default: nil
                }
                #expect(value == Double(row["netRevenue"]!.integerValue!) / Double(ExactDecimal.pow10(exponent)))
            }
        }

        _ = try AnalyticsMethods.export(ExportJob(t.engine, directory: exports.path), query, format: .pdf, path: "series.pdf", overwrite: false)
        let path = exports.appendingPathComponent("series.pdf").path
        let text = try Self.pdftotext(path)
        for title in ["Net revenue · EUR", "Net revenue · JPY", "Revenue, refunds and commissions · EUR", "Revenue, refunds and commissions · JPY",
                      "Revenue by kind · EUR", "Subscriptions · JPY"] {
            #expect(text.contains(title))
        }
        #expect(text.contains("commissionsEarned") && text.contains("activeSubscriptions") && text.contains("2026-03"))
        var status: Int32 = -1
        _ = try Self.output("/usr/bin/pdftoppm", ["-r", "30", "-png", path, exports.appendingPathComponent("page").path], status: &status)
        let pages = try FileManager.default.contentsOfDirectory(atPath: exports.path).filter { $0.hasPrefix("page") && $0.hasSuffix(".png") }
        #expect(status == 0 && pages.count == 3)
    }

    /// The payout reports: every payout as `payout.list` shows it, and a payout's statement
    /// whose lines add up to its amount, its PDF in the partner's brand (name and colours);
    /// another partner's member may export neither.
    @Test func payoutReportsHoldThePayoutsAndTheirLines() throws {
        let w = try PayoutWorld(sales: [100_000, 50_000, 20_000])
        _ = try w.setAccount()
        let payoutId = try w.create()["result"]!["id"]!.stringValue!
        let branded = try w.call("brand.update", ["partnerId": .string(w.partnerId), "displayName": "Nimbus Compute",
                                        "theme": ["primary": "#ddd6fe", "accent": "#6d28d9"]])
        #expect(branded["result"] != nil, "\(branded)")
        let exports = w.t.dir.appendingPathComponent("exports")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)

        _ = try AnalyticsMethods.export(ExportJob(w.t.engine, directory: exports.path), .payouts(partnerId: w.partnerId, status: nil, range: .all),
                                        format: .csv, path: "payouts.csv", overwrite: false)
        let listed = try w.call("payout.list", ["partnerId": .string(w.partnerId)])["result"]!["items"]!.arrayValue!
        let csv = try Self.python(exports.appendingPathComponent("payouts.csv").path)
        #expect(csv.first?.prefix(3) == ["id", "partnerId", "period"])
        #expect(csv.dropFirst().map { $0[0] } == listed.map { $0["id"]!.stringValue! } && listed.count == 1)
        #expect(csv.dropFirst().first?[6] == Money(listed[0]["amount"]!["amount"]!.integerValue!, Currency.named("EUR")!).decimalText)

        let statement = try w.call("payout.statement", ["payoutId": .string(payoutId)])["result"]!
        let lines = statement["lines"]!["items"]!.arrayValue!
        let xlsx = try AnalyticsMethods.export(ExportJob(w.t.engine, directory: exports.path), .payoutStatement(payoutId: payoutId),
                                               format: .xlsx, path: "statement.xlsx", overwrite: false)
        #expect(xlsx.rows == lines.count && lines.count == 3)
        let sheet = try Self.openpyxl(exports.appendingPathComponent("statement.xlsx").path, sheet: "PayoutStatement")
        let rows = sheet["rows"]?.arrayValue?.map { $0.arrayValue ?? [] } ?? []
        #expect(rows.map { $0.first?.stringValue } == lines.map { $0["commissionId"]?.stringValue })
        let cents = rows.compactMap { row -> Int64? in
            switch row.count > 10 ? row[10] : .null {
            case .integer(let n): n * 100
            case .number(let text): Double(text).map { Int64(($0 * 100).rounded()) }
            default: nil
            }
        }
        #expect(cents.reduce(0, +) == statement["payout"]!["amount"]!["amount"]!.integerValue!)

        _ = try AnalyticsMethods.export(ExportJob(w.t.engine, directory: exports.path), .payoutStatement(payoutId: payoutId),
                                        format: .pdf, path: "statement.pdf", overwrite: false)
        let text = try Self.pdftotext(exports.appendingPathComponent("statement.pdf").path)
        #expect(text.contains("Nimbus Compute") && text.contains("Statement of payout \(payoutId)"))
        #expect(text.contains("3 lines") && text.contains("by stripe"))
        for line in lines { #expect(text.contains(line["commissionId"]!.stringValue!)) }

        // Another partner's owner: neither report, and no file.
        let other = try w.t.call("partner.create", createParams("other"))["result"]!
        let stranger: JSONValue = ["member": other["owner"]!["id"]!]
        for (report, params) in [("payoutStatement", ["payoutId": JSONValue.string(payoutId)] as JSONObject),
                                 ("payouts", ["partnerId": .string(w.partnerId)])] {
            let refused = try w.call("analytics.export", ["report": .string(report), "params": .object(params), "format": "csv", "path": "x.csv"],
                                     as: stranger)
            #expect(refused["error"]?["code"] != nil)
        }
    }

    /// A PDF's text as poppler's pdftotext reads it.
    static func pdftotext(_ path: String) throws -> String {
        String(decoding: try output("/usr/bin/pdftotext", [path, "-"]), as: UTF8.self)
    }

    /// The partner's customer in `country`.
    static func customer(_ t: TestEngine, _ partnerId: String, _ country: String) throws -> String {
        let items = try t.call("customer.list", ["actor": platform, "partnerId": .string(partnerId)])["result"]!["items"]!.arrayValue!
        return items.first { $0["country"]?.stringValue == country }!["id"]!.stringValue!
    }

    /// A sheet's rows after the header (values as openpyxl reads them) and the number formats
    /// of its first row.
    static func openpyxl(_ path: String, sheet: String) throws -> JSONValue {
        let script = """
            import json, sys, openpyxl
            wb = openpyxl.load_workbook(sys.argv[1])
            ws = wb[sys.argv[2]]
            rows = list(ws.iter_rows(min_row=2))
            print(json.dumps({"rows": [[c.value for c in r] for r in rows],
                              "formats": [c.number_format for c in rows[0]] if rows else []}, default=str))
            """
        return try JSONReader.parse(try output("/usr/bin/python3", ["-c", script, path, sheet]))
    }

    /// A PDF's totals are added up before its rows are written: a refund in between makes
    /// the export -32009, with no file left, never a page whose figures disagree. A sale
    /// recorded meanwhile is not in the report (it holds the sales there when it started).
    @Test func rowsChangedBetweenThePassesAreRefused() throws {
        let (t, partnerId, exports) = try Self.world(6)
        let customer = try t.call("customer.list", ["actor": platform, "partnerId": .string(partnerId)])["result"]!["items"]!.arrayValue![0]["id"]!
        let first = try t.call("sale.list", ["actor": platform, "partnerId": .string(partnerId)])["result"]!["items"]!.arrayValue![0]
        func late(_ reads: Int) throws {
            // The count, then the totals' two pages, then the rows.
            guard reads == 3 else { return }
            let answer = try t.call("sale.record", ["actor": platform, "customerId": customer, "plan": "pro", "kind": "new",
                                                    "occurredAt": "2026-03-02T10:00:00Z", "externalId": "late"])
            precondition(answer["result"] != nil, "\(answer)")
        }
        let unmoved = ExportJob(t.engine, directory: exports.path)
        unmoved.beforeRead = late
        let result = try AnalyticsMethods.export(unmoved, .sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all), format: .pdf,
                                                 path: "unmoved.pdf", overwrite: false, pageSize: 4)
        #expect(result.rows == 6)

        let job = ExportJob(t.engine, directory: exports.path)
        job.beforeRead = { reads in
            guard reads == 3 else { return }
            let answer = try t.call("sale.refund", ["actor": platform, "saleId": first["id"]!, "reason": "r",
                                                    "amount": ["amount": 1, "currency": first["amount"]!["currency"]!]])
            precondition(answer["result"] != nil, "\(answer)")
        }
        do {
            _ = try AnalyticsMethods.export(job, .sales(partnerId: partnerId, customerId: nil, kind: nil, range: .all), format: .pdf,
                                            path: "moving.pdf", overwrite: false, pageSize: 4)
            Issue.record("the export went through")
        } catch let e as PorticoError {
            #expect(e.code == .conflict)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: exports.path) == ["unmoved.pdf"])
    }
}
