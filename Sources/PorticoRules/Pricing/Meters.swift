/// Metered usage (GPU hours, tokens, storage) and what it costs per pricing region: the
/// `meters:` section of pricing.yaml.
///
/// A quantity is an exact decimal with at most the meter's `decimals` places, held as an
/// integer count of the meter's smallest unit (`units`, the quantity × 10^decimals). A
/// price is an exact decimal of minor units per unit of the meter, flat or in graduated
/// bands by the period's total (each unit at its band's price). A period's charge is
/// exact; `charge` rounds it half to even once, on the period total.
public struct Meter: Sendable {
    public struct Band: Sendable, Equatable {
        /// The band's upper bound in units of the period total (nil: no bound, the last band).
        public var upTo: Int64?
        /// Minor units per unit of the meter (not per smallest unit).
        public var price: ExactDecimal
    }

    public var name: String
    public var summary: String?
    /// What one unit is ("hour", "token", "GB-month").
    public var unit: String
    /// Decimal places a quantity may have (0-9).
    public var decimals: Int
    /// Bands by region; a region without an entry does not sell the meter.
    public var prices: [String: [Band]]
    public var position: SourcePosition

    /// Most decimal places a unit price may have.
    public static let maxPriceScale = 6
    /// Most units a quantity may hold (2^53, what any JSON client holds exactly).
    public static let maxUnits: Int64 = 1 << 53

    /// `text` ("12.5") as units of this meter; nil with the reason when it has more places
    /// than the meter's decimals, is negative or too large.
    public func units(_ text: String) -> Result<Int64, MeterError> {
        guard let d = ExactDecimal(text) else { return .failure(.notADecimal) }
        guard d.mantissa >= 0 else { return .failure(.negative) }
        // Trailing zeros past the meter's places are fine ("1.50" for 2 decimals).
        var m = d.mantissa, scale = d.scale
        while scale > decimals && m % 10 == 0 { m /= 10; scale -= 1 }
        guard scale <= decimals else { return .failure(.tooPrecise(decimals)) }
        let (u, o) = m.multipliedReportingOverflow(by: ExactDecimal.pow10(decimals - scale))
        guard !o, u <= Self.maxUnits else { return .failure(.tooLarge) }
        return .success(u)
    }

    /// Units as the decimal text of the quantity ("12.5").
    public func quantity(_ units: Int128) -> String { Self.decimalText(units, scale: decimals) }

    public static func decimalText(_ v: Int128, scale: Int) -> String {
        guard scale > 0 else { return String(v) }
        let negative = v < 0
        var digits = String(negative ? -v : v)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        var whole = String(digits.dropLast(scale)), frac = String(digits.suffix(scale))
        while frac.last == "0" { frac.removeLast() }
        if whole.isEmpty { whole = "0" }
        return (negative ? "-" : "") + whole + (frac.isEmpty ? "" : "." + frac)
    }

    /// The exact charge of a period's `units` in a region, as a fraction of minor units
    /// over 10^(decimals + maxPriceScale); each band's part named for explanations. Nil
    /// when the region does not sell the meter; `.failure` on overflow.
    public func exactCharge(units: Int128, region: String) -> Result<(numerator: Int128, parts: [String]), MeterError>? {
        guard let bands = prices[region] else { return nil }
        var total: Int128 = 0
        var parts: [String] = []
        var below: Int128 = 0
        for band in bands {
            guard units > below else { break }
            let top = band.upTo.map { Swift.min(Int128($0) * Int128(ExactDecimal.pow10(decimals)), units) } ?? units
            let inBand = top - below
            // inBand (≤ 2^53·10^9) × price mantissa at the common scale (< 10^18 · 10^6): checked.
            let priceAtScale = Int128(band.price.mantissa) * Int128(ExactDecimal.pow10(Self.maxPriceScale - band.price.scale))
            let (part, o1) = inBand.multipliedReportingOverflow(by: priceAtScale)
            let (sum, o2) = total.addingReportingOverflow(part)
            guard !o1, !o2 else { return .failure(.tooLarge) }
            total = sum
            parts.append("\(quantity(inBand)) \(unit) at \(band.price)")
            below = top
        }
        return .success((total, parts))
    }

