import Foundation
import PorticoCore
import PorticoRules
import Testing
@testable import PorticoExport

/// Runs a program; its status and standard output.
func run(_ arguments: [String]) throws -> (status: Int32, out: Data) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
}

/// A report written through a sink into a sandbox: the file's path and what `commit` said.
func export(_ sink: (ExportFile) -> any FileSink, _ box: Sandbox, name: String, header: ExportHeader, rows: [[ExportCell]],
            pageSize: Int = 2) throws -> (path: String, bytes: Int64, sha256: String)
{
    let file = try ExportFile(try box.directory, path: name, overwrite: true)
    let s = sink(file)
    var totals = ExportTotals()
    totals.add(rows, charts: header.charts)
    try s.begin(header, totals: s.needsTotalsFirst ? totals : nil)
    var i = 0
    while i < rows.count {
        try s.write(Array(rows[i..<min(i + pageSize, rows.count)]))
        i += pageSize
    }
    try s.finish(totals)
    let (bytes, sha256) = try s.commit()
    return (box.root.appendingPathComponent(name).path, bytes, sha256)
}

let usd = Currency.named("USD")!, jpy = Currency.named("JPY")!, bhd = Currency.named("BHD")!

let sampleHeader = ExportHeader(
    report: "sales", title: "Sales of par_1", range: TimeRange(from: Timestamp(rfc3339: "2026-01-01T00:00:00Z"), to: Timestamp(rfc3339: "2027-01-01T00:00:00Z")),
    generatedAt: Timestamp(rfc3339: "2026-12-02T09:15:00Z")!,
    columns: [.init("id", .text), .init("occurredAt", .time), .init("seq", .integer), .init("amount", .money), .init("currency", .text)])

let sampleRows: [[ExportCell]] = [
    [.text("sal_1"), .time(Timestamp(rfc3339: "2026-03-01T10:20:30Z")!), .integer(7), .money(Money(123_456, usd)), .text("USD")],
    [.text("=1+1"), .time(Timestamp(rfc3339: "2026-03-02T00:00:00.250Z")!), .integer(1 << 60), .money(Money(1250, jpy)), .text("JPY")],
    [.text("nul\u{0}ctl\u{1}_x0041_ 😀 עברית"), .time(Timestamp(rfc3339: "1850-01-01T00:00:00Z")!), .empty, .money(Money(-1, bhd)), .text("BHD")],
    [.text(String(repeating: "x", count: 40_000)), .empty, .integer(-3), .money(Money(Money.jsonLimit, usd)), .text("USD")],
]

/// Reads a workbook back with openpyxl (Debian's python3-openpyxl): each sheet's name,
/// frozen cell, filter, and cells as [value, type, number format].
func openpyxl(_ path: String) throws -> [[String: Any]] {
    let script = """
        import json, sys, datetime, openpyxl
        wb = openpyxl.load_workbook(sys.argv[1])
        out = []
        for ws in wb.worksheets:
            rows = []
            for row in ws.iter_rows():
                cells = []
                for c in row:
                    v = c.value
                    if isinstance(v, datetime.datetime): v = v.isoformat()
                    cells.append([v, type(c.value).__name__, c.number_format])
                rows.append(cells)
            widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width for i in range(ws.max_column)]
            out.append({"name": ws.title, "freeze": ws.freeze_panes, "filter": ws.auto_filter.ref, "rows": rows, "widths": widths,
                        "title": wb.properties.title, "created": wb.properties.created.isoformat() if wb.properties.created else None})
        print(json.dumps(out))
        """
    // Debian's python3, which python3-openpyxl installs into.
    let (status, data) = try run(["/usr/bin/python3", "-c", script, path])
    guard status == 0 else { throw PorticoError(.internalError, "openpyxl could not read \(path)") }
    return try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
}

