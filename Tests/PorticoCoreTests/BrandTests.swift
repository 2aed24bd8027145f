import Testing
@testable import PorticoCore

/// Host names as stored (IDNA to punycode, lower case, no trailing dot, refusals named),
/// WCAG contrast, and a custom domain's state as its certificate ages.
@Suite struct BrandTests {
    @Test func punycodeMatchesRFC3492() {
        #expect(Hostname.punycode("bücher") == "bcher-kva")
        #expect(Hostname.punycode("münchen") == "mnchen-3ya")
        // RFC 3492 §7.1 (B) Chinese (simplified) and (L) Japanese with Latin.
        #expect(Hostname.punycode("他们为什么不说中文") == "ihqwcrb4cv8a8dqg056pqjye")
        #expect(Hostname.punycode("3年b組金八先生") == "3b-ww4c5e180e575a65lsy2b")
    }

    @Test func hostNamesAreStoredInOneForm() throws {
        #expect(try Hostname.normalize("Shop.Example.COM.") == "shop.example.com")
        #expect(try Hostname.normalize("BÜCHER.example") == "xn--bcher-kva.example")
        #expect(try Hostname.normalize("shop。example。com") == "shop.example.com")
        // Composed and decomposed ü are one name.
        #expect(try Hostname.normalize("bu\u{308}cher.example") == "xn--bcher-kva.example")
        for bad in ["", ".", "localhost", "10.0.0.1", "::1", "[::1]", "shop.example.com:8080", "*.example.com", "https://shop.example",
                    "-shop.example", "shop-.example", "sh op.example", "shop..example", "example.123", String(repeating: "a", count: 64) + ".example",
                    Array(repeating: "abcdefghi", count: 26).joined(separator: ".") + ".example", "shop\u{0}.example", "☃.example",
                    // Long international labels and names are refused before any encoding.
                    String((0..<5000).map { Character(UnicodeScalar(0x4E00 + $0)!) }) + ".example",
                    String(repeating: "ü.", count: 2000) + "example"]
        {
            #expect(throws: PorticoError.self, "\(bad)") { _ = try Hostname.normalize(bad) }
        }
        #expect(Hostname.isWithin("nimbus.portal.example", "portal.example") && Hostname.isWithin("portal.example", "portal.example"))
        #expect(!Hostname.isWithin("evilportal.example", "portal.example"))
    }

    @Test func contrastIsWCAGs() {
        #expect(Contrast.format(Contrast.ratio("#000000", "#ffffff")) == "21.00")
        #expect(Contrast.format(Contrast.ratio("#777777", "#ffffff")) == "4.47")
        #expect(Contrast.ratio("#767676", "#ffffff") >= Contrast.minimum)
        #expect(Contrast.ratio("#ffffff", "#ffffff") == 1)
        // The default theme passes its own check.
        let t = Theme.standard
        #expect(Contrast.ratio(t.text, t.background) >= 4.5 && Contrast.ratio(t.text, t.primary) >= 4.5)
    }

    @Test func aDomainsStateFollowsItsCertificate() {
        let t0 = Timestamp(rfc3339: "2026-01-01T00:00:00Z")!
        let notAfter = Timestamp(rfc3339: "2026-04-01T00:00:00Z")!
        var d = DomainRecord(hostname: "shop.example", partnerId: "p", status: .active, challenge: "c", notAfter: notAfter, createdAt: t0, updatedAt: t0)
        #expect(d.state(at: t0) == "active" && d.serves(at: t0))
        #expect(d.state(at: notAfter.adding(milliseconds: -DomainRecord.renewalMs)) == "expiring")
        #expect(d.state(at: notAfter) == "expired" && !d.serves(at: notAfter))
        d.status = .certificatePending  // a renewal: still serving on the old certificate
        #expect(d.serves(at: t0) && d.state(at: t0) == "certificate_pending")
        d.notAfter = nil  // a first issuance: nothing to serve with yet
        #expect(!d.serves(at: t0))
    }
}
