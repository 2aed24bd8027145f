import Foundation

/// Host names as stored and compared: lower case, no trailing dot, international labels
/// in their ASCII form (IDNA: `bücher.example` is `xn--bcher-kva.example`), each label
/// letters, digits and inner hyphens of 1 to 63 bytes, 253 bytes at most, two labels at
/// least and a top-level label that is not all digits. IP literals, ports and wildcards
/// are refused by name.
public enum Hostname {
    public static func normalize(_ raw: String, field: String = "hostname") throws(PorticoError) -> String {
        try Validate.wireText(raw, field: field)
        // No valid name is longer (a label's ASCII form is never shorter than its scalars):
        // refused before any work grows with it.
        guard raw.utf8.count <= 1024 else { throw .invalid(field, "is longer than 253 bytes") }
        var text = raw.precomposedStringWithCanonicalMapping.lowercased()
        // The dots IDNA treats as label separators.
        for dot in ["\u{3002}", "\u{FF0E}", "\u{FF61}"] where text.contains(dot) { text = text.replacingOccurrences(of: dot, with: ".") }
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { throw .invalid(field, "is empty") }
        if text.contains("*") { throw .invalid(field, "wildcards are not allowed: add each host name") }
        if text.contains(":") || text.contains("[") || text.contains("/") || text.contains("@") {
            throw .invalid(field, "must be a host name alone, without a port, a scheme, a path or an IPv6 address")
        }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard labels.count >= 2 else { throw .invalid(field, "needs at least two labels (example.com)") }
        if labels.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) {
            throw .invalid(field, "IP addresses are not allowed: give a host name")
        }
        var ascii: [String] = []
        for label in labels {
            guard !label.isEmpty else { throw .invalid(field, "has an empty label") }
            let encoded: String
            if label.utf8.allSatisfy({ $0 < 0x80 }) {
                encoded = label
            } else {
                guard label.unicodeScalars.count <= 63 else { throw .invalid(field, "label '\(label)' is longer than 63 bytes") }
                guard label.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || $0.properties.numericType != nil || $0 == "-" }) else {
                    throw .invalid(field, "label '\(label)' holds a character a host name cannot")
                }
                guard let p = punycode(label) else { throw .invalid(field, "label '\(label)' cannot be encoded") }
                encoded = "xn--" + p
            }
            guard encoded.utf8.count <= 63 else { throw .invalid(field, "label '\(label)' is longer than 63 bytes") }
            guard encoded.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
                throw .invalid(field, "label '\(label)' may hold only letters, digits and hyphens")
            }
            guard !encoded.hasPrefix("-") && !encoded.hasSuffix("-") else {
                throw .invalid(field, "label '\(label)' may not begin or end with a hyphen")
            }
            ascii.append(encoded)
        }
        if ascii.last!.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { throw .invalid(field, "the top-level label may not be all digits") }
        let name = ascii.joined(separator: ".")
        guard name.utf8.count <= 253 else { throw .invalid(field, "is longer than 253 bytes") }
        return name
    }

    /// Whether `host` is `base` or one of its subdomains.
    public static func isWithin(_ host: String, _ base: String) -> Bool {
        host == base || host.hasSuffix("." + base)
    }

    /// Punycode (RFC 3492) of a label's code points; nil on overflow.
    static func punycode(_ label: String) -> String? {
        let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700
        let input = label.unicodeScalars.map { Int($0.value) }
        var output: [UInt8] = input.filter { $0 < 0x80 }.map { UInt8($0) }
        let basic = output.count
        if basic > 0 { output.append(UInt8(ascii: "-")) }
        func digit(_ d: Int) -> UInt8 { d < 26 ? UInt8(0x61 + d) : UInt8(0x30 + d - 26) }
        func adapt(_ delta: Int, _ points: Int, _ first: Bool) -> Int {
            var delta = first ? delta / damp : delta / 2
            delta += delta / points
            var k = 0
            while delta > ((base - tMin) * tMax) / 2 {
                delta /= base - tMin
                k += base
            }
            return k + (base - tMin + 1) * delta / (delta + skew)
        }
        var n = 0x80, delta = 0, bias = 72, handled = basic
        while handled < input.count {
            guard let m = input.filter({ $0 >= n }).min() else { return nil }
            let (step, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= Int(Int32.max) - step else { return nil }
            delta += step
            n = m
            for c in input {
                if c < n { delta += 1 }
                guard c == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, handled + 1, handled == basic)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
