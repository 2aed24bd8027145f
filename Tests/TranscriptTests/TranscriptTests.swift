import Foundation
import Testing

/// Every `Transcripts/NAME.jsonl` (or `.lsp`) is replayed on the real binary and its
/// answers compared with `NAME.expected.jsonl`. Re-record after an intended change with
/// `portico replay FILE --expect EXPECTED --update`, then read the diff.
@Suite struct TranscriptTests {
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: Binary.transcripts.path)) ?? []
        return files.filter { ($0.hasSuffix(".jsonl") || $0.hasSuffix(".lsp")) && !$0.contains(".expected.") }.sorted()
    }()

    @Test func thereAreTranscripts() {
        #expect(Self.names.count >= 5)
    }

    @Test(arguments: TranscriptTests.names)
    func replayMatchesTheRecordedAnswers(_ name: String) throws {
        // NAME.jsonl is answered in NAME.expected.jsonl, NAME.lsp in NAME.expected.lsp.
        let ext = (name as NSString).pathExtension
        let base = (name as NSString).deletingPathExtension
        let request = Binary.transcripts.appendingPathComponent(name).path
        let expected = Binary.transcripts.appendingPathComponent("\(base).expected.\(ext)").path
        let run = try Binary.run(["replay", request, "--expect", expected])
        #expect(run.status == 0, "\(run.out)\n\(String(decoding: run.stderr, as: UTF8.self))")
    }

    /// The PostgreSQL server the tests' cluster runs (scripts/test starts one).
    static let postgres = ProcessInfo.processInfo.environment["PORTICO_TEST_POSTGRES"]

    /// The same files on the PostgreSQL store, each in a database of its own: the same
    /// answers, byte for byte (but `databasePath` and `engines`, where it ran), as on SQLite.
    @Test(.enabled(if: TranscriptTests.postgres != nil, "needs PORTICO_TEST_POSTGRES"), arguments: TranscriptTests.names)
    func replayOnPostgreSQLAnswersAsOnSQLite(_ name: String) throws {
        let ext = (name as NSString).pathExtension
        let base = (name as NSString).deletingPathExtension
        let request = Binary.transcripts.appendingPathComponent(name).path
        let expected = Binary.transcripts.appendingPathComponent("\(base).expected.\(ext)").path
        let run = try Binary.run(["replay", request, "--expect", expected, "--db", Self.postgres!])
        #expect(run.status == 0, "\(run.out)\n\(String(decoding: run.stderr, as: UTF8.self))")
        let sqlite = try Binary.run(["replay", request]), pg = try Binary.run(["replay", request, "--db", Self.postgres!])
        let place = try Regex(#""databasePath":"[^"]*"|"engines":\[[^\]]*\]"#)
        #expect(sqlite.out.replacing(place, with: "") == pg.out.replacing(place, with: ""))
    }

    @Test func aMismatchPrintsADiffAndExitsNonZero() throws {
        let dir = try Binary.temporaryDirectory()
        let request = dir.appendingPathComponent("r.jsonl")
        try Data(#"{"jsonrpc":"2.0","id":1,"method":"partner.list","params":{"actor":{"platform":"ops"}}}"#.utf8 + [0x0A]).write(to: request)
        let expected = dir.appendingPathComponent("e.jsonl")
        try Data(#"{"jsonrpc":"2.0","id":1,"result":{"items":[{"id":"x"}],"nextCursor":null}}"#.utf8 + [0x0A]).write(to: expected)
        let run = try Binary.run(["replay", request.path, "--expect", expected.path])
        #expect(run.status == 1)
        #expect(run.out.contains("answer 1 (id 1) differs at result.items"))
    }

    @Test func volatileValuesMatchAnything() throws {
        let dir = try Binary.temporaryDirectory()
        let request = dir.appendingPathComponent("r.jsonl")
        try Data(#"{"jsonrpc":"2.0","id":1,"method":"system.health"}"#.utf8 + [0x0A]).write(to: request)
        let expected = dir.appendingPathComponent("e.jsonl")
        try Data(#"{"jsonrpc":"2.0","id":1,"result":{"status":"ok","version":"<volatile>","schemaVersion":"<volatile>","rulesHash":"<volatile>","rulesSource":"<volatile>","databasePath":"<volatile>","deterministic":true}}"#.utf8 + [0x0A]).write(to: expected)
        let run = try Binary.run(["replay", request.path, "--expect", expected.path])
        #expect(run.status == 0, "\(run.out)")
    }

    /// Recorded in the repository, compared from a directory without `rules/` (so with the
    /// built-in rules and another temporary database): equal, with no flags.
    @Test func aFreshRecordingComparesEqualAnywhereWithNoFlags() throws {
        let dir = try Binary.temporaryDirectory()
        let request = dir.appendingPathComponent("r.jsonl")
        try Data((#"{"jsonrpc":"2.0","id":1,"method":"system.health"}"# + "\n"
            + #"{"jsonrpc":"2.0","id":2,"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"A","subdomain":"a","region":"eu","owner":{"email":"o@a.example","name":"O"}}}"# + "\n").utf8).write(to: request)
        let expected = dir.appendingPathComponent("e.jsonl")
        #expect(try Binary.run(["replay", request.path, "--expect", expected.path, "--update"], in: Binary.repository).status == 0)
        let recorded = String(decoding: try Data(contentsOf: expected), as: UTF8.self)
        #expect(recorded.contains(#""databasePath":"<volatile>""#) && recorded.contains(#""rulesSource":"<volatile>""#))
        let run = try Binary.run(["replay", request.path, "--expect", expected.path], in: dir)
        #expect(run.status == 0, "\(run.out)")
    }

    @Test func expectingAMissingFileSaysToRecordIt() throws {
        let dir = try Binary.temporaryDirectory()
        let request = dir.appendingPathComponent("r.jsonl")
        try Data((#"{"jsonrpc":"2.0","id":1,"method":"system.health"}"# + "\n").utf8).write(to: request)
        let run = try Binary.run(["replay", request.path, "--expect", dir.appendingPathComponent("missing.jsonl").path])
        #expect(run.status == 1)
        #expect(String(decoding: run.stderr, as: UTF8.self).contains("record them first with --update"))
    }

    /// The quick start's demo keeps answering what README describes.
    @Test func theDemoAnswersAsRecorded() throws {
        let demo = Binary.repository.appendingPathComponent("examples/demo.jsonl").path
        let run = try Binary.run(["replay", demo, "--seed", "7", "--expect",
                                  Binary.repository.appendingPathComponent("examples/demo.expected.jsonl").path], in: Binary.repository)
        #expect(run.status == 0, "\(run.out)")
    }

    /// README's export pictures come from this file: it keeps answering as recorded, its
    /// files' bytes and hashes included.
    @Test func theReportsExampleAnswersAsRecorded() throws {
        let file = Binary.repository.appendingPathComponent("examples/reports.jsonl").path
        let run = try Binary.run(["replay", file, "--clock", "step:2027-01-05T09:00:00Z,1s", "--seed", "7", "--expect",
                                  Binary.repository.appendingPathComponent("examples/reports.expected.jsonl").path], in: Binary.repository)
        #expect(run.status == 0, "\(run.out)")
    }

    @Test func replayIsByteForByteReproducible() throws {
        let file = Binary.transcripts.appendingPathComponent("members.jsonl").path
        let a = try Binary.run(["replay", file]), b = try Binary.run(["replay", file])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(!a.stdout.isEmpty)
    }
}
