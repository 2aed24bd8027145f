import PorticoCore

/// The rate-limit stage: admits a call or refuses it with -32029 and a retry-after. The
/// partner API's per-client limits plug in here; calls on the stdio protocol are not
/// limited.
protocol RateLimiter: Sendable {
    func admit(_ actor: Actor?, action: String) throws(PorticoError)
}

/// Admits every call.
struct Unlimited: RateLimiter {
    func admit(_ actor: Actor?, action: String) throws(PorticoError) {}
}
