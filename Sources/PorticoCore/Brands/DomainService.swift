import JSONRPC

/// `brand.domain.*`: a partner's custom domains from the DNS challenge to a certificate
/// in force (see `DomainRecord` for the states). The host does what needs the network —
/// the DNS look-up, the certificate's issuance — and reports it; the engine keeps the
/// state, refuses what the state machine does not allow, and audits every transition.
public enum DomainService {
    /// A claim `brand.domain.due` made and nobody answered for this long is made again.
    public static let claimLapseMs: Int64 = 3_600_000

    static func owned(_ ctx: RequestContext, partnerId: String, hostname raw: String) throws -> (PartnerRecord, DomainRecord) {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let hostname = try Hostname.normalize(raw)
        // Another partner's domain is not found either: its name says nothing more.
        guard let d = try ctx.store.domain(hostname: hostname), d.partnerId == partner.id else {
            throw PorticoError.notFound("domain", hostname)
        }
        return (partner, d)
    }

    static func cname(_ partner: PartnerRecord, _ ctx: RequestContext) -> String { partner.subdomain + "." + ctx.baseDomain }

    public static func add(_ ctx: RequestContext, partnerId: String, hostname raw: String) throws -> JSONValue {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let hostname = try Hostname.normalize(raw)
        guard !Hostname.isWithin(hostname, ctx.baseDomain) else {
            throw PorticoError.invalid("hostname", "\(hostname) is the platform's own domain: the storefront is already at \(cname(partner, ctx))")
        }
        var d = DomainRecord(hostname: hostname, partnerId: partner.id, status: .pendingDNS,
                             challenge: "portico-domain-verification=" + lowercaseHex(ctx.ids.bytes(16)), createdAt: ctx.now, updatedAt: ctx.now)
        try ctx.store.insert(&d)
        let answer = d.json(now: ctx.now, cnameTarget: cname(partner, ctx))
        try ctx.audit(targetType: "domain", targetId: hostname, partnerId: partner.id, before: nil, after: answer)
        return answer
    }

    /// `brand.domain.verify`: `verified` once one of the TXT records the host found at
    /// `_portico-challenge.<hostname>` is the challenge; until then the domain stays as it
    /// is and the answer says so (DNS takes its time).
    public static func verify(_ ctx: RequestContext, partnerId: String, hostname: String, txtRecords: [String]) throws -> JSONValue {
        let (partner, owned) = try owned(ctx, partnerId: partnerId, hostname: hostname)
        var d = owned
        // A TXT record may come as its presentation form, in quotes.
        let found = txtRecords.contains { record in
            var r = Substring(record)
            if r.count >= 2, r.first == "\"", r.last == "\"" { r = r.dropFirst().dropLast() }
            return r == d.challenge
        }
        guard d.status == .pendingDNS else {
            return ["domain": d.json(now: ctx.now, cnameTarget: cname(partner, ctx)), "verified": true]
        }
        guard found else {
            return ["domain": d.json(now: ctx.now, cnameTarget: cname(partner, ctx)), "verified": false,
                    "reason": .string("no TXT record at \(DomainRecord.challengePrefix)\(d.hostname) holds the challenge")]
        }
        let before = d.json(now: ctx.now, cnameTarget: cname(partner, ctx))
        d.status = .verified
        d.updatedAt = ctx.now
        try move(ctx, d, from: .pendingDNS)
        let after = d.json(now: ctx.now, cnameTarget: cname(partner, ctx))
        try ctx.audit(targetType: "domain", targetId: d.hostname, partnerId: partner.id, reason: "DNS challenge found", before: before, after: after)
        return ["domain": after, "verified": true]
    }

    /// Writes `d` if it is still `from`; a concurrent change is an invalid state.
    static func move(_ ctx: RequestContext, _ d: DomainRecord, from: DomainRecord.Status) throws {
        guard try ctx.store.update(d, expected: from) else {
            throw PorticoError.invalidState("changed", allowed: [from.rawValue], "domain \(d.hostname) changed meanwhile")
        }
    }

