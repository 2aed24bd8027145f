import PorticoCore
import Synchronization

/// The store's versions (see `AuthVersioned`) on PostgreSQL: each is the database's
/// counter (`store_version`, moved by every statement that writes a followed table, in any
/// engine) as the transaction read it when it began, beside this engine's own epoch of it,
/// which moves when one of its transactions writes a followed table and again when that
/// transaction ends (committed or rolled back). So what a transaction read after its own
/// change is never kept past it, and a change another engine committed ends what this one
/// kept once its next transaction reads the counter.
final class AuthEpochs: @unchecked Sendable {
    struct Groups: OptionSet {
        let rawValue: Int
        static let all = Groups(rawValue: 1)
        static let principals = Groups(rawValue: 2)
        static let brands = Groups(rawValue: 4)
    }

    private let all = Atomic<UInt64>(0)
    private let principals = Atomic<UInt64>(0)
    private let brands = Atomic<UInt64>(0)

    func bump(_ groups: Groups) {
        if groups.contains(.all) { all.add(1, ordering: .releasing) }
        if groups.contains(.principals) { principals.add(1, ordering: .releasing) }
        if groups.contains(.brands) { brands.add(1, ordering: .releasing) }
    }

    var now: (all: UInt64, principals: UInt64, brands: UInt64) {
        (all.load(ordering: .acquiring), principals.load(ordering: .acquiring), brands.load(ordering: .acquiring))
    }

    /// A database counter and an epoch as one version.
    static func version(_ database: UInt64, _ epoch: UInt64) -> UInt64 { database << 24 ^ (epoch & 0xFF_FFFF) }
}

extension PostgresTransaction: AuthVersioned {
    public var authVersion: UInt64 { AuthEpochs.version(databaseVersions.all, epochs?.now.all ?? .max) }
    public var principalVersion: UInt64 { AuthEpochs.version(databaseVersions.principals, epochs?.now.principals ?? .max) }
    public var brandVersion: UInt64 { AuthEpochs.version(databaseVersions.brands, epochs?.now.brands ?? .max) }
    public var authVersionAtStart: UInt64 { AuthEpochs.version(databaseVersions.all, epochsAtStart.all) }
    public var principalVersionAtStart: UInt64 { AuthEpochs.version(databaseVersions.principals, epochsAtStart.principals) }
    public var brandVersionAtStart: UInt64 { AuthEpochs.version(databaseVersions.brands, epochsAtStart.brands) }

    /// Reads the database's counters: the first statement of each transaction.
    func readVersions() throws {
        let r = try query("SELECT auth, principals, brands FROM store_version WHERE singleton = 1").row(0)
        databaseVersions = (UInt64(try r.int(0)), UInt64(try r.int(1)), UInt64(try r.int(2)))
    }

    /// Notes a write to a followed table (before it is made).
    func noteChange(_ groups: AuthEpochs.Groups) {
        changedGroups.formUnion(groups)
        epochs?.bump(groups)
    }
}
