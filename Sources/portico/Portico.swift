import ArgumentParser
import Foundation
import JSONRPC
import Logging
import PorticoCore
import PorticoRules
import PorticoServer
import PorticoStore

@main
struct Portico: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portico",
        abstract: "The Portico partner & reseller network engine (JSON-RPC 2.0 over stdio).",
        version: Engine.version,
        subcommands: [Serve.self, Replay.self, RulesCommand.self, Migrate.self, Fuzz.self, GatewayCommand.self])
}

/// Options shared by the commands that run an engine.
struct EngineOptions: ParsableArguments {
    @Option(help: "Clock: \(ClockSpec.accepted).")
    var clock: String?

    @Option(help: "Seed for ids and tokens; with a fixed or stepping clock, answers replay byte for byte.")
    var seed: UInt64?

    @Option(help: "Log level on stderr: \(EngineOptions.logLevels).")
    var logLevel: String = "warning"

    @Option(help: "Secrets file: NAME=value lines (stripe.webhook_secret=whsec_..., repeatable for a rollover); held in memory only.")
    var secrets: String?

    @Option(help: "The platform's own domain: each partner's storefront is at <subdomain>.<base-domain> (default \(RequestContext.defaultBaseDomain)).")
    var baseDomain: String = RequestContext.defaultBaseDomain

    @Option(help: "Directory analytics.export writes its files under (none: exports are refused).")
    var exportDir: String?

    /// Reads `--secrets`, warning on stderr when others than the owner may read the file.
    func readSecrets(log: Logger) throws -> Secrets {
        guard let path = secrets else { return .none }
        return try SecretsFile.read(path, log: log)
    }

