import Foundation

/// Makes prefixed opaque ids (`ptr_…`, `mem_…`) and secret tokens.
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

    /// `prefix_` followed by 20 base32 characters (100 random bits).
    public func make(_ prefix: String) -> String {
        var out = Array(prefix.utf8)
        out.append(UInt8(ascii: "_"))
        var a = nextWord(), b = nextWord()
        for _ in 0..<12 { out.append(Self.alphabet[Int(a & 31)]); a >>= 5 }
        for _ in 0..<8 { out.append(Self.alphabet[Int(b & 31)]); b >>= 5 }
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
