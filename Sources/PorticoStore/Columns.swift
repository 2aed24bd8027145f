import GRDB
import JSONRPC
import GRDBSQLite
import PorticoCore
import PorticoRules

/// One result row, read by column position straight from SQLite.
///
/// GRDB's `Row` builds a dictionary of lowercased column names each time a query starts,
/// for reading columns by name; the records here read theirs by position, so point
/// queries on the hot paths (a sale reads a customer, a partner, a reseller, and probes
/// the ledger four times) skip that work. Tables are STRICT, so a column's type is known.
public struct Columns {
    let statement: SQLiteStatement

    public subscript<T: ColumnValue>(_ index: Int) -> T { T.read(statement, Int32(index)) }

    /// A text column holding one of an enum's raw values (the tables' CHECK constraints
    /// keep them so); a file changed behind the engine's back fails the read, never traps.
    func value<T: RawRepresentable>(_ index: Int) throws -> T where T.RawValue == String {
        let text: String = self[index]
        guard let v = T(rawValue: text) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT,
                                message: "column \(index) holds '\(text)', not a \(T.self) the engine knows")
        }
        return v
    }

    /// A text column's UTF-8 bytes where SQLite holds them (valid until the next step).
    func text(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let bytes = sqlite3_column_text(statement, Int32(index))  // before the count: it may convert the value
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, Int32(index))))
    }

    /// An instant stored as integer milliseconds (the ledger's, `LedgerTime`) or as RFC 3339
    /// text, read from the column's bytes in place.
    func timestamp(_ index: Int) throws -> Timestamp {
        if let t = try millis(index) { return t }
        guard let t = Timestamp(rfc3339: text(index)) else {
            let text: String = self[index]
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "column \(index) holds '\(text)', not an RFC 3339 instant")
        }
        return t
    }

    func isNull(_ index: Int) -> Bool { sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL }

    /// The instant an integer column holds in milliseconds; nil when the column is not an
    /// integer. One outside the instants the engine reads fails the read.
    func millis(_ index: Int) throws -> Timestamp? {
        guard sqlite3_column_type(statement, Int32(index)) == SQLITE_INTEGER else { return nil }
        let t = Timestamp(millisecondsSinceEpoch: sqlite3_column_int64(statement, Int32(index)))
        guard t >= .min, t <= .max else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "column \(index) holds \(t.millisecondsSinceEpoch) ms, not an instant the engine reads")
        }
        return t
    }

    /// A blob column's bytes where SQLite holds them (valid until the next step); nil for NULL.
    func blob(_ index: Int) -> UnsafeRawBufferPointer? {
        guard !isNull(index) else { return nil }
        let bytes = sqlite3_column_blob(statement, Int32(index))  // before the count, as for text
        return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, Int32(index))))
    }

    func optionalTimestamp(_ index: Int) throws -> Timestamp? {
        sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL ? nil : try timestamp(index)
    }

    /// An amount in minor units and its currency's ISO 4217 code, in two columns.
    func money(_ amountIndex: Int, currency currencyIndex: Int) throws -> Money {
        let code: String = self[currencyIndex]
        guard let currency = Currency.named(code) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "column \(currencyIndex) holds '\(code)', not a currency the engine knows")
        }
        return Money(self[amountIndex], currency)
    }
}

extension Columns {
    /// A text column written as a JSON string straight from its bytes.
    func string(_ index: Int, to out: inout JSONOutput) { out.string(utf8: text(index)) }

    /// An instant stored as RFC 3339 text, written as `Timestamp`'s `encode(to:)` writes it:
    /// text already in that form (the engine's own, `YYYY-MM-DDTHH:MM:SS.mmmZ`, not a leap
    /// second) is copied once it has parsed; any other is written from the instant read.
    func timestamp(_ index: Int, to out: inout JSONOutput) throws {
        if let t = try millis(index) { return t.encode(to: &out) }
        let t = try timestamp(index)
        let b = text(index)
        guard Timestamp.isCanonical(b) else {
            t.encode(to: &out)
            return
        }
        out.plainString(length: b.count) { _ = $0.initialize(from: b) }
    }

    /// A text column that may be NULL, written as a JSON string or null.
    func optionalString(_ index: Int, to out: inout JSONOutput) {
        if sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL { out.null() } else { string(index, to: &out) }
    }
}

