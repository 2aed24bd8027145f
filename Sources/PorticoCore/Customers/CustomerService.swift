import JSONRPC

/// Customers of a partner, optionally brought by one of its resellers.
public enum CustomerService {
    public static func load(_ id: String, _ store: any StoreTransaction) throws -> CustomerRecord {
        guard let c = try store.customer(id: id) else { throw PorticoError.notFound("customer", id) }
        return c
    }

    public static func create(_ ctx: RequestContext, partnerId: String, resellerId: String?, name: String, email: String,
                              country: String) throws -> CustomerRecord
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        if let resellerId { _ = try ResellerService.of(partner, id: resellerId, ctx.store) }
        let name = try Validate.name(name, field: "name")
        let email = try Validate.email(email)
        let country = try Validate.country(country)
        if try ctx.store.customerEmailTaken(partnerId: partner.id, email: email) {
            throw PorticoError.conflict("email", "\(email) is already a customer of this partner")
        }
        var c = CustomerRecord(id: ctx.newID("cus"), partnerId: partner.id, resellerId: resellerId, name: name, email: email,
                               country: country, createdAt: ctx.now, updatedAt: ctx.now)
        try ctx.store.insert(&c)
        try ctx.audit(targetType: "customer", targetId: c.id, partnerId: partner.id, before: nil, after: c.json)
        return c
    }

    public static func get(_ ctx: RequestContext, id: String) throws -> CustomerRecord {
        let c = try load(id, ctx.store)
        try ctx.authorize(partner: try PartnerService.load(c.partnerId, ctx.store))
        return c
    }

    /// A member lists its own partner's customers when it names no partner.
    public static func list(_ ctx: RequestContext, partnerId: String?, resellerId: String?, page: PageRequest) throws -> Page<CustomerRecord> {
        var partner: PartnerRecord
        if let partnerId {
            partner = try PartnerService.load(partnerId, ctx.store)
        } else if let resellerId {
            partner = try PartnerService.load(try ResellerService.load(resellerId, ctx.store).partnerId, ctx.store)
        } else if case .member(_, let own) = try ctx.requireActor() {
            partner = own
        } else {
            throw PorticoError.invalid("partnerId", "is required (or resellerId)")
        }
        try ctx.authorize(partner: partner)
        if let resellerId { _ = try ResellerService.of(partner, id: resellerId, ctx.store) }
        let rows = try ctx.store.customers(partnerId: partner.id, resellerId: resellerId, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }
}
