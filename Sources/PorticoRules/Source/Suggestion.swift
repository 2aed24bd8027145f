/// "Did you mean …?" for a misspelt name: the closest known names by edit distance.
public enum Suggestion {
    /// The known names within a small edit distance of `name`, closest first (at most 3).
    public static func closest(to name: String, among known: [String]) -> [String] {
        let a = Array(name.utf8)
        let limit = max(2, a.count / 4)
        var scored: [(name: String, distance: Int)] = []
        for k in known {
            let d = distance(a, Array(k.utf8))
            if d <= limit { scored.append((k, d)) }
        }
        scored.sort { l, r in l.distance != r.distance ? l.distance < r.distance : l.name < r.name }
        return scored.prefix(3).map { $0.name }
    }

    /// A hint to append to a message: ` (did you mean 'x'?)`, or empty.
    public static func hint(for name: String, among known: [String]) -> String {
        let c = closest(to: name, among: known)
        guard !c.isEmpty else { return "" }
        return " (did you mean \(c.map { "'\($0)'" }.joined(separator: " or "))?)"
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit.
    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], prev2[j - 2] + 1) }
            }
            prev2 = prev
            prev = cur
        }
        return prev[b.count]
    }
}
