import GRDB
import PorticoCore

/// One open SQLite transaction, as Core's `StoreTransaction`: the queries of each area
/// are in their own file (`PartnerQueries.swift`, `SaleQueries.swift`, ...). Made once per
/// group of requests by `SQLiteStore.runGroup`, and valid only inside it.
public final class SQLiteTransaction: StoreTransaction {
    public let db: Database
    let auth: AuthVersion?
    public let authVersionAtStart: UInt64
    public let principalVersionAtStart: UInt64
    public let brandVersionAtStart: UInt64
    /// The audit chain's head as this transaction's last append left it, so the next one
    /// needn't read it back; forgotten when a savepoint rolls back (see `rolledBack()`).
    var appendHead: AuditHead?

    /// `versions` are the store's auth versions read before the transaction began.
    init(_ db: Database, auth: AuthVersion, versions: (all: UInt64, principals: UInt64, brands: UInt64)) {
        self.db = db; self.auth = auth; authVersionAtStart = versions.all; principalVersionAtStart = versions.principals
        brandVersionAtStart = versions.brands
    }

    /// A transaction on a connection outside a store: nothing it reads may be cached.
    public init(_ db: Database) {
        self.db = db; auth = nil; authVersionAtStart = 0; principalVersionAtStart = 0; brandVersionAtStart = 0
    }

    /// A savepoint of this transaction rolled back: what it remembers of the data it wrote
    /// may be undone.
    func rolledBack() { appendHead = nil }

    public var authVersion: UInt64 { auth?.current ?? .max }
    public var principalVersion: UInt64 { auth?.principals ?? .max }
    public var brandVersion: UInt64 { auth?.brands ?? .max }

    /// Runs a writing statement, turning the constraint failures Core's contract names
    /// into its errors: a unique key into `conflict` on its field, a running total past
    /// its bound into `totalLimit`. A failed statement changes nothing (SQLite undoes it).
    @discardableResult
    func writing<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as DatabaseError {
            throw Self.contractError(e) ?? e
        }
    }

    /// The unique keys by the columns SQLite names when one is violated, with the field
    /// the request named and why it conflicts.
    static let uniqueKeys: [String: (field: String, reason: String)] = [
        "partner.subdomain": ("subdomain", "is already taken"),
        "member.partnerId, member.email": ("email", "is already a member of this partner"),
        "member.partnerId": ("role", "the partner already has an owner"),
        "reseller.partnerId, reseller.email": ("email", "is already a reseller of this partner"),
        "customer.partnerId, customer.email": ("email", "is already a customer of this partner"),
        "sale.partnerId, sale.externalId": ("externalId", "a sale was already recorded under this external id"),
        "idempotency.scope, idempotency.key": ("idempotencyKey", "was already used"),
        "payout.partnerId, payout.currency, payout.period": ("period", "a payout was already created for this partner, currency and period"),
        "provider_event.provider, provider_event.eventId": ("payload.id", "this event was already applied"),
        "payout_account.partnerId, payout_account.currency": ("currency", "the partner already has an account for this currency"),
        "usage_event.partnerId, usage_event.eventId": ("eventId", "an event was already recorded under this id"),
        "brand_domain.hostname": ("hostname", "is already claimed (by this partner or another)"),
    ]

    static func contractError(_ e: DatabaseError) -> PorticoError? {
        let message = e.message ?? ""
        switch e.extendedResultCode {
        case .SQLITE_CONSTRAINT_CHECK where message.contains(RunningTotals.constraint):
            return .totalLimit(RunningTotals.what)
        case .SQLITE_CONSTRAINT_CHECK where message.contains(UsageTotals.constraint):
            return .totalLimit(UsageTotals.what, limit: UsageTotals.bound, unit: UsageTotals.unit)
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            let prefix = "UNIQUE constraint failed: "
            guard message.hasPrefix(prefix), let key = uniqueKeys[String(message.dropFirst(prefix.count))] else { return nil }
            return .conflict(key.field, key.reason)
        default:
            return nil
        }
    }
}

/// The running totals (`sale_volume`, `commission_rollup`): kept by triggers per scope,
/// currency and UTC day, each bounded by a CHECK constraint at the largest amount the
/// engine keeps and answers, 2^53 minor units. A write that would pass it is undone whole
/// and answered `totalLimit`.
public enum RunningTotals {
    /// The bound, in minor units (2^53).
    public static let bound: Int64 = 1 << 53
    /// The name of the CHECK constraint on the running-total tables.
    static let constraint = "total_limit"
    /// What the error names.
    static let what = "a running total (a partner's or reseller's sales, or a partner's commissions, in one currency on one UTC day)"
}

/// The bound on a customer's daily usage total per meter: 2^62 of the meter's smallest
/// unit, so adding one more event (at most 2^53) can never leave Int64.
public enum UsageTotals {
    public static let bound: Int64 = 1 << 62
    static let constraint = "usage_limit"
    static let what = "a customer's usage of one meter on one UTC day"
    static let unit = "of the meter's smallest unit (2^62)"
}

extension RunningTotals {
    /// The `sale_volume` scope of a partner's sales, or one reseller's.
    static func scope(partnerId: String, resellerId: String?) -> String {
        resellerId.map { "r:" + $0 } ?? "p:" + partnerId
    }
}
