import GRDB
import JSONRPC
import PorticoStore
import PropertyBased
import Testing
@testable import PorticoServer

/// Strings drawn from every class of code point (letters of several scripts, combining
/// marks, astral emoji and ZWJ sequences, controls C0 and C1 with NUL among them, DEL,
/// bidirectional controls, separators, zero-width and format characters, private use,
/// noncharacters) sent through every string param that is stored, the request id and
/// the actor: each request either succeeds and the value reads back exactly as the field's
/// rule makes it, or fails -32602 naming that field. Control characters never pass. At
/// the end the audit chain verifies.
@Suite struct TextPropertyTests {
    static let classes: [[Unicode.Scalar]] = [
        ["a", "Z", "7", " ", "-", "."], ["é", "ß", "Ø"], ["\u{301}", "\u{308}"], ["株", "式", "ポ"], ["😀", "🧪"],
        ["\u{200D}"], ["ע", "ب"], ["\u{0}", "\u{1}", "\u{1F}"], ["\u{9}", "\u{A}", "\u{D}"], ["\u{7F}"], ["\u{85}", "\u{9F}"],
        ["\u{202E}", "\u{2066}", "\u{200F}"], ["\u{2028}", "\u{2029}"], ["\u{200B}", "\u{FEFF}", "\u{2060}"], ["\u{E000}"],
        [Unicode.Scalar(0xFFFF)!, Unicode.Scalar(0xFDD0)!], ["\u{212A}"],
    ]

    static let scalars: [Unicode.Scalar] = classes.flatMap { $0 }
    static let text = Gen.int(in: 0..<scalars.count).map { scalars[$0] }
        .array(of: 0...10).map { String(String.UnicodeScalarView($0)) }

    /// NUL, other C0 controls but tab and line breaks, DEL, C1: refused by every field.
    static func hasForbiddenControl(_ s: String) -> Bool {
        s.unicodeScalars.contains { ($0.value < 0x20 && ![0x9, 0xA, 0xD].contains($0.value)) || (0x7F...0x9F).contains($0.value) }
    }

    static func trimmed(_ s: String) -> String {
        var u = Array(s.unicodeScalars)
        while let f = u.first, f.properties.isWhitespace { u.removeFirst() }
        while let l = u.last, l.properties.isWhitespace { u.removeLast() }
        return String(String.UnicodeScalarView(u))
    }

    final class Fixture {
        let t: TestEngine
        let partnerId: String
        let customerId: String
        var n = 0
        init() throws {
            t = try TestEngine()
            let p = try t.call("partner.create", createParams("acme"))["result"]!
            partnerId = p["id"]!.stringValue!
            customerId = try t.call("customer.create", ["actor": platform, "partnerId": .string(partnerId), "name": "C",
                                                        "email": "c@c.example", "country": "DE"])["result"]!["id"]!.stringValue!
        }

        /// Sends one request with a string id.
        func send(_ method: String, _ params: JSONValue, id: RequestID) -> JSONValue {
            n += 1
            switch t.engine.handle([Call(id: id, method: method, params: params)], control: .detached())[0]!.read {
            case .result(let r): return ["result": r]
            case .error(let e): return ["error": e.json]
            case .encoded: preconditionFailure("read answers trees")
            }
        }
    }

    /// One write per field: what to send, and the field's value as answered when it
    /// succeeds (nil: the field is not in the answer).
    static func request(_ f: Fixture, _ field: String, _ s: String) -> (String, JSONValue, (JSONValue) -> JSONValue?) {
        let partner = JSONValue.string(f.partnerId)
        switch field {
        case "name":
            return ("partner.update", ["actor": platform, "partnerId": partner, "name": .string(s)], { $0["name"] })
        case "owner.name":
            var p = createParams("p\(f.n)").objectValue!
            p["owner"] = ["email": .string("o\(f.n)@p.example"), "name": .string(s)]
            return ("partner.create", .object(p), { $0["owner"]?["name"] })
        case "reason":
            return ("commission.create", ["actor": platform, "partnerId": partner, "amount": ["amount": 1, "currency": "USD"],
                                          "reason": .string(s)], { $0["reason"] })
        case "externalId":
            return ("sale.record", ["actor": platform, "customerId": .string(f.customerId), "plan": "pro", "kind": "new",
                                    "occurredAt": "2027-01-01T00:00:00Z", "externalId": .string(s)], { $0["sale"]?["externalId"] })
        case "idempotencyKey":
            return ("partner.update", ["actor": platform, "partnerId": partner, "name": .string("N\(f.n)"), "idempotencyKey": .string(s)],
                    { _ in nil })
        default:  // actor.platform
            return ("partner.update", ["actor": ["platform": .string(s)], "partnerId": partner, "name": .string("A\(f.n)")], { _ in nil })
        }
    }

    @Test func everyStringFieldKeepsWhatItAcceptsAndNamesItselfWhenItRefuses() async throws {
        let f = try Fixture()
        let fields = ["name", "owner.name", "reason", "externalId", "idempotencyKey", "actor.platform", "id"]
        await propertyCheck(count: 400, input: Gen.int(in: 0..<fields.count), Self.text) { k, s in
            let field = fields[k]
            let (method, params, read) = Self.request(f, field == "id" ? "name" : field, field == "id" ? "Named \(f.n)" : s)
            let id: RequestID = field == "id" ? .string(s) : .integer(Int64(f.n))
            let answer = f.send(method, params, id: id)
            if let result = answer["result"] {
                #expect(!Self.hasForbiddenControl(s), "\(field) accepted \(s.unicodeScalars.map(\.value))")
                // The request id and the actor are kept exactly in the audit record.
                if field == "id" || field == "actor.platform" {
                    let newest = try? f.t.engine.database.read { tx in try tx.auditEntry(seq: try tx.auditHead().seq) }
                    let kept = field == "id" ? newest?.requestId : newest?.actor
                    #expect(kept.map { Array($0.unicodeScalars) } == Array((field == "id" ? s : "platform:" + s).unicodeScalars),
                            "\(field): sent \(s.unicodeScalars.map(\.value)), kept \(kept ?? "nothing")")
                    return
                }
                if let got = read(result) {
                    // Names, reasons and external ids are trimmed of white space.
                    let trimmed = Self.trimmed(s)
                    #expect(got.stringValue.map { Array($0.unicodeScalars) == Array(trimmed.unicodeScalars) } == true,
                            "\(field): sent \(s.unicodeScalars.map(\.value)), read \(got)")
                }
            } else {
                // A key used before with other params is a conflict, still naming the field.
                let code = answer["error"]?["code"]?.integerValue
                #expect(code == -32602 || (code == -32009 && ["idempotencyKey", "externalId"].contains(field)), "\(field): \(answer)")
                #expect(answer["error"]?["data"]?["field"]?.stringValue == field, "\(field): \(answer)")
            }
        }
        let verify = f.send("audit.verify", ["actor": platform], id: .integer(0))
        #expect(verify["result"]?["ok"] == true, "\(verify)")
        #expect((verify["result"]?["checked"]?.integerValue ?? 0) > 20)
    }
}
