import GRDB
import PorticoCore
import Synchronization

/// The store's versions (see `AuthVersioned`): `current` moved by every change to a
/// partner, an OAuth client or an access token on the writer, `principals` by changes to
/// partners and clients only; each moved again when that transaction commits or rolls
/// back, so an `AuthCache` entry read before can never outlive a change — committed, in
/// progress or undone. Observes only those tables; other writes cost it nothing. SQLite
/// reports no change to a WITHOUT ROWID table (`oauth_token`) to an observer: the store's
/// writes of such a table call `noteChange()` before they write.
final class AuthVersion: TransactionObserver, @unchecked Sendable {
    static let tables: Set<String> = ["partner", "oauth_client"]
    private let all = Atomic<UInt64>(1)
    private let principalCounter = Atomic<UInt64>(1)
    // Writer thread only: what the open transaction changed.
    private var changed = false
    private var changedPrincipals = false

    var current: UInt64 { all.load(ordering: .acquiring) }
    var principals: UInt64 { principalCounter.load(ordering: .acquiring) }

    private func bump(principals: Bool) {
        all.add(1, ordering: .releasing)
        if principals { principalCounter.add(1, ordering: .releasing) }
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { Self.tables.contains(eventKind.tableName) }

    /// A partner or client changed, inside the writer's transaction.
    func databaseDidChange(with event: DatabaseEvent) {
        changed = true
        changedPrincipals = true
        bump(principals: true)
    }

    /// A token changed, inside the writer's transaction.
    func noteChange() {
        changed = true
        bump(principals: false)
    }

    func databaseDidCommit(_ db: Database) { settle() }

    func databaseDidRollback(_ db: Database) { settle() }

    private func settle() {
        if changed { bump(principals: changedPrincipals) }
        changed = false
        changedPrincipals = false
    }
}
