import JSONRPC
import PorticoRules

/// Recording sales and refunding them. One transaction writes the sale, its commissions,
/// the audit record and the idempotency record; an error writes nothing.
public enum SaleService {
    public struct NewSale: Sendable {
        public var customerId: String
        public var plan: String
        /// As sent: checked against `SaleKind` by `record`, after the caller's access.
        public var kind: String
        public var occurredAt: Timestamp
        public var externalId: String
        public var amount: Money?
        public init(customerId: String, plan: String, kind: String, occurredAt: Timestamp, externalId: String, amount: Money?) {
            self.customerId = customerId; self.plan = plan; self.kind = kind; self.occurredAt = occurredAt
            self.externalId = externalId; self.amount = amount
        }
    }

    /// Records a sale: priced by the pricing rules when `amount` is absent (the net price,
    /// tax excluded), then paid out by the commission rules. The same `externalId` for the
    /// same partner answers the first result and writes nothing.
    public static func record(_ ctx: RequestContext, rules: RuleSet, _ new: NewSale) throws -> RecordedSale {
        let externalId = try Validate.key(new.externalId.trimmingWhitespace, field: "externalId", max: 200)
        guard let customer = try ctx.store.customer(id: new.customerId) else {
            throw PorticoError.notFound("customer", new.customerId)
        }
        let partner = try PartnerService.load(customer.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        // Usage sales come only from usage.close, which prices the metered usage itself.
        guard let kind = SaleKind(rawValue: new.kind), kind != .usage else {
            throw PorticoError.invalid("kind", "must be new, renewal or upgrade")
        }
        if let first = try ctx.store.sale(partnerId: partner.id, externalId: externalId) {
            // The same sale sent again answers the first result; another sale under the
            // same external id is a conflict, never silently the first one's answer.
            var differs: [String] = []
            if first.customerId != customer.id { differs.append("customerId") }
            if first.plan != new.plan { differs.append("plan") }
            if first.kind != kind { differs.append("kind") }
            if first.occurredAt != new.occurredAt { differs.append("occurredAt") }
            if let given = new.amount, given != first.amount { differs.append("amount") }
            guard differs.isEmpty else {
                throw PorticoError.conflict("externalId", "sale \(first.id) was recorded under this external id with another \(differs.joined(separator: ", "))")
            }
            guard let recorded = try ctx.store.auditEntry(seq: first.auditSeq), let answer = recorded.after else {
                throw PorticoError(.internalError, "the audit record of sale \(first.id) is missing")
            }
            return .repeated(try JSONReader.parse(answer))
        }
        let amount = try SalePricing.amount(plan: new.plan, given: new.amount, day: new.occurredAt.ruleDate, customer: customer,
                                            partner: partner, rules.pricing)
        return try write(ctx, rules: rules, customer: customer, partner: partner, plan: new.plan, kind: kind, amount: amount,
                         occurredAt: new.occurredAt, externalId: externalId)
    }

    /// A partner's sales, newest last, optionally one customer's or one kind's, occurred
    /// in `range`.
    /// A page of the partner's sales as answer text (`sale.list`, `api.sales.list`).
    public static func list(_ ctx: RequestContext, partnerId: String, customerId: String?, kind: String?, range: TimeRange,
                            page: PageRequest) throws -> Page<RecordText>
    {
        let f = try filter(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range)
        let rows = range.isEmpty ? [] : try ctx.store.saleTexts(f, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// The same page as records (exports).
    public static func records(_ ctx: RequestContext, partnerId: String, customerId: String?, kind: String?, range: TimeRange,
                               page: PageRequest) throws -> Page<SaleRecord>
    {
        let f = try filter(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range)
        let rows = range.isEmpty ? [] : try ctx.store.sales(f, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// The same page written into an export's rows as they are read (the columns of the
    /// sales report, `ExportQuery.columns`): how many, and the seq to go on after.
    public static func rows(_ ctx: RequestContext, partnerId: String, customerId: String?, kind: String?, range: TimeRange,
                            throughSeq: Int64?, page: PageRequest, into out: any ExportRows) throws -> (count: Int, next: Int64?)
    {
        var f = try filter(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range)
        if let throughSeq { f.throughSeq = throughSeq }
        guard !range.isEmpty else { return (0, nil) }
        let (count, last) = try ctx.store.saleRows(f, afterSeq: page.afterSeq, limit: page.limit, into: out)
        return (count, count == page.limit ? last : nil)
    }

    /// How many sales every page of `list` shows together, and the highest seq among them.
    public static func count(_ ctx: RequestContext, partnerId: String, customerId: String?, kind: String?,
                             range: TimeRange) throws -> (count: Int, lastSeq: Int64?)
    {
        let f = try filter(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range)
        return range.isEmpty ? (0, nil) : try ctx.store.saleCount(f)
    }

    /// The list's filter, the partner authorized and the customer found in it.
    static func filter(_ ctx: RequestContext, partnerId: String, customerId: String?, kind: String?, range: TimeRange) throws -> SaleFilter {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let kind = try kind.map { k throws(PorticoError) -> SaleKind in try Validate.oneOf(k, field: "kind") }
        if let customerId, try ctx.store.customer(id: customerId)?.partnerId != partner.id {
            throw PorticoError.notFound("customer", customerId)
        }
        return SaleFilter(partnerId: partner.id, customerId: customerId, kind: kind, range: range)
    }

    /// Writes a new sale at its amount with the commissions the rules give it, audited;
    /// the caller has checked the external id is free and authorized the partner.
    static func write(_ ctx: RequestContext, rules: RuleSet, customer: CustomerRecord, partner: PartnerRecord, plan: String,
                      kind: SaleKind, amount: Money, occurredAt: Timestamp, externalId: String) throws -> RecordedSale
    {
        let reseller = try customer.resellerId.map { try ResellerService.load($0, ctx.store) }
        let facts = try SaleFacts(plan: plan, kind: kind, amount: amount, occurredAt: occurredAt, customer: customer,
                                  partner: partner, reseller: reseller)
            .gather(rules.commission, region: rules.pricing.countryRegion[customer.country], ctx.store)
        var sale = SaleRecord(id: ctx.newID("sal"), partnerId: partner.id, resellerId: reseller?.id, customerId: customer.id,
                              externalId: externalId, plan: plan, kind: kind, amount: amount, occurredAt: occurredAt,
                              rulesHash: rules.hash, createdAt: ctx.now)
        var entries = try commissions(of: sale, at: occurredAt, reseller: reseller, rules.commission.evaluate(facts), rules, ctx)
        // The answer is complete before anything is written; its audit record keeps it
        // (once) for retries with the same externalId.
        let answer = RecordedSale.answer(sale: sale, commissions: entries, at: ctx.now)
        sale.auditSeq = try ctx.audit(targetType: "sale", targetId: sale.id, partnerId: partner.id, before: nil, after: answer)
        try ctx.store.insert(&sale)
        for i in entries.indices { try ctx.store.insert(&entries[i]) }
        return .recorded(sale: sale, commissions: entries, answer: answer)
    }

    /// The ledger entries the commission rules' lines make of a sale: the seller's (the
    /// reseller's when a reseller sold) and the partner's override, pending until the
    /// rules' hold has passed.
    static func commissions(of sale: SaleRecord, at occurredAt: Timestamp, reseller: ResellerRecord?, _ lines: [CommissionRules.Line],
                            _ rules: RuleSet, _ ctx: RequestContext) throws(PorticoError) -> [CommissionRecord]
    {
        let hold = Int64(rules.commission.holdDays(for: lines))
        guard let payable = occurredAt.adding(checked: hold * Timestamp.msPerDay) else {
            throw .invalid("occurredAt", "its commissions would become payable \(hold) days later, after 9999-12-31T23:59:59.999Z, the last instant the engine holds")
        }
        return lines.map { line in
            let toReseller = line.to == .seller && reseller != nil
            return CommissionRecord(id: ctx.newID("com"), partnerId: sale.partnerId, beneficiary: toReseller ? .reseller : .partner,
                                    resellerId: toReseller ? reseller?.id : nil, saleId: sale.id,
                                    kind: line.to == .seller ? .sale : .override,
                                    // Lines are in the sale's currency (its facts name it).
                                    amount: Money(line.amount, Currency.named(line.currency) ?? sale.amount.currency),
                                    payableAt: payable, occurredAt: sale.occurredAt, ruleId: line.rule, rulesHash: rules.hash,
                                    basis: line.basis, reason: nil, createdAt: ctx.now)
        }
    }

    /// Refunds all or part of a sale. Unpaid commissions shrink pro rata (or are
    /// cancelled on a full refund); commissions already in a payout or paid get a
    /// negative adjustment that the next payout nets off.
    public static func refund(_ ctx: RequestContext, saleId: String, amount requested: Money?, reason: String) throws -> SaleRefund {
        guard let before = try ctx.store.sale(id: saleId) else { throw PorticoError.notFound("sale", saleId) }
        try ctx.authorize(partner: try PartnerService.load(before.partnerId, ctx.store))
        let reason = try Validate.reason(reason)
        let remaining = before.refundable
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
                throw PorticoError.invalid("amount.amount", "exceeds what is left to refund (\(remaining) of \(before.amount.amount))")
            }
        }
        guard try ctx.store.addRefund(saleId: before.id, amount: refund) else {
            throw PorticoError.invalidState("refunded", allowed: ["recorded"], "the sale changed while refunding")
        }
        let full = before.refunded.amount + refund == before.amount.amount
        var changed: [CommissionRecord] = []
        for c in try ctx.store.commissions(saleId: before.id) where c.kind == .sale || c.kind == .override {
            // The share of the original commission this refund takes back; a full refund
            // takes whatever is left, so no unit is stranded by rounding.
            let share = try c.originalAmount.scaled(by: refund, over: before.amount.amount).amount
            switch c.status {
            case .pending:
                let newAmount = full ? 0 : max(0, c.amount.amount - share)
                let status: CommissionStatus = newAmount == 0 ? .cancelled : .pending
                guard try ctx.store.changeCommission(id: c.id, expected: .pending, amount: newAmount == 0 ? c.amount.amount : newAmount,
                                                 status: status, updatedAt: ctx.now)
                else { throw PorticoError.invalidState(c.status.rawValue, allowed: ["pending"], "commission \(c.id) changed while refunding") }
                changed.append(try ctx.store.commission(id: c.id)!)
            case .processing, .paid:
                let back = full ? c.amount.amount - (try alreadyAdjusted(c, ctx.store)) : share
                guard back != 0 else { continue }
                var adj = CommissionRecord(id: ctx.newID("com"), partnerId: c.partnerId, beneficiary: c.beneficiary,
                                           resellerId: c.resellerId, saleId: c.saleId, kind: .adjustment,
                                           amount: Money(-back, c.amount.currency), payableAt: ctx.now, occurredAt: ctx.now, ruleId: c.ruleId, rulesHash: c.rulesHash,
                                           basis: "refund of \(c.id)", reason: reason, createdAt: ctx.now)
                try ctx.store.insert(&adj)
                changed.append(adj)
            default:
                continue
            }
        }
        let result = SaleRefund(sale: try ctx.store.sale(id: before.id)!, refunded: Money(refund, before.amount.currency),
                                commissions: changed, at: ctx.now)
        try ctx.audit(targetType: "sale", targetId: before.id, partnerId: before.partnerId, reason: reason, before: before.json,
                      after: result.json)
        return result
    }

    /// What earlier refunds already took back from a paid commission.
    static func alreadyAdjusted(_ c: CommissionRecord, _ store: any StoreTransaction) throws -> Int64 {
        let adjustments = try store.commissions(saleId: c.saleId ?? "").filter { $0.kind == .adjustment && $0.basis == "refund of \(c.id)" }
        // Each takes back part of one commission (at most 2^53), so the sum is one too.
        return Int64(-adjustments.reduce(Int128(0)) { $0 + Int128($1.amount.amount) })
    }
}
