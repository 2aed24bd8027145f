import Foundation
import JSONRPC
import PorticoRules

/// The file formats `analytics.export` writes.
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, xlsx, pdf
}

/// What a column of a report holds: each format writes a kind its own way (CSV money as a
/// decimal string in the currency's exponent, XLSX as a number with the currency's format).
public enum ExportColumnKind: Sendable, Equatable {
    case text, integer, money, time
}

public struct ExportColumn: Sendable, Equatable {
    public var name: String
    public var kind: ExportColumnKind
    /// Whether the column's amounts add up to a total worth showing (an average or a
    /// figure at a period's end does not).
    public var additive: Bool
    public init(_ name: String, _ kind: ExportColumnKind, additive: Bool = true) {
        self.name = name; self.kind = kind; self.additive = additive
    }
}

/// One cell of a report's row, typed: never a number turned to text before a format chose
/// how to write it.
public enum ExportCell: Sendable, Equatable {
    case text(String)
    case integer(Int64)
    case money(Money)
    case time(Timestamp)
    case empty
}

/// What a report is, for a format's title block: its name (`sales`), its title, the range
/// of time it covers (nil: all of it), when it was made (the engine's clock, so a
/// deterministic engine writes the same file twice), and its columns.
public struct ExportHeader: Sendable {
    public var report: String
    public var title: String
    public var range: TimeRange?
    public var generatedAt: Timestamp
    public var columns: [ExportColumn]
    /// The charts drawn of the rows (the series reports'), none for a list.
    public var charts: [ExportChart]
    /// What the report is of, said instead of its range (a payout statement's payout).
    public var subtitle: String?
    /// The partner's brand a statement is drawn in.
    public var brand: ExportBrand?

    public init(report: String, title: String, range: TimeRange?, generatedAt: Timestamp, columns: [ExportColumn],
                charts: [ExportChart] = [], subtitle: String? = nil, brand: ExportBrand? = nil)
    {
        self.report = report; self.title = title; self.range = range; self.generatedAt = generatedAt; self.columns = columns
        self.charts = charts; self.subtitle = subtitle; self.brand = brand
    }

    /// `2026-01-01 to 2026-12-31` (a bound on a day's edge as that day), the instants
    /// otherwise; "all time" for none; the subtitle when the report has one.
    public var rangeText: String {
        if let subtitle { return subtitle }
        guard let range, range != .all else { return "all time" }
        let from = range.first == .min ? "the start"
            : range.first.millisecondsSinceEpoch.floorMod(Timestamp.msPerDay) == 0 ? range.firstDay : range.firstText
        let to = range.last == .max ? "now"
            : (range.last.millisecondsSinceEpoch + 1).floorMod(Timestamp.msPerDay) == 0 ? range.lastDay : range.lastText
        return "\(from) to \(to)"
    }
}

/// A partner's brand as a statement shows it: its display name and its theme's colours
/// (`#RRGGBB`; its text readable on its primary, which `brand.update` holds to WCAG AA). Its
/// logo is an address the engine does not fetch (it has no network), so a statement names
/// the brand in its colours instead.
public struct ExportBrand: Sendable, Equatable {
    public var name: String
    public var primary: String
    public var accent: String
    public var text: String
    public init(name: String, primary: String, accent: String, text: String) {
        self.name = name; self.primary = primary; self.accent = accent; self.text = text
    }

    /// A `#RRGGBB` colour as red, green and blue between 0 and 1 (nil if it is not one).
    public static func rgb(_ hex: String) -> (Double, Double, Double)? {
        let digits = Array(hex.utf8.dropFirst())
        guard hex.hasPrefix("#"), digits.count == 6, let v = UInt32(String(decoding: digits, as: UTF8.self), radix: 16) else { return nil }
        return (Double((v >> 16) & 0xFF) / 255, Double((v >> 8) & 0xFF) / 255, Double(v & 0xFF) / 255)
    }
}

/// A chart of a report's rows: a point per row, named by its `category` column's text, and
/// a series per column of `series` (money or counts). Drawn once per currency of its
/// amounts, never two currencies on one axis (see `ExportTotals.plots`).
public struct ExportChart: Sendable, Equatable {
    /// Bars side by side, bars stacked on each other (negatives below zero), or lines.
    public enum Style: Sendable, Equatable { case bar, stackedBar, line }
    public var title: String
    public var style: Style
    public var category: Int
    public var series: [Int]

    public init(_ title: String, _ style: Style, category: Int, series: [Int]) {
        self.title = title; self.style = style; self.category = category; self.series = series
    }

    /// The columns a chart reads.
    var columns: [Int] { [category] + series }
}

/// A chart with its figures, for the rows of one currency (nil: rows without money): the
/// points' names and, per series, its values (amounts in the currency's minor units, or
/// counts), a value per point.
public struct ExportPlot: Sendable, Equatable {
    public var chart: ExportChart
    public var currency: Currency?
    /// Whether the series are amounts of `currency` (else counts).
    public var amounts: Bool
    /// The digits after the point of the values: the currency's for amounts, none for counts.
    public var exponent: Int { amounts ? currency?.exponent ?? 0 : 0 }
    public var categoryName: String
    public var categories: [String]
    public var series: [Series]

