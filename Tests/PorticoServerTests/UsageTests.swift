import Foundation
import GRDB
import JSONRPC
import PorticoCore
import Testing
@testable import PorticoServer

/// Metered usage beyond the transcript: a failed batch writes nothing, daily totals stop
/// at their bound with a clear error, and a cancelled close goes on where it stopped.
@Suite struct UsageTests {
    typealias World = UsagePropertyTests.World

    static func event(_ id: String, _ customer: String, _ meter: String = "llm-tokens", _ quantity: String = "1",
                      at: String = "2025-12-03T10:00:00Z") -> UsageService.NewEvent {
        .init(eventId: id, customerId: customer, meter: meter, quantity: quantity, occurredAt: Timestamp(rfc3339: at)!)
    }

    @Test func aBatchWithOneBadEventWritesNothing() throws {
        let w = try World()
        let good = (0..<50).map { Self.event("e\($0)", w.customers[0]) }
        for bad in [Self.event("e50", w.customers[0], "nope"), Self.event("e50", w.customers[0], "llm-tokens", "0.5"),
                    Self.event("e0", w.customers[0], "llm-tokens", "2")] {
            #expect(throws: PorticoError.self) { try w.record(good + [bad]) }
            #expect(try w.t.count("usage_event") == 0 && w.t.count("usage_total") == 0 && w.t.count("usage_period") == 0)
        }
        #expect(try w.record(good).accepted == 50)
    }

    /// A batch is written 50 events to a statement; a statement holding an id stored
    /// before fails whole and its events go one at a time: repeats inside one statement,
    /// across two of the same batch, and of an earlier batch all count once.
    @Test func repeatsInsideAndAcrossABatchsStatementsCountOnce() throws {
        let w = try World()
        func units() throws -> [Int] {
            try w.t.engine.database.writer.read { db in
                [try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(units), 0) FROM usage_event") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(units), 0) FROM usage_total") ?? -1,
                 try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(events), 0) FROM usage_total") ?? -1]
            }
        }
        var batch = (0..<120).map { Self.event("r\($0)", w.customers[$0 % 2], "llm-tokens", String($0 + 1)) }
        batch[30] = batch[10]  // in the same statement
        batch[70] = batch[20]  // in the next one
        batch[119] = batch[60]  // in the short tail
        let first = try w.record(batch)
        #expect(first.accepted == 117 && first.duplicates == 3)
        let sum = (0..<120).filter { ![30, 70, 119].contains($0) }.reduce(0) { $0 + $1 + 1 }
        #expect(try w.t.count("usage_event") == 117 && units() == [sum, sum, 117])
        // Sent again whole: every event a duplicate, nothing moves.
        let again = try w.record(batch)
        #expect(try again.accepted == 0 && again.duplicates == 120 && units() == [sum, sum, 117])
        // An earlier id with other content is a conflict naming the event; nothing is written.
        var other = (0..<60).map { Self.event("s\($0)", w.customers[0]) }
        other[55] = Self.event("r5", w.customers[1], "llm-tokens", "999")
        do {
            _ = try w.record(other)
            Issue.record("a changed event was accepted")
        } catch let e as PorticoError {
            #expect(e.code == .conflict && e.data["field"] == "events[55].eventId")
        }
        #expect(try w.t.count("usage_event") == 117 && units() == [sum, sum, 117])
    }

    @Test func aDailyTotalStopsAtItsBoundAndSaysSo() throws {
        let w = try World()
        // 2^53 tokens per event; 2^62 / 2^53 = 512 events reach the bound.
        let big = String(Int64(1) << 53)
        let batch = (0..<512).map { Self.event("b\($0)", w.customers[0], "llm-tokens", big) }
        #expect(try w.record(batch).accepted == 512)
        do {
            _ = try w.record([Self.event("over", w.customers[0], "llm-tokens", "1")])
            Issue.record("the total passed its bound")
        } catch let e as PorticoError {
            #expect(e.code == .invalidState && e.message.contains("usage of one meter on one UTC day"))
        }
        // Another day is another total.
        #expect(try w.record([Self.event("next", w.customers[0], "llm-tokens", "1", at: "2025-12-04T00:00:00Z")]).accepted == 1)
    }

    @Test func aCancelledCloseKeepsWhatItCommittedAndARerunFinishes() throws {
        let w = try World()
        // Periods across many customers: one customer per partner would need partners; use months instead.
        var events: [UsageService.NewEvent] = []
        for c in w.customers.prefix(3) {
            for m in 1...9 { events.append(Self.event("\(c)-\(m)", c, "gpu-h100-hours", "2", at: "2025-0\(m)-15T00:00:00Z")) }
        }
        #expect(try w.record(events).accepted == 27)
        let job = CountingJob(w.t.engine, cancelAfter: 0, action: "usage.close", now: "2026-01-01T00:00:00Z")
        #expect(throws: PorticoError.self) { _ = try UsageClose.run(job, asOf: nil) }
        #expect(try w.t.count("sale") == 0)
        let done = try UsageClose.run(CountingJob(w.t.engine, cancelAfter: 100, action: "usage.close", now: "2026-01-01T00:00:00Z"), asOf: nil)
        #expect(done.closed == 27 && done.sales == 27)
        let again = try UsageClose.run(CountingJob(w.t.engine, cancelAfter: 100, action: "usage.close", now: "2026-01-01T00:00:00Z"), asOf: nil)
        #expect(again.due == 0 && again.sales == 0)
        #expect(try w.t.count("sale") == 27)
    }
}