/// OOXML's ST_Xstring decoded, as Excel reads a cell's text: `_xHHHH_` is that character.
func xstring(_ s: String) -> String {
    var out = "", rest = Substring(s)
    while let r = rest.range(of: #"_x[0-9A-Fa-f]{4}_"#, options: .regularExpression) {
        out += rest[..<r.lowerBound]
        let hex = rest[r].dropFirst(2).prefix(4)
        out.unicodeScalars.append(Unicode.Scalar(UInt32(hex, radix: 16)!)!)
        rest = rest[r.upperBound...]
    }
    return out + rest
}

@Suite struct XLSXTests {
    /// Every cell reads back with its value, its type and its number format: money as a
    /// number in the currency's format, instants as dates, text as text (a formula's text
    /// too), what Excel cannot hold as text.
    @Test func openpyxlReadsValuesTypesAndFormats() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let written = try export({ XLSXSink($0) }, box, name: "sales.xlsx", header: sampleHeader, rows: sampleRows)
        #expect(written.bytes == Int64((try? FileManager.default.attributesOfItem(atPath: written.path)[.size] as? Int) ?? -1))
        let book = try openpyxl(written.path)
        #expect(book.map { $0["name"] as? String } == ["Sales", "Summary"])
        let sheet = book[0]
        #expect(sheet["freeze"] as? String == "A2")
        #expect(sheet["filter"] as? String == "A1:E5")
        #expect(sheet["title"] as? String == "Sales of par_1")
        // Sized from the header and the cells: the long text at the most, the ids as wide as they are.
        let widths = (sheet["widths"] as! [Double]).map { Int($0) }
        #expect(widths.count == 5 && widths[0] == 60 && widths[1] >= 19 && widths[4] >= 8)
        #expect(sheet["created"] as? String == "2026-12-02T09:15:00")
        let rows = sheet["rows"] as! [[[Any]]]
        func cell(_ r: Int, _ c: Int) -> (value: Any, type: String, format: String) {
            (rows[r][c][0], rows[r][c][1] as! String, rows[r][c][2] as! String)
        }
        #expect(rows[0].map { $0[0] as? String } == ["id", "occurredAt", "seq", "amount", "currency"])
        #expect(cell(1, 0).value as? String == "sal_1")
        #expect(cell(1, 1).type == "datetime" && cell(1, 1).value as? String == "2026-03-01T10:20:30")
        #expect(cell(1, 1).format == "yyyy-mm-dd hh:mm:ss")
        #expect(cell(1, 2).type == "int" && cell(1, 2).value as? Int == 7)
        #expect(cell(1, 3).type == "float" && cell(1, 3).value as? Double == 1234.56)
        #expect(cell(1, 3).format == "#,##0.00 \"USD\"")
        // A formula's text stays text: a string cell is never evaluated.
        #expect(cell(2, 0).type == "str" && cell(2, 0).value as? String == "=1+1")
        #expect(cell(2, 1).value as? String == "2026-03-02T00:00:00.250000")
        #expect(cell(2, 2).type == "str" && cell(2, 2).value as? String == String(1 << 60))
        #expect(cell(2, 3).value as? Int == 1250 && cell(2, 3).format == "#,##0 \"JPY\"")
        // OOXML's escapes, as Excel decodes them (openpyxl leaves an inline string's as they are).
        #expect(cell(3, 0).value as? String == "nul_x0000_ctl_x0001__x005F_x0041_ 😀 עברית")
        #expect((cell(3, 0).value as? String).map(xstring) == "nul\u{0}ctl\u{1}_x0041_ 😀 עברית")
        #expect(cell(3, 1).type == "str" && cell(3, 1).value as? String == "1850-01-01T00:00:00.000Z")
        #expect(cell(3, 2).type == "NoneType")
        #expect(cell(3, 3).value as? Double == -0.001 && cell(3, 3).format == "#,##0.000 \"BHD\"")
        let long = cell(4, 0).value as! String
        #expect(long.count == XLSXSink.cellCharacters && long.hasSuffix("…"))
        #expect(cell(4, 3).value as? Double == Double(Money.jsonLimit) / 100)

