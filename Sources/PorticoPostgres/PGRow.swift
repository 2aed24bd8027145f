import PorticoCore
import PorticoRules

/// One row of a result, read by column position. A stored value the engine does not know
/// (a status, an instant, a currency) fails the read with `PGError` 22000, never traps.
public struct PGRow {
    let rows: PGRows
    let index: Int

    public subscript(_ column: Int) -> String? { rows.text(index, column) }

    public func string(_ column: Int) throws -> String {
        guard let t = rows.text(index, column) else { throw corrupt(column, "NULL", "a value") }
        return t
    }

    public func int(_ column: Int) throws -> Int64 {
        guard let t = rows.text(index, column), let n = Int64(t) else { throw corrupt(column, rows.text(index, column) ?? "NULL", "an integer") }
        return n
    }

    public func optionalInt(_ column: Int) throws -> Int64? { rows.isNull(index, column) ? nil : try int(column) }

    public func bool(_ column: Int) throws -> Bool {
        guard let t = rows.text(index, column), t == "t" || t == "f" else { throw corrupt(column, rows.text(index, column) ?? "NULL", "a boolean") }
        return t == "t"
    }

    public func value<T: RawRepresentable>(_ column: Int) throws -> T where T.RawValue == String {
        let t = try string(column)
        guard let v = T(rawValue: t) else { throw corrupt(column, t, "a \(T.self) the engine knows") }
        return v
    }

    public func optionalValue<T: RawRepresentable>(_ column: Int) throws -> T? where T.RawValue == String {
        rows.isNull(index, column) ? nil : try value(column) as T
    }

    /// An instant, stored as the engine's RFC 3339 text (which sorts as time does).
    public func timestamp(_ column: Int) throws -> Timestamp {
        let t = try string(column)
        guard let v = Timestamp(rfc3339: t) else { throw corrupt(column, t, "an RFC 3339 instant") }
        return v
    }

    public func optionalTimestamp(_ column: Int) throws -> Timestamp? { rows.isNull(index, column) ? nil : try timestamp(column) }

    public func money(_ amount: Int, currency: Int) throws -> Money {
        let code = try string(currency)
        guard let c = Currency.named(code) else { throw corrupt(currency, code, "a currency the engine knows") }
        return Money(try int(amount), c)
    }

    func corrupt(_ column: Int, _ held: String, _ expected: String) -> PGError {
        PGError(state: "22000", message: "column \(column) holds '\(held)', not \(expected)")
    }
}

/// A record read from a row by position, its columns listed in `columns` in that order.
protocol PGRecord {
    static var columns: String { get }
    init(row: PGRow) throws
}

extension PGRows {
    public func row(_ i: Int) -> PGRow { PGRow(rows: self, index: i) }
    public var all: [PGRow] { (0..<count).map(row) }
    public var first: PGRow? { count > 0 ? row(0) : nil }
}

extension PGRow {
    /// An exact sum (PostgreSQL sums bigints as numeric, which never overflows); NULL, the
    /// sum of no rows, is 0.
    public func sum(_ column: Int) throws -> Int128 {
        guard let t = rows.text(index, column) else { return 0 }
        guard let v = Int128(t) else { throw corrupt(column, t, "a whole number") }
        return v
    }

    /// `(key, currency, count, sum)`, a report's total.
    func reportTotal() throws -> ReportTotal {
        ReportTotal(key: try string(0), currency: try string(1), amount: try sum(3), count: try int(2))
    }
}
