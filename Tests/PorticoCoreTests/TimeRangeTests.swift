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
}