    public struct Series: Sendable, Equatable {
        public var name: String
        public var values: [Int64]
    }

    /// `Net revenue · EUR`.
    public var title: String { currency.map { "\(chart.title) · \($0.code)" } ?? chart.title }
}

/// A report's totals, added up from the very rows written: how many, and each money
/// column's sum per currency (never one currency turned into another), exact in 128 bits;
/// and for a report with charts, the cells its charts read (a series report has a few rows
/// per period, partner or country, never the ledger's).
public struct ExportTotals: Sendable, Equatable {
    public private(set) var rows = 0
    /// Per column (by index), the sums by currency, in the order first seen (none for a
    /// column without money).
    public private(set) var sums: [[MoneySum]] = []
    /// The rows' cells in the columns a chart reads, `.empty` in the others.
    public private(set) var chartRows: [ChartRow] = []

    /// A row as its charts read it: the cells they read, and the currency of the row's
    /// first amount (a row of a series is in one currency: its counts are that currency's).
    public struct ChartRow: Sendable, Equatable {
        public var cells: [ExportCell]
        public var currency: Currency?
    }

    public struct MoneySum: Sendable, Equatable {
        public let currency: Currency
        public var minor: Int128
        /// The sum in major units, with exactly the currency's digits after the point.
        public var decimalText: String { Money.decimalText(minor, exponent: currency.exponent) }
    }

    public init() {}

    /// Adds up rows given whole, keeping the cells `charts` read.
    public mutating func add(_ page: [[ExportCell]], charts: [ExportChart] = []) {
        let read = Set(charts.flatMap(\.columns))
        for row in page {
            for (i, cell) in row.enumerated() {
                if case .money(let m) = cell { add(column: i, m.amount, m.currency) }
            }
            let currency = row.lazy.compactMap { if case .money(let m) = $0 { m.currency } else { nil } }.first
            endRow(chartRow: read.isEmpty ? nil : ChartRow(cells: row.indices.map { read.contains($0) ? row[$0] : .empty }, currency: currency))
        }
    }

    mutating func add(column: Int, _ amount: Int64, _ currency: Currency) {
        while sums.count <= column { sums.append([]) }
        // A report holds a currency or a few: the last one matched is looked at first.
        if let k = sums[column].lastIndex(where: { $0.currency.code == currency.code }) {
            sums[column][k].minor += Int128(amount)
        } else {
            sums[column].append(MoneySum(currency: currency, minor: Int128(amount)))
        }
    }

    mutating func endRow(chartRow: ChartRow? = nil) {
        rows += 1
        if let chartRow { chartRows.append(chartRow) }
    }

    /// The header's charts with their figures: for each currency of the rows (in the order
    /// first met), its charts in the header's order; rows without money make one set.
    public func plots(_ header: ExportHeader) -> [ExportPlot] {
        var currencies: [Currency?] = []
        var plots: [ExportPlot] = []
        for chartRow in chartRows {
            let row = chartRow.cells, currency = chartRow.currency
            for chart in header.charts {
                var k = plots.firstIndex { $0.chart == chart && $0.currency?.code == currency?.code }
                if k == nil {
                    if !currencies.contains(where: { $0?.code == currency?.code }) { currencies.append(currency) }
                    let amounts = chart.series.contains { $0 < header.columns.count && header.columns[$0].kind == .money }
                    plots.append(ExportPlot(chart: chart, currency: currency, amounts: amounts,
                                            categoryName: chart.category < header.columns.count ? header.columns[chart.category].name : "",
                                            categories: [], series: chart.series.map {
                                                .init(name: $0 < header.columns.count ? header.columns[$0].name : "", values: [])
                                            }))
                    k = plots.count - 1
                }
                let name: String = if chart.category < row.count, case .text(let t) = row[chart.category] { t }
                    else if chart.category < row.count { Self.label(row[chart.category]) } else { "" }
                plots[k!].categories.append(name)
                for (j, i) in chart.series.enumerated() {
                    let v: Int64 = switch i < row.count ? row[i] : .empty {
                    case .money(let m): m.amount
                    case .integer(let n): n
                    default: 0
                    }
                    plots[k!].series[j].values.append(v)
                }
            }
        }
        // Currency by currency, each currency's charts in the header's order.
        return currencies.flatMap { c in
            header.charts.compactMap { chart in plots.first { $0.chart == chart && $0.currency?.code == c?.code } }
        }
    }

    private static func label(_ cell: ExportCell) -> String {
        switch cell {
        case .text(let s): s
        case .integer(let n): String(n)
        case .money(let m): Money.groupedText(Int128(m.amount), exponent: m.currency.exponent)
        case .time(let t): String(t.rfc3339.prefix(10))
        case .empty: ""
        }
    }

