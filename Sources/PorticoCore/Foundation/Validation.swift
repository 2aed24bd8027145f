import PorticoRules

/// Checks on the free-form values partners type in. Each answers the normalized value
/// or throws -32602 naming the field.
///
/// Lengths are counted in Unicode scalars (code points), never in grapheme clusters (a
/// letter with 100,000 combining accents is one cluster) nor in bytes.
public enum Validate {
    /// What every string the engine reads from a request may hold: no C0 control
    /// character but tab, line feed and carriage return, no DEL, no C1 control. NUL in
    /// particular never reaches the store, where SQLite would cut the text at it.
    public static func wireText(_ s: String, field: @autoclosure () -> String) throws(PorticoError) {
        // Most text holds no byte below 0x20, no DEL and no C2 lead: one pass over the
        // contiguous bytes says so.
        let plain = s.utf8.withContiguousStorageIfAvailable { bytes in
            var suspect = false
            for b in bytes { suspect = suspect || b < 0x20 || b == 0x7F || b == 0xC2 }
            return !suspect
        }
        if plain == true { return }
        var mayHoldC1 = false
        for b in s.utf8 where b < 0x20 || b == 0x7F || b == 0xC2 {
            switch b {
            case 0x09, 0x0A, 0x0D: continue
            case 0xC2: mayHoldC1 = true  // U+0080-U+009F are C2 80-C2 9F; other C2 xx are printable
            default: throw .invalid(field(), "must not contain control characters (\(controlName(b)))")
            }
        }
        if mayHoldC1, s.unicodeScalars.contains(where: { (0x80...0x9F).contains($0.value) }) {
            throw .invalid(field(), "must not contain control characters (U+0080-U+009F)")
        }
    }

    static func controlName(_ b: UInt8) -> String {
        b == 0 ? "NUL, U+0000" : "U+" + String(repeating: "0", count: b < 0x10 ? 3 : 2) + String(b, radix: 16, uppercase: true)
    }

    /// Whether the string has more than `limit` Unicode scalars (counting stops there).
    static func hasMoreScalars(_ s: String, than limit: Int) -> Bool {
        if s.utf8.count <= limit { return false }
        var n = 0
        for _ in s.unicodeScalars {
            n += 1
            if n > limit { return true }
        }
        return false
    }

    /// Characters that change how the text around them is laid out or read without being
    /// seen: bidirectional embeddings, overrides, isolates and marks (the "Trojan Source"
    /// characters), and the line and paragraph separators.
    static func isLayoutControl(_ v: UInt32) -> Bool {
        switch v {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }

    /// Shows up on a page: not white space, not a format or default-ignorable character
    /// (U+200B and its kin), not a combining mark on its own.
    static func isVisible(_ u: Unicode.Scalar) -> Bool {
        let p = u.properties
        if p.isWhitespace || p.isDefaultIgnorableCodePoint { return false }
        switch p.generalCategory {
        case .control, .format, .nonspacingMark, .enclosingMark, .spacingMark, .lineSeparator, .paragraphSeparator,
             .spaceSeparator, .surrogate, .unassigned:
            return false
        default:
            return true
        }
    }

    /// A single line people read (a display name, a reason): trimmed, 1 to `max` Unicode
    /// scalars, at least one visible character, no control characters, no bidirectional
    /// controls or line separators.
    public static func name(_ raw: String, field: String, max: Int = 200) throws(PorticoError) -> String {
        let s = raw.trimmingWhitespace
        guard !s.isEmpty else { throw .invalid(field, "must not be empty") }
        if s.utf8.allSatisfy({ $0 < 0x80 }) {
            guard s.utf8.count <= max else { throw .invalid(field, "must be at most \(max) characters") }
            guard !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw .invalid(field, "must not contain control characters")
            }
            return s
        }
        guard !hasMoreScalars(s, than: max) else { throw .invalid(field, "must be at most \(max) characters (Unicode code points)") }
        var visible = false
        for u in s.unicodeScalars {
            if u.properties.generalCategory == .control { throw .invalid(field, "must not contain control characters") }
            if isLayoutControl(u.value) {
                throw .invalid(field, "must not contain bidirectional controls or line separators (U+\(String(u.value, radix: 16, uppercase: true)))")
            }
            if !visible, isVisible(u) { visible = true }
        }
        guard visible else { throw .invalid(field, "must contain a visible character") }
        return s
    }

