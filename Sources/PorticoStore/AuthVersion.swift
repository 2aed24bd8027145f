import GRDB
import PorticoCore
import Synchronization

/// The store's versions (see `AuthVersioned`), each moved by every change on the writer to
/// the tables it follows and again when that transaction commits or rolls back, so an
/// `AuthCache` entry read before can never outlive a change — committed, in progress or
/// undone:
/// - `current`: partners, OAuth clients and access tokens;
/// - `principals`: partners and OAuth clients (not the tokens issued meanwhile);
/// - `brands`: partners, brands and custom domains.
/// Observes only those tables; other writes cost it nothing. SQLite reports no change to a
/// WITHOUT ROWID table (`oauth_token`) to an observer: the store's writes of such a table
/// call `noteChange()` before they write.
final class AuthVersion: TransactionObserver, @unchecked Sendable {
    struct Groups: OptionSet {
        let rawValue: Int
        static let all = Groups(rawValue: 1)
        static let principals = Groups(rawValue: 2)
        static let brands = Groups(rawValue: 4)
    }

    static let tables: [String: Groups] = [
        "partner": [.all, .principals, .brands], "oauth_client": [.all, .principals], "brand": [.brands], "brand_domain": [.brands],
    ]
    private let all = Atomic<UInt64>(1)
    private let principalCounter = Atomic<UInt64>(1)
    private let brandCounter = Atomic<UInt64>(1)
    /// Writer thread only: what the open transaction changed.
    private var changed: Groups = []

    var current: UInt64 { all.load(ordering: .acquiring) }
    var principals: UInt64 { principalCounter.load(ordering: .acquiring) }
    var brands: UInt64 { brandCounter.load(ordering: .acquiring) }

    private func bump(_ groups: Groups) {
        if groups.contains(.all) { all.add(1, ordering: .releasing) }
        if groups.contains(.principals) { principalCounter.add(1, ordering: .releasing) }
        if groups.contains(.brands) { brandCounter.add(1, ordering: .releasing) }
    }

    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { Self.tables[eventKind.tableName] != nil }

    /// A followed table changed, inside the writer's transaction.
    func databaseDidChange(with event: DatabaseEvent) {
        let groups = Self.tables[event.tableName] ?? []
        changed.formUnion(groups)
        bump(groups)
    }

    /// A token changed, inside the writer's transaction.
    func noteChange() {
        changed.insert(.all)
        bump(.all)
    }

    func databaseDidCommit(_ db: Database) { settle() }

    func databaseDidRollback(_ db: Database) { settle() }

    private func settle() {
        bump(changed)
        changed = []
    }
}
