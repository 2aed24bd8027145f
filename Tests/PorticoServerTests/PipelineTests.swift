import Foundation
import JSONRPC
import PorticoCore
import PorticoStore
import Testing
@testable import PorticoServer

/// Each stage of the request pipeline on its own.
@Suite struct PipelineTests {
    static func fieldOf(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let e as PorticoError {
            return e.data["field"]?.stringValue ?? "code \(e.code.rawValue)"
        } catch {
            return "\(error)"
        }
    }

    @Test func decodingRefusesAControlCharacterInTheRequestIdAndParamsThatAreNotAnObject() {
        #expect(Self.fieldOf { _ = try CallDecoding.params(of: Call(id: .string("a\u{0}b"), method: "m", params: nil)) } == "id")
        #expect(Self.fieldOf { _ = try CallDecoding.params(of: Call(id: .integer(1), method: "m", params: [1, 2])) } == "params")
        #expect(Self.fieldOf { _ = try CallDecoding.params(of: Call(id: .string("ok"), method: "m", params: ["a": 1])) } == nil)
    }

    @Test func theCallerIsAPlatformOperatorOrAnActiveMember() throws {
        let t = try TestEngine()
        let created = try t.call("partner.create", createParams("acme"))
        let owner = created["result"]!["owner"]!["id"]!.stringValue!
        try t.engine.database.write { tx in
            var p = try Params(["actor": ["platform": "ops"]])
            #expect(try CallerResolution().resolve(&p, tx, .actor, now: { .min }).name == "platform:ops")
            p = try Params(["actor": ["member": .string(owner)]])
            #expect(try CallerResolution().resolve(&p, tx, .actor, now: { .min }).name == "member:\(owner)")
            p = try Params(["actor": ["member": "mem_nobody"]])
            #expect(throws: PorticoError.self) { _ = try CallerResolution().resolve(&p, tx, .actor, now: { .min }) }
        }
    }

    @Test func theRateLimiterAdmitsEveryCallOfThePlatformAndMembers() throws {
        let t = try TestEngine()
        let limiter = PartnerRateLimiter(rules: t.engine.rules)
        for _ in 0..<10_000 {
            try limiter.admit(nil, action: "partner.create", now: .min)
            try limiter.admit(.platform(operatorId: "ops"), action: "sale.record", now: .min)
        }
    }

    @Test func idempotencyReplaysTheSameParamsAndRefusesOthers() throws {
        let t = try TestEngine()
        let stage = IdempotencyStage()
        var p = try Params(["idempotencyKey": "k-1", "name": "x"])
        #expect(try stage.key(&p) == "k-1")
        var bad = try Params(["idempotencyKey": "k\u{7}"])
        #expect(Self.fieldOf { _ = try stage.key(&bad) } == "idempotencyKey")
        let actor = Actor.platform(operatorId: "ops")
        let first = IdempotencyStage.Scope(actor: actor, key: "k-1", method: "partner.update", params: ["idempotencyKey": "k-1", "name": "x"])
        try t.engine.database.write { tx in
            #expect(try stage.replay(first, tx) == nil)
            try stage.record(first, result: ["answer": 1], at: "2027-01-01T00:00:00.000Z", tx)
            // The key itself is not part of the params compared.
            let same = IdempotencyStage.Scope(actor: actor, key: "k-1", method: "partner.update", params: ["name": "x", "idempotencyKey": "k-1"])
            #expect(try stage.replay(same, tx) == ["answer": 1])
            let other = IdempotencyStage.Scope(actor: actor, key: "k-1", method: "partner.update", params: ["idempotencyKey": "k-1", "name": "y"])
            #expect(Self.fieldOf { _ = try stage.replay(other, tx) } == "idempotencyKey")
            let otherMethod = IdempotencyStage.Scope(actor: actor, key: "k-1", method: "partner.create", params: ["idempotencyKey": "k-1", "name": "x"])
            #expect(Self.fieldOf { _ = try stage.replay(otherMethod, tx) } == "idempotencyKey")
            // Another actor's key is its own.
            let theirs = IdempotencyStage.Scope(actor: .platform(operatorId: "other"), key: "k-1", method: "partner.update",
                                               params: ["name": "y"])
            #expect(try stage.replay(theirs, tx) == nil)
        }
    }

    /// No method needs the engine: `system.*` methods read the engine's status, the
    /// others their request's context.
    @Test func everyMethodIsAServiceOrASystemMethod() {
        let system = MethodTable.all.filter { if case .system = $0.body { return true } else { return false } }.map(\.name)
        #expect(Set(system) == ["rpc.discover", "system.health"])
        #expect(system.allSatisfy { name in MethodTable.all.first { $0.name == name }!.access == .none })
    }
}

/// A seeded engine started again on its own database, with the same seed and the same
/// clock, goes on with new ids: its first session's are never drawn again (they would
/// collide with the rows and audit records already there).
@Suite struct SeededRestartTests {
    @Test func aSecondSessionDrawsNewIds() throws {
        let first = try TestEngine()
        let a = try first.call("partner.create", createParams("first"))["result"]?["id"]?.stringValue
        first.engine.close()
        func open() throws -> TestEngine {
            TestEngine(engine: try Engine(options: .init(databasePath: first.dir.appendingPathComponent("t.sqlite").path, openStore: SQLiteStore.opener,
                                                         clock: ClockSpec.parse("step:2026-01-01T00:00:00Z,1s")!, seed: 9,
                                                         rulesDirectory: RulesIntegrationTests.rulesDirectory, rulesDirectoryRequired: true)),
                       dir: first.dir)
        }
        let second = try open()
        let b = try second.call("partner.create", createParams("second"))["result"]?["id"]?.stringValue
        #expect(a != nil && b != nil && a != b)
        #expect(try second.call("audit.verify", ["actor": platform])["result"]?["ok"] == true)
        second.engine.close()
        let third = try open()
        let c = try third.call("partner.create", createParams("third"))["result"]?["id"]?.stringValue
        #expect(c != nil && c != a && c != b)
        third.engine.close()
    }
}
