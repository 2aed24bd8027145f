import GRDB
import PorticoCore

/// The totals the platform-wide reads use (`period_total`, `customer_period_total`,
/// `commission_status_total`) are not updated row by row. Once per transaction, before its
/// commit (or before a read of them in it), the fold sums into them, one statement per
/// table, the sales and commissions added since the last fold (`total_fold` keeps the last
/// seq of each: rows are never deleted, so later rows have higher seqs), and the log that
/// triggers write of changes to rows summed before (a refund; a commission cancelled,
/// reversed or moved: `period_delta`, `customer_delta`; a summed commission's move between
/// statuses updates `commission_status_total`'s few rows directly, from a trigger), and
/// lists new pending entries by the instant their hold ends (`commission_hold_end`). A row
/// added and changed in the same transaction is summed as it is at the fold. The sale
/// path's inserts run no trigger for these totals; a group of sales to the same partners
/// and days updates each total once.
///
/// A fold that would take a total past its bound fails whole. In a group run without
/// savepoints that is a partial write (the group runs again); with savepoints each writing
/// request folds its own rows before it answers (`settle`), so the request that would pass
/// the bound is the one refused.
enum TotalsFold {
    /// A calendar day's three blocks: its year, month and day.
    static let levels = "(SELECT 'y' AS level, 4 AS width UNION ALL SELECT 'm', 7 UNION ALL SELECT 'd', 10) AS l"

    static let sales = "s.seq > (SELECT seq FROM total_fold WHERE source = 'sale')"
    static let commissions = "c.seq > (SELECT seq FROM total_fold WHERE source = 'commission')"

    static let pending = """
        SELECT (SELECT coalesce(MAX(seq), 0) FROM sale) > (SELECT seq FROM total_fold WHERE source = 'sale')
            OR (SELECT coalesce(MAX(seq), 0) FROM commission) > (SELECT seq FROM total_fold WHERE source = 'commission')
            OR EXISTS (SELECT 1 FROM period_delta) OR EXISTS (SELECT 1 FROM customer_delta)
        """

    static let periodUpsert = """
        ON CONFLICT DO UPDATE SET sales = sales + excluded.sales, amount = amount + excluded.amount, refunded = refunded + excluded.refunded,
                                  commissions = commissions + excluded.commissions, earned = earned + excluded.earned
        """
    static let customerUpsert = "ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount, refunded = refunded + excluded.refunded"
    static let statusUpsert = "ON CONFLICT DO UPDATE SET count = count + excluded.count, amount = amount + excluded.amount"
    static let standing = "c.status != 'cancelled' AND c.status != 'reversed'"

    static let statements = [
        // The rows added since the last fold.
        """
        INSERT INTO period_total
            SELECT l.level, s.currency, \(LedgerTime.period("s.occurredAt", width: "l.width")), s.partnerSeq, COUNT(*), SUM(s.amount), SUM(s.refunded), 0, 0
            FROM sale s, \(levels) WHERE \(sales) GROUP BY 1, 2, 3, 4 \(periodUpsert)
        """,
        """
        INSERT INTO customer_period_total
            SELECT l.level, \(LedgerTime.period("s.occurredAt", width: "l.width")), s.currency, c.country, s.customerSeq, s.partnerSeq,
                   COUNT(*), SUM(s.amount), SUM(s.refunded)
            FROM sale s JOIN customer c ON c.seq = s.customerSeq, \(levels) WHERE \(sales) GROUP BY 1, 2, 3, 4, 5 \(customerUpsert)
        """,
        """
        INSERT INTO period_total
            SELECT l.level, c.currency, \(LedgerTime.period("c.occurredAt", width: "l.width")), c.partnerSeq, 0, 0, 0, COUNT(*), SUM(c.amount)
            FROM commission c, \(levels) WHERE \(commissions) AND \(standing) GROUP BY 1, 2, 3, 4 \(periodUpsert)
        """,
        """
        INSERT INTO commission_status_total
            SELECT c.currency, c.status, CASE WHEN c.status = 'pending' THEN \(LedgerTime.day("c.payableAt")) ELSE '' END, COUNT(*), SUM(c.amount)
            FROM commission c WHERE \(commissions) GROUP BY 1, 2, 3 \(statusUpsert)
        """,
        // New pending entries whose hold ends on their creation day or later, by that
        // instant; then the days before the newest creation day folded are trimmed.
        """
        INSERT INTO commission_hold_end
            SELECT c.payableAt, c.seq FROM commission c
            WHERE \(commissions) AND c.status = 'pending' AND c.payableAt >= \(LedgerTime.start(ofDay: LedgerTime.day("c.createdAt")))
        """,
        // (The mark's row is written only on a new day.)
        """
        UPDATE commission_hold_end_mark SET day = n.day
        FROM (SELECT \(LedgerTime.day("MAX(c.createdAt)")) AS day FROM commission c WHERE \(commissions)) AS n
        WHERE commission_hold_end_mark.day < n.day
        """,
        "DELETE FROM commission_hold_end WHERE payableAt < (SELECT \(LedgerTime.start(ofDay: "day")) FROM commission_hold_end_mark)",
        "UPDATE total_fold SET seq = (SELECT coalesce(MAX(seq), 0) FROM sale) WHERE source = 'sale'",
        "UPDATE total_fold SET seq = (SELECT coalesce(MAX(seq), 0) FROM commission) WHERE source = 'commission'",
        // The logged changes to rows summed before.
        """
        INSERT INTO period_total
            SELECT l.level, d.currency, substr(d.day, 1, l.width), d.partnerSeq,
                   SUM(d.sales), SUM(d.amount), SUM(d.refunded), SUM(d.commissions), SUM(d.earned)
            FROM period_delta d, \(levels) WHERE true GROUP BY 1, 2, 3, 4 \(periodUpsert)
        """,
        "DELETE FROM period_delta",
        """
        INSERT INTO customer_period_total
            SELECT l.level, substr(d.day, 1, l.width), d.currency, d.country, d.customerSeq, d.partnerSeq, SUM(d.count), SUM(d.amount), SUM(d.refunded)
            FROM customer_delta d, \(levels) WHERE true GROUP BY 1, 2, 3, 4, 5 \(customerUpsert)
        """,
        "DELETE FROM customer_delta",
    ]
}

extension SQLiteTransaction {
    /// Sums the rows added since the last fold and the logged changes into the totals
    /// (nothing to do when there are none). A total past its bound, or a sum past 64 bits,
    /// is `totalLimit`; the fold then changed nothing.
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

    /// The end of a writing request: with a savepoint per request, its own rows are folded
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
