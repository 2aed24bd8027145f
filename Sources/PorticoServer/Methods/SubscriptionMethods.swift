import JSONRPC
import PorticoCore

/// `subscription.*`: subscriptions for the portal, and the renewal job. The partner API's
/// `api.subscription.*` read the same params here, on the token's partner.
enum SubscriptionMethods {
    static func create(_ p: inout Params, _ ctx: RequestContext) throws -> JSONValue {
        let customerId = try p.string("customerId")
        let plan = try p.string("plan")
        let interval = try p.string("interval")
        let startAt = try p.optionalTimestamp("startAt")
        try p.finish()
        return try SubscriptionService.create(ctx, customerId: customerId, plan: plan, interval: interval, startAt: startAt).json
    }

    static func get(_ p: inout Params, _ ctx: RequestContext) throws -> JSONValue {
        let id = try p.string("subscriptionId")
        try p.finish()
        return try SubscriptionService.get(ctx, id: id).json
    }

    /// `partnerId` is the token's for the partner API, else read from the params.
    static func list(_ p: inout Params, _ ctx: RequestContext, partnerId: String?) throws -> any JSONEncodable {
        let partnerId = try partnerId ?? p.optionalString("partnerId")
        let customerId = try p.optionalString("customerId")
        let status = try p.optionalString("status")
        let page = try p.page()
        try p.finish()
        return try SubscriptionService.list(ctx, partnerId: partnerId, customerId: customerId, status: status, page: page)
    }

    static func cancel(_ p: inout Params, _ ctx: RequestContext) throws -> JSONValue {
        let id = try p.string("subscriptionId")
        let atPeriodEnd = try p.bool("atPeriodEnd")
        try p.finish()
        return try SubscriptionService.cancel(ctx, id: id, atPeriodEnd: atPeriodEnd).json
    }

    static let all: [Method] = [
        Method("subscription.create", access: .write) { p, ctx in try create(&p, ctx) },
        Method("subscription.get", access: .read) { p, ctx in try get(&p, ctx) },
        Method("subscription.list", access: .read) { p, ctx in try list(&p, ctx, partnerId: nil) },
        Method("subscription.cancel", access: .write) { p, ctx in try cancel(&p, ctx) },
        Method(job: "subscription.renewDue") { p, job in
            let asOf = try p.optionalTimestamp("asOf")
            try p.finish()
            return try RenewalRun.run(job, asOf: asOf).json
        },
    ]
}
