import Foundation
import JSONRPC
import Logging
import PorticoCore

/// `portico replay`: feeds a recorded request file, byte for byte, to a fresh engine on a
/// temporary database and compares its answers with the expected ones.
public enum Replay {
    public struct Options {
        public var requestFile: String
        public var expectFile: String?
        public var update: Bool
        public var clock: String
        public var seed: UInt64
        public var volatileKeys: Set<String>
        /// nil: ./rules when it exists, else the shipped defaults.
        public var rulesDirectory: String?
        /// Opens the fresh store the file replays against.
        public var openStore: StoreOpener
        public var secrets: Secrets
        /// Where exports go; nil: a directory of the replay's own, removed after it.
        public var exportDirectory: String?
        public init(requestFile: String, expectFile: String?, openStore: @escaping StoreOpener, update: Bool = false,
                    clock: String = "step:2026-01-01T00:00:00Z,1s", seed: UInt64 = 1, volatileKeys: Set<String> = [],
                    rulesDirectory: String? = nil, secrets: Secrets = .none, exportDirectory: String? = nil)
        {
            self.requestFile = requestFile; self.expectFile = expectFile; self.update = update; self.clock = clock
            self.seed = seed; self.volatileKeys = volatileKeys; self.rulesDirectory = rulesDirectory
            self.openStore = openStore; self.secrets = secrets; self.exportDirectory = exportDirectory
        }
    }

    /// The marker an expected answer may use for a value that differs run to run.
    public static let volatileMarker: JSONValue = "<volatile>"

    /// Members whose values depend on where and how the replay ran (a temporary database
    /// path, where the rules were read from, the engines running), not on the requests: marked volatile when a
    /// file is recorded, so it compares equal anywhere without flags.
    public static let volatileByNature: Set<String> = ["databasePath", "rulesSource", "engines"]

    /// The answers with every member named in `keys` set to the volatile marker, framed
    /// as they came (what `--update` records).
    public static func markingVolatile(_ output: [UInt8], keys: Set<String>) throws -> [UInt8] {
        var decoder = FrameDecoder(maxMessageBytes: Int.max)
        decoder.append(output)
        _ = decoder.next()
        let framing = decoder.framing ?? .newlineDelimited
        var out: [UInt8] = []
        for message in try messages(output) {
            framing.frame(JSONWriter.bytes(mark(message, keys)), into: &out)
        }
        return out
    }

    static func mark(_ v: JSONValue, _ keys: Set<String>) -> JSONValue {
        switch v {
        case .object(let o):
            return .object(JSONObject(uniqueMembers: o.members.map {
                .init(key: $0.key, value: keys.contains($0.key) ? volatileMarker : mark($0.value, keys))
            }))
        case .array(let a): return .array(a.map { mark($0, keys) })
        default: return v
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs the engine over the file and answers its raw output (the answers, framed as
    /// the requests were).
    public static func run(_ options: Options, logger: Logger) throws -> [UInt8] {
        guard let clock = ClockSpec.parse(options.clock) else { throw Failure(description: "invalid --clock \(options.clock)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("portico-replay-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let exports = options.exportDirectory ?? dir.appendingPathComponent("exports").path
        if options.exportDirectory == nil { try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true) }
        let fd = open(options.requestFile, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "cannot open \(options.requestFile)") }
        defer { close(fd) }
        let engine = try Engine(options: .init(databasePath: dir.appendingPathComponent("replay.sqlite").path, openStore: options.openStore, clock: clock,
                                               seed: options.seed, rulesDirectory: options.rulesDirectory ?? "./rules",
                                               rulesDirectoryRequired: options.rulesDirectory != nil, secrets: options.secrets,
                                               exportDirectory: exports),
                                logger: logger)
        let sink = BufferSink()
        Connection(input: fd, output: sink, handler: engine, log: { [logger] in logger.warning("\($0)") }).run()
        engine.close()
        return sink.bytes
    }

    /// Splits a stream of framed messages into JSON values (either framing).
    public static func messages(_ bytes: [UInt8]) throws -> [JSONValue] {
        var decoder = FrameDecoder(maxMessageBytes: Int.max)
        decoder.append(bytes)
        var out: [JSONValue] = []
        func take(_ e: FrameEvent) throws {
            switch e {
            case .message(let m): out.append(try JSONReader.parse(m, limits: .init(maxDepth: 512)))
            case .error(let err): throw Failure(description: "unreadable answer stream: \(err.message)")
            }
        }
        while let e = decoder.next() { try take(e) }
        if let e = decoder.finish() { try take(e) }
        return out
    }

    /// Compares answers; answers a readable report of every difference (empty: a match).
    public static func compare(expected: [JSONValue], actual: [JSONValue], volatileKeys: Set<String>) -> [String] {
        var report: [String] = []
        for i in 0..<max(expected.count, actual.count) {
            guard i < expected.count else {
                report.append("answer \(i + 1): unexpected extra answer\n  got:      \(JSONWriter.string(actual[i]))")
                continue
            }
            guard i < actual.count else {
                report.append("answer \(i + 1): missing\n  expected: \(JSONWriter.string(expected[i]))")
                continue
            }
            if let path = firstDifference(expected[i], actual[i], path: "", volatileKeys: volatileKeys) {
                let id = actual[i]["id"].map { JSONWriter.string($0) } ?? "?"
                report.append("""
                    answer \(i + 1) (id \(id)) differs at \(path.isEmpty ? "the top" : path):
                      expected: \(JSONWriter.string(expected[i]))
                      got:      \(JSONWriter.string(actual[i]))
                    """)
            }
        }
        return report
    }

    /// The path of the first difference, nil when the values match.
    static func firstDifference(_ e: JSONValue, _ a: JSONValue, path: String, volatileKeys: Set<String>) -> String? {
        if e == volatileMarker { return nil }
        switch (e, a) {
        case (.object(let eo), .object(let ao)):
            for m in eo where !volatileKeys.contains(m.key) {
                let p = path.isEmpty ? m.key : "\(path).\(m.key)"
                guard let av = ao[m.key] else { return "\(p) (missing)" }
                if let d = firstDifference(m.value, av, path: p, volatileKeys: volatileKeys) { return d }
            }
            for m in ao where eo[m.key] == nil && !volatileKeys.contains(m.key) {
                return (path.isEmpty ? m.key : "\(path).\(m.key)") + " (unexpected)"
            }
            return nil
        case (.array(let ea), .array(let aa)):
            guard ea.count == aa.count else { return "\(path) (\(ea.count) elements expected, \(aa.count) found)" }
            for (k, (x, y)) in zip(ea, aa).enumerated() {
                if let d = firstDifference(x, y, path: "\(path)[\(k)]", volatileKeys: volatileKeys) { return d }
            }
            return nil
        default:
            return e == a ? nil : path
        }
    }
}
