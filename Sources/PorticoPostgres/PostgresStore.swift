import Foundation
import PorticoCore
import Synchronization

/// Core's store on PostgreSQL, for many engines on many hosts sharing one database.
///
/// Writers take turns: a writing group's transaction first locks the audit chain's head
/// (`SELECT ... FOR UPDATE`), so across every engine one writing transaction runs at a
/// time, as SQLite's `BEGIN IMMEDIATE` makes it within one. Under READ COMMITTED each of
/// its statements then sees everything committed before it, so a group behaves as it
/// does on SQLite: one transaction, its requests in order, committed once. Uniqueness is
/// still enforced by the schema's constraints. Read-only groups take one REPEATABLE READ
/// snapshot and no lock.
public final class PostgresStore: Store, @unchecked Sendable {
    let url: String
    private var writer: PGConnection
    /// Set by `close()`: the reload listener stops.
    private let closed = Atomic<Bool>(false)
    var isClosed: Bool { closed.load(ordering: .acquiring) }
    private let epochs = AuthEpochs()
    public let location: String
    /// A database made for this store alone (`throwaway`), dropped on close.
    private var throwaway: PGDatabase?

    /// Opens `postgres://` and `postgresql://` URLs (libpq's connection URIs).
    public static let opener: StoreOpener = { try PostgresStore(url: $0) }

    /// Whether `location` names a PostgreSQL database rather than a SQLite file.
    public static func names(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Connects and migrates (once, whichever engine gets there first).
    public init(url: String) throws {
        self.url = url
        writer = try PGConnection(url: url)
        location = writer.location
        try Self.migrate(writer)
    }

    /// A store on a new, empty database created on the server `server` names (a replay's,
    /// a test's), dropped when the store closes.
    public static func throwaway(server: String) throws -> PostgresStore {
        let database = try PGDatabase(PGDatabase.name("portico_throwaway"), on: server)
        do {
            let store = try PostgresStore(url: database.url)
            store.throwaway = database
            return store
        } catch {
            try? database.drop()
            throw error
        }
    }

    /// Applies the migrations the database lacks, in one transaction under an advisory
    /// lock. Refuses a database migrated by a newer engine.
    static func migrate(_ c: PGConnection) throws {
        // Already at this engine's newest: one read, no lock (an engine's usual start).
        if let applied = try? c.query("SELECT identifier FROM portico_migration"),
           Set((0..<applied.count).compactMap { applied.text($0, 0) }) == Set(PostgresSchema.migrations.map(\.identifier))
        {
            return
        }
        try c.run("BEGIN")
        do {
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(PostgresSchema.migrationLock)])
            try c.run("CREATE TABLE IF NOT EXISTS portico_migration (identifier text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let applied = Set(try c.query("SELECT identifier FROM portico_migration").all.map { try $0.string(0) })
            let known = Set(PostgresSchema.migrations.map(\.identifier))
            if let newer = applied.subtracting(known).sorted().last {
                throw PGError(state: "55000", message: "the database was migrated by a newer engine (it has \(newer)); this engine knows up to \(PostgresSchema.migrations.last!.identifier)")
            }
            for m in PostgresSchema.migrations where !applied.contains(m.identifier) {
                try c.run(m.sql)
                try c.query("INSERT INTO portico_migration (identifier) VALUES ($1)", [.text(m.identifier)])
            }
            try c.run("COMMIT")
        } catch {
            try? c.run("ROLLBACK")
            throw error
        }
    }

    /// The latest migration applied.
    public func schemaVersion() throws -> String {
        try connected().query("SELECT max(identifier) FROM portico_migration").first?.string(0) ?? "none"
    }

    /// The writer, connected again if the server dropped it (a restart, a failover): the
    /// group that found it gone failed whole; the next one runs on a new connection.
    func connected() throws -> PGConnection {
        if !writer.isOK { writer = try PGConnection(url: url) }
        return writer
    }

    /// Runs a group of requests in one transaction, committed once, in order (see
    /// `Store.runGroup`): first without a savepoint per request; should a failed request
    /// have written, or left the transaction refusing statements, the group runs again with
    /// a savepoint around each request.
    public func runGroup(_ access: [StoreAccess], restart: () -> Void,
                         _ request: (_ index: Int, _ transaction: any StoreTransaction) -> Bool) throws
    {
        try run(access, restart: restart, request)
    }

    /// `runGroup` with the transaction as this store's own type (for tools and tests).
    public func run(_ access: [StoreAccess], restart: () -> Void, _ request: (_ index: Int, _ transaction: PostgresTransaction) -> Bool) throws {
        let c = try connected()
        guard access.contains(.write) else {
            try read(c, access, request)
            return
        }
        do {
            try attempt(c, access, savepoints: false, request)
        } catch is PartialWrite {
            restart()
            try attempt(c, access, savepoints: true, request)
        }
    }

    private func read(_ c: PGConnection, _ access: [StoreAccess], _ request: (Int, PostgresTransaction) -> Bool) throws {
        func begin() throws -> PostgresTransaction {
            try c.run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let t = PostgresTransaction(c, epochs: epochs)
            try t.readVersions()
            return t
        }
        do {
            var t = try begin()
            for i in access.indices {
                _ = request(i, t)
                if t.aborted {
                    // A statement failed: the requests after it read from a new snapshot.
                    try c.run("ROLLBACK")
                    t = try begin()
                }
            }
            try c.run("COMMIT")
        } catch {
            try? c.run("ROLLBACK")
            throw error
        }
    }

    private func attempt(_ c: PGConnection, _ access: [StoreAccess], savepoints: Bool, _ request: (Int, PostgresTransaction) -> Bool) throws {
        try writing(c) { t in
            for i in access.indices {
                if savepoints && access[i] != .none {
                    try c.run("SAVEPOINT request")
                    if !request(i, t) {
                        try c.run("ROLLBACK TO SAVEPOINT request")
                        t.rolledBack()
                        t.appendHead = try t.auditHead()
                    }
                    try c.run("RELEASE SAVEPOINT request")
                } else {
                    t.wrote = false
                    if !request(i, t), t.wrote || t.aborted { throw PartialWrite() }
                }
            }
        }
    }

    /// A writing transaction: the audit chain's head locked first, the versions read, then
    /// `body`, committed; rolled back whole if anything throws.
    private func writing<T>(_ c: PGConnection, _ body: (PostgresTransaction) throws -> T) throws -> T {
        try c.run("BEGIN ISOLATION LEVEL READ COMMITTED")
        let t = PostgresTransaction(c, epochs: epochs)
        defer { epochs.bump(t.changedGroups) }
        do {
            t.appendHead = try t.lockAuditHead()
            try t.readVersions()
            let result = try body(t)
            try c.run("COMMIT")
            return result
        } catch {
            try? c.run("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in one write transaction of its own, outside any group: for tools and
    /// tests that fill or inspect a database.
    public func write<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try writing(try connected(), body)
    }

    /// Nothing to flush: each commit is durable when it returns. A throw-away database is
    /// dropped.
    public func close() throws {
        closed.store(true, ordering: .releasing)
        guard let database = throwaway else { return }
        throwaway = nil
        try database.drop()
    }
}

/// A failed request wrote (or broke the transaction) in a group run without savepoints.
struct PartialWrite: Error {}
