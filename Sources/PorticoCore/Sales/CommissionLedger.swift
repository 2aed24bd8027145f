import GRDB
import JSONRPC
import PorticoRules
import PorticoStore

extension CommissionRecord {
    /// The entry as answered, with its status as of `now` (pending turns payable when its
    /// hold ends, whatever the time of reading).
    public func json(now: String) -> JSONValue {
        var o: JSONObject = [
            "id": .string(id), "partnerId": .string(partnerId), "beneficiary": .string(beneficiary),
            "resellerId": .string(resellerId), "saleId": .string(saleId), "kind": .string(kind),
            "amount": ["amount": .integer(amount), "currency": .string(currency)],
        ]
        if amount != originalAmount { o["originalAmount"] = ["amount": .integer(originalAmount), "currency": .string(currency)] }
        o["status"] = .string(effectiveStatus(now: now))
        o["payableAt"] = .string(payableAt)
        o["occurredAt"] = .string(occurredAt)
        o["ruleId"] = .string(ruleId)
        o["rulesHash"] = .string(rulesHash)
        o["basis"] = .string(basis)
        if let reason { o["reason"] = .string(reason) }
        if let payoutId { o["payoutId"] = .string(payoutId) }
        o["createdAt"] = .string(createdAt)
        o["updatedAt"] = .string(updatedAt)
        return .object(o)
    }
}

/// The commission ledger: manual adjustments, listing and totals. Balances per partner
/// and currency are always derived from the entries, never stored.
public enum CommissionLedger {
    public static let statuses = ["pending", "payable", "processing", "paid", "cancelled", "reversed"]

    /// A platform adjustment (positive or negative), payable at once; the reason is required.
    public static func create(_ ctx: RequestContext, partnerId: String, resellerId: String?, amount: Money, reason: String) throws
        -> CommissionRecord
    {
        let partner = try PartnerService.load(partnerId, ctx.db)
        try ctx.authorize(partner: partner)
        if let resellerId { _ = try ResellerService.of(partner, id: resellerId, ctx.db) }
        guard amount.amount != 0 else { throw PorticoError.invalid("amount.amount", "must not be zero") }
        let reason = try Validate.reason(reason)
        var c = CommissionRecord(id: ctx.newID("com"), partnerId: partner.id, beneficiary: resellerId == nil ? "partner" : "reseller",
                                 resellerId: resellerId, saleId: nil, kind: "manual", amount: amount.amount,
                                 currency: amount.currency.code, payableAt: ctx.timestamp, occurredAt: ctx.timestamp, ruleId: nil, rulesHash: nil,
                                 basis: "manual", reason: reason, createdAt: ctx.timestamp)
        try CommissionTable.insert(&c, ctx.db)
        try ctx.audit(targetType: "commission", targetId: c.id, partnerId: partner.id, reason: reason, before: nil,
                      after: c.json(now: ctx.timestamp))
        return c
    }

    static func filter(_ ctx: RequestContext, partnerId: String, status: String?, from: String?, to: String?) throws -> CommissionFilter {
        let partner = try PartnerService.load(partnerId, ctx.db)
        try ctx.authorize(partner: partner)
        if let status, !statuses.contains(status) {
            throw PorticoError.invalid("status", "must be one of \(statuses.joined(separator: ", "))")
        }
        return CommissionFilter(partnerId: partner.id, status: status, from: from, to: to)
    }

    public static func list(_ ctx: RequestContext, partnerId: String, status: String?, from: String?, to: String?, page: PageRequest) throws
        -> JSONValue
    {
        let f = try filter(ctx, partnerId: partnerId, status: status, from: from, to: to)
        let rows = try CommissionTable.page(f, now: ctx.timestamp, afterSeq: page.afterSeq, limit: page.limit + 1, ctx.db)
        let now = ctx.timestamp
        return page.answer(rows, seq: \.seq, json: { $0.json(now: now) })
    }

    /// Totals by status and currency over exactly the entries `list` would show.
    public static func summary(_ ctx: RequestContext, partnerId: String, from: String?, to: String?) throws -> JSONValue {
        let f = try filter(ctx, partnerId: partnerId, status: nil, from: from, to: to)
        let (start, end) = (from ?? ReportQueries.openFrom, to ?? ReportQueries.openTo)
        // Whole-day ranges read the running totals; others sum the entries themselves.
        let rows = ReportQueries.dayAligned(start, end)
            ? try ReportQueries.commissionsFromTotals(partnerId: f.partnerId, from: start, to: end, now: ctx.timestamp,
                                                      periodLength: nil, ctx.db).map { ($0.key, $0.currency, $0.amount, $0.count) }
            : try CommissionTable.summary(f, now: ctx.timestamp, ctx.db)
        var byCurrency: [String: JSONObject] = [:]
        for (status, currency, total, _) in rows {
            var o = byCurrency[currency] ?? JSONObject()
            o[status] = .integer(total)
            byCurrency[currency] = o
        }
        return [
            "partnerId": .string(f.partnerId),
            "totals": .array(rows.map { status, currency, total, count in
                ["status": .string(status), "amount": ["amount": .integer(total), "currency": .string(currency)], "count": .integer(count)]
            }),
            "byCurrency": .object(JSONObject(uniqueMembers: byCurrency.keys.sorted().map { .init(key: $0, value: .object(byCurrency[$0]!)) })),
        ]
    }
}
