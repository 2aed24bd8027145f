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
}

extension ResellerRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("name", name); o.member("email", email)
            o.member("region", region); o.member("commissionRate", commissionRate)
            o.member("createdAt", createdAt); o.member("updatedAt", updatedAt)
        }
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
