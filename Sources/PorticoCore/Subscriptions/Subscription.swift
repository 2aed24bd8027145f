import JSONRPC

public enum SubscriptionInterval: String, Sendable, CaseIterable {
    case month, year

    var months: Int64 { self == .month ? 1 : 12 }
}

public enum SubscriptionStatus: String, Sendable, CaseIterable {
    case active, cancelled
}

/// A customer's subscription to a plan, renewed every interval from its start. Period
/// `n` (from 1) runs from `startAt + (n-1)` intervals to `startAt + n` intervals, each
/// counted from the start (a subscription started on January 31 renews on the last day
/// of shorter months and on the 31st again after), and is sold by one sale whose
/// external id is `<id>/<n>`.
public struct SubscriptionRecord: Sendable, Equatable {
    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    public var resellerId: String?
    public var customerId: String
    public var plan: String
    public var interval: SubscriptionInterval
    public var status: SubscriptionStatus
    public var startAt: Timestamp
    /// The period in force: how many periods have been sold.
    public var period: Int64
    public var periodStart: Timestamp
    public var periodEnd: Timestamp
    /// The price of the period in force (the last sale's amount).
    public var amount: Money
    public var cancelAtPeriodEnd: Bool
    public var cancelledAt: Timestamp?
    /// When it stopped: at once when cancelled so, else the end of its last period.
    public var endedAt: Timestamp?
    public var lastSaleId: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, id: String, partnerId: String, resellerId: String?, customerId: String, plan: String,
                interval: SubscriptionInterval, status: SubscriptionStatus, startAt: Timestamp, period: Int64, periodStart: Timestamp,
                periodEnd: Timestamp, amount: Money, cancelAtPeriodEnd: Bool, cancelledAt: Timestamp?, endedAt: Timestamp?,
                lastSaleId: String, createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.resellerId = resellerId; self.customerId = customerId
        self.plan = plan; self.interval = interval; self.status = status; self.startAt = startAt; self.period = period
        self.periodStart = periodStart; self.periodEnd = periodEnd; self.amount = amount; self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.cancelledAt = cancelledAt; self.endedAt = endedAt; self.lastSaleId = lastSaleId; self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The external id of the sale of period `n`.
    public func saleExternalId(period n: Int64) -> String { "\(id)/\(n)" }

    /// Where period `n` starts (period 1 at `startAt`); nil past the instants the engine holds.
    public func start(ofPeriod n: Int64) -> Timestamp? { startAt.adding(months: (n - 1) * interval.months) }
}

extension SubscriptionRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("resellerId", resellerId); o.member("customerId", customerId)
            o.member("plan", plan); o.member("interval", interval.rawValue); o.member("status", status.rawValue)
            o.member("startAt", startAt); o.member("period", period); o.member("currentPeriodStart", periodStart)
            o.member("currentPeriodEnd", periodEnd); o.member("amount", amount); o.member("cancelAtPeriodEnd", cancelAtPeriodEnd)
            o.member("cancelledAt", cancelledAt); o.member("endedAt", endedAt)
            o.member("lastSaleId", lastSaleId); o.member("createdAt", createdAt); o.member("updatedAt", updatedAt)
        }
    }
}

/// Subscriptions in storage.
public protocol SubscriptionStore {
    func insert(_ subscription: inout SubscriptionRecord) throws
    func subscription(id: String) throws -> SubscriptionRecord?
    /// A partner's subscriptions (or one customer's), optionally of one status, in
    /// creation order after `afterSeq`.
    func subscriptions(partnerId: String, customerId: String?, status: SubscriptionStatus?, afterSeq: Int64, limit: Int) throws
        -> [SubscriptionRecord]
    /// Writes `s` over the stored row, guarded: only when the stored row is still in
    /// period `expectedPeriod` with status active; answers whether it applied.
    func update(_ s: SubscriptionRecord, expectedPeriod: Int64) throws -> Bool
    /// Active subscriptions whose period ended at or before `asOf`, by (periodEnd, seq)
    /// after the given key.
    func dueSubscriptions(asOf: Timestamp, after: (periodEnd: Timestamp, seq: Int64)?, limit: Int) throws -> [SubscriptionRecord]
    /// How many active subscriptions have a period that ended at or before `asOf`.
    func countDueSubscriptions(asOf: Timestamp) throws -> Int
}
