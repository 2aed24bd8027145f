import PorticoCore

/// The caller stage: who the request acts as — from its `actor` param, a platform
/// operator (the host's own id) or an active member of an existing partner; for partner API
/// methods (`api.*`), from its `accessToken`, the client of a usable token with the token's
/// scopes. Anything else is -32001.
struct CallerResolution: Sendable {
    /// Tokens (and, for `oauth.token`, clients) resolved before, while nothing they
    /// depend on changed.
    let caches = EngineCaches()

    func resolve(_ params: inout Params, _ store: any StoreTransaction, byAccessToken: Bool, now: () -> Timestamp) throws -> Actor {
        if byAccessToken {
            let token = try params.string("accessToken")
            return try OAuthService.caller(store, now: now(), accessToken: token, cache: caches.tokens)
        }
        return try ActorResolver.resolve(try params.actor(), store)
    }
}
