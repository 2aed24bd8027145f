import JSONRPC
import PorticoRules

/// Payouts: gathering a partner's payable ledger entries into a payout, handing the host
/// the exact transfer instruction, and recording the outcome. The engine never calls a
/// provider: the state change and the instruction are written in one transaction (an
/// outbox), and the instruction is the same bytes every time it is asked for, so a host
/// that crashed after sending resends it and the provider deduplicates by its key.
///
/// A payout pays the partner everything its ledger holds payable in one currency, its
/// resellers' entries included: the platform pays the partner, and the statement names
/// each reseller's lines for the partner to pass on.
public enum PayoutService {
    public static func load(_ id: String, _ store: any StoreTransaction) throws -> PayoutRecord {
        guard let p = try store.payout(id: id) else { throw PorticoError.notFound("payout", id) }
        return p
    }

    /// The payout and its partner, the caller authorized on that partner.
    static func authorized(_ ctx: RequestContext, _ id: String) throws -> (PayoutRecord, PartnerRecord) {
        let payout = try load(id, ctx.store)
        let partner = try PartnerService.load(payout.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        return (payout, partner)
    }

    /// The partner a payout is of (-32004 for no such payout), for a check of another
    /// action on it (its statement's export).
    static func partnerOf(_ ctx: RequestContext, _ id: String) throws -> String {
        try load(id, ctx.store).partnerId
    }

    /// Built in, whatever the permission rules say: a frozen or suspended partner gets no
    /// new payout and none processed (its earnings go on).
    static func requireActive(_ partner: PartnerRecord) throws(PorticoError) {
        guard partner.status == .active else {
            throw .invalidState(partner.status.rawValue, allowed: ["active"], "partner \(partner.id) is \(partner.status.rawValue): payouts stop until it is active again")
        }
    }

    /// What gathering found for one partner and currency.
    public enum Outcome: Sendable, Equatable {
        case created(PayoutRecord)
        /// The net (possibly negative: carried forward) does not reach the minimum.
        case belowMinimum(net: Int128, minimum: Int64)
        case noAccount
        case alreadyCreated
    }

    /// Gathers every payable entry of the partner in `currency` as of `asOf` into a new
    /// payout when the net reaches the minimum payout (`period` names a scheduled run's
    /// period, which is paid once).
    static func gather(_ ctx: RequestContext, partner: PartnerRecord, currency: Currency, minimum: Int64, asOf: Timestamp, period: String?,
                       balance known: PayableBalance?) throws -> Outcome
    {
        if let period, try ctx.store.payoutExists(partnerId: partner.id, currency: currency.code, period: period) { return .alreadyCreated }
        let balance = try known ?? ctx.store.payableBalances(partnerId: partner.id, asOf: asOf).first { $0.currency == currency.code }
            ?? PayableBalance(currency: currency.code, net: 0, count: 0)
        guard balance.count > 0, balance.net >= Int128(max(minimum, 1)) else { return .belowMinimum(net: balance.net, minimum: minimum) }
        guard balance.net <= Int128(Money.jsonLimit) else { throw PorticoError.totalLimit("the payout of \(partner.id) in \(currency.code)") }
        guard let account = try PayoutSetup.account(for: partner.id, currency: currency.code, ctx.store) else { return .noAccount }
        var payout = PayoutRecord(id: ctx.newID("po"), partnerId: partner.id, amount: Money(Int64(balance.net), currency),
                                  lineCount: balance.count, status: .created, method: account.method, destination: account.destination,
                                  period: period, asOf: asOf, holdUntil: account.holdUntil.flatMap { $0 > ctx.now ? $0 : nil },
                                  createdAt: ctx.now, updatedAt: ctx.now)
        let moved = try ctx.store.insert(&payout)
        guard moved == balance else {
            throw PorticoError(.internalError, "payout \(payout.id) moved \(moved.count) entries (\(moved.net)) but gathered \(balance.count) (\(balance.net))")
        }
        try ctx.audit(targetType: "payout", targetId: payout.id, partnerId: partner.id, before: nil, after: payout.json)
        return .created(payout)
    }

    /// The minimum payout of a currency, which the commission rules must name.
    static func minimum(_ ctx: RequestContext, _ currency: Currency, field: String = "currency") throws(PorticoError) -> Int64 {
        guard let m = ctx.rules.commission.minimumPayout[currency.code] else {
            throw .invalid(field, "\(currency.code) has no minimum payout in commission.yaml (minimum_payout), so it is not paid out")
        }
        return m
    }

    /// `payout.create`: on demand, for one currency.
    public static func create(_ ctx: RequestContext, partnerId: String, currency: String) throws -> PayoutRecord {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let currency = try Validate.currency(currency)
        let minimum = try minimum(ctx, currency)
        try requireActive(partner)
        switch try gather(ctx, partner: partner, currency: currency, minimum: minimum, asOf: ctx.now, period: nil, balance: nil) {
        case .created(let p): return p
        case .belowMinimum(let net, let minimum):
            let carried = net < 0 ? "; a negative balance is carried forward, never paid" : ""
            let exact = net.magnitude <= UInt128(Money.jsonLimit) ? Money(Int64(net), currency) : nil
            throw PorticoError.invalidState("below_minimum", allowed: [],
                                            "the payable balance \(exact?.description ?? "\(net) minor units of \(currency.code)") does not reach the minimum payout \(Money(minimum, currency))\(carried)",
                                            data: ["net": exact?.json ?? .string(String(net)), "minimum": Money(minimum, currency).json])
        case .noAccount:
            throw PorticoError.invalidState("no_payout_account", allowed: [],
                                            "partner \(partner.id) has no payout account for \(currency.code) and no default one (payout.account.set)")
        case .alreadyCreated:
            throw PorticoError(.internalError, "an on-demand payout has no period")
        }
    }

    /// `payout.process`: moves a created payout to `processing` and answers its transfer
    /// instruction, fixed then; asked again while processing (or after), the same bytes.
    public static func process(_ ctx: RequestContext, id: String) throws -> (PayoutRecord, JSONValue) {
        var (payout, partner) = try authorized(ctx, id)
        if payout.status != .created, let text = payout.instruction {
            return (payout, try instructionValue(text))
        }
        guard payout.status == .created else {
            throw PorticoError.invalidState(payout.status.rawValue, allowed: ["created"], "payout \(payout.id) is \(payout.status.rawValue)")
        }
        try requireActive(partner)
        if let hold = payout.holdUntil, hold > ctx.now {
            throw PorticoError.invalidState("on_hold", allowed: ["created"],
                                            "payout \(payout.id) waits until \(hold.rfc3339): its destination changed recently",
                                            data: ["holdUntil": .string(hold.rfc3339)])
        }
        // Stored as the text answered; answered later by reading that text back, which
        // writes the same bytes (the reader keeps members in order).
        let instruction = try Self.instruction(payout)
        payout.instruction = JSONWriter.string(instruction)
        try move(ctx, &payout, to: .processing, from: .created)
        return (payout, instruction)
    }

    static func instructionValue(_ text: String) throws -> JSONValue {
        try JSONReader.parse(text)
    }

    /// The instruction for the payout's method and destination, made from the payout alone.
    public static func instruction(_ p: PayoutRecord) throws -> JSONValue {
        switch p.method {
        case .stripe:
            return TransferInstruction.stripe(payoutId: p.id, amount: p.amount, destination: p.destination).json
        case .paypal:
            let d = try PayoutSetup.destination(p.destination, method: .paypal)
            return TransferInstruction.paypal(payoutId: p.id, amount: p.amount, receiver: d.text,
                                              recipientType: d.paypalRecipientType ?? "EMAIL").json
        case .manual:
            return ["provider": "manual", "destination": .string(p.destination), "amount": p.amount.json,
                    "reference": .string(TransferInstruction.key(payoutId: p.id))]
        }
    }

    /// Writes a status change guarded on the state read, and audits it.
    static func move(_ ctx: RequestContext, _ payout: inout PayoutRecord, to status: PayoutStatus, from: PayoutStatus,
                     reason: String? = nil) throws
    {
        let before = payout
        payout.status = status
        payout.updatedAt = ctx.now
        guard try ctx.store.update(payout, expected: from) else {
            throw PorticoError.invalidState(before.status.rawValue, allowed: [from.rawValue], "payout \(payout.id) changed meanwhile")
        }
        try ctx.audit(targetType: "payout", targetId: payout.id, partnerId: payout.partnerId, reason: reason, before: before.json,
                      after: payout.json)
    }

    /// `payout.complete`: the provider paid. The same reference again answers the payout.
    public static func complete(_ ctx: RequestContext, id: String, providerReference: String) throws -> PayoutRecord {
        var (payout, _) = try authorized(ctx, id)
        let reference = try Validate.key(providerReference, field: "providerReference", max: 255)
        if payout.status == .paid, payout.providerReference == reference { return payout }
        guard payout.status == .processing else {
            throw PorticoError.invalidState(payout.status.rawValue, allowed: ["processing"],
                                            payout.status == .paid ? "payout \(payout.id) was already paid as \(payout.providerReference ?? "-")"
                                                                   : "payout \(payout.id) is \(payout.status.rawValue)")
        }
        try markPaid(ctx, &payout, reference: reference)
        return payout
    }

    static func markPaid(_ ctx: RequestContext, _ payout: inout PayoutRecord, reference: String) throws {
        let moved = try ctx.store.movePayoutLines(payoutId: payout.id, from: .processing, to: .paid, updatedAt: ctx.now)
        guard moved == payout.lineCount else {
            throw PorticoError(.internalError, "payout \(payout.id) has \(payout.lineCount) lines but \(moved) were processing")
        }
        payout.providerReference = reference
        try move(ctx, &payout, to: .paid, from: .processing)
    }

    /// `payout.fail`: the provider refused or the host gave up; the lines are payable
    /// (and the adjustments open) again.
    public static func fail(_ ctx: RequestContext, id: String, reason: String) throws -> PayoutRecord {
        var (payout, _) = try authorized(ctx, id)
        let reason = try Validate.reason(reason)
        guard payout.status == .processing else {
            throw PorticoError.invalidState(payout.status.rawValue, allowed: ["processing"], "payout \(payout.id) is \(payout.status.rawValue)")
        }
        try release(ctx, payout)
        payout.failureReason = reason
        try move(ctx, &payout, to: .failed, from: .processing, reason: reason)
        return payout
    }

    /// `payout.cancel`: only before processing.
    public static func cancel(_ ctx: RequestContext, id: String) throws -> PayoutRecord {
        var (payout, _) = try authorized(ctx, id)
        guard payout.status == .created else {
            throw PorticoError.invalidState(payout.status.rawValue, allowed: ["created"], "payout \(payout.id) is \(payout.status.rawValue)")
        }
        try release(ctx, payout)
        try move(ctx, &payout, to: .cancelled, from: .created)
        return payout
    }

    static func release(_ ctx: RequestContext, _ payout: PayoutRecord) throws {
        let released = try ctx.store.releasePayoutLines(payoutId: payout.id, updatedAt: ctx.now)
        guard released.count == payout.lineCount, released.net == Int128(payout.amount.amount) else {
            throw PorticoError(.internalError, "payout \(payout.id) released \(released.count) lines (\(released.net)), not its \(payout.lineCount) (\(payout.amount.amount))")
        }
    }

    public static func get(_ ctx: RequestContext, id: String) throws -> PayoutRecord {
        try authorized(ctx, id).0
    }

    /// `payout.list`: a partner's payouts (a member's own partner when it names none), or
    /// every partner's for the platform.
    public static func list(_ ctx: RequestContext, partnerId: String?, status: String?, range: TimeRange, page: PageRequest) throws
        -> Page<PayoutRecord>
    {
        let filter = try filter(ctx, partnerId: partnerId, status: status, range: range)
        let rows = range.isEmpty ? [] : try ctx.store.payouts(filter, afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// How many payouts `list` shows with the same params, all pages together.
    public static func count(_ ctx: RequestContext, partnerId: String?, status: String?, range: TimeRange) throws -> Int {
        let filter = try filter(ctx, partnerId: partnerId, status: status, range: range)
        return range.isEmpty ? 0 : try ctx.store.payoutCount(filter)
    }

    /// The payouts `list` shows, the caller authorized on them: a member's own partner's
    /// when it names none, every partner's for the platform.
    static func filter(_ ctx: RequestContext, partnerId: String?, status: String?, range: TimeRange) throws -> PayoutFilter {
        var partnerId = partnerId
        if partnerId == nil, case .member(_, let partner)? = ctx.actor { partnerId = partner.id }
        if let id = partnerId {
            try ctx.authorize(partner: try PartnerService.load(id, ctx.store))
        } else {
            try ctx.authorize(partner: nil)
        }
        let status = try status.map { s throws(PorticoError) -> PayoutStatus in try Validate.oneOf(s, field: "status") }
        return PayoutFilter(partnerId: partnerId, status: status, range: range)
    }

    /// A payout's statement: its lines (a page of them) and totals by kind that add up to
    /// its amount exactly.
    public struct Statement {
        public var payout: PayoutRecord
        public var lines: Page<StatementLine>
        public var totals: [(kind: CommissionKind, count: Int64, amount: Int128)]

        public func json(now: Timestamp) -> JSONValue {
            let currency = payout.amount.currency
            let total = totals.reduce(Int128(0)) { $0 + $1.amount }
            return [
                "payout": payout.json,
                "lines": lines.json { l in
                    let c = l.commission
                    return ["commissionId": .string(c.id), "kind": .string(c.kind.rawValue), "beneficiary": .string(c.beneficiary.rawValue),
                            "resellerId": .string(c.resellerId), "saleId": .string(c.saleId), "customerId": .string(l.customerId),
                            "plan": .string(l.plan), "ruleId": .string(c.ruleId), "basis": .string(c.basis),
                            "reason": .string(c.reason), "occurredAt": .string(c.occurredAt.rfc3339), "amount": c.amount.json]
                },
                "totals": [
                    "byKind": .array(totals.map { t in
                        ["kind": .string(t.kind.rawValue), "count": .integer(t.count), "amount": Money(Int64(clamping: t.amount), currency).json]
                    }),
                    "lines": .integer(totals.reduce(0) { $0 + $1.count }),
                    "amount": Money(Int64(clamping: total), currency).json,
                ],
            ]
        }
    }

    public static func statement(_ ctx: RequestContext, id: String, page: PageRequest) throws -> Statement {
        let payout = try authorized(ctx, id).0
        let released = !payout.status.holdsLines
        let rows = try ctx.store.statementLines(payoutId: payout.id, released: released, afterSeq: page.afterSeq, limit: page.limit + 1)
        let totals = try ctx.store.statementTotals(payoutId: payout.id, released: released)
        let sum = totals.reduce(Int128(0)) { $0 + $1.amount }
        guard sum == Int128(payout.amount.amount), totals.reduce(0, { $0 + $1.count }) == payout.lineCount else {
            throw PorticoError(.internalError, "payout \(payout.id)'s lines add up to \(sum), not its amount \(payout.amount.amount)")
        }
        return Statement(payout: payout, lines: page.page(rows, seq: \.seq), totals: totals)
    }
}
