import Foundation
import PropertyBased
import Testing
@testable import PorticoCore

/// How analytics cut a range into periods, and how they round ratios.
@Suite struct PeriodTests {
    func t(_ s: String) -> Timestamp { Timestamp(rfc3339: s)! }

    @Test func isoWeeksBelongToTheYearOfTheirThursday() throws {
        // 2020 has 53 ISO weeks; 2021-01-03 (a Sunday) is still in 2020-W53; 2024-12-30 is 2025-W01.
        let cases = [("2021-01-03T12:00:00Z", "2020-W53"), ("2021-01-04T00:00:00Z", "2021-W01"), ("2024-12-30T00:00:00Z", "2025-W01"),
                     ("2026-12-02T15:00:00Z", "2026-W49"), ("0001-01-01T00:00:00Z", "0001-W01")]
        for (instant, label) in cases {
            #expect(Periods.bucket(t(instant), .week).0 == label, "\(instant)")
        }
    }

    @Test func periodsCoverTheRangeWithoutGapsAndAgreeWithTheISOCalendar() async {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        await propertyCheck(count: 200, input: Gen.int(in: 0...4_000_000), Gen.int(in: 1...5_000_000), Gen.int(in: 0...2)) { start, length, g in
            // Minutes from 1995 on; lengths up to about nine years.
            let first = Timestamp(millisecondsSinceEpoch: 788_918_400_000 + Int64(start) * 60_000 + Int64(start % 1000))
            let range = TimeRange(first: first, last: first.adding(milliseconds: Int64(length) * 60_000))
            let granularity = Granularity.allCases[g]
            guard let periods = try? Periods.split(range, granularity) else {
                // Only a range of more than the limit is refused.
                let days = (range.last.days - range.first.days) + 1
                #expect(granularity == .day && days > Int64(Periods.limit))
                return
            }
            if granularity == .day { #expect(Int64(periods.count) == range.last.days - range.first.days + 1) }
            #expect(periods.first?.range.first == range.first)
            #expect(periods.last?.range.last == range.last)
            for (a, b) in zip(periods, periods.dropFirst()) {
                #expect(b.range.first.millisecondsSinceEpoch == a.range.last.millisecondsSinceEpoch + 1)
                #expect(a.label < b.label)
            }
            for p in periods {
                let c = calendar.dateComponents([.year, .month, .day, .yearForWeekOfYear, .weekOfYear],
                                                from: Date(timeIntervalSince1970: TimeInterval(p.range.first.millisecondsSinceEpoch / 1000)))
                let end = calendar.dateComponents([.year, .month, .day, .yearForWeekOfYear, .weekOfYear],
                                                  from: Date(timeIntervalSince1970: TimeInterval(p.range.last.millisecondsSinceEpoch / 1000)))
                switch granularity {
                case .day:
                    #expect(p.label == String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!))
                    #expect(end.day == c.day)
                case .week:
                    #expect(p.label == String(format: "%04d-W%02d", c.yearForWeekOfYear!, c.weekOfYear!))
                    #expect(end.weekOfYear == c.weekOfYear)
                case .month:
                    #expect(p.label == String(format: "%04d-%02d", c.year!, c.month!))
                    #expect(end.month == c.month)
                }
                #expect(Periods.index(of: p.range.first, in: periods).map { periods[$0] } == p)
                #expect(Periods.index(of: p.range.last, in: periods).map { periods[$0] } == p)
                #expect(Periods.index(of: p.firstDay, in: periods).map { periods[$0] } == p)
            }
        }
    }

    @Test func aRangeEndingAtTheLastInstantHeldHasALastPeriod() throws {
        let periods = try Periods.split(TimeRange(first: t("9999-11-15T00:00:00Z"), last: .max), .month)
        #expect(periods.map(\.label) == ["9999-11", "9999-12"])
        #expect(periods.last?.range.endText == nil)
    }

    @Test func thePreviousRangeHasTheSameLengthJustBefore() {
        let december = TimeRange(from: t("2025-12-01T00:00:00Z"), to: t("2026-01-01T00:00:00Z"))
        #expect(december.previous == TimeRange(from: t("2025-10-31T00:00:00Z"), to: t("2025-12-01T00:00:00Z")))
        #expect(TimeRange(first: .min, last: t("2025-01-01T00:00:00Z")).previous == nil)
        // Cut at the first instant held.
        #expect(TimeRange(first: t("0001-01-02T00:00:00Z"), last: t("0001-01-05T00:00:00Z")).previous?.first == .min)
    }

    @Test func ratiosRoundHalfToEven() {
        #expect(Ratio.divide(5, 2) == 2)
        #expect(Ratio.divide(7, 2) == 4)
        #expect(Ratio.divide(-5, 2) == -2)
        #expect(Ratio.divide(-7, 2) == -4)
        #expect(Ratio.divide(5, -2) == -2)
        #expect(Ratio.divide(2, 3) == 1)
        #expect(Ratio.divide(1, 3) == 0)
        #expect(Ratio.divide(1, 0) == nil)
        #expect(Ratio.basisPoints(1, of: 3) == 3333)
        #expect(Ratio.basisPoints(2, of: 3) == 6667)
        #expect(Ratio.basisPoints(-5, of: 20_000) == -2)  // -2.5 to the even -2
    }

    @Test func ratiosAgreeWithExactRationalRounding() async {
        await propertyCheck(count: 500, input: Gen.int(in: -1_000_000...1_000_000), Gen.int(in: -1_000...1_000)) { n, d in
            guard d != 0 else { return }
            let q = Ratio.divide(Int128(n), Int128(d))!
            // |n/d - q| <= 1/2, and at exactly 1/2 q is even.
            let twice = 2 * (Int128(n) - q * Int128(d)) * (d < 0 ? -1 : 1)
            #expect(abs(twice) <= Int128(abs(d)))
            if abs(twice) == Int128(abs(d)) { #expect(q % 2 == 0) }
        }
    }
}
