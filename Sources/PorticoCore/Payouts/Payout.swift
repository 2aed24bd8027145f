import JSONRPC

/// How a partner is paid: a Stripe connected account, a PayPal receiver, or by hand (the
/// platform pays outside any provider and reports the outcome).
public enum PayoutMethod: String, Sendable, CaseIterable {
    case stripe, paypal, manual
}

/// Where a payout stands.
///
///     created ──process──▶ processing ──complete──▶ paid ──reversal (webhook)──▶ reversed
///        │                     └──fail──▶ failed
///        └──cancel──▶ cancelled
///
/// Failed, cancelled and reversed payouts release their lines: the commissions are
/// payable and the adjustments open again, for the next payout.
public enum PayoutStatus: String, Sendable, CaseIterable {
    case created, processing, paid, failed, cancelled, reversed

    /// The states each state may move to.
    public var next: [PayoutStatus] {
        switch self {
        case .created: [.processing, .cancelled]
        case .processing: [.paid, .failed]
        case .paid: [.reversed]
        case .failed, .cancelled, .reversed: []
        }
    }

    /// Whether the payout holds its lines (they are in no other payout).
    public var holdsLines: Bool { self == .created || self == .processing || self == .paid }
}

/// A partner's payout destination, for one currency or (currency nil) for every currency
/// without one of its own.
public struct PayoutAccountRecord: Sendable, Equatable {
    public var seq: Int64 = 0
    public var partnerId: String
    /// nil: the partner's default account.
    public var currency: String?
    public var method: PayoutMethod
    public var destination: String
    /// Payouts created before this instant wait until it to be processed: set when the
    /// destination changes (the rules' `destination_change_hold_days`), nil on the first.
    public var holdUntil: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, partnerId: String, currency: String?, method: PayoutMethod, destination: String, holdUntil: Timestamp?,
                createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.partnerId = partnerId; self.currency = currency; self.method = method; self.destination = destination
        self.holdUntil = holdUntil; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public var json: JSONValue {
        var o: JSONObject = ["partnerId": .string(partnerId), "currency": .string(currency), "method": .string(method.rawValue),
                             "destination": .string(destination)]
        o["holdUntil"] = holdUntil.map { .string($0.rfc3339) } ?? .null
        o["createdAt"] = .string(createdAt.rfc3339)
        o["updatedAt"] = .string(updatedAt.rfc3339)
        return .object(o)
    }
}

/// How often a partner is paid: `weekly` on an ISO weekday (1 Monday ... 7 Sunday),
/// `monthly` on a day of the month (1...31; a month without that day pays on its last
/// day), or `manual` (only `payout.create`).
public enum PayoutCadence: String, Sendable, CaseIterable {
    case weekly, monthly, manual
}

public struct PayoutScheduleRecord: Sendable, Equatable {
    public var partnerId: String
    public var cadence: PayoutCadence
    /// The weekday or day of the month; nil for `manual`.
    public var day: Int?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(partnerId: String, cadence: PayoutCadence, day: Int?, createdAt: Timestamp, updatedAt: Timestamp) {
        self.partnerId = partnerId; self.cadence = cadence; self.day = day; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public var json: JSONValue {
        ["partnerId": .string(partnerId), "cadence": .string(cadence.rawValue), "day": day.map { .integer(Int64($0)) } ?? .null,
         "createdAt": .string(createdAt.rfc3339), "updatedAt": .string(updatedAt.rfc3339)]
    }
}

/// One payout: every payable commission and open adjustment of a partner in one currency
/// when it was created, paid to the destination it was created with.
public struct PayoutRecord: Sendable, Equatable {
    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    /// The exact sum of its lines.
    public var amount: Money
    public var lineCount: Int64
    public var status: PayoutStatus
    public var method: PayoutMethod
    public var destination: String
    /// The scheduled period it pays (`2027-01`, `2027-W05`); nil when made on demand.
    public var period: String?
    /// The entries payable at this instant were gathered.
    public var asOf: Timestamp
    /// Not processed before this instant (a recent destination change).
    public var holdUntil: Timestamp?
    /// The transfer instruction as answered (JSON text), fixed when first processed.
    public var instruction: String?
    public var providerReference: String?
    public var failureReason: String?
    /// What the provider took back after payment (a partial reversal), in minor units.
    public var reversedAmount: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, id: String, partnerId: String, amount: Money, lineCount: Int64, status: PayoutStatus, method: PayoutMethod,
                destination: String, period: String?, asOf: Timestamp, holdUntil: Timestamp?, instruction: String? = nil,
                providerReference: String? = nil, failureReason: String? = nil, reversedAmount: Int64 = 0, createdAt: Timestamp,
                updatedAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.amount = amount; self.lineCount = lineCount; self.status = status
        self.method = method; self.destination = destination; self.period = period; self.asOf = asOf; self.holdUntil = holdUntil
        self.instruction = instruction; self.providerReference = providerReference; self.failureReason = failureReason
        self.reversedAmount = reversedAmount; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public var currency: String { amount.currency.code }
}

extension PayoutRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("amount", amount); o.member("lines", lineCount)
            o.member("status", status.rawValue); o.member("method", method.rawValue); o.member("destination", destination)
            o.member("period", period); o.member("asOf", asOf); o.member("holdUntil", holdUntil)
            o.member("providerReference", providerReference)
            if let failureReason { o.member("failureReason", failureReason) }
            if reversedAmount != 0 { o.member("reversedAmount", Money(reversedAmount, amount.currency)) }
            o.member("createdAt", createdAt); o.member("updatedAt", updatedAt)
        }
    }
}

