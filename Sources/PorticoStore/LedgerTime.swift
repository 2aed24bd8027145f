import PorticoCore

/// The ledger's instants (a sale's `occurredAt` and `createdAt`; an entry's `payableAt`,
/// `occurredAt`, `createdAt` and `updatedAt`; `commission_hold_end.payableAt`) are stored
/// as integer milliseconds since 1970-01-01T00:00:00Z (migration 0017): six bytes where the
/// RFC 3339 text took 24, in each row and each index that holds one. They compare and sort
/// as the text did; what the ledger is summed by (a UTC day, month or year) is derived in
/// SQL by these expressions. Instants elsewhere (partners, payouts, the audit log) stay
/// text; `Columns.timestamp` reads either.
enum LedgerTime {
    /// The UTC day (`YYYY-MM-DD`) of the instant `column` holds: SQLite's `date` of the
    /// seconds as a real number, so an instant before 1970 falls on its own day.
    static func day(_ column: String) -> String { "date(\(column) / 1000.0, 'unixepoch')" }

    /// The first `width` characters of the day: 4 its year, 7 its month, 10 the day.
    static func period(_ column: String, width: String) -> String { "substr(\(day(column)), 1, \(width))" }

    /// The instant the UTC day `day` (text, `YYYY-MM-DD`) begins, in milliseconds; NULL for
    /// text that is not a day.
    static func start(ofDay day: String) -> String { "unixepoch(\(day)) * 1000" }
}

extension TimeRange {
    /// The range's ends as the ledger stores instants.
    var firstMillis: Int64 { first.millisecondsSinceEpoch }
    var lastMillis: Int64 { last.millisecondsSinceEpoch }
}
