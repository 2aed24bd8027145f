import JSONRPC
import Testing
@testable import PorticoServer

/// NUL and other control characters never reach the store (SQLite cuts text at a NUL):
/// every string param, the actor and the request id are refused with -32602 naming the
/// field, and the audit chain stays verifiable.
@Suite struct TextInputTests {
    func with(_ params: JSONValue, _ changes: [String: JSONValue]) -> JSONValue {
        var o = params.objectValue!
        for (k, v) in changes { o[k] = v }
        return .object(o)
    }

    @Test func aNULInTheOperatorIdIsRefusedAndTheChainStillVerifies() throws {
        let t = try TestEngine()
        let answer = try t.call("partner.create", with(createParams("acme"), ["actor": ["platform": "ops\u{0}evil"]]))
        #expect(answer.errorCode == -32602)
        #expect(answer.errorField == "actor.platform")
        #expect(try t.count("audit") == 0)
        _ = try t.call("partner.create", createParams("acme"))
        #expect(try t.call("audit.verify", ["actor": platform])["result"]?["ok"] == true)
    }

    @Test func aNULInTheRequestIdIsRefusedNamingTheId() throws {
        let t = try TestEngine()
        let line = JSONWriter.string(["jsonrpc": "2.0", "id": "req\u{0}-evil", "method": "partner.create", "params": createParams("acme")])
        let answer = try t.send([line])[0]
        #expect(answer.errorCode == -32602)
        #expect(answer.errorField == "id")
        #expect(answer["id"] == "req\u{0}-evil")
        #expect(try t.count("partner") == 0)
    }

    @Test func aMemberIdWithANULSuffixDoesNotAuthenticateAsThatMember() throws {
        let t = try TestEngine()
        let owner = try t.call("partner.create", createParams("acme"))["result"]!["owner"]!["id"]!.stringValue!
        let answer = try t.call("partner.get", ["actor": ["member": .string(owner + "\u{0}x")], "partnerId": "ptr_x"])
        #expect(answer.errorCode == -32602)
        #expect(answer.errorField == "actor.member")
    }

    @Test func externalIdsAndIdempotencyKeysWithControlCharactersAreRefused() throws {
        let t = try TestEngine()
        let created = try t.call("partner.create", with(createParams("acme"), ["idempotencyKey": "k\u{0}1"]))
        #expect(created.errorField == "idempotencyKey")
        let bidi = try t.call("partner.create", with(createParams("acme"), ["idempotencyKey": "k\u{202E}1"]))
        #expect(bidi.errorField == "idempotencyKey")
        for bad in ["INV\u{0}A", "INV\u{1}A", "INV\u{7F}", "INV\u{85}", "INV\nA"] {
            let sale = try t.call("sale.record", ["actor": platform, "customerId": "cus_x", "plan": "pro", "kind": "new",
                                                   "occurredAt": "2026-01-01T00:00:00Z", "externalId": .string(bad)])
            #expect(sale.errorCode == -32602)
            #expect(sale.errorField == "externalId", "\(bad.unicodeScalars.map(\.value))")
        }
    }

    /// Names: limited in code points, visible, no bidirectional controls or separators.
    @Test(arguments: [
        "Z" + String(repeating: "\u{301}", count: 100_000), "\u{200B}\u{200B}", "\u{200B} \u{FEFF}", "Acme\u{202E}gnp.exe",
        "Acme\u{2028}Inc", "\u{301}\u{301}", "Acme\u{0}", String(repeating: "x", count: 201),
    ])
    func aNameThatCannotBeShownAsWrittenIsRefused(_ name: String) throws {
        let t = try TestEngine()
        let answer = try t.call("partner.create", with(createParams("acme"), ["name": .string(name)]))
        #expect(answer.errorCode == -32602)
        #expect(answer.errorField == "name")
    }

    @Test(arguments: ["Ünïcödé GmbH", "株式会社ポルティコ", "Café \u{1F600}", "Z\u{301}\u{302}", "עברית בע\"מ", "👩‍👩‍👧 Family"])
    func namesInAnyScriptAreKeptExactly(_ name: String) throws {
        let t = try TestEngine()
        let answer = try t.call("partner.create", with(createParams("acme"), ["name": .string(name)]))
        #expect(answer["result"]?["name"] == .string(name))
        let id = answer["result"]!["id"]!
        #expect(try t.call("partner.get", ["actor": platform, "partnerId": id])["result"]?["name"] == .string(name))
    }
}
