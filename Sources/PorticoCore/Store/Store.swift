/// What the engine needs from storage, stated in Core's own types: the unit of work
/// here, and one protocol per area (`PartnerStore`, `SaleStore`, ...) next to that area's
/// records. PorticoStore implements them on SQLite; a PostgreSQL store implements the
/// same protocols without Core changing.
///
/// Every implementation must keep these promises, which the services rely on:
/// - Uniqueness (a partner's subdomain, an active member's email in its partner, a
///   reseller's and a customer's email in its partner, a sale's externalId in its
///   partner, an idempotency key in its scope) is enforced by the store's own
///   constraints and reported as `PorticoError.conflict` naming the field, so two writers
///   that both passed a service's check cannot both succeed.
/// - The running totals the reports read (net sales per partner and per reseller, and a
///   partner's commissions by status, each per currency and UTC day) are the store's to
///   keep, in the same transaction as the rows they sum (SQLite keeps them by triggers; a
///   second store may use its own triggers or code behind this boundary). A write that
///   would take one past 2^53 minor units fails with `PorticoError.totalLimit`, leaving the
///   total as it was.
/// - Each customer's daily usage per meter is kept with the usage events that make it, in
///   their transaction, never past 2^62 of the meter's smallest unit (`totalLimit`); an
///   event id is stored once per partner.
/// - `authVersion` moves with every change to a partner, an OAuth client or an access
///   token, `principalVersion` with every change to a partner or a client (see
///   `AuthVersioned`), so the engine may keep what it read of them meanwhile.
/// - Audit records are appended under a lock on the chain's head (one appender at a
///   time), so the chain has no forks or gaps whatever the number of writers.
/// - Pages are read by a sequence key that only grows in commit order, so paging never
///   skips a row another writer commits later.
/// - A ledger entry is in at most one payout: its own `payoutId` column names it, and the
///   store refuses an entry in `processing` or `paid` status without one or any other
///   entry with one. A payout's lines move in one statement with its row.
/// - Status changes are guarded (`...WHERE status = expected`) and answer whether they
///   applied, so two writers can never both move the same entry.
/// - Records come back exactly as written: money as `Money`, instants as `Timestamp` (kept
///   as their RFC 3339 text, which sorts as time does), statuses and kinds as their enums;
///   a stored value the engine does not know fails the read, never traps. Ranges are
///   `TimeRange`s, closed at both ends.
public protocol Store: AnyObject, Sendable {
    /// Where the data is (a file path for SQLite), as `system.health` reports it.
    var location: String { get }

    /// The latest schema migration applied.
    func schemaVersion() throws -> String

    /// Runs a group of requests in one transaction, committed once, in order.
    ///
    /// `request(i, transaction)` runs the i-th request and answers whether it succeeded.
    /// A request that failed leaves none of its writes behind and the others' stand. The
    /// store may first run the group without a savepoint per request; should a failed
    /// request have written, it rolls the group back, calls `restart` (the caller forgets
    /// the outcomes of the first run) and runs the whole group again with a savepoint
    /// around each writing request. A request must therefore answer the same on both runs.
    ///
    /// Throws when the transaction could not be committed or was lost on the way (a full
    /// disk, an I/O error): then nothing of the group was written.
    func runGroup(_ access: [StoreAccess], restart: () -> Void,
                  _ request: (_ index: Int, _ transaction: any StoreTransaction) -> Bool) throws

    /// Flushes and closes; the store is unusable afterwards.
    func close() throws
}

/// What a request does with the store: nothing, reads, or reads and writes.
public enum StoreAccess: Sendable, Equatable {
    case none, read, write
}

/// One open transaction: everything a request may read or write, by intent. Held only
/// while the request runs; never shared across threads.
/// What was read of partners, OAuth clients and tokens may be kept (the engine's
/// `EngineCaches`) while `authVersion` stays what it was when the reading transaction began:
/// the store moves it whenever one of those rows changes, and again when that change
/// commits or rolls back. `principalVersion` is the same for partners and clients alone
/// (what a client's resolution depends on), unmoved by the tokens issued meanwhile.
public protocol AuthVersioned {
    /// The store's version now.
    var authVersion: UInt64 { get }
    /// The version when this transaction began (before its first read).
    var authVersionAtStart: UInt64 { get }
    /// The store's version of partners and clients now.
    var principalVersion: UInt64 { get }
    /// That version when this transaction began.
    var principalVersionAtStart: UInt64 { get }
    /// The store's version of partners, brands and custom domains now (what a request
    /// host resolves to).
    var brandVersion: UInt64 { get }
    /// That version when this transaction began.
    var brandVersionAtStart: UInt64 { get }
}

public protocol StoreTransaction: AuthVersioned, PartnerStore, MemberStore, ResellerStore, CustomerStore, SaleStore, CommissionStore,
    AuditStore, IdempotencyStore, ReportStore, AnalyticsStore, PayoutStore, OAuthStore, SubscriptionStore, UsageStore, BrandStore
{
    /// The end of a writing request that succeeded: work the store defers to the end of a
    /// transaction that must be charged to this request (a total it would take past its
    /// bound) is done now when requests are isolated from each other; it may refuse the
    /// request, as any of its writes could.
    func settle() throws
}

/// Opens (creating and migrating if needed) the store at a location.
public typealias StoreOpener = @Sendable (_ location: String) throws -> any Store
