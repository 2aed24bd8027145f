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
    /// The numbers of the texts this transaction interned or looked up (`intern`);
    /// forgotten with `appendHead`.
    var internedRefs: [String: Int64] = [:]
    /// The numbers of the rows this transaction looked up by id (`ref`); forgotten with
    /// `appendHead`.
    var rowRefs: [RowRefKey: Int64] = [:]
    /// The records later ones of each action refer to, and the actions looked up
    /// (`auditReference`); forgotten with `appendHead`.
    var auditReferences: [String: AuditReference] = [:]
    var auditReferenceLookups: Set<String> = []
    /// The store's ids by row number (`RowIds`); nil outside a store.
    var rowIdCache: RowIdCache?
    /// Whether each writing request runs in a savepoint of its own, and so folds its own
    /// changes to the totals (see TotalsFold).
    var settlesEachRequest = false
    /// Whether this transaction may write (the writer's), so a read of the folded totals
    /// folds the changes logged before it first.
    var writable = false

    /// `versions` are the store's auth versions read before the transaction began.
    init(_ db: Database, auth: AuthVersion, versions: (all: UInt64, principals: UInt64, brands: UInt64), rowIds: RowIdCache) {
        self.db = db; self.auth = auth; rowIdCache = rowIds; authVersionAtStart = versions.all; principalVersionAtStart = versions.principals
        brandVersionAtStart = versions.brands
    }

    /// A transaction on a connection outside a store: nothing it reads may be cached.
    public init(_ db: Database) {
        self.db = db; auth = nil; authVersionAtStart = 0; principalVersionAtStart = 0; brandVersionAtStart = 0
    }

    /// A savepoint of this transaction rolled back: what it remembers of the data it wrote
    /// may be undone.
    func rolledBack() {
        appendHead = nil
        internedRefs = [:]
        rowRefs = [:]
        auditReferences = [:]
        auditReferenceLookups = []
    }

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

    /// The unique keys by the columns SQLite names when one is violated.
    static let uniqueKeys: [String: UniqueKey] = [
        "partner.subdomain": .partnerSubdomain,
        "member.partnerId, member.email": .memberEmail,
        "member.partnerId": .memberOwner,
        "reseller.partnerId, reseller.email": .resellerEmail,
        "customer.partnerId, customer.email": .customerEmail,
        "sale.partnerSeq, sale.externalId": .saleExternalId,
        "idempotency.scope, idempotency.key": .idempotencyKey,
        "payout.partnerId, payout.currency, payout.period": .payoutPeriod,
        "provider_event.provider, provider_event.eventId": .providerEvent,
        "payout_account.partnerId, payout_account.currency": .payoutAccount,
        "usage_event.partnerId, usage_event.eventId": .usageEvent,
        "brand_domain.hostname": .brandHostname,
    ]

    static func contractError(_ e: DatabaseError) -> PorticoError? {
        let message = e.message ?? ""
        switch e.extendedResultCode {
        case .SQLITE_CONSTRAINT_CHECK where message.contains(RunningTotals.constraint):
            return .totalLimit(RunningTotals.what)
        case .SQLITE_CONSTRAINT_CHECK where message.contains(PeriodTotals.constraint):
            return .totalLimit(PeriodTotals.what, limit: PeriodTotals.bound, unit: PeriodTotals.unit)
        case .SQLITE_CONSTRAINT_CHECK where message.contains(UsageTotals.constraint):
            return .totalLimit(UsageTotals.what, limit: UsageTotals.bound, unit: UsageTotals.unit)
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY:
            let prefix = "UNIQUE constraint failed: "
            guard message.hasPrefix(prefix), let key = uniqueKeys[String(message.dropFirst(prefix.count))] else { return nil }
            return key.error
        default:
            return nil
        }
    }
}

/// The names of the CHECK constraints on the totals' tables (the bounds are Core's).
extension RunningTotals { static let constraint = "total_limit" }
extension PeriodTotals { static let constraint = "period_limit" }
extension UsageTotals { static let constraint = "usage_limit" }

extension RunningTotals {
    /// The `sale_volume` scope of a reseller's sales (a partner's are in `sale_total`).
    static func scope(resellerId: String) -> String { "r:" + resellerId }
}