    /// The figures a summary shows: the rows, then each money column's total per currency
    /// (`amount EUR`), in column order.
    public func figures(_ columns: [ExportColumn]) -> [(label: String, value: ExportTotalValue)] {
        var out: [(String, ExportTotalValue)] = [("rows", .count(rows))]
        for (i, column) in columns.enumerated() where column.kind == .money && column.additive {
            for sum in i < sums.count ? sums[i] : [] { out.append(("\(column.name) \(sum.currency.code)", .money(sum))) }
        }
        return out
    }
}

/// A summary figure: a count or a money total.
public enum ExportTotalValue: Sendable, Equatable {
    case count(Int)
    case money(ExportTotals.MoneySum)

    public var text: String {
        switch self {
        case .count(let n): Money.groupedText(Int128(n), exponent: 0)
        case .money(let m): "\(Money.groupedText(m.minor, exponent: m.currency.exponent)) \(m.currency.code)"
        }
    }
}

/// Where a report's cells go as they are read, one call a cell and a row ended by
/// `endRow`: a store writes its rows straight in (no record, no array of cells, no
/// `String` per text on the way), and a format writes each cell as it comes.
public protocol ExportRows: AnyObject {
    func text(_ utf8: UnsafeBufferPointer<UInt8>) throws
    func integer(_ n: Int64) throws
    func money(_ amount: Int64, _ currency: Currency) throws
    func time(_ t: Timestamp) throws
    /// An instant as the store holds it (RFC 3339 text), for a writer that can use its text.
    func time(rfc3339 utf8: UnsafeBufferPointer<UInt8>) throws
    func empty() throws
    func endRow() throws
}

extension ExportRows {
    /// An instant as the store holds it, RFC 3339 text: parsed, then written as `time`
    /// (a writer may copy text already in the engine's own form instead).
    public func time(rfc3339 utf8: UnsafeBufferPointer<UInt8>) throws { try time(Timestamp.stored(utf8)) }

    public func text(_ s: String) throws {
        var s = s
        try s.withUTF8 { try text($0) }
    }

    public func text(_ s: String?) throws {
        if let s { try text(s) } else { try empty() }
    }

    public func cell(_ cell: ExportCell) throws {
        switch cell {
        case .text(let s): try text(s)
        case .integer(let n): try integer(n)
        case .money(let m): try money(m.amount, m.currency)
        case .time(let t): try time(t)
        case .empty: try empty()
        }
    }

    /// Rows given as cells, each written and ended.
    public func write(_ rows: [[ExportCell]]) throws {
        for row in rows {
            for c in row { try cell(c) }
            try endRow()
        }
    }
}

/// A report's writer in a format: `begin` once, then the rows cell by cell, then `finish`
/// with the totals of what was written. A format that shows the totals before the rows
/// (the PDF's figures on its first page) asks for them first: they are added up in a pass
/// of their own, and the rows written must add up to them.
public protocol ExportSink: ExportRows {
    var needsTotalsFirst: Bool { get }
    func begin(_ header: ExportHeader, totals: ExportTotals?) throws
    func finish(_ totals: ExportTotals) throws
}

extension ExportSink {
    public var needsTotalsFirst: Bool { false }
    public func finish(_ totals: ExportTotals) throws {}
}

/// Adds up the cells on their way to a sink (or to none, for a pass that only adds up):
/// the money of the columns that add up, and the cells the header's charts read.
final class Tally: ExportRows {
    // Every cell of an export passes here: its state is used by one thread, one call at a
    // time, so Swift's run-time exclusivity checks (about a tenth of a CSV export's CPU)
    // are off for it.
    @exclusivity(unchecked) var totals = ExportTotals()
    let next: (any ExportRows)?
    let additive: [Bool]
    /// Per column, whether a chart reads it (empty: no chart).
    let charted: [Bool]
    @exclusivity(unchecked) private var column = 0
    @exclusivity(unchecked) private var cells: [ExportCell] = []
    @exclusivity(unchecked) private var currency: Currency?

    init(_ next: (any ExportRows)?, _ header: ExportHeader) {
        self.next = next
        additive = header.columns.map(\.additive)
        let read = Set(header.charts.flatMap(\.columns))
        charted = read.isEmpty ? [] : header.columns.indices.map(read.contains)
    }

    private func keep(_ cell: @autoclosure () -> ExportCell) {
        guard !charted.isEmpty else { return }
        cells.append(column < charted.count && charted[column] ? cell() : .empty)
    }

