import JSONRPC

// The reports services answer, as values: the methods encode them, and the exports to come
// lay out the same figures. Encoding checks every total against the largest amount the
// engine answers (2^53 minor units): past it, -32010 `total_limit` naming the report.

/// A partner's dashboard: its customers and resellers, and per currency its net sales,
/// its commissions by status, what stands earned and the profit.
public struct Dashboard {
    public var partnerId: String
    public var customers: Int64
    public var resellers: Int64
    public var figures: CurrencyFigures

    public func json() throws(PorticoError) -> JSONValue {
        [
            "partnerId": .string(partnerId), "customers": .integer(customers), "resellers": .integer(resellers),
            "currencies": try figures.rows(CurrencyFigures.dashboard, of: "partner \(partnerId)'s dashboard"),
        ]
    }
}

/// A partner's figures per UTC day or month (`period` daily or monthly): one row per
/// period that had sales or commissions, each with every currency of the report.
public struct PartnerReport {
    public var partnerId: String
    public var period: String
    public var rows: [(period: String, figures: CurrencyFigures)]

    public func json() throws(PorticoError) -> JSONValue {
        var out: [JSONValue] = []
        for row in rows {
            out.append(["period": .string(row.period),
                        "currencies": try row.figures.rows(CurrencyFigures.report, of: "partner \(partnerId)'s report for \(row.period)")])
        }
        return ["partnerId": .string(partnerId), "period": .string(period), "rows": .array(out)]
    }
}

/// A reseller, its customers, and per currency its net sales and the commissions it
/// earned by status.
public struct ResellerReport {
    public var reseller: ResellerRecord
    public var customers: Int64
    public var figures: CurrencyFigures

    public func json() throws(PorticoError) -> JSONValue {
        [
            "reseller": reseller.json, "customers": .integer(customers),
            "currencies": try figures.rows(CurrencyFigures.resellerReport, of: "reseller \(reseller.id)'s report"),
        ]
    }
}

/// A partner's commission totals by status, per currency, over exactly the entries
/// `commission.list` would show.
public struct CommissionSummary {
    public var partnerId: String
    public var figures: CurrencyFigures

    public func json() throws(PorticoError) -> JSONValue {
        ["partnerId": .string(partnerId),
         "currencies": try figures.rows(CurrencyFigures.summary, of: "partner \(partnerId)'s commission summary")]
    }
}
