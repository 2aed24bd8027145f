import PorticoCore

/// One open PostgreSQL transaction: everything a request may read or write, by intent.
/// The queries of each area are in their own file (`PartnerQueries.swift`, ...), as in the
/// SQLite store. Made once per group by `PostgresStore`, valid only inside it.
public final class PostgresTransaction: StoreTransaction {
    let connection: PGConnection
    /// The audit chain's head as the lock read it or this transaction's last append left it;
    /// forgotten when a savepoint rolls back (`rolledBack()`).
    var appendHead: AuditHead?
    /// Whether a statement that writes has run (to say whether a failed request wrote).
    var wrote = false
    /// Whether a statement failed: PostgreSQL then refuses every statement until the
    /// transaction, or the savepoint around the failure, rolls back.
    var aborted = false
    /// This engine's epochs of the versions (nil outside a store: nothing may be cached),
    /// as they were when the transaction began, and the database's counters it read then.
    let epochs: AuthEpochs?
    let epochsAtStart: (all: UInt64, principals: UInt64, brands: UInt64)
    var databaseVersions: (all: UInt64, principals: UInt64, brands: UInt64) = (0, 0, 0)
    /// What this transaction wrote of the followed tables: its end moves their epochs again.
    var changedGroups: AuthEpochs.Groups = []

    init(_ connection: PGConnection, epochs: AuthEpochs?) {
        self.connection = connection
        self.epochs = epochs
        epochsAtStart = epochs?.now ?? (.max, .max, .max)
    }

    /// A savepoint of this transaction rolled back: what it remembers of the data it wrote
    /// may be undone.
    func rolledBack() {
        appendHead = nil
        aborted = false
    }

    /// Each request's running totals are kept by the triggers as it writes: nothing is left
    /// to settle at its end.
    public func settle() throws {}

    /// Runs a statement (prepared once per connection), noting a failure.
    @discardableResult
    func query(_ sql: String, _ params: [PGValue] = []) throws -> PGRows {
        do {
            return try connection.query(sql, params)
        } catch {
            aborted = true
            throw error
        }
    }

    func one<R: PGRecord>(_ sql: String, _ params: [PGValue] = []) throws -> R? {
        try query(sql, params).first.map(R.init(row:))
    }

    func all<R: PGRecord>(_ sql: String, _ params: [PGValue] = []) throws -> [R] {
        try query(sql, params).all.map(R.init(row:))
    }

    /// Runs a writing statement, turning the constraint failures Core's contract names
    /// into its errors: a unique key into `conflict` on its field. A failed statement
    /// changes nothing, but leaves the transaction to be rolled back (to its savepoint).
    @discardableResult
    func writing<T>(_ body: () throws -> T) throws -> T {
        wrote = true
        do {
            return try body()
        } catch let e as PGError {
            throw Self.contractError(e) ?? e
        }
    }

    /// The unique keys by the name PostgreSQL gives the constraint (or unique index) a
    /// write broke.
    static let uniqueKeys: [String: UniqueKey] = [
        "partner_subdomain_key": .partnerSubdomain,
        "member_email_unique": .memberEmail,
        "member_one_owner": .memberOwner,
        "reseller_email_unique": .resellerEmail,
        "customer_email_unique": .customerEmail,
        "idempotency_key_unique": .idempotencyKey,
        "sale_external_unique": .saleExternalId,
        "payout_period_unique": .payoutPeriod,
        "provider_event_unique": .providerEvent,
        "payout_account_unique": .payoutAccount,
        "usage_event_unique": .usageEvent,
        "brand_domain_hostname_key": .brandHostname,
    ]

    static func contractError(_ e: PGError) -> PorticoError? {
        switch (e.state, e.constraint) {
        case ("23505", let name?): return uniqueKeys[name]?.error
        case ("23514", "total_limit"?): return .totalLimit(RunningTotals.what)
        case ("23514", "period_limit"?): return .totalLimit(PeriodTotals.what, limit: PeriodTotals.bound, unit: PeriodTotals.unit)
        case ("23514", "usage_limit"?): return .totalLimit(UsageTotals.what, limit: UsageTotals.bound, unit: UsageTotals.unit)
        // A total summed past 64 bits on its way (SQLite's fold says "integer overflow").
        case ("22003", _): return .totalLimit(PeriodTotals.what, limit: PeriodTotals.bound, unit: PeriodTotals.unit)
        default: return nil
        }
    }
}
