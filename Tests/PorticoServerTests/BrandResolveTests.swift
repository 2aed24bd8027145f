import Foundation
import JSONRPC
import PorticoCore
import Testing
@testable import PorticoServer

/// `brand.resolve` answers from memory, but never past a change: a renamed brand, a
/// removed domain, a suspended partner are seen by the very next call, in the same
/// pipelined batch too, on a clock that never moves (so no entry ages out).
@Suite struct BrandResolveTests {
    @Test func aChangeIsSeenByTheNextResolve() throws {
        let t = try OAuthLifetimeTests().engine("fixed:2026-03-01T00:00:00Z")
        let partner = try t.call("partner.create", createParams("acme"))["result"]!["id"]!
        func resolve(_ host: String, id: Int = 1) -> String { request("brand.resolve", ["host": .string(host)], id: id) }
        #expect(try t.send([resolve("acme.portal.example")])[0]["result"]?["brand"]?["displayName"] == "Partner acme")
        let answers = try t.send([
            resolve("acme.portal.example", id: 1),
            request("brand.update", ["actor": platform, "partnerId": partner, "displayName": "Acme Cloud"], id: 2),
            resolve("acme.portal.example", id: 3),
        ])
        #expect(answers[0]["result"]?["brand"]?["displayName"] == "Partner acme" && answers[2]["result"]?["brand"]?["displayName"] == "Acme Cloud")
        // A custom domain, made active, resolves; removed, it is unknown at once.
        let added = try t.call("brand.domain.add", ["actor": platform, "partnerId": partner, "hostname": "shop.acme.example"])["result"]!
        let challenge = added["dnsRecords"]!.arrayValue![1]["value"]!
        #expect(try t.call("brand.domain.verify", ["actor": platform, "partnerId": partner, "hostname": "shop.acme.example",
                                                   "txtRecords": [challenge]])["result"]?["verified"] == true)
        #expect(try t.send([resolve("shop.acme.example")])[0]["error"]?["code"] == -32004)
        #expect(try t.call("brand.domain.due", ["actor": platform])["result"]?["items"]?.arrayValue?.count == 1)
        #expect(try t.call("brand.domain.certificate", ["actor": platform, "hostname": "shop.acme.example", "status": "issued",
                                                        "notAfter": "2026-06-01T00:00:00Z"])["result"]?["status"] == "active")
        #expect(try t.send([resolve("shop.acme.example")])[0]["result"]?["via"] == "domain")
        #expect(try t.call("brand.domain.remove", ["actor": platform, "partnerId": partner, "hostname": "shop.acme.example"])["result"] != nil)
        #expect(try t.send([resolve("shop.acme.example")])[0]["error"]?["code"] == -32004)
        // Suspended: closed at once; active again: open at once.
        #expect(try t.call("partner.suspend", ["actor": platform, "partnerId": partner, "reason": "r"])["result"] != nil)
        #expect(try t.send([resolve("acme.portal.example")])[0]["error"]?["data"]?["state"] == "suspended")
        #expect(try t.call("partner.activate", ["actor": platform, "partnerId": partner, "reason": "r"])["result"] != nil)
        #expect(try t.send([resolve("acme.portal.example")])[0]["result"] != nil)
    }
}
