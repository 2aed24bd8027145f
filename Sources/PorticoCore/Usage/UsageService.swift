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
    /// it is such a duplicate. Every event is checked before any is written.
    public static func record(_ ctx: RequestContext, partnerId: String, _ events: [NewEvent]) throws -> Recorded {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        guard !events.isEmpty && events.count <= maxEvents else {
            throw PorticoError.invalid("events", "must hold 1 to \(maxEvents) events, got \(events.count)")
        }
        let pricing = ctx.rules.pricing
        let latest = ctx.now.adding(milliseconds: clockSkewMs)
        var customers: [String: (id: String, region: String)] = [:]
        var lastCustomer: (key: String, id: String, region: String)? = nil
        // The meters the batch names, each with a region it is sold in: a few, found by
        // equality (the same strings, mostly) instead of two lookups by hash an event.
        var sold: [(name: String, region: String, meter: Meter)] = []
        struct Month: Hashable { let customer: String; let index: Int64 }
        var closed: [Month: Bool] = [:]
        var records: [UsageEventRecord] = []
        var inClosedMonth: [Bool] = []
        records.reserveCapacity(events.count)
        inClosedMonth.reserveCapacity(events.count)
        for (i, e) in events.enumerated() {
            func field(_ name: String) -> String { "events[\(i)].\(name)" }
            let eventId = try Validate.key(e.eventId, field: field("eventId"), max: 200)
            let customer: (id: String, region: String)
            if let last = lastCustomer, last.key == e.customerId {
                customer = (last.id, last.region)
            } else if let known = customers[e.customerId] {
                customer = known
            } else {
                guard let c = try ctx.store.customer(id: e.customerId), c.partnerId == partner.id else {
                    throw PorticoError.invalid(field("customerId"), "is not a customer of this partner")
                }
                guard let r = pricing.countryRegion[c.country] else {
                    throw PorticoError.invalid(field("customerId"), "the customer's country \(c.country) is in no pricing region, so no meter is sold to it")
                }
                customer = (c.id, r)
                customers[e.customerId] = customer
            }
            lastCustomer = (e.customerId, customer.id, customer.region)
            let k: Int
            if let found = sold.firstIndex(where: { $0.name == e.meter && $0.region == customer.region }) {
                k = found
            } else {
                guard let meter = pricing.meters[e.meter] else {
                    throw PorticoError.invalid(field("meter"), "no meter '\(e.meter)' in the pricing rules (\(pricing.meters.keys.sorted().joined(separator: ", ")))")
                }
                guard meter.prices[customer.region] != nil else {
                    throw PorticoError.invalid(field("meter"), "\(meter.name) is not sold in the customer's region \(customer.region)")
                }
                sold.append((e.meter, customer.region, meter))
                k = sold.count - 1
            }
            let units: Int64
            switch sold[k].meter.units(e.quantity) {
            case .success(let u): units = u
            case .failure(let why): throw PorticoError.invalid(field("quantity"), "'\(e.quantity)' \(why)")
            }
            guard e.occurredAt <= latest else {
                throw PorticoError.invalid(field("occurredAt"), "is more than \(clockSkewMs / 60_000) minutes after the engine's clock (\(ctx.timestamp))")
            }
            let civil = e.occurredAt.civil
            let month = Month(customer: customer.id, index: civil.year * 12 + civil.month - 1)
            let isClosed: Bool
            if let known = closed[month] { isClosed = known } else {
                isClosed = try ctx.store.openUsagePeriod(UsagePeriodKey(month: Self.month(of: e.occurredAt), partnerId: partner.id,
                                                                        customerId: customer.id))
                closed[month] = isClosed
            }
            records.append(UsageEventRecord(partnerId: partner.id, eventId: eventId, customerId: customer.id, meter: sold[k].meter.name,
                                            units: units, scale: sold[k].meter.decimals, occurredAt: e.occurredAt, recordedAt: ctx.now))
            inClosedMonth.append(isClosed)
        }
        // Events of closed months are written never: each must be a duplicate.
        var open: [Int] = []
        open.reserveCapacity(records.count)
        var out = Recorded(events: events.count, accepted: 0, duplicates: 0)
        for i in records.indices {
            guard inClosedMonth[i] else { open.append(i); continue }
            guard let earlier = try ctx.store.usageEvent(partnerId: partner.id, eventId: records[i].eventId) else {
                throw PorticoError.invalid("events[\(i)].occurredAt",
                                           "falls in \(Self.month(of: records[i].occurredAt)), whose usage for this customer was already closed (usage.close)")
            }
            guard earlier.sameContent(as: records[i]) else { throw conflict(i, records[i].eventId) }
            out.duplicates += 1
        }
        let earlier = try ctx.store.insertUsageEvents(open.map { records[$0] })
        for (k, i) in open.enumerated() {
            guard let first = earlier[k] else { out.accepted += 1; continue }
            guard first.sameContent(as: records[i]) else { throw conflict(i, records[i].eventId) }
            out.duplicates += 1
        }
        try ctx.audit(targetType: "usage", targetId: partner.id, partnerId: partner.id, before: nil,
                      after: ["first": .string(events.first!.eventId), "last": .string(events.last!.eventId), "recorded": out.json])
        return out
    }

    static func conflict(_ i: Int, _ eventId: String) -> PorticoError {
        .conflict("events[\(i)].eventId", "event \(eventId) was recorded with another customer, meter, quantity or time")
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
