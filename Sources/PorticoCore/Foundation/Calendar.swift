import PorticoRules

/// UTC calendar boundaries for reports, volumes and hold periods.
extension Timestamp {
    public static let msPerDay: Int64 = 86_400_000

    /// Days since 1970-01-01 (UTC), rounded down.
    public var days: Int64 {
        let d = millisecondsSinceEpoch / Self.msPerDay
        return millisecondsSinceEpoch % Self.msPerDay < 0 ? d - 1 : d
    }

    /// (year, month 1-12, day 1-31) in UTC.
    public var civil: (year: Int64, month: Int64, day: Int64) {
        let (y, m, d) = Timestamp.civil(fromDays: days)
        return (y, m, d)
    }

    /// The UTC calendar day, as rule files compare dates.
    public var ruleDate: RuleDate { RuleDate(days: Int32(days)) }

    public static func utc(_ year: Int64, _ month: Int64, _ day: Int64 = 1) -> Timestamp {
        // Normalize month overflow (month 13 = January of the next year).
        let y = year + (month - 1).floorDiv(12)
        let m = (month - 1).floorMod(12) + 1
        return Timestamp(millisecondsSinceEpoch: Timestamp.days(fromCivil: y, m, day) * msPerDay)
    }

    public var startOfDay: Timestamp { Timestamp(millisecondsSinceEpoch: days * Self.msPerDay) }
    public var startOfMonth: Timestamp { Timestamp.utc(civil.year, civil.month) }
    public var startOfNextMonth: Timestamp { Timestamp.utc(civil.year, civil.month + 1) }
    public var startOfQuarter: Timestamp { Timestamp.utc(civil.year, (civil.month - 1) / 3 * 3 + 1) }
    public var startOfNextQuarter: Timestamp { Timestamp.utc(civil.year, (civil.month - 1) / 3 * 3 + 4) }

    public func adding(days n: Int64) -> Timestamp { adding(milliseconds: n * Self.msPerDay) }

    /// Whole calendar months from `earlier` to this instant (same month: 0).
    public func months(since earlier: Timestamp) -> Int64 {
        let a = earlier.civil, b = civil
        return (b.year - a.year) * 12 + (b.month - a.month)
    }
}

extension Int64 {
    public func floorDiv(_ d: Int64) -> Int64 { let q = self / d; return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q }
    public func floorMod(_ d: Int64) -> Int64 { self - floorDiv(d) * d }
}

extension Timestamp {
    /// This instant `n` calendar months later (or earlier), the day clamped to the
    /// target month's last (January 31 + 1 month = February 28 or 29), the time of day
    /// kept; nil past the instants the engine holds.
    public func adding(months n: Int64) -> Timestamp? {
        let (y, m, d) = civil
        let (months, overflow) = (y * 12 + (m - 1)).addingReportingOverflow(n)
        guard !overflow, abs(n) < 1_000_000 else { return nil }
        let ny = months.floorDiv(12), nm = months.floorMod(12) + 1
        guard ny >= 1 && ny <= 9999 else { return nil }
        let day = Swift.min(d, Timestamp.daysIn(month: nm, year: ny))
        let t = Timestamp(millisecondsSinceEpoch: Timestamp.days(fromCivil: ny, nm, day) * Self.msPerDay
            + millisecondsSinceEpoch.floorMod(Self.msPerDay))
        return t <= .max ? t : nil
    }
}