/// Which payouts a list covers.
public struct PayoutFilter: Sendable {
    /// nil: every partner's (the platform only).
    public var partnerId: String?
    public var status: PayoutStatus?
    /// When the payout was created.
    public var range: TimeRange
    public init(partnerId: String?, status: PayoutStatus?, range: TimeRange) {
        self.partnerId = partnerId; self.status = status; self.range = range
    }
}

/// A partner's payable balance in one currency: the payable commissions and open
/// adjustments a payout created now would gather.
public struct PayableBalance: Sendable, Equatable {
    public var currency: String
    public var net: Int128
    public var count: Int64
    public init(currency: String, net: Int128, count: Int64) { self.currency = currency; self.net = net; self.count = count }
}

/// One line of a statement: a ledger entry and where it came from.
public struct StatementLine: Sendable, Equatable {
    public var seq: Int64
    public var commission: CommissionRecord
    public var customerId: String?
    public var plan: String?
    public init(seq: Int64, commission: CommissionRecord, customerId: String?, plan: String?) {
        self.seq = seq; self.commission = commission; self.customerId = customerId; self.plan = plan
    }
}

/// A provider event applied once (`payout.webhook`): its first answer, kept.
public struct ProviderEventRecord: Sendable, Equatable {
    public var provider: String
    public var eventId: String
    public var type: String
    public var payoutId: String?
    public var result: JSONValue
    public var receivedAt: Timestamp
    public var createdAt: Timestamp
    public init(provider: String, eventId: String, type: String, payoutId: String?, result: JSONValue, receivedAt: Timestamp,
                createdAt: Timestamp)
    {
        self.provider = provider; self.eventId = eventId; self.type = type; self.payoutId = payoutId; self.result = result
        self.receivedAt = receivedAt; self.createdAt = createdAt
    }
}

/// Payouts in storage. A ledger entry is in a payout when its `payoutId` names it: one
/// column, so an entry is in at most one payout at a time by construction, and the store
/// checks that exactly the entries in `processing` or `paid` status name one. Payouts
/// that release their lines keep a copy of them for their statement.
public protocol PayoutStore {
    func payoutAccount(partnerId: String, currency: String?) throws -> PayoutAccountRecord?
    /// The partner's accounts, the default first.
    func payoutAccounts(partnerId: String) throws -> [PayoutAccountRecord]
    /// Inserts or replaces the partner's account for `account.currency`.
    func save(_ account: PayoutAccountRecord) throws
    func payoutSchedule(partnerId: String) throws -> PayoutScheduleRecord?
    func save(_ schedule: PayoutScheduleRecord) throws
    /// Every schedule that is not `manual`, in partner creation order, after `afterPartnerSeq`.
    func payoutSchedules(afterPartnerSeq: Int64, limit: Int) throws -> [(partnerSeq: Int64, schedule: PayoutScheduleRecord)]
    /// How many schedules are not `manual` (what a scheduled run goes through).
    func countPayoutSchedules() throws -> Int

    /// The partner's payable entries (pending, hold ended at `asOf`) summed per currency.
    func payableBalances(partnerId: String, asOf: Timestamp) throws -> [PayableBalance]
    /// Inserts the payout and moves every payable entry of its partner and currency at
    /// `payout.asOf` into it (status `processing`, `payoutId` set), in one statement;
    /// answers what it moved. The caller checks it against the balance it read.
    func insert(_ payout: inout PayoutRecord) throws -> PayableBalance
    func payout(id: String) throws -> PayoutRecord?
    /// Whether a payout for that scheduled period exists (whatever its status).
    func payoutExists(partnerId: String, currency: String, period: String) throws -> Bool
    /// Writes the payout's fields if it is still in `expected` status; false otherwise.
    func update(_ payout: PayoutRecord, expected: PayoutStatus) throws -> Bool
    /// Moves the payout's entries from `from` to `to` (`processing` to `paid`); answers how many.
    func movePayoutLines(payoutId: String, from: CommissionStatus, to: CommissionStatus, updatedAt: Timestamp) throws -> Int64
    /// Copies the payout's entries to its statement history, then makes them payable (or
    /// open) again: status `pending`, `payoutId` cleared. Answers how many and their sum.
    func releasePayoutLines(payoutId: String, updatedAt: Timestamp) throws -> PayableBalance
    func payouts(_ filter: PayoutFilter, afterSeq: Int64, limit: Int) throws -> [PayoutRecord]
    /// How many payouts match the filter.
    func payoutCount(_ filter: PayoutFilter) throws -> Int
    /// The payout's lines in ledger order after `afterSeq` (its history when released).
    func statementLines(payoutId: String, released: Bool, afterSeq: Int64, limit: Int) throws -> [StatementLine]
    /// Totals of the payout's lines by kind (sale, override, adjustment, manual), exact.
    func statementTotals(payoutId: String, released: Bool) throws -> [(kind: CommissionKind, count: Int64, amount: Int128)]

    func providerEvent(provider: String, eventId: String) throws -> ProviderEventRecord?
    func insert(_ event: ProviderEventRecord) throws
}
