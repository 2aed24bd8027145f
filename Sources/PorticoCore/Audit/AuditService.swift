import JSONRPC

/// Reading and checking the audit trail.
public enum AuditService {
    /// The platform reads everything; a member reads its own partner's records only.
    public static func list(_ ctx: RequestContext, _ filter: AuditFilter, page: PageRequest) throws -> Page<AuditEntry> {
        var f = filter
        if case .member(_, let own) = try ctx.requireActor() {
            let target = try f.partnerId.map { try PartnerService.load($0, ctx.store) } ?? own
            try ctx.authorize(partner: target)
            f.partnerId = target.id
        } else {
            try ctx.authorize(partner: nil)
        }
        let rows = try ctx.store.auditEntries(f, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// Walks the whole hash chain; platform only.
    public static func verify(_ ctx: RequestContext) throws -> AuditVerification {
        try ctx.authorize(partner: nil)
        return try AuditVerification.verify(ctx.store)
    }
}
