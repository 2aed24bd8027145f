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
        let run = try Binary.run(["replay", request, "--expect", expected, "--volatile", "databasePath", "--volatile", "rulesSource"])
        #expect(run.status == 0, "\(run.out)\n\(String(decoding: run.stderr, as: UTF8.self))")
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

    @Test func replayIsByteForByteReproducible() throws {
        let file = Binary.transcripts.appendingPathComponent("members.jsonl").path
        let a = try Binary.run(["replay", file]), b = try Binary.run(["replay", file])
        #expect(a.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(!a.stdout.isEmpty)
    }
}