    func text(_ utf8: UnsafeBufferPointer<UInt8>) throws {
        keep(.text(String(decoding: utf8, as: UTF8.self)))
        column += 1
        try next?.text(utf8)
    }
    func integer(_ n: Int64) throws { keep(.integer(n)); column += 1; try next?.integer(n) }
    func time(_ t: Timestamp) throws { keep(.time(t)); column += 1; try next?.time(t) }
    func time(rfc3339 utf8: UnsafeBufferPointer<UInt8>) throws {
        if charted.isEmpty {
            column += 1
            try next?.time(rfc3339: utf8)
        } else {
            try time(Timestamp.stored(utf8))
        }
    }
    func empty() throws { keep(.empty); column += 1; try next?.empty() }
    func money(_ amount: Int64, _ currency: Currency) throws {
        if column >= additive.count || additive[column] { totals.add(column: column, amount, currency) }
        keep(.money(Money(amount, currency)))
        if self.currency == nil { self.currency = currency }
        column += 1
        try next?.money(amount, currency)
    }
    func endRow() throws {
        totals.endRow(chartRow: charted.isEmpty ? nil : ExportTotals.ChartRow(cells: cells, currency: currency))
        cells.removeAll(keepingCapacity: true)
        currency = nil
        column = 0
        try next?.endRow()
    }
}

/// A report `analytics.export` writes, with its own params (as its list method takes them).
public enum ExportQuery: Sendable {
    case sales(partnerId: String, customerId: String?, kind: String?, range: TimeRange)
    case commissions(partnerId: String, status: String?, range: TimeRange)
    case audit(AuditFilter)
    /// `analytics.partner`'s series: a row per period and currency.
    case partnerAnalytics(partnerId: String, range: TimeRange, granularity: Granularity, currency: String?)
    /// `analytics.topPartners`'s ranking: a row per partner.
    case topPartners(range: TimeRange, by: RankBy, currency: String, region: String?, tier: String?, limit: Int)
    /// `analytics.regions`: a row per country and currency, under its region.
    case regions(partnerId: String?, range: TimeRange, currency: String?)
    /// `payout.list`'s payouts: a row per payout.
    case payouts(partnerId: String?, status: String?, range: TimeRange)
    /// `payout.statement`: a row per line of one payout, in the partner's brand.
    case payoutStatement(payoutId: String)

    /// The `report` names, in the order the method's schema lists them.
    public static let reports = ["sales", "commissions", "audit", "partnerAnalytics", "topPartners", "regions", "payouts", "payoutStatement"]

    public var report: String {
        switch self {
        case .sales: "sales"
        case .commissions: "commissions"
        case .audit: "audit"
        case .partnerAnalytics: "partnerAnalytics"
        case .topPartners: "topPartners"
        case .regions: "regions"
        case .payouts: "payouts"
        case .payoutStatement: "payoutStatement"
        }
    }

    /// The list method whose permission the export needs as well as `analytics.export`'s:
    /// exporting a report never shows more than listing it would.
    var listAction: String {
        switch self {
        case .sales: "sale.list"
        case .commissions: "commission.list"
        case .audit: "audit.list"
        case .partnerAnalytics: "analytics.partner"
        case .topPartners: "analytics.topPartners"
        case .regions: "analytics.regions"
        case .payouts: "payout.list"
        case .payoutStatement: "payout.statement"
        }
    }

    /// The range of time the report covers, as asked.
    public var range: TimeRange {
        switch self {
        case .sales(_, _, _, let range), .commissions(_, _, let range): range
        case .audit(let f): f.range
        case .partnerAnalytics(_, let range, _, _), .topPartners(let range, _, _, _, _, _), .regions(_, let range, _): range
        case .payouts(_, _, let range): range
        case .payoutStatement: .all
        }
    }

    /// The report's title, naming its partner as `name` (its id when not given).
    func title(partner name: String? = nil) -> String {
        let of = name ?? partnerId
        return switch self {
        case .sales: "Sales of \(of ?? "")"
        case .commissions: "Commissions of \(of ?? "")"
        case .audit: of.map { "Audit trail of \($0)" } ?? "Audit trail"
        case .partnerAnalytics(_, _, let granularity, _): "Analytics of \(of ?? "") by \(granularity.rawValue)"
        case .topPartners(_, let by, let currency, _, _, _): "Top partners by \(by.rawValue) in \(currency)"
        case .regions: of.map { "Sales of \($0) by region" } ?? "Sales by region"
        case .payouts: of.map { "Payouts of \($0)" } ?? "Payouts"
        case .payoutStatement(let payoutId): "Statement of payout \(payoutId)"
        }
    }

    /// The partner the report is of, as asked (nil: the audit trail of every partner).
    public var partnerId: String? {
        switch self {
        case .sales(let partnerId, _, _, _), .commissions(let partnerId, _, _), .partnerAnalytics(let partnerId, _, _, _): partnerId
        case .audit(let f): f.partnerId
        case .topPartners, .payoutStatement: nil
        case .regions(let partnerId, _, _), .payouts(let partnerId, _, _): partnerId
        }
    }

