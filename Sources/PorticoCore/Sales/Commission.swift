import JSONRPC

/// One entry of the commission ledger.
public struct CommissionRecord: Sendable, Equatable {
    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    public var beneficiary: Beneficiary
    public var resellerId: String?
    public var saleId: String?
    public var kind: CommissionKind
    public var amount: Money
    /// The amount first earned, before refunds shrank it.
    public var originalAmount: Money
    public var status: CommissionStatus
    public var payableAt: Timestamp
    public var occurredAt: Timestamp
    public var ruleId: String?
    public var rulesHash: String?
    public var basis: String?
    public var reason: String?
    public var payoutId: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(id: String, partnerId: String, beneficiary: Beneficiary, resellerId: String?, saleId: String?, kind: CommissionKind,
                amount: Money, status: CommissionStatus = .pending, payableAt: Timestamp, occurredAt: Timestamp, ruleId: String?,
                rulesHash: String?, basis: String?, reason: String?, createdAt: Timestamp)
    {
        self.id = id; self.partnerId = partnerId; self.beneficiary = beneficiary; self.resellerId = resellerId
        self.saleId = saleId; self.kind = kind; self.amount = amount; self.originalAmount = amount
        self.status = status; self.payableAt = payableAt; self.occurredAt = occurredAt; self.ruleId = ruleId; self.rulesHash = rulesHash
        self.basis = basis; self.reason = reason; self.createdAt = createdAt; self.updatedAt = createdAt
    }

    /// Every column, as stored.
    public init(seq: Int64, id: String, partnerId: String, beneficiary: Beneficiary, resellerId: String?, saleId: String?, kind: CommissionKind,
                amount: Money, originalAmount: Money, status: CommissionStatus, payableAt: Timestamp, occurredAt: Timestamp,
                ruleId: String?, rulesHash: String?, basis: String?, reason: String?, payoutId: String?, createdAt: Timestamp,
                updatedAt: Timestamp)
    {
        self.init(id: id, partnerId: partnerId, beneficiary: beneficiary, resellerId: resellerId, saleId: saleId, kind: kind,
                  amount: amount, status: status, payableAt: payableAt, occurredAt: occurredAt, ruleId: ruleId,
                  rulesHash: rulesHash, basis: basis, reason: reason, createdAt: createdAt)
        self.seq = seq; self.originalAmount = originalAmount; self.payoutId = payoutId; self.updatedAt = updatedAt
    }

    /// The entry's currency code.
    public var currency: String { amount.currency.code }

    /// The status as readers see it: a pending entry whose hold has passed is payable.
    public func effectiveStatus(now: Timestamp) -> CommissionStatus {
        status == .pending && payableAt <= now ? .payable : status
    }

    /// The entry as answered, with its status as of `now` (pending turns payable when its
    /// hold ends, whatever the time of reading).
    public func json(now: Timestamp) -> JSONValue { asOf(now).json }

    /// The entry as answered at `now`, to be encoded.
    public func asOf(_ now: Timestamp) -> AsOf { AsOf(entry: self, now: now) }

    public struct AsOf: JSONEncodable {
        public let entry: CommissionRecord
        public let now: Timestamp

        public func encode(to out: inout JSONOutput) {
            let c = entry
            out.object { o in
                o.member("id", c.id); o.member("partnerId", c.partnerId); o.member("beneficiary", c.beneficiary.rawValue)
                o.member("resellerId", c.resellerId); o.member("saleId", c.saleId); o.member("kind", c.kind.rawValue)
                o.member("amount", c.amount)
                if c.amount != c.originalAmount { o.member("originalAmount", c.originalAmount) }
                o.member("status", c.effectiveStatus(now: now).rawValue)
                o.member("payableAt", c.payableAt); o.member("occurredAt", c.occurredAt); o.member("ruleId", c.ruleId)
                o.member("rulesHash", c.rulesHash); o.member("basis", c.basis)
                if let reason = c.reason { o.member("reason", reason) }
                if let payoutId = c.payoutId { o.member("payoutId", payoutId) }
                o.member("createdAt", c.createdAt); o.member("updatedAt", c.updatedAt)
            }
        }
    }
}

/// Who a commission pays.
public enum Beneficiary: String, Sendable, CaseIterable {
    case partner, reseller
}

/// Why an entry is in the ledger: a sale's commission (`sale`, to the seller), the
/// partner's `override` on a reseller's sale, an `adjustment` (a refund taking back part of
/// a paid commission), or a platform's `manual` entry.
public enum CommissionKind: String, Sendable, CaseIterable {
    case sale, override, adjustment, manual
}

/// Where an entry stands. `payable` is never stored: it is a pending entry whose hold has
/// ended, as of the time of reading (`CommissionRecord.effectiveStatus`).
public enum CommissionStatus: String, Sendable, CaseIterable {
    case pending, payable, processing, paid, cancelled, reversed

    /// Entries that count as earned: neither cancelled nor reversed.
    public var stands: Bool { self != .cancelled && self != .reversed }
}

/// Which ledger entries a list or a summary covers.
public struct CommissionFilter: Sendable {
    public var partnerId: String
    /// One of the effective statuses: pending, payable, processing, paid, cancelled, reversed.
    public var status: CommissionStatus?
    /// When the earning occurred.
    public var range: TimeRange
    public init(partnerId: String, status: CommissionStatus? = nil, range: TimeRange = .all) {
        self.partnerId = partnerId; self.status = status; self.range = range
    }
}

/// The commission ledger in storage. An entry that would take a running total (the
/// partner's commissions in the currency on the day, by status) past 2^53 is a
/// `totalLimit`.
public protocol CommissionStore {
    func insert(_ commission: inout CommissionRecord) throws
    func commission(id: String) throws -> CommissionRecord?
    /// A sale's entries in creation order.
    func commissions(saleId: String) throws -> [CommissionRecord]
    /// Sets the amount and status of an entry still in `expected` status; answers false
    /// (changing nothing) when it no longer is.
    func changeCommission(id: String, expected: CommissionStatus, amount: Int64, status: CommissionStatus, updatedAt: Timestamp) throws -> Bool
    /// One page of the filtered entries in creation order after `afterSeq`; statuses as of `now`.
    func commissions(_ filter: CommissionFilter, now: Timestamp, afterSeq: Int64, limit: Int) throws -> [CommissionRecord]
    /// How many entries match the filter (statuses as of `now`).
    func commissionCount(_ filter: CommissionFilter, now: Timestamp) throws -> Int
    /// The filtered entries' totals keyed by effective status (as of `now`), per currency.
    func commissionTotals(_ filter: CommissionFilter, now: Timestamp) throws -> [ReportTotal]
    /// What a beneficiary (the partner itself when `resellerId` is nil) earned in a
    /// currency, occurring in `range`: entries neither cancelled nor reversed.
    func earned(partnerId: String, resellerId: String?, currency: String, range: TimeRange) throws -> Int128
}
