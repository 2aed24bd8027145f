import JSONRPC

/// Reading and checking the audit trail.
public enum AuditService {
    /// The platform reads everything; a member reads its own partner's records only.
    public static func list(_ ctx: RequestContext, _ filter: AuditFilter, page: PageRequest) throws -> Page<AuditEntry> {
        let rows = try ctx.store.auditEntries(try scoped(ctx, filter), afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// How many records every page of `list` shows together.
    public static func count(_ ctx: RequestContext, _ filter: AuditFilter) throws -> Int {
        try ctx.store.auditCount(try scoped(ctx, filter))
    }

    /// The filter as the caller may use it, authorized: a member's is held to its partner.
    static func scoped(_ ctx: RequestContext, _ filter: AuditFilter) throws -> AuditFilter {
        var f = filter
        if case .member(_, let own) = try ctx.requireActor() {
            let target = try f.partnerId.map { try PartnerService.load($0, ctx.store) } ?? own
            try ctx.authorize(partner: target)
            f.partnerId = target.id
        } else {
            try ctx.authorize(partner: nil)
        }
        return f
    }

    /// Walks the whole hash chain; platform only.
    public static func verify(_ ctx: RequestContext) throws -> AuditVerification {
        try ctx.authorize(partner: nil)
        return try AuditVerification.verify(ctx.store)
    }
}
