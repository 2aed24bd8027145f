import JSONRPC

/// `payout.webhook`: a Stripe event the host forwards as it received it. The signature
/// is verified first (`StripeSignature`, under any of the secrets file's endpoint
/// secrets); a bad one is -32001 and changes nothing. Then the event is applied once: an
/// event id already applied answers its first result.
///
/// Transfer events (`transfer.created`, `transfer.updated`, `transfer.reversed`) carry the
/// transfer, which names its payout in `metadata[payout_id]` (as the instruction set it):
/// - the transfer exists, so a processing payout is paid, with the transfer id as its
///   reference;
/// - fully reversed (`reversed`, or `amount_reversed` equal to the amount), a paid payout
///   is `reversed`: the money came back, so its lines are payable again (its
///   adjustments open again) for the next payout;
/// - partly reversed, the payout stays paid and records `reversedAmount`; what came back
///   is owed again, as an adjustment of that amount payable at once.
/// Other event types are recorded as not applied.
public enum PayoutWebhook {
    public static let provider = "stripe"

    public static func apply(_ ctx: RequestContext, provider: String, payload: String, signatureHeader: String, receivedAt: Timestamp)
        throws -> JSONValue
    {
        try ctx.authorize(partner: nil)
        guard provider == Self.provider else {
            if provider == "paypal" {
                throw PorticoError.invalid("provider", "PayPal webhooks are verified by PayPal's own verification API: the host verifies them and calls payout.complete or payout.fail")
            }
            throw PorticoError.invalid("provider", "must be \"stripe\"")
        }
        let secrets = ctx.secrets.stripeWebhookSecrets
        guard !secrets.isEmpty else {
            throw PorticoError.unauthenticated("no Stripe webhook secret is configured (stripe.webhook_secret in the file given to --secrets)")
        }
        let bytes = Array(payload.utf8)
        var failure: StripeSignature.Failure = .mismatch
        var verified = false
        for secret in secrets {
            switch StripeSignature.verify(payload: bytes, header: signatureHeader, secret: secret, receivedAt: receivedAt) {
            case .success: verified = true
            case .failure(let f): failure = f
            }
            if verified { break }
        }
        guard verified else { throw PorticoError.unauthenticated(Self.describe(failure)) }

        guard let event = try? JSONReader.parse(bytes).objectValue else { throw PorticoError.invalid("payload", "is not a JSON object") }
        guard let eventId = event["id"]?.stringValue, !eventId.isEmpty else { throw PorticoError.invalid("payload.id", "is required (the event id)") }
        let eventKey = try Validate.key(eventId, field: "payload.id", max: 255)
        guard let type = event["type"]?.stringValue else { throw PorticoError.invalid("payload.type", "is required") }
        if let applied = try ctx.store.providerEvent(provider: provider, eventId: eventKey) { return applied.result }

        var result: JSONObject = ["eventId": .string(eventKey), "type": .string(type)]
        var payoutId: String? = nil
        var partnerId: String? = nil
        if ["transfer.created", "transfer.updated", "transfer.reversed"].contains(type) {
            let (payout, effect) = try applyTransfer(ctx, event: event)
            payoutId = payout.id
            partnerId = payout.partnerId
            result["applied"] = true
            result["effect"] = .string(effect)
            result["payout"] = payout.json
        } else {
            result["applied"] = false
            result["effect"] = "ignored: not a transfer event"
        }
        let record = ProviderEventRecord(provider: provider, eventId: eventKey, type: type, payoutId: payoutId, result: .object(result),
                                         receivedAt: receivedAt, createdAt: ctx.now)
        try ctx.store.insert(record)
        try ctx.audit(targetType: "providerEvent", targetId: provider + "/" + eventKey, partnerId: partnerId, before: nil, after: .object(result))
        return .object(result)
    }

    static func describe(_ f: StripeSignature.Failure) -> String {
        switch f {
        case .malformedHeader: "the Stripe-Signature header has no readable t= timestamp"
        case .noSignature: "the Stripe-Signature header has no v1 signature"
        case .outsideTolerance(let s): "the Stripe-Signature timestamp is \(s) s from receivedAt, beyond the \(StripeSignature.toleranceSeconds) s tolerance (a replayed or delayed event)"
        case .mismatch: "no v1 signature matches the payload under the configured endpoint secrets"
        }
    }

