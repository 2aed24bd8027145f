import PorticoCore

/// RFC 4180 CSV in UTF-8: a header row of the column names, then one record a row, fields
/// separated by commas and records by CRLF; a field holding a comma, a quote, CR or LF is
/// quoted, its quotes doubled. Money is a decimal string with exactly the currency's
/// exponent's digits (`12.50`, JPY `1250`, BHD `1.250`) beside the report's currency
/// column; instants are RFC 3339; an empty cell is an empty field.
///
/// Formula injection (OWASP, "CSV Injection"): a text cell that starts with `=`, `+`, `-`,
/// `@`, TAB or CR is written with a leading `'`, so a spreadsheet shows it as text instead
/// of evaluating it. Only text cells are changed: numbers, money and instants are the
/// engine's own digits.
public final class CSVSink: FileSink {
    public let file: ExportFile
    private var line: [UInt8] = []

    public init(_ file: ExportFile) { self.file = file }

    public func begin(_ header: ExportHeader, totals: ExportTotals?) throws {
        try record(header.columns.map { .text($0.name) })
    }

    public func write(_ rows: [[ExportCell]]) throws {
        for row in rows { try record(row) }
    }

    private func record(_ cells: [ExportCell]) throws {
        line.removeAll(keepingCapacity: true)
        for (i, cell) in cells.enumerated() {
            if i > 0 { line.append(UInt8(ascii: ",")) }
            CSV.field(cell, into: &line)
        }
        line.append(0x0D)
        line.append(0x0A)
        try file.write(line)
    }
}

public enum CSV {
    /// The leading characters a spreadsheet may read as the start of a formula.
    static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D]

    public static func field(_ cell: ExportCell, into out: inout [UInt8]) {
        switch cell {
        case .empty: break
        case .integer(let n): out.append(contentsOf: String(n).utf8)
        case .money(let m): out.append(contentsOf: m.decimalText.utf8)
        case .time(let t): out.append(contentsOf: t.rfc3339.utf8)
        case .text(let s): text(s, into: &out)
        }
    }

    static func text(_ s: String, into out: inout [UInt8]) {
        let utf8 = s.utf8
        let neutralised = utf8.first.map(formulaStarts.contains) ?? false
        let quoted = utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }
        if quoted { out.append(UInt8(ascii: "\"")) }
        if neutralised { out.append(UInt8(ascii: "'")) }
        for b in utf8 {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        if quoted { out.append(UInt8(ascii: "\"")) }
    }
}
