import Foundation
import GRDB
import PorticoCore

/// Core's `Store` on SQLite: owns the connections and the migrator, and runs the unit of
/// work (a group of requests in one transaction, group-committed).
///
/// A pool: one writer, and readers that each read a snapshot of the last commit, so a
/// group that only reads (reports, the exports to come) never waits behind the writer
/// nor holds it. WAL journal, `synchronous=FULL` on the writer (a commit survives power
/// loss once answered), foreign keys on, a busy timeout for other processes, and every
/// write transaction begun with `BEGIN IMMEDIATE` so a writer never fails half-way on a
/// lock upgrade.
///
/// Checkpoints run on a thread of their own (see `Checkpointer`), off the writer's path.
///
/// A group of reads runs on a read-only connection of its own (`groupReader`), its
/// transaction begun and ended with prepared statements: ~1 µs, where taking a reader
/// from the pool and GRDB's isolation around it cost ~20 µs a group (`portico-bench`
/// shows both), a large share of a small read such as a page of ten sales.
public final class SQLiteStore: Store, @unchecked Sendable {
    public let writer: DatabasePool
    private let groupReader: DatabaseQueue
    public let path: String
    public var location: String { path }
    private let checkpointer: Checkpointer
    private var closed = false
    let auth = AuthVersion()
    /// The ids of ledger rows by number, for readers that name many (`RowIds`).
    let rowIds = RowIdCache()

    /// See `AuthVersioned`.
    public var authVersion: UInt64 { auth.current }

    /// The auth versions now, read before a transaction begins.
    private var versions: (all: UInt64, principals: UInt64, brands: UInt64) { (auth.current, auth.principals, auth.brands) }

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
        config.maximumReaderCount = 2
        self.path = path
        writer = try DatabasePool(path: path, configuration: config)
        // The pool sets up WAL mode after preparing the writer, and lowers synchronous to
        // NORMAL as it does: set it back.
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(writer)
        var readerConfig = Configuration()
        readerConfig.readonly = true
        readerConfig.busyMode = .timeout(5)
        readerConfig.label = "portico-groups"
        readerConfig.prepareDatabase { db in
            // Reads go through mmap; past its first GiB pages are copied into the cache, and
            // a long read (an export of the whole ledger) would fill it: 16 MiB bounds what
            // a read adds to the engine's memory.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
        }
        groupReader = try DatabaseQueue(path: path, configuration: readerConfig)
        checkpointer = Checkpointer(path: path)
        writer.writeWithoutTransaction { db in checkpointer.install(on: db) }
        writer.add(transactionObserver: auth, extent: .databaseLifetime)
    }

    deinit { try? close() }

    /// Opens the store at a path: the engine's `StoreOpener` for SQLite.
    public static let opener: StoreOpener = { try SQLiteStore(path: $0) }

    /// The latest migration this database has applied.
    public func schemaVersion() throws -> String {
        try writer.read { db in try Self.migrator.appliedIdentifiers(db).sorted().last ?? "none" }
    }

    /// Stops the checkpoint thread, then closes the writer (SQLite checkpoints the rest of
    /// the log as the last connection closes).
    public func close() throws {
        guard !closed else { return }
        closed = true
        writer.writeWithoutTransaction { db in Checkpointer.uninstall(from: db) }
        checkpointer.stop()
        try groupReader.close()
        try writer.close()
    }

    // MARK: The unit of work

    /// A request failed after it had written: its writes must go, the others' stay.
    struct PartialWrite: Error {}
    /// SQLite rolled the group's transaction back on its own.
    struct TransactionLost: Error {}

    /// A group with a write runs in one `BEGIN IMMEDIATE` transaction on the writer,
    /// committed once; a group of reads, on one reader's snapshot. First without a
    /// savepoint per request: most failures
    /// are found before a request writes anything, and a savepoint costs a copy of every
    /// page the request touches. Should a request fail after writing, the whole group
    /// rolls back and runs again, each writing request in its savepoint.
    public func runGroup(_ access: [StoreAccess], restart: () -> Void,
                         _ request: (_ index: Int, _ transaction: any StoreTransaction) -> Bool) throws
    {
        guard access.contains(.write) else {
            // Only reads: one snapshot (taken at the first read), whatever the writer is doing.
            let versions = versions
            return try groupReader.inDatabase { db in
                try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
                do {
                    let transaction = SQLiteTransaction(db, auth: auth, versions: versions, rowIds: rowIds)
                    for i in access.indices { _ = request(i, transaction) }
                    try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
                } catch {
                    if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
                    throw error
                }
            }
        }
        do {
            try attempt(access, savepoints: false, request)
        } catch is PartialWrite {
            restart()
            try attempt(access, savepoints: true, request)
        }
    }

    func attempt(_ access: [StoreAccess], savepoints: Bool, _ request: (Int, any StoreTransaction) -> Bool) throws {
        try writer.writeWithoutTransaction { db in
            let versions = versions
            try db.inTransaction(.immediate) {
                let transaction = SQLiteTransaction(db, auth: auth, versions: versions, rowIds: rowIds)
                transaction.writable = true
                transaction.settlesEachRequest = savepoints
                for i in access.indices {
                    let changes = db.totalChangesCount
                    let succeeded = savepoints && access[i] == .write
                        ? try Self.inSavepoint(transaction) { request(i, transaction) }
                        : request(i, transaction)
                    // Some errors (disk full, I/O) make SQLite roll the whole transaction
                    // back itself: the group's writes are gone, and later requests must not
                    // run outside a transaction. Handled as a failed commit.
                    guard db.isInsideTransaction else { throw TransactionLost() }
                    if !savepoints, !succeeded, db.totalChangesCount != changes { throw PartialWrite() }
                }
                // The group's changes to the totals, summed once. Should that fail (a total
                // past its bound), the group runs again with each request folding its own.
                do {
                    try transaction.foldTotals()
                } catch is PorticoError where !savepoints {
                    throw PartialWrite()
                }
                return .commit
            }
        }
    }

    /// Runs `body` in a savepoint of the group's transaction: released when it succeeded,
    /// rolled back whole when it failed. Cached statements: every writing request takes one.
    static func inSavepoint(_ transaction: SQLiteTransaction, _ body: () -> Bool) throws -> Bool {
        let db = transaction.db
        try db.cachedStatement(sql: "SAVEPOINT request").execute()
        let succeeded = body()
        if !succeeded {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT request").execute()
            transaction.rolledBack()
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
        return succeeded
    }

    /// Runs `body` in one write transaction of its own, outside any group: for tools that
    /// fill or inspect a database (benchmarks, tests).
    public func write<T>(_ body: (SQLiteTransaction) throws -> T) throws -> T {
        let versions = versions
        return try writer.write { db in
            let transaction = SQLiteTransaction(db, auth: auth, versions: versions, rowIds: rowIds)
            transaction.writable = true
            let result = try body(transaction)
            try transaction.foldTotals()
            return result
        }
    }

    /// Runs `body` in a read transaction of its own, on a snapshot.
    public func read<T>(_ body: (SQLiteTransaction) throws -> T) throws -> T {
        let versions = versions
        return try writer.read { db in try body(SQLiteTransaction(db, auth: auth, versions: versions, rowIds: rowIds)) }
    }
}
