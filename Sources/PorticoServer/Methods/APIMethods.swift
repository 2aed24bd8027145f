import JSONRPC
import PorticoCore

/// `api.*`: the partner API, called with an `accessToken` (the partner is the token's;
/// the token's scopes and the permission rules decide). Each reuses the service the
/// portal's method calls, on the caller's own partner.
enum APIMethods {
    /// The partner of the calling client.
    static func partner(_ ctx: RequestContext) throws -> String {
        guard case .client(let grant)? = ctx.actor else { throw PorticoError.unauthenticated("an access token is required") }
        return grant.partner.id
    }

    static let all: [Method] = [
        Method(api: "api.customer.register", access: .write) { p, ctx in
            let resellerId = try p.optionalString("resellerId")
            let name = try p.string("name")
            let email = try p.string("email")
            let country = try p.string("country")
            try p.finish()
            return try CustomerService.create(ctx, partnerId: try partner(ctx), resellerId: resellerId, name: name, email: email,
                                              country: country).json
        },
        Method(api: "api.customer.get", access: .read) { p, ctx in
            let id = try p.string("customerId")
            try p.finish()
            return try CustomerService.get(ctx, id: id).json
        },
        Method(api: "api.customer.list", access: .read) { p, ctx in
            let resellerId = try p.optionalString("resellerId")
            let page = try p.page()
            try p.finish()
            return try CustomerService.list(ctx, partnerId: try partner(ctx), resellerId: resellerId, page: page)
        },
        Method(api: "api.commissions.list", access: .read) { p, ctx in
            let status = try p.optionalString("status")
            let range = try p.range()
            let page = try p.page()
            try p.finish()
            return try CommissionLedger.list(ctx, partnerId: try partner(ctx), status: status, range: range, page: page)
                .map { $0.asOf(ctx.now) }
        },
        Method(api: "api.sales.list", access: .read) { p, ctx in try SaleMethods.list(&p, ctx, partnerId: try partner(ctx)) },
        Method(api: "api.subscription.create", access: .write) { p, ctx in try SubscriptionMethods.create(&p, ctx) },
        Method(api: "api.subscription.get", access: .read) { p, ctx in try SubscriptionMethods.get(&p, ctx) },
        Method(api: "api.subscription.list", access: .read) { p, ctx in try SubscriptionMethods.list(&p, ctx, partnerId: try partner(ctx)) },
        Method(api: "api.subscription.cancel", access: .write) { p, ctx in try SubscriptionMethods.cancel(&p, ctx) },
        Method(api: "api.usage.record", access: .write) { p, ctx in
            let events = try p.prepared(UsageMethods.events)
            try p.finish()
            return try UsageService.record(ctx, partnerId: try partner(ctx), events).json
        }.preparing(UsageMethods.events),
        Method(api: "api.usage.get", access: .read) { p, ctx in
            try UsageMethods.get(&p, ctx, partnerId: try partner(ctx))
        },
    ]
}
