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

    /// The whole calendar years, months and UTC days that make up a range of whole days,
    /// largest first and in order (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`): what totals kept per
    /// year, month and day are read by. nil for any other range, or an empty one.
    public var calendarBlocks: [String]? {
        guard isWholeDays, !isEmpty else { return nil }
        func number(_ text: String, _ from: Int, _ count: Int) -> Int {
            Int(text.dropFirst(from).prefix(count))!
        }
        func pad(_ n: Int, _ width: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        func days(_ y: Int, _ m: Int) -> Int {
            m == 2 ? (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 29 : 28) : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31
        }
        func text(_ y: Int, _ m: Int, _ d: Int) -> String { pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) }
        let start = firstDay, end = lastDay
        var (y, m, d) = (number(start, 0, 4), number(start, 5, 2), number(start, 8, 2))
        var blocks: [String] = []
        while y <= 9999 && text(y, m, d) <= end {
            if m == 1 && d == 1 && text(y, 12, 31) <= end {
                blocks.append(pad(y, 4))
                y += 1
            } else if d == 1 && text(y, m, days(y, m)) <= end {
                blocks.append(pad(y, 4) + "-" + pad(m, 2))
                (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1)
            } else {
                blocks.append(text(y, m, d))
                d += 1
                if d > days(y, m) { d = 1; (y, m) = m == 12 ? (y + 1, 1) : (y, m + 1) }
            }
        }
        return blocks
    }

    /// The calendar month holding `t` (its first through last millisecond).
    public static func month(of t: Timestamp) -> TimeRange {
        TimeRange(from: t.startOfMonth, to: t.startOfNextMonth)
    }

    public static func quarter(of t: Timestamp) -> TimeRange {
        TimeRange(from: t.startOfQuarter, to: t.startOfNextQuarter)
    }
}
