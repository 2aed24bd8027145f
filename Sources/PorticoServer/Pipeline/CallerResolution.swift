import PorticoCore

/// The caller stage: who the request acts as, from its `actor` param — a platform
/// operator (the host's own id), or an active member of an existing partner (-32001
/// otherwise). The partner API's OAuth clients will be resolved here from their token.
struct CallerResolution: Sendable {
    func resolve(_ params: inout Params, _ store: any StoreTransaction) throws -> Actor {
        try ActorResolver.resolve(try params.actor(), store)
    }
}
