import Crypto
import JSONRPC
import PorticoRules

/// OAuth 2.0 for the partner API: confidential clients of a partner, the client
/// credentials grant (RFC 6749 §4.4), revocation (RFC 7009) and introspection (RFC 7662).
///
/// Secrets and tokens are 256 bits from the system's CSPRNG (a seeded generator with
/// `--seed`, which the engine announces on stderr), prefixed so a leaked one is
/// recognisable (`portico_cs_`, `portico_at_`), shown once, and stored only as SHA-256
/// hashes: the database, the log, the audit trail and every error see hashes or ids, never
/// the values. Client secrets are compared in constant time; tokens are found by their hash.
public enum OAuthService {
    public static let secretPrefix = "portico_cs_"
    public static let tokenPrefix = "portico_at_"
    public static let maxGraceSeconds: Int64 = 86_400

    public static func hash(_ value: String) -> String { lowercaseHex(SHA256.hash(data: Array(value.utf8))) }

    /// A new secret or token with its hash.
    static func mint(_ ctx: RequestContext, prefix: String) -> (value: String, hash: String) {
        let value = prefix + lowercaseHex(ctx.ids.bytes(32))
        return (value, hash(value))
    }

    /// The RFC 6749 §5.2 error code a failure carries in `data.oauthError`.
    static func oauth(_ e: PorticoError, _ code: String) -> PorticoError {
        var e = e
        e.data["oauthError"] = .string(code)
        return e
    }

    /// Checks requested scopes against the permission rules' `api.scopes`: sorted, distinct.
    static func scopes(_ requested: [String], _ rules: RuleSet, field: String = "scopes") throws(PorticoError) -> [String] {
        let known = rules.permissions.api.scopes.keys.sorted()
        guard !requested.isEmpty else { throw .invalid(field, "needs at least one scope (one of \(known.joined(separator: ", ")))") }
        for s in requested where rules.permissions.api.scopes[s] == nil {
            throw .invalid(field, "'\(s)' is not a scope of the permission rules (one of \(known.joined(separator: ", ")))")
        }
        return Array(Set(requested)).sorted()
    }

    static func client(_ ctx: RequestContext, id: String) throws -> (OAuthClientRecord, PartnerRecord) {
        guard let c = try ctx.store.oauthClient(id: id) else { throw PorticoError.notFound("oauthClient", id) }
        let partner = try PartnerService.load(c.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        return (c, partner)
    }

    /// `oauth.client.create`: the client and its secret, shown this once.
    public static func createClient(_ ctx: RequestContext, partnerId: String, name: String, scopes requested: [String]) throws
        -> (OAuthClientRecord, secret: String)
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let name = try Validate.name(name, field: "name")
        let scopes = try Self.scopes(requested, ctx.rules)
        let secret = mint(ctx, prefix: secretPrefix)
        var client = OAuthClientRecord(id: ctx.newID("cli"), partnerId: partner.id, name: name, scopes: scopes, secretHash: secret.hash,
                                       createdAt: ctx.now, updatedAt: ctx.now)
        try ctx.store.insert(&client)
        try ctx.audit(targetType: "oauthClient", targetId: client.id, partnerId: partner.id, before: nil, after: client.json)
        return (client, secret.value)
    }

    public static func listClients(_ ctx: RequestContext, partnerId: String, page: PageRequest) throws -> Page<OAuthClientRecord> {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        return page.page(try ctx.store.oauthClients(partnerId: partner.id, afterSeq: page.afterSeq, limit: page.limit + 1), seq: \.seq)
    }

    /// `oauth.client.revoke`: every token of the client stops working at once (a token is
    /// usable only while its client is active).
    public static func revokeClient(_ ctx: RequestContext, clientId: String) throws -> OAuthClientRecord {
        var (client, _) = try Self.client(ctx, id: clientId)
        guard client.status == .active else {
            throw PorticoError.invalidState(client.status.rawValue, allowed: ["active"], "client \(client.id) is already revoked")
        }
        let before = client
        client.status = .revoked
        client.previousSecretHash = nil
        client.previousSecretExpiresAt = nil
        client.updatedAt = ctx.now
        try ctx.store.update(client)
        try ctx.audit(targetType: "oauthClient", targetId: client.id, partnerId: client.partnerId, before: before.json, after: client.json)
        return client
    }

