import Foundation
import PorticoCore
import PorticoRules

/// The rate-limit stage: admits a call or refuses it with -32029 and a retry-after,
/// before any other work of the request. Calls on behalf of the platform and of members
/// (the stdio protocol's callers) are not limited; partner API clients are.
public protocol RateLimiter: Sendable {
    func admit(_ actor: Actor?, action: String, now: Timestamp) throws(PorticoError)
}

/// Admits every call.
struct Unlimited: RateLimiter {
    func admit(_ actor: Actor?, action: String, now: Timestamp) throws(PorticoError) {}
}

/// GCRA (the generic cell rate algorithm, a leaky bucket kept as one instant per key) per
/// partner: its API clients share the limit of its tier in permissions.yaml (`api.rate_limits`,
/// `requests` per `per_seconds`, the whole allowance usable as a burst). The time is the
/// request's (the engine's clock), so replays decide alike. State is in memory: a restart
/// forgets it, which at worst grants one more burst.
public final class PartnerRateLimiter: RateLimiter, @unchecked Sendable {
    let rules: ActiveRules
    private let lock = NSLock()
    /// A partner's theoretical arrival time, in microseconds since the epoch (`Int64.min`
    /// before its first call); read and moved under the limiter's lock.
    final class Bucket {
        var tat = Int64.min
    }
    /// By partner id. A token's grant keeps its partner's bucket (`TokenGrant.rateSlot`),
    /// so a token's repeated calls find it without this lookup.
    private var buckets: [String: Bucket] = [:]

    public init(rules: ActiveRules) { self.rules = rules }

    /// One decision: admitted or not, with the figures a refusal reports.
    struct Decision: Equatable {
        var admitted: Bool
        var retryAfterMicros: Int64
        var remaining: Int
        var resetMicros: Int64
    }

    /// GCRA for `limit` at `now` (microseconds) on the bucket whose arrival time is `tat`;
    /// answers the decision and the new arrival time.
    static func decide(tat: Int64?, now: Int64, limit: APIPolicy.RateLimit) -> (Decision, Int64) {
        // At least a microsecond: the rules refuse finer limits, and a zero would divide below.
        let interval = max(1, Int64(limit.perSeconds) * 1_000_000 / Int64(limit.requests))
        let tolerance = interval * Int64(limit.requests - 1)
        let arrival = max(tat ?? now, now)
        if arrival - now > tolerance {
            let used = arrival - now
            return (Decision(admitted: false, retryAfterMicros: used - tolerance, remaining: 0, resetMicros: used), arrival)
        }
        let next = arrival + interval
        let remaining = Int((tolerance - (next - now) + interval) / interval)
        return (Decision(admitted: true, retryAfterMicros: 0, remaining: max(0, remaining), resetMicros: next - now), next)
    }

    public func admit(_ actor: Actor?, action: String, now: Timestamp) throws(PorticoError) {
        guard case .client(let grant)? = actor else { return }
        let current = rules.current
        let bucket: Bucket
        let limit: APIPolicy.RateLimit
        if let kept = grant.rateSlot(limiter: self, rules: current) {
            bucket = unsafeDowncast(kept.bucket, to: Bucket.self)
            limit = kept.limit
        } else {
            limit = current.permissions.api.rateLimit(tier: grant.partner.tier)
            let id = grant.partner.id
            bucket = lock.withLock {
                if let b = buckets[id] { return b }
                let b = Bucket()
                buckets[id] = b
                return b
            }
            grant.keepRateSlot(limiter: self, rules: current, bucket: bucket, limit: limit)
        }
        let micros = now.millisecondsSinceEpoch * 1000
        let decision: Decision = lock.withLock {
            let (d, next) = Self.decide(tat: bucket.tat, now: micros, limit: limit)
            if d.admitted { bucket.tat = next }
            return d
        }
        guard !decision.admitted else { return }
        let retry = (decision.retryAfterMicros + 999) / 1000
        throw PorticoError(.rateLimited, "Rate limited: partner \(grant.partner.id) may make \(limit.requests) API requests per \(limit.perSeconds) s (tier \(grant.partner.tier)); retry after \(retry) ms",
                           data: ["retryAfterMs": .integer(retry), "limit": .integer(Int64(limit.requests)), "remaining": 0,
                                  "resetMs": .integer((decision.resetMicros + 999) / 1000),
                                  "policy": .string("\(limit.requests);w=\(limit.perSeconds)")])
    }
}
