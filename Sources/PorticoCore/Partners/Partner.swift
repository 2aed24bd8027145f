import JSONRPC

/// A partner: a company reselling the platform under its own brand.
public struct PartnerRecord: Sendable, Equatable {
    /// The store's sequence key: creation order, for paging.
    public var seq: Int64
    public var id: String
    public var name: String
    public var subdomain: String
    public var region: String
    public var tier: String
    public var status: PartnerStatus
    public var statusReason: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(seq: Int64 = 0, id: String, name: String, subdomain: String, region: String, tier: String,
                status: PartnerStatus, statusReason: String? = nil, createdAt: Timestamp, updatedAt: Timestamp)
    {
        self.seq = seq; self.id = id; self.name = name; self.subdomain = subdomain; self.region = region
        self.tier = tier; self.status = status; self.statusReason = statusReason
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }
}

extension PartnerRecord: JSONEncodable {
    /// The partner as answered and as snapshotted in the audit log.
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("name", name); o.member("subdomain", subdomain); o.member("region", region)
            o.member("tier", tier); o.member("status", status.rawValue)
            if let statusReason { o.member("statusReason", statusReason) }
            o.member("createdAt", createdAt); o.member("updatedAt", updatedAt)
        }
    }
}

/// Where a partner stands: what each status allows is the permission rules' to say.
public enum PartnerStatus: String, Sendable, CaseIterable {
    case active, frozen, suspended
}

/// Partners in storage. A second partner with a taken subdomain is a `conflict` on
/// `subdomain`.
public protocol PartnerStore {
    /// Inserts the partner and sets its `seq`.
    func insert(_ partner: inout PartnerRecord) throws
    func update(_ partner: PartnerRecord) throws
    func partner(id: String) throws -> PartnerRecord?
    func partner(subdomain: String) throws -> PartnerRecord?
    /// One page in creation order after `afterSeq`, optionally filtered.
    func partners(status: PartnerStatus?, region: String?, onlyID: String?, afterSeq: Int64, limit: Int) throws -> [PartnerRecord]
}
