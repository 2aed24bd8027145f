import JSONRPC
import PorticoCore

/// `audit.list` and `audit.verify`: see AuditService.
enum AuditMethods {
    static let all: [Method] = [
        Method("audit.list", access: .read) { p, ctx in
            let partnerId = try p.optionalString("partnerId"), actor = try p.optionalString("actorId")
            let action = try p.optionalString("action")
            let range = try p.range()
            let page = try p.page()
            try p.finish()
            return try AuditService.list(ctx, AuditFilter(partnerId: partnerId, actor: actor, action: action, range: range), page: page)
                .json(\.json)
        },
        Method("audit.verify", access: .read) { p, ctx -> JSONValue in
            try p.finish()
            let v = try AuditService.verify(ctx)
            var o: JSONObject = ["ok": .bool(v.ok), "checked": .integer(Int64(v.checked))]
            if let bad = v.firstBadSeq { o["firstBadSeq"] = .integer(bad) }
            if let problem = v.problem { o["problem"] = .string(problem) }
            return .object(o)
        },
    ]
}
