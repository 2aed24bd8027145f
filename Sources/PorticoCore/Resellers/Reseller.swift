import JSONRPC

/// A company that sells a partner's offer under it.
public struct ResellerRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var partnerId: String
    public var name: String
    public var email: String
    public var region: String
    /// Exact decimal text ("12.5"), or nil.
    public var commissionRate: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, id: String, partnerId: String, name: String, email: String, region: String,
                commissionRate: String?, createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.name = name; self.email = email
        self.region = region; self.commissionRate = commissionRate; self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "id": .string(id), "partnerId": .string(partnerId), "name": .string(name), "email": .string(email),
            "region": .string(region),
        ]
        o["commissionRate"] = commissionRate.map { .string($0) } ?? .null
        o["createdAt"] = .string(createdAt.rfc3339)
        o["updatedAt"] = .string(updatedAt.rfc3339)
        return .object(o)
    }
}

/// Resellers in storage. A second reseller with the same email in one partner is a
/// `conflict` on `email`.
public protocol ResellerStore {
    func insert(_ reseller: inout ResellerRecord) throws
    func update(_ reseller: ResellerRecord) throws
    func reseller(id: String) throws -> ResellerRecord?
    /// Whether another reseller of the partner (not `except`) has this email.
    func resellerEmailTaken(partnerId: String, email: String, except: String?) throws -> Bool
    /// A partner's resellers in creation order after `afterSeq`.
    func resellers(partnerId: String, afterSeq: Int64, limit: Int) throws -> [ResellerRecord]
    func resellerCount(partnerId: String) throws -> Int64
}
