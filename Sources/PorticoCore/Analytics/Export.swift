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
    public init(_ name: String, _ kind: ExportColumnKind) { self.name = name; self.kind = kind }
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

    public init(report: String, title: String, range: TimeRange?, generatedAt: Timestamp, columns: [ExportColumn]) {
        self.report = report; self.title = title; self.range = range; self.generatedAt = generatedAt; self.columns = columns
    }

    /// `2026-01-01 to 2026-12-31` (a bound on a day's edge as that day), the instants
    /// otherwise; "all time" for none.
    public var rangeText: String {
        guard let range, range != .all else { return "all time" }
        let from = range.first == .min ? "the start"
            : range.first.millisecondsSinceEpoch.floorMod(Timestamp.msPerDay) == 0 ? range.firstDay : range.firstText
        let to = range.last == .max ? "now"
            : (range.last.millisecondsSinceEpoch + 1).floorMod(Timestamp.msPerDay) == 0 ? range.lastDay : range.lastText
        return "\(from) to \(to)"
    }
}

/// A report's totals, added up from the very rows written: how many, and each money
/// column's sum per currency (never one currency turned into another), exact in 128 bits.
public struct ExportTotals: Sendable, Equatable {
    public private(set) var rows = 0
    /// Per money column (by index), the sums by currency code, in the order first seen.
    public private(set) var sums: [Int: [MoneySum]] = [:]

    public struct MoneySum: Sendable, Equatable {
        public let currency: Currency
        public var minor: Int128
        /// The sum in major units, with exactly the currency's digits after the point.
        public var decimalText: String { Money.decimalText(minor, exponent: currency.exponent) }
    }

    public init() {}

    public mutating func add(_ page: [[ExportCell]]) {
        rows += page.count
        for row in page {
            for (i, cell) in row.enumerated() {
                guard case .money(let m) = cell else { continue }
                if let k = sums[i]?.firstIndex(where: { $0.currency == m.currency }) {
                    sums[i]![k].minor += Int128(m.amount)
                } else {
                    sums[i, default: []].append(MoneySum(currency: m.currency, minor: Int128(m.amount)))
                }
            }
        }
    }

