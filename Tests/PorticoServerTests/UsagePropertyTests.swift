import Foundation
import GRDB
import JSONRPC
import PorticoCore
import PorticoRules
import PropertyBased
import Testing
@testable import PorticoServer

/// Metered usage is order- and batch-free: the same events, recorded in any order, split
/// into any batches, with any of them sent again, give the same daily totals, the same
/// usage sales when the months close, and the same commissions; and those totals are the
/// exact sums of the events' quantities.
@Suite struct UsagePropertyTests {
    /// A partner with customers in three pricing regions, on its own engine.
    struct World {
        let t: TestEngine
        let partner: String
        let customers: [String]

        init() throws {
            let t = try TestEngine()
            let partner = try t.call("partner.create", createParams("meter"))["result"]!["id"]!.stringValue!
            self.t = t
            self.partner = partner
            customers = try ["US", "DE", "JP", "GB"].enumerated().map { i, c in
                try t.call("customer.create", ["actor": platform, "partnerId": .string(partner), "name": "C", "email": .string("c\(i)@c.example"),
                                               "country": .string(c)])["result"]!["id"]!.stringValue!
            }
        }

        func step<T>(_ action: String, _ body: (RequestContext) throws -> T) throws -> T {
            try t.engine.database.write { tx in
                let ctx = RequestContext(store: tx, now: Timestamp(rfc3339: "2026-01-01T00:00:00Z")!, requestId: "p", action: action,
                                         actor: try ActorResolver.resolve(.platform("ops"), tx), ids: t.engine.ids,
                                         policy: RulesAccessPolicy(t.engine.rules), activeRules: t.engine.rules)
                return try body(ctx)
            }
        }

        func record(_ batch: [UsageService.NewEvent]) throws -> UsageService.Recorded {
            try step("api.usage.record") { try UsageService.record($0, partnerId: partner, batch) }
        }

        func close() throws -> UsageClose.Summary {
            try UsageClose.run(CountingJob(t.engine, cancelAfter: .max, action: "usage.close", now: "2026-01-01T00:00:00Z"), asOf: nil)
        }

        /// Daily totals, usage sales and their commissions, by stable keys.
        func outcome() throws -> [String] {
            try t.engine.database.writer.read { db in
                try String.fetchAll(db, sql: """
                    SELECT 't ' || customerId || ' ' || meter || ' ' || day || ' ' || scale || ' ' || units || ' ' || events FROM usage_total
                    UNION ALL
                    SELECT 's ' || s.externalId || ' ' || s.amount || ' ' || s.currency || ' ' ||
                           COALESCE((SELECT group_concat(c.amount || (SELECT text FROM interned WHERE id = c.ruleRef), ',') FROM commission c WHERE c.saleSeq = s.seq), '')
                    FROM sale s
                    ORDER BY 1
                    """)
            }
        }
    }

    static let meters: [(name: String, decimals: Int)] = [("gpu-h100-hours", 6), ("llm-tokens", 0), ("storage-gb-months", 3)]

    /// `n` events with random customers, meters, quantities (any precision the meter
    /// allows) and times over three months.
    static func events(_ n: Int, customers: [String], seed: UInt64) -> [UsageService.NewEvent] {
        var rng = SplitMix64(state: seed)
        let start = Timestamp(rfc3339: "2025-10-01T00:00:00Z")!.millisecondsSinceEpoch
        let span = Timestamp(rfc3339: "2026-01-01T00:00:00Z")!.millisecondsSinceEpoch - start
        return (0..<n).map { i in
            var customer = customers[Int.random(in: 0..<customers.count, using: &rng)]
            var meter = meters[Int.random(in: 0..<meters.count, using: &rng)]
            // Tokens are not sold in the UK: move those to the first customer.
            if meter.name == "llm-tokens" && customer == customers[3] { customer = customers[0] }
            if meter.name == "storage-gb-months" && customer == customers[3] { meter = meters[0] }
            let units = Int64.random(in: 0...(Int64(1) << Int64.random(in: 1...40, using: &rng)), using: &rng)
            let places = Int.random(in: 0...meter.decimals, using: &rng)
            // units at `meter.decimals`, written with `places` decimals (trailing zeros kept or not).
            let text = Meter.decimalText(Int128(units), scale: meter.decimals)
            let quantity = places > 0 && !text.contains(".") ? text + "." + String(repeating: "0", count: places) : text
            let at = Timestamp(millisecondsSinceEpoch: start + Int64.random(in: 0..<span, using: &rng))
            return .init(eventId: "e\(i)", customerId: customer, meter: meter.name, quantity: quantity, occurredAt: at)
        }
    }

