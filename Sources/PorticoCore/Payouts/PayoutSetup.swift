import JSONRPC
import PorticoRules

/// Where and how often a partner is paid: its payout accounts and its schedule.
public enum PayoutSetup {
    /// A destination as the provider names it, and how the instruction addresses it.
    public struct Destination: Sendable, Equatable {
        public var text: String
        /// PayPal's `recipient_type`: `EMAIL` or `PAYPAL_ID`; nil for the others.
        public var paypalRecipientType: String?
    }

    /// Checks a destination for its method: a Stripe connected account (`acct_` and 16 or
    /// more letters and digits), a PayPal receiver (an email address, or a PayPal payer id:
    /// 13 upper-case letters and digits), or for `manual` a visible description of where
    /// the platform pays by hand (a bank reference, at most 200 code points).
    public static func destination(_ raw: String, method: PayoutMethod, field: String = "destination") throws(PorticoError) -> Destination {
        switch method {
        case .stripe:
            let rest = raw.utf8.dropFirst(5)
            guard raw.hasPrefix("acct_"), rest.count >= 16, rest.count <= 64, rest.allSatisfy(isAlphanumeric) else {
                throw .invalid(field, "a Stripe destination is a connected account id: acct_ and 16 to 64 letters and digits")
            }
            return Destination(text: raw, paypalRecipientType: nil)
        case .paypal:
            if raw.utf8.count == 13, raw.utf8.allSatisfy({ isDigit($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) {
                return Destination(text: raw, paypalRecipientType: "PAYPAL_ID")
            }
            guard raw.contains("@") else {
                throw .invalid(field, "a PayPal destination is the receiver's email address or PayPal payer id (13 upper-case letters and digits)")
            }
            return Destination(text: try Validate.email(raw, field: field), paypalRecipientType: "EMAIL")
        case .manual:
            return Destination(text: try Validate.name(raw, field: field), paypalRecipientType: nil)
        }
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    static func isAlphanumeric(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
    }

    /// Sets the partner's account for `currency` (nil: its default). A new destination or
    /// method on an account that existed holds the payouts created from then on for the
    /// rules' `destination_change_hold_days`; the first account set is not held.
    public static func setAccount(_ ctx: RequestContext, partnerId: String, method: String, destination: String, currency: String?)
        throws -> PayoutAccountRecord
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let method: PayoutMethod = try Validate.oneOf(method, field: "method")
        let dest = try Self.destination(destination, method: method)
        let code = try currency.map { c throws(PorticoError) in try Validate.currency(c).code }
        let before = try ctx.store.payoutAccount(partnerId: partner.id, currency: code)
        var account = PayoutAccountRecord(partnerId: partner.id, currency: code, method: method, destination: dest.text,
                                          holdUntil: nil, createdAt: before?.createdAt ?? ctx.now, updatedAt: ctx.now)
        if let before {
            guard before.method != method || before.destination != dest.text else { return before }
            let days = Int64(ctx.rules.commission.destinationChangeHoldDays)
            account.holdUntil = days > 0 ? ctx.now.adding(days: days) : nil
            account.seq = before.seq
        }
        try ctx.store.save(account)
        try ctx.audit(targetType: "payoutAccount", targetId: partner.id + "/" + (code ?? "default"), partnerId: partner.id,
                      before: before?.json, after: account.json)
        return account
    }

    /// The account a payout in `currency` goes to: the currency's own, else the default.
    public static func account(for partnerId: String, currency: String, _ store: any StoreTransaction) throws -> PayoutAccountRecord? {
        if let a = try store.payoutAccount(partnerId: partnerId, currency: currency) { return a }
        return try store.payoutAccount(partnerId: partnerId, currency: nil)
    }

    public static func accounts(_ ctx: RequestContext, partnerId: String) throws -> (accounts: [PayoutAccountRecord], schedule: PayoutScheduleRecord?) {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        return (try ctx.store.payoutAccounts(partnerId: partner.id), try ctx.store.payoutSchedule(partnerId: partner.id))
    }

    /// Sets how often the partner is paid: `weekly` on `day` 1 (Monday) ... 7 (Sunday),
    /// `monthly` on `day` 1...31 (the last day of shorter months), `manual` without a day.
    public static func schedule(_ ctx: RequestContext, partnerId: String, cadence: String, day requested: Int64?) throws -> PayoutScheduleRecord {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let cadence: PayoutCadence = try Validate.oneOf(cadence, field: "cadence")
        let day: Int?
        switch cadence {
        case .weekly:
            guard let d = requested, (1...7).contains(d) else { throw PorticoError.invalid("day", "a weekly schedule needs a day from 1 (Monday) to 7 (Sunday)") }
            day = Int(d)
        case .monthly:
            guard let d = requested, (1...31).contains(d) else {
                throw PorticoError.invalid("day", "a monthly schedule needs a day of the month from 1 to 31 (shorter months pay on their last day)")
            }
            day = Int(d)
        case .manual:
            guard requested == nil else { throw PorticoError.invalid("day", "a manual schedule has no day") }
            day = nil
        }
        let before = try ctx.store.payoutSchedule(partnerId: partner.id)
        let schedule = PayoutScheduleRecord(partnerId: partner.id, cadence: cadence, day: day, createdAt: before?.createdAt ?? ctx.now,
                                            updatedAt: ctx.now)
        if let before, before.cadence == cadence, before.day == day { return before }
        try ctx.store.save(schedule)
        try ctx.audit(targetType: "payoutSchedule", targetId: partner.id, partnerId: partner.id, before: before?.json, after: schedule.json)
        return schedule
    }

    /// The period a schedule pays at `asOf` when it is due then (its day of the period
    /// reached), else nil: `2027-01` for a monthly schedule, the ISO week `2027-W05` for a
    /// weekly one.
    public static func duePeriod(_ schedule: PayoutScheduleRecord, asOf: Timestamp) -> String? {
        guard let day = schedule.day else { return nil }
        let (y, m, d) = asOf.civil
        switch schedule.cadence {
        case .manual: return nil
        case .monthly:
            guard d >= min(Int64(day), Timestamp.daysIn(month: m, year: y)) else { return nil }
            return Timestamp.pad(y, 4) + "-" + Timestamp.pad(m, 2)
        case .weekly:
            let days = asOf.days
            let weekday = (days + 3).floorMod(7) + 1   // 1970-01-01 was a Thursday
            guard weekday >= Int64(day) else { return nil }
            let thursday = Timestamp(millisecondsSinceEpoch: (days - weekday + 4) * Timestamp.msPerDay)
            let (isoYear, _, _) = thursday.civil
            let week = (thursday.days - Timestamp.utc(isoYear, 1, 1).days) / 7 + 1
            return Timestamp.pad(isoYear, 4) + "-W" + Timestamp.pad(week, 2)
        }
    }
}
