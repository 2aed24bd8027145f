import CLibPQ
import Foundation

/// One connection to PostgreSQL through libpq, synchronous: each call sends its statement
/// and waits for the answer. Used by one thread at a time (the store's unit of work holds
/// it for a group), which is the whole of its thread safety.
///
/// Parameters travel out of line (`$1`, `$2`...), never spliced into SQL text; results come
/// back as text, read by column position. Statements run through `query` are prepared
/// once per connection, named by their text's number here; a prepared statement outlives
/// the transaction it was first used in (PostgreSQL's protocol-level statements are not
/// transactional).
public final class PGConnection: @unchecked Sendable {
    private let conn: OpaquePointer
    private var prepared: [String: String] = [:]
    /// Where it is connected, without the password (for `system.health` and logs).
    public let location: String

    /// Connects with a libpq connection URI; `application` names the connection in the
    /// server's `pg_stat_activity` (unless the URL names it).
    public init(url: String, application: String = "portico") throws {
        // The client encoding (UTF-8, whatever the URL or the environment say) is set as the
        // connection starts, not by a statement after.
        let keys = ["fallback_application_name", "dbname", "client_encoding"], values = [application, url, "UTF8"]
        let connection = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let c = connection else { throw PGError(state: "08001", message: "libpq could not allocate a connection") }
        guard PQstatus(c) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
            PQfinish(c)
            throw PGError(state: "08001", message: "cannot connect to PostgreSQL: \(message)")
        }
        conn = c
        location = PGConnection.redacted(url)
        // Notices (a NOTICE from DDL, say) would go to libpq's default, stderr: keep them quiet.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
    }

    deinit { PQfinish(conn) }

    /// Whether the connection still stands (false after the server went away).
    public var isOK: Bool { PQstatus(conn) == CONNECTION_OK }

    /// The server's version number (150018 for 15.18).
    public var serverVersion: Int { Int(PQserverVersion(conn)) }

    /// Runs one or more statements without parameters (DDL, `BEGIN`, `SAVEPOINT`...).
    public func run(_ sql: String) throws {
        let r = PQexec(conn, sql)
        defer { PQclear(r) }
        try check(r, sql)
    }

    /// Runs a statement with parameters, prepared on first use, and answers its rows.
    @discardableResult
    public func query(_ sql: String, _ params: [PGValue] = []) throws -> PGRows {
        let name: String
        if let n = prepared[sql] {
            name = n
        } else {
            name = "p\(prepared.count + 1)"
            let r = PQprepare(conn, name, sql, Int32(params.count), nil)
            defer { PQclear(r) }
            try check(r, sql)
            prepared[sql] = name
        }
        let r = try withParameters(params) { values, lengths, formats in
            PQexecPrepared(conn, name, Int32(params.count), values, lengths, formats, 0)
        }
        do {
            try check(r, sql)
        } catch {
            PQclear(r)
            throw error
        }
        return PGRows(r!)
    }

    /// Passes the parameters to libpq: text as C strings, bytes in binary (for `bytea`),
    /// all of them in one buffer that stays put while libpq reads it.
    private func withParameters(_ params: [PGValue],
                                _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> OpaquePointer?) throws
        -> OpaquePointer?
    {
        var buffer: [CChar] = [0]
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        func append<S: Collection<UInt8>>(_ bytes: S, terminated: Bool) {
            offsets.append(buffer.count)
            buffer.append(contentsOf: bytes.lazy.map { CChar(bitPattern: $0) })
            if terminated { buffer.append(0) }
            lengths.append(terminated ? 0 : Int32(bytes.count))
            formats.append(terminated ? 0 : 1)
        }
        for p in params {
            switch p {
            case .null:
                offsets.append(nil); lengths.append(0); formats.append(0)
            case .int(let n): append(String(n).utf8, terminated: true)
            case .bool(let b): append((b ? "t" : "f").utf8, terminated: true)
            case .text(let s):
                // PostgreSQL's text holds no NUL; the engine refuses one before it gets here.
                guard !s.utf8.contains(0) else { throw PGError(state: "22021", message: "text holds a NUL character: refused") }
                append(s.utf8, terminated: true)
            case .bytes(let b): append(b, terminated: false)
            }
        }
        return buffer.withUnsafeBufferPointer { b in
            let pointers = offsets.map { $0.map { UnsafePointer(b.baseAddress! + $0) } }
            return pointers.withUnsafeBufferPointer { p in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in body(p.baseAddress, l.baseAddress, f.baseAddress) }
                }
            }
        }
    }

    private func check(_ r: OpaquePointer?, _ sql: String) throws {
        guard let r else { throw PGError(state: "08006", message: String(cString: PQerrorMessage(conn))) }
        switch PQresultStatus(r) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: return
        default:
            func field(_ code: UInt8) -> String? { PQresultErrorField(r, Int32(code)).map { String(cString: $0) } }
            throw PGError(state: field(UInt8(ascii: "C")) ?? (isOK ? "XX000" : "08006"),
                          message: field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(r)),
                          detail: field(UInt8(ascii: "D")), constraint: field(UInt8(ascii: "n")), statement: sql)
        }
    }

    /// The notifications (`NOTIFY`) that arrived on the channels this connection listens
    /// on, waiting up to `seconds` for the first. Throws when the connection is gone.
    public func notifications(waiting seconds: Double) throws -> [(channel: String, payload: String)] {
        var pending = readNotifications()
        if !pending.isEmpty { return pending }
        var fds = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        guard fds.fd >= 0 else { throw PGError(state: "08006", message: "the connection is closed") }
        let ready = poll(&fds, 1, Int32(seconds * 1000))
        if ready < 0 && errno != EINTR { throw PGError(state: "08006", message: "poll failed: errno \(errno)") }
        if ready > 0 {
            guard PQconsumeInput(conn) == 1 else { throw PGError(state: "08006", message: String(cString: PQerrorMessage(conn))) }
            pending = readNotifications()
        }
        return pending
    }

    private func readNotifications() -> [(channel: String, payload: String)] {
        var out: [(channel: String, payload: String)] = []
        while let n = PQnotifies(conn) {
            out.append((String(cString: n.pointee.relname), String(cString: n.pointee.extra)))
            PQfreemem(n)
        }
        return out
    }

    /// The URL without its password, for what the engine shows of it.
    public static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url), c.password != nil else { return url }
        c.password = "***"
        return c.string ?? url
    }
}

