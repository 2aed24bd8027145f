import PorticoCore

/// The caller stage: who the request acts as — from its `actor` param, a platform
/// operator (the host's own id) or an active member of an existing partner; for partner API
/// methods (`api.*`), from its `accessToken`, the client of a usable token with the token's
/// scopes; for methods a resource server calls (`oauth.introspect`), from `clientId` and
/// `clientSecret` too, the client with its own scopes. Anything else is -32001.
struct CallerResolution: Sendable {
    /// Tokens and clients resolved before, while nothing they depend on changed.
    let caches = EngineCaches()

    func resolve(_ params: inout Params, _ store: any StoreTransaction, _ caller: Method.Caller, now: () -> Timestamp) throws -> Actor {
        switch caller {
        case .accessToken:
            let token = try params.string("accessToken")
            return try OAuthService.caller(store, now: now(), accessToken: token, cache: caches.tokens)
        case .actorOrClientCredentials where !params.has("actor") && params.has("clientId"):
            let (client, partner) = try OAuthService.authenticate(store, now: now(), clientId: try params.string("clientId"),
                                                                  clientSecret: try params.string("clientSecret"), cache: caches.clients)
            return .client(TokenGrant(client: client, partner: partner, scopes: client.scopes))
        case .actor, .actorOrClientCredentials:
            return try ActorResolver.resolve(try params.actor(), store)
        }
    }
}