    /// Checks the caller may list what the report shows, on the partner the list would
    /// show (a member's audit trail is its own partner's). The list's own service checks
    /// `analytics.export` on the same partner as it reads.
    func authorizeList(_ ctx: RequestContext) throws {
        let partnerId: String? = switch self {
        case .sales(let partnerId, _, _, _), .commissions(let partnerId, _, _), .partnerAnalytics(let partnerId, _, _, _): partnerId
        case .audit(let f): try AuditService.scoped(ctx, f).partnerId
        case .topPartners: nil
        // A member's regions and payouts are its own partner's, named or not.
        case .regions(let partnerId, _, _), .payouts(let partnerId, _, _): try partnerId ?? ctx.requireActor().ownPartner?.id
        case .payoutStatement(let payoutId): try PayoutService.partnerOf(ctx, payoutId)
        }
        try ctx.authorize(listAction, partner: try partnerId.map { try PartnerService.load($0, ctx.store) })
    }

    /// How many rows the report has, and (where the report's list can stop there) the
    /// highest seq among them: the report holds the rows there when the export started.
    func count(_ ctx: RequestContext) throws -> (count: Int, through: Int64?, held: [[ExportCell]]?) {
        switch self {
        case .sales(let partnerId, let customerId, let kind, let range):
            let (count, last) = try SaleService.count(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range)
            // No sale yet: none is read, even one recorded meanwhile.
            return (count, last ?? 0, nil)
        case .commissions(let partnerId, let status, let range):
            return (try CommissionLedger.count(ctx, partnerId: partnerId, status: status, range: range), nil, nil)
        case .audit(let f):
            return (try AuditService.count(ctx, f), nil, nil)
        case .partnerAnalytics, .topPartners, .regions:
            // Computed once, as of the export's start, and held for its pages.
            let rows = try computed(ctx)
            return (rows.count, nil, rows)
        case .payouts(let partnerId, let status, let range):
            return (try PayoutService.count(ctx, partnerId: partnerId, status: status, range: range), nil, nil)
        case .payoutStatement(let payoutId):
            return (Int(try PayoutService.get(ctx, id: payoutId).lineCount), nil, nil)
        }
    }

    /// What the report's title block says of it beyond its range, and the brand it is drawn
    /// in: a statement's payout (period, status, lines, amount) in its partner's brand.
    func describe(_ ctx: RequestContext) throws -> (title: String, subtitle: String?, brand: ExportBrand?) {
        guard case .payoutStatement(let payoutId) = self else {
            // A partner's report is titled with its name, and its id beside it.
            let partner = try partnerId.map { try PartnerService.load($0, ctx.store) }
            return (title(partner: partner.map { "\($0.name) (\($0.id))" }), nil, nil)
        }
        let payout = try PayoutService.get(ctx, id: payoutId)
        let partner = try PartnerService.load(payout.partnerId, ctx.store)
        let brand = try BrandService.load(partner, ctx.store)
        let amount = Money.groupedText(Int128(payout.amount.amount), exponent: payout.amount.currency.exponent)
        let subtitle = "\(brand.displayName) · \(payout.period.map { "period \($0)" } ?? "on demand") · \(payout.status.rawValue) · "
            + "\(payout.lineCount) line\(payout.lineCount == 1 ? "" : "s") · \(amount) \(payout.currency) by \(payout.method.rawValue)"
        return (title(), subtitle, ExportBrand(name: brand.displayName, primary: brand.theme.primary, accent: brand.theme.accent,
                                     text: brand.theme.text))
    }

    var columns: [ExportColumn] {
        switch self {
        case .sales:
            [.init("id", .text), .init("occurredAt", .time), .init("customerId", .text), .init("resellerId", .text),
             .init("externalId", .text), .init("plan", .text), .init("kind", .text), .init("amount", .money),
             .init("refunded", .money), .init("currency", .text), .init("createdAt", .time)]
        case .commissions:
            [.init("id", .text), .init("occurredAt", .time), .init("beneficiary", .text), .init("resellerId", .text),
             .init("saleId", .text), .init("kind", .text), .init("status", .text), .init("amount", .money),
             .init("originalAmount", .money), .init("currency", .text), .init("payableAt", .time), .init("ruleId", .text),
             .init("basis", .text), .init("payoutId", .text)]
        case .audit:
            [.init("seq", .integer), .init("id", .text), .init("at", .text), .init("actor", .text), .init("action", .text),
             .init("targetType", .text), .init("targetId", .text), .init("partnerId", .text), .init("reason", .text),
             .init("before", .text), .init("after", .text), .init("hash", .text)]
        case .partnerAnalytics:
            [.init("period", .text), .init("from", .time), .init("currency", .text), .init("salesCount", .integer),
             .init("revenue", .money), .init("newRevenue", .money), .init("renewalRevenue", .money), .init("upgradeRevenue", .money),
             .init("usageRevenue", .money), .init("refunds", .money), .init("netRevenue", .money),
             .init("averageOrderValue", .money, additive: false), .init("commissionsEarned", .money), .init("commissionsPaid", .money),
             .init("activeSubscriptions", .integer), .init("churnedSubscriptions", .integer), .init("mrr", .money, additive: false)]
        case .topPartners:
            [.init("rank", .integer), .init("partnerId", .text), .init("name", .text), .init("region", .text), .init("tier", .text),
             .init("revenue", .money), .init("salesCount", .integer), .init("commissions", .money), .init("customers", .integer),
             .init("previousRevenue", .money), .init("growthBasisPoints", .integer)]
        case .regions:
            [.init("region", .text), .init("country", .text), .init("currency", .text), .init("salesCount", .integer),
             .init("customers", .integer), .init("revenue", .money), .init("refunds", .money), .init("netRevenue", .money)]
        case .payouts:
            [.init("id", .text), .init("partnerId", .text), .init("period", .text), .init("status", .text), .init("method", .text),
             .init("destination", .text), .init("amount", .money), .init("reversedAmount", .money), .init("lines", .integer),
             .init("currency", .text), .init("asOf", .time), .init("holdUntil", .time), .init("providerReference", .text),
             .init("failureReason", .text), .init("createdAt", .time), .init("updatedAt", .time)]
        case .payoutStatement:
            [.init("commissionId", .text), .init("occurredAt", .time), .init("kind", .text), .init("beneficiary", .text),
             .init("resellerId", .text), .init("saleId", .text), .init("customerId", .text), .init("plan", .text), .init("ruleId", .text),
             .init("basis", .text), .init("amount", .money), .init("currency", .text)]
        }
    }

