import CXLSXWriter
import PorticoCore
import PorticoRules

/// An Excel workbook through libxlsxwriter, in its constant-memory mode (each row goes to
/// a temporary file as it is written; the workbook is assembled at the end): the report's
/// rows on a sheet named after it, then a `Summary` sheet with the title, the range, when
/// it was made and the totals.
///
/// - Money is a number in major units with the currency's own format (`#,##0.00 "EUR"`,
///   JPY `#,##0 "JPY"`, BHD `#,##0.000 "BHD"`), so it sums and sorts as money. A cell is an
///   IEEE double, as every number in a spreadsheet is: amounts up to 2^53 minor units (the
///   engine's own limit) keep every digit.
/// - Instants are real dates (`yyyy-mm-dd hh:mm:ss`, UTC); one before 1900, which Excel
///   cannot hold, is written as RFC 3339 text.
/// - Integers past 2^53 are written as text, so no digit is rounded away.
/// - Text is never a formula (a string cell is not evaluated), and longer than a cell holds
///   (32,767 characters) it is cut with `…`. Control characters are written as OOXML's
///   `_xHHHH_` escapes, which Excel decodes (see `cellText`).
/// - The header row is frozen and filtered; columns are sized from the header and the first
///   page. Past Excel's 1,048,576 rows a sheet goes on in another (`Sales (2)`), its header
///   repeated.
/// - Printed, every sheet is A4 landscape and a page wide, the rows' header on each page.
/// - Deterministic: the workbook's creation time is the report's `generatedAt`.
public final class XLSXSink: FileSink {
    public let file: ExportFile
    // Every cell passes through the state below on one thread, one call at a time: Swift's
    // run-time exclusivity checks are off for it (see `Tally`).
    private var workbook: UnsafeMutablePointer<lxw_workbook>?
    @exclusivity(unchecked) private var sheet: UnsafeMutablePointer<lxw_worksheet>?
    private var header: ExportHeader?
    private var sheets = 0
    @exclusivity(unchecked) private var row: UInt32 = 0
    @exclusivity(unchecked) private var formats = Formats()
    /// C strings libxlsxwriter keeps pointers to until the workbook is closed.
    private var kept: [UnsafeMutablePointer<CChar>] = []

    /// Data rows a sheet holds below its header: Excel's 1,048,576 rows less the header.
    public static let excelRows: UInt32 = 1_048_575
    let rowsPerSheet: UInt32
    /// The characters a cell holds.
    static let cellCharacters = 32_767

    struct Formats {
        var header: UnsafeMutablePointer<lxw_format>?
        var time: UnsafeMutablePointer<lxw_format>?
        var integer: UnsafeMutablePointer<lxw_format>?
        var title: UnsafeMutablePointer<lxw_format>?
        var label: UnsafeMutablePointer<lxw_format>?
        var money: [String: UnsafeMutablePointer<lxw_format>] = [:]
        /// The last currency's format, asked for again cell after cell.
        var last: (code: String, format: UnsafeMutablePointer<lxw_format>?)?
    }

    public init(_ file: ExportFile, rowsPerSheet: UInt32 = excelRows) { self.file = file; self.rowsPerSheet = max(rowsPerSheet, 1) }

    deinit {
        // Never closed (a failure or a cancel): the workbook's memory and temporary files go.
        if let workbook { lxw_workbook_free(workbook) }
        for p in kept { free(p) }
    }

    /// The workbook opens the temporary file through its descriptor's own name.
    public func begin(_ header: ExportHeader, totals: ExportTotals?) throws {
        var options = lxw_workbook_options(constant_memory: 1, tmpdir: nil, use_zip64: 1)
        guard let wb = workbook_new_opt(file.descriptorPath, &options) else {
            throw PorticoError(.internalError, "the spreadsheet could not be started (libxlsxwriter)")
        }
        workbook = wb
        self.header = header
        var properties = lxw_doc_properties()
        properties.title = keep(header.title)
        properties.subject = keep("\(header.report), \(header.rangeText)")
        properties.author = keep("Portico")
        properties.created = time_t(header.generatedAt.millisecondsSinceEpoch.floorDiv(1000))
        try check(workbook_set_properties(wb, &properties), "setting the workbook's properties")

        formats.header = workbook_add_format(wb)
        format_set_bold(formats.header)
        format_set_bottom(formats.header, UInt8(LXW_BORDER_THIN.rawValue))
        format_set_bg_color(formats.header, 0xE8ECF4)
        formats.time = workbook_add_format(wb)
        format_set_num_format(formats.time, "yyyy-mm-dd hh:mm:ss")
        formats.integer = workbook_add_format(wb)
        format_set_num_format(formats.integer, "0")
        formats.title = workbook_add_format(wb)
        format_set_bold(formats.title)
        format_set_font_size(formats.title, 14)
        formats.label = workbook_add_format(wb)
        format_set_bold(formats.label)
        try newSheet()
    }

