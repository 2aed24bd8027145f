import Foundation
import PorticoCore
import PorticoRules
import PropertyBased
import Testing
@testable import PorticoExport

@Suite struct CSVTests {
    func field(_ cell: ExportCell) -> String {
        var out: [UInt8] = []
        CSV.field(cell, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func cellsAreWrittenByKind() {
        #expect(field(.money(Money(1250, Currency.named("USD")!))) == "12.50")
        #expect(field(.money(Money(1250, Currency.named("JPY")!))) == "1250")
        #expect(field(.money(Money(1250, Currency.named("BHD")!))) == "1.250")
        #expect(field(.money(Money(-5, Currency.named("EUR")!))) == "-0.05")
        #expect(field(.money(Money(Int64.min, Currency.named("JPY")!))) == "-9223372036854775808")
        #expect(field(.money(Money(Int64.max, Currency.named("BHD")!))) == "9223372036854775.807")
        #expect(field(.integer(-42)) == "-42")
        #expect(field(.time(Timestamp(rfc3339: "2026-03-01T10:00:00Z")!)) == "2026-03-01T10:00:00.000Z")
        #expect(field(.empty) == "")
        #expect(field(.text("plain")) == "plain")
        #expect(field(.text("a,b")) == "\"a,b\"")
        #expect(field(.text("say \"hi\"")) == "\"say \"\"hi\"\"\"")
        #expect(field(.text("two\r\nlines")) == "\"two\r\nlines\"")
    }

    /// OWASP's list: a text cell a spreadsheet could read as a formula starts with `'`.
    @Test func formulaStartsAreNeutralised() {
        #expect(field(.text("=1+1")) == "'=1+1")
        #expect(field(.text("+1")) == "'+1")
        #expect(field(.text("-1")) == "'-1")
        #expect(field(.text("@SUM(A1)")) == "'@SUM(A1)")
        #expect(field(.text("\tx")) == "'\tx")
        #expect(field(.text("\rx")) == "\"'\rx\"")
        #expect(field(.text("=HYPERLINK(\"http://x\",\"y\")")) == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        #expect(field(.text("a=b")) == "a=b")
    }

    /// Any text, through a real file, reads back with Python's csv module (RFC 4180) as
    /// written, a neutralised cell with its `'` before it.
    @Test func pythonReadsBackEveryCell() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let text = Gen.oneOf(Gen.character(in: " "..."~"), Gen.character(in: "\u{0}"..."\u{1F}"), Gen.character(in: "\u{80}"..."\u{2FF}"),
                             Gen.character(in: "\u{1F600}"..."\u{1F64F}"), Gen.character(in: "\""..."-"), Gen.character(in: "\n"..."\r"),
                             Gen.character(in: "="..."@"))
            .string(of: 0...10)
        var rows: [[String]] = []
        await propertyCheck(count: 200, input: text.array(of: 3...3)) { cells in rows.append(cells) }
        let file = try ExportFile(try box.directory, path: "any.csv", overwrite: false)
        let sink = CSVSink(file)
        try sink.begin(ExportHeader(report: "t", title: "t", range: nil, generatedAt: .init(millisecondsSinceEpoch: 0),
                                     columns: [.init("a", .text), .init("b", .text), .init("c", .text)]), totals: nil)
        try sink.write(rows.map { $0.map { .text($0) } })
        _ = try file.commit()
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", "-c", """
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='utf-8') as f:
                print(json.dumps(list(csv.reader(f))))
            """, box.root.appendingPathComponent("any.csv").path]
        let out = Pipe()
        python.standardOutput = out
        try python.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        #expect(python.terminationStatus == 0)
        let read = try JSONDecoder().decode([[String]].self, from: data)
        let expected = [["a", "b", "c"]] + rows.map { $0.map { s in CSV.startsFormula(s.utf8.first ?? 0) ? "'" + s : s } }
        #expect(read.count == expected.count)
        for (i, (r, e)) in zip(read, expected).enumerated() where r != e {
            Issue.record("row \(i): \(r.debugDescription) read back, \(e.debugDescription) written")
            break
        }
    }
}
