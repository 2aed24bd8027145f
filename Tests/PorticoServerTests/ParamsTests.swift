import JSONRPC
import Testing
@testable import PorticoCore
@testable import PorticoServer

@Suite struct ParamsTests {
    func failure(_ params: JSONValue?, _ read: (inout Params) throws -> Void) -> (Int, String?)? {
        do {
            var p = try Params(params)
            try read(&p)
            try p.finish()
            return nil
        } catch let e as PorticoError {
            return (e.code.rawValue, e.data["field"]?.stringValue)
        } catch { return (0, nil) }
    }

    @Test func namesTheMissingIllTypedOrUnknownField() {
        #expect(failure(["a": 1]) { _ = try $0.string("name") }! == (-32602, "name"))
        #expect(failure(["name": 5]) { _ = try $0.string("name") }! == (-32602, "name"))
        #expect(failure(["name": "x", "nmae": "y"]) { _ = try $0.string("name") }! == (-32602, "nmae"))
        #expect(failure(["owner": ["email": 1]]) { var o = try $0.object("owner"); _ = try o.string("email") }! == (-32602, "owner.email"))
        #expect(failure(["owner": "x"]) { _ = try $0.object("owner") }! == (-32602, "owner"))
        #expect(failure([1, 2]) { _ = try $0.optionalString("a") }! == (-32602, "params"))
    }

    @Test func moneyAmountsAreIntegersWithinTwoToThe53() throws {
        var p = try Params(["a": .integer(1 << 53), "b": .number("12.50"), "c": .integer((1 << 53) + 1), "d": .number("1e3"), "e": "12"])
        #expect(try p.optionalAmount("a") == 1 << 53)
        #expect(failure(["b": .number("12.50")]) { _ = try $0.optionalAmount("b") }! == (-32602, "b"))
        #expect(failure(["c": .integer((1 << 53) + 1)]) { _ = try $0.optionalAmount("c") }! == (-32602, "c"))
        #expect(failure(["d": .number("1e3")]) { _ = try $0.optionalAmount("d") }! == (-32602, "d"))
        #expect(failure(["e": "12"]) { _ = try $0.optionalAmount("e") }! == (-32602, "e"))
        #expect(failure(["f": .number("99999999999999999999")]) { _ = try $0.optionalAmount("f") }! == (-32602, "f"))
    }

    @Test func actorsNameExactlyOneKind() {
        #expect(failure(["actor": ["platform": "ops"]]) { _ = try $0.actor() } == nil)
        #expect(failure(["actor": ["member": 3]]) { _ = try $0.actor() }! == (-32602, "actor.member"))
        #expect(failure(["actor": ["platform": "a", "member": "b"]]) { _ = try $0.actor() }! == (-32602, "actor"))
        #expect(failure(["actor": ["robot": "r"]]) { _ = try $0.actor() }! == (-32602, "actor"))
        #expect(failure([:]) { _ = try $0.actor() }! == (-32602, "actor"))
    }

    @Test func engineAnswersEachClassOfBadParams() throws {
        let t = try TestEngine()
        let noActor = try t.call("partner.get", ["partnerId": "ptr_x"])
        #expect(noActor.errorCode == -32602 && noActor.errorField == "actor")
        let unknownMember = try t.call("partner.get", ["actor": ["member": "mem_nobody"], "partnerId": "ptr_x"])
        #expect(unknownMember.errorCode == -32001)
        let notFound = try t.call("partner.get", ["actor": platform, "partnerId": "ptr_x"])
        #expect(notFound.errorCode == -32004)
        #expect(notFound["error"]?["data"] == ["type": "partner", "id": "ptr_x"])
        let badLimit = try t.call("partner.list", ["actor": platform, "limit": 5000])
        #expect(badLimit.errorField == "limit")
        let fractionLimit = try t.call("partner.list", ["actor": platform, "limit": .number("2.5")])
        #expect(fractionLimit.errorField == "limit")
        let readWithKey = try t.call("partner.list", ["actor": platform, "idempotencyKey": "x"])
        #expect(readWithKey.errorField == "idempotencyKey")
    }

    @Test func listsPageWithCursors() throws {
        let t = try TestEngine()
        _ = try t.send((1...5).map { request("partner.create", createParams("p\($0)"), id: $0) })
        var seen: [String] = []
        var cursor: JSONValue = .null
        repeat {
            var params: JSONObject = ["actor": platform, "limit": 2]
            if cursor != .null { params["cursor"] = cursor }
            let page = try t.call("partner.list", .object(params))["result"]!
            seen += page["items"]!.arrayValue!.map { $0["subdomain"]!.stringValue! }
            cursor = page["nextCursor"]!
        } while cursor != .null
        #expect(seen == ["p1", "p2", "p3", "p4", "p5"])
    }

    /// Params read ahead (`Method.preparing`, on the reading thread) answer what they
    /// answer read in the call: the same events or the same error naming the same field,
    /// and the members read ahead count as read (`finish`), the others still refused.
    @Test func paramsReadAheadAnswerAsParamsReadInTheCall() {
        let event: JSONValue = ["eventId": "e1", "customerId": "cus_1", "meter": "llm-tokens", "quantity": "12.5", "occurredAt": "2026-01-01T00:00:00Z"]
        func drop(_ key: String) -> JSONValue {
            guard case .object(let o) = event else { return event }
            return .object(JSONObject(uniqueMembers: o.members.filter { $0.key != key }))
        }
        func with(_ key: String, _ v: JSONValue) -> JSONValue {
            guard case .object(let o) = event else { return event }
            return .object(JSONObject(uniqueMembers: o.members.filter { $0.key != key } + [.init(key: key, value: v)]))
        }
        let cases: [JSONValue?] = [
            ["accessToken": "t", "events": [event, event]],
            ["accessToken": "t", "events": [event, drop("meter")]],
            ["accessToken": "t", "events": [event, with("quantity", .number("1.5"))]],
            ["accessToken": "t", "events": [event, with("occurredAt", "yesterday")]],
            ["accessToken": "t", "events": [event, with("extra", 1)]],
            ["accessToken": "t", "events": [event], "extra": true],
            ["accessToken": "t", "events": []],
            ["accessToken": "t", "events": "none"],
            ["accessToken": "t"],
            [1, 2],
            nil,
        ]
        func answer(_ params: JSONValue?, ahead: Bool) -> String {
            do {
                var p = try Params(params)
                if ahead { p.ahead = Params.prepare(params, UsageMethods.events) }
                _ = try p.string("accessToken")
                let events = try p.prepared(UsageMethods.events)
                try p.finish()
                return events.map { "\($0.eventId) \($0.meter) \($0.quantity) \($0.occurredAt.rfc3339)" }.joined(separator: ", ")
            } catch let e as PorticoError {
                return "\(e.code.rawValue) \(e.data["field"]?.stringValue ?? "-"): \(e.message)"
            } catch { return "\(error)" }
        }
        for params in cases {
            #expect(answer(params, ahead: true) == answer(params, ahead: false), "\(params.map { JSONWriter.string($0) } ?? "nil")")
        }
        #expect(answer(cases[0], ahead: true).hasPrefix("e1 llm-tokens 12.5"))
        #expect(answer(cases[4], ahead: true).contains("events[1].extra") && answer(cases[5], ahead: true).contains("-32602 extra"))
    }
}