    /// `oauth.client.rotateSecret`: a new secret; the old one keeps working for
    /// `graceSeconds` (0 to 86,400; default 0).
    public static func rotateSecret(_ ctx: RequestContext, clientId: String, graceSeconds: Int64?) throws -> (OAuthClientRecord, secret: String) {
        var (client, _) = try Self.client(ctx, id: clientId)
        let grace = graceSeconds ?? 0
        guard grace >= 0, grace <= maxGraceSeconds else { throw PorticoError.invalid("graceSeconds", "must be between 0 and \(maxGraceSeconds)") }
        guard client.status == .active else {
            throw PorticoError.invalidState(client.status.rawValue, allowed: ["active"], "client \(client.id) is revoked")
        }
        let before = client
        let secret = mint(ctx, prefix: secretPrefix)
        client.previousSecretHash = grace > 0 ? client.secretHash : nil
        client.previousSecretExpiresAt = grace > 0 ? ctx.now.adding(milliseconds: grace * 1000) : nil
        client.secretHash = secret.hash
        client.updatedAt = ctx.now
        try ctx.store.update(client)
        try ctx.audit(targetType: "oauthClient", targetId: client.id, partnerId: client.partnerId, reason: "secret rotated",
                      before: before.json, after: client.json)
        return (client, secret.value)
    }

    /// Constant-time equality of two hex digests.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    /// A stand-in digest compared against when the client id is unknown, so an unknown
    /// client costs what a wrong secret does.
    static let absent = String(repeating: "0", count: 64)

    /// `oauth.token`, the client credentials grant: `{accessToken, tokenType, expiresIn, scope}`.
    public static func token(_ ctx: RequestContext, grantType: String, clientId: String, clientSecret: String, scope: String?) throws -> JSONValue {
        guard grantType == "client_credentials" else {
            throw oauth(.invalid("grantType", "only client_credentials is supported"), "unsupported_grant_type")
        }
        let (client, partner) = try authenticate(ctx.store, now: ctx.now, clientId: clientId, clientSecret: clientSecret,
                                                 cache: ctx.caches?.clients)
        var granted = client.scopes
        if let scope {
            let requested = scope.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard !requested.isEmpty else { throw oauth(.invalid("scope", "names no scope"), "invalid_scope") }
            for s in requested where !client.scopes.contains(s) {
                throw oauth(.invalid("scope", "'\(s)' is not a scope of this client"), "invalid_scope")
            }
            granted = Array(Set(requested)).sorted()
        }
        let lifetime = Int64(ctx.rules.permissions.api.tokenLifetimeSeconds)
        let token = mint(ctx, prefix: tokenPrefix)
        let record = OAuthTokenRecord(id: ctx.newID("tok"), hash: token.hash, clientId: client.id, partnerId: partner.id, scopes: granted,
                                      issuedAt: ctx.now, expiresAt: ctx.now.adding(milliseconds: lifetime * 1000))
        try ctx.store.insert(record)
        let scopeText = granted.joined(separator: " ")
        try ctx.audit(targetType: "oauthToken", targetId: record.id, partnerId: partner.id, before: nil,
                      after: ["clientId": .string(client.id), "scope": .string(scopeText), "expiresAt": .string(record.expiresAt.rfc3339)],
                      actorName: "client:" + client.id)
        return ["accessToken": .string(token.value), "tokenType": "Bearer", "expiresIn": .integer(lifetime), "scope": .string(scopeText)]
    }

    /// The client these credentials authenticate (its current secret, or the previous one
    /// inside its grace) with its partner: -32001 `invalid_client` whatever is wrong with
    /// them, at the same cost; -32003 `unauthorized_client` when the partner is suspended.
    public static func authenticate(_ store: any StoreTransaction, now: Timestamp, clientId: String, clientSecret: String,
                                    cache: AuthCache<ResolvedClient>?) throws -> (OAuthClientRecord, PartnerRecord)
    {
        let presented = hash(clientSecret)
        let resolved = try resolveClient(store, now: now, id: clientId, cache: cache)
        var matches = same(presented, resolved.client?.secretHash ?? absent)
        if let c = resolved.client, let previous = c.previousSecretHash, let until = c.previousSecretExpiresAt, until > now {
            matches = same(presented, previous) || matches
        }
        guard let client = resolved.client, matches, client.status == .active else {
            throw oauth(.unauthenticated("client authentication failed"), "invalid_client")
        }
        guard let partner = resolved.partner else { throw PorticoError.notFound("partner", client.partnerId) }
        guard partner.status != .suspended else {
            throw oauth(.forbidden(rule: "suspended-partner", "the client's partner is suspended"), "unauthorized_client")
        }
        return (client, partner)
    }