    static let logLevels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'; one of \(Self.logLevels)")
        }
        if let exportDir {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: exportDir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--export-dir '\(exportDir)' is not a directory")
            }
        }
        if let clock, ClockSpec.parse(clock) == nil {
            throw ValidationError("invalid --clock '\(clock)'; \(ClockSpec.accepted)")
        }
        do {
            guard try Hostname.normalize(baseDomain, field: "--base-domain") == baseDomain else {
                throw ValidationError("--base-domain must be written as stored: lower case, ASCII (punycode), no trailing dot")
            }
        } catch let e as PorticoError {
            throw ValidationError("invalid --base-domain '\(baseDomain)': \(e.message)")
        }
    }

    func logger() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in StandardErrorLog(label: label, level: level) }
        return Logger(label: "portico")
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve JSON-RPC on stdin/stdout until end of input, exit, or SIGTERM.")

    @Option(help: "The database: a SQLite file (created and migrated if needed), or a PostgreSQL URL (postgres://user@host:port/db, migrated if needed) that several engines may share.")
    var db: String = "./portico.sqlite"

    @Option(help: "Directory of the rule files (default ./rules; without it, the shipped defaults).")
    var rules: String?

    @Option(help: "Largest accepted message, in bytes.")
    var maxMessage: Int = 4 << 20

    @OptionGroup var engine: EngineOptions

    func run() throws {
        StandardStreams.ignoreSIGPIPE()
        let protocolOut = StandardStreams.protectStdout()
        let log = engine.logger()
        let clock: any Clock
        if let spec = engine.clock {
            guard let c = ClockSpec.parse(spec) else { throw ValidationError("invalid --clock '\(spec)'; \(ClockSpec.accepted)") }
            clock = c
        } else {
            clock = SystemClock()
        }
        let engineInstance: Engine
        do {
            engineInstance = try Engine(options: .init(databasePath: db, openStore: StoreChoice.opener(db), clock: clock, seed: engine.seed,
                                                       rulesDirectory: rules ?? "./rules", rulesDirectoryRequired: rules != nil,
                                                       secrets: try engine.readSecrets(log: log), baseDomain: engine.baseDomain,
                                                       exportDirectory: engine.exportDir),
                                        logger: log)
        } catch let error as RuleSetError {
            FileHandle.standardError.write(Data((error.description + "\nportico: the rule files are invalid; not starting\n").utf8))
            throw ExitCode(1)
        } catch let error as SecretsFile.Failure {
            FileHandle.standardError.write(Data("portico serve: \(error.description); not starting\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("portico serve: cannot open or migrate the database at \(StoreChoice.shown(db)): \(error)\n".utf8))
            throw ExitCode(1)
        }
        if engine.seed != nil {
            log.warning("--seed: ids, OAuth client secrets and access tokens come from a seeded generator and are predictable; for tests and replays only")
        }
        let connection = Connection(input: STDIN_FILENO, output: FileDescriptorSink(fd: protocolOut), handler: engineInstance,
                                    limits: MessageLimits(maxMessageBytes: maxMessage), log: { log.warning("\($0)") })
        signal(SIGTERM, SIG_IGN)
        let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        term.setEventHandler { connection.stop() }
        term.resume()
        connection.run()
        engineInstance.close()
        log.info("portico stopped")
        // The reader thread may still sit in read(2) on an open stdin: leave now.
        Foundation.exit(0)
    }
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a recorded request file against a fresh engine; compare with --expect.")

    @Argument(help: "The request file: exactly the bytes a host writes to the engine's stdin.")
    var file: String

    @Option(help: "Expected answers (one JSON per line); a mismatch prints a diff and exits 1.")
    var expect: String?

    @Flag(help: "Write the answers to the --expect file instead of comparing.")
    var update = false

    @Option(name: .customLong("volatile"), help: "A member name to ignore wherever it appears (repeatable).")
    var volatileKeys: [String] = []

    @Option(help: "Clock for the replay: \(ClockSpec.accepted).")
    var clock: String = "step:2026-01-01T00:00:00Z,1s"

    @Option(help: "Seed for the replay's ids and tokens.")
    var seed: UInt64 = 1

    @Option(help: "Directory of the rule files (default ./rules; without it, the shipped defaults).")
    var rules: String?

    @Option(help: "Log level on stderr: \(EngineOptions.logLevels).")
    var logLevel: String = "error"

    @Option(help: "Secrets file for the replay (see serve --secrets).")
    var secrets: String?

    @Option(help: "Directory the replay's exports go to (default: one of its own, removed after it).")
    var exportDir: String?

    @Option(help: "A PostgreSQL server to replay on (postgres://user@host:port/db): the replay creates a new database there and drops it after. Default: a new SQLite file of its own.")
    var db: String?

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'; one of \(EngineOptions.logLevels)")
        }
        guard ClockSpec.parse(clock) != nil else { throw ValidationError("invalid --clock '\(clock)'; \(ClockSpec.accepted)") }
        if let db, !StoreChoice.isPostgres(db) { throw ValidationError("--db takes a PostgreSQL URL (postgres://...): a SQLite replay makes its own file") }
    }

    func run() throws {
        StandardStreams.ignoreSIGPIPE()
        let log = EngineOptions.parseOrExit(["--log-level", logLevel]).logger()
        let options = PorticoServer.Replay.Options(requestFile: file, expectFile: expect, openStore: StoreChoice.fresh(db), update: update, clock: clock,
                                                   seed: seed, volatileKeys: Set(volatileKeys), rulesDirectory: rules,
                                                   secrets: try secrets.map { try SecretsFile.read($0, log: log) } ?? .none,
                                                   exportDirectory: exportDir)
        let output = try PorticoServer.Replay.run(options, logger: log)
        guard let expect else {
            FileHandle.standardOutput.write(Data(output))
            return
        }
        let volatile = PorticoServer.Replay.volatileByNature.union(volatileKeys)
        if update {
            try Data(try PorticoServer.Replay.markingVolatile(output, keys: volatile)).write(to: URL(fileURLWithPath: expect))
            print("wrote \(expect)")
            return
        }
        guard FileManager.default.fileExists(atPath: expect) else {
            FileHandle.standardError.write(Data("portico replay: no expected answers at \(expect); record them first with --update\n".utf8))
            throw ExitCode(1)
        }
        let expectedBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: expect)))
        let report = PorticoServer.Replay.compare(expected: try PorticoServer.Replay.messages(expectedBytes),
                                                  actual: try PorticoServer.Replay.messages(output),
                                                  volatileKeys: volatile)
        if report.isEmpty {
            print("\(file): all answers match")
            return
        }
        print("\(file): \(report.count) answer(s) differ from \(expect)\n")
        print(report.joined(separator: "\n\n"))
        throw ExitCode(1)
    }
}

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create or migrate the database, then print its schema version.")

    @Option(help: "The database: a SQLite file, or a PostgreSQL URL (postgres://user@host:port/db).")
    var db: String = "./portico.sqlite"

    @Flag(help: ArgumentHelp("Then rebuild the file (SQLite's VACUUM), so the room a migration that rebuilds tables leaves free inside it returns to the file system.",
                             discussion: "Needs free disk space about the database's size, and no engine using the file meanwhile."))
    var vacuum = false

    func run() throws {
        let engine: Engine
        do {
            engine = try Engine(options: .init(databasePath: db, openStore: StoreChoice.opener(db)), logger: Logger(label: "portico"))
        } catch let error as RuleSetError {
            FileHandle.standardError.write(Data((error.description + "\nportico: the rule files are invalid\n").utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("portico migrate: cannot open or migrate the database at \(StoreChoice.shown(db)): \(error)\n".utf8))
            throw ExitCode(1)
        }
        print("\(StoreChoice.shown(db)): schema \(engine.schemaVersion)")
        engine.close()
        if vacuum && StoreChoice.isPostgres(db) {
            FileHandle.standardError.write(Data("portico migrate: --vacuum is for SQLite files; PostgreSQL reclaims room with its own VACUUM\n".utf8))
            throw ExitCode(1)
        }
        if vacuum {
            func size() -> Int64 { ((try? FileManager.default.attributesOfItem(atPath: db))?[.size] as? NSNumber)?.int64Value ?? 0 }
            let before = size()
            do {
                let store = try SQLiteStore(path: db)
                defer { try? store.close() }
                try store.writer.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                    try db.execute(sql: "VACUUM")
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                }
            } catch {
                FileHandle.standardError.write(Data("portico migrate: VACUUM of \(db) failed (the database is as it was): \(error)\n".utf8))
                throw ExitCode(1)
            }
            print("\(db): vacuumed, \(before / 1_000_000) MB -> \(size() / 1_000_000) MB")
        }
    }
}

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "Check rule files, or run their tests blocks.",
        subcommands: [Check.self, Test.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate the rule files; print file:line:column: message for each problem and exit 1 if any.")

        @Argument(help: "The rules directory.")
        var directory: String = "./rules"

        func run() throws {
            switch RuleSet.load(directory: directory, catalog: MethodTable.actions) {
            case .success(let set):
                print("\(directory): rule files are valid (rules hash \(set.hash))")
            case .failure(let error):
                for d in error.diagnostics { print(d) }
                print("\(error.diagnostics.count) problem(s)")
                throw ExitCode(1)
            }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the tests blocks of the rule files; exit 1 if any fails.")

        @Argument(help: "The rules directory.")
        var directory: String = "./rules"

        func run() throws {
            let set: RuleSet
            switch RuleSet.load(directory: directory, catalog: MethodTable.actions) {
            case .success(let s): set = s
            case .failure(let error):
                for d in error.diagnostics { print(d) }
                throw ExitCode(1)
            }
            let results = set.runTests()
            let failures = results.filter { !$0.passed }
            for f in failures {
                print("\((directory as NSString).appendingPathComponent(f.file)):\(f.position.line):\(f.position.column): test '\(f.name)' failed: \(f.failure ?? "")")
            }
            print("\(results.count - failures.count) passed, \(failures.count) failed")
            if !failures.isEmpty { throw ExitCode(1) }
        }
    }
}

/// The file `--secrets` names.
enum SecretsFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static func read(_ path: String, log: Logger) throws -> Secrets {
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "cannot read the secrets file \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw Failure(description: "\(path) is not UTF-8 text") }
        var st = stat()
        if stat(path, &st) == 0, st.st_mode & 0o077 != 0 {
            log.warning("the secrets file \(path) may be read by others than its owner (chmod 600 it)")
        }
        switch Secrets.parse(text) {
        case .success(let s): return s
        case .failure(let e): throw Failure(description: "\(path): \(e)")
        }
    }
}
