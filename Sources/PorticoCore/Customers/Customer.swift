import JSONRPC

/// A customer of a partner, optionally brought by one of its resellers.
public struct CustomerRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var partnerId: String
    public var resellerId: String?
    public var name: String
    public var email: String
    public var country: String
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, id: String, partnerId: String, resellerId: String?, name: String, email: String, country: String,
                createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.resellerId = resellerId; self.name = name
        self.email = email; self.country = country; self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

extension CustomerRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("resellerId", resellerId); o.member("name", name)
            o.member("email", email); o.member("country", country); o.member("createdAt", createdAt); o.member("updatedAt", updatedAt)
        }
    }
}

/// Customers in storage. A second customer with the same email in one partner is a
/// `conflict` on `email`.
public protocol CustomerStore {
    func insert(_ customer: inout CustomerRecord) throws
    func customer(id: String) throws -> CustomerRecord?
    func customerEmailTaken(partnerId: String, email: String) throws -> Bool
    /// A partner's customers, or one reseller's, in creation order after `afterSeq`.
    func customers(partnerId: String, resellerId: String?, afterSeq: Int64, limit: Int) throws -> [CustomerRecord]
    /// How many customers a partner has, or one of its resellers.
    func customerCount(partnerId: String, resellerId: String?) throws -> Int64
}
