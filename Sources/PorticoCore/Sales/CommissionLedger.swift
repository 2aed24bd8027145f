import JSONRPC
import PorticoRules

/// The commission ledger: manual adjustments, listing and totals. Balances per partner
/// and currency are always derived from the entries, never stored.
public enum CommissionLedger {

    /// A platform adjustment (positive or negative), payable at once; the reason is required.
    public static func create(_ ctx: RequestContext, partnerId: String, resellerId: String?, amount: Money, reason: String) throws
        -> CommissionRecord
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        if let resellerId { _ = try ResellerService.of(partner, id: resellerId, ctx.store) }
        guard amount.amount != 0 else { throw PorticoError.invalid("amount.amount", "must not be zero") }
        let reason = try Validate.reason(reason)
        var c = CommissionRecord(id: ctx.newID("com"), partnerId: partner.id, beneficiary: resellerId == nil ? .partner : .reseller,
                                 resellerId: resellerId, saleId: nil, kind: .manual, amount: amount,
                                 payableAt: ctx.now, occurredAt: ctx.now, ruleId: nil, rulesHash: nil,
                                 basis: "manual", reason: reason, createdAt: ctx.now)
        try ctx.store.insert(&c)
        try ctx.audit(targetType: "commission", targetId: c.id, partnerId: partner.id, reason: reason, before: nil,
                      after: c.json(now: ctx.now))
        return c
    }

    static func filter(_ ctx: RequestContext, partnerId: String, status: String?, range: TimeRange) throws -> CommissionFilter {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let status = try status.map { s throws(PorticoError) -> CommissionStatus in try Validate.oneOf(s, field: "status") }
        return CommissionFilter(partnerId: partner.id, status: status, range: range)
    }

    public static func list(_ ctx: RequestContext, partnerId: String, status: String?, range: TimeRange, page: PageRequest) throws
        -> Page<CommissionRecord>
    {
        let f = try filter(ctx, partnerId: partnerId, status: status, range: range)
        let rows = range.isEmpty ? [] : try ctx.store.commissions(f, now: ctx.now, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// How many entries every page of `list` shows together.
    public static func count(_ ctx: RequestContext, partnerId: String, status: String?, range: TimeRange) throws -> Int {
        let f = try filter(ctx, partnerId: partnerId, status: status, range: range)
        return range.isEmpty ? 0 : try ctx.store.commissionCount(f, now: ctx.now)
    }

    /// Totals by status and currency over exactly the entries `list` would show: one row
    /// per currency with every status's amount and count (see `CurrencyFigures`).
    public static func summary(_ ctx: RequestContext, partnerId: String, range: TimeRange) throws -> CommissionSummary {
        let f = try filter(ctx, partnerId: partnerId, status: nil, range: range)
        var figures = CurrencyFigures()
        if !range.isEmpty {
            // Whole-day ranges read the running totals; others sum the entries themselves.
            figures.add(commissionsByStatus: range.isWholeDays
                ? try ctx.store.commissionsFromRunningTotals(partnerId: f.partnerId, days: range, now: ctx.now, periodLength: nil)
                : try ctx.store.commissionTotals(f, now: ctx.now))
        }
        return CommissionSummary(partnerId: f.partnerId, figures: figures)
    }
}
