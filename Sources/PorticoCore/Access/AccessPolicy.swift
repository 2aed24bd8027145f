import Foundation
import PorticoRules

/// Decides whether an actor may perform an action (a method name) on a partner's data.
/// Services call it once they know which partner a request touches (nil for actions on
/// the whole platform). Throws -32003 naming the deciding rule.
public protocol AccessPolicy: Sendable {
    func authorize(_ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError)
}

/// The rule set in force. Reading is a lock and a copy of a reference; `rules.reload`
/// swaps the whole set at once, so a request sees the old rules or the new, never a mix.
public final class ActiveRules: @unchecked Sendable {
    private let lock = NSLock()
    private var rules: RuleSet

    public init(_ rules: RuleSet) { self.rules = rules }

    public var current: RuleSet { lock.withLock { rules } }

    /// Installs `new`; answers the set it replaced.
    @discardableResult
    public func swap(_ new: RuleSet) -> RuleSet {
        lock.withLock {
            let old = rules
            rules = new
            return old
        }
    }
}

/// Access decided by the permission rules, with tenant isolation built in: a member acts
/// only inside its own partner, and no rule can lift that.
public struct RulesAccessPolicy: AccessPolicy {
    public let rules: ActiveRules

    public init(_ rules: ActiveRules) { self.rules = rules }

    public static let tenantIsolationRule = "builtin.tenant-isolation"

    public func authorize(_ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError) {
        let request: PermissionRequest
        switch actor {
        case .platform:
            request = PermissionRequest(principal: .platform, action: action, partner: partner.map(Self.facts))
        case .member(let member, _):
            if let partner, partner.id != member.partnerId {
                throw .forbidden(rule: Self.tenantIsolationRule, "a member may act only inside its own partner")
            }
            request = PermissionRequest(principal: .member, role: MemberRoleName(rawValue: member.role), action: action,
                                        partner: partner.map(Self.facts))
        }
        let decision = rules.current.permissions.decide(request)
        guard decision.allowed else { throw .forbidden(rule: decision.rule, decision.reason) }
    }

    public static func facts(_ p: PartnerRecord) -> PermissionRequest.PartnerFacts {
        .init(status: p.status, tier: p.tier, region: p.region)
    }
}