    /// Records `events` in random batches of 1 to `maxBatch`, with `replays` of earlier ones sent again.
    static func recordInBatches(_ w: World, _ events: [UsageService.NewEvent], maxBatch: Int, replays: Int, seed: UInt64) throws {
        var rng = SplitMix64(state: seed)
        var i = 0
        var sent: [UsageService.NewEvent] = []
        var accepted = 0, duplicates = 0, replayed = 0
        while i < events.count {
            let n = Int.random(in: 1...maxBatch, using: &rng)
            var batch = Array(events[i..<min(events.count, i + n)])
            if replays > 0 && !sent.isEmpty {
                for _ in 0..<min(replays, UsageService.maxEvents - batch.count) {
                    batch.insert(sent[Int.random(in: 0..<sent.count, using: &rng)], at: Int.random(in: 0...batch.count, using: &rng))
                    replayed += 1
                }
            }
            let r = try w.record(batch)
            accepted += r.accepted
            duplicates += r.duplicates
            sent.append(contentsOf: events[i..<min(events.count, i + n)])
            i += n
        }
        #expect(accepted == events.count && duplicates == replayed)
    }

    /// The exact model: each (customer, meter, day) total is the sum of its events' units.
    static func model(_ events: [UsageService.NewEvent], _ pricing: PricingRules) -> [String: Int128] {
        var totals: [String: Int128] = [:]
        for e in events {
            let meter = pricing.meters[e.meter]!
            guard case .success(let u) = meter.units(e.quantity) else { continue }
            totals["\(e.customerId) \(e.meter) \(e.occurredAt.rfc3339.prefix(10))", default: 0] += Int128(u)
        }
        return totals
    }

    static func check(events n: Int, seed: UInt64, maxBatch: Int) throws {
        let a = try World(), b = try World()
        // The same events for both worlds, by customer position.
        let eventsA = events(n, customers: a.customers, seed: seed)
        let map = Dictionary(uniqueKeysWithValues: zip(a.customers, b.customers))
        var eventsB = eventsA.map { e in UsageService.NewEvent(eventId: e.eventId, customerId: map[e.customerId]!, meter: e.meter,
                                                                  quantity: e.quantity, occurredAt: e.occurredAt) }
        var rng = SplitMix64(state: seed ^ 0xFFFF)
        eventsB.shuffle(using: &rng)
        try recordInBatches(a, eventsA, maxBatch: maxBatch, replays: 0, seed: seed &+ 1)
        try recordInBatches(b, eventsB, maxBatch: max(1, maxBatch / 3), replays: 3, seed: seed &+ 2)
        let closedA = try a.close(), closedB = try b.close()
        #expect(closedA.sales == closedB.sales && closedA.closed == closedB.closed)
        let rename = Dictionary(uniqueKeysWithValues: zip(b.customers, a.customers))
        let outA = try a.outcome()
        let outB = try b.outcome().map { line in rename.reduce(line) { $0.replacingOccurrences(of: $1.key, with: $1.value) } }.sorted()
        #expect(outA == outB)
        // The totals are the exact sums of the events.
        let expected = model(eventsA, a.t.engine.rules.current.pricing)
        let stored = try a.t.engine.database.writer.read { db in
            try Row.fetchAll(db, sql: "SELECT customerId, meter, day, units FROM usage_total").reduce(into: [String: Int128]()) { m, r in
                m["\(r[0] as String) \(r[1] as String) \(r[2] as String)"] = Int128(r[3] as Int64)
            }
        }
        #expect(stored == expected)
        // Sent again after the close, every event is a duplicate and nothing changes.
        for chunk in stride(from: 0, to: min(n, 5000), by: 1000) {
            let r = try a.record(Array(eventsA[chunk..<min(n, chunk + 1000)]))
            #expect(r.accepted == 0)
        }
        #expect(try a.outcome() == outA)
    }

    @Test func smallRandomWorldsAgree() async throws {
        await propertyCheck(count: 8, input: Gen.int(in: 1...1_000_000)) { seed in
            do { try Self.check(events: 3000, seed: UInt64(seed), maxBatch: 400) } catch { Issue.record("\(error)") }
        }
    }

    /// The issue's figure: a million events, in random order and random batch splits.
    @Test func aMillionEventsInAnyOrderAndBatchesGiveTheSameTotalsSalesAndCommissions() throws {
        let n = ProcessInfo.processInfo.environment["PORTICO_USAGE_PROPERTY_EVENTS"].flatMap(Int.init) ?? 1_000_000
        try Self.check(events: n, seed: 2026, maxBatch: 1000)
    }
}
