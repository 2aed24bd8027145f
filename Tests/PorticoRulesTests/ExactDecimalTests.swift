import PropertyBased
import Testing
@testable import PorticoRules

@Suite struct ExactDecimalTests {
    @Test func parsesExactlyAndPrintsBack() {
        for text in ["0", "12.5", "-3.25", "0.000000000001", "100", "7.10"] {
            #expect(ExactDecimal(text)?.description == text)
        }
        #expect(ExactDecimal("12.50") == ExactDecimal("12.5"))
        #expect(ExactDecimal("0.1")! < ExactDecimal("0.2")!)
    }

    @Test func halfEvenRounding() {
        // 12.5% of 100 = 12.5 -> 12 (even); of 300 = 37.5 -> 38 (even).
        #expect(ExactDecimal("12.5")!.apply(to: 100, dividingBy: 100) == 12)
        #expect(ExactDecimal("12.5")!.apply(to: 300, dividingBy: 100) == 38)
        #expect(ExactDecimal("12.5")!.apply(to: -100, dividingBy: 100) == -12)
        #expect(ExactDecimal("33.333")!.apply(to: 1, dividingBy: 100) == 0)
        #expect(ExactDecimal.divideHalfEven(5, 2) == 2)
        #expect(ExactDecimal.divideHalfEven(7, 2) == 4)
        #expect(ExactDecimal.divideHalfEven(-5, 2) == -2)
        #expect(ExactDecimal.divideHalfEven(Int128(Int64.max) * 4, 2) == nil)
    }

    @Test func halfEvenMatchesAReferenceOnRandomInputs() async {
        await propertyCheck(count: 3000, input: Gen.int64(in: -1_000_000_000...1_000_000_000), Gen.int64(in: 1...100_000)) { n, d in
            // Reference: floor division, then compare twice the remainder with the divisor.
            var q = n / d, r = n % d
            if r < 0 { q -= 1; r += d }
            let twice = 2 * r
            let expected = twice > d || (twice == d && q % 2 != 0) ? q + 1 : q
            #expect(ExactDecimal.divideHalfEven(Int128(n), Int128(d)) == expected)
        }
    }

    @Test func orderIsNumericWhateverTheScale() async {
        await propertyCheck(count: 2000, input: Gen.int64(in: -10_000_000...10_000_000), Gen.int(in: 0...6),
                            Gen.int64(in: -10_000_000...10_000_000), Gen.int(in: 0...6)) { m1, s1, m2, s2 in
            let a = ExactDecimal(mantissa: m1, scale: s1), b = ExactDecimal(mantissa: m2, scale: s2)
            // Cross-multiply to compare a = m1/10^s1 with b = m2/10^s2.
            let lhs = Int128(m1) * Int128(ExactDecimal.pow10(s2)), rhs = Int128(m2) * Int128(ExactDecimal.pow10(s1))
            #expect((a < b) == (lhs < rhs))
            #expect((a == b) == (lhs == rhs))
            #expect(ExactDecimal(a.description) == a)
        }
    }

    @Test func datesRoundTrip() {
        for text in ["1970-01-01", "2024-02-29", "2027-03-31", "1999-12-31"] {
            #expect(RuleDate(text)?.description == text)
        }
        for bad in ["2025-02-29", "2027-13-01", "2027-1-01", "27-01-01", "2027/01/01"] {
            #expect(RuleDate(bad) == nil)
        }
        #expect(RuleDate("2027-01-01")!.days - RuleDate("2026-12-31")!.days == 1)
    }
}
