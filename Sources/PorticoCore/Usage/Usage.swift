import JSONRPC
import PorticoRules

/// One metered usage event as stored: its quantity as `units` of the meter's smallest
/// step at `scale` decimals (the meter's precision when it was recorded).
public struct UsageEventRecord: Sendable, Equatable {
    public var partnerId: String
    public var eventId: String
    public var customerId: String
    public var meter: String
    public var units: Int64
    public var scale: Int
    public var occurredAt: Timestamp
    public var recordedAt: Timestamp

    public init(partnerId: String, eventId: String, customerId: String, meter: String, units: Int64, scale: Int, occurredAt: Timestamp,
                recordedAt: Timestamp)
    {
        self.partnerId = partnerId; self.eventId = eventId; self.customerId = customerId; self.meter = meter; self.units = units
        self.scale = scale; self.occurredAt = occurredAt; self.recordedAt = recordedAt
    }

    /// Whether `other` says the same thing (the same quantity, whatever the scale).
    func sameContent(as other: UsageEventRecord) -> Bool {
        customerId == other.customerId && meter == other.meter && occurredAt == other.occurredAt
            && Int128(units) * Int128(ExactDecimal.pow10(9 - scale)) == Int128(other.units) * Int128(ExactDecimal.pow10(9 - other.scale))
    }
}

/// Totals of usage at one scale, grouped as asked (`key` is the day, the customer id, or
/// empty when grouped by meter alone).
public struct UsageTotalRow: Sendable, Equatable {
    public var key: String
    public var meter: String
    public var scale: Int
    public var units: Int128
    public var events: Int64
    public init(key: String, meter: String, scale: Int, units: Int128, events: Int64) {
        self.key = key; self.meter = meter; self.scale = scale; self.units = units; self.events = events
    }
}

public enum UsageGrouping: String, Sendable, CaseIterable {
    case day, meter, customer
}

/// A customer's month of usage.
public struct UsagePeriodKey: Sendable, Equatable {
    public var month: String
    public var partnerId: String
    public var customerId: String
    public init(month: String, partnerId: String, customerId: String) {
        self.month = month; self.partnerId = partnerId; self.customerId = customerId
    }
}

/// Metered usage in storage. Event ids are unique per partner; each customer's daily
/// total per meter (and scale) is kept with the events, bounded (`totalLimit` past it); a
/// customer's month is open until it is closed, once.
public protocol UsageStore {
    /// Stores each event unless its partner has one under its id (an earlier one of the
    /// same list included), adding the stored ones to their daily totals: answers, by
    /// position, the event stored before for those not stored.
    func insertUsageEvents(_ events: [UsageEventRecord]) throws -> [Int: UsageEventRecord]
    func usageEvent(partnerId: String, eventId: String) throws -> UsageEventRecord?
    /// Opens the customer's month if it is not yet known; answers whether it is closed.
    func openUsagePeriod(_ key: UsagePeriodKey) throws -> Bool
    /// The partner's usage totals on the UTC days `days` spans, grouped, optionally one
    /// customer's or one meter's; ordered by key and meter; `offset` and `limit` page them.
    func usageTotals(partnerId: String, customerId: String?, meter: String?, days: TimeRange, groupBy: UsageGrouping, offset: Int64,
                     limit: Int) throws -> [UsageTotalRow]
    /// Open months before `month` (YYYY-MM), ordered by (month, partner, customer), after `after`.
    func openUsagePeriods(before month: String, after: UsagePeriodKey?, limit: Int) throws -> [UsagePeriodKey]
    func countOpenUsagePeriods(before month: String) throws -> Int
    /// A customer's totals per meter and scale over one month.
    func usagePeriodTotals(_ key: UsagePeriodKey) throws -> [UsageTotalRow]
    /// Closes an open month (with the sale that sold it, if any); false when it was not open.
    func closeUsagePeriod(_ key: UsagePeriodKey, saleId: String?, at: Timestamp) throws -> Bool
}
