import JSONRPC

/// A partner's OAuth 2.0 client (RFC 6749 §2, confidential, client credentials grant).
/// Its secret is kept only as a SHA-256 hash: secrets are 256 random bits, so a fast hash
/// is as good as a slow one against guessing, and lookups stay cheap.
public struct OAuthClientRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable { case active, revoked }

    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    public var name: String
    /// Sorted, distinct.
    public var scopes: [String]
    public var secretHash: String
    /// The secret before the last rotation, still accepted until `previousSecretExpiresAt`.
    public var previousSecretHash: String?
    public var previousSecretExpiresAt: Timestamp?
    public var status: Status
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, id: String, partnerId: String, name: String, scopes: [String], secretHash: String,
                previousSecretHash: String? = nil, previousSecretExpiresAt: Timestamp? = nil, status: Status = .active,
                createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.name = name; self.scopes = scopes; self.secretHash = secretHash
        self.previousSecretHash = previousSecretHash; self.previousSecretExpiresAt = previousSecretExpiresAt; self.status = status
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

extension OAuthClientRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("name", name)
            o.key("scopes")
            o.array { a in for scope in scopes { a.string(scope) } }
            o.member("status", status.rawValue); o.member("previousSecretValidUntil", previousSecretExpiresAt)
            o.member("createdAt", createdAt); o.member("updatedAt", updatedAt)
        }
    }
}

/// An access token: opaque, 256 random bits, stored as its SHA-256 hash; `id` names it in
/// the audit trail.
public struct OAuthTokenRecord: Sendable, Equatable {
    public var id: String
    public var hash: String
    public var clientId: String
    public var partnerId: String
    public var scopes: [String]
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp
    public var revokedAt: Timestamp?

    public init(id: String, hash: String, clientId: String, partnerId: String, scopes: [String], issuedAt: Timestamp, expiresAt: Timestamp,
                revokedAt: Timestamp? = nil)
    {
        self.id = id; self.hash = hash; self.clientId = clientId; self.partnerId = partnerId; self.scopes = scopes
        self.issuedAt = issuedAt; self.expiresAt = expiresAt; self.revokedAt = revokedAt
    }
}

/// OAuth clients and tokens in storage, looked up by id (clients) and by hash (tokens).
public protocol OAuthStore {
    func insert(_ client: inout OAuthClientRecord) throws
    func oauthClient(id: String) throws -> OAuthClientRecord?
    func oauthClients(partnerId: String, afterSeq: Int64, limit: Int) throws -> [OAuthClientRecord]
    /// Writes the client's secret hashes, status and update time.
    func update(_ client: OAuthClientRecord) throws
    func insert(_ token: OAuthTokenRecord) throws
    func oauthToken(hash: String) throws -> OAuthTokenRecord?
    /// Marks the token revoked; false when it was already, or is unknown.
    func revokeToken(hash: String, at: Timestamp) throws -> Bool
}
