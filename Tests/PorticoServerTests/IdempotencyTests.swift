import JSONRPC
import Testing
@testable import PorticoServer

@Suite struct IdempotencyTests {
    @Test func aRetryWithTheSameKeyAndParamsAnswersTheFirstResultAndWritesNothing() throws {
        let t = try TestEngine()
        var params = createParams("acme")
        params = .object({ var o = params.objectValue!; o["idempotencyKey"] = "k1"; return o }())
        let first = try t.call("partner.create", params, id: 1)
        let audit = try t.count("audit")
        let again = try t.call("partner.create", params, id: 2)
        #expect(again["result"] == first["result"])
        #expect(try t.count("partner") == 1)
        #expect(try t.count("audit") == audit)
    }

    @Test func theSameKeyWithOtherParamsIsAConflictWithNoSideEffect() throws {
        let t = try TestEngine()
        var o = createParams("acme").objectValue!
        o["idempotencyKey"] = "k1"
        _ = try t.call("partner.create", .object(o))
        var other = createParams("other").objectValue!
        other["idempotencyKey"] = "k1"
        let answer = try t.call("partner.create", .object(other))
        #expect(answer.errorCode == -32009)
        #expect(answer.errorField == "idempotencyKey")
        #expect(try t.count("partner") == 1)
    }

    @Test func keysAreScopedByActor() throws {
        let t = try TestEngine()
        var a = createParams("acme").objectValue!
        a["idempotencyKey"] = "same"
        var b = createParams("beta").objectValue!
        b["idempotencyKey"] = "same"
        b["actor"] = ["platform": "someone-else"]
        let answers = try t.send([request("partner.create", .object(a), id: 1), request("partner.create", .object(b), id: 2)])
        #expect(answers.allSatisfy { $0["result"] != nil })
        #expect(try t.count("partner") == 2)
    }

    @Test func aFailedRequestIsNotRemembered() throws {
        let t = try TestEngine()
        var bad = createParams("-bad-").objectValue!
        bad["idempotencyKey"] = "k"
        #expect(try t.call("partner.create", .object(bad)).errorCode == -32602)
        var good = createParams("good").objectValue!
        good["idempotencyKey"] = "k"
        #expect(try t.call("partner.create", .object(good))["result"] != nil)
    }
}
