import PropertyBased
import Testing
@testable import PorticoCore

/// Every instant the engine takes, and every date it derives from one (a month, a
/// quarter, a hold period, a day), stays within 0001-01-01..9999-12-31 and keeps its
/// four-digit text form, so stored times compare correctly as text.
@Suite struct TimeRangeTests {
    @Test func aLeapSecondIsTheLastMillisecondOfItsMinute() {
        #expect(Timestamp(rfc3339: "2016-12-31T23:59:60Z")?.rfc3339 == "2016-12-31T23:59:59.999Z")
        #expect(Timestamp(rfc3339: "2017-01-01T00:59:60+01:00")?.rfc3339 == "2016-12-31T23:59:59.999Z")
    }

    @Test func theEndsOfTheRangeAreAcceptedAndNothingBeyond() {
        #expect(Timestamp(rfc3339: "0001-01-01T00:00:00Z") == .min)
        #expect(Timestamp(rfc3339: "9999-12-31T23:59:59.999Z") == .max)
        #expect(Timestamp(rfc3339: "9999-12-31T18:59:59.999-05:00") == .max)
        #expect(Timestamp.max.adding(checked: 1) == nil)
        #expect(Timestamp.min.adding(checked: -1) == nil)
    }

    @Test func aDateAloneIsItsFirstInstant() {
        #expect(Timestamp(dateOrDateTime: "2026-02-28")?.rfc3339 == "2026-02-28T00:00:00.000Z")
        #expect(Timestamp(dateOrDateTime: "2026-02-29") == nil)
        #expect(Timestamp(dateOrDateTime: "0000-12-31") == nil)
    }

    @Test func rangesAreClosedAndWholeDaysAreRecognized() {
        let jan = TimeRange(from: Timestamp(rfc3339: "2026-01-01T00:00:00Z"), to: Timestamp(rfc3339: "2026-02-01T00:00:00Z"))
        #expect(jan.lastText == "2026-01-31T23:59:59.999Z")
        #expect(jan.isWholeDays)
        #expect(!TimeRange(from: Timestamp(rfc3339: "2026-01-01T00:00:01Z"), to: nil).isWholeDays)
        #expect(TimeRange.all.isWholeDays && TimeRange.all.lastDay == "9999-12-31")
        let empty = TimeRange(from: Timestamp(rfc3339: "2026-01-01T00:00:00Z"), to: Timestamp(rfc3339: "2026-01-01T00:00:00Z"))
        #expect(empty.isEmpty)
    }

    @Test func everyDerivedDateStaysInRangeAndInTextOrder() async {
        await propertyCheck(count: 3000, input: Gen.int64(in: Timestamp.min.millisecondsSinceEpoch...Timestamp.max.millisecondsSinceEpoch),
                            Gen.int64(in: 0...3650)) { ms, holdDays in
            let t = Timestamp(millisecondsSinceEpoch: ms)
            let text = t.rfc3339
            #expect(text.utf8.count == 24 && Timestamp(rfc3339: text) == t, "\(ms)")
            for range in [TimeRange.month(of: t), .quarter(of: t), .all] {
                #expect(range.first <= t && t <= range.last)
                #expect(range.firstText <= text && text <= range.lastText, "\(text) in \(range.firstText)...\(range.lastText)")
                #expect(range.firstDay <= String(text.prefix(10)) && String(text.prefix(10)) <= range.lastDay)
                #expect(Timestamp(rfc3339: range.lastText) == range.last && range.isWholeDays)
            }
            if let payable = t.adding(checked: holdDays * Timestamp.msPerDay) {
                #expect(payable.rfc3339 >= text && Timestamp(rfc3339: payable.rfc3339) == payable)
            } else {
                #expect(ms + holdDays * Timestamp.msPerDay > Timestamp.max.millisecondsSinceEpoch)
            }
        }
    }

    /// A range of whole days is exactly its calendar blocks: each day of it in one block,
    /// nothing outside it, years and months only where whole, and each block in order.
    @Test func calendarBlocksCoverTheDaysOfTheRangeExactly() async {
        let day = Timestamp.msPerDay
        let days = Timestamp.max.millisecondsSinceEpoch / day
        await propertyCheck(count: 400, input: Gen.int64(in: (Timestamp.min.millisecondsSinceEpoch / day)...days), Gen.int64(in: -1...900)) {
            start, length in
            let first = Timestamp(millisecondsSinceEpoch: start * day)
            let last = Timestamp(millisecondsSinceEpoch: min(start + length, days) * day + day - 1)
            let range = TimeRange(first: first, last: last)
            guard let blocks = range.calendarBlocks else {
                #expect(range.isEmpty)
                return
            }
            // Expand the blocks to their days and compare with the range's own days.
            var expanded: [String] = []
            for block in blocks {
                let from = Timestamp(dateOrDateTime: block.count == 4 ? block + "-01-01" : block.count == 7 ? block + "-01" : block)!
                let end = block.count == 4 ? TimeRange.month(of: Timestamp(dateOrDateTime: block + "-12-01")!).last
                    : block.count == 7 ? TimeRange.month(of: from).last : from
                var t = from
                while t <= end { expanded.append(String(t.rfc3339.prefix(10))); t = Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch + day) }
            }
            var own: [String] = []
            var t = first
            while t <= last { own.append(String(t.rfc3339.prefix(10))); t = Timestamp(millisecondsSinceEpoch: t.millisecondsSinceEpoch + day) }
            #expect(expanded == own, "\(range.firstDay)...\(range.lastDay): \(blocks)")
            // Never more than two partial months of days and two partial years of months.
            #expect(blocks.filter { $0.count == 10 }.count <= 60 && blocks.filter { $0.count == 7 }.count <= 22)
        }
        let year = TimeRange(from: Timestamp(dateOrDateTime: "2025-01-01"), to: Timestamp(dateOrDateTime: "2026-01-01"))
        #expect(year.calendarBlocks == ["2025"])
        let odd = TimeRange(from: Timestamp(dateOrDateTime: "2024-02-28"), to: Timestamp(dateOrDateTime: "2025-03-02"))
        let months: [String] = (3...12).map { (m: Int) -> String in m < 10 ? "2024-0\(m)" : "2024-\(m)" }
        let expected: [String] = ["2024-02-28", "2024-02-29"] + months + ["2025-01", "2025-02", "2025-03-01"]
        #expect(odd.calendarBlocks == expected)
        #expect(TimeRange.all.calendarBlocks?.count == 9999)
        #expect(TimeRange(from: Timestamp(rfc3339: "2026-01-01T00:00:01Z"), to: nil).calendarBlocks == nil)
    }
}
