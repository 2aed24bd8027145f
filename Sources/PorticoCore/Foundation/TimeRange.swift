/// A closed range of instants, `first` through `last`, both inside `Timestamp.min...max`;
/// empty when `last` is before `first`.
///
/// Requests give ranges as `from` (inclusive) and `to` (exclusive), each a date-time or a
/// date: a date `from` starts at that day's first instant, a date `to` takes the whole
/// day in (`from: 2026-01-01, to: 2026-01-31` is January). `from` after `to` is refused.
/// Queries read the closed form, so no bound ever needs an instant past 9999-12-31.
public struct TimeRange: Sendable, Equatable {
    public let first: Timestamp
    public let last: Timestamp

    public init(first: Timestamp, last: Timestamp) {
        self.first = first
        self.last = last
    }

    /// Every instant the engine can hold.
    public static let all = TimeRange(first: .min, last: .max)

    /// From `from` (inclusive) to `to` (exclusive); nil bounds are open.
    public init(from: Timestamp?, to: Timestamp?) {
        first = from ?? .min
        last = to.map { Timestamp(millisecondsSinceEpoch: $0.millisecondsSinceEpoch - 1) } ?? .max
    }

    public var isEmpty: Bool { last < first }

    /// `first` and `last` as the stored text compares them.
    public var firstText: String { first.rfc3339 }
    public var lastText: String { last.rfc3339 }

    /// The UTC days of `first` and `last` (`YYYY-MM-DD`).
    public var firstDay: String { String(firstText.prefix(10)) }
    public var lastDay: String { String(lastText.prefix(10)) }

    /// Whether the range covers whole UTC days, so per-day running totals answer it exactly.
    public var isWholeDays: Bool {
        first.millisecondsSinceEpoch.floorMod(Timestamp.msPerDay) == 0
            && last.millisecondsSinceEpoch.floorMod(Timestamp.msPerDay) == Timestamp.msPerDay - 1
    }

    /// The calendar month holding `t` (its first through last millisecond).
    public static func month(of t: Timestamp) -> TimeRange {
        TimeRange(from: t.startOfMonth, to: t.startOfNextMonth)
    }

    public static func quarter(of t: Timestamp) -> TimeRange {
        TimeRange(from: t.startOfQuarter, to: t.startOfNextQuarter)
    }
}
