import Testing
@testable import PorticoCore

@Suite struct ValidationTests {
    func field(_ f: () throws(PorticoError) -> String) -> String? {
        do { _ = try f(); return nil } catch { return error.data["field"]?.stringValue }
    }

    @Test func subdomainsFollowDNSLabelRules() throws {
        #expect(try Validate.subdomain("Acme-AI") == "acme-ai")
        #expect(try Validate.subdomain("a") == "a")
        #expect(try Validate.subdomain(String(repeating: "a", count: 63)).count == 63)
        #expect(try Validate.subdomain("xn--bcher-kva") == "xn--bcher-kva")
        for bad in ["", "-acme", "acme-", "ac_me", "ac.me", "ac me", "äcme", String(repeating: "a", count: 64), "ab--cd", "www", "api"] {
            #expect(field { () throws(PorticoError) in try Validate.subdomain(bad) } == "subdomain", "accepted \(bad)")
        }
    }

    @Test func emailsAreCheckedAndFolded() throws {
        #expect(try Validate.email(" Ann.Lee+ops@Acme.Example ") == "ann.lee+ops@acme.example")
        for bad in ["", "ann", "ann@", "@acme.example", "ann@acme", "ann@@acme.example", "ann@acme..example",
                    ".ann@acme.example", "ann.@acme.example", "a..b@acme.example", "ann@-acme.example", "ann@acme.e1",
                    "ann lee@acme.example", "ann@acme.example.", String(repeating: "a", count: 65) + "@acme.example"] {
            #expect(field { () throws(PorticoError) in try Validate.email(bad, field: "owner.email") } == "owner.email", "accepted \(bad)")
        }
    }

    @Test func namesAreTrimmedAndBounded() throws {
        #expect(try Validate.name("  Acme AI \n", field: "name") == "Acme AI")
        #expect(field { () throws(PorticoError) in try Validate.name("   ", field: "name") } == "name")
        #expect(field { () throws(PorticoError) in try Validate.name("a\u{7}b", field: "name") } == "name")
        #expect(field { () throws(PorticoError) in try Validate.name(String(repeating: "x", count: 201), field: "name") } == "name")
    }

    @Test func tiersAndRegionsAreTheDeclaredOnesInAnyCase() throws {
        let known = ["standard", "gold", "platinum"]
        #expect(try Validate.declared("GOLD", among: known, kind: "tier", field: "tier") == "gold")
        do {
            _ = try Validate.declared("platinun", among: known, kind: "tier", field: "tier")
            Issue.record("accepted platinun")
        } catch {
            #expect(error.data["field"]?.stringValue == "tier")
            #expect(error.message.contains("did you mean 'platinum'"))
            #expect(error.message.contains("standard, gold, platinum"))
        }
    }

    @Test func countriesAreAssignedISOCodesInAnyCase() throws {
        #expect(try Validate.country("de") == "DE")
        #expect(try Validate.country("Jp") == "JP")
        for bad in ["XX", "UK", "EU", "D", "DEU", "", "d\u{0}"] {
            #expect(field { () throws(PorticoError) in try Validate.country(bad) } == "country", "accepted \(bad)")
        }
    }

    @Test func pagesBoundTheLimitAndReadOnlyTheirOwnCursors() throws {
        #expect(try PageRequest(cursor: nil, limit: nil).limit == 50)
        #expect(try PageRequest(cursor: PageRequest.cursor(after: 1234), limit: 1000).afterSeq == 1234)
        #expect(throws: PorticoError.self) { try PageRequest(cursor: nil, limit: 0) }
        #expect(throws: PorticoError.self) { try PageRequest(cursor: nil, limit: 1001) }
        #expect(throws: PorticoError.self) { try PageRequest(cursor: "zzz!", limit: nil) }
    }
}
