import Foundation
import JSONRPC
import Synchronization

/// What the partner API resolved before, kept in memory only (never written anywhere) so
/// a repeated call is a lookup, not a hash and reads: access tokens (the caller each makes)
/// and OAuth clients (the client and its partner `oauth.token` authenticates against).
///
/// An entry is good while the store's version it depends on is the version of the
/// transaction that read it (see `AuthVersioned`): the store moves `authVersion` whenever
/// a partner, an OAuth client or a token changes, `principalVersion` whenever a partner or
/// a client does, and each again when that change commits or rolls back — so nothing
/// revoked, suspended, rotated or rolled back is answered from here. An entry also lives at
/// most `lifetimeMs` of the engine's clock (and never past its own expiry), which bounds how
/// long a change made by another process goes unseen.
public final class AuthCache<Value: Sendable>: Sendable {
    struct Entry {
        let value: Value
        let version: UInt64
        let until: Timestamp
    }

    public static var lifetimeMs: Int64 { 1000 }
    public let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    func lookup(_ key: String, version: UInt64, now: Timestamp) -> Value? {
        entries.withLock { entries in
            guard let e = entries[key], e.version == version, now < e.until else { return nil }
            return e.value
        }
    }

    /// Keeps `value` until `expiresAt` or the cache's lifetime from now, whichever is first.
    func store(_ key: String, _ value: Value, expiresAt: Timestamp? = nil, version: UInt64, now: Timestamp) {
        var until = now.adding(milliseconds: Self.lifetimeMs)
        if let expiresAt, expiresAt < until { until = expiresAt }
        let entry = Entry(value: value, version: version, until: until)
        entries.withLock { entries in
            // Full: start again rather than track recency; a miss costs one lookup by key.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
    }
}

/// Access tokens by the token as sent: the caller each makes.
public typealias TokenCache = AuthCache<Actor>

/// An OAuth client by its id, with its partner; or that there is no such client, so an
/// unknown id costs what a known one does once both are cached.
public struct ResolvedClient: Sendable {
    public let client: OAuthClientRecord?
    public let partner: PartnerRecord?
}

/// The engine's caches of what requests resolved: access tokens and OAuth clients (the
/// partner API), request hosts (`brand.resolve`). One per engine, shared by its requests.
public final class EngineCaches: Sendable {
    public let tokens = TokenCache()
    public let clients = AuthCache<ResolvedClient>()
    /// `brand.resolve`'s answers by the host as sent, kept while `brandVersion` is unmoved.
    public let hosts = AuthCache<HostAnswer>()
    public init() {}
}

/// A host's `brand.resolve` answer, kept boxed: a hit hands out one reference, not a copy
/// of the answer or the error with everything they hold.
public final class HostAnswer: Sendable {
    public let answer: Result<JSONValue, PorticoError>
    public init(_ answer: Result<JSONValue, PorticoError>) { self.answer = answer }
}
