import JSONRPC
import PorticoCore
import PorticoExport

/// `analytics.partner`, `analytics.topPartners`, `analytics.resellers`,
/// `analytics.regions`, `analytics.overview`: see AnalyticsService. `analytics.export`: see
/// ExportService (the rows) and PorticoExport (the file).
enum AnalyticsMethods {
    static let all: [Method] = [
        Method("analytics.partner", access: .read) { p, ctx in
            let (partnerId, range, granularity, currency) = try partner(&p)
            try p.finish()
            return try AnalyticsService.partner(ctx, partnerId: partnerId, range: range, granularity: granularity, currency: currency).json()
        },
        Method("analytics.topPartners", access: .read) { p, ctx in
            let (range, by, currency, region, tier, limit) = try topPartners(&p)
            try p.finish()
            return try AnalyticsService.topPartners(ctx, range: range, by: by, currency: currency, region: region, tier: tier,
                                                    limit: limit).json()
        },
        Method("analytics.resellers", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let range = try p.range(required: true)
            let (by, currency, limit) = try ranking(&p)
            try p.finish()
            return try AnalyticsService.resellers(ctx, partnerId: partnerId, range: range, by: by, currency: currency, limit: limit).json()
        },
        Method("analytics.regions", access: .read) { p, ctx in
            let (partnerId, range, currency) = try regions(&p)
            try p.finish()
            return try AnalyticsService.regions(ctx, partnerId: partnerId, range: range, currency: currency).json()
        },
        Method("analytics.overview", access: .read) { p, ctx in
            try p.finish()
            return try AnalyticsService.overview(ctx).json()
        },
        Method(job: "analytics.export", access: .read) { p, job in
            let report = try p.string("report")
            var q = try p.object("params")
            let query = try Self.query(report, &q)
            try q.finish()
            let format: ExportFormat = try Validate.oneOf(try p.string("format"), field: "format")
            let path = try p.optionalString("path")
            let overwrite = try p.optionalBool("overwrite") ?? false
            try p.finish()
            return try Self.export(job, query, format: format, path: path, overwrite: overwrite).json
        },
    ]

    /// `analytics.partner`'s params (and its export's).
    static func partner(_ p: inout Params) throws(PorticoError) -> (String, TimeRange, Granularity, String?) {
        let partnerId = try p.string("partnerId")
        let range = try p.range(required: true)
        let granularity: Granularity = try Validate.oneOf(try p.string("granularity"), field: p.field("granularity"))
        return (partnerId, range, granularity, try currency(&p))
    }

    /// `analytics.topPartners`'s params (and its export's); the region and tier are checked
    /// against the pricing rules by the service.
    static func topPartners(_ p: inout Params) throws(PorticoError) -> (TimeRange, RankBy, String, String?, String?, Int) {
        let range = try p.range(required: true)
        let (by, currency, limit) = try ranking(&p)
        return (range, by, currency, try p.optionalString("region"), try p.optionalString("tier"), limit)
    }

    /// `analytics.regions`'s params (and its export's).
    static func regions(_ p: inout Params) throws(PorticoError) -> (String?, TimeRange, String?) {
        let partnerId = try p.optionalString("partnerId")
        return (partnerId, try p.range(required: true), try currency(&p))
    }

    /// An optional currency, canonical.
    static func currency(_ p: inout Params) throws(PorticoError) -> String? {
        try p.optionalString("currency").map { s throws(PorticoError) in try Validate.currency(s, field: p.field("currency")).code }
    }

    /// A ranking's order, currency (required: rankings never add currencies up) and length
    /// (1 to 100, 10 unless given).
    static func ranking(_ p: inout Params) throws(PorticoError) -> (RankBy, String, Int) {
        let by: RankBy = try Validate.oneOf(try p.string("by"), field: p.field("by"))
        let currency = try Validate.currency(try p.string("currency"), field: p.field("currency")).code
        let limit = try p.optionalInteger("limit") ?? 10
        guard (1...Int64(AnalyticsService.rankingLimit)).contains(limit) else {
            throw .invalid(p.field("limit"), "must be from 1 to \(AnalyticsService.rankingLimit)")
        }
        return (by, currency, Int(limit))
    }

    /// A report's params, as its list method takes them.
    static func query(_ report: String, _ p: inout Params) throws -> ExportQuery {
        switch report {
        case "sales":
            let partnerId = try p.string("partnerId"), customerId = try p.optionalString("customerId")
            return .sales(partnerId: partnerId, customerId: customerId, kind: try p.optionalString("kind"), range: try p.range())
        case "commissions":
            let partnerId = try p.string("partnerId"), status = try p.optionalString("status")
            return .commissions(partnerId: partnerId, status: status, range: try p.range())
        case "audit":
            let partnerId = try p.optionalString("partnerId"), actor = try p.optionalString("actorId")
            let action = try p.optionalString("action")
            return .audit(AuditFilter(partnerId: partnerId, actor: actor, action: action, range: try p.range()))
        case "partnerAnalytics":
            let (partnerId, range, granularity, currency) = try partner(&p)
            return .partnerAnalytics(partnerId: partnerId, range: range, granularity: granularity, currency: currency)
        case "topPartners":
            let (range, by, currency, region, tier, limit) = try topPartners(&p)
            return .topPartners(range: range, by: by, currency: currency, region: region, tier: tier, limit: limit)
        case "regions":
            let (partnerId, range, currency) = try regions(&p)
            return .regions(partnerId: partnerId, range: range, currency: currency)
        case "payouts":
            let partnerId = try p.optionalString("partnerId"), status = try p.optionalString("status")
            return .payouts(partnerId: partnerId, status: status, range: try p.range())
        case "payoutStatement":
            return .payoutStatement(payoutId: try p.string("payoutId"))
        default:
            throw PorticoError.invalid("report", "must be one of \(ExportQuery.reports.joined(separator: ", "))")
        }
    }

    /// Checks the caller and counts the rows, opens the file (its path checked against the
    /// export directory), writes it a page at a time, and moves it to its name; a failure or
    /// a cancel removes it. Audited once written: who exported what, where, and its hash.
    static func export(_ job: any JobSteps, _ query: ExportQuery, format: ExportFormat, path: String?, overwrite: Bool,
                       pageSize: Int = ExportService.pageSize) throws -> ExportResult
    {
        let (plan, root, now) = try job.read { ctx in (try ExportService.prepare(ctx, query), ctx.exportDirectory, ctx.now) }
        guard let root else {
            throw PorticoError(.invalidState, "exports are off: the engine was started without --export-dir",
                               data: ["state": "no_export_directory", "allowed": []])
        }
        let name = path ?? "\(query.report)-\(Self.compact(now)).\(format.rawValue)"
        let file = try ExportFile(try ExportDirectory(root), path: name, overwrite: overwrite)
        let sink = format.sink(file)
        do {
            let rows = try ExportService.write(job, query, plan, generatedAt: now, to: sink, pageSize: pageSize)
            let (bytes, sha256) = try sink.commit()
            let result = ExportResult(path: name, bytes: bytes, sha256: sha256, rows: rows)
            var recorded = result.json.objectValue!
            recorded["report"] = .string(query.report)
            recorded["format"] = .string(format.rawValue)
            try job.step { ctx in
                try ctx.audit(targetType: "export", targetId: name, partnerId: query.partnerId, before: nil, after: .object(recorded))
            }
            return result
        } catch {
            file.abandon()
            throw error
        }
    }

    /// `20261202T091500Z`: an instant as a file name may hold it.
    static func compact(_ t: Timestamp) -> String {
        String(t.rfc3339.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }
}