    /// The charts of a series report, by its columns' indexes (see `columns`).
    var charts: [ExportChart] {
        switch self {
        case .sales, .commissions, .audit, .payouts, .payoutStatement: []
        case .partnerAnalytics:
            [.init("Net revenue", .bar, category: 0, series: [10]),
             .init("Revenue by kind", .stackedBar, category: 0, series: [5, 6, 7, 8]),
             .init("Revenue, refunds and commissions", .line, category: 0, series: [4, 9, 12]),
             .init("Subscriptions", .line, category: 0, series: [14, 15])]
        case .topPartners: [.init("Revenue and commissions by partner", .bar, category: 2, series: [5, 7])]
        case .regions: [.init("Net revenue by country", .bar, category: 1, series: [7])]
        }
    }

    /// The rows of a report computed whole by the analytics service (a few per period,
    /// partner or country, never the ledger's rows), in the columns' order.
    func computed(_ ctx: RequestContext) throws -> [[ExportCell]] {
        func money(_ v: Int128, _ code: String, _ what: String) throws -> ExportCell {
            guard let currency = Currency.named(code) else { throw PorticoError(.internalError, "unknown currency \(code) in \(what)") }
            return .money(Money(try Money.total(v, "the \(what) in \(code)"), currency))
        }
        switch self {
        case .partnerAnalytics(let partnerId, let range, let granularity, let currency):
            let a = try AnalyticsService.partner(ctx, partnerId: partnerId, range: range, granularity: granularity, currency: currency)
            var rows: [[ExportCell]] = []
            for (i, p) in a.periods.enumerated() {
                for c in a.currencies {
                    let f = a.figures[i][c] ?? PartnerFigures()
                    var row: [ExportCell] = [.text(p.label), .time(p.range.first), .text(c), .integer(f.salesCount), try money(f.revenue, c, "revenue")]
                    for kind in SaleKind.allCases { row.append(try money(f.revenueByKind[kind] ?? 0, c, kind.rawValue + " revenue")) }
                    row += [try money(f.refunds, c, "refunds"), try money(f.netRevenue, c, "net revenue"),
                            try money(f.averageOrderValue, c, "average order value"), try money(f.commissionsEarned, c, "commissions earned"),
                            try money(f.commissionsPaid, c, "commissions paid"), .integer(f.activeSubscriptions),
                            .integer(f.churnedSubscriptions), try money(f.mrr, c, "MRR")]
                    rows.append(row)
                }
            }
            return rows
        case .topPartners(let range, let by, let currency, let region, let tier, let limit):
            let r = try AnalyticsService.topPartners(ctx, range: range, by: by, currency: currency, region: region, tier: tier, limit: limit,
                                                     fields: "params.")
            return try r.entries.enumerated().map { i, e in
                [.integer(Int64(i + 1)), .text(e.id), .text(e.name), .text(e.partner?.region ?? ""), .text(e.partner?.tier ?? ""),
                 try money(e.sales.net, currency, "revenue"), .integer(e.sales.count), try money(e.commissions, currency, "commissions"),
                 .integer(e.sales.customers), try money(e.previousRevenue, currency, "previous revenue"),
                 try e.growthBasisPoints.map { .integer(try Money.total($0, "the growth of \(e.id)")) } ?? .empty]
            }
        case .regions(let partnerId, let range, let currency):
            let report = try AnalyticsService.regions(ctx, partnerId: partnerId, range: range, currency: currency)
            var rows: [[ExportCell]] = []
            for region in report.regions.keys.sorted() {
                for (country, byCurrency) in report.regions[region]!.sorted(by: { $0.key < $1.key }) {
                    for (c, f) in byCurrency.sorted(by: { $0.key < $1.key }) {
                        rows.append([.text(region), .text(country), .text(c), .integer(f.salesCount), .integer(f.customers),
                                     try money(f.revenue, c, "revenue"), try money(f.refunds, c, "refunds"),
                                     try money(f.revenue - f.refunds, c, "net revenue")])
                    }
                }
            }
            return rows
        case .sales, .commissions, .audit, .payouts, .payoutStatement:
            return []
        }
    }

