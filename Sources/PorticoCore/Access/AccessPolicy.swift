import Foundation
import PorticoRules

/// Decides whether an actor may perform an action (a method name) on a partner's data.
/// Services call it once they know which partner a request touches (nil for actions on
/// the whole platform). Throws -32003 naming the deciding rule.
public protocol AccessPolicy: Sendable {
    func authorize(_ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError)
}

/// The rule set in force, and where it is read again from. Reading is a lock and a copy
/// of a reference; `rules.reload` swaps the whole set at once, so a request sees the old
/// rules or the new, never a mix.
public final class ActiveRules: @unchecked Sendable {
    public typealias Reader<T> = @Sendable (_ current: RuleSet) -> Result<T, RuleSetError>

    private let lock = NSLock()
    private var rules: RuleSet
    private let reread: Reader<RuleSet>
    private let rereadTexts: Reader<[String: String]>

    /// `reread` and `texts` read the rule files again from where `current` came (its
    /// `source`); by default a set that came from nowhere reads as itself, with no files.
    public init(_ rules: RuleSet, reread: @escaping Reader<RuleSet> = { .success($0) },
                texts: @escaping Reader<[String: String]> = { _ in .success([:]) })
    {
        self.rules = rules; self.reread = reread; rereadTexts = texts
    }

    public var current: RuleSet { lock.withLock { rules } }

    /// Told of each set `rules.reload` installs, after its commit (the engine announces it
    /// to the engines sharing its store).
    public var onReload: (@Sendable (RuleSet) -> Void)? {
        get { lock.withLock { reloaded } }
        set { lock.withLock { reloaded = newValue } }
    }
    private var reloaded: (@Sendable (RuleSet) -> Void)?

    /// The rule files read and compiled again from where the active ones came, without
    /// installing them.
    public func readAgain() -> Result<RuleSet, RuleSetError> { reread(current) }

    /// The rule files' texts where the active ones came from.
    public func readTexts() -> Result<[String: String], RuleSetError> { rereadTexts(current) }

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
    /// An API client's token lacks a scope granting the action.
    public static let scopeRule = "builtin.scope"

    public func authorize(_ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError) {
        // One read of the rules in force: the scope check and the decision see the same set.
        let set = rules.current
        if case .client(let grant) = actor {
            if let partner, partner.id != grant.partner.id {
                throw .forbidden(rule: Self.tenantIsolationRule, "an API client may act only inside its own partner")
            }
            // A token's calls repeat: decided once per action, rule set and partner facts.
            let facts = partner?.facts ?? grant.partner.facts
            if let known = grant.decision(action, rules: set, facts: facts) {
                if let refusal = known { throw refusal }
                return
            }
            do {
                try decide(set.permissions, actor, action: action, partner: partner)
                grant.remember(action, rules: set, facts: facts, refusal: nil)
            } catch {
                grant.remember(action, rules: set, facts: facts, refusal: error)
                throw error
            }
            return
        }
        try decide(set.permissions, actor, action: action, partner: partner)
    }

    func decide(_ permissions: PermissionRules, _ actor: Actor, action: String, partner: PartnerRecord?) throws(PorticoError) {
        let request: PermissionRequest
        switch actor {
        case .platform:
            request = PermissionRequest(principal: .platform, action: action, partner: partner.map(Self.facts))
        case .member(let member, _):
            if let partner, partner.id != member.partnerId {
                throw .forbidden(rule: Self.tenantIsolationRule, "a member may act only inside its own partner")
            }
            request = PermissionRequest(principal: .member, role: member.role, action: action,
                                        partner: partner.map(Self.facts))
        case .client(let grant):
            let own = grant.partner
            if let partner, partner.id != own.id {
                throw .forbidden(rule: Self.tenantIsolationRule, "an API client may act only inside its own partner")
            }
            // The token's scopes bound what the rules may allow.
            guard permissions.api.allows(action, scopes: grant.scopes) else {
                throw .forbidden(rule: Self.scopeRule, "the token's scopes (\(grant.scopes.joined(separator: " "))) do not grant \(action)")
            }
            request = PermissionRequest(principal: .client, action: action, partner: (partner ?? own).facts)
        }
        let decision = permissions.decide(request)
        guard decision.allowed else { throw .forbidden(rule: decision.rule, decision.reason) }
    }

    public static func facts(_ p: PartnerRecord) -> PermissionRequest.PartnerFacts { p.facts }
}

extension PartnerRecord {
    /// What permission rules read of a partner.
    var facts: PermissionRequest.PartnerFacts {
        .init(status: status.rawValue, tier: tier, region: region)
    }
}
