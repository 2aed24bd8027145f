import Foundation

/// Makes prefixed opaque ids (`ptr_…`, `mem_…`), time-ordered, and secret tokens.
///
/// Unseeded, it draws from the system's cryptographically secure generator. Seeded
/// (`--seed N`), it draws from SplitMix64 so a replayed request file produces the same
/// ids and tokens byte for byte. Only the worker thread draws, in request order.
public final class IDGenerator: @unchecked Sendable {
    private var mix: SplitMix64
    private let seeded: Bool
    private let lock = NSLock()
    private var pool: [UInt64] = []
    /// The kernel's CSPRNG (the same source getrandom(2) draws from), opened once.
    private static let urandom: Int32? = {
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }()

    public init(seed: UInt64? = nil) {
        mix = SplitMix64(state: seed ?? 0)
        seeded = seed != nil
    }

    public var isDeterministic: Bool { seeded }

    private func nextWord() -> UInt64 { lock.withLock { drawLocked() } }

    /// One 64-bit word from the generator; the lock is held.
    private func drawLocked() -> UInt64 {
        guard seeded else {
            // The kernel's generator in blocks: one system call per 512 draws.
            if pool.isEmpty {
                pool = [UInt64](repeating: 0, count: 512)
                pool.withUnsafeMutableBytes { buf in
                    var filled = 0
                    while filled < buf.count {
                        let n = Self.urandom.map { read($0, buf.baseAddress! + filled, buf.count - filled) } ?? -1
                        if n > 0 { filled += n } else if errno != EINTR { fatalError("reading /dev/urandom failed: \(errno)") }
                    }
                }
            }
            return pool.removeLast()
        }
        return mix.next()
    }

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)  // Crockford base32, lower case

    /// Where the generator stands: restored, it makes again the ids it made since (a group
    /// run a second time after a rollback gives its requests the same ids).
    public struct Checkpoint: Sendable {
        let state: UInt64, pool: [UInt64], lastTime: UInt64, lastRandom: UInt64, made: Bool
    }

    public func checkpoint() -> Checkpoint {
        lock.withLock { Checkpoint(state: mix.state, pool: pool, lastTime: lastTime, lastRandom: lastRandom, made: made) }
    }

    public func restore(_ c: Checkpoint) {
        lock.withLock { mix.state = c.state; pool = c.pool; lastTime = c.lastTime; lastRandom = c.lastRandom; made = c.made }
    }

    /// The last id's time and random part: ids made in the same millisecond (or with a
    /// clock that went back) follow it instead of drawing again.
    private var lastTime: UInt64 = 0
    private var lastRandom: UInt64 = 0
    private var made = false
    private static let randomBits: UInt64 = 50

    /// `prefix_` and 20 base32 characters: 10 for the creation time in milliseconds
    /// (50 bits) and 10 for a random part (50 bits), like a ULID, so new rows land at the
    /// right edge of every id index. Monotonic, as ULID's monotonic mode: within one
    /// millisecond each id's random part is the previous one's plus one, and a clock that
    /// steps back keeps the last time, so ids always sort in the order they were made,
    /// whatever their prefix.
    public func make(_ prefix: String, at time: Timestamp) -> String {
        let requested = UInt64(clamping: max(0, time.millisecondsSinceEpoch)) & ((1 << 50) - 1)
        let (ms, r): (UInt64, UInt64) = lock.withLock {
            if made, requested <= lastTime {
                if lastRandom < (1 << Self.randomBits) - 1 {
                    lastRandom += 1
                } else {
                    // 2^50 ids in one millisecond: move on to the next.
                    lastTime += 1
                    lastRandom = drawLocked() & (((1 << Self.randomBits) - 1) >> 1)
                }
            } else {
                lastTime = requested
                // The top bit clear leaves room to count up within the millisecond.
                lastRandom = drawLocked() & (((1 << Self.randomBits) - 1) >> 1)
            }
            made = true
            return (lastTime, lastRandom)
        }
        var out = Array(prefix.utf8)
        out.reserveCapacity(out.count + 21)
        out.append(UInt8(ascii: "_"))
        for k in (0..<10).reversed() { out.append(Self.alphabet[Int((ms >> UInt64(5 * k)) & 31)]) }
        for k in (0..<10).reversed() { out.append(Self.alphabet[Int((r >> UInt64(5 * k)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `count` random bytes, for secrets and tokens.
    public func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            var w = nextWord()
            for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: w)); w >>= 8 }
        }
        return Array(out.prefix(count))
    }
}