    /// One page of the report's rows after `afterSeq`, written into `out`, through the list
    /// method's own service (its filters, checks and tenant rules): how many, and the seq
    /// to go on after (nil at the end).
    func rows(_ ctx: RequestContext, afterSeq: Int64, through: Int64?, held: [[ExportCell]]?, limit: Int, into out: any ExportRows) throws
        -> (count: Int, next: Int64?)
    {
        let request = PageRequest(afterSeq: afterSeq, limit: limit)
        /// The page's rows, and the seq of its last item when another page follows.
        func rows<T>(_ page: Page<T>, _ seq: (T) -> Int64, _ cells: (T) throws -> Void) throws -> (Int, Int64?) {
            for item in page.items {
                try cells(item)
                try out.endRow()
            }
            return (page.items.count, page.nextCursor == nil ? nil : page.items.last.map(seq))
        }
        switch self {
        case .sales(let partnerId, let customerId, let kind, let range):
            return try SaleService.rows(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range, throughSeq: through,
                                        page: request, into: out)
        case .commissions(let partnerId, let status, let range):
            let page = try CommissionLedger.list(ctx, partnerId: partnerId, status: status, range: range, page: request)
            return try rows(page, \.seq) { c in
                try out.text(c.id); try out.time(c.occurredAt); try out.text(c.beneficiary.rawValue); try out.text(c.resellerId)
                try out.text(c.saleId); try out.text(c.kind.rawValue); try out.text(c.effectiveStatus(now: ctx.now).rawValue)
                try out.money(c.amount.amount, c.amount.currency); try out.money(c.originalAmount.amount, c.originalAmount.currency)
                try out.text(c.currency); try out.time(c.payableAt); try out.text(c.ruleId); try out.text(c.basis); try out.text(c.payoutId)
            }
        case .partnerAnalytics, .topPartners, .regions:
            // Computed whole when the export started (or now, when not held); a page's seq
            // is the index of its last row.
            let all = try held ?? computed(ctx)
            let start = Int(min(afterSeq, Int64(all.count)))
            let page = all[start..<min(all.count, start + limit)]
            try out.write(Array(page))
            let end = start + page.count
            return (page.count, end < all.count ? Int64(end) : nil)
        case .payouts(let partnerId, let status, let range):
            let page = try PayoutService.list(ctx, partnerId: partnerId, status: status, range: range, page: request)
            return try rows(page, \.seq) { p in
                try out.text(p.id); try out.text(p.partnerId); try out.text(p.period); try out.text(p.status.rawValue)
                try out.text(p.method.rawValue); try out.text(p.destination); try out.money(p.amount.amount, p.amount.currency)
                try out.money(p.reversedAmount, p.amount.currency); try out.integer(p.lineCount); try out.text(p.currency)
                try out.time(p.asOf); if let t = p.holdUntil { try out.time(t) } else { try out.empty() }
                try out.text(p.providerReference); try out.text(p.failureReason); try out.time(p.createdAt); try out.time(p.updatedAt)
            }
        case .payoutStatement(let payoutId):
            let page = try PayoutService.statement(ctx, id: payoutId, page: request).lines
            return try rows(page, \.seq) { l in
                let c = l.commission
                try out.text(c.id); try out.time(c.occurredAt); try out.text(c.kind.rawValue); try out.text(c.beneficiary.rawValue)
                try out.text(c.resellerId); try out.text(c.saleId); try out.text(l.customerId); try out.text(l.plan); try out.text(c.ruleId)
                try out.text(c.basis); try out.money(c.amount.amount, c.amount.currency); try out.text(c.currency)
            }
        case .audit(let filter):
            let page = try AuditService.list(ctx, filter, page: request)
            return try rows(page, \.seq) { a in
                try out.integer(a.seq); try out.text(a.id); try out.text(a.at); try out.text(a.actor); try out.text(a.action)
                try out.text(a.targetType); try out.text(a.targetId); try out.text(a.partnerId); try out.text(a.reason)
                try out.text(a.before); try out.text(a.after); try out.text(a.hash)
            }
        }
    }
}

/// What an export wrote: the file's path under the export directory, its size and SHA-256
/// (hex), and the rows written (not counting the header).
public struct ExportResult: Sendable, Equatable {
    public var path: String
    public var bytes: Int64
    public var sha256: String
    public var rows: Int

    public init(path: String, bytes: Int64, sha256: String, rows: Int) {
        self.path = path; self.bytes = bytes; self.sha256 = sha256; self.rows = rows
    }

    public var json: JSONValue {
        ["path": .string(path), "bytes": .integer(bytes), "sha256": .string(sha256), "rows": .integer(Int64(rows))]
    }
}

