import CCairo
import PorticoCore
import PorticoRules

/// A PDF report through cairo's PDF surface: A4 landscape, the title, range and time of the
/// report at the top of its first page with its totals as figure tiles, then the report's
/// charts (bar and line, one per currency, two to a row: see `ChartDrawing`), then its
/// rows as a table that goes on from page to page, the header repeated on each and every
/// page numbered (`Page 3 of 12`). Fonts are DejaVu (fontconfig), embedded as subsets by
/// cairo.
///
/// Its totals are wanted before the rows (`needsTotalsFirst`), so the figures, the charts
/// and the page count are known on the first page. Text that does not fit its column is cut with
/// `…`; control characters show as `�`. Money is right-aligned in groups of three
/// (`1,234.50`) beside the report's currency column; instants are UTC, to the second.
///
/// A payout statement is drawn in its partner's brand: the brand's name beside the title in
/// its accent colour, the rule under the title block and the table's header in its primary
/// colour with its text colour.
///
/// Deterministic: the document's creation and modification dates are the report's
/// `generatedAt`, so the same request on a deterministic engine gives the same bytes.
public final class PDFSink: FileSink {
    public let file: ExportFile
    private var surface: OpaquePointer?
    private(set) var cr: OpaquePointer?
    /// A write to the file that failed inside cairo's callback, thrown once cairo returns.
    fileprivate var failure: (any Error)?
    private var header: ExportHeader?
    private var layout = Layout()
    private var page = 0
    private var pages = 1
    private var rowOnPage = 0
    private var rowsDone = 0
    /// The two faces, made once: selecting a face by name asks fontconfig every time.
    private var regular: OpaquePointer?, bold: OpaquePointer?
    private var current: (bold: Bool, size: Double)?
    /// The table header's fill and text: a statement's brand's primary and text colours.
    private var headerFill = (0.12, 0.23, 0.54), headerText = (1.0, 1.0, 1.0)

    public var needsTotalsFirst: Bool { true }

    public static let pageWidth = 841.89, pageHeight = 595.28
    static let margin = 36.0
    static let rowHeight = 13.0, headerHeight = 16.0, footerHeight = 24.0
    static let fontSize = 7.0
    static let font = "DejaVu Sans"
    /// Figure tiles on the first page: five to a row, four rows at most.
    static let tilesPerRow = 5, tileRows = 4
    /// Charts: two to a row, this high, this far apart.
    static let chartHeight = 200.0, chartGap = 12.0

    struct Layout {
        var widths: [Double] = []
        /// The page the table starts on, where on it, and the rows it holds there.
        var tablePage = 1
        var tableTop = 0.0
        var firstPageRows = 0
        var pageRows = 0
    }

    public init(_ file: ExportFile) { self.file = file }

    deinit {
        if let cr { cairo_destroy(cr) }
        if let surface { cairo_surface_destroy(surface) }
        if let regular { cairo_font_face_destroy(regular) }
        if let bold { cairo_font_face_destroy(bold) }
    }

