import JSONRPC
import PorticoCore
import PorticoStore

/// `audit.list` and `audit.verify`: see AuditService.
enum AuditMethods {
    static let all: [Method] = [
        Method("audit.list", access: .read) { p, ctx in
            let filter = AuditFilter(partnerId: try p.optionalString("partnerId"), actor: try p.optionalString("actorId"),
                                     action: try p.optionalString("action"), from: try p.optionalTimestamp("from"),
                                     to: try p.optionalTimestamp("to"))
            let page = try p.page()
            try p.finish()
            return try AuditService.list(ctx, filter, page: page)
        },
        Method("audit.verify", access: .read) { p, ctx in
            try p.finish()
            let v = try AuditService.verify(ctx)
            var o: JSONObject = ["ok": .bool(v.ok), "checked": .integer(Int64(v.checked))]
            if let bad = v.firstBadSeq { o["firstBadSeq"] = .integer(bad) }
            if let problem = v.problem { o["problem"] = .string(problem) }
            return .object(o)
        },
    ]
}