    // A cell at a time: the row starts at its first cell (a full sheet goes on in the next).

    @exclusivity(unchecked) private var column: UInt16 = 0
    /// A text's bytes with the NUL libxlsxwriter's C strings end with.
    @exclusivity(unchecked) private var scratch: [CChar] = []

    private func next() throws -> UInt16 {
        if column == 0 {
            if row == rowsPerSheet { try newSheet() }
            row += 1
        }
        defer { column += 1 }
        return column
    }

    public func text(_ utf8: UnsafeBufferPointer<UInt8>) throws {
        let c = try next()
        widen(c, utf8.count)
        // Most text needs no escape (no NUL, no `_x` that could start `_xHHHH_`: ids hold
        // underscores) and fits a cell: written from a copy with its NUL.
        if utf8.count <= Self.cellCharacters, !utf8.contains(0), !Self.holdsUnderscoreX(utf8) {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeRawBufferPointer(utf8).bindMemory(to: CChar.self))
            scratch.append(0)
            try check(worksheet_write_string(sheet, row, c, scratch, nil), "writing a cell")
        } else {
            try text(sheet, row, c, String(decoding: utf8, as: UTF8.self), nil)
        }
    }

    public func integer(_ n: Int64) throws {
        let c = try next()
        if row <= 200 { widen(c, String(n).utf8.count) }
        if n.magnitude <= UInt64(Money.jsonLimit) {
            try check(worksheet_write_number(sheet, row, c, Double(n), formats.integer), "writing a cell")
        } else {
            try text(sheet, row, c, String(n), nil)
        }
    }

    public func money(_ amount: Int64, _ currency: Currency) throws {
        let c = try next()
        widen(c, 16)
        let value = Double(amount) / Double(ExactDecimal.pow10(currency.exponent))
        try check(worksheet_write_number(sheet, row, c, value, money(currency)), "writing a cell")
    }

    public func time(_ t: Timestamp) throws {
        let c = try next()
        widen(c, 19)
        if let serial = Self.serial(t) {
            try check(worksheet_write_number(sheet, row, c, serial, formats.time), "writing a cell")
        } else {
            try text(sheet, row, c, t.rfc3339, nil)
        }
    }

    public func empty() throws { _ = try next() }

    public func endRow() throws {
        // A row with no cell still takes its line.
        if column == 0 { _ = try next() }
        column = 0
    }

    /// Filters the last sheet's rows, writes the summary, and closes the workbook: it is
    /// assembled into the file here.
    public func finish(_ totals: ExportTotals) throws {
        guard let wb = workbook, let header else { return }
        try filter()
        let summary = workbook_add_worksheet(wb, "Summary")
        try printable(summary, repeatingHeader: false)
        worksheet_set_column(summary, 0, 0, 28, nil)
        worksheet_set_column(summary, 1, 1, 30, nil)
        // The charts' tables: a column a series.
        let series = header.charts.map(\.series.count).max() ?? 0
        if series > 1 { worksheet_set_column(summary, 2, UInt16(series), 18, nil) }
        try text(summary, 0, 0, header.title, formats.title)
        let facts: [(String, String)] = [("Report", header.report), (header.subtitle == nil ? "Range" : "About", header.rangeText),
                                         ("Generated", header.generatedAt.rfc3339), ("Sheets", String(sheets))]
        var r: UInt32 = 2
        for (label, value) in facts {
            try text(summary, r, 0, label, formats.label)
            try text(summary, r, 1, value, nil)
            r += 1
        }
        r += 1
        try text(summary, r, 0, "Totals", formats.title)
        r += 1
        for figure in totals.figures(header.columns) {
            try text(summary, r, 0, figure.label, formats.label)
            switch figure.value {
            case .count(let n):
                try check(worksheet_write_number(summary, r, 1, Double(n), formats.integer), "writing the summary")
            case .money(let sum):
                if sum.minor.magnitude <= UInt128(Money.jsonLimit) {
                    let value = Double(Int64(sum.minor)) / Double(ExactDecimal.pow10(sum.currency.exponent))
                    try check(worksheet_write_number(summary, r, 1, value, money(sum.currency)), "writing the summary")
                } else {
                    try text(summary, r, 1, "\(sum.decimalText) \(sum.currency.code)", nil)
                }
            }
            r += 1
        }
        try charts(summary, totals.plots(header), from: r + 1)
        workbook = nil
        let closed = workbook_close(wb)  // frees the workbook, closed or not
        try check(closed, "writing the spreadsheet")
    }

    /// libxlsxwriter wrote the file itself, by its descriptor's name.
    public func commit() throws -> (bytes: Int64, sha256: String) { try file.commitWrittenElsewhere() }

    /// Each chart's figures as a table on the summary sheet, with a native chart beside it
    /// that reads the table (Excel and LibreOffice draw it from the cells): a block a
    /// chart, as tall as its table or the chart, whichever is taller.
    private func charts(_ sheet: UnsafeMutablePointer<lxw_worksheet>?, _ plots: [ExportPlot], from first: UInt32) throws {
        var r = first
        for plot in plots {
            try text(sheet, r, 0, plot.title, formats.title)
            let top = r + 1, last = r + 1 + UInt32(plot.categories.count)
            try text(sheet, top, 0, plot.categoryName, formats.header)
            for (j, s) in plot.series.enumerated() { try text(sheet, top, UInt16(j + 1), s.name, formats.header) }
            let format = plot.amounts ? plot.currency.map(money) ?? formats.integer : formats.integer
            let unit = Double(ExactDecimal.pow10(plot.exponent))
            for (i, name) in plot.categories.enumerated() {
                let row = top + 1 + UInt32(i)
                try text(sheet, row, 0, name, nil)
                for (j, s) in plot.series.enumerated() {
                    try check(worksheet_write_number(sheet, row, UInt16(j + 1), Double(s.values[i]) / unit, format), "writing a chart's figures")
                }
            }
            let type = switch plot.chart.style {
            case .bar: LXW_CHART_COLUMN
            case .stackedBar: LXW_CHART_COLUMN_STACKED
            case .line: LXW_CHART_LINE
            }
            guard let chart = workbook_add_chart(workbook, UInt8(type.rawValue)) else {
                throw PorticoError(.internalError, "the chart '\(plot.title)' could not be added")
            }
            chart_title_set_name(chart, plot.title)
            for j in plot.series.indices {
                let series = chart_add_series(chart, nil, nil)
                chart_series_set_categories(series, "Summary", top + 1, 0, last, 0)
                chart_series_set_values(series, "Summary", top + 1, UInt16(j + 1), last, UInt16(j + 1))
                chart_series_set_name_range(series, "Summary", top, UInt16(j + 1))
            }
            let digits = plot.exponent > 0 ? "." + String(repeating: "0", count: plot.exponent) : ""
            chart_axis_set_num_format(chart.pointee.y_axis, "#,##0\(digits)")
            chart_legend_set_position(chart, UInt8(LXW_CHART_LEGEND_BOTTOM.rawValue))
            // Bars stand on zero (a spreadsheet may otherwise start the axis near the least value).
            if plot.series.allSatisfy({ $0.values.allSatisfy { $0 >= 0 } }) { chart_axis_set_min(chart.pointee.y_axis, 0) }
            var options = lxw_chart_options()
            options.x_scale = 1.5
            options.y_scale = 1.2
            try check(worksheet_insert_chart_opt(sheet, r, UInt16(plot.series.count + 2), chart, &options), "placing a chart")
            r = max(last + 2, r + 20)
        }
    }

    // MARK: cells

    private func text(_ sheet: UnsafeMutablePointer<lxw_worksheet>?, _ row: UInt32, _ column: UInt16, _ s: String,
                      _ format: UnsafeMutablePointer<lxw_format>?) throws
    {
        try check(worksheet_write_string(sheet, row, column, Self.cellText(s), format), "writing a cell")
    }

    /// Whether the bytes hold `_x`, which `cellText` may have to escape.
    static func holdsUnderscoreX(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard utf8.count > 1 else { return false }
        for i in 0..<(utf8.count - 1) where utf8[i] == UInt8(ascii: "_") && utf8[i + 1] == UInt8(ascii: "x") { return true }
        return false
    }

    /// Text as a cell holds it (OOXML's ST_Xstring, which Excel decodes): NUL, which a C
    /// string cannot carry, as `_x0000_` (libxlsxwriter writes the other control characters
    /// so itself), and text that already reads `_xHHHH_` with its underscore escaped
    /// (`_x005F_xHHHH_`), so it is not decoded into another character. Longer than a cell
    /// holds, it is cut with `…`.
    static func cellText(_ s: String) -> String {
        var scalars = s.unicodeScalars
        var cut = scalars.count > cellCharacters ? cellCharacters - 1 : nil
        while true {
            let kept = cut.map { String.UnicodeScalarView(scalars.prefix($0)) } ?? scalars
            var out = String.UnicodeScalarView()
            let all = Array(kept)
            var i = 0
            while i < all.count {
                let c = all[i]
                if c == "\u{0}" {
                    out.append(contentsOf: "_x0000_".unicodeScalars)
                } else if c == "_", i + 6 < all.count, all[i + 1] == "x", all[i + 6] == "_",
                          all[(i + 2)...(i + 5)].allSatisfy({ $0.properties.isASCIIHexDigit }) {
                    out.append(contentsOf: "_x005F_".unicodeScalars)
                } else {
                    out.append(c)
                }
                i += 1
            }
            if cut != nil { out.append("…") }
            // Escapes lengthen the text: cut again by what they added.
            if out.count <= cellCharacters { return String(out) }
            cut = max(0, (cut ?? all.count) - (out.count - cellCharacters))
            scalars = kept
        }
    }

    /// An instant as Excel's serial date: days since 1899-12-30 (UTC), the time of day as
    /// the fraction; nil before 1900-03-01, where Excel's calendar is off by its fictional
    /// 1900-02-29.
    static func serial(_ t: Timestamp) -> Double? {
        let ms = t.millisecondsSinceEpoch
        guard ms >= -2_203_891_200_000 else { return nil }  // 1900-03-01T00:00:00Z
        return Double(ms) / 86_400_000 + 25_569
    }

    /// The number format of a currency: its code after the amount, its exponent's digits.
    private func money(_ currency: Currency) -> UnsafeMutablePointer<lxw_format>? {
        if let last = formats.last, last.code == currency.code { return last.format }
        if let f = formats.money[currency.code] {
            formats.last = (currency.code, f)
            return f
        }
        let digits = currency.exponent > 0 ? "." + String(repeating: "0", count: currency.exponent) : ""
        let f = workbook_add_format(workbook)
        format_set_num_format(f, "#,##0\(digits) \"\(currency.code)\"")
        formats.money[currency.code] = f
        return f
    }

    // MARK: sheets

    private func newSheet() throws {
        guard let wb = workbook, let header else { return }
        if sheets > 0 { try filter() }
        sheets += 1
        let base = header.report.prefix(1).uppercased() + header.report.dropFirst()
        let name = sheets == 1 ? base : "\(base) (\(sheets))"
        guard let ws = workbook_add_worksheet(wb, name) else {
            throw PorticoError(.internalError, "the spreadsheet's sheet '\(name)' could not be added")
        }
        sheet = ws
        row = 0
        widths = header.columns.map { $0.name.count }
        for (i, column) in header.columns.enumerated() {
            try text(ws, 0, UInt16(i), column.name, formats.header)
        }
        worksheet_freeze_panes(ws, 1, 0)
        try printable(ws, repeatingHeader: true)
    }

    /// Printed (or turned into a PDF by LibreOffice): A4 landscape, a page wide, the header
    /// row on every page.
    private func printable(_ ws: UnsafeMutablePointer<lxw_worksheet>?, repeatingHeader: Bool) throws {
        worksheet_set_landscape(ws)
        worksheet_set_paper(ws, 9)  // A4
        worksheet_fit_to_pages(ws, 1, 0)
        if repeatingHeader { try check(worksheet_repeat_rows(ws, 0, 0), "repeating the header on printed pages") }
    }

    /// The header's filter over the sheet's rows.
    private func filter() throws {
        applyWidths()
        guard let sheet, let header, !header.columns.isEmpty else { return }
        try check(worksheet_autofilter(sheet, 0, 0, row, UInt16(header.columns.count - 1)), "filtering the sheet")
    }

    /// Column widths in characters: the header's and the widest cell of a sheet's first
    /// 200 rows, set as the sheet ends (libxlsxwriter writes them when it assembles the
    /// sheet), between 8 and 60.
    @exclusivity(unchecked) private var widths: [Int] = []

    @inline(__always)
    private func widen(_ column: UInt16, _ characters: Int) {
        if row <= 200, Int(column) < widths.count, widths[Int(column)] < characters { widths[Int(column)] = characters }
    }

    private func applyWidths() {
        for (i, w) in widths.enumerated() { worksheet_set_column(sheet, UInt16(i), UInt16(i), Double(min(max(w + 2, 8), 60)), nil) }
    }

    private func keep(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        kept.append(p)
        return p
    }

    private func check(_ e: lxw_error, _ what: String) throws {
        guard e != LXW_NO_ERROR else { return }
        throw PorticoError(.internalError, "\(what) failed: \(String(cString: lxw_strerror(e)))")
    }
}
