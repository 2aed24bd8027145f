import GRDB
import PorticoCore
import Synchronization

/// The store's `authVersion`: moved by every change to a partner, an OAuth client or an
/// access token on the writer, and again when that transaction commits or rolls back, so a
/// `TokenCache` entry read before can never outlive a change — committed, in progress or
/// undone. Observes only those tables; other writes cost it nothing. SQLite reports no
/// change to a WITHOUT ROWID table (`oauth_token`) to an observer: the store's writes of
/// such a table call `noteChange()` before they write.
final class AuthVersion: TransactionObserver, @unchecked Sendable {
    static let tables: Set<String> = ["partner", "oauth_client"]
    private let counter = Atomic<UInt64>(1)
    private var changed = false  // writer thread only

    var current: UInt64 { counter.load(ordering: .acquiring) }

    private func bump() { counter.add(1, ordering: .releasing) }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { Self.tables.contains(eventKind.tableName) }

    func databaseDidChange(with event: DatabaseEvent) { noteChange() }

    /// A change on the writer, inside its transaction.
    func noteChange() {
        changed = true
        bump()
    }

    func databaseDidCommit(_ db: Database) {
        if changed { bump() }
        changed = false
    }

    func databaseDidRollback(_ db: Database) {
        if changed { bump() }
        changed = false
    }
}
