import PorticoRules
import PropertyBased
import Testing
@testable import PorticoCore

let usd = Currency.named("USD")!, jpy = Currency.named("JPY")!, bhd = Currency.named("BHD")!, eur = Currency.named("EUR")!

@Suite struct MoneyTests {
    @Test func knowsEachCurrencysExponent() {
        #expect(Money(123456, usd).description == "1234.56 USD")
        #expect(Money(1500, jpy).description == "1500 JPY")
        #expect(Money(12345, bhd).description == "12.345 BHD")
        #expect(Money(-5, eur).description == "-0.05 EUR")
        for code in ["USD", "EUR", "GBP", "JPY", "KRW", "INR", "BRL", "AUD", "CAD", "CHF", "SGD", "BHD", "KWD"] {
            #expect(Currency.named(code) != nil, "\(code)")
        }
        #expect(Currency.named("KRW")?.exponent == 0)
        #expect(Currency.named("KWD")?.exponent == 3)
    }

    /// Major units with exactly the currency's digits, for every exponent and sign, read
    /// back as the same amount.
    @Test func theDecimalTextIsExactAndReadsBack() async {
        #expect(Money(1234, usd).decimalText == "12.34")
        #expect(Money(5, usd).decimalText == "0.05")
        #expect(Money(1500, jpy).decimalText == "1500")
        #expect(Money(1234, bhd).decimalText == "1.234")
        #expect(Money(-5, eur).decimalText == "-0.05")
        #expect(Money(Int64.min, usd).decimalText == "-92233720368547758.08")
        await propertyCheck(count: 500, input: Gen.int64(in: -(1 << 53)...(1 << 53)), Gen.int(in: 0...3)) { amount, pick in
            let currency = [jpy, usd, bhd, usd][pick]
            let text = Money(amount, currency).decimalText
            let digits = text.split(separator: ".").dropFirst().first?.count ?? 0
            #expect(digits == currency.exponent, "\(text)")
            #expect(ExactDecimal(text) == ExactDecimal(mantissa: amount, scale: currency.exponent), "\(text)")
        }
    }

    @Test func arithmeticIsCheckedAndNeverMixesCurrencies() throws {
        #expect(try Money(100, usd) + Money(250, usd) == Money(350, usd))
        #expect(throws: Money.Failure.currencyMismatch("USD", "EUR")) { try Money(1, usd) + Money(1, eur) }
        #expect(throws: Money.Failure.overflow) { try Money(.max, usd) + Money(1, usd) }
        #expect(throws: Money.Failure.overflow) { try Money(.min, usd) - Money(1, usd) }
    }

    @Test func percentagesRoundHalfToEven() throws {
        #expect(try Money(100, usd).percent(ExactDecimal("12.5")!) == Money(12, usd))
        #expect(try Money(300, usd).percent(ExactDecimal("12.5")!) == Money(38, usd))
        #expect(try Money(-300, usd).percent(ExactDecimal("12.5")!) == Money(-38, usd))
        #expect(try Money(1001, usd).scaled(by: 1, over: 2) == Money(500, usd))
        #expect(try Money(1003, usd).scaled(by: 1, over: 2) == Money(502, usd))
    }

    @Test func allocationGivesLeftoverUnitsToTheLargestRemainders() throws {
        #expect(try Money(100, usd).allocate([1, 1, 1]).map(\.amount) == [34, 33, 33])
        #expect(try Money(-100, usd).allocate([1, 1, 1]).map(\.amount) == [-34, -33, -33])
        #expect(try Money(5, jpy).allocate([3, 7]).map(\.amount) == [2, 3])  // 1.5 and 3.5: a tie, the earlier part first
        #expect(try Money(10, usd).allocate([0, 0]).map(\.amount) == [10, 0])
        #expect(throws: Money.Failure.noParts) { try Money(1, usd).allocate([]) }
        #expect(throws: Money.Failure.negativeWeight) { try Money(1, usd).allocate([1, -1]) }
    }

    /// A million random allocations: the parts always sum exactly to the whole, every part
    /// is within one minor unit of its exact share, and the result is the same twice.
    @Test func aMillionAllocationsSumExactly() async {
        await propertyCheck(count: 1_000_000, input: Gen.int64(in: -1_000_000_000_000...1_000_000_000_000),
                            Gen.int64(in: 0...1_000_000).array(of: 1...5)) { amount, weights in
            let m = Money(amount, usd)
            guard let parts = try? m.allocate(weights) else { Issue.record("allocation failed"); return }
            #expect(parts.reduce(Int64(0)) { $0 + $1.amount } == amount)
            let total = weights.reduce(Int128(0)) { $0 + Int128($1) }
            if total > 0 {
                for (p, w) in zip(parts, weights) {
                    let exact = Int128(amount) * Int128(w)  // share × total
                    let diff = Int128(p.amount) * total - exact
                    #expect(diff.magnitude < total.magnitude)
                }
            }
        }
    }
}