/// `strings` as a NULL-terminated array of C strings, for libpq's keyword/value calls.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// A statement's parameter: bound out of line, never spliced into SQL.
public enum PGValue: Sendable, Equatable {
    case null
    case int(Int64)
    case bool(Bool)
    case text(String)
    /// Bytes for a `bytea` parameter, sent in binary.
    case bytes([UInt8])

    public static func text(_ s: String?) -> PGValue { s.map { .text($0) } ?? .null }
    public static func int(_ n: Int64?) -> PGValue { n.map { .int($0) } ?? .null }
}

/// A statement's rows, as text, read by position. Frees libpq's result when released.
public final class PGRows {
    private let result: OpaquePointer
    public let count: Int
    public let columns: Int

    init(_ result: OpaquePointer) {
        self.result = result
        count = Int(PQntuples(result))
        columns = Int(PQnfields(result))
    }

    deinit { PQclear(result) }

    /// Rows a statement changed (`UPDATE`, `DELETE`, `INSERT`).
    public var affected: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    public func text(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column) else { return nil }
        let p = PQgetvalue(result, Int32(row), Int32(column))!
        let n = Int(PQgetlength(result, Int32(row), Int32(column)))
        return p.withMemoryRebound(to: UInt8.self, capacity: n) { String(decoding: UnsafeBufferPointer(start: $0, count: n), as: UTF8.self) }
    }

    public func int(_ row: Int, _ column: Int) -> Int64? { text(row, column).flatMap { Int64($0) } }

    public func bool(_ row: Int, _ column: Int) -> Bool? { text(row, column).map { $0 == "t" } }

    /// A `bytea` column (text form `\x` and hex digits).
    public func bytes(_ row: Int, _ column: Int) -> [UInt8]? {
        guard let t = text(row, column) else { return nil }
        let hex = Array(t.utf8.dropFirst(2))
        guard t.hasPrefix("\\x"), hex.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var i = 0
        while i < hex.count {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// What PostgreSQL answered when a statement failed: its SQLSTATE (`23505` a unique key,
/// `40001` a serialization failure, `08...` the connection), message, and the constraint it
/// names, if any.
public struct PGError: Error, CustomStringConvertible, Sendable {
    public let state: String
    public let message: String
    public let detail: String?
    public let constraint: String?
    public let statement: String?

    public init(state: String, message: String, detail: String? = nil, constraint: String? = nil, statement: String? = nil) {
        self.state = state; self.message = message; self.detail = detail; self.constraint = constraint; self.statement = statement
    }

    public var description: String {
        "PostgreSQL error \(state): \(message)" + (detail.map { " (\($0))" } ?? "") + (statement.map { " - while executing `\($0)`" } ?? "")
    }

    public var isUniqueViolation: Bool { state == "23505" }
    public var isSerializationFailure: Bool { state == "40001" || state == "40P01" }
    public var isConnectionLost: Bool { state.hasPrefix("08") || state == "57P01" }
}