    public func begin(_ header: ExportHeader, totals: ExportTotals?) throws {
        self.header = header
        let unmanaged = Unmanaged.passUnretained(self).toOpaque()
        guard let s = cairo_pdf_surface_create_for_stream({ closure, data, length in
            let sink = Unmanaged<PDFSink>.fromOpaque(closure!).takeUnretainedValue()
            do {
                try sink.file.write(UnsafeRawBufferPointer(start: data, count: Int(length)))
                return CAIRO_STATUS_SUCCESS
            } catch {
                sink.failure = error
                return CAIRO_STATUS_WRITE_ERROR
            }
        }, unmanaged, Self.pageWidth, Self.pageHeight) else {
            throw PorticoError(.internalError, "the PDF could not be started (cairo)")
        }
        surface = s
        let date = String(header.generatedAt.rfc3339.prefix(19)) + "Z"
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, header.title)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "Portico")
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date)
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, date)
        cr = cairo_create(s)
        regular = cairo_toy_font_face_create(Self.font, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        bold = cairo_toy_font_face_create(Self.font, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD)
        try status()

        let totals = totals ?? ExportTotals()
        let figures = totals.figures(header.columns).prefix(Self.tilesPerRow * Self.tileRows)
        let tileRowsUsed = (figures.count + Self.tilesPerRow - 1) / Self.tilesPerRow
        let belowTiles = Self.margin + 52 + Double(tileRowsUsed) * 54 + 8
        let bottom = Self.pageHeight - Self.margin - Self.footerHeight

        // The charts' places: rows of two below the tiles, then on pages of their own; the
        // table starts on the page after the last chart.
        let plots = totals.plots(header)
        var places: [(page: Int, x: Double, y: Double)] = []
        var top = belowTiles, pageOfChart = 1
        let chartWidth = (Self.pageWidth - 2 * Self.margin - Self.chartGap) / 2
        for i in plots.indices where i % 2 == 0 {
            if top + Self.chartHeight > bottom {
                pageOfChart += 1
                top = Self.margin
            }
            places.append((pageOfChart, Self.margin, top))
            if i + 1 < plots.count { places.append((pageOfChart, Self.margin + chartWidth + Self.chartGap, top)) }
            top += Self.chartHeight + Self.chartGap
        }
        // The table goes on below the charts when a few of its rows fit there.
        let roomBelow = Int((bottom - top - Self.headerHeight) / Self.rowHeight)
        let below = plots.isEmpty || roomBelow >= min(totals.rows, 8) && roomBelow > 0
        layout.tablePage = below ? pageOfChart : pageOfChart + 1
        layout.tableTop = below ? top : Self.margin
        layout.firstPageRows = max(1, Int((bottom - layout.tableTop - Self.headerHeight) / Self.rowHeight))
        layout.pageRows = max(1, Int((bottom - Self.margin - Self.headerHeight) / Self.rowHeight))
        let rest = max(0, totals.rows - layout.firstPageRows)
        pages = layout.tablePage + (rest + layout.pageRows - 1) / layout.pageRows

        if let brand = header.brand, let fill = ExportBrand.rgb(brand.primary), let text = ExportBrand.rgb(brand.text) {
            headerFill = fill
            headerText = text
        }
        page = 1
        titleBlock(header, figures: Array(figures))
        for (plot, place) in zip(plots, places) {
            if place.page > page {
                try endPage()
                page += 1
            }
            chart(plot, x: place.x, y: place.y, width: chartWidth, height: Self.chartHeight)
            try status()
        }
        if layout.tablePage > page {
            try endPage()
            page += 1
        }
    }

    // The cells of a row, drawn at its end. The first rows wait until the columns' widths
    // are measured on them.

    private var cells: [ExportCell] = []
    private var waiting: [[ExportCell]] = []
    static let measuredRows = 100

    public func text(_ utf8: UnsafeBufferPointer<UInt8>) throws { cells.append(.text(String(decoding: utf8, as: UTF8.self))) }
    public func integer(_ n: Int64) throws { cells.append(.integer(n)) }
    public func money(_ amount: Int64, _ currency: Currency) throws { cells.append(.money(Money(amount, currency))) }
    public func time(_ t: Timestamp) throws { cells.append(.time(t)) }
    public func empty() throws { cells.append(.empty) }

    public func endRow() throws {
        defer { cells.removeAll(keepingCapacity: true) }
        if layout.widths.isEmpty {
            waiting.append(cells)
            if waiting.count == Self.measuredRows { try drawWaiting() }
        } else {
            try draw(cells)
        }
    }

    private func drawWaiting() throws {
        guard let header else { return }
        if layout.widths.isEmpty { layout.widths = widths(header.columns, waiting) }
        let rows = waiting
        waiting = []
        for r in rows { try draw(r) }
    }

    private func draw(_ cells: [ExportCell]) throws {
        guard let header else { return }
        let capacity = page == layout.tablePage ? layout.firstPageRows : layout.pageRows
        if rowOnPage == capacity {
            try endPage()
            page += 1
            rowOnPage = 0
        }
        if rowOnPage == 0 { tableHeader(header.columns, top: page == layout.tablePage ? layout.tableTop : Self.margin) }
        row(cells, header.columns)
        rowOnPage += 1
        rowsDone += 1
        try status()
    }

    public func finish(_ totals: ExportTotals) throws {
        try drawWaiting()
        guard let header, let cr else { return }
        if rowsDone == 0 {
            if layout.widths.isEmpty { layout.widths = widths(header.columns, []) }
            tableHeader(header.columns, top: layout.tableTop)
            setFont(bold: false, size: 9)
            cairo_set_source_rgb(cr, 0.35, 0.38, 0.45)
            show("No rows in this range.", x: Self.margin + 4, y: layout.tableTop + Self.headerHeight + 14)
        }
        try endPage()
        cairo_surface_finish(surface)
        try status()
    }

    // MARK: drawing

    private func titleBlock(_ header: ExportHeader, figures: [(label: String, value: ExportTotalValue)]) {
        guard let cr else { return }
        var titleWidth = Self.pageWidth - 2 * Self.margin
        // A statement's brand: its name on the right of the title, in its accent colour,
        // over a rule in its primary colour.
        if let brand = header.brand {
            let accent = ExportBrand.rgb(brand.accent) ?? (0.09, 0.13, 0.24)
            cairo_set_source_rgb(cr, accent.0, accent.1, accent.2)
            setFont(bold: true, size: 14)
            let name = fit(brand.name, 260)
            let w = advance(name)
            show(name, x: Self.pageWidth - Self.margin - w, y: Self.margin + 16)
            titleWidth -= w + 20
            cairo_set_source_rgb(cr, headerFill.0, headerFill.1, headerFill.2)
            cairo_rectangle(cr, Self.margin, Self.margin + 42, Self.pageWidth - 2 * Self.margin, 2)
            cairo_fill(cr)
        }
        cairo_set_source_rgb(cr, 0.09, 0.13, 0.24)
        setFont(bold: true, size: 18)
        show(header.title, x: Self.margin, y: Self.margin + 18, width: titleWidth)
        setFont(bold: false, size: 9)
        cairo_set_source_rgb(cr, 0.35, 0.38, 0.45)
        show("\(header.rangeText) · generated \(Self.time(header.generatedAt)) UTC", x: Self.margin, y: Self.margin + 36,
             width: Self.pageWidth - 2 * Self.margin)
        let gap = 8.0
        let tileWidth = (Self.pageWidth - 2 * Self.margin - gap * Double(Self.tilesPerRow - 1)) / Double(Self.tilesPerRow)
        for (i, figure) in figures.enumerated() {
            let x = Self.margin + Double(i % Self.tilesPerRow) * (tileWidth + gap)
            let y = Self.margin + 52 + Double(i / Self.tilesPerRow) * 54
            cairo_set_source_rgb(cr, 0.93, 0.95, 0.98)
            cairo_rectangle(cr, x, y, tileWidth, 46)
            cairo_fill(cr)
            cairo_set_source_rgb(cr, 0.35, 0.38, 0.45)
            setFont(bold: false, size: 7.5)
            show(figure.label, x: x + 8, y: y + 14, width: tileWidth - 16)
            cairo_set_source_rgb(cr, 0.09, 0.13, 0.24)
            setFont(bold: true, size: 13)
            show(figure.value.text, x: x + 8, y: y + 34, width: tileWidth - 16)
        }
    }

    private func tableHeader(_ columns: [ExportColumn], top: Double) {
        guard let cr else { return }
        cairo_set_source_rgb(cr, headerFill.0, headerFill.1, headerFill.2)
        cairo_rectangle(cr, Self.margin, top, Self.pageWidth - 2 * Self.margin, Self.headerHeight)
        cairo_fill(cr)
        cairo_set_source_rgb(cr, headerText.0, headerText.1, headerText.2)
        setFont(bold: true, size: Self.fontSize)
        var x = Self.margin
        for (i, column) in columns.enumerated() {
            let w = layout.widths[i]
            aligned(column.name, kind: column.kind, x: x, width: w, y: top + 11)
            x += w
        }
    }

    private func row(_ cells: [ExportCell], _ columns: [ExportColumn]) {
        guard let cr else { return }
        let top = (page == layout.tablePage ? layout.tableTop : Self.margin) + Self.headerHeight + Double(rowOnPage) * Self.rowHeight
        if rowOnPage % 2 == 1 {
            cairo_set_source_rgb(cr, 0.96, 0.97, 0.99)
            cairo_rectangle(cr, Self.margin, top, Self.pageWidth - 2 * Self.margin, Self.rowHeight)
            cairo_fill(cr)
        }
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.12)
        setFont(bold: false, size: Self.fontSize)
        var x = Self.margin
        for (i, column) in columns.enumerated() {
            let w = layout.widths[i]
            if i < cells.count { aligned(Self.text(cells[i]), kind: column.kind, x: x, width: w, y: top + 9.5) }
            x += w
        }
    }

    private func endPage() throws {
        guard let cr, let header else { return }
        setFont(bold: false, size: 7.5)
        cairo_set_source_rgb(cr, 0.45, 0.48, 0.55)
        show(header.title, x: Self.margin, y: Self.pageHeight - Self.margin + 4, width: 400)
        let number = "Page \(page) of \(max(pages, page))"
        aligned(number, kind: .money, x: Self.pageWidth - Self.margin - 200, width: 200, y: Self.pageHeight - Self.margin + 4)
        cairo_show_page(cr)
        try status()
    }

    // MARK: text

    /// A cell as the table shows it.
    static func text(_ cell: ExportCell) -> String {
        switch cell {
        case .empty: ""
        case .text(let s): s
        case .integer(let n): String(n)
        case .money(let m): Money.groupedText(Int128(m.amount), exponent: m.currency.exponent)
        case .time(let t): time(t)
        }
    }

    /// `2026-03-01 14:05:09`.
    static func time(_ t: Timestamp) -> String {
        let s = t.rfc3339
        return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(8))
    }

    func setFont(bold: Bool, size: Double) {
        if let current, current.bold == bold, current.size == size { return }
        cairo_set_font_face(cr, bold ? self.bold : regular)
        cairo_set_font_size(cr, size)
        current = (bold, size)
    }

    /// Numbers and money to the right of their column, the rest to the left, cut to fit.
    private func aligned(_ s: String, kind: ExportColumnKind, x: Double, width: Double, y: Double) {
        let room = width - 8
        let fitted = fit(s, room)
        if kind == .money || kind == .integer {
            show(fitted, x: x + 4 + room - advance(fitted), y: y)
        } else {
            show(fitted, x: x + 4, y: y)
        }
    }

    func show(_ s: String, x: Double, y: Double, width: Double? = nil) {
        let text = width.map { fit(s, $0) } ?? s
        cairo_move_to(cr, x, y)
        cairo_show_text(cr, Self.printable(text))
    }

    func advance(_ s: String) -> Double {
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, Self.printable(s), &extents)
        return extents.x_advance
    }

    /// `s` cut with `…` to `width` points in the current font.
    func fit(_ s: String, _ width: Double) -> String {
        if advance(s) <= width { return s }
        var scalars = Array(s.unicodeScalars)
        var low = 0, high = scalars.count
        while low < high {
            let mid = (low + high + 1) / 2
            var t = String.UnicodeScalarView(scalars[..<mid])
            t.append("…")
            if advance(String(t)) <= width { low = mid } else { high = mid - 1 }
        }
        scalars = Array(scalars[..<low])
        return String(String.UnicodeScalarView(scalars)) + "…"
    }

    /// Without what a C string cannot hold or a page cannot show: NUL and the other control
    /// characters become U+FFFD.
    static func printable(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }) else { return s }
        return String(String.UnicodeScalarView(s.unicodeScalars.map { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) ? "\u{FFFD}" : $0 }))
    }

    /// Column widths: each column's natural width (its header and the first page's cells,
    /// at most 200 points), scaled so the columns fill the page's width. When the naturals
    /// do not fit, the cells keep theirs and the headers give way first (cut with `…`),
    /// the room left shared out to the headers that want it; only cells wider than the
    /// page all together are narrowed.
    private func widths(_ columns: [ExportColumn], _ rows: [[ExportCell]]) -> [Double] {
        guard !columns.isEmpty else { return [] }
        setFont(bold: true, size: Self.fontSize)
        let headers = columns.map { min(advance($0.name) + 10, 200) }
        setFont(bold: false, size: Self.fontSize)
        var cells = [Double](repeating: 24, count: columns.count)
        for row in rows.prefix(100) {
            for (i, cell) in row.enumerated() where i < cells.count {
                cells[i] = max(cells[i], min(advance(Self.text(cell)) + 10, 200))
            }
        }
        let available = Self.pageWidth - 2 * Self.margin
        let natural = zip(headers, cells).map { max($0, $1) }
        let sum = natural.reduce(0, +)
        if sum <= available { return natural.map { $0 * available / sum } }
        let cellSum = cells.reduce(0, +)
        guard cellSum < available else { return cells.map { $0 * available / cellSum } }
        let wants = zip(headers, cells).map { max($0 - $1, 0) }
        let wanted = wants.reduce(0, +)
        return zip(cells, wants).map { $0 + $1 * (available - cellSum) / wanted }
    }

    private func status() throws {
        if let failure { throw failure }
        if let cr, cairo_status(cr) != CAIRO_STATUS_SUCCESS {
            throw PorticoError(.internalError, "drawing the PDF failed: \(String(cString: cairo_status_to_string(cairo_status(cr))))")
        }
        if let surface, cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS {
            throw PorticoError(.internalError, "writing the PDF failed: \(String(cString: cairo_status_to_string(cairo_surface_status(surface))))")
        }
    }
}
