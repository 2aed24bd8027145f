import JSONRPC
import PorticoRules

/// An amount of money: an integer count of the currency's minor units (cents, yen, fils)
/// and its ISO 4217 currency. No binary floating point anywhere on a money path;
/// arithmetic is overflow-checked and throws instead of trapping; amounts of different
/// currencies never mix.
public struct Money: Sendable, Hashable, CustomStringConvertible {
    public let amount: Int64
    public let currency: Currency

    public init(_ amount: Int64, _ currency: Currency) {
        self.amount = amount
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(0, currency) }

    public enum Failure: Error, Sendable, Equatable {
        case overflow
        case currencyMismatch(String, String)
        case noParts
        case negativeWeight
    }

    /// `12.34 USD`, `1500 JPY`, `1.234 BHD`.
    public var description: String { "\(decimalText) \(currency.code)" }

    /// The amount in the currency's major units, with exactly its exponent's digits after
    /// the point: `12.34`, `1500`, `1.234`, `-0.05` (what providers such as PayPal take as
    /// an amount's value).
    public var decimalText: String {
        let e = currency.exponent
        guard e > 0 else { return String(amount) }
        let unit = UInt64(ExactDecimal.pow10(e))
        let sign = amount < 0 ? "-" : ""
        let fracText = String(amount.magnitude % unit)
        return "\(sign)\(amount.magnitude / unit).\(String(repeating: "0", count: e - fracText.count))\(fracText)"
    }

    /// `decimalText`'s bytes appended to `out` (the whole part's digits are a small
    /// string, never on the heap).
    public func appendDecimalText(to out: inout [UInt8]) {
        if amount < 0 { out.append(UInt8(ascii: "-")) }
        let e = currency.exponent
        let unit = UInt64(ExactDecimal.pow10(e))
        out.append(contentsOf: String(amount.magnitude / unit).utf8)
        guard e > 0 else { return }
        out.append(UInt8(ascii: "."))
        var frac = amount.magnitude % unit, divisor = unit / 10
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: frac / divisor) + 0x30)
            frac %= divisor
            divisor /= 10
        }
    }

    /// The same text for a total of `minor` minor units (a total may pass what one amount
    /// holds, so it is 128 bits wide); `grouped` puts the whole part in groups of three.
    public static func decimalText(_ minor: Int128, exponent e: Int, grouped: Bool = false) -> String {
        let unit = UInt128(ExactDecimal.pow10(e))
        let sign = minor < 0 ? "-" : ""
        var whole = String(minor.magnitude / unit)
        if grouped {
            var out = ""
            for (i, d) in whole.enumerated() {
                if i > 0, (whole.count - i) % 3 == 0 { out.append(",") }
                out.append(d)
            }
            whole = out
        }
        guard e > 0 else { return sign + whole }
        let fracText = String(minor.magnitude % unit)
        return "\(sign)\(whole).\(String(repeating: "0", count: e - fracText.count))\(fracText)"
    }

    /// As `decimalText`, its whole part in groups of three (`1,234,567.89`): for people to read.
    public static func groupedText(_ minor: Int128, exponent: Int) -> String { decimalText(minor, exponent: exponent, grouped: true) }

    /// The same shape for an amount and a currency code as stored.
    public static func json(_ amount: Int64, code: String) -> JSONValue { ["amount": .integer(amount), "currency": .string(code)] }

    func same(_ other: Money) throws(Failure) {
        guard currency == other.currency else { throw .currencyMismatch(currency.code, other.currency.code) }
    }

    public static func + (a: Money, b: Money) throws(Failure) -> Money {
        try a.same(b)
        let (v, o) = a.amount.addingReportingOverflow(b.amount)
        guard !o else { throw .overflow }
        return Money(v, a.currency)
    }

    public static func - (a: Money, b: Money) throws(Failure) -> Money {
        try a.same(b)
        let (v, o) = a.amount.subtractingReportingOverflow(b.amount)
        guard !o else { throw .overflow }
        return Money(v, a.currency)
    }

    public var negated: Money { Money(-amount, currency) }

    /// This percentage of the amount, rounded half to even.
    public func percent(_ p: ExactDecimal) throws(Failure) -> Money {
        guard let v = p.apply(to: amount, dividingBy: 100) else { throw .overflow }
        return Money(v, currency)
    }

    /// `amount × numerator / denominator`, rounded half to even (pro rata).
    public func scaled(by numerator: Int64, over denominator: Int64) throws(Failure) -> Money {
        guard denominator > 0, let v = ExactDecimal.divideHalfEven(Int128(amount) * Int128(numerator), Int128(denominator)) else {
            throw .overflow
        }
        return Money(v, currency)
    }

    /// Splits the amount in proportion to `weights` by the largest-remainder method: each
    /// part is its exact share rounded toward zero, and the minor units left over go, one
    /// each, to the parts with the largest remainders (earlier parts first on ties). The
    /// parts always sum to the whole, and the same inputs always give the same parts.
    public func allocate(_ weights: [Int64]) throws(Failure) -> [Money] {
        guard !weights.isEmpty else { throw .noParts }
        guard weights.allSatisfy({ $0 >= 0 }) else { throw .negativeWeight }
        return Allocation.largestRemainder(amount, weights: weights).map { Money($0, currency) }
    }
}

extension Money {
    /// The largest amount a JSON client can hold exactly (2^53), and so the largest the
    /// engine takes or answers, for a single amount and for every total alike: larger
    /// amounts in a request are refused, and a total that would pass it is an error.
    public static let jsonLimit: Int64 = 1 << 53

    /// A sum (from the store's report totals, or added up here) as an amount the engine answers;
    /// -32010 `total_limit` naming `what` when it is past ±2^53.
    public static func total(_ value: Int128, _ what: @autoclosure () -> String) throws(PorticoError) -> Int64 {
        guard value >= -Int128(jsonLimit), value <= Int128(jsonLimit) else { throw .totalLimit(what()) }
        return Int64(value)
    }
}

extension Money: JSONEncodable {
    /// `{"amount": 12345, "currency": "USD"}`: money on the wire and in audit snapshots.
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("amount", amount)
            o.member("currency", currency.code)
        }
    }
}
