/// Largest-remainder allocation: a whole split in proportion to weights so that the parts
/// always sum to the whole. Shared by `Money.allocate` and the commission ceiling.
public enum Allocation {
    /// Each part is its exact share rounded toward zero; the units left over go, one each,
    /// to the parts with the largest remainders (earlier parts first on ties). Weights
    /// must not be negative; with no weight anywhere the whole goes to the first part.
    public static func largestRemainder(_ whole: Int64, weights: [Int64]) -> [Int64] {
        precondition(!weights.isEmpty && weights.allSatisfy { $0 >= 0 })
        let total = weights.reduce(Int128(0)) { $0 + Int128($1) }
        guard total > 0 else { return weights.indices.map { $0 == 0 ? whole : 0 } }
        let magnitude = Int128(whole.magnitude)
        var parts: [Int128] = []
        var remainders: [(index: Int, remainder: Int128)] = []
        parts.reserveCapacity(weights.count)
        for (i, w) in weights.enumerated() {
            let exact = magnitude * Int128(w)
            parts.append(exact / total)
            remainders.append((i, exact % total))
        }
        var left = magnitude - parts.reduce(0, +)
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.index < $1.index }
        var k = 0
        while left > 0 {
            parts[remainders[k].index] += 1
            left -= 1
            k += 1
        }
        let sign: Int128 = whole < 0 ? -1 : 1
        return parts.map { Int64(sign * $0) }
    }
}