    /// The denominator of `exactCharge`'s numerator.
    public var chargeDenominator: Int128 { Int128(ExactDecimal.pow10(decimals)) * Int128(ExactDecimal.pow10(Self.maxPriceScale)) }

    public enum MeterError: Error, Sendable, Equatable, CustomStringConvertible {
        case notADecimal, negative, tooPrecise(Int), tooLarge
        public var description: String {
            switch self {
            case .notADecimal: return "must be an exact decimal such as \"12.5\" (digits, an optional '.', no exponent)"
            case .negative: return "must not be negative"
            case .tooPrecise(let d): return d == 0 ? "must be a whole number for this meter" : "has more than \(d) decimal places, the meter's precision"
            case .tooLarge: return "is too large (at most 2^53 of the meter's smallest unit)"
            }
        }
    }
}

extension PricingRules {
    /// The charge for several meters' period totals in one region, exact, rounded half to
    /// even once on the sum: (minor units, currency, the steps). Nil when a meter is unknown
    /// or the region does not sell it (named).
    public func usageCharge(_ totals: [(meter: String, units: Int128)], region regionName: String) -> Result<UsageCharge, UsageChargeError> {
        guard let region = regions[regionName] else { return .failure(.unknownRegion(regionName)) }
        // A common denominator: 10^(9 + maxPriceScale) fits Int128 with room for the sum.
        let common = Int128(ExactDecimal.pow10(9)) * Int128(ExactDecimal.pow10(Meter.maxPriceScale))
        var total: Int128 = 0
        var lines: [UsageCharge.Line] = []
        for (name, units) in totals.sorted(by: { $0.meter < $1.meter }) {
            guard let meter = meters[name] else { return .failure(.unknownMeter(name)) }
            guard let charge = meter.exactCharge(units: units, region: regionName) else { return .failure(.unpriced(name, regionName)) }
            guard case .success(let (numerator, parts)) = charge else { return .failure(.tooLarge) }
            let (scaled, o1) = numerator.multipliedReportingOverflow(by: common / meter.chargeDenominator)
            let (sum, o2) = total.addingReportingOverflow(scaled)
            guard !o1, !o2 else { return .failure(.tooLarge) }
            total = sum
            lines.append(.init(meter: name, quantity: meter.quantity(units), unit: meter.unit,
                               exact: Meter.decimalText(numerator, scale: meter.decimals + Meter.maxPriceScale), parts: parts))
        }
        guard let amount = ExactDecimal.divideHalfEven(total, common), amount <= Meter.maxUnits else { return .failure(.tooLarge) }
        return .success(UsageCharge(amount: amount, currency: region.currency.code, region: regionName,
                                    exact: Meter.decimalText(total, scale: 9 + Meter.maxPriceScale), lines: lines))
    }
}

/// A period's usage priced: the amount (minor units, rounded once), the exact sum, and
/// each meter's part.
public struct UsageCharge: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var meter: String
        public var quantity: String
        public var unit: String
        /// The meter's exact charge in minor units, before rounding.
        public var exact: String
        public var parts: [String]
    }

    public var amount: Int64
    public var currency: String
    public var region: String
    public var exact: String
    public var lines: [Line]
}

public enum UsageChargeError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownRegion(String), unknownMeter(String), unpriced(String, String), tooLarge
    public var description: String {
        switch self {
        case .unknownRegion(let r): return "no pricing region '\(r)'"
        case .unknownMeter(let m): return "no meter '\(m)' in the pricing rules"
        case .unpriced(let m, let r): return "meter '\(m)' has no price in region \(r)"
        case .tooLarge: return "the charge passes 2^53 minor units"
        }
    }
}
