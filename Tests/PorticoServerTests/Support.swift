import Foundation
import JSONRPC
import PorticoCore
import PorticoStore
@testable import PorticoServer

/// An engine on a fresh database with a stepping clock and a fixed seed.
final class TestEngine {
    let engine: Engine
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        engine = try Engine(options: .init(databasePath: dir.appendingPathComponent("t.sqlite").path, openStore: SQLiteStore.opener,
                                           clock: ClockSpec.parse("step:2026-01-01T00:00:00Z,1s")!, seed: 9,
                                           rulesDirectory: RulesIntegrationTests.rulesDirectory, rulesDirectoryRequired: true))
    }

    init(engine: Engine, dir: URL) {
        self.engine = engine
        self.dir = dir
    }

    /// Sends the lines as one stream (so they arrive together, as a pipelined client's
    /// would) and answers the parsed answers in order.
    func send(_ lines: [String]) throws -> [JSONValue] {
        let path = dir.appendingPathComponent("in-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let sink = BufferSink()
        Connection(input: fd, output: sink, handler: engine).run()
        return try Replay.messages(sink.bytes)
    }

    func call(_ method: String, _ params: JSONValue, id: Int = 1) throws -> JSONValue {
        try send([request(method, params, id: id)])[0]
    }

    func count(_ table: String) throws -> Int {
        try engine.database.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }
}

extension Engine {
    /// The SQLite store the test engines run on, for tests that reach below the boundary.
    var database: SQLiteStore { store as! SQLiteStore }
}

func request(_ method: String, _ params: JSONValue, id: Int = 1) -> String {
    JSONWriter.string(["jsonrpc": "2.0", "id": .integer(Int64(id)), "method": .string(method), "params": params])
}

let platform: JSONValue = ["platform": "ops"]

func createParams(_ sub: String, email: String? = nil) -> JSONValue {
    ["actor": platform, "name": .string("Partner \(sub)"), "subdomain": .string(sub), "region": "eu",
     "owner": ["email": .string(email ?? "owner@\(sub).example"), "name": "Owner"]]
}

extension JSONValue {
    var errorCode: Int64? { self["error"]?["code"]?.integerValue }
    var errorField: String? { self["error"]?["data"]?["field"]?.stringValue }
}
