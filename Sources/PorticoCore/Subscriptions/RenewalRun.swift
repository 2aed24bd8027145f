import JSONRPC
import PorticoRules

/// `subscription.renewDue`: for every active subscription whose period ended at or
/// before `asOf`, the sale of each period since (kind `renewal`, priced on the day the
/// period starts), or its end when it was cancelled at the period's end. Each period's
/// sale has the external id `<subscription>/<period>` and moves the subscription on in
/// the same transaction, so no period is sold twice whatever reruns or crashes happen. A
/// job: subscriptions are taken in batches, each committed on its own, with progress
/// after each; a cancel stops between batches, and a rerun goes on where it stopped.
public enum RenewalRun {
    /// Subscriptions per committed step (one fsync each).
    public static let batch = 500

    public struct Summary: Sendable, JobSummary {
        public var asOf: Timestamp
        public var due = 0
        public var checked = 0
        public var renewed = 0
        public var sales = 0
        public var ended = 0
        /// Per currency: renewal sales and their total.
        public var amounts = CurrencyTally()
        public var partnerNotActive = 0
        public var unpriced = 0

        public init(asOf: Timestamp) { self.asOf = asOf }

        public mutating func add(_ o: Summary) {
            checked += o.checked; renewed += o.renewed; sales += o.sales; ended += o.ended
            partnerNotActive += o.partnerNotActive; unpriced += o.unpriced
            amounts.add(o.amounts)
        }

        public var json: JSONValue {
            [
                "asOf": .string(asOf.rfc3339), "due": .integer(Int64(due)), "checked": .integer(Int64(checked)),
                "renewed": .integer(Int64(renewed)), "sales": .integer(Int64(sales)), "ended": .integer(Int64(ended)),
                "currencies": amounts.json(countKey: "sales"),
                "skipped": ["partnerNotActive": .integer(Int64(partnerNotActive)), "unpriced": .integer(Int64(unpriced))],
            ]
        }
    }

    public static func run(_ job: any JobSteps, asOf requested: Timestamp?) throws -> Summary {
        let first = try job.step { ctx in
            try ctx.authorize(partner: nil)
            var s = Summary(asOf: try ctx.asOf(requested, reason: "a period that has not ended is not renewed"))
            s.due = try ctx.store.countDueSubscriptions(asOf: s.asOf)
            return s
        }
        job.progress(done: 0, total: first.due, message: "renewals as of \(first.asOf.rfc3339)")
        return try job.batches(first, total: first.due, message: { "\($0.sales) renewal sales" }) { ctx, after in
            try runBatch(ctx, asOf: first.asOf, after: after)
        }
    }

    /// One batch of due subscriptions after the key `after`: what it did and the key of
    /// the last one read (nil when none was left).
    static func runBatch(_ ctx: RequestContext, asOf: Timestamp, after: (Timestamp, Int64)?) throws -> (Summary, (Timestamp, Int64)?) {
        var s = Summary(asOf: asOf)
        let rows = try ctx.store.dueSubscriptions(asOf: asOf, after: after.map { (periodEnd: $0.0, seq: $0.1) }, limit: batch)
        var partners = JobPartners()
        for sub in rows {
            s.checked += 1
            // Suspended partners' subscriptions stay due and renew when the partner is active again.
            guard let partner = try partners.allowed(sub.partnerId, ctx) else { s.partnerNotActive += 1; continue }
            try renew(ctx, sub, partner: partner, asOf: asOf, &s)
        }
        return (s, rows.last.map { ($0.periodEnd, $0.seq) })
    }

    /// Sells every period of `sub` that started by `asOf`, or ends it at the end of its
    /// period when it was cancelled so.
    static func renew(_ ctx: RequestContext, _ sub: SubscriptionRecord, partner: PartnerRecord, asOf: Timestamp, _ s: inout Summary) throws {
        let customer = try CustomerService.load(sub.customerId, ctx.store)
        var current = sub
        var sold = 0
        while current.status == .active && current.periodEnd <= asOf {
            var next = current
            next.updatedAt = ctx.now
            if current.cancelAtPeriodEnd {
                next.status = .cancelled
                next.endedAt = current.periodEnd
                s.ended += 1
            } else {
                let n = current.period + 1
                guard let end = current.start(ofPeriod: n + 1) else { s.unpriced += 1; break }
                let amount: Money
                do {
                    amount = try SubscriptionService.price(plan: current.plan, interval: current.interval, start: current.periodEnd,
                                                           customer: customer, partner: partner, ctx.rules.pricing)
                } catch {
                    // The plan is no longer priced for this customer: left due, counted,
                    // renewed by a later run once the rules price it again.
                    s.unpriced += 1
                    break
                }
                let externalId = current.saleExternalId(period: n)
                let saleId: String
                if let existing = try ctx.store.sale(partnerId: current.partnerId, externalId: externalId) {
                    // Sold already (a sale.record under this id): the period is not sold twice.
                    saleId = existing.id
                } else {
                    let sale = try SaleService.write(ctx, rules: ctx.rules, customer: customer, partner: partner, plan: current.plan,
                                                     kind: .renewal, amount: amount, occurredAt: current.periodEnd, externalId: externalId)
                    guard case .recorded(let recorded, _, _) = sale else { throw PorticoError(.internalError, "a renewal sale was not new") }
                    saleId = recorded.id
                    s.sales += 1
                    s.amounts.add(amount.currency.code, Int128(amount.amount))
                }
                next.period = n
                next.periodStart = current.periodEnd
                next.periodEnd = end
                next.amount = amount
                next.lastSaleId = saleId
                sold += 1
            }
            guard try ctx.store.update(next, expectedPeriod: current.period) else {
                throw PorticoError.invalidState("changed", allowed: ["active"], "subscription \(current.id) changed while renewing")
            }
            try ctx.audit(targetType: "subscription", targetId: next.id, partnerId: next.partnerId, before: current.json, after: next.json)
            current = next
        }
        if sold > 0 { s.renewed += 1 }
    }
}
