import Foundation
import JSONRPC
import PorticoRules

/// The file formats `analytics.export` writes (XLSX and PDF are to come: see the
/// analytics issue's notes).
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv
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

/// Where a report's rows go: a format's writer over a file the host opened. `begin` once,
/// then the rows in order, a page at a time.
public protocol ExportSink: AnyObject {
    func begin(title: String, columns: [ExportColumn]) throws
    func write(_ rows: [[ExportCell]]) throws
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
    /// progress); answers how many were written.
    public static func write(_ job: any JobSteps, _ query: ExportQuery, total: Int, to sink: any ExportSink, pageSize: Int = pageSize,
                             clock: () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) throws -> Int
    {
        try sink.begin(title: query.title, columns: query.columns)
        var after: Int64 = 0
        var rows = 0
        var lastProgress = clock()
        while true {
            if job.isCancelled {
                throw PorticoError.cancelled(["done": .integer(Int64(rows)), "total": .integer(Int64(max(total, rows)))])
            }
            let (page, next) = try job.read { ctx in
                try query.authorizeList(ctx)
                return try query.page(ctx, afterSeq: after, limit: pageSize)
            }
            try sink.write(page)
            rows += page.count
            guard let next else { return rows }
            after = next
            let now = clock()
            if now - lastProgress >= 100_000_000 {
                job.progress(done: rows, total: max(total, rows), message: "\(rows) of \(max(total, rows)) rows written")
                lastProgress = now
            }
        }
    }
}