    /// The figures a summary shows: the rows, then each money column's total per currency
    /// (`amount EUR`), in column order.
    public func figures(_ columns: [ExportColumn]) -> [(label: String, value: ExportTotalValue)] {
        var out: [(String, ExportTotalValue)] = [("rows", .count(rows))]
        for (i, column) in columns.enumerated() where column.kind == .money {
            for sum in sums[i] ?? [] { out.append(("\(column.name) \(sum.currency.code)", .money(sum))) }
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

/// Where a report's rows go: a format's writer over a file the host opened. `begin` once,
/// then the rows in order, a page at a time, then `finish` with the totals of what was
/// written. A format that shows the totals before the rows (the PDF's figures on its first
/// page) asks for them first: they are added up in a pass of their own, and the rows
/// written must add up to them.
public protocol ExportSink: AnyObject {
    var needsTotalsFirst: Bool { get }
    func begin(_ header: ExportHeader, totals: ExportTotals?) throws
    func write(_ rows: [[ExportCell]]) throws
    func finish(_ totals: ExportTotals) throws
}

extension ExportSink {
    public var needsTotalsFirst: Bool { false }
    public func finish(_ totals: ExportTotals) throws {}
}

/// A report `analytics.export` writes, with its own params (as its list method takes them).
public enum ExportQuery: Sendable {
    case sales(partnerId: String, customerId: String?, kind: String?, range: TimeRange)
    case commissions(partnerId: String, status: String?, range: TimeRange)
    case audit(AuditFilter)

    /// The `report` names, in the order the method's schema lists them.
    public static let reports = ["sales", "commissions", "audit"]

    public var report: String {
        switch self {
        case .sales: "sales"
        case .commissions: "commissions"
        case .audit: "audit"
        }
    }

    /// The list method whose permission the export needs as well as `analytics.export`'s:
    /// exporting a report never shows more than listing it would.
    var listAction: String {
        switch self {
        case .sales: "sale.list"
        case .commissions: "commission.list"
        case .audit: "audit.list"
        }
    }

    /// The range of time the report covers, as asked.
    public var range: TimeRange {
        switch self {
        case .sales(_, _, _, let range), .commissions(_, _, let range): range
        case .audit(let f): f.range
        }
    }

    var title: String {
        switch self {
        case .sales(let partnerId, _, _, _): "Sales of \(partnerId)"
        case .commissions(let partnerId, _, _): "Commissions of \(partnerId)"
        case .audit(let f): f.partnerId.map { "Audit trail of \($0)" } ?? "Audit trail"
        }
    }

    /// The partner the report is of, as asked (nil: the audit trail of every partner).
    public var partnerId: String? {
        switch self {
        case .sales(let partnerId, _, _, _), .commissions(let partnerId, _, _): partnerId
        case .audit(let f): f.partnerId
        }
    }

    /// Checks the caller may list what the report shows, on the partner the list would
    /// show (a member's audit trail is its own partner's). The list's own service checks
    /// `analytics.export` on the same partner as it reads.
    func authorizeList(_ ctx: RequestContext) throws {
        let partnerId: String? = switch self {
        case .sales(let partnerId, _, _, _), .commissions(let partnerId, _, _): partnerId
        case .audit(let f): try AuditService.scoped(ctx, f).partnerId
        }
        try ctx.authorize(listAction, partner: try partnerId.map { try PartnerService.load($0, ctx.store) })
    }

    /// How many rows the report has.
    func count(_ ctx: RequestContext) throws -> Int {
        switch self {
        case .sales(let partnerId, let customerId, let kind, let range):
            try SaleService.count(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range)
        case .commissions(let partnerId, let status, let range):
            try CommissionLedger.count(ctx, partnerId: partnerId, status: status, range: range)
        case .audit(let f):
            try AuditService.count(ctx, f)
        }
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
        }
    }

    /// One page of the report's rows after `afterSeq`, through the list method's own service
    /// (its filters, checks and tenant rules), and the seq to go on after (nil at the end).
    func page(_ ctx: RequestContext, afterSeq: Int64, limit: Int) throws -> (rows: [[ExportCell]], next: Int64?) {
        let request = PageRequest(afterSeq: afterSeq, limit: limit)
        func text(_ s: String?) -> ExportCell { s.map { .text($0) } ?? .empty }
        /// The page's rows, and the seq of its last item when another page follows.
        func rows<T>(_ page: Page<T>, _ seq: (T) -> Int64, _ cells: (T) -> [ExportCell]) -> ([[ExportCell]], Int64?) {
            (page.items.map(cells), page.nextCursor == nil ? nil : page.items.last.map(seq))
        }
        switch self {
        case .sales(let partnerId, let customerId, let kind, let range):
            let page = try SaleService.records(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range, page: request)
            return rows(page, \.seq) { s in
                [.text(s.id), .time(s.occurredAt), .text(s.customerId), text(s.resellerId), .text(s.externalId), .text(s.plan),
                 .text(s.kind.rawValue), .money(s.amount), .money(s.refunded), .text(s.currency), .time(s.createdAt)]
            }
        case .commissions(let partnerId, let status, let range):
            let page = try CommissionLedger.list(ctx, partnerId: partnerId, status: status, range: range, page: request)
            return rows(page, \.seq) { c in
                [.text(c.id), .time(c.occurredAt), .text(c.beneficiary.rawValue), text(c.resellerId), text(c.saleId),
                 .text(c.kind.rawValue), .text(c.effectiveStatus(now: ctx.now).rawValue), .money(c.amount), .money(c.originalAmount),
                 .text(c.currency), .time(c.payableAt), text(c.ruleId), text(c.basis), text(c.payoutId)]
            }
        case .audit(let filter):
            let page = try AuditService.list(ctx, filter, page: request)
            return rows(page, \.seq) { a in
                [.integer(a.seq), .text(a.id), .text(a.at), .text(a.actor), .text(a.action), .text(a.targetType), .text(a.targetId),
                 text(a.partnerId), text(a.reason), text(a.before), text(a.after), .text(a.hash)]
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

/// `analytics.export`: a report's rows read a page at a time, each page in a read step of
/// its own with the caller and its permissions checked again, written to `sink` between
/// steps (never the whole report in memory); progress at most every 100 ms, and a cancel
/// seen between pages.
public enum ExportService {
    /// Rows a step reads.
    public static let pageSize = 2_000

    /// Checks the caller may export `query` and counts its rows, before a file is opened.
    public static func prepare(_ ctx: RequestContext, _ query: ExportQuery) throws -> Int {
        try query.authorizeList(ctx)
        return try query.count(ctx)
    }

    /// Writes every row of `query` to `sink` (`total` the rows `prepare` counted, for
    /// progress; `generatedAt` the instant the file says it was made); answers how many
    /// were written. A sink that needs the totals first gets them from a pass of their own,
    /// and the rows it is then given must add up to them: a report whose rows changed in
    /// between (a refund, say) is -32009, never a file whose figures disagree.
    public static func write(_ job: any JobSteps, _ query: ExportQuery, total: Int, generatedAt: Timestamp, to sink: any ExportSink,
                             pageSize: Int = pageSize, clock: @escaping () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) throws -> Int
    {
        let header = ExportHeader(report: query.report, title: query.title, range: query.range, generatedAt: generatedAt, columns: query.columns)
        let passes = sink.needsTotalsFirst ? 2 : 1
        var progress = Progress(job: job, total: total * passes, clock: clock)
        var first: ExportTotals?
        if passes == 2 {
            var totals = ExportTotals()
            try each(job, query, pageSize: pageSize, progress: &progress) { totals.add($0) }
            first = totals
        }
        try sink.begin(header, totals: first)
        var totals = ExportTotals()
        try each(job, query, pageSize: pageSize, progress: &progress) { page in
            totals.add(page)
            try sink.write(page)
        }
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

    /// Every page of the report in order, each read in a step of its own; a cancel is seen
    /// between pages.
    static func each(_ job: any JobSteps, _ query: ExportQuery, pageSize: Int, progress: inout Progress,
                     _ body: ([[ExportCell]]) throws -> Void) throws
    {
        var after: Int64 = 0
        while true {
            if job.isCancelled {
                throw PorticoError.cancelled(["done": .integer(Int64(progress.done)), "total": .integer(Int64(max(progress.total, progress.done)))])
            }
            let (page, next) = try job.read { ctx in
                try query.authorizeList(ctx)
                return try query.page(ctx, afterSeq: after, limit: pageSize)
            }
            try body(page)
            progress.add(page.count)
            guard let next else { return }
            after = next
        }
    }
}
