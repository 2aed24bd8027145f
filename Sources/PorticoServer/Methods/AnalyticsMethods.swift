import JSONRPC
import PorticoCore
import PorticoExport

/// `analytics.export`: see ExportService (the rows) and PorticoExport (the file).
enum AnalyticsMethods {
    static let all: [Method] = [
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
        let (counted, root, now) = try job.read { ctx in (try ExportService.prepare(ctx, query), ctx.exportDirectory, ctx.now) }
        guard let root else {
            throw PorticoError(.invalidState, "exports are off: the engine was started without --export-dir",
                               data: ["state": "no_export_directory", "allowed": []])
        }
        let name = path ?? "\(query.report)-\(Self.compact(now)).\(format.rawValue)"
        let file = try ExportFile(try ExportDirectory(root), path: name, overwrite: overwrite)
        let sink = format.sink(file)
        do {
            let rows = try ExportService.write(job, query, total: counted.total, through: counted.through, generatedAt: now, to: sink,
                                               pageSize: pageSize)
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
