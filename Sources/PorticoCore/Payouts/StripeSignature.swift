import Crypto

/// Stripe's webhook signature, scheme v1: the `Stripe-Signature` header carries a
/// timestamp `t` and one or more `v1` signatures, each the lower-case hex HMAC-SHA256 of
/// `"<t>.<payload>"` under the endpoint's secret. A payload is genuine when one `v1`
/// matches (compared in constant time) and `t` is within the tolerance of when the host
/// received it, which refuses an event replayed later. Pure: the secret comes from the
/// caller (the secrets file), never from the store or the rules.
public enum StripeSignature {
    public enum Failure: Error, Equatable, Sendable {
        /// No `t=` timestamp, or one that is not a number of seconds.
        case malformedHeader
        /// No `v1=` signature (other schemes are not accepted).
        case noSignature
        /// `t` is further than the tolerance from the time of receipt.
        case outsideTolerance(seconds: Int64)
        /// No `v1` signature matches.
        case mismatch
    }

    /// The default tolerance between the signed timestamp and the time of receipt.
    public static let toleranceSeconds: Int64 = 300

    /// Checks `header` against `payload` (the raw body, byte for byte) and answers the
    /// signed timestamp (seconds since the epoch).
    public static func verify(payload: [UInt8], header: String, secret: [UInt8], receivedAt: Timestamp,
                              toleranceSeconds: Int64 = toleranceSeconds) -> Result<Int64, Failure>
    {
        // Read as bytes: the header is ASCII, and reading it by characters (grapheme
        // clusters) would cost more than the HMAC.
        var timestamp: Int64? = nil
        var signatures: [[UInt8]] = []
        let bytes = Array(header.utf8)
        var start = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.count
            var item = bytes[start..<end]
            start = end + 1
            while let f = item.first, f == 0x20 || f == 0x09 { item = item.dropFirst() }
            while let l = item.last, l == 0x20 || l == 0x09 { item = item.dropLast() }
            guard let eq = item.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = item[..<eq], value = item[(eq + 1)...]
            if key.elementsEqual("t".utf8) {
                guard timestamp == nil, let t = decimal(value) else { return .failure(.malformedHeader) }
                timestamp = t
            } else if key.elementsEqual("v1".utf8) {
                if let signature = hexBytes(value), signature.count == 32 { signatures.append(signature) }
            }
        }
        guard let timestamp else { return .failure(.malformedHeader) }
        guard !signatures.isEmpty else { return .failure(.noSignature) }
        let age = receivedAt.millisecondsSinceEpoch / 1000 - timestamp
        guard age.magnitude <= toleranceSeconds.magnitude else { return .failure(.outsideTolerance(seconds: age)) }
        var signed: [UInt8] = []
        signed.reserveCapacity(21 + payload.count)
        signed.append(contentsOf: String(timestamp).utf8)
        signed.append(UInt8(ascii: "."))
        signed.append(contentsOf: payload)
        let expected = Array(HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret)))
        // Every candidate is compared in full, whatever an earlier one gave.
        var matched = false
        for candidate in signatures where constantTimeEqual(candidate, expected) { matched = true }
        return matched ? .success(timestamp) : .failure(.mismatch)
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// A non-negative decimal number of at most 18 digits.
    static func decimal(_ digits: ArraySlice<UInt8>) -> Int64? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var v: Int64 = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9") else { return nil }
            v = v * 10 + Int64(d - UInt8(ascii: "0"))
        }
        return v
    }
}
