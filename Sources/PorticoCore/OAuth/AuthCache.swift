import Foundation

/// Access tokens resolved before (the token, its client and partner), so a partner API
/// call's check is a lookup, not a hash and three reads. Keyed by the token as sent and
/// held in memory only, never written anywhere.
///
/// An entry is good while the store's `authVersion` is the version of the transaction
/// that read it (see `StoreTransaction.authVersionAtStart`): the store moves the version
/// whenever a partner, an OAuth client or a token changes, and again when that change
/// commits or rolls back, so nothing revoked, suspended or rolled back is answered from
/// here. An entry also lives at most `lifetimeMs` of the engine's clock, which bounds how
/// long a change made by another process goes unseen. Expiry is checked on every use.
public final class TokenCache: @unchecked Sendable {
    struct Entry {
        /// The caller the token makes, built once.
        let actor: Actor
        let expiresAt: Timestamp
        let version: UInt64
        let until: Timestamp
    }

    public static let lifetimeMs: Int64 = 1000
    public let capacity: Int
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    public init(capacity: Int = 100_000) { self.capacity = capacity }

    func lookup(_ token: String, version: UInt64, now: Timestamp) -> Actor? {
        guard let e = lock.withLock({ entries[token] }), e.version == version, now < e.until, now < e.expiresAt else { return nil }
        return e.actor
    }

    func store(_ token: String, _ actor: Actor, expiresAt: Timestamp, version: UInt64, now: Timestamp) {
        let entry = Entry(actor: actor, expiresAt: expiresAt, version: version, until: now.adding(milliseconds: Self.lifetimeMs))
        lock.withLock {
            // Full: start again rather than track recency; a miss costs one lookup by hash.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = entry
        }
    }
}
