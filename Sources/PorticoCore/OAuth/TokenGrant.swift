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
    /// Each kept with its rule set's identity; the sets themselves are held (`held`), so a
    /// reloaded set can never be allocated where one named here was.
    private var decided: [(action: String, rules: ObjectIdentifier, facts: PermissionRequest.PartnerFacts, refusal: PorticoError?)] = []
    private var held: [RuleSet] = []
    /// The partner's rate-limit bucket as a limiter found it, and the limit of the
    /// partner's tier under a rule set, so a token's repeated calls look up neither.
    private var slotLimiter: AnyObject?
    private var slotRules: RuleSet?
    private var slotBucket: AnyObject?
    private var slotLimit: APIPolicy.RateLimit?

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
            if !held.contains(where: { $0 === rules }) {
                if held.count >= 4 {
                    // Start again: a decision may be kept only while its rule set is held.
                    held.removeAll()
                    decided.removeAll()
                }
                held.append(rules)
            }
            decided.append((action, ObjectIdentifier(rules), facts, refusal))
        }
    }

    /// The bucket and limit `limiter` kept here under `rules`; nil when it kept none.
    public func rateSlot(limiter: AnyObject, rules: RuleSet) -> (bucket: AnyObject, limit: APIPolicy.RateLimit)? {
        lock.withLock {
            guard slotLimiter === limiter, slotRules === rules, let bucket = slotBucket, let limit = slotLimit else { return nil }
            return (bucket, limit)
        }
    }

    public func keepRateSlot(limiter: AnyObject, rules: RuleSet, bucket: AnyObject, limit: APIPolicy.RateLimit) {
        lock.withLock {
            slotLimiter = limiter; slotRules = rules; slotBucket = bucket; slotLimit = limit
        }
    }
}
