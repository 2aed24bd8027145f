import Foundation
import GRDB

/// The engine's SQLite database: owns the connection and the migrator.
///
/// WAL journal, `synchronous=FULL` (a commit survives power loss once answered), foreign
/// keys on, a busy timeout for other processes, and every write transaction begun with
/// `BEGIN IMMEDIATE` so a writer never fails half-way on a lock upgrade.
///
/// Checkpoints run on a thread of their own (see `Checkpointer`), off the writer's path.
public final class AppDatabase: @unchecked Sendable {
    public let writer: DatabaseQueue
    public let path: String
    private let checkpointer: Checkpointer
    private var closed = false

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in
            // Set here rather than with GRDB's `.wal` journal option, which lowers
            // synchronous to NORMAL: an answered write must survive a power loss.
            if try String.fetchOne(db, sql: "PRAGMA journal_mode") != "wal" {
                try db.execute(sql: "PRAGMA journal_mode = WAL")
            }
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Keep the working set in memory: 64 MiB of page cache, reads through mmap.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Each request's savepoint journal stays in memory instead of a temp file.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
        }
        config.label = "portico"
        self.path = path
        writer = try DatabaseQueue(path: path, configuration: config)
        try Self.migrator.migrate(writer)
        checkpointer = Checkpointer(path: path)
        writer.inDatabase { db in checkpointer.install(on: db) }
    }

    deinit { try? close() }

    /// The latest migration this database has applied.
    public func schemaVersion() throws -> String {
        try writer.read { db in try Self.migrator.appliedIdentifiers(db).sorted().last ?? "none" }
    }

    /// Stops the checkpoint thread, then closes the writer (SQLite checkpoints the rest of
    /// the log as the last connection closes).
    public func close() throws {
        guard !closed else { return }
        closed = true
        writer.inDatabase { db in Checkpointer.uninstall(from: db) }
        checkpointer.stop()
        try writer.close()
    }
}