/// What `prepare` found of an export before its file is opened: its rows (for progress),
/// the seq its reading stops at (where its list has one), and what its title block says.
public struct ExportPlan: Sendable {
    public var total: Int
    public var through: Int64?
    /// The title, naming the partner (nil: the report's own, with ids).
    public var title: String?
    public var subtitle: String?
    public var brand: ExportBrand?
    /// A series report's rows, computed whole by its analytics method when the export
    /// started (a few per period, partner or country): its pages are cut from them, so the
    /// figures are computed once, not once a page and pass.
    public var held: [[ExportCell]]?
    public init(total: Int, through: Int64? = nil, title: String? = nil, subtitle: String? = nil, brand: ExportBrand? = nil,
                held: [[ExportCell]]? = nil)
    {
        self.total = total; self.through = through; self.title = title; self.subtitle = subtitle; self.brand = brand; self.held = held
    }
}

/// `analytics.export`: a report's rows read a page at a time, each page in a read step of
/// its own with the caller and its permissions checked again, written to `sink` between
/// steps (never the whole report in memory); progress at most every 100 ms, and a cancel
/// seen between pages.
public enum ExportService {
    /// Rows a step reads.
    public static let pageSize = 2_000

    /// Checks the caller may export `query` and counts its rows, before a file is opened;
    /// answers too the seq its reading stops at, where its list has one (see `write`).
    public static func prepare(_ ctx: RequestContext, _ query: ExportQuery) throws -> ExportPlan {
        try query.authorizeList(ctx)
        let (count, through, held) = try query.count(ctx)
        let (title, subtitle, brand) = try query.describe(ctx)
        return ExportPlan(total: count, through: through, title: title, subtitle: subtitle, brand: brand, held: held)
    }

    /// Writes every row of `query` to `sink` (`total` the rows `prepare` counted, for
    /// progress; `generatedAt` the instant the file says it was made); answers how many
    /// were written. A sink that needs the totals first gets them from a pass of their own,
    /// and the rows it is then given must add up to them: a report whose rows changed in
    /// between (a refund, say) is -32009, never a file whose figures disagree.
    public static func write(_ job: any JobSteps, _ query: ExportQuery, _ plan: ExportPlan, generatedAt: Timestamp,
                             to sink: any ExportSink, pageSize: Int = pageSize,
                             clock: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) throws -> Int
    {
        let total = plan.total
        let header = ExportHeader(report: query.report, title: plan.title ?? query.title(), range: query.range, generatedAt: generatedAt, columns: query.columns,
                                  charts: query.charts, subtitle: plan.subtitle, brand: plan.brand)
        let passes = sink.needsTotalsFirst ? 2 : 1
        var progress = Progress(job: job, total: total * passes, clock: clock)
        var first: ExportTotals?
        if passes == 2 {
            let tally = Tally(nil, header)
            try each(job, query, plan, pageSize: pageSize, progress: &progress, into: tally)
            first = tally.totals
        }
        try sink.begin(header, totals: first)
        let tally = Tally(sink, header)
        try each(job, query, plan, pageSize: pageSize, progress: &progress, into: tally)
        let totals = tally.totals
        if let first, first != totals {
            throw PorticoError(.conflict, "the report's rows changed while it was written (\(first.rows) rows added up, \(totals.rows) written); export it again",
                               data: ["field": "report"])
        }
        try sink.finish(totals)
        return totals.rows
    }

    /// Rows done out of the total, told at most every 100 ms.
    struct Progress {
        let job: any JobSteps
        var total: Int
        let clock: () -> UInt64
        var done = 0
        var last: UInt64

        init(job: any JobSteps, total: Int, clock: @escaping () -> UInt64) {
            self.job = job; self.total = total; self.clock = clock; last = clock()
        }

        mutating func add(_ rows: Int) {
            done += rows
            let now = clock()
            guard now - last >= 100_000_000 else { return }
            let total = max(self.total, done)
            job.progress(done: done, total: total, message: "\(done) of \(total) rows")
            last = now
        }
    }

    /// Every page of the report in order, each read in a step of its own and written into
    /// `out` on a thread of its own while the next is read (`ExportPipe`); a cancel is
    /// seen between pages.
    static func each(_ job: any JobSteps, _ query: ExportQuery, _ plan: ExportPlan, pageSize: Int, progress: inout Progress,
                     into out: any ExportRows) throws
    {
        let pipe = ExportPipe(into: out)
        defer { pipe.stop() }
        var after: Int64 = 0
        while true {
            if job.isCancelled {
                throw PorticoError.cancelled(["done": .integer(Int64(progress.done)), "total": .integer(Int64(max(progress.total, progress.done)))])
            }
            try pipe.check()
            let page = pipe.page()
            let (count, next) = try job.read { ctx in
                page.reset()  // a step run again records its page again
                try query.authorizeList(ctx)
                return try query.rows(ctx, afterSeq: after, through: plan.through, held: plan.held, limit: pageSize, into: page)
            }
            pipe.submit(page)
            progress.add(count)
            guard let next else { break }
            after = next
        }
        try pipe.drain()
    }
}
