import Foundation
import PorticoCore
import PropertyBased
import PorticoRules
import Testing
@testable import PorticoExport

/// PDFs read back with poppler (Debian's poppler-utils): pdfinfo, pdftotext, pdftoppm.
@Suite struct PDFTests {
    static func rows(_ n: Int) -> [[ExportCell]] {
        (0..<n).map { k -> [ExportCell] in
            let i = Int64(k + 1)
            let currency = i % 3 == 0 ? jpy : usd
            let at = Timestamp(millisecondsSinceEpoch: 1_767_225_600_000 + i * 60_000)
            return [.text("sal_\(i)"), .time(at), .integer(i), .money(Money(i * 1_999, currency)), .text(currency.code)]
        }
    }

    func text(_ path: String, page: Int? = nil) throws -> String {
        let range = page.map { ["-f", "\($0)", "-l", "\($0)"] } ?? []
        let (status, out) = try run(["pdftotext", "-layout"] + range + [path, "-"])
        #expect(status == 0)
        return String(decoding: out, as: UTF8.self)
    }

    func pages(_ path: String) throws -> Int {
        let (_, out) = try run(["pdfinfo", path])
        let line = String(decoding: out, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("Pages:") }
        return Int(line?.split(separator: " ").last ?? "") ?? -1
    }

    /// The title, range and totals are on the first page; the table goes on over pages
    /// numbered "Page N of M", its header on each; every row is there once; poppler renders
    /// every page without an error.
    @Test func aTableOverPagesWithItsFigures() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let rows = Self.rows(120)
        let written = try export({ PDFSink($0) }, box, name: "sales.pdf", header: sampleHeader, rows: rows, pageSize: 7)
        let count = try pages(written.path)
        #expect(count > 2)
        let first = try text(written.path, page: 1)
        #expect(first.contains("Sales of par_1"))
        #expect(first.contains("2026-01-01 to 2026-12-31"))
        #expect(first.contains("generated 2026-12-02 09:15:00 UTC"))
        #expect(first.contains("rows") && first.contains("120"))
        // 80 USD rows of 1,999 x i, 40 JPY rows.
        let usdTotal = (1...120).filter { $0 % 3 != 0 }.reduce(0) { $0 + $1 * 1_999 }
        let jpyTotal = (1...120).filter { $0 % 3 == 0 }.reduce(0) { $0 + $1 * 1_999 }
        #expect(first.contains(Money.groupedText(Int128(usdTotal), exponent: 2) + " USD"))
        #expect(first.contains(Money.groupedText(Int128(jpyTotal), exponent: 0) + " JPY"))
        for p in 1...count {
            let t = try text(written.path, page: p)
            #expect(t.contains("Page \(p) of \(count)"), "page \(p)")
            #expect(t.contains("occurredAt"), "page \(p) repeats the header")
        }
        let all = try text(written.path)
        for i in [1, 2, 59, 60, 119, 120] { #expect(all.contains("sal_\(i) "), "row \(i)") }
        #expect(all.contains("2026-01-01 00:01:00"))
        let (status, _) = try run(["pdftoppm", "-r", "40", "-png", written.path, box.root.appendingPathComponent("page").path])
        #expect(status == 0)
        let pngs = try FileManager.default.contentsOfDirectory(atPath: box.root.path).filter { $0.hasSuffix(".png") }
        #expect(pngs.count == count)
    }

