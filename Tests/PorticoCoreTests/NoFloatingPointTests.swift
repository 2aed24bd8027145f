import Foundation
import Testing

/// Money must never pass through binary floating point: no Double, Float or
/// floating literal conversions in the sources that compute money and percentages.
@Suite struct NoFloatingPointTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized

    @Test func moneyPathsUseNoFloatingPoint() throws {
        let paths = ["PorticoCore/Money", "PorticoCore/Sales", "PorticoCore/Reports", "PorticoRules/Values", "PorticoRules/Commission",
                     "PorticoRules/Pricing", "PorticoRules/Conditions", "PorticoStore", "JSONRPC"]
        // Foundation's Decimal is decimal floating point: also kept off money paths.
        let pattern = try NSRegularExpression(pattern: #"\b(Double|Float|Float80|CGFloat)\b|(?<![A-Za-z])Decimal\b"#)
        func matches(_ s: String) -> Bool { pattern.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil }
        #expect(matches("let rate: Double = 0.2") && matches("Decimal(string: x)") && !matches("ExactDecimal(\"12.5\")"))
        var offenders: [String] = []
        for path in paths {
            let dir = Self.root.appendingPathComponent(path)
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
            for file in files {
                let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
                for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                    let c = String(code)
                    if pattern.firstMatch(in: c, range: NSRange(c.startIndex..., in: c)) != nil {
                        offenders.append("\(path)/\(file):\(n + 1): \(c.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        #expect(offenders.isEmpty, "\(offenders)")
    }
}
