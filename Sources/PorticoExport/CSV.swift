import JSONRPC
import PorticoCore
import PorticoRules

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
    // A cell at a time, one thread: no run-time exclusivity checks (see `Tally`).
    @exclusivity(unchecked) private var line: [UInt8] = []

    public init(_ file: ExportFile) { self.file = file }

    public func begin(_ header: ExportHeader, totals: ExportTotals?) throws {
        try record(header.columns.map { .text($0.name) })
    }

    // A cell at a time into the line; the line to the file at the row's end.

    public func text(_ utf8: UnsafeBufferPointer<UInt8>) throws { separate(); CSV.text(utf8, into: &line) }
    public func integer(_ n: Int64) throws { separate(); JSONWriter.writeInteger(n, into: &line) }
    public func money(_ amount: Int64, _ currency: Currency) throws { separate(); Money(amount, currency).appendDecimalText(to: &line) }
    public func time(_ t: Timestamp) throws { separate(); t.appendRFC3339(to: &line) }
    public func time(rfc3339 utf8: UnsafeBufferPointer<UInt8>) throws {
        let t = try Timestamp.stored(utf8)
        separate()
        if Timestamp.isCanonical(utf8) { line.append(contentsOf: utf8) } else { t.appendRFC3339(to: &line) }
    }
    public func empty() throws { separate() }

    public func endRow() throws {
        line.append(0x0D)
        line.append(0x0A)
        try file.write(line)
        line.removeAll(keepingCapacity: true)
        started = false
    }

    @exclusivity(unchecked) private var started = false

    @inline(__always)
    private func separate() {
        if started { line.append(UInt8(ascii: ",")) } else { started = true }
    }

    private func record(_ cells: [ExportCell]) throws {
        for cell in cells { try self.cell(cell) }
        try endRow()
    }
}

public enum CSV {
    /// Whether a field starting with `byte` could be read by a spreadsheet as the start of a
    /// formula: `=`, `+`, `-`, `@`, TAB or CR.
    @inline(__always)
    static func startsFormula(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: true
        default: false
        }
    }

    public static func field(_ cell: ExportCell, into out: inout [UInt8]) {
        switch cell {
        case .empty: break
        case .integer(let n): JSONWriter.writeInteger(n, into: &out)
        case .money(let m): m.appendDecimalText(to: &out)
        case .time(let t): t.appendRFC3339(to: &out)
        case .text(let s): text(s, into: &out)
        }
    }

    static func text(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { text($0, into: &out) }
    }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let first = bytes.first else { return }
        var quoted = false
        for b in bytes where b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 0x0D || b == 0x0A {
            quoted = true
            break
        }
        if quoted { out.append(UInt8(ascii: "\"")) }
        if startsFormula(first) { out.append(UInt8(ascii: "'")) }
        if quoted {
            for b in bytes {
                if b == UInt8(ascii: "\"") { out.append(b) }
                out.append(b)
            }
            out.append(UInt8(ascii: "\""))
        } else {
            out.append(contentsOf: bytes)
        }
    }
}
