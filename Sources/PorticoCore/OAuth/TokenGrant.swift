import Foundation
import PorticoRules

/// The caller a usable access token makes: its client and partner, the scopes it grants,
/// and the access decisions already made for it (per action), each kept with the rule set
/// and the partner's facts it was made on, so a token's repeated calls are decided once
/// while neither changes. A class: the actor is passed along the whole request, and a
/// copy is one reference.
public final class TokenGrant: @unchecked Sendable {
    public let client: OAuthClientRecord
    public let partner: PartnerRecord
    public let scopes: [String]
    private let lock = NSLock()
    /// Few actions per token: a short list, searched by equality (the method table's names,
    /// usually the very same strings, compare at once).
    private var decided: [(action: String, rules: ObjectIdentifier, facts: PermissionRequest.PartnerFacts, refusal: PorticoError?)] = []

    public init(client: OAuthClientRecord, partner: PartnerRecord, scopes: [String]) {
        self.client = client; self.partner = partner; self.scopes = scopes
    }

    /// The decision made for `action` on these rules and facts: nil when none was; else
    /// the refusal, or `.some(nil)` when it was allowed.
    func decision(_ action: String, rules: RuleSet, facts: PermissionRequest.PartnerFacts) -> PorticoError?? {
        let id = ObjectIdentifier(rules)
        return lock.withLock {
            for d in decided where d.action == action && d.rules == id && d.facts == facts { return .some(d.refusal) }
            return nil
        }
    }

    func remember(_ action: String, rules: RuleSet, facts: PermissionRequest.PartnerFacts, refusal: PorticoError?) {
        lock.withLock {
            decided.removeAll { $0.action == action }
            if decided.count >= 32 { decided.removeFirst() }
            decided.append((action, ObjectIdentifier(rules), facts, refusal))
        }
    }
}