    /// No rows: one page, saying so.
    @Test func anEmptyReportIsOnePage() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let written = try export({ PDFSink($0) }, box, name: "empty.pdf", header: sampleHeader, rows: [])
        #expect(try pages(written.path) == 1)
        let t = try text(written.path)
        #expect(t.contains("No rows in this range.") && t.contains("Page 1 of 1"))
    }

    /// Same report, same bytes; odd text (NUL, control characters, emoji, right-to-left,
    /// a cell far wider than its column) neither breaks the file nor the page.
    @Test func deterministicAndSafeWithOddText() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let odd = sampleRows + [[.text(String(repeating: "wide ", count: 500)), .empty, .empty, .money(Money(-Money.jsonLimit, usd)), .text("USD")]]
        let a = try export({ PDFSink($0) }, box, name: "a.pdf", header: sampleHeader, rows: odd)
        let b = try export({ PDFSink($0) }, box, name: "b.pdf", header: sampleHeader, rows: odd)
        #expect(a.sha256 == b.sha256)
        let t = try text(a.path)
        #expect(t.contains("sal_1") && t.contains("wide wide") && t.contains("…"))
        #expect(t.contains("-90,071,992,547,409.92"))
        let (status, _) = try run(["pdftoppm", "-r", "30", "-png", a.path, box.root.appendingPathComponent("odd").path])
        #expect(status == 0)
        let (info, out) = try run(["pdffonts", a.path])
        #expect(info == 0 && String(decoding: out, as: UTF8.self).contains("DejaVu"))
    }

    /// A series with charts: each chart drawn once per currency, the currencies in the order
    /// the rows first show them, a point per row; amounts near the limits and below zero
    /// still draw; the table goes on after the charts, every row and page there.
    @Test func chartsPerCurrencyBeforeTheTable() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let eur = Currency.named("EUR")!
        var header = sampleHeader
        header.columns = [.init("period", .text), .init("revenue", .money), .init("refunds", .money), .init("currency", .text)]
        header.charts = [.init("Revenue", .bar, category: 0, series: [1]), .init("Revenue and refunds", .line, category: 0, series: [1, 2])]
        var rows: [[ExportCell]] = []
        for month in 1...24 {
            let label = "2026-\(month < 10 ? "0" : "")\(month)"
            rows.append([.text(label), .money(Money(Int64(month) * 123_45 - 900_00, eur)), .money(Money(Int64(month) * 10, eur)), .text("EUR")])
            rows.append([.text(label), .money(Money(month == 24 ? Money.jsonLimit : Int64(month) * 1_000, jpy)), .money(Money(0, jpy)), .text("JPY")])
        }
        var totals = ExportTotals()
        totals.add(rows, charts: header.charts)
        let plots = totals.plots(header)
        #expect(plots.map(\.title) == ["Revenue · EUR", "Revenue and refunds · EUR", "Revenue · JPY", "Revenue and refunds · JPY"])
        #expect(plots.allSatisfy { $0.categories.count == 24 && $0.categories.first == "2026-01" && $0.categoryName == "period" })
        #expect(plots[1].series.map(\.name) == ["revenue", "refunds"])
        #expect(plots[1].series[1].values == (1...24).map { Int64($0) * 10 })
        #expect(plots[2].series[0].values.last == Money.jsonLimit)

        let written = try export({ PDFSink($0) }, box, name: "series.pdf", header: header, rows: rows, pageSize: 5)
        let count = try pages(written.path)
        let first = try text(written.path, page: 1)
        #expect(first.contains("Revenue · EUR") && first.contains("Page 1 of \(count)"))
        let all = try text(written.path)
        for title in plots.map(\.title) { #expect(all.contains(title)) }
        #expect(all.contains("refunds") && all.contains("2026-01"))
        // Every row in the table after the charts, on pages numbered to the end.
        #expect(all.components(separatedBy: "2026-24").count - 1 >= 2)
        #expect(try text(written.path, page: count).contains("Page \(count) of \(count)"))
        let (status, _) = try run(["pdftoppm", "-r", "30", "-png", written.path, box.root.appendingPathComponent("chart").path])
        #expect(status == 0)
    }

    /// A value axis is round: its step 1, 2 or 5 times a power of ten, its ends on steps
    /// around the values and zero, five steps or so, never fewer than one.
    @Test func chartAxesAreRound() async {
        await propertyCheck(count: 500, input: Gen.int(in: -1_000_000_000...1_000_000_000), Gen.int(in: 0...1_000_000_000), Gen.int(in: 0...3)) {
            a, b, exponent in
            let low = Int64(min(a, 0)), high = Int64(max(b, 0))
            let axis = ChartAxis(low: low, high: high, exponent: exponent)
            var m = axis.step
            while m % 10 == 0 { m /= 10 }
            #expect([1, 2, 5].contains(m))
            #expect(axis.low <= Int128(low) && axis.high >= Int128(high) && axis.ticks.contains(0))
            #expect(axis.ticks.count >= 2 && axis.ticks.count <= 7)
            #expect(axis.low % axis.step == 0 && axis.high % axis.step == 0)
        }
        #expect(ChartAxis(low: 0, high: 150_000, exponent: 2).ticks.map { ChartAxis(low: 0, high: 150_000, exponent: 2).label($0) }
                    == ["0", "500", "1,000", "1,500"])
        #expect(ChartAxis(low: -1, high: 3, exponent: 2).label(1) == "0.01")
        #expect(ChartAxis(low: Int64.min, high: Int64.max, exponent: 0).ticks.count <= 7)
    }
}
