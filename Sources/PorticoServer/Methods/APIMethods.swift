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
            return try CustomerService.list(ctx, partnerId: try partner(ctx), resellerId: resellerId, page: page).json(\.json)
        },
        Method(api: "api.commissions.list", access: .read) { p, ctx in
            let status = try p.optionalString("status")
            let range = try p.range()
            let page = try p.page()
            try p.finish()
            return try CommissionLedger.list(ctx, partnerId: try partner(ctx), status: status, range: range, page: page)
                .json { $0.json(now: ctx.now) }
        },
        Method(api: "api.sales.list", access: .read) { p, ctx in
            let customerId = try p.optionalString("customerId")
            let kind = try p.optionalString("kind")
            let range = try p.range()
            let page = try p.page()
            try p.finish()
            return try SaleService.list(ctx, partnerId: try partner(ctx), customerId: customerId, kind: kind, range: range, page: page)
                .json(\.json)
        },
        Method(api: "api.subscription.create", access: .write) { p, ctx in
            let customerId = try p.string("customerId")
            let plan = try p.string("plan")
            let interval = try p.string("interval")
            let startAt = try p.optionalTimestamp("startAt")
            try p.finish()
            return try SubscriptionService.create(ctx, customerId: customerId, plan: plan, interval: interval, startAt: startAt).json
        },
        Method(api: "api.subscription.get", access: .read) { p, ctx in
            let id = try p.string("subscriptionId")
            try p.finish()
            return try SubscriptionService.get(ctx, id: id).json
        },
        Method(api: "api.subscription.list", access: .read) { p, ctx in
            let customerId = try p.optionalString("customerId")
            let status = try p.optionalString("status")
            let page = try p.page()
            try p.finish()
            return try SubscriptionService.list(ctx, partnerId: try partner(ctx), customerId: customerId, status: status, page: page)
                .json(\.json)
        },
        Method(api: "api.subscription.cancel", access: .write) { p, ctx in
            let id = try p.string("subscriptionId")
            let atPeriodEnd = try p.bool("atPeriodEnd")
            try p.finish()
            return try SubscriptionService.cancel(ctx, id: id, atPeriodEnd: atPeriodEnd).json
        },
        Method(api: "api.usage.record", access: .write) { p, ctx in
            let events = try UsageMethods.events(&p)
            try p.finish()
            return try UsageService.record(ctx, partnerId: try partner(ctx), events).json
        },
        Method(api: "api.usage.get", access: .read) { p, ctx in
            try UsageMethods.get(&p, ctx, partnerId: try partner(ctx))
        },
    ]
}
