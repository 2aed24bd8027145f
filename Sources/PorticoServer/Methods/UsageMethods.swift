import JSONRPC
import PorticoCore

/// `usage.*`: metered usage for the portal and the platform (the partner API's
/// `api.usage.*` call the same service on the token's partner).
enum UsageMethods {
    /// `events: [{eventId, customerId, meter, quantity, occurredAt}]`, each field named by
    /// its path when wrong.
    static func events(_ p: inout Params) throws -> [UsageService.NewEvent] {
        try p.objects("events", max: UsageService.maxEvents).map { e in
            var e = e
            let event = UsageService.NewEvent(eventId: try e.string("eventId"), customerId: try e.string("customerId"),
                                              meter: try e.string("meter"), quantity: try e.decimalText("quantity"),
                                              occurredAt: try e.timestamp("occurredAt"))
            try e.finish()
            return event
        }
    }

    /// The params of a usage read, the partner aside.
    static func get(_ p: inout Params, _ ctx: RequestContext, partnerId: String) throws -> JSONValue {
        let customerId = try p.optionalString("customerId")
        let meter = try p.optionalString("meter")
        let groupBy = try p.string("groupBy")
        let range = try p.range()
        let page = try p.page()
        try p.finish()
        return try UsageService.get(ctx, partnerId: partnerId, customerId: customerId, meter: meter, range: range, groupBy: groupBy, page: page)
            .json { $0 }
    }

    static let all: [Method] = [
        Method("usage.get", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            return try get(&p, ctx, partnerId: partnerId)
        },
        Method(job: "usage.close") { p, job in
            let asOf = try p.optionalTimestamp("asOf")
            try p.finish()
            return try UsageClose.run(job, asOf: asOf).json
        },
    ]
}
