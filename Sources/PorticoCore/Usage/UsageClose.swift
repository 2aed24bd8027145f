import JSONRPC
import PorticoRules

/// `usage.close`: every customer's month of metered usage that ended at or before `asOf`
/// becomes one sale of kind `usage` (plan `usage`), priced once on the month's totals by
/// the meters of the pricing rules in the customer's region (half to even on the sum), so
/// commission rules can pay on usage revenue. The sale's external id is
/// `usage/<customer>/<YYYY-MM>` and the month is closed in the same transaction: no month
/// is sold twice, whatever reruns or crashes happen. A job, in batches, like the others.
public enum UsageClose {
    public static let batch = 500

    public struct Summary: Sendable, JobSummary {
        public var asOf: Timestamp
        public var due = 0
        public var checked = 0
        public var closed = 0
        public var sales = 0
        /// Per currency: usage sales and their total.
        public var amounts = CurrencyTally()
        public var partnerNotActive = 0
        public var unpriced = 0

        public init(asOf: Timestamp) { self.asOf = asOf }

        public mutating func add(_ o: Summary) {
            checked += o.checked; closed += o.closed; sales += o.sales; partnerNotActive += o.partnerNotActive; unpriced += o.unpriced
            amounts.add(o.amounts)
        }

        public var json: JSONValue {
            [
                "asOf": .string(asOf.rfc3339), "due": .integer(Int64(due)), "checked": .integer(Int64(checked)),
                "closed": .integer(Int64(closed)), "sales": .integer(Int64(sales)),
                "currencies": amounts.json(countKey: "sales"),
                "skipped": ["partnerNotActive": .integer(Int64(partnerNotActive)), "unpriced": .integer(Int64(unpriced))],
            ]
        }
    }

    public static func run(_ job: any JobSteps, asOf requested: Timestamp?) throws -> Summary {
        let first = try job.step { ctx in
            try ctx.authorize(partner: nil)
            var s = Summary(asOf: try ctx.asOf(requested, reason: "a month that has not ended is not closed"))
            s.due = try ctx.store.countOpenUsagePeriods(before: UsageService.month(of: s.asOf))
            return s
        }
        let before = UsageService.month(of: first.asOf)
        job.progress(done: 0, total: first.due, message: "usage before \(before)")
        return try job.batches(first, total: first.due, message: { "\($0.sales) usage sales" }) { ctx, after in
            try runBatch(ctx, before: before, after: after, asOf: first.asOf)
        }
    }

    static func runBatch(_ ctx: RequestContext, before: String, after: UsagePeriodKey?, asOf: Timestamp) throws -> (Summary, UsagePeriodKey?) {
        var s = Summary(asOf: asOf)
        let keys = try ctx.store.openUsagePeriods(before: before, after: after, limit: batch)
        var partners = JobPartners()
        for key in keys {
            s.checked += 1
            guard let partner = try partners.allowed(key.partnerId, ctx) else { s.partnerNotActive += 1; continue }
            try close(ctx, key, partner: partner, &s)
        }
        return (s, keys.last)
    }

    /// The last instant of a month `YYYY-MM`.
    static func end(of month: String) -> Timestamp? {
        guard let start = Timestamp(rfc3339: month + "-01T00:00:00Z"), let next = start.adding(months: 1) else { return nil }
        return next.adding(milliseconds: -1)
    }

    static func close(_ ctx: RequestContext, _ key: UsagePeriodKey, partner: PartnerRecord, _ s: inout Summary) throws {
        let customer = try CustomerService.load(key.customerId, ctx.store)
        let pricing = ctx.rules.pricing
        guard let region = pricing.countryRegion[customer.country], let occurredAt = end(of: key.month) else { s.unpriced += 1; return }
        // Each meter's total at its precision now; a total kept at a finer scale than the
        // meter has now is left for a person (the month stays open, counted).
        var totals: [String: Int128] = [:]
        for row in try ctx.store.usagePeriodTotals(key) {
            guard let meter = pricing.meters[row.meter] else { s.unpriced += 1; return }
            let units: Int128
            if meter.decimals >= row.scale {
                units = row.units * Int128(ExactDecimal.pow10(meter.decimals - row.scale))
            } else {
                let d = Int128(ExactDecimal.pow10(row.scale - meter.decimals))
                guard row.units % d == 0 else { s.unpriced += 1; return }
                units = row.units / d
            }
            totals[row.meter, default: 0] += units
        }
        let charge: UsageCharge
        switch pricing.usageCharge(totals.map { ($0.key, $0.value) }, region: region) {
        case .success(let c): charge = c
        case .failure: s.unpriced += 1; return
        }
        var saleId: String? = nil
        if charge.amount > 0, let currency = Currency.named(charge.currency) {
            let externalId = "usage/\(customer.id)/\(key.month)"
            if let existing = try ctx.store.sale(partnerId: partner.id, externalId: externalId) {
                saleId = existing.id
            } else {
                let sale = try SaleService.write(ctx, rules: ctx.rules, customer: customer, partner: partner, plan: PricingRules.usagePlan,
                                                 kind: .usage, amount: Money(charge.amount, currency), occurredAt: occurredAt,
                                                 externalId: externalId)
                guard case .recorded(let recorded, _, _) = sale else { throw PorticoError(.internalError, "a usage sale was not new") }
                saleId = recorded.id
                s.sales += 1
                s.amounts.add(charge.currency, Int128(charge.amount))
            }
        }
        guard try ctx.store.closeUsagePeriod(key, saleId: saleId, at: ctx.now) else {
            throw PorticoError.invalidState("closed", allowed: ["open"], "the usage of \(customer.id) for \(key.month) was closed meanwhile")
        }
        s.closed += 1
        try ctx.audit(targetType: "usage-period", targetId: "\(customer.id)/\(key.month)", partnerId: partner.id, before: nil, after: [
            "month": .string(key.month), "customerId": .string(customer.id), "region": .string(charge.region),
            "amount": Money.json(charge.amount, code: charge.currency), "exact": .string(charge.exact),
            "saleId": saleId.map { .string($0) } ?? .null,
            "meters": .array(charge.lines.map { l in
                ["meter": .string(l.meter), "quantity": .string(l.quantity), "unit": .string(l.unit), "exact": .string(l.exact),
                 "bands": .array(l.parts.map { .string($0) })]
            }),
        ])
    }
}
