import JSONRPC
import PorticoRules
import PorticoStore

extension PartnerRecord {
    /// The partner as answered and as snapshotted in the audit log.
    public var json: JSONValue {
        var o: JSONObject = [
            "id": .string(id), "name": .string(name), "subdomain": .string(subdomain), "region": .string(region),
            "tier": .string(tier), "status": .string(status),
        ]
        if let statusReason { o["statusReason"] = .string(statusReason) }
        o["createdAt"] = .string(createdAt)
        o["updatedAt"] = .string(updatedAt)
        return .object(o)
    }
}

extension MemberRecord {
    public var json: JSONValue {
        var o: JSONObject = [
            "id": .string(id), "partnerId": .string(partnerId), "email": .string(email), "name": .string(name),
            "role": .string(role), "status": .string(status), "createdAt": .string(createdAt),
            "updatedAt": .string(updatedAt),
        ]
        if let removedAt { o["removedAt"] = .string(removedAt) }
        return .object(o)
    }
}

/// A member's role: the permission rules' own list of roles.
public typealias MemberRole = MemberRoleName

extension MemberRoleName {
    public static func parse(_ raw: String, field: String = "role") throws(PorticoError) -> MemberRole {
        guard let r = MemberRole(rawValue: raw) else {
            throw .invalid(field, "must be one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return r
    }
}
