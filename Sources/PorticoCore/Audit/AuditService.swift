import GRDB
import JSONRPC
import PorticoStore

extension AuditEntry {
    public var json: JSONValue {
        func parsed(_ text: String?) -> JSONValue {
            guard let text, let v = try? JSONReader.parse(text) else { return .null }
            return v
        }
        return [
            "seq": .integer(seq), "id": .string(id), "at": .string(at), "requestId": .string(requestId),
            "actor": .string(actor), "action": .string(action),
            "target": ["type": .string(targetType), "id": .string(targetId)],
            "partnerId": .string(partnerId), "reason": .string(reason),
            "before": parsed(before), "after": parsed(after), "prevHash": .string(prevHash), "hash": .string(hash),
        ]
    }
}

/// Reading and checking the audit trail.
public enum AuditService {
    /// The platform reads everything; a member reads its own partner's records only.
    public static func list(_ ctx: RequestContext, _ filter: AuditFilter, page: PageRequest) throws -> JSONValue {
        var f = filter
        if case .member(_, let own) = try ctx.requireActor() {
            let target = try f.partnerId.map { try PartnerService.load($0, ctx.db) } ?? own
            try ctx.authorize(partner: target)
            f.partnerId = target.id
        } else {
            try ctx.authorize(partner: nil)
        }
        let rows = try AuditLog.page(f, afterSeq: page.afterSeq, limit: page.limit + 1, ctx.db)
        return page.answer(rows, seq: \.seq, json: \.json)
    }

    /// Walks the whole hash chain; platform only.
    public static func verify(_ ctx: RequestContext) throws -> AuditVerification {
        try ctx.authorize(partner: nil)
        return try AuditLog.verify(ctx.db)
    }
}
