import JSONRPC
import PorticoRules

/// Resellers: companies that sell a partner's offer under it. A reseller belongs to one
/// partner; its optional `commissionRate` (an exact percentage) is a fact the commission
/// rules can pay by.
public enum ResellerService {
    public static func load(_ id: String, _ store: any StoreTransaction) throws -> ResellerRecord {
        guard let r = try store.reseller(id: id) else { throw PorticoError.notFound("reseller", id) }
        return r
    }

    /// The reseller a request names as one of `partner`'s: -32004 when there is none, or
    /// it is another partner's (which is not told apart, so no partner learns of
    /// another's resellers).
    public static func of(_ partner: PartnerRecord, id: String, _ store: any StoreTransaction) throws -> ResellerRecord {
        guard let r = try store.reseller(id: id), r.partnerId == partner.id else {
            throw PorticoError.notFound("reseller", id)
        }
        return r
    }

    /// Setting or clearing a reseller's own rate is an action of its own, which the
    /// shipped permission rules give owners, managers and the platform (not `sales`).
    public static let setRateAction = "reseller.setCommissionRate"

    /// An exact percentage from 0 to the commission rules' `max_reseller_rate`, kept as its
    /// normalized text.
    public static func rate(_ d: ExactDecimal, max: ExactDecimal, field: String = "commissionRate") throws(PorticoError) -> String {
        guard d >= ExactDecimal(0), d <= max else {
            throw .invalid(field, "must be between 0 and \(max) (max_reseller_rate in commission.yaml)")
        }
        return d.description
    }

    public static func create(_ ctx: RequestContext, partnerId: String, name: String, email: String, region: String,
                              commissionRate: ExactDecimal?) throws -> ResellerRecord
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        if commissionRate != nil { try ctx.authorize(setRateAction, partner: partner) }
        let name = try Validate.name(name, field: "name")
        let email = try Validate.email(email)
        let region = try Validate.region(region, ctx.rules.pricing)
        let maxRate = ctx.rules.commission.maxResellerRate
        let rate = try commissionRate.map { d throws(PorticoError) in try Self.rate(d, max: maxRate) }
        if try ctx.store.resellerEmailTaken(partnerId: partner.id, email: email, except: nil) {
            throw PorticoError.conflict("email", "\(email) is already a reseller of this partner")
        }
        var r = ResellerRecord(id: ctx.newID("rsl"), partnerId: partner.id, name: name, email: email, region: region,
                               commissionRate: rate, createdAt: ctx.now, updatedAt: ctx.now)
        try ctx.store.insert(&r)
        try ctx.audit(targetType: "reseller", targetId: r.id, partnerId: partner.id, before: nil, after: r.json)
        return r
    }

    public static func get(_ ctx: RequestContext, id: String) throws -> ResellerRecord {
        let r = try load(id, ctx.store)
        try ctx.authorize(partner: try PartnerService.load(r.partnerId, ctx.store))
        return r
    }

    public struct Changes: Sendable {
        public var name: String?
        public var email: String?
        public var region: String?
        /// `.some(nil)` clears the rate.
        public var commissionRate: ExactDecimal??
        public init(name: String? = nil, email: String? = nil, region: String? = nil, commissionRate: ExactDecimal?? = nil) {
            self.name = name; self.email = email; self.region = region; self.commissionRate = commissionRate
        }
    }

    public static func update(_ ctx: RequestContext, id: String, _ changes: Changes) throws -> ResellerRecord {
        let before = try load(id, ctx.store)
        let partner = try PartnerService.load(before.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        if changes.commissionRate != nil { try ctx.authorize(setRateAction, partner: partner) }
        var r = before
        if let v = changes.name { r.name = try Validate.name(v, field: "name") }
        if let v = changes.email {
            r.email = try Validate.email(v)
            if try ctx.store.resellerEmailTaken(partnerId: r.partnerId, email: r.email, except: r.id) {
                throw PorticoError.conflict("email", "\(r.email) is already a reseller of this partner")
            }
        }
        if let v = changes.region { r.region = try Validate.region(v, ctx.rules.pricing) }
        let maxRate = ctx.rules.commission.maxResellerRate
        if let v = changes.commissionRate { r.commissionRate = try v.map { d throws(PorticoError) in try Self.rate(d, max: maxRate) } }
        guard r != before else { return before }
        r.updatedAt = ctx.now
        try ctx.store.update(r)
        try ctx.audit(targetType: "reseller", targetId: r.id, partnerId: r.partnerId, before: before.json, after: r.json)
        return r
    }

    public static func list(_ ctx: RequestContext, partnerId: String, page: PageRequest) throws -> Page<ResellerRecord> {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let rows = try ctx.store.resellers(partnerId: partner.id, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }
}