        let summary = book[1]["rows"] as! [[[Any]]]
        let pairs = summary.compactMap { row -> (String, Any)? in
            guard row.count >= 2, let label = row[0][0] as? String else { return nil }
            return (label, row[1][0])
        }
        let figures = Dictionary(pairs, uniquingKeysWith: { (a: Any, _: Any) in a })
        #expect(figures["Range"] as? String == "2026-01-01 to 2026-12-31")
        #expect(figures["rows"] as? Int == 4)
        // Past 2^53 minor units a total is text, every digit kept.
        #expect(figures["amount USD"] as? String == "90071992548644.48 USD")
        #expect(figures["amount JPY"] as? Int == 1250)
    }

    /// The same report written twice is the same bytes: nothing in the file comes from the
    /// wall clock.
    @Test func sameReportSameBytes() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let a = try export({ XLSXSink($0) }, box, name: "a.xlsx", header: sampleHeader, rows: sampleRows)
        let b = try export({ XLSXSink($0) }, box, name: "b.xlsx", header: sampleHeader, rows: sampleRows)
        #expect(a.sha256 == b.sha256 && a.bytes == b.bytes)
    }

    /// A sink dropped before it finished leaves no file behind.
    @Test func anAbandonedWorkbookLeavesNothing() throws {
        let box = try Sandbox()
        defer { box.remove() }
        do {
            let file = try ExportFile(try box.directory, path: "gone.xlsx", overwrite: false)
            let sink = XLSXSink(file)
            try sink.begin(sampleHeader, totals: nil)
            try sink.write(sampleRows)
            file.abandon()
        }
        #expect(box.listing() == ["reports"])
    }
}

extension XLSXTests {
    /// Past a sheet's rows the report goes on in another sheet, its header repeated, each
    /// sheet frozen and filtered over its own rows.
    @Test func aFullSheetGoesOnInTheNext() throws {
        let box = try Sandbox()
        defer { box.remove() }
        let written = try export({ XLSXSink($0, rowsPerSheet: 3) }, box, name: "many.xlsx", header: sampleHeader,
                                 rows: (1...7).map { [.text("s\($0)"), .empty, .integer(Int64($0)), .money(Money(Int64($0), usd)), .text("USD")] })
        let book = try openpyxl(written.path)
        #expect(book.map { $0["name"] as? String } == ["Sales", "Sales (2)", "Sales (3)", "Summary"])
        let seqs = book.prefix(3).map { ($0["rows"] as! [[[Any]]]).dropFirst().map { $0[2][0] as? Int } }
        #expect(seqs == [[1, 2, 3], [4, 5, 6], [7]])
        #expect(book.prefix(3).map { $0["filter"] as? String } == ["A1:E4", "A1:E4", "A1:E2"])
        #expect(book.prefix(3).allSatisfy { ($0["rows"] as! [[[Any]]])[0][0][0] as? String == "id" && $0["freeze"] as? String == "A2" })
    }
}

extension XLSXTests {
    /// Any text, escaped for a cell and decoded as Excel decodes it, is that text (cut to
    /// a cell's length with `…`).
    @Test func cellTextDecodesToTheText() {
        for s in ["", "plain", "_x0041_", "__x0041__", "_x00_", "a\u{0}b", "_x005F_x0041_", "_xZZZZ_", "😀_x1234_😀"] {
            #expect(xstring(XLSXSink.cellText(s)) == s, "\(s.debugDescription)")
        }
        // Text the cell writer copies as it is (no NUL, no `_x`) is text `cellText` leaves alone.
        for s in ["sal_01m8wfqcrz7dep9a6f5r", "a_b_c", "_X0041_", "x_", "_", "é_ü", "_x0041_", "a_xb"] {
            let copied = s.utf8.withContiguousStorageIfAvailable { XLSXSink.holdsUnderscoreX($0) } ?? true
            #expect(copied == s.contains("_x"), "\(s)")
            if !copied { #expect(XLSXSink.cellText(s) == s, "\(s)") }
        }
        let long = String(repeating: "_x0041_", count: 6_000)
        let cut = XLSXSink.cellText(long)
        #expect(cut.unicodeScalars.count <= XLSXSink.cellCharacters && cut.hasSuffix("…"))
        #expect(long.hasPrefix(xstring(String(cut.dropLast()))))
    }
}
