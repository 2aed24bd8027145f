/// ISO 4217 currencies the engine knows, with the number of minor-unit digits
/// (exponent): JPY 0, USD 2, BHD 3. Rule files may name only these.
public struct Currency: Sendable, Hashable, CustomStringConvertible {
    public let code: String
    public let exponent: Int

    public var description: String { code }

    public static let all: [String: Currency] = {
        let table: [(String, Int)] = [
            ("USD", 2), ("EUR", 2), ("GBP", 2), ("JPY", 0), ("KRW", 0), ("INR", 2), ("BRL", 2), ("AUD", 2),
            ("CAD", 2), ("CHF", 2), ("SGD", 2), ("BHD", 3), ("KWD", 3), ("OMR", 3), ("JOD", 3), ("TND", 3),
            ("CNY", 2), ("HKD", 2), ("NZD", 2), ("SEK", 2), ("NOK", 2), ("DKK", 2), ("PLN", 2), ("CZK", 2),
            ("HUF", 2), ("MXN", 2), ("ZAR", 2), ("AED", 2), ("SAR", 2), ("TRY", 2), ("ILS", 2), ("THB", 2),
            ("IDR", 2), ("MYR", 2), ("PHP", 2), ("TWD", 2), ("VND", 0), ("CLP", 0), ("ISK", 0), ("UGX", 0),
        ]
        return Dictionary(uniqueKeysWithValues: table.map { ($0.0, Currency(code: $0.0, exponent: $0.1)) })
    }()

    public static func named(_ code: String) -> Currency? { all[code] }
}