    static func applyTransfer(_ ctx: RequestContext, event: JSONObject) throws -> (PayoutRecord, String) {
        guard let transfer = event["data"]?.objectValue?["object"]?.objectValue else {
            throw PorticoError.invalid("payload.data.object", "a transfer event carries the transfer")
        }
        guard let transferId = transfer["id"]?.stringValue else { throw PorticoError.invalid("payload.data.object.id", "is required") }
        let reference = try Validate.key(transferId, field: "payload.data.object.id", max: 255)
        guard let payoutId = transfer["metadata"]?.objectValue?["payout_id"]?.stringValue ?? transfer["transfer_group"]?.stringValue else {
            throw PorticoError.invalid("payload.data.object.metadata.payout_id", "names no payout: not a transfer this engine instructed")
        }
        var payout = try PayoutService.load(try Validate.key(payoutId, field: "payload.data.object.metadata.payout_id", max: 255), ctx.store)
        guard payout.method == .stripe else {
            throw PorticoError.invalid("payload.data.object.metadata.payout_id", "payout \(payout.id) is paid by \(payout.method.rawValue), not Stripe")
        }
        guard let amount = transfer["amount"]?.integerValue, amount == payout.amount.amount,
              transfer["currency"]?.stringValue?.uppercased() == payout.currency
        else {
            throw PorticoError.invalid("payload.data.object.amount", "the transfer's amount and currency are not payout \(payout.id)'s \(payout.amount)")
        }
        let reversed = transfer["amount_reversed"]?.integerValue ?? 0
        guard reversed >= 0, reversed <= amount else {
            throw PorticoError.invalid("payload.data.object.amount_reversed", "must be between 0 and the amount")
        }
        let fullyReversed = transfer["reversed"]?.boolValue == true || (reversed == amount && amount > 0)

        var effects: [String] = []
        if payout.status == .processing {
            try PayoutService.markPaid(ctx, &payout, reference: reference)
            effects.append("paid")
        }
        guard payout.status == .paid || payout.status == .reversed else {
            throw PorticoError.invalidState(payout.status.rawValue, allowed: ["processing", "paid"],
                                            "payout \(payout.id) is \(payout.status.rawValue), yet Stripe reports transfer \(reference) for it: reconcile by hand")
        }
        guard payout.providerReference == reference else {
            throw PorticoError.invalidState(payout.status.rawValue, allowed: ["processing"],
                                            "payout \(payout.id) was paid as \(payout.providerReference ?? "-"), not transfer \(reference)")
        }
        if payout.status == .paid, fullyReversed {
            try PayoutService.release(ctx, payout)
            let credited = payout.reversedAmount
            payout.reversedAmount = amount
            try PayoutService.move(ctx, &payout, to: .reversed, from: .paid, reason: "transfer \(reference) reversed")
            if credited > 0 {
                // Its lines are payable again in full: what an earlier partial reversal
                // owed again is taken back, or it would be paid twice.
                try adjust(ctx, payout, -credited, reference: reference,
                           reason: "transfer \(reference) of payout \(payout.id) fully reversed: the \(Money(credited, payout.amount.currency)) owed again after its partial reversal is in its lines again")
            }
            effects.append("reversed")
        } else if payout.status == .paid, reversed > payout.reversedAmount {
            let delta = reversed - payout.reversedAmount
            let before = payout
            payout.reversedAmount = reversed
            payout.updatedAt = ctx.now
            guard try ctx.store.update(payout, expected: .paid) else {
                throw PorticoError.invalidState(before.status.rawValue, allowed: ["paid"], "payout \(payout.id) changed meanwhile")
            }
            let reason = "transfer \(reference) of payout \(payout.id) partly reversed: \(Money(delta, payout.amount.currency)) owed again"
            try ctx.audit(targetType: "payout", targetId: payout.id, partnerId: payout.partnerId, reason: reason, before: before.json,
                          after: payout.json)
            try adjust(ctx, payout, delta, reference: reference, reason: reason)
            effects.append("partly reversed")
        }
        return (payout, effects.isEmpty ? "none: already applied" : effects.joined(separator: ", "))
    }

    /// A partner-level ledger adjustment for a reversal, payable at once.
    static func adjust(_ ctx: RequestContext, _ payout: PayoutRecord, _ amount: Int64, reference: String, reason: String) throws {
        var entry = CommissionRecord(id: ctx.newID("com"), partnerId: payout.partnerId, beneficiary: .partner, resellerId: nil, saleId: nil,
                                     kind: .adjustment, amount: Money(amount, payout.amount.currency), payableAt: ctx.now,
                                     occurredAt: ctx.now, ruleId: nil, rulesHash: nil, basis: "reversal of \(reference)",
                                     reason: reason, createdAt: ctx.now)
        try ctx.store.insert(&entry)
        try ctx.audit(targetType: "commission", targetId: entry.id, partnerId: payout.partnerId, reason: reason, before: nil,
                      after: entry.json(now: ctx.now))
    }
}
