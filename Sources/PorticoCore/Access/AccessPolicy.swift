import PorticoStore

/// Decides whether an actor may perform an action (a method name) on a partner's data.
/// Services call it once they know which partner a request touches (nil for actions on
/// the whole platform). Throws -32003 naming the deciding rule.
public protocol AccessPolicy: Sendable {
    func authorize(_ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError)
}

/// The built-in policy until the permission rule files arrive: platform operators may do
/// everything; a member acts only inside its own partner (tenant isolation); member
/// management and partner changes need an owner or manager; audit reading needs owner,
/// manager or support; platform-wide actions are for the platform.
public struct BuiltinAccessPolicy: AccessPolicy {
    public init() {}

    static let roleRequirements: [String: Set<String>] = [
        "partner.update": ["owner", "manager"],
        "partner.members.add": ["owner", "manager"],
        "partner.members.updateRole": ["owner", "manager"],
        "partner.members.remove": ["owner", "manager"],
        "audit.list": ["owner", "manager", "support"],
    ]

    public func authorize(_ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError) {
        guard case .member(let member, _) = actor else { return }
        guard let partner else {
            throw .forbidden(rule: "builtin.platform-only", "\(action) is for platform operators")
        }
        guard partner.id == member.partnerId else {
            throw .forbidden(rule: "builtin.tenant-isolation", "a member may act only inside its own partner")
        }
        if let roles = Self.roleRequirements[action], !roles.contains(member.role) {
            throw .forbidden(rule: "builtin.roles",
                             "\(action) needs one of the roles \(roles.sorted().joined(separator: ", ")); the member is \(member.role)")
        }
    }
}
