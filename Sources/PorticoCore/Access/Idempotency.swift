/// A remembered answer to a mutating request that carried an idempotency key.
public struct IdempotencyRecord: Sendable, Equatable {
    public var method: String
    /// SHA-256 (hex) of the request's canonical params without the key.
    public var paramsHash: String
    /// The result's JSON text, as first answered.
    public var result: String

    public init(method: String, paramsHash: String, result: String) {
        self.method = method; self.paramsHash = paramsHash; self.result = result
    }
}

/// Idempotency records in storage. Keys are scoped by actor: two actors may use the same
/// key independently; the same key twice in one scope is a `conflict` on `idempotencyKey`.
public protocol IdempotencyStore {
    func idempotencyRecord(scope: String, key: String) throws -> IdempotencyRecord?
    func insert(_ record: IdempotencyRecord, scope: String, key: String, createdAt: String) throws
}
