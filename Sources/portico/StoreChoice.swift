import PorticoCore
import PorticoPostgres
import PorticoStore

/// Which store a `--db` value names: a `postgres://` (or `postgresql://`) URL is a
/// PostgreSQL database, anything else a SQLite file.
enum StoreChoice {
    static func isPostgres(_ db: String) -> Bool { PostgresStore.names(db) }

    static func opener(_ db: String) -> StoreOpener {
        PostgresStore.names(db) ? PostgresStore.opener : SQLiteStore.opener
    }

    /// A replay's fresh store: a new SQLite file (the path the replay gives), or a new
    /// database on the PostgreSQL server `server` names, dropped when the replay closes it.
    static func fresh(_ server: String?) -> StoreOpener {
        guard let server else { return SQLiteStore.opener }
        return { _ in try PostgresStore.throwaway(server: server) }
    }

    /// The value as messages show it: a URL without its password.
    static func shown(_ db: String) -> String {
        PostgresStore.names(db) ? PGConnection.redacted(db) : db
    }
}
