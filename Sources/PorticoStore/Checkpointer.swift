import Foundation
import GRDB
import GRDBSQLite

/// Copies the write-ahead log back into the database file on a thread of its own.
///
/// SQLite's own automatic checkpoint runs inside the commit that takes the log past
/// 1,000 pages, on the writer's thread, with the writer waiting for it and its fsync. Here
/// the writer's WAL hook only signals; a second connection checkpoints (PASSIVE: it never
/// blocks the writer) on the other core. Should the log still reach `inlineFrames` —
/// checkpoints falling behind a sustained burst — the writer checkpoints inline, as SQLite
/// would, so the log stays bounded. The thread and its connection start with the first
/// checkpoint asked for: a process that writes little never pays for them.
final class Checkpointer: @unchecked Sendable {
    static let frames: Int32 = 1_000
    static let inlineFrames: Int32 = 65_536

    private let path: String
    private let condition = NSCondition()
    private var started = false
    private var requested = false
    private var stopping = false
    private var finished = false

    init(path: String) { self.path = path }

    /// Installs the hook on the writer's connection; SQLite's automatic checkpoint is off
    /// from then on (the hook replaces it).
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, schema, frames in
            guard let context else { return SQLITE_OK }
            if frames >= Checkpointer.inlineFrames {
                sqlite3_wal_checkpoint_v2(connection, schema, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if frames >= Checkpointer.frames {
                Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().request()
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    static func uninstall(from db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
    }

    func request() {
        condition.lock()
        requested = true
        if !started && !stopping {
            started = true
            let thread = Thread { [self] in loop() }
            thread.name = "portico.checkpoint"
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.label = "portico.checkpoint"
        // Without its connection the thread has nothing to do: the writer's inline
        // checkpoint past `inlineFrames` still bounds the log.
        let connection = try? DatabaseQueue(path: path, configuration: config)
        while true {
            condition.lock()
            while !requested && !stopping { condition.wait() }
            let stop = stopping
            requested = false
            condition.unlock()
            if stop { break }
            // A failed checkpoint leaves the log as it was: the next commit asks again.
            _ = try? connection?.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        }
        try? connection?.close()
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the thread, if it started, after the checkpoint in progress; the thread closes
    /// its connection.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        while started && !finished { condition.wait() }
        condition.unlock()
    }
}
