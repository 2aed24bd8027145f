import JSONRPC

/// A recorded sale.
public struct SaleRecord: Sendable, Equatable {
    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    public var resellerId: String?
    public var customerId: String
    public var externalId: String
    public var plan: String
    public var kind: SaleKind
    public var amount: Money
    /// What refunds took back, in the sale's currency.
    public var refunded: Money
    public var occurredAt: Timestamp
    public var rulesHash: String
    /// The audit record whose `after` is the answer sale.record gave.
    public var auditSeq: Int64
    public var createdAt: Timestamp

    public init(seq: Int64 = 0, id: String, partnerId: String, resellerId: String?, customerId: String, externalId: String,
                plan: String, kind: SaleKind, amount: Money, refunded: Int64 = 0, occurredAt: Timestamp,
                rulesHash: String, auditSeq: Int64 = 0, createdAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.resellerId = resellerId; self.customerId = customerId
        self.externalId = externalId; self.plan = plan; self.kind = kind; self.amount = amount
        self.refunded = Money(refunded, amount.currency); self.occurredAt = occurredAt; self.rulesHash = rulesHash
        self.auditSeq = auditSeq; self.createdAt = createdAt
    }

    /// The sale's currency code.
    public var currency: String { amount.currency.code }

    /// What is left to refund, in minor units.
    public var refundable: Int64 { amount.amount - refunded.amount }

}

extension SaleRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("resellerId", resellerId)
            o.member("customerId", customerId); o.member("externalId", externalId); o.member("plan", plan)
            o.member("kind", kind.rawValue); o.member("amount", amount); o.member("refunded", refunded)
            o.member("occurredAt", occurredAt); o.member("rulesHash", rulesHash); o.member("createdAt", createdAt)
        }
    }
}

/// What a sale is to the customer's subscription.
public enum SaleKind: String, Sendable, CaseIterable {
    case new, renewal, upgrade, usage
}

/// Sales in storage. A second sale with the same externalId in one partner is a
/// `conflict` on `externalId`; a sale that would take a running total (the partner's or
/// the reseller's sales in the currency on the day) past 2^53 is a `totalLimit`.
public protocol SaleStore {
    func insert(_ sale: inout SaleRecord) throws
    /// Adds to the refunded amount, guarded: answers false (and changes nothing) when it
    /// would pass the sale's amount.
    func addRefund(saleId: String, amount: Int64) throws -> Bool
    func sale(id: String) throws -> SaleRecord?
    func sale(partnerId: String, externalId: String) throws -> SaleRecord?
    /// A partner's sales matching the filter, in recording order after `afterSeq`.
    func sales(_ filter: SaleFilter, afterSeq: Int64, limit: Int) throws -> [SaleRecord]
    /// The same sales as `sales` answers, each as its answer text (what a list method
    /// answers). A store may write them straight from its rows; by default each record
    /// read writes itself.
    func saleTexts(_ filter: SaleFilter, afterSeq: Int64, limit: Int) throws -> [RecordText]
    /// The same sales as `sales` answers, written into an export's rows in the sales
    /// report's columns (`ExportQuery.columns`): how many, and the last one's seq. A store
    /// may write them straight from its rows; by default each record read is written.
    func saleRows(_ filter: SaleFilter, afterSeq: Int64, limit: Int, into out: any ExportRows) throws -> (count: Int, last: Int64?)
    /// How many sales match the filter, and the highest seq among them.
    func saleCount(_ filter: SaleFilter) throws -> (count: Int, lastSeq: Int64?)
    /// Net sales (amount less refunds) of a partner, or of one reseller when given, in a
    /// currency, on the UTC days `days` spans; exact.
    func salesVolume(partnerId: String, resellerId: String?, currency: String, days: TimeRange) throws -> Int128
    /// When the customer first bought the plan (for the subscription's month number).
    func firstSaleOccurred(customerId: String, plan: String) throws -> Timestamp?
    /// Whether the customer bought anything before.
    func hasPurchased(customerId: String) throws -> Bool
}

extension SaleStore {
    public func saleRows(_ filter: SaleFilter, afterSeq: Int64, limit: Int, into out: any ExportRows) throws -> (count: Int, last: Int64?) {
        let sales = try sales(filter, afterSeq: afterSeq, limit: limit)
        for s in sales { try s.exportRow(into: out) }
        return (sales.count, sales.last?.seq)
    }

    public func saleTexts(_ filter: SaleFilter, afterSeq: Int64, limit: Int) throws -> [RecordText] {
        try sales(filter, afterSeq: afterSeq, limit: limit).map { RecordText(seq: $0.seq, $0) }
    }
}

/// Which of a partner's sales a list shows: optionally one customer's, of one kind,
/// occurred in a range.
public struct SaleFilter: Sendable {
    public var partnerId: String
    public var customerId: String?
    public var kind: SaleKind?
    public var range: TimeRange
    /// The highest seq the list goes to: an export reads the sales that were there when it
    /// started, and a scan stops there instead of at the partner's last sale.
    public var throughSeq: Int64
    public init(partnerId: String, customerId: String? = nil, kind: SaleKind? = nil, range: TimeRange = .all, throughSeq: Int64 = .max) {
        self.partnerId = partnerId; self.customerId = customerId; self.kind = kind; self.range = range; self.throughSeq = throughSeq
    }
}

extension SaleRecord {
    /// The sale as a row of the sales report (`ExportQuery.columns`).
    public func exportRow(into out: any ExportRows) throws {
        try out.text(id); try out.time(occurredAt); try out.text(customerId); try out.text(resellerId); try out.text(externalId)
        try out.text(plan); try out.text(kind.rawValue); try out.money(amount.amount, amount.currency)
        try out.money(refunded.amount, refunded.currency); try out.text(currency); try out.time(createdAt)
        try out.endRow()
    }
}
