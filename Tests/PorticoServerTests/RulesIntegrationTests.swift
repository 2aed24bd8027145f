import Foundation
import JSONRPC
import PorticoRules
import PorticoStore
import Testing
@testable import PorticoServer

@Suite struct RulesIntegrationTests {
    static let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../rules").standardized.path

    /// The build plugin embeds each file byte for byte, final newline included: the same
    /// policy must give the same hash whether it was read from the shipped files or built in.
    @Test func theEmbeddedDefaultsAreTheShippedRuleFiles() throws {
        for (name, text) in EmbeddedRules.files {
            let onDisk = try Data(contentsOf: URL(fileURLWithPath: "\(Self.rulesDirectory)/\(name)"))
            #expect(Array(text.utf8) == [UInt8](onDisk), "rules/\(name) is not built in byte for byte")
        }
        #expect(Set(EmbeddedRules.files.keys) == Set(RuleSet.files))
        let embedded = try RuleSet.compile(EmbeddedRules.files, source: "embedded", catalog: MethodTable.actions).get()
        let shipped = try RuleSet.load(directory: Self.rulesDirectory, catalog: MethodTable.actions).get()
        #expect(embedded.hash == shipped.hash)
    }

    @Test func theShippedRulesAreValidAndTheirTestsPass() throws {
        let set = try RuleSet.load(directory: Self.rulesDirectory, catalog: MethodTable.actions).get()
        let results = set.runTests()
        #expect(results.count >= 10)
        let failed = results.filter { !$0.passed }
        #expect(failed.isEmpty, "\(failed)")
    }

    @Test func everyServedMethodWithAnActorIsAContractActionOfTheSameKind() {
        for method in MethodTable.all where method.needsActor {
            let slot = MethodTable.actions.slot(method.name)
            #expect(slot != nil, "\(method.name) is missing from the action catalog")
            if let slot {
                #expect(MethodTable.actions.actions[slot].access == (method.access == .write ? .write : .read), "\(method.name)")
            }
        }
    }

    @Test func anInvalidRulesDirectoryStopsTheEngineFromStarting() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "version: 1\nrules: [ { id: x, effect: perhaps, actions: ['*'] } ]\n".write(to: dir.appendingPathComponent("permissions.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: RuleSetError.self) {
            _ = try Engine(options: .init(databasePath: dir.appendingPathComponent("db.sqlite").path, openStore: SQLiteStore.opener, rulesDirectory: dir.path,
                                          rulesDirectoryRequired: true))
        }
        #expect(throws: RuleSetError.self) {
            _ = try Engine(options: .init(databasePath: dir.appendingPathComponent("db2.sqlite").path, openStore: SQLiteStore.opener,
                                          rulesDirectory: dir.appendingPathComponent("nope").path, rulesDirectoryRequired: true))
        }
    }

    @Test func aFailedReloadKeepsTheOldRulesAndAGoodOneSwapsAfterCommit() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let shipped = try String(contentsOfFile: "\(Self.rulesDirectory)/permissions.yaml", encoding: .utf8)
        for name in ["commission.yaml", "pricing.yaml"] {
            try FileManager.default.copyItem(atPath: "\(Self.rulesDirectory)/\(name)", toPath: dir.appendingPathComponent(name).path)
        }
        let file = dir.appendingPathComponent("permissions.yaml")
        try shipped.write(to: file, atomically: true, encoding: .utf8)
        let engine = try Engine(options: .init(databasePath: dir.appendingPathComponent("db.sqlite").path, openStore: SQLiteStore.opener, rulesDirectory: dir.path,
                                               rulesDirectoryRequired: true))
        let t = TestEngine(engine: engine, dir: dir)
        let before = engine.rules.current.hash

        try shipped.replacingOccurrences(of: "effect: forbid", with: "effect: nope").write(to: file, atomically: true, encoding: .utf8)
        let bad = try t.call("rules.reload", ["actor": platform])
        #expect(bad.errorCode == -32030)
        #expect(bad["error"]?["data"]?["diagnostics"]?.arrayValue?.first?["message"]?.stringValue?.contains("effect must be permit or forbid") == true)
        #expect(engine.rules.current.hash == before)

        // A stricter policy: viewers may no longer read their partner.
        try shipped.replacingOccurrences(of: "roles: [owner, manager, sales, support, viewer]", with: "roles: [owner, manager, sales, support]")
            .write(to: file, atomically: true, encoding: .utf8)
        let ok = try t.call("rules.reload", ["actor": platform])
        #expect(ok["result"]?["previousHash"] == .string(before))
        #expect(ok["result"]?["changed"] == true)
        #expect(engine.rules.current.hash != before)
        let audit = try t.call("audit.list", ["actor": platform, "action": "rules.reload"])
        #expect(audit["result"]?["items"]?.arrayValue?.count == 1)
    }

    /// A reload sent alone runs on the reader thread: a rule file nested 700 levels deep
    /// is refused there as anywhere (-32030), and the engine keeps serving.
    @Test func aDeeplyNestedRuleFileIsRefusedWhenReloadedAlone() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in RuleSet.files {
            try FileManager.default.copyItem(atPath: "\(Self.rulesDirectory)/\(name)", toPath: dir.appendingPathComponent(name).path)
        }
        let engine = try Engine(options: .init(databasePath: dir.appendingPathComponent("db.sqlite").path, openStore: SQLiteStore.opener, rulesDirectory: dir.path,
                                               rulesDirectoryRequired: true))
        let t = TestEngine(engine: engine, dir: dir)
        try ("version: 1\nrules: " + String(repeating: "[", count: 700) + String(repeating: "]", count: 700) + "\n")
            .write(to: dir.appendingPathComponent("commission.yaml"), atomically: true, encoding: .utf8)
        let answer = try t.call("rules.reload", ["actor": platform])
        #expect(answer.errorCode == -32030)
        #expect(answer["error"]?["data"]?["diagnostics"]?.arrayValue?.first?["message"]?.stringValue?.contains("nesting deeper than 64 levels") == true)
        #expect(try t.call("system.health", [:])["result"]?["status"] == "ok")
    }
}
