import GRDB
import PorticoCore

/// The totals the platform-wide reads use (`period_total`, `customer_period_total`,
/// `commission_status_total`) are not updated row by row: triggers log what each change to
/// a sale or commission adds to them (one row each in `period_delta`, `customer_delta`,
/// `commission_status_delta`), and the fold sums the log into the totals in one statement
/// per table — once per transaction, before its commit, or before a read of the totals in
/// it. A group of sales to the same partners and days then updates each total once
/// instead of three levels per sale and per commission.
///
/// A fold that would take a total past its bound fails whole. In a group run without
/// savepoints that is a partial write (the group runs again); with savepoints each writing
/// request folds its own log before it answers (`settle`), so the request that would pass
/// the bound is the one refused.
enum TotalsFold {
    /// A calendar day's three blocks: its year, month and day.
    static let levels = "(SELECT 'y' AS level, 4 AS width UNION ALL SELECT 'm', 7 UNION ALL SELECT 'd', 10) AS l"

    static let pending = """
        SELECT EXISTS (SELECT 1 FROM period_delta) OR EXISTS (SELECT 1 FROM customer_delta) OR EXISTS (SELECT 1 FROM commission_status_delta)
        """

    static let statements = [
        """
        INSERT INTO period_total
            SELECT l.level, d.currency, substr(d.day, 1, l.width), d.partnerId,
                   SUM(d.sales), SUM(d.amount), SUM(d.refunded), SUM(d.commissions), SUM(d.earned)
            FROM period_delta d, \(levels) WHERE true GROUP BY 1, 2, 3, 4
            ON CONFLICT DO UPDATE SET sales = sales + excluded.sales, amount = amount + excluded.amount, refunded = refunded + excluded.refunded,
                                      commissions = commissions + excluded.commissions, earned = earned + excluded.earned
        """,
        "DELETE FROM period_delta",
        """
        INSERT INTO customer_period_total
            SELECT l.level, substr(d.day, 1, l.width), d.currency, d.country, d.customerId, d.partnerId, SUM(d.count), SUM(d.amount), SUM(d.refunded)
            FROM customer_delta d, \(levels) WHERE true GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded
        """,
        "DELETE FROM customer_delta",
        """
        INSERT INTO commission_status_total
            SELECT currency, status, payableDay, SUM(count), SUM(amount) FROM commission_status_delta WHERE true GROUP BY 1, 2, 3
            ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount
        """,
        "DELETE FROM commission_status_delta",
    ]
}

extension SQLiteTransaction {
    /// Sums the logged changes into the totals (nothing to do when the log is empty). A
    /// total past its bound, or a sum of the log past 64 bits, is `totalLimit`; the fold
    /// then changed nothing.
    public func foldTotals() throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: TotalsFold.pending)) == true else { return }
        try db.cachedStatement(sql: "SAVEPOINT fold").execute()
        do {
            try writing {
                for sql in TotalsFold.statements { try db.cachedStatement(sql: sql).execute() }
            }
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT fold").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT fold").execute()
            if let e = error as? DatabaseError, e.message?.contains("integer overflow") == true {
                throw PorticoError.totalLimit(PeriodTotals.what, limit: PeriodTotals.bound, unit: PeriodTotals.unit)
            }
            throw error
        }
        try db.cachedStatement(sql: "RELEASE SAVEPOINT fold").execute()
    }

    /// The end of a writing request: with a savepoint per request, its own log is folded
    /// now, so a total it would take past its bound refuses it (and only it).
    public func settle() throws {
        if settlesEachRequest { try foldTotals() }
    }

    /// Before a read of the folded totals: the changes this transaction logged are summed
    /// in first (a read-only transaction never has any).
    func foldBeforeReading() throws {
        if writable { try foldTotals() }
    }
}
