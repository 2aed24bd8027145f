import Foundation
import JSONRPC

/// `brand.get` and `brand.update`: a partner's white-label brand. Every field is checked
/// where it comes in: URLs https only, colours `#RRGGBB`, a font from `Theme.fonts`, and a
/// theme whose text reaches WCAG 2.2 AA contrast (4.5:1) on its background and on its
/// primary colour.
public enum BrandService {
    /// What `brand.update` may change: nil leaves a field; `.some(nil)` clears an optional one.
    public struct Changes: Sendable {
        public var displayName: String?
        public var logoUrl: String??
        public var faviconUrl: String??
        public var theme: ThemeChanges?
        public var supportEmail: String??
        public var supportUrl: String??
        public init(displayName: String? = nil, logoUrl: String?? = nil, faviconUrl: String?? = nil, theme: ThemeChanges? = nil,
                    supportEmail: String?? = nil, supportUrl: String?? = nil)
        {
            self.displayName = displayName; self.logoUrl = logoUrl; self.faviconUrl = faviconUrl; self.theme = theme
            self.supportEmail = supportEmail; self.supportUrl = supportUrl
        }
    }

    public struct ThemeChanges: Sendable {
        public var primary, accent, background, text, font: String?
        public init(primary: String? = nil, accent: String? = nil, background: String? = nil, text: String? = nil, font: String? = nil) {
            self.primary = primary; self.accent = accent; self.background = background; self.text = text; self.font = font
        }
    }

    /// The partner's brand (the default one until it sets its own).
    public static func load(_ partner: PartnerRecord, _ store: any StoreTransaction) throws -> BrandRecord {
        try store.brand(partnerId: partner.id) ?? .standard(for: partner)
    }

    public static func get(_ ctx: RequestContext, partnerId: String) throws -> JSONValue {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        return json(try load(partner, ctx.store), partner: partner, baseDomain: ctx.baseDomain)
    }

    /// The brand with the storefront's host on the platform's domain.
    public static func json(_ brand: BrandRecord, partner: PartnerRecord, baseDomain: String) -> JSONValue {
        guard case .object(var o) = brand.json else { return brand.json }
        o["host"] = .string(partner.subdomain + "." + baseDomain)
        return .object(o)
    }

    public static func update(_ ctx: RequestContext, partnerId: String, _ c: Changes) throws -> JSONValue {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let stored = try ctx.store.brand(partnerId: partner.id)
        var brand = stored ?? .standard(for: partner)
        if let name = c.displayName { brand.displayName = try Validate.name(name, field: "displayName", max: 100) }
        if let v = c.logoUrl { brand.logoUrl = try v.map { try url($0, field: "logoUrl") } }
        if let v = c.faviconUrl { brand.faviconUrl = try v.map { try url($0, field: "faviconUrl") } }
        if let v = c.supportUrl { brand.supportUrl = try v.map { try url($0, field: "supportUrl") } }
        if let v = c.supportEmail { brand.supportEmail = try v.map { try Validate.email($0, field: "supportEmail") } }
        if let t = c.theme {
            if let v = t.primary { brand.theme.primary = try colour(v, field: "theme.primary") }
            if let v = t.accent { brand.theme.accent = try colour(v, field: "theme.accent") }
            if let v = t.background { brand.theme.background = try colour(v, field: "theme.background") }
            if let v = t.text { brand.theme.text = try colour(v, field: "theme.text") }
            if let v = t.font {
                guard Theme.fonts.contains(v) else {
                    throw PorticoError.invalid("theme.font", "must be one of \(Theme.fonts.joined(separator: ", "))")
                }
                brand.theme.font = v
            }
            try readable(brand.theme)
        }
        // Nothing changed: nothing written, nothing audited.
        if let stored, brand == stored { return json(stored, partner: partner, baseDomain: ctx.baseDomain) }
        brand.updatedAt = ctx.now
        if stored == nil { brand.createdAt = ctx.now }
        try ctx.store.save(brand)
        try ctx.audit(targetType: "brand", targetId: partner.id, partnerId: partner.id, before: stored?.json, after: brand.json)
        return json(brand, partner: partner, baseDomain: ctx.baseDomain)
    }

    /// An https URL of at most 2,048 bytes with a host, and nothing a page could not
    /// carry in an attribute as it is (no spaces, quotes or angle brackets).
    static func url(_ raw: String, field: String) throws(PorticoError) -> String {
        try Validate.wireText(raw, field: field)
        guard raw.utf8.count <= 2048 else { throw .invalid(field, "is longer than 2,048 bytes") }
        guard raw.lowercased().hasPrefix("https://") else { throw .invalid(field, "must be an https URL") }
        let rest = raw.utf8.dropFirst(8)
        guard let host = rest.split(whereSeparator: { $0 == 0x2F || $0 == 0x3F || $0 == 0x23 }).first, !host.isEmpty,
              !host.contains(0x40)
        else { throw .invalid(field, "must name a host (https://host/...)") }
        guard raw.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x27 && $0 != 0x3C && $0 != 0x3E && $0 != 0x5C && $0 != 0x60 })
        else { throw .invalid(field, "must be a plain URL: printable ASCII without spaces, quotes, backslashes or angle brackets (percent-encode them)") }
        return raw
    }

    /// `#RRGGBB`, answered lower case.
    static func colour(_ raw: String, field: String) throws(PorticoError) -> String {
        let bytes = Array(raw.utf8)
        guard bytes.count == 7, bytes[0] == 0x23, hexBytes(bytes[1...]) != nil else {
            throw .invalid(field, "must be a colour as #RRGGBB")
        }
        return raw.lowercased()
    }

    /// Text must read on the background and on the primary colour (buttons, the header).
    static func readable(_ t: Theme) throws(PorticoError) {
        for (other, name) in [(t.background, "background"), (t.primary, "primary")] {
            let ratio = Contrast.ratio(t.text, other)
            guard ratio >= Contrast.minimum else {
                throw .invalid("theme.text", "text \(t.text) on \(name) \(other) has contrast \(Contrast.format(ratio)):1; WCAG 2.2 AA needs 4.5:1")
            }
        }
    }
}

/// WCAG 2.2 contrast between two `#rrggbb` colours: (L1 + 0.05) / (L2 + 0.05) of their
/// relative luminances, sRGB channels linearised. Not money: a Double is right here.
public enum Contrast {
    public static let minimum = 4.5

    static func luminance(_ hex: String) -> Double {
        let rgb = hexBytes(Array(hex.utf8)[1...]) ?? [0, 0, 0]
        func channel(_ i: Int) -> Double {
            let v = Double(rgb[i]) / 255
            return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2)
    }

    public static func ratio(_ a: String, _ b: String) -> Double {
        let (x, y) = (luminance(a), luminance(b))
        return (max(x, y) + 0.05) / (min(x, y) + 0.05)
    }

    /// Two decimals, rounded down, so a pair that fails is never shown as reaching 4.50.
    static func format(_ ratio: Double) -> String {
        let hundredths = Int((ratio * 100).rounded(.down))
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}