    /// A reason recorded with a change: a name up to 500 characters.
    public static func reason(_ raw: String, field: String = "reason") throws(PorticoError) -> String {
        try name(raw, field: field, max: 500)
    }

    /// An opaque key a client chooses (an external id, an idempotency key, an operator id):
    /// 1 to `max` Unicode scalars, compared exactly; no control characters (tab and line
    /// breaks included), no bidirectional controls or line separators.
    public static func key(_ s: String, field: @autoclosure () -> String, max: Int) throws(PorticoError) -> String {
        // Printable ASCII (most keys): nothing to look up per scalar.
        if s.utf8.count <= max && !s.isEmpty && s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        let field = field()
        guard !s.isEmpty else { throw .invalid(field, "must not be empty") }
        guard !hasMoreScalars(s, than: max) else { throw .invalid(field, "must be 1-\(max) characters (Unicode code points)") }
        for u in s.unicodeScalars {
            if u.properties.generalCategory == .control { throw .invalid(field, "must not contain control characters") }
            if isLayoutControl(u.value) {
                throw .invalid(field, "must not contain bidirectional controls or line separators (U+\(String(u.value, radix: 16, uppercase: true)))")
            }
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

    /// One of an enum's values, as sent (statuses, roles): -32602 listing them otherwise.
    public static func oneOf<E: CaseIterable & RawRepresentable>(_ raw: String, field: String) throws(PorticoError) -> E
        where E.RawValue == String
    {
        guard let v = E(rawValue: raw) else {
            throw .invalid(field, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }

    /// One of the values the rule files declare (a tier, a region), in any case: answered
    /// in lower case; anything else is -32602 with "did you mean" and the allowed values.
    public static func declared(_ raw: String, among known: [String], kind: String, field: String) throws(PorticoError) -> String {
        let s = raw.lowercased()
        guard known.contains(s) else {
            throw .invalid(field, "unknown \(kind) '\(raw)'\(Suggestion.hint(for: s, among: known)); the rules declare \(known.joined(separator: ", "))")
        }
        return s
    }

    /// A tier declared in pricing.yaml (`tiers`).
    public static func tier(_ raw: String, _ pricing: PricingRules, field: String = "tier") throws(PorticoError) -> String {
        try declared(raw, among: pricing.tiers, kind: "tier", field: field)
    }

    /// A pricing region declared in pricing.yaml (`regions`).
    public static func region(_ raw: String, _ pricing: PricingRules, field: String = "region") throws(PorticoError) -> String {
        try declared(raw, among: pricing.regions.keys.sorted(), kind: "region", field: field)
    }

    /// An assigned ISO 3166-1 alpha-2 country code, in any case; answered in upper case.
    public static func country(_ raw: String, field: String = "country") throws(PorticoError) -> String {
        guard let c = Country.normalized(raw) else {
            throw .invalid(field, "'\(raw)' is not an assigned ISO 3166-1 alpha-2 country code (such as DE or JP)")
        }
        return c
    }

    /// An ISO 4217 currency code the engine knows, in any case; answered canonical.
    public static func currency(_ raw: String, field: String = "currency") throws(PorticoError) -> Currency {
        guard let c = Currency.named(raw.uppercased()) else {
            throw .invalid(field, "unknown currency '\(raw)' (an ISO 4217 code such as USD, EUR, JPY)")
        }
        return c
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
