/// How analytics cut a range into periods: UTC days, ISO weeks (Monday to Sunday) or
/// calendar months.
public enum Granularity: String, Sendable, CaseIterable {
    case day, week, month
}

/// One period of a series: its label (`2026-03-09`, `2026-W11`, `2026-03`) and the part
/// of the asked range it covers (the first and last periods may be cut short by it).
public struct Period: Sendable, Equatable {
    public let label: String
    public let range: TimeRange
    /// The UTC day it starts on, as the store's per-day rows are keyed: kept, since every
    /// row of a series is placed by comparing days with it.
    public let firstDay: String

    public init(label: String, range: TimeRange) {
        self.label = label; self.range = range; firstDay = range.firstDay
    }
}

public enum Periods {
    /// The most periods one answer holds: three years and more by day.
    public static let limit = 1_200

    /// `range` cut at the boundaries of `granularity`, in order; -32602 on `to` when that
    /// takes more than `limit` periods.
    public static func split(_ range: TimeRange, _ granularity: Granularity) throws(PorticoError) -> [Period] {
        var out: [Period] = []
        var start = range.first
        while start <= range.last {
            guard out.count < limit else {
                throw .invalid("to", "the range holds more than \(limit) \(granularity.rawValue)s: ask for a shorter range or a coarser granularity")
            }
            let (label, next) = bucket(start, granularity)
            let end = next.map { Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch - 1) } ?? .max
            out.append(Period(label: label, range: TimeRange(first: start, last: Swift.min(end, range.last))))
            guard let next, end < range.last else { break }
            start = next
        }
        return out
    }

    /// The label of the period holding `t`, and the start of the next (nil past the last
    /// instant the engine holds).
    static func bucket(_ t: Timestamp, _ granularity: Granularity) -> (String, Timestamp?) {
        let day = t.days
        func within(_ next: Timestamp) -> Timestamp? { next <= .max ? next : nil }
        switch granularity {
        case .day:
            return (String(t.rfc3339.prefix(10)), within(Timestamp(millisecondsSinceEpoch: (day + 1) * Timestamp.msPerDay)))
        case .month:
            return (String(t.rfc3339.prefix(7)), within(t.startOfNextMonth))
        case .week:
            // 1970-01-01 was a Thursday: (days + 3) mod 7 counts from Monday.
            let monday = day - (day + 3).floorMod(7)
            // An ISO week belongs to the year of its Thursday.
            let thursday = monday + 3
            let (year, _, _) = Timestamp.civil(fromDays: thursday)
            let week = (thursday - Timestamp.days(fromCivil: year, 1, 1)) / 7 + 1
            let label = pad(year, 4) + "-W" + pad(week, 2)
            return (label, within(Timestamp(millisecondsSinceEpoch: (monday + 7) * Timestamp.msPerDay)))
        }
    }

    static func pad(_ n: Int64, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: Swift.max(0, width - s.count)) + s
    }

    /// The index of the period a UTC day (`YYYY-MM-DD`) falls in: the last whose first day
    /// is not after it.
    public static func index(of day: String, in periods: [Period]) -> Int? {
        last(in: periods) { $0.firstDay <= day }
    }

    /// The index of the period holding `t`.
    public static func index(of t: Timestamp, in periods: [Period]) -> Int? {
        last(in: periods) { $0.range.first <= t }.flatMap { t <= periods[$0].range.last ? $0 : nil }
    }

    /// The last period that starts at or before a point (`starts` holds for a prefix of
    /// them), by binary search.
    static func last(in periods: [Period], where starts: (Period) -> Bool) -> Int? {
        var lo = 0, hi = periods.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts(periods[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }
}

extension TimeRange {
    /// The range of the same length just before this one (cut at the first instant the
    /// engine holds); nil when there is none.
    public var previous: TimeRange? {
        guard !isEmpty, first > .min else { return nil }
        let length = Int128(last.millisecondsSinceEpoch) - Int128(first.millisecondsSinceEpoch) + 1
        let start = Swift.max(Int128(first.millisecondsSinceEpoch) - length, Int128(Timestamp.min.millisecondsSinceEpoch))
        return TimeRange(first: Timestamp(millisecondsSinceEpoch: Int64(start)),
                         last: Timestamp(millisecondsSinceEpoch: first.millisecondsSinceEpoch - 1))
    }

    /// The instant after the last one, as an exclusive `to` (nil for the last instant held).
    public var endText: String? {
        last < .max ? Timestamp(millisecondsSinceEpoch: last.millisecondsSinceEpoch + 1).rfc3339 : nil
    }
}

/// Exact ratios, rounded half to even: no floating point on the way.
public enum Ratio {
    /// `numerator / denominator` rounded half to even; nil when the denominator is 0.
    public static func divide(_ numerator: Int128, _ denominator: Int128) -> Int128? {
        guard denominator != 0 else { return nil }
        let (n, d) = denominator < 0 ? (-numerator, -denominator) : (numerator, denominator)
        var q = n / d, r = n % d
        if r < 0 { q -= 1; r += d }
        // r in [0, d): round up past half, and at half to the even quotient.
        if 2 * r > d || (2 * r == d && q % 2 != 0) { q += 1 }
        return q
    }

    /// `part / whole` in basis points (1/100 of a percent), rounded half to even.
    public static func basisPoints(_ part: Int128, of whole: Int128) -> Int128? {
        divide(part * 10_000, whole)
    }
}
