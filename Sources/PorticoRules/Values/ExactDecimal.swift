/// An exact decimal number: `mantissa × 10^-scale`, parsed from its text and never
/// passed through a binary floating point type. Percentages, rates and conversion
/// factors in rule files are read as these.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let mantissa: Int64
    public let scale: Int
    /// The value in units of 10^-maxScale, computed once: comparisons are one Int128 compare.
    let normalized: Int128

    public static let maxScale = 12

    public init(mantissa: Int64, scale: Int) {
        precondition(scale >= 0 && scale <= Self.maxScale)
        self.mantissa = mantissa
        self.scale = scale
        normalized = Int128(mantissa) * Int128(Self.pow10(Self.maxScale - scale))
    }

    public init(_ integer: Int64) { self.init(mantissa: integer, scale: 0) }

    /// Parses `-?digits(.digits)?` exactly; nil for anything else (exponents, `+`, spaces,
    /// more than 12 decimal places, or beyond ±9.2e18 in total).
    public init?(_ text: some StringProtocol) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") { negative = true; bytes = bytes.dropFirst() }
        guard let first = bytes.first, first >= 0x30, first <= 0x39 else { return nil }
        var m: Int64 = 0
        var scale = 0
        var seenPoint = false
        var digitsAfterPoint = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard b >= 0x30, b <= 0x39 else { return nil }
            let (p, o1) = m.multipliedReportingOverflow(by: 10)
            let (s, o2) = p.addingReportingOverflow(Int64(b - 0x30))
            guard !o1, !o2 else { return nil }
            m = s
            if seenPoint { digitsAfterPoint += 1 }
        }
        if seenPoint { guard digitsAfterPoint > 0 else { return nil } }
        scale = digitsAfterPoint
        guard scale <= Self.maxScale else { return nil }
        self.init(mantissa: negative ? -m : m, scale: scale)
    }

    public var description: String {
        guard scale > 0 else { return String(mantissa) }
        let magnitude = String(mantissa.magnitude)
        let padded = magnitude.count <= scale ? String(repeating: "0", count: scale - magnitude.count + 1) + magnitude : magnitude
        let cut = padded.index(padded.endIndex, offsetBy: -scale)
        return (mantissa < 0 ? "-" : "") + padded[..<cut] + "." + padded[cut...]
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool { a.normalized < b.normalized }

    public static func == (a: ExactDecimal, b: ExactDecimal) -> Bool { a.normalized == b.normalized }

    public func hash(into hasher: inout Hasher) { hasher.combine(normalized) }

    public var isInteger: Bool { normalized % Int128(Self.pow10(Self.maxScale)) == 0 }

    /// The integer value when there is no fraction and it fits.
    public var integerValue: Int64? {
        guard isInteger else { return nil }
        return Int64(exactly: normalized / Int128(Self.pow10(Self.maxScale)))
    }

    public static func pow10(_ n: Int) -> Int64 {
        var v: Int64 = 1
        for _ in 0..<n { v *= 10 }
        return v
    }

    /// `amount × self / divisor`, rounded half to even. Used for `percent` (divisor 100)
    /// and conversion rates (divisor 1). Nil on overflow.
    public func apply(to amount: Int64, dividingBy divisor: Int64 = 1) -> Int64? {
        let numerator = Int128(amount) * Int128(mantissa)
        let denominator = Int128(divisor) * Int128(Self.pow10(scale))
        return Self.divideHalfEven(numerator, denominator)
    }

    /// Integer division rounded half to even (banker's rounding); nil if the result does
    /// not fit in Int64.
    public static func divideHalfEven(_ n: Int128, _ d: Int128) -> Int64? {
        precondition(d > 0)
        var q = n / d
        let r = n - q * d
        let twice = r.magnitude * 2
        if twice > d.magnitude || (twice == d.magnitude && q % 2 != 0) {
            q += n < 0 ? -1 : 1
        }
        return Int64(exactly: q)
    }
}
