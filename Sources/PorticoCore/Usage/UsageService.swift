import JSONRPC
import PorticoRules

/// Metered usage: events recorded once per partner and event id, totalled per customer,
/// meter and day as they are written, and sold per customer and month by `UsageClose`.
public enum UsageService {
    /// Most events one call records.
    public static let maxEvents = 1000
    /// How far ahead of the engine's clock an event may be (clients' clocks drift).
    public static let clockSkewMs: Int64 = 300_000

    public struct NewEvent: Sendable {
        public var eventId: String
        public var customerId: String
        public var meter: String
        /// The quantity as sent, read exactly against the meter's precision.
        public var quantity: String
        public var occurredAt: Timestamp
        public init(eventId: String, customerId: String, meter: String, quantity: String, occurredAt: Timestamp) {
            self.eventId = eventId; self.customerId = customerId; self.meter = meter; self.quantity = quantity; self.occurredAt = occurredAt
        }
    }

    public struct Recorded: Sendable {
        public var events: Int
        public var accepted: Int
        public var duplicates: Int
        public var json: JSONValue {
            ["events": .integer(Int64(events)), "accepted": .integer(Int64(accepted)), "duplicates": .integer(Int64(duplicates))]
        }
    }

    /// Records a batch for the partner, all or nothing: an event already recorded with the
    /// same content is a duplicate (accepted once, counted), with other content a conflict
    /// naming it; an event of a month already closed for its customer is refused unless
    /// it is such a duplicate.
    public static func record(_ ctx: RequestContext, partnerId: String, _ events: [NewEvent]) throws -> Recorded {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        guard !events.isEmpty && events.count <= maxEvents else {
            throw PorticoError.invalid("events", "must hold 1 to \(maxEvents) events, got \(events.count)")
        }
        let pricing = ctx.rules.pricing
        let latest = ctx.now.adding(milliseconds: clockSkewMs)
        var customers: [String: (CustomerRecord, String)] = [:]
        var periods: [String: Bool] = [:]
        var out = Recorded(events: events.count, accepted: 0, duplicates: 0)
        for (i, e) in events.enumerated() {
            let at = "events[\(i)]"
            let eventId = try Validate.key(e.eventId, field: "\(at).eventId", max: 200)
            let (customer, region): (CustomerRecord, String)
            if let known = customers[e.customerId] {
                (customer, region) = known
            } else {
                guard let c = try ctx.store.customer(id: e.customerId), c.partnerId == partner.id else {
                    throw PorticoError.invalid("\(at).customerId", "is not a customer of this partner")
                }
                guard let r = pricing.countryRegion[c.country] else {
                    throw PorticoError.invalid("\(at).customerId", "the customer's country \(c.country) is in no pricing region, so no meter is sold to it")
                }
                (customer, region) = (c, r)
                customers[e.customerId] = (c, r)
            }
            guard let meter = pricing.meters[e.meter] else {
                throw PorticoError.invalid("\(at).meter", "no meter '\(e.meter)' in the pricing rules (\(pricing.meters.keys.sorted().joined(separator: ", ")))")
            }
            guard meter.prices[region] != nil else {
                throw PorticoError.invalid("\(at).meter", "\(meter.name) is not sold in the customer's region \(region)")
            }
            let units: Int64
            switch meter.units(e.quantity) {
            case .success(let u): units = u
            case .failure(let why): throw PorticoError.invalid("\(at).quantity", "'\(e.quantity)' \(why)")
            }
            guard e.occurredAt <= latest else {
                throw PorticoError.invalid("\(at).occurredAt", "is more than \(clockSkewMs / 60_000) minutes after the engine's clock (\(ctx.timestamp))")
            }
            let event = UsageEventRecord(partnerId: partner.id, eventId: eventId, customerId: customer.id, meter: meter.name, units: units,
                                         scale: meter.decimals, occurredAt: e.occurredAt, recordedAt: ctx.now)
            let key = UsagePeriodKey(month: month(of: e.occurredAt), partnerId: partner.id, customerId: customer.id)
            let cacheKey = key.customerId + "/" + key.month
            let closed: Bool
            if let known = periods[cacheKey] { closed = known } else {
                closed = try ctx.store.openUsagePeriod(key)
                periods[cacheKey] = closed
            }
            let earlier = closed ? try ctx.store.usageEvent(partnerId: partner.id, eventId: eventId) : try ctx.store.insertUsageEvent(event)
            guard let earlier else {
                guard !closed else {
                    throw PorticoError.invalid("\(at).occurredAt", "falls in \(key.month), whose usage for this customer was already closed (usage.close)")
                }
                out.accepted += 1
                continue
            }
            guard earlier.sameContent(as: event) else {
                throw PorticoError.conflict("\(at).eventId", "event \(eventId) was recorded with another customer, meter, quantity or time")
            }
            out.duplicates += 1
        }
        try ctx.audit(targetType: "usage", targetId: partner.id, partnerId: partner.id, before: nil,
                      after: ["first": .string(events.first!.eventId), "last": .string(events.last!.eventId), "recorded": out.json])
        return out
    }

    /// `YYYY-MM` of an instant (UTC).
    static func month(of t: Timestamp) -> String { String(t.rfc3339.prefix(7)) }

    /// Totals of the partner's usage over whole UTC days, grouped by day, meter or
    /// customer (each row one meter's), quantities exact.
    public static func get(_ ctx: RequestContext, partnerId: String, customerId: String?, meter: String?, range: TimeRange, groupBy: String,
                           page: PageRequest) throws -> Page<JSONValue>
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let grouping: UsageGrouping = try Validate.oneOf(groupBy, field: "groupBy")
        guard range.isWholeDays || range == .all else {
            throw PorticoError.invalid("from", "from and to must be dates (usage is totalled by UTC day)")
        }
        if let customerId, try ctx.store.customer(id: customerId)?.partnerId != partner.id {
            throw PorticoError.notFound("customer", customerId)
        }
        let rows = range.isEmpty ? [] : try ctx.store.usageTotals(partnerId: partner.id, customerId: customerId, meter: meter, days: range,
                                                                  groupBy: grouping, offset: page.afterSeq, limit: page.limit + 1)
        // Rows of one key and meter at several scales (the meter's precision changed) add up exactly.
        // Paged by row offset (totals have no sequence of their own).
        let more = rows.count > page.limit
        var merged: [(key: String, meter: String, units: Int128, scale: Int, events: Int64)] = []
        for r in rows.prefix(page.limit) {
            if let last = merged.last, last.key == r.key, last.meter == r.meter {
                let scale = max(last.scale, r.scale)
                let units = last.units * Int128(ExactDecimal.pow10(scale - last.scale)) + r.units * Int128(ExactDecimal.pow10(scale - r.scale))
                merged[merged.count - 1] = (last.key, last.meter, units, scale, last.events + r.events)
            } else {
                merged.append((r.key, r.meter, r.units, r.scale, r.events))
            }
        }
        let items: [JSONValue] = merged.map { m in
            var o: JSONObject = ["meter": .string(m.meter), "quantity": .string(Meter.decimalText(m.units, scale: m.scale)),
                                 "unit": ctx.rules.pricing.meters[m.meter].map { .string($0.unit) } ?? .null, "events": .integer(m.events)]
            switch grouping {
            case .day: o["day"] = .string(m.key)
            case .customer: o["customerId"] = .string(m.key)
            case .meter: break
            }
            return .object(o)
        }
        return Page(items: items, nextCursor: more ? PageRequest.cursor(after: page.afterSeq + Int64(page.limit)) : nil)
    }
}
