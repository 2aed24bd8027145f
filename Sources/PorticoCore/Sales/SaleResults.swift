import JSONRPC

/// What `sale.record` answers: the sale and the commissions it earned, their statuses as
/// of the recording; or, for the same sale sent again under its external id, the first
/// answer exactly as it was given (kept in the sale's audit record).
public enum RecordedSale {
    /// A new sale, with its answer built once: the audit record keeps the same JSON.
    case recorded(sale: SaleRecord, commissions: [CommissionRecord], answer: JSONValue)
    case repeated(JSONValue)

    /// A new sale's answer and audit snapshot.
    public static func answer(sale: SaleRecord, commissions: [CommissionRecord], at: Timestamp) -> JSONValue {
        ["sale": sale.json, "commissions": .array(commissions.map { $0.json(now: at) })]
    }

    public var json: JSONValue {
        switch self {
        case .recorded(_, _, let answer), .repeated(let answer): return answer
        }
    }
}

/// What `sale.refund` answers: the sale after the refund, what was refunded, and the
/// commissions it changed (shrunk or cancelled) or added (negative adjustments), their
/// statuses as of the refund.
public struct SaleRefund {
    public var sale: SaleRecord
    public var refunded: Money
    public var commissions: [CommissionRecord]
    public var at: Timestamp

    /// The answer, and the refund's audit snapshot.
    public var json: JSONValue {
        ["sale": sale.json, "refund": refunded.json,
         "commissions": .array(commissions.map { $0.json(now: at) })]
    }
}
