import PorticoCore

/// One open PostgreSQL transaction: everything a request may read or write, by intent.
/// The queries of each area are in their own file (`PartnerQueries.swift`, ...), as in the
/// SQLite store. Made once per group by `PostgresStore`, valid only inside it.
public final class PostgresTransaction {
    let connection: PGConnection
    /// The audit chain's head as the lock read it or this transaction's last append left it;
    /// forgotten when a savepoint rolls back (`rolledBack()`).
    var appendHead: AuditHead?
    /// Whether a statement that writes has run (to say whether a failed request wrote).
    var wrote = false
    /// Whether a statement failed: PostgreSQL then refuses every statement until the
    /// transaction, or the savepoint around the failure, rolls back.
    var aborted = false

    init(_ connection: PGConnection) { self.connection = connection }

    /// A savepoint of this transaction rolled back: what it remembers of the data it wrote
    /// may be undone.
    func rolledBack() {
        appendHead = nil
        aborted = false
    }

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
    ]

    static func contractError(_ e: PGError) -> PorticoError? {
        guard e.isUniqueViolation, let name = e.constraint, let key = uniqueKeys[name] else { return nil }
        return key.error
    }
}