    /// `brand.domain.certificate`: the host reports issuance — `issued` with the
    /// certificate's `notAfter` makes a claimed domain `active`; `failed` makes it `failed`
    /// (claimed again by the next `due`; a renewal that failed keeps serving while the
    /// certificate in force lasts).
    public static func certificate(_ ctx: RequestContext, hostname raw: String, status: String, notAfter: Timestamp?, error: String?) throws
        -> JSONValue
    {
        try ctx.authorize(partner: nil)
        let hostname = try Hostname.normalize(raw)
        guard var d = try ctx.store.domain(hostname: hostname) else { throw PorticoError.notFound("domain", hostname) }
        let partner = try PartnerService.load(d.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        guard d.status == .certificatePending else {
            throw PorticoError.invalidState(d.state(at: ctx.now), allowed: [DomainRecord.Status.certificatePending.rawValue],
                                            "a certificate is reported for a domain claimed by brand.domain.due")
        }
        let before = d.json(now: ctx.now, cnameTarget: cname(partner, ctx))
        switch status {
        case "issued":
            guard let notAfter else { throw PorticoError.invalid("notAfter", "is required when the certificate was issued") }
            guard notAfter > ctx.now else { throw PorticoError.invalid("notAfter", "is not in the future: the certificate is already expired") }
            guard error == nil else { throw PorticoError.invalid("error", "is for a failed issuance") }
            d.status = .active
            d.notAfter = notAfter
            d.error = nil
        case "failed":
            guard notAfter == nil else { throw PorticoError.invalid("notAfter", "is for an issued certificate") }
            d.status = .failed
            d.error = try error.map { try Validate.reason($0, field: "error") } ?? "issuance failed"
        default:
            throw PorticoError.invalid("status", "must be issued or failed")
        }
        d.claimedAt = nil
        d.updatedAt = ctx.now
        try move(ctx, d, from: .certificatePending)
        let after = d.json(now: ctx.now, cnameTarget: cname(partner, ctx))
        try ctx.audit(targetType: "domain", targetId: d.hostname, partnerId: partner.id, reason: "certificate \(status)", before: before, after: after)
        return after
    }

    /// `brand.domain.due`: claims every domain that needs a certificate at `asOf` —
    /// verified ones and failed ones (`issue`), active ones within 30 days of their
    /// certificate's end or past it (`renew`), and claims nobody answered for an hour — as
    /// `certificate_pending`, and lists them for the host to request.
    public static func due(_ ctx: RequestContext, asOf: Timestamp?, limit: Int) throws -> JSONValue {
        try ctx.authorize(partner: nil)
        let at = asOf ?? ctx.now
        var items: [JSONValue] = []
        var partners: [String: PartnerRecord] = [:]
        for var d in try ctx.store.domainsDue(renewBefore: at.adding(milliseconds: DomainRecord.renewalMs),
                                              staleBefore: at.adding(milliseconds: -claimLapseMs), limit: limit)
        {
            let partner = try partners[d.partnerId] ?? PartnerService.load(d.partnerId, ctx.store)
            partners[d.partnerId] = partner
            // A suspended partner's domains wait: its storefront is closed.
            guard partner.status != .suspended else { continue }
            let reason = d.notAfter == nil ? "issue" : "renew"
            let before = d.json(now: at, cnameTarget: cname(partner, ctx))
            let from = d.status
            d.status = .certificatePending
            d.claimedAt = at
            d.updatedAt = ctx.now
            try move(ctx, d, from: from)
            let after = d.json(now: at, cnameTarget: cname(partner, ctx))
            try ctx.audit(targetType: "domain", targetId: d.hostname, partnerId: partner.id, reason: "claimed to \(reason) its certificate",
                          before: before, after: after)
            items.append(["hostname": .string(d.hostname), "partnerId": .string(d.partnerId), "reason": .string(reason),
                          "notAfter": .string(d.notAfter?.rfc3339)])
        }
        return ["asOf": .string(at.rfc3339), "items": .array(items)]
    }

    public static func list(_ ctx: RequestContext, partnerId: String, page: PageRequest) throws -> JSONValue {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let rows = try ctx.store.domains(partnerId: partner.id, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq).json { $0.json(now: ctx.now, cnameTarget: cname(partner, ctx)) }
    }

    public static func remove(_ ctx: RequestContext, partnerId: String, hostname: String) throws -> JSONValue {
        let (partner, d) = try owned(ctx, partnerId: partnerId, hostname: hostname)
        try ctx.store.deleteDomain(hostname: d.hostname)
        try ctx.audit(targetType: "domain", targetId: d.hostname, partnerId: partner.id, before: d.json(now: ctx.now, cnameTarget: cname(partner, ctx)),
                      after: nil)
        return ["hostname": .string(d.hostname), "removed": true]
    }
}
