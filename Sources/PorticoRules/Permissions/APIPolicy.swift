/// What the partner API allows: which actions each OAuth scope grants, and how many
/// requests a partner's API clients may make, by partner tier. Read from the `api`
/// section of `permissions.yaml`; the partner API enforces it.
public struct APIPolicy: Sendable {
    public struct RateLimit: Sendable, Equatable {
        public var requests: Int
        public var perSeconds: Int
        public init(requests: Int, perSeconds: Int) { self.requests = requests; self.perSeconds = perSeconds }
    }

    /// Scope name -> the actions it grants.
    public let scopes: [String: Set<String>]
    /// Tier -> limit; `default` applies to tiers not listed.
    public let rateLimits: [String: RateLimit]
    /// Where each tier's limit is written, for checking the tiers against pricing.yaml's.
    public var tierPositions: [(String, SourcePosition)] = []
    /// How long an access token lives (`token_lifetime_seconds`, 60 to 86,400; default 3,600).
    public let tokenLifetimeSeconds: Int

    public static let defaultTokenLifetimeSeconds = 3_600

    init(scopes: [String: Set<String>], rateLimits: [String: RateLimit], tierPositions: [(String, SourcePosition)] = [],
         tokenLifetimeSeconds: Int = APIPolicy.defaultTokenLifetimeSeconds)
    {
        self.scopes = scopes
        self.rateLimits = rateLimits
        self.tierPositions = tierPositions
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
    }

    public static let none = APIPolicy(scopes: [:], rateLimits: ["default": RateLimit(requests: 0, perSeconds: 1)])

    /// Whether a token with these scopes may call the action.
    public func allows(_ action: String, scopes granted: some Sequence<String>) -> Bool {
        granted.contains { scopes[$0]?.contains(action) ?? false }
    }

    public func rateLimit(tier: String) -> RateLimit { rateLimits[tier] ?? rateLimits["default"]! }

    static func compile(_ node: RuleNode, _ r: NodeReader, _ catalog: ActionCatalog) -> APIPolicy? {
        guard let f = r.mapping(node, "api") else { return nil }
        let before = r.diagnostics.count
        var scopes: [String: Set<String>] = [:]
        if let n = f.require("scopes", r, in: "api"), let sf = r.mapping(n, "api.scopes") {
            for e in sf.entries {
                _ = sf.take(e.key)
                let valid = !e.key.isEmpty && e.key.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x3A || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
                if !valid { r.error(e.keyPosition, "scope '\(e.key)' must be lower-case letters, ':', '.', '_' or '-'") }
                guard let items = r.list(e.value, "api.scopes.\(e.key)") else { continue }
                var actions: Set<String> = []
                for item in items {
                    guard let pattern = r.string(item, "an action") else { continue }
                    for slot in PermissionRules.actionSlots(pattern, at: item.position, r, catalog) {
                        let name = catalog.actions[slot].name
                        if catalog.actions[slot].byClient { actions.insert(name) } else if !pattern.contains("*") {
                            r.error(item.position, "a scope grants what an API client may call (api.*, oauth.introspect), not '\(name)'")
                        }
                    }
                }
                scopes[e.key] = actions
            }
        }
        var limits: [String: RateLimit] = [:]
        var positions: [(String, SourcePosition)] = []
        if let n = f.require("rate_limits", r, in: "api"), let lf = r.mapping(n, "api.rate_limits") {
            for e in lf.entries {
                _ = lf.take(e.key)
                positions.append((e.key, e.keyPosition))
                guard let tf = r.mapping(e.value, "api.rate_limits.\(e.key)") else { continue }
                let requests = tf.require("requests", r, in: "a rate limit").flatMap { r.integer($0, "requests", in: 1...1_000_000_000) }
                let per = tf.require("per_seconds", r, in: "a rate limit").flatMap { r.integer($0, "per_seconds", in: 1...86_400) }
                tf.finish(r, in: "api.rate_limits.\(e.key)")
                guard let requests, let per else { continue }
                // The limiter spaces requests by whole microseconds: a finer limit would space them by none.
                if per * 1_000_000 / requests < 1 {
                    r.error(e.value.position, "rate limit '\(e.key)': at most 1000000 requests a second (\(requests) per \(per) s is finer than one a microsecond)")
                    continue
                }
                limits[e.key] = RateLimit(requests: Int(requests), perSeconds: Int(per))
            }
            if limits["default"] == nil && r.diagnostics.count == before {
                r.error(n.position, "api.rate_limits needs a 'default' limit for the tiers it does not name")
            }
        }
        let lifetime = f.take("token_lifetime_seconds").flatMap { r.integer($0, "token_lifetime_seconds", in: 60...86_400) }
        f.finish(r, in: "api")
        guard r.diagnostics.count == before else { return nil }
        return APIPolicy(scopes: scopes, rateLimits: limits, tierPositions: positions,
                         tokenLifetimeSeconds: lifetime.map(Int.init) ?? Self.defaultTokenLifetimeSeconds)
    }
}
