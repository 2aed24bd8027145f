import JSONRPC

/// A UTC instant with millisecond precision, between `min` (0001-01-01T00:00:00.000Z)
/// and `max` (9999-12-31T23:59:59.999Z).
///
/// Written as RFC 3339 with exactly three fraction digits and `Z`
/// (`2026-01-01T00:00:00.000Z`), so stored text sorts in time order: every instant in the
/// range has a four-digit year, and nothing outside it is ever read. Parsing accepts any
/// RFC 3339 date-time (offsets, 0–9 fraction digits, a leap second) and normalizes it to
/// UTC.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) { self.millisecondsSinceEpoch = millisecondsSinceEpoch }

    /// 0001-01-01T00:00:00.000Z, the first instant the engine reads or writes.
    public static let min = Timestamp(millisecondsSinceEpoch: -62_135_596_800_000)
    /// 9999-12-31T23:59:59.999Z, the last.
    public static let max = Timestamp(millisecondsSinceEpoch: 253_402_300_799_999)

    /// The instant `milliseconds` later, or nil when it would pass `max` (or `min`).
    public func adding(checked milliseconds: Int64) -> Timestamp? {
        let (v, o) = millisecondsSinceEpoch.addingReportingOverflow(milliseconds)
        guard !o, v >= Self.min.millisecondsSinceEpoch, v <= Self.max.millisecondsSinceEpoch else { return nil }
        return Timestamp(millisecondsSinceEpoch: v)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.millisecondsSinceEpoch < b.millisecondsSinceEpoch }

    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    public var description: String { rfc3339 }

    public var rfc3339: String {
        guard isInRange else { return unusualText }
        // Written digit by digit into the string's own storage: every row carries a few.
        return String(unsafeUninitializedCapacity: 24) { out in
            write(into: out)
            return 24
        }
    }

    /// Appends the RFC 3339 text (24 bytes between `min` and `max`) to `bytes`.
    public func appendRFC3339(to bytes: inout [UInt8]) {
        guard isInRange else { return bytes.append(contentsOf: unusualText.utf8) }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 24))
        bytes.withUnsafeMutableBufferPointer { all in
            write(into: UnsafeMutableBufferPointer(rebasing: all[start..<start + 24]))
        }
    }

    private var isInRange: Bool { self >= Self.min && self <= Self.max }

    /// The fields of the civil date and time in UTC.
    private var fields: (y: Int64, m: Int64, d: Int64, h: Int64, mi: Int64, s: Int64, f: Int64) {
        let ms = millisecondsSinceEpoch
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 { rem += 86_400_000; days -= 1 }
        let (y, m, d) = Self.civil(fromDays: days)
        return (y, m, d, rem / 3_600_000, (rem / 60_000) % 60, (rem / 1000) % 60, rem % 1000)
    }

    /// An instant outside `min`...`max` (made by `init(millisecondsSinceEpoch:)`, never
    /// read from storage or the wire), written with as many year digits as it takes.
    private var unusualText: String {
        let (y, m, d, h, mi, s, f) = fields
        return Self.pad(y, 4) + "-" + Self.pad(m, 2) + "-" + Self.pad(d, 2) + "T" + Self.pad(h, 2) + ":" + Self.pad(mi, 2) + ":"
            + Self.pad(s, 2) + "." + Self.pad(f, 3) + "Z"
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ` into 24 bytes: every instant between `min` and `max`
    /// has a four-digit year.
    private func write(into out: UnsafeMutableBufferPointer<UInt8>) {
        let (y, m, d, h, mi, s, f) = fields
        func put(_ value: Int64, _ width: Int, at start: Int) {
            var v = value
            for i in stride(from: start + width - 1, through: start, by: -1) {
                out[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10)
                v /= 10
            }
        }
        put(y, 4, at: 0); out[4] = UInt8(ascii: "-"); put(m, 2, at: 5); out[7] = UInt8(ascii: "-"); put(d, 2, at: 8)
        out[10] = UInt8(ascii: "T"); put(h, 2, at: 11); out[13] = UInt8(ascii: ":"); put(mi, 2, at: 14)
        out[16] = UInt8(ascii: ":"); put(s, 2, at: 17); out[19] = UInt8(ascii: "."); put(f, 3, at: 20)
        out[23] = UInt8(ascii: "Z")
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// Parses an RFC 3339 date-time; nil when it is not one, names an impossible date, or
    /// falls outside `min`...`max` once in UTC. A leap second (`23:59:60`) is read as the
    /// last millisecond of its minute (`23:59:59.999`), the instant before the next.
    ///
    /// A date alone (`2026-01-31`) is not a date-time: see `init(dateOrDateTime:)`.
    public init?(rfc3339 text: String) {
        // Read in place: records read several instants each, on every point query.
        guard let ms = text.utf8.withContiguousStorageIfAvailable(Self.parse) ?? Array(text.utf8).withUnsafeBufferPointer(Self.parse)
        else { return nil }
        millisecondsSinceEpoch = ms
    }

    /// The same, from the text's UTF-8 bytes where they lie (a column's, without making a
    /// `String` of them first).
    public init?(rfc3339 utf8: UnsafeBufferPointer<UInt8>) {
        guard let ms = Self.parse(utf8) else { return nil }
        millisecondsSinceEpoch = ms
    }

    /// Milliseconds since the epoch of an RFC 3339 date-time's bytes; nil when not one.
    static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int64? {
            guard i + n <= b.count else { return nil }
            var v: Int64 = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8, or other: UInt8? = nil) -> Bool {
            guard i < b.count, b[i] == c || b[i] == other else { return false }
            i += 1
            return true
        }
        guard let y = digits(4), expect(0x2D), let mo = digits(2), expect(0x2D), let d = digits(2),
              expect(0x54, or: 0x74), let h = digits(2), expect(0x3A), let mi = digits(2), expect(0x3A), let s = digits(2)
        else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= Self.daysIn(month: mo, year: y), h <= 23, mi <= 59, s <= 60 else { return nil }
        let leapSecond = s == 60
        var frac: Int64 = 0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var n = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if n < 3 { frac = frac * 10 + Int64(b[i] - 0x30) }
                n += 1
                i += 1
            }
            guard n >= 1, n <= 9 else { return nil }
            if n < 3 { for _ in n..<3 { frac *= 10 } }
        }
        var offsetMinutes: Int64 = 0
        guard i < b.count else { return nil }
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            let sign: Int64 = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2), expect(0x3A), let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = Self.days(fromCivil: y, mo, d)
        let local = ((days * 24 + h) * 60 + mi) * 60 + (leapSecond ? 59 : s)
        let ms = (local - offsetMinutes * 60) * 1000 + (leapSecond ? 999 : frac)
        guard ms >= Self.min.millisecondsSinceEpoch, ms <= Self.max.millisecondsSinceEpoch else { return nil }
        return ms
    }

    /// A date-time, or a date alone (`YYYY-MM-DD`) read as the start of that UTC day;
    /// `isDate` tells which was given.
    public init?(dateOrDateTime text: String) {
        if let t = Timestamp(rfc3339: text) {
            self = t
            return
        }
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D,
              let t = Timestamp(rfc3339: text + "T00:00:00Z") else { return nil }
        self = t
    }

    /// Whether the text is a date alone (`YYYY-MM-DD`), not a date-time.
    public static func isDate(_ text: String) -> Bool { text.utf8.count == 10 }

    static func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: return isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil and civil-from-days.
    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}

extension Timestamp: JSONEncodable {
    /// RFC 3339 text, as everywhere in JSON.
    public func encode(to out: inout JSONOutput) {
        guard isInRange else { return out.string(unusualText) }
        out.plainString(length: 24) { write(into: $0) }
    }
}

extension Timestamp {
    /// An instant as a store holds it, RFC 3339 text; a text that is not one is a damaged
    /// store, never a caller's mistake.
    public static func stored(_ utf8: UnsafeBufferPointer<UInt8>) throws -> Timestamp {
        guard let t = Timestamp(rfc3339: utf8) else {
            throw PorticoError(.internalError, "a stored instant '\(String(decoding: utf8, as: UTF8.self))' is not RFC 3339")
        }
        return t
    }

    /// Whether `utf8` is an instant in the engine's own form (`YYYY-MM-DDTHH:MM:SS.mmmZ`, not
    /// a leap second) once it parses: such text is written as it is.
    public static func isCanonical(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        b.count == 24 && b[10] == UInt8(ascii: "T") && b[19] == UInt8(ascii: ".") && b[23] == UInt8(ascii: "Z")
            && !(b[17] == UInt8(ascii: "6") && b[18] == UInt8(ascii: "0"))
    }
}
