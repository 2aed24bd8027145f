import JSONRPC

/// A partner's white-label brand: what its storefront and the partner API's pages show.
/// A partner without a stored brand has the default one (its name, the default theme).
public struct BrandRecord: Sendable, Equatable {
    public var partnerId: String
    public var displayName: String
    public var logoUrl: String?
    public var faviconUrl: String?
    public var theme: Theme
    public var supportEmail: String?
    public var supportUrl: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(partnerId: String, displayName: String, logoUrl: String? = nil, faviconUrl: String? = nil, theme: Theme = .standard,
                supportEmail: String? = nil, supportUrl: String? = nil, createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.partnerId = partnerId; self.displayName = displayName; self.logoUrl = logoUrl; self.faviconUrl = faviconUrl
        self.theme = theme; self.supportEmail = supportEmail; self.supportUrl = supportUrl; self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The brand of a partner that never set one.
    public static func standard(for partner: PartnerRecord) -> BrandRecord {
        BrandRecord(partnerId: partner.id, displayName: partner.name, createdAt: partner.createdAt, updatedAt: partner.createdAt)
    }

    public var json: JSONValue {
        [
            "partnerId": .string(partnerId), "displayName": .string(displayName), "logoUrl": .string(logoUrl),
            "faviconUrl": .string(faviconUrl), "theme": theme.json, "supportEmail": .string(supportEmail),
            "supportUrl": .string(supportUrl), "createdAt": .string(createdAt.rfc3339), "updatedAt": .string(updatedAt.rfc3339),
        ]
    }
}

/// A brand's colours (`#RRGGBB`, stored lower case) and font.
public struct Theme: Sendable, Equatable {
    public var primary: String
    public var accent: String
    public var background: String
    public var text: String
    public var font: String

    public init(primary: String, accent: String, background: String, text: String, font: String) {
        self.primary = primary; self.accent = accent; self.background = background; self.text = text; self.font = font
    }

    /// Dark text on white and on a light blue primary, a deep blue accent for links.
    public static let standard = Theme(primary: "#93c5fd", accent: "#1d4ed8", background: "#ffffff", text: "#111827", font: "system-ui")

    /// The fonts a theme may name: families every browser has, or that a storefront loads
    /// itself; a free-form name would be CSS injected into every page.
    public static let fonts = ["system-ui", "serif", "sans-serif", "monospace", "Inter", "Roboto", "Open Sans", "Lato",
                               "Source Sans 3", "Merriweather", "IBM Plex Sans", "Noto Sans"]

    public var json: JSONValue {
        ["primary": .string(primary), "accent": .string(accent), "background": .string(background), "text": .string(text),
         "font": .string(font)]
    }
}

/// A custom domain of a partner's storefront, and where its certificate stands.
///
/// Stored states: `pending_dns` (added; the TXT challenge not seen yet) -> `verified`
/// (the host found the challenge) -> `certificate_pending` (claimed for issuance by
/// `brand.domain.due`) -> `active` (a certificate until `notAfter`), or `failed` (issuance
/// failed; claimed again by the next `due`). An active domain's state as answered also
/// follows the clock: `expiring` within 30 days of `notAfter`, `expired` from it; both are
/// claimed for renewal, and a domain being renewed keeps serving while its certificate lasts.
public struct DomainRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case pendingDNS = "pending_dns", verified, certificatePending = "certificate_pending", active, failed
    }

    public var seq: Int64 = 0
    public var hostname: String
    public var partnerId: String
    public var status: Status
    /// The TXT record's value the host must find at `_portico-challenge.<hostname>`.
    public var challenge: String
    public var notAfter: Timestamp?
    public var error: String?
    /// When `brand.domain.due` last claimed it for a certificate.
    public var claimedAt: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, hostname: String, partnerId: String, status: Status, challenge: String, notAfter: Timestamp? = nil,
                error: String? = nil, claimedAt: Timestamp? = nil, createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.hostname = hostname; self.partnerId = partnerId; self.status = status; self.challenge = challenge
        self.notAfter = notAfter; self.error = error; self.claimedAt = claimedAt; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// How long before `notAfter` a certificate is renewed.
    public static let renewalMs: Int64 = 30 * 86_400_000

    /// The state as answered at `now`: an active domain's certificate ages.
    public func state(at now: Timestamp) -> String {
        guard status == .active, let notAfter else { return status.rawValue }
        if now >= notAfter { return "expired" }
        if now >= notAfter.adding(milliseconds: -Self.renewalMs) { return "expiring" }
        return "active"
    }

    /// Whether the storefront is served on it at `now`: a certificate in force (an active
    /// domain, or one being renewed).
    public func serves(at now: Timestamp) -> Bool {
        (status == .active || status == .certificatePending) && (notAfter.map { now < $0 } ?? false)
    }

    public static let challengePrefix = "_portico-challenge."

    public func json(now: Timestamp, cnameTarget: String?) -> JSONValue {
        var records: [JSONValue] = [["type": "TXT", "name": .string(Self.challengePrefix + hostname), "value": .string(challenge)]]
        if let cnameTarget { records.insert(["type": "CNAME", "name": .string(hostname), "value": .string(cnameTarget)], at: 0) }
        return [
            "hostname": .string(hostname), "partnerId": .string(partnerId), "status": .string(state(at: now)),
            "dnsRecords": .array(records), "notAfter": .string(notAfter?.rfc3339), "error": .string(error),
            "createdAt": .string(createdAt.rfc3339), "updatedAt": .string(updatedAt.rfc3339),
        ]
    }
}

/// Brands and custom domains in storage.
public protocol BrandStore {
    func brand(partnerId: String) throws -> BrandRecord?
    /// Inserts or replaces the partner's brand.
    func save(_ brand: BrandRecord) throws
    func insert(_ domain: inout DomainRecord) throws
    func domain(hostname: String) throws -> DomainRecord?
    func domains(partnerId: String, afterSeq: Int64, limit: Int) throws -> [DomainRecord]
    /// Writes the domain's state fields if its status is still `expected`; answers whether it was.
    func update(_ domain: DomainRecord, expected: DomainRecord.Status) throws -> Bool
    func deleteDomain(hostname: String) throws
    /// Domains that may need a certificate at `asOf`, oldest first: verified or failed
    /// ones, active ones whose certificate ends before `renewBefore`, and claims older
    /// than `staleBefore`.
    func domainsDue(renewBefore: Timestamp, staleBefore: Timestamp, limit: Int) throws -> [DomainRecord]
}