extension RunningTotals {
    /// Where the running totals disagree with the ledger they total (nil: nowhere): each
    /// totals table against the same grouping of the ledger's rows, both ways (a total
    /// emptied by a change, count 0 and amount 0, is no disagreement). For checks (the
    /// fuzzer, tests), never a request: it reads every row.
    public static func mismatch(_ db: Database) throws -> String? {
        let levels = TotalsFold.levels
        let checks: [(table: String, totals: String, ledger: String)] = [
            ("sale_total", "SELECT partnerSeq, currency, day, kind, count, amount, refunded FROM sale_total",
             "SELECT partnerSeq, currency, \(LedgerTime.day("occurredAt")), kind, COUNT(*), SUM(amount), SUM(refunded) FROM sale GROUP BY 1, 2, 3, 4"),
            ("sale_customer_total", "SELECT partnerSeq, customerSeq, currency, day, amount, refunded FROM sale_customer_total",
             "SELECT partnerSeq, customerSeq, currency, \(LedgerTime.day("occurredAt")), SUM(amount), SUM(refunded) FROM sale GROUP BY 1, 2, 3, 4"),
            ("sale_volume", "SELECT scope, currency, day, amount, count FROM sale_volume",
             """
             SELECT 'r:' || (SELECT id FROM reseller WHERE seq = resellerSeq), currency, \(LedgerTime.day("occurredAt")), SUM(amount - refunded), COUNT(*) FROM sale
             WHERE resellerSeq IS NOT NULL GROUP BY 1, 2, 3
             """),
            ("commission_rollup", "SELECT partnerSeq, currency, status, day, payableDay, amount, count FROM commission_rollup WHERE count != 0 OR amount != 0",
             """
             SELECT partnerSeq, currency, status, \(LedgerTime.day("occurredAt")), \(LedgerTime.day("payableAt")), SUM(amount), COUNT(*) FROM commission
             GROUP BY 1, 2, 3, 4, 5
             """),
            ("period_total", """
             SELECT level, currency, period, partnerSeq, sales, amount, refunded, commissions, earned FROM period_total
             WHERE sales != 0 OR amount != 0 OR refunded != 0 OR commissions != 0 OR earned != 0
             """,
             """
             SELECT level, currency, period, partnerSeq, SUM(sales), SUM(amount), SUM(refunded), SUM(commissions), SUM(earned) FROM (
                 SELECT l.level, s.currency, \(LedgerTime.period("s.occurredAt", width: "l.width")) AS period, s.partnerSeq,
                        1 AS sales, s.amount, s.refunded, 0 AS commissions, 0 AS earned FROM sale s, \(levels)
                 UNION ALL
                 SELECT l.level, c.currency, \(LedgerTime.period("c.occurredAt", width: "l.width")), c.partnerSeq, 0, 0, 0, 1, c.amount
                     FROM commission c, \(levels) WHERE c.status != 'cancelled' AND c.status != 'reversed')
             GROUP BY 1, 2, 3, 4
             """),
            ("customer_period_total", "SELECT level, period, currency, country, customerSeq, partnerSeq, count, amount, refunded FROM customer_period_total",
             """
             SELECT l.level, \(LedgerTime.period("s.occurredAt", width: "l.width")), s.currency, c.country, s.customerSeq, s.partnerSeq, COUNT(*), SUM(s.amount), SUM(s.refunded)
             FROM sale s JOIN customer c ON c.seq = s.customerSeq, \(levels) GROUP BY 1, 2, 3, 4, 5
             """),
            ("commission_status_total", "SELECT currency, status, payableDay, count, amount FROM commission_status_total WHERE count != 0 OR amount != 0",
             """
             SELECT currency, status, CASE WHEN status = 'pending' THEN \(LedgerTime.day("payableAt")) ELSE '' END, COUNT(*), SUM(amount)
             FROM commission GROUP BY 1, 2, 3
             """),
        ]
        for check in checks {
            if let row = try Row.fetchOne(db, sql: """
                SELECT * FROM (\(check.totals) EXCEPT \(check.ledger)) UNION ALL SELECT * FROM (\(check.ledger) EXCEPT \(check.totals)) LIMIT 1
                """) {
                return "\(check.table) disagrees with the ledger at \(row)"
            }
        }
        // The hold ends list every pending entry whose hold ends on or after its creation
        // day and the mark (it may hold more: entries since paid or cancelled), each at its
        // entry's instant.
        if let row = try Row.fetchOne(db, sql: """
            SELECT * FROM (SELECT payableAt, seq FROM commission
                           WHERE status = 'pending' AND payableAt >= \(LedgerTime.start(ofDay: LedgerTime.day("createdAt")))
                             AND payableAt >= (SELECT coalesce(\(LedgerTime.start(ofDay: "day")), \(Timestamp.min.millisecondsSinceEpoch)) FROM commission_hold_end_mark)
                           EXCEPT SELECT payableAt, seq FROM commission_hold_end)
            UNION ALL SELECT * FROM (SELECT payableAt, seq FROM commission_hold_end EXCEPT SELECT payableAt, seq FROM commission)
            LIMIT 1
            """) {
            return "commission_hold_end disagrees with the ledger at \(row)"
        }
        return nil
    }
}