/// A type a column can be read as.
public protocol ColumnValue {
    static func read(_ statement: SQLiteStatement, _ index: Int32) -> Self
}

extension Int64: ColumnValue {
    public static func read(_ statement: SQLiteStatement, _ index: Int32) -> Int64 { sqlite3_column_int64(statement, index) }
}

extension Int: ColumnValue {
    public static func read(_ statement: SQLiteStatement, _ index: Int32) -> Int { Int(sqlite3_column_int64(statement, index)) }
}

extension Bool: ColumnValue {
    public static func read(_ statement: SQLiteStatement, _ index: Int32) -> Bool { sqlite3_column_int64(statement, index) != 0 }
}

extension String: ColumnValue {
    public static func read(_ statement: SQLiteStatement, _ index: Int32) -> String {
        guard let text = sqlite3_column_text(statement, index) else { return "" }
        return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index))), as: UTF8.self)
    }
}

extension Optional: ColumnValue where Wrapped: ColumnValue {
    public static func read(_ statement: SQLiteStatement, _ index: Int32) -> Wrapped? {
        sqlite3_column_type(statement, index) == SQLITE_NULL ? nil : Wrapped.read(statement, index)
    }
}

/// A record built from its columns in a fixed order.
protocol ColumnRecord {
    init(row: Columns) throws
}

extension ColumnRecord {
    static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Self? {
        try Columns.fetchOne(statement, arguments: arguments, Self.init(row:))
    }

    static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Self] {
        try Columns.fetchAll(statement, arguments: arguments, Self.init(row:))
    }
}

/// A record whose rows a list writes as its answer text (`RecordText`), column 0 being
/// its place in the table's order.
protocol TextColumnRecord: ColumnRecord, JSONEncodable {
    /// Writes the row as `Self(row:).encode(to:)` writes the record (by default, exactly so);
    /// a record on a hot list writes it straight from the columns.
    static func encode(row: Columns, to out: inout JSONOutput) throws
}

extension TextColumnRecord {
    static func encode(row: Columns, to out: inout JSONOutput) throws { try Self(row: row).encode(to: &out) }

    /// Every row of `statement` (`rows` of them at most) as its record's text, the rows'
    /// texts in one buffer. Bound and stepped straight through SQLite's C API, as the point
    /// reads are (`fetchOne(_:_:key:)`): a read, which no observer needs to see.
    static func fetchTexts(_ statement: Statement, _ db: Database, _ values: [Bind], rows limit: Int) throws -> [RecordText] {
        var out = JSONOutput(.text, capacity: 512 * min(max(limit, 1), 64))
        var rows: [(seq: Int64, range: Range<Int>)] = []
        try Bind.run(statement, db, values) { row in
            out.beginDocument()
            let start = out.textCount
            try encode(row: row, to: &out)
            rows.append((row[0], start..<out.textCount))
        }
        let text = out.bytes
        return rows.map { RecordText(seq: $0.seq, text: JSONText(text[$0.range])) }
    }
}

extension Columns {
    /// The first row of `statement`, read by `read`; nil when there is none.
    public static func fetchOne<T>(_ statement: Statement, arguments: StatementArguments = [], _ read: @escaping (Columns) throws -> T) throws -> T? {
        try ColumnCursor(statement, arguments, read).next()
    }

    public static func fetchAll<T>(_ statement: Statement, arguments: StatementArguments = [], _ read: @escaping (Columns) throws -> T) throws -> [T] {
        var rows: [T] = []
        try ColumnCursor(statement, arguments, read).forEach { rows.append($0) }
        return rows
    }
}