    /// The client `id` names (or that none does) with its partner: from the engine's cache
    /// while no partner or client changed, else read and kept.
    static func resolveClient(_ store: any StoreTransaction, now: Timestamp, id: String, cache: AuthCache<ResolvedClient>?) throws
        -> ResolvedClient
    {
        if let known = cache?.lookup(id, version: store.principalVersion, now: now) { return known }
        let client = try store.oauthClient(id: id)
        let resolved = ResolvedClient(client: client, partner: try client.flatMap { try store.partner(id: $0.partnerId) })
        // An id no client could have (ours are `cli_` and 20 characters) is not kept: the
        // cache holds nothing a caller could make large.
        if client != nil || id.utf8.count <= 64 {
            cache?.store(id, resolved, version: store.principalVersionAtStart, now: now)
        }
        return resolved
    }

    /// The token if it is usable now: known, not revoked, not expired, its client active,
    /// its partner not suspended.
    public static func usable(_ ctx: RequestContext, token: String) throws -> (OAuthTokenRecord, OAuthClientRecord, PartnerRecord)? {
        try usable(ctx.store, now: ctx.now, token: token)
    }

    public static func usable(_ store: any StoreTransaction, now: Timestamp, token: String) throws
        -> (OAuthTokenRecord, OAuthClientRecord, PartnerRecord)?
    {
        guard token.hasPrefix(tokenPrefix), let t = try store.oauthToken(hash: hash(token)), t.revokedAt == nil, t.expiresAt > now,
              let client = try store.oauthClient(id: t.clientId), client.status == .active,
              let partner = try store.partner(id: t.partnerId), partner.status != .suspended
        else { return nil }
        return (t, client, partner)
    }

    /// The caller of a partner API method: the client of a usable access token, with the
    /// token's scopes; -32001 with `oauthError: "invalid_token"` otherwise (RFC 6750 §3.1),
    /// the same whatever made it unusable.
    public static func caller(_ store: any StoreTransaction, now: Timestamp, accessToken: String, cache: TokenCache? = nil) throws -> Actor {
        if let cache, let actor = cache.lookup(accessToken, version: store.authVersion, now: now) { return actor }
        guard let (t, client, partner) = try usable(store, now: now, token: accessToken) else {
            throw oauth(.unauthenticated("the access token is unknown, expired or revoked"), "invalid_token")
        }
        let actor = Actor.client(TokenGrant(client: client, partner: partner, scopes: t.scopes))
        cache?.store(accessToken, actor, expiresAt: t.expiresAt, version: store.authVersionAtStart, now: now)
        return actor
    }

    /// `oauth.revoke` (RFC 7009): an unknown or already revoked token answers success too.
    public static func revoke(_ ctx: RequestContext, token: String) throws -> JSONValue {
        let digest = hash(token)
        if let t = try ctx.store.oauthToken(hash: digest), try ctx.store.revokeToken(hash: digest, at: ctx.now) {
            try ctx.audit(targetType: "oauthToken", targetId: t.id, partnerId: t.partnerId, before: nil,
                          after: ["clientId": .string(t.clientId), "revokedAt": .string(ctx.timestamp)], actorName: "client:" + t.clientId)
        }
        return ["revoked": true]
    }

    /// `oauth.introspect` (RFC 7662): `{active: false}` for anything not usable now, or not
    /// the caller's to see; else the token's scope, client, subject (the partner) and times.
    /// Whether the caller may introspect at all is decided first, on its own partner (a
    /// member, or a client with the `oauth.introspect` scope) or the platform, so a refusal
    /// does not depend on the token.
    public static func introspect(_ ctx: RequestContext, token: String) throws -> JSONValue {
        switch try ctx.requireActor() {
        case .member(_, let own): try ctx.authorize(partner: own)
        case .client(let grant): try ctx.authorize(partner: grant.partner)
        case .platform: try ctx.authorize(partner: nil)
        }
        guard let (t, client, partner) = try usable(ctx, token: token), (try? ctx.authorize(partner: partner)) != nil else {
            return ["active": false]
        }
        return ["active": true, "scope": .string(t.scopes.joined(separator: " ")), "client_id": .string(client.id),
                "sub": .string(partner.id), "exp": .integer(t.expiresAt.millisecondsSinceEpoch / 1000),
                "iat": .integer(t.issuedAt.millisecondsSinceEpoch / 1000), "token_type": "Bearer"]
    }
}
