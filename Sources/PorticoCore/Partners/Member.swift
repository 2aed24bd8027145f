import JSONRPC
import PorticoRules

/// A member of a partner's team.
public struct MemberRecord: Sendable, Equatable {
    public var seq: Int64
    public var id: String
    public var partnerId: String
    public var email: String
    public var name: String
    public var role: MemberRole
    public var status: MemberStatus
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var removedAt: Timestamp?

    public init(seq: Int64 = 0, id: String, partnerId: String, email: String, name: String, role: MemberRole,
                status: MemberStatus, createdAt: Timestamp, updatedAt: Timestamp, removedAt: Timestamp? = nil)
    {
        self.seq = seq; self.id = id; self.partnerId = partnerId; self.email = email; self.name = name
        self.role = role; self.status = status; self.createdAt = createdAt; self.updatedAt = updatedAt
        self.removedAt = removedAt
    }
}

extension MemberRecord: JSONEncodable {
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id); o.member("partnerId", partnerId); o.member("email", email); o.member("name", name)
            o.member("role", role.rawValue); o.member("status", status.rawValue); o.member("createdAt", createdAt)
            o.member("updatedAt", updatedAt)
            if let removedAt { o.member("removedAt", removedAt) }
        }
    }
}

/// A member is active until removed; a removed member keeps its record.
public enum MemberStatus: String, Sendable, CaseIterable {
    case active, removed
}

/// A member's role: the permission rules' own list of roles.
public typealias MemberRole = MemberRoleName

extension MemberRoleName {
    public static func parse(_ raw: String, field: String = "role") throws(PorticoError) -> MemberRole {
        try Validate.oneOf(raw, field: field)
    }
}

/// Members in storage. A second active member with the same email in one partner is a
/// `conflict` on `email`; a second active owner, on `role`.
public protocol MemberStore {
    func insert(_ member: inout MemberRecord) throws
    func update(_ member: MemberRecord) throws
    func member(id: String) throws -> MemberRecord?
    func activeMemberExists(partnerId: String, email: String) throws -> Bool
    func activeOwner(partnerId: String) throws -> MemberRecord?
    /// A partner's members in creation order after `afterSeq`.
    func members(partnerId: String, role: MemberRole?, includeRemoved: Bool, afterSeq: Int64, limit: Int) throws -> [MemberRecord]
}
