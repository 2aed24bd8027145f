import JSONRPC
import PorticoRules

/// Recording sales and refunding them. One transaction writes the sale, its commissions,
/// the audit record and the idempotency record; an error writes nothing.
public enum SaleService {
    public struct NewSale: Sendable {
        public var customerId: String
        public var plan: String
        public var kind: String
        public var occurredAt: Timestamp
        public var externalId: String
        public var amount: Money?
        public init(customerId: String, plan: String, kind: String, occurredAt: Timestamp, externalId: String, amount: Money?) {
            self.customerId = customerId; self.plan = plan; self.kind = kind; self.occurredAt = occurredAt
            self.externalId = externalId; self.amount = amount
        }
    }

    public static let kinds = ["new", "renewal", "upgrade"]

    /// Records a sale: priced by the pricing rules when `amount` is absent (the net price,
    /// tax excluded), then paid out by the commission rules. The same `externalId` for the
    /// same partner answers the first result and writes nothing.
    public static func record(_ ctx: RequestContext, rules: RuleSet, _ new: NewSale) throws -> JSONValue {
        let externalId = try Validate.key(new.externalId.trimmingWhitespace, field: "externalId", max: 200)
        guard let customer = try ctx.store.customer(id: new.customerId) else {
            throw PorticoError.notFound("customer", new.customerId)
        }
        let partner = try PartnerService.load(customer.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        guard kinds.contains(new.kind) else { throw PorticoError.invalid("kind", "must be new, renewal or upgrade") }
        if let first = try ctx.store.sale(partnerId: partner.id, externalId: externalId) {
            // The same sale sent again answers the first result; another sale under the
            // same external id is a conflict, never silently the first one's answer.
            var differs: [String] = []
            if first.customerId != customer.id { differs.append("customerId") }
            if first.plan != new.plan { differs.append("plan") }
            if first.kind != new.kind { differs.append("kind") }
            if first.occurredAt != new.occurredAt.rfc3339 { differs.append("occurredAt") }
            if let given = new.amount, given.amount != first.amount || given.currency.code != first.currency { differs.append("amount") }
            guard differs.isEmpty else {
                throw PorticoError.conflict("externalId", "sale \(first.id) was recorded under this external id with another \(differs.joined(separator: ", "))")
            }
            guard let recorded = try ctx.store.auditEntry(seq: first.auditSeq), let answer = recorded.after else {
                throw PorticoError(.internalError, "the audit record of sale \(first.id) is missing")
            }
            return try JSONReader.parse(answer)
        }
        let pricing = rules.pricing
        guard pricing.plans[new.plan] != nil else {
            throw PorticoError.invalid("plan", "no plan '\(new.plan)' is priced (\(pricing.plans.keys.sorted().joined(separator: ", ")))")
        }
        let region = pricing.countryRegion[customer.country]
        let day = new.occurredAt.ruleDate
        let amount: Money
        if let given = new.amount {
            guard given.amount >= 0 else { throw PorticoError.invalid("amount.amount", "must not be negative") }
            let priced = Set(pricing.regions.values.map(\.currency.code)).union([pricing.baseCurrency.code])
            guard priced.contains(given.currency.code) else {
                throw PorticoError.invalid("amount.currency", "the pricing rules do not price \(given.currency.code) (\(priced.sorted().joined(separator: ", ")))")
            }
            amount = given
        } else {
            let quote: PricingRules.Quote
            switch pricing.quote(.init(plan: new.plan, country: customer.country, partnerTier: partner.tier, date: day)) {
            case .success(let q): quote = q
            case .failure(.unpricedCountry(let c)):
                throw PorticoError.invalid("amount", "no pricing region includes the customer's country \(c): give the amount")
            case .failure(let e): throw PorticoError.invalid("plan", "cannot price it: \(e)")
            }
            amount = Money(quote.net, Currency.named(quote.currency)!)
        }
        let reseller = try customer.resellerId.map { try ResellerService.load($0, ctx.store) }

        // Facts for the commission rules, store-derived ones only when a rule reads them.
        let commission = rules.commission
        var facts = CommissionRules.newFacts()
        func set(_ name: String, _ value: FactValue?) { if let value { facts[CommissionRules.facts.slot(name)!] = value } }
        set("sale.amount", .number(ExactDecimal(amount.amount)))
        set("sale.currency", .string(amount.currency.code))
        set("sale.plan", .string(new.plan))
        set("sale.kind", .string(new.kind))
        set("sale.date", .date(day))
        set("seller.kind", .string(reseller == nil ? "partner" : "reseller"))
        set("customer.country", .string(customer.country))
        set("customer.region", region.map { .string($0) })
        set("partner.tier", .string(partner.tier))
        set("partner.region", .string(partner.region))
        if let reseller {
            set("reseller.region", .string(reseller.region))
            set("reseller.commissionRate", reseller.commissionRate.flatMap(ExactDecimal.init).map { .number($0) })
        }
        let derived = Set(commission.derivedFacts)
        let at = new.occurredAt
        // Sums of stored amounts are exact (Int128); a fact beyond Int64 (far past any
        // band or cap a rule can name, which stop at 2^53) is read as Int64's largest.
        func number(_ sum: Int128) -> FactValue { .number(ExactDecimal(Int64(clamping: sum))) }
        let periods: [(String, TimeRange)] = [("month", .month(of: at)), ("quarter", .quarter(of: at)), ("lifetime", .all)]
        for (period, range) in periods {
            if derived.contains("reseller.volume.\(period)"), let reseller {
                set("reseller.volume.\(period)", number(try ctx.store.salesVolume(
                    partnerId: partner.id, resellerId: reseller.id, currency: amount.currency.code, firstDay: range.firstDay, lastDay: range.lastDay)))
            }
            if derived.contains("partner.volume.\(period)") {
                set("partner.volume.\(period)", number(try ctx.store.salesVolume(
                    partnerId: partner.id, resellerId: nil, currency: amount.currency.code, firstDay: range.firstDay, lastDay: range.lastDay)))
            }
        }
        if derived.contains("customer.firstPurchase") {
            set("customer.firstPurchase", .bool(!(try ctx.store.hasPurchased(customerId: customer.id))))
        }
        if derived.contains("subscription.month") {
            let first = try ctx.store.firstSaleOccurred(customerId: customer.id, plan: new.plan).flatMap(Timestamp.init(rfc3339:))
            let month = first.map { max(0, at.months(since: $0)) + 1 } ?? 1
            set("subscription.month", .number(ExactDecimal(month)))
        }
        let month = TimeRange.month(of: at)
        if derived.contains("seller.earned.month") {
            set("seller.earned.month", number(try ctx.store.earned(
                partnerId: partner.id, resellerId: reseller?.id, currency: amount.currency.code, first: month.firstText, last: month.lastText)))
        }
        if derived.contains("partner.earned.month") {
            set("partner.earned.month", number(try ctx.store.earned(
                partnerId: partner.id, resellerId: nil, currency: amount.currency.code, first: month.firstText, last: month.lastText)))
        }

        var sale = SaleRecord(id: ctx.newID("sal"), partnerId: partner.id, resellerId: reseller?.id, customerId: customer.id,
                              externalId: externalId, plan: new.plan, kind: new.kind, amount: amount.amount,
                              currency: amount.currency.code, occurredAt: at.rfc3339, rulesHash: rules.hash, createdAt: ctx.timestamp)
        let lines = commission.evaluate(facts)
        let hold = Int64(commission.holdDays(for: lines))
        guard let payable = at.adding(checked: hold * Timestamp.msPerDay) else {
            throw PorticoError.invalid("occurredAt", "its commissions would become payable \(hold) days later, after 9999-12-31T23:59:59.999Z, the last instant the engine holds")
        }
        let payableAt = payable.rfc3339
        var entries: [CommissionRecord] = lines.map { line in
            let toReseller = line.to == .seller && reseller != nil
            return CommissionRecord(id: ctx.newID("com"), partnerId: partner.id, beneficiary: toReseller ? "reseller" : "partner",
                                    resellerId: toReseller ? reseller?.id : nil, saleId: sale.id,
                                    kind: line.to == .seller ? "sale" : "override", amount: line.amount, currency: line.currency,
                                    payableAt: payableAt, occurredAt: sale.occurredAt, ruleId: line.rule, rulesHash: rules.hash,
                                    basis: line.basis, reason: nil, createdAt: ctx.timestamp)
        }
        // The answer is complete before anything is written; its audit record keeps it
        // (once) for retries with the same externalId.
        let answer: JSONValue = ["sale": sale.json, "commissions": .array(entries.map { $0.json(now: ctx.timestamp) })]
        sale.auditSeq = try ctx.audit(targetType: "sale", targetId: sale.id, partnerId: partner.id, before: nil, after: answer)
        try ctx.store.insert(&sale)
        for i in entries.indices { try ctx.store.insert(&entries[i]) }
        return answer
    }

    /// Refunds all or part of a sale. Unpaid commissions shrink pro rata (or are
    /// cancelled on a full refund); commissions already in a payout or paid get a
    /// negative adjustment that the next payout nets off.
    public static func refund(_ ctx: RequestContext, saleId: String, amount requested: Money?, reason: String) throws -> JSONValue {
        guard let before = try ctx.store.sale(id: saleId) else { throw PorticoError.notFound("sale", saleId) }
        try ctx.authorize(partner: try PartnerService.load(before.partnerId, ctx.store))
        let reason = try Validate.reason(reason)
        let remaining = before.amount - before.refunded
        guard remaining > 0 else {
            throw PorticoError.invalidState("refunded", allowed: ["recorded", "partly refunded"], "sale \(before.id) is already fully refunded")
        }
        let refund = requested?.amount ?? remaining
        if let requested {
            guard requested.currency.code == before.currency else {
                throw PorticoError.invalid("amount.currency", "the sale is in \(before.currency)")
            }
            guard requested.amount > 0 else { throw PorticoError.invalid("amount.amount", "must be above zero") }
            guard requested.amount <= remaining else {
                throw PorticoError.invalid("amount.amount", "exceeds what is left to refund (\(remaining) of \(before.amount))")
            }
        }
        guard try ctx.store.addRefund(saleId: before.id, amount: refund) else {
            throw PorticoError.invalidState("refunded", allowed: ["recorded"], "the sale changed while refunding")
        }
        let full = before.refunded + refund == before.amount
        var changed: [CommissionRecord] = []
        for c in try ctx.store.commissions(saleId: before.id) where c.kind == "sale" || c.kind == "override" {
            // The share of the original commission this refund takes back; a full refund
            // takes whatever is left, so no unit is stranded by rounding.
            let share = try Money(c.originalAmount, Currency.named(c.currency)!).scaled(by: refund, over: before.amount).amount
            switch c.status {
            case "pending":
                let newAmount = full ? 0 : max(0, c.amount - share)
                let status = newAmount == 0 ? "cancelled" : "pending"
                guard try ctx.store.changeCommission(id: c.id, expected: "pending", amount: newAmount == 0 ? c.amount : newAmount,
                                                 status: status, updatedAt: ctx.timestamp)
                else { throw PorticoError.invalidState(c.status, allowed: ["pending"], "commission \(c.id) changed while refunding") }
                changed.append(try ctx.store.commission(id: c.id)!)
            case "processing", "paid":
                let back = full ? c.amount - (try alreadyAdjusted(c, ctx.store)) : share
                guard back != 0 else { continue }
                var adj = CommissionRecord(id: ctx.newID("com"), partnerId: c.partnerId, beneficiary: c.beneficiary,
                                           resellerId: c.resellerId, saleId: c.saleId, kind: "adjustment", amount: -back,
                                           currency: c.currency, payableAt: ctx.timestamp, occurredAt: ctx.timestamp, ruleId: c.ruleId, rulesHash: c.rulesHash,
                                           basis: "refund of \(c.id)", reason: reason, createdAt: ctx.timestamp)
                try ctx.store.insert(&adj)
                changed.append(adj)
            default:
                continue
            }
        }
        let after = try ctx.store.sale(id: before.id)!
        let answer: JSONValue = [
            "sale": after.json, "refund": ["amount": .integer(refund), "currency": .string(before.currency)],
            "commissions": .array(changed.map { $0.json(now: ctx.timestamp) }),
        ]
        try ctx.audit(targetType: "sale", targetId: before.id, partnerId: before.partnerId, reason: reason, before: before.json, after: answer)
        return answer
    }

    /// What earlier refunds already took back from a paid commission.
    static func alreadyAdjusted(_ c: CommissionRecord, _ store: any StoreTransaction) throws -> Int64 {
        let adjustments = try store.commissions(saleId: c.saleId ?? "").filter { $0.kind == "adjustment" && $0.basis == "refund of \(c.id)" }
        // Each takes back part of one commission (at most 2^53), so the sum is one too.
        return Int64(-adjustments.reduce(Int128(0)) { $0 + Int128($1.amount) })
    }
}
