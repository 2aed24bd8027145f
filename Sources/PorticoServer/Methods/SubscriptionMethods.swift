import JSONRPC
import PorticoCore

/// `subscription.*`: subscriptions for the portal (the partner API's `api.subscription.*`
/// call the same service on the token's partner), and the renewal job.
enum SubscriptionMethods {
    static let all: [Method] = [
        Method("subscription.create", access: .write) { p, ctx in
            let customerId = try p.string("customerId")
            let plan = try p.string("plan")
            let interval = try p.string("interval")
            let startAt = try p.optionalTimestamp("startAt")
            try p.finish()
            return try SubscriptionService.create(ctx, customerId: customerId, plan: plan, interval: interval, startAt: startAt).json
        },
        Method("subscription.get", access: .read) { p, ctx in
            let id = try p.string("subscriptionId")
            try p.finish()
            return try SubscriptionService.get(ctx, id: id).json
        },
        Method("subscription.list", access: .read) { p, ctx in
            let partnerId = try p.optionalString("partnerId")
            let customerId = try p.optionalString("customerId")
            let status = try p.optionalString("status")
            let page = try p.page()
            try p.finish()
            return try SubscriptionService.list(ctx, partnerId: partnerId, customerId: customerId, status: status, page: page).json(\.json)
        },
        Method("subscription.cancel", access: .write) { p, ctx in
            let id = try p.string("subscriptionId")
            let atPeriodEnd = try p.bool("atPeriodEnd")
            try p.finish()
            return try SubscriptionService.cancel(ctx, id: id, atPeriodEnd: atPeriodEnd).json
        },
        Method(job: "subscription.renewDue") { p, job in
            let asOf = try p.optionalTimestamp("asOf")
            try p.finish()
            return try RenewalRun.run(job, asOf: asOf).json
        },
    ]
}
