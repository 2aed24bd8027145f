import Foundation

/// Makes prefixed opaque ids (`ptr_…`, `mem_…`), time-ordered, and secret tokens.
///
/// Unseeded, it draws from the system's cryptographically secure generator. Seeded
/// (`--seed N`), it draws from SplitMix64 so a replayed request file produces the same
/// ids and tokens byte for byte. Only the worker thread draws, in request order.
public final class IDGenerator: @unchecked Sendable {
    private var state: UInt64
    private let seeded: Bool
    private let lock = NSLock()
    private var pool: [UInt64] = []
    /// The kernel's CSPRNG (the same source getrandom(2) draws from), opened once.
    private static let urandom: Int32? = {
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        return fd >= 0 ? fd : nil
    }()

    public init(seed: UInt64? = nil) {
        state = seed ?? 0
        seeded = seed != nil
    }

    public var isDeterministic: Bool { seeded }

    private func nextWord() -> UInt64 {
        lock.withLock {
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
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)  // Crockford base32, lower case

    /// `prefix_` and 20 base32 characters: 10 for the creation time in milliseconds
    /// (50 bits) and 10 random (50 bits), like a ULID. Ids made later sort after earlier
    /// ones, so new rows land at the right edge of every id index instead of at random
    /// pages; within one millisecond, the random half keeps them unique.
    public func make(_ prefix: String, at time: Timestamp) -> String {
        var out = Array(prefix.utf8)
        out.reserveCapacity(out.count + 21)
        out.append(UInt8(ascii: "_"))
        let ms = UInt64(clamping: max(0, time.millisecondsSinceEpoch))
        for k in (0..<10).reversed() { out.append(Self.alphabet[Int((ms >> UInt64(5 * k)) & 31)]) }
        var r = nextWord()
        for _ in 0..<10 { out.append(Self.alphabet[Int(r & 31)]); r >>= 5 }
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
