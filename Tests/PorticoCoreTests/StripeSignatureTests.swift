import PorticoCore
import Testing

/// Stripe's webhook signatures (scheme v1), checked against a vector computed apart
/// (Python's hmac): `HMAC-SHA256("whsec_test_secret", "1700000000." + payload)`.
@Suite struct StripeSignatureTests {
    static let secret = Array("whsec_test_secret".utf8)
    static let payload = Array(#"{"id":"evt_1","type":"transfer.created"}"#.utf8)
    static let signature = "3d6f9526e485962a610a3e321f6d7b89de908c56487ce54796ce04166312d058"
    static let signedAt = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    func verify(_ header: String, payload: [UInt8] = payload, at: Timestamp = signedAt.adding(milliseconds: 10_000))
        -> Result<Int64, StripeSignature.Failure>
    {
        StripeSignature.verify(payload: payload, header: header, secret: Self.secret, receivedAt: at)
    }

    @Test func aGenuineSignatureVerifies() {
        #expect(verify("t=1700000000,v1=\(Self.signature)") == .success(1_700_000_000))
        // Among several signatures (a secret being rolled), and other schemes, in any order.
        #expect(verify("v0=abc,v1=\(String(repeating: "0", count: 64)),t=1700000000,v1=\(Self.signature)") == .success(1_700_000_000))
        #expect(verify("t=1700000000, v1=\(Self.signature.uppercased())") == .success(1_700_000_000))
    }

    @Test func aChangedPayloadOrSecretOrSignatureIsRefused() {
        var changed = Self.payload
        changed[5] ^= 1
        #expect(verify("t=1700000000,v1=\(Self.signature)", payload: changed) == .failure(.mismatch))
        #expect(StripeSignature.verify(payload: Self.payload, header: "t=1700000000,v1=\(Self.signature)", secret: Array("other".utf8),
                                       receivedAt: Self.signedAt) == .failure(.mismatch))
        #expect(verify("t=1700000001,v1=\(Self.signature)") == .failure(.mismatch))
        #expect(verify("t=1700000000,v1=\(Self.signature.dropLast())") == .failure(.noSignature))
    }

    @Test func aHeaderWithoutTimestampOrSignatureIsRefused() {
        #expect(verify("v1=\(Self.signature)") == .failure(.malformedHeader))
        #expect(verify("t=soon,v1=\(Self.signature)") == .failure(.malformedHeader))
        #expect(verify("t=1700000000,t=1700000000,v1=\(Self.signature)") == .failure(.malformedHeader))
        #expect(verify("t=1700000000,v0=\(Self.signature)") == .failure(.noSignature))
        #expect(verify("") == .failure(.malformedHeader))
    }

    /// An event replayed after the tolerance, or signed too far ahead, is refused.
    @Test func theTimestampMustBeWithinTheToleranceOfReceipt() {
        let header = "t=1700000000,v1=\(Self.signature)"
        #expect(verify(header, at: Self.signedAt.adding(milliseconds: 300_000)) == .success(1_700_000_000))
        #expect(verify(header, at: Self.signedAt.adding(milliseconds: 301_000)) == .failure(.outsideTolerance(seconds: 301)))
        #expect(verify(header, at: Self.signedAt.adding(milliseconds: -301_000)) == .failure(.outsideTolerance(seconds: -301)))
        #expect(verify("t=999999999999999999,v1=\(Self.signature)") == .failure(.outsideTolerance(seconds: 1_700_000_010 - 999_999_999_999_999_999)))
        #expect(verify("t=\(Int64.max),v1=\(Self.signature)") == .failure(.malformedHeader))
    }
}
