import JSONRPC
import PorticoRules

/// Subscriptions: created with the sale of their first period (kind `new`), renewed by
/// `RenewalRun` (kind `renewal`), cancelled at once or at the end of the period. Each
/// period is priced by the pricing rules on the day it starts, for the customer's country
/// and the partner's tier, so commissions follow the same rules as any sale.
public enum SubscriptionService {
    /// What `subscription.create` answers: the subscription and the sale of its first
    /// period with that sale's commissions.
    public struct Created: Sendable {
        public var subscription: SubscriptionRecord
        public var sale: JSONValue

        public var json: JSONValue {
            ["subscription": subscription.json, "sale": sale["sale"] ?? .null, "commissions": sale["commissions"] ?? .array([])]
        }
    }

    public static func load(_ id: String, _ store: any StoreTransaction) throws -> SubscriptionRecord {
        guard let s = try store.subscription(id: id) else { throw PorticoError.notFound("subscription", id) }
        return s
    }

    /// The price of one period of `plan` starting `start`: the month's price from the
    /// pricing rules, twelve times over for a yearly interval.
    static func price(plan: String, interval: SubscriptionInterval, start: Timestamp, customer: CustomerRecord, partner: PartnerRecord,
                      _ pricing: PricingRules) throws(PorticoError) -> Money
    {
        let month = try SalePricing.amount(plan: plan, given: nil, day: start.ruleDate, customer: customer, partner: partner, pricing)
        let (amount, overflow) = month.amount.multipliedReportingOverflow(by: interval.months)
        guard !overflow, amount <= Money.jsonLimit else {
            throw .invalid("plan", "a year of \(plan) would pass \(Money.jsonLimit) minor units")
        }
        return Money(amount, month.currency)
    }

    public static func create(_ ctx: RequestContext, customerId: String, plan: String, interval: String, startAt: Timestamp?) throws
        -> Created
    {
        let customer = try CustomerService.load(customerId, ctx.store)
        let partner = try PartnerService.load(customer.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let interval: SubscriptionInterval = try Validate.oneOf(interval, field: "interval")
        let start = startAt ?? ctx.now
        guard start <= ctx.now else {
            throw PorticoError.invalid("startAt", "must not be after the engine's clock (\(ctx.timestamp)): the first period is sold when it starts")
        }
        guard let end = start.adding(months: interval.months) else {
            throw PorticoError.invalid("startAt", "its first period would end after 9999-12-31T23:59:59.999Z, the last instant the engine holds")
        }
        let amount = try price(plan: plan, interval: interval, start: start, customer: customer, partner: partner, ctx.rules.pricing)
        var s = SubscriptionRecord(id: ctx.newID("sub"), partnerId: partner.id, resellerId: customer.resellerId, customerId: customer.id,
                                   plan: plan, interval: interval, status: .active, startAt: start, period: 1, periodStart: start,
                                   periodEnd: end, amount: amount, cancelAtPeriodEnd: false, cancelledAt: nil, endedAt: nil,
                                   lastSaleId: "", createdAt: ctx.now, updatedAt: ctx.now)
        let sale = try SaleService.write(ctx, rules: ctx.rules, customer: customer, partner: partner, plan: plan, kind: .new, amount: amount,
                                         occurredAt: start, externalId: s.saleExternalId(period: 1))
        guard case .recorded(let first, _, let answer) = sale else { throw PorticoError(.internalError, "a new subscription's sale was not new") }
        s.lastSaleId = first.id
        try ctx.store.insert(&s)
        try ctx.audit(targetType: "subscription", targetId: s.id, partnerId: partner.id, before: nil, after: s.json)
        return Created(subscription: s, sale: answer)
    }

    public static func get(_ ctx: RequestContext, id: String) throws -> SubscriptionRecord {
        let s = try load(id, ctx.store)
        try ctx.authorize(partner: try PartnerService.load(s.partnerId, ctx.store))
        return s
    }

    /// A partner's subscriptions, or one customer's; a member names no partner for its own.
    public static func list(_ ctx: RequestContext, partnerId: String?, customerId: String?, status: String?, page: PageRequest) throws
        -> Page<SubscriptionRecord>
    {
        let customer = try customerId.map { try CustomerService.load($0, ctx.store) }
        let partner: PartnerRecord
        if let partnerId {
            partner = try PartnerService.load(partnerId, ctx.store)
        } else if let customer {
            partner = try PartnerService.load(customer.partnerId, ctx.store)
        } else if let own = try ctx.requireActor().ownPartner {
            partner = own
        } else {
            throw PorticoError.invalid("partnerId", "is required (or customerId)")
        }
        try ctx.authorize(partner: partner)
        if let customer, customer.partnerId != partner.id { throw PorticoError.notFound("customer", customer.id) }
        let status = try status.map { s throws(PorticoError) -> SubscriptionStatus in try Validate.oneOf(s, field: "status") }
        let rows = try ctx.store.subscriptions(partnerId: partner.id, customerId: customer?.id, status: status, afterSeq: page.afterSeq,
                                               limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// Cancels at the end of the period in force (it is not renewed again) or at once
    /// (nothing is refunded: a host that prorates refunds the period's sale).
    public static func cancel(_ ctx: RequestContext, id: String, atPeriodEnd: Bool) throws -> SubscriptionRecord {
        let before = try load(id, ctx.store)
        try ctx.authorize(partner: try PartnerService.load(before.partnerId, ctx.store))
        guard before.status == .active else {
            throw PorticoError.invalidState(before.status.rawValue, allowed: [SubscriptionStatus.active.rawValue],
                                            "subscription \(before.id) ended at \(before.endedAt?.rfc3339 ?? "?")")
        }
        var after = before
        after.cancelledAt = ctx.now
        after.updatedAt = ctx.now
        if atPeriodEnd {
            after.cancelAtPeriodEnd = true
        } else {
            after.status = .cancelled
            after.endedAt = ctx.now
        }
        guard try ctx.store.update(after, expectedPeriod: before.period) else {
            throw PorticoError.invalidState("changed", allowed: [SubscriptionStatus.active.rawValue], "subscription \(before.id) changed while cancelling")
        }
        try ctx.audit(targetType: "subscription", targetId: after.id, partnerId: after.partnerId, before: before.json, after: after.json)
        return after
    }
}
