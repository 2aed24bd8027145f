import JSONRPC
import PorticoRules

/// Partners: create, read, update, list. Every method runs inside the caller's
/// transaction; a thrown error rolls back everything the request wrote.
public enum PartnerService {
    public struct NewPartner: Sendable {
        public var name: String
        public var subdomain: String
        public var region: String
        public var tier: String?
        public var ownerEmail: String
        public var ownerName: String
        public init(name: String, subdomain: String, region: String, tier: String?, ownerEmail: String, ownerName: String) {
            self.name = name; self.subdomain = subdomain; self.region = region; self.tier = tier
            self.ownerEmail = ownerEmail; self.ownerName = ownerName
        }
    }

    /// Creates the partner and its owner member; platform only.
    public static func create(_ ctx: RequestContext, _ new: NewPartner) throws -> (PartnerRecord, MemberRecord) {
        try ctx.authorize(partner: nil)
        let name = try Validate.name(new.name, field: "name")
        let subdomain = try Validate.subdomain(new.subdomain)
        let region = try Validate.region(new.region, ctx.rules.pricing)
        let tier = try new.tier.map { t throws(PorticoError) in try Validate.tier(t, ctx.rules.pricing) } ?? ctx.rules.pricing.defaultTier
        let ownerEmail = try Validate.email(new.ownerEmail, field: "owner.email")
        let ownerName = try Validate.name(new.ownerName, field: "owner.name")
        if try ctx.store.partner(subdomain: subdomain) != nil {
            throw PorticoError.conflict("subdomain", "'\(subdomain)' is already taken")
        }
        let t = ctx.now
        var partner = PartnerRecord(id: ctx.newID("ptr"), name: name, subdomain: subdomain, region: region, tier: tier,
                                    status: .active, createdAt: t, updatedAt: t)
        try ctx.store.insert(&partner)
        var owner = MemberRecord(id: ctx.newID("mem"), partnerId: partner.id, email: ownerEmail, name: ownerName,
                                 role: .owner, status: .active, createdAt: t, updatedAt: t)
        try ctx.store.insert(&owner)
        try ctx.audit(targetType: "partner", targetId: partner.id, partnerId: partner.id, before: nil,
                      after: ["partner": partner.json, "owner": owner.json])
        return (partner, owner)
    }

    /// Loads a partner; -32004 when there is none.
    public static func load(_ id: String, _ store: any StoreTransaction) throws -> PartnerRecord {
        guard let p = try store.partner(id: id) else { throw PorticoError.notFound("partner", id) }
        return p
    }

    public static func get(_ ctx: RequestContext, id: String) throws -> PartnerRecord {
        let p = try load(id, ctx.store)
        try ctx.authorize(partner: p)
        return p
    }

    public static func get(_ ctx: RequestContext, subdomain raw: String) throws -> PartnerRecord {
        let subdomain = raw.lowercased()
        guard let p = try ctx.store.partner(subdomain: subdomain) else {
            throw PorticoError.notFound("partner", subdomain)
        }
        try ctx.authorize(partner: p)
        return p
    }

    public struct Changes: Sendable {
        public var name: String?
        public var region: String?
        public var tier: String?
        public init(name: String? = nil, region: String? = nil, tier: String? = nil) {
            self.name = name; self.region = region; self.tier = tier
        }
    }

    /// Applies the given changes; a request that changes nothing writes nothing.
    public static func update(_ ctx: RequestContext, id: String, _ changes: Changes) throws -> PartnerRecord {
        let before = try load(id, ctx.store)
        try ctx.authorize(partner: before)
        var p = before
        if let v = changes.name { p.name = try Validate.name(v, field: "name") }
        if let v = changes.region { p.region = try Validate.region(v, ctx.rules.pricing) }
        if let v = changes.tier { p.tier = try Validate.tier(v, ctx.rules.pricing) }
        guard p != before else { return before }
        p.updatedAt = ctx.now
        try ctx.store.update(p)
        try ctx.audit(targetType: "partner", targetId: p.id, partnerId: p.id, before: before.json, after: p.json)
        return p
    }

    /// The platform sees every partner; a member sees only its own.
    public static func list(_ ctx: RequestContext, status: String?, region: String?, page: PageRequest) throws -> Page<PartnerRecord> {
        let actor = try ctx.requireActor()
        var onlyID: String? = nil
        if case .member(_, let own) = actor {
            try ctx.authorize(partner: own)
            onlyID = own.id
        }
        let status = try status.map { s throws(PorticoError) -> PartnerStatus in try Validate.oneOf(s, field: "status") }
        let region = region?.lowercased()
        let rows = try ctx.store.partners(status: status, region: region, onlyID: onlyID, afterSeq: page.afterSeq,
                                              limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }
}
