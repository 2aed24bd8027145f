/// Checks on the free-form values partners type in. Each answers the normalized value
/// or throws -32602 naming the field.
public enum Validate {
    /// A display name: trimmed, 1–200 characters, no control characters.
    public static func name(_ raw: String, field: String) throws(PorticoError) -> String {
        let s = raw.trimmingWhitespace
        guard !s.isEmpty else { throw .invalid(field, "must not be empty") }
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            guard s.utf8.count <= 200 else { throw .invalid(field, "must be at most 200 characters") }
            guard !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw .invalid(field, "must not contain control characters")
            }
            return s
        }
        guard s.count <= 200 else { throw .invalid(field, "must be at most 200 characters") }
        guard !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalid(field, "must not contain control characters")
        }
        return s
    }

    /// Subdomains that would collide with the platform's own hosts.
    public static let reservedSubdomains: Set<String> = [
        "www", "api", "app", "admin", "portal", "mail", "static", "cdn", "status", "auth", "login", "docs", "help",
    ]

    /// A DNS label (RFC 1035 as relaxed by RFC 1123): 1–63 of a–z, 0–9 and '-', not
    /// starting or ending with '-'. Upper case is folded to lower case.
    public static func subdomain(_ raw: String, field: String = "subdomain") throws(PorticoError) -> String {
        let s = raw.lowercased()
        guard !s.isEmpty else { throw .invalid(field, "must not be empty") }
        guard s.utf8.count <= 63 else { throw .invalid(field, "a DNS label has at most 63 characters") }
        guard s.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }) else {
            throw .invalid(field, "may contain only letters a-z, digits and '-'")
        }
        guard s.first != "-", s.last != "-" else { throw .invalid(field, "must not start or end with '-'") }
        let u = Array(s.utf8)
        if u.count >= 4, u[2] == 0x2D, u[3] == 0x2D, !s.hasPrefix("xn--") {
            throw .invalid(field, "'--' in the third and fourth positions is reserved for punycode (xn--)")
        }
        guard !reservedSubdomains.contains(s) else { throw .invalid(field, "'\(s)' is reserved") }
        return s
    }

    /// An email address (the practical subset of RFC 5321 every mail system accepts),
    /// folded to lower case.
    public static func email(_ raw: String, field: String = "email") throws(PorticoError) -> String {
        let s = raw.trimmingWhitespace.lowercased()
        guard s.utf8.count <= 254 else { throw .invalid(field, "must be at most 254 characters") }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalid(field, "must be one local part, '@' and a domain") }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, local.utf8.count <= 64, local.utf8.allSatisfy(isLocalPartByte),
              local.first != ".", local.last != ".", !local.contains("..")
        else { throw .invalid(field, "the part before '@' is not valid") }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { throw .invalid(field, "the domain must have at least two labels") }
        for label in labels {
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }),
                  label.first != "-", label.last != "-"
            else { throw .invalid(field, "the domain is not valid") }
        }
        guard let tld = labels.last, tld.count >= 2, tld.allSatisfy(\.isLetter) else {
            throw .invalid(field, "the domain must end in an alphabetic top-level domain")
        }
        return s
    }

    /// Letters, digits and the specials RFC 5322 allows unquoted in a local part.
    static func isLocalPartByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x61...0x7A, 0x30...0x39: return true
        case UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"),
             UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "/"),
             UInt8(ascii: "="), UInt8(ascii: "?"), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
             UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"), UInt8(ascii: "~"), UInt8(ascii: "-"): return true
        default: return false
        }
    }

    /// A short lower-case code such as a region (`eu`, `us-east`) or a tier (`gold`).
    public static func code(_ raw: String, field: String) throws(PorticoError) -> String {
        let u = Array(raw.utf8)
        guard (1...32).contains(u.count), (0x61...0x7A).contains(u[0]),
              u.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D })
        else { throw .invalid(field, "must be 1-32 characters of a-z, 0-9 and '-', starting with a letter") }
        return raw
    }
}

extension String {
    var trimmingWhitespace: String {
        // Fast path: nothing to trim when both ends are visible ASCII.
        if let f = utf8.first, let l = utf8.last, f > 0x20, f < 0x7F, l > 0x20, l < 0x7F { return self }
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