extension ColumnRecord {
    /// The row of a point query by key, bound and stepped straight through SQLite's C API:
    /// the hot reads (a token's, a client's, a partner's, a customer's) skip GRDB's
    /// arguments and cursor. Reads only: no observer needs to see them.
    static func fetchOne(_ statement: Statement, _ db: Database, key: String) throws -> Self? {
        let h = statement.sqliteStatement
        sqlite3_reset(h)
        _ = key.utf8CString.withUnsafeBufferPointer { p in
            sqlite3_bind_text(h, 1, p.baseAddress, Int32(p.count - 1), Bind.transient)
        }
        defer { sqlite3_reset(h) }
        switch sqlite3_step(h) {
        case SQLITE_ROW: return try Self(row: Columns(statement: h))
        case SQLITE_DONE: return nil
        default:
            throw DatabaseError(resultCode: ResultCode(rawValue: sqlite3_extended_errcode(db.sqliteConnection)),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }
}

/// Steps through GRDB (so its bookkeeping around each execution runs as for its own
/// cursors) and hands each row to `read`. `DatabaseCursor` is one of GRDB's underscored
/// protocols: Package.swift pins GRDB's version for it.
final class ColumnCursor<Element>: DatabaseCursor {
    let _statement: Statement
    var _isDone = false
    private let read: (Columns) throws -> Element

    init(_ statement: Statement, _ arguments: StatementArguments, _ read: @escaping (Columns) throws -> Element) throws {
        _statement = statement
        self.read = read
        try statement.setArguments(arguments)
    }

    // A statement left mid-iteration would hold its read open; GRDB's cursors reset too.
    deinit { sqlite3_reset(_statement.sqliteStatement) }

    func _element(sqliteStatement: SQLiteStatement) throws -> Element { try read(Columns(statement: sqliteStatement)) }
}

/// Binds and runs a prepared statement straight through SQLite's C API, for writes made
/// many times a request (a usage batch's events): GRDB's arguments box every value. A
/// failure is the `DatabaseError` GRDB would have raised (extended code and message), so
/// `SQLiteTransaction.writing` maps constraint failures alike.
public enum Bind {
    case text(String)
    case int(Int64)
    case blob([UInt8])
    case null

    /// Text, or NULL.
    public static func text(_ s: String?) -> Bind { s.map { .text($0) } ?? .null }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Runs a writing statement with `values` bound in order; answers how many rows it
    /// changed.
    @discardableResult
    public static func execute(_ statement: Statement, _ db: Database, _ values: Bind...) throws -> Int {
        try run(statement, db, values) { _ in }
    }

    /// Runs `statement` with `values` bound in order, handing each row it answers (a
    /// query's, or a write's `RETURNING`) to `row` as it comes; answers how many rows it
    /// changed (a write's).
    @discardableResult
    public static func run(_ statement: Statement, _ db: Database, _ values: [Bind], row: (Columns) throws -> Void) throws -> Int {
        let h = statement.sqliteStatement
        sqlite3_reset(h)
        // Every text and blob is copied once into one buffer and bound from there (SQLite
        // then copies none of them: a many-row insert binds hundreds); the bindings are
        // cleared before the buffer goes.
        var size = 0
        for v in values {
            switch v {
            case .text(let t): size += t.utf8.count
            case .blob(let b): size += b.count
            case .int, .null: break
            }
        }
        let texts = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 1)
        defer {
            sqlite3_reset(h)
            sqlite3_clear_bindings(h)
            texts.deallocate()
        }
        var offset = 0
        for (i, v) in values.enumerated() {
            switch v {
            case .int(let x): sqlite3_bind_int64(h, Int32(i + 1), x)
            case .null: sqlite3_bind_null(h, Int32(i + 1))
            case .text(var t):
                let start = texts.baseAddress! + offset
                let count = t.withUTF8 { p in
                    if let base = p.baseAddress { start.copyMemory(from: base, byteCount: p.count) }
                    return p.count
                }
                sqlite3_bind_text(h, Int32(i + 1), start.assumingMemoryBound(to: CChar.self), Int32(count), nil)
                offset += count
            case .blob(let b):
                let start = texts.baseAddress! + offset
                b.withUnsafeBytes { if let base = $0.baseAddress { start.copyMemory(from: base, byteCount: $0.count) } }
                sqlite3_bind_blob(h, Int32(i + 1), start, Int32(b.count), nil)
                offset += b.count
            }
        }
        while true {
            switch sqlite3_step(h) {
            case SQLITE_ROW: try row(Columns(statement: h))
            case SQLITE_DONE: return Int(sqlite3_changes(db.sqliteConnection))
            default:
                let code = sqlite3_extended_errcode(db.sqliteConnection)
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: statement.sql)
            }
        }
    }
}
