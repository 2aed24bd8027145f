import GRDB
import PorticoCore

extension CommissionRecord: ColumnRecord {
    static let columns = columns(of: "commission")

    /// The columns as read from the table under the name `t` in a query, the amount as
    /// `amount` reads it (the entry's own unless given).
    static func columns(of t: String, amount: String? = nil) -> String {
        """
        \(t).seq, \(t).id, \(RowRef.partner.id("\(t).partnerSeq")), \(t).beneficiary, \(RowRef.reseller.id("\(t).resellerSeq")), \
        \(RowRef.sale.id("\(t).saleSeq")), \(t).kind, \(amount ?? "\(t).amount"), \
        \(t).originalAmount, \(t).currency, \(t).status, \(t).payableAt, \(t).occurredAt, \(Interned.text("\(t).ruleRef")), \
        \(Interned.text("\(t).rulesRef")), \(t).basis, \(t).reason, \(t).payoutId, \(t).createdAt, \(t).updatedAt
        """
    }

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], beneficiary: try row.value(3), resellerId: row[4], saleId: row[5],
                  kind: try row.value(6), amount: try row.money(7, currency: 9), originalAmount: try row.money(8, currency: 9),
                  status: try row.value(10), payableAt: try row.timestamp(11), occurredAt: try row.timestamp(12), ruleId: row[13],
                  rulesHash: row[14], basis: row[15], reason: row[16], payoutId: row[17], createdAt: try row.timestamp(18),
                  updatedAt: try row.timestamp(19))
    }
}

extension CommissionFilter {
    /// The SQL condition and arguments, evaluated at `now` for the derived statuses; the
    /// partner as `partnerSeq` numbers it.
    func clause(now: Timestamp, partnerSeq: Int64) -> (String, [(any DatabaseValueConvertible)?]) {
        let now = now.millisecondsSinceEpoch
        var sql = "partnerSeq = ?"
        var args: [(any DatabaseValueConvertible)?] = [partnerSeq]
        switch status {
        case .pending?: sql += " AND status = 'pending' AND payableAt > ?"; args.append(now)
        case .payable?: sql += " AND status = 'pending' AND payableAt <= ?"; args.append(now)
        case let s?: sql += " AND status = ?"; args.append(s.rawValue)
        case nil: break
        }
        if range != .all {
            sql += " AND occurredAt >= ? AND occurredAt <= ?"
            args += [range.firstMillis, range.lastMillis]
        }
        return (sql, args)
    }
}

/// Status changes are guarded in SQL (`WHERE status = ...`), so two writers can never both
/// move the same entry; a guard that matched nothing answers false.
extension SQLiteTransaction: CommissionStore {
    /// Bound straight through SQLite's C API (`Bind`): a sale writes one or more.
    public func insert(_ c: inout CommissionRecord) throws {
        try writing {
            try Bind.execute(db.cachedStatement(sql: """
                INSERT INTO commission (id, partnerSeq, beneficiary, resellerSeq, saleSeq, kind, amount, originalAmount, currency, status,
                                        payableAt, occurredAt, ruleRef, rulesRef, basis, reason, payoutId, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """), db, .text(c.id), .int(ref(.partner, c.partnerId)), .text(c.beneficiary.rawValue),
                try ref(.reseller, ifAny: c.resellerId).map(Bind.int) ?? .null, try ref(.sale, ifAny: c.saleId).map(Bind.int) ?? .null,
                .text(c.kind.rawValue), .int(c.amount.amount), .int(c.originalAmount.amount), .text(c.currency), .text(c.status.rawValue),
                .int(c.payableAt.millisecondsSinceEpoch), .int(c.occurredAt.millisecondsSinceEpoch), try intern(c.ruleId).map(Bind.int) ?? .null,
                try intern(c.rulesHash).map(Bind.int) ?? .null, .text(c.basis), .text(c.reason), .text(c.payoutId),
                .int(c.createdAt.millisecondsSinceEpoch), .int(c.updatedAt.millisecondsSinceEpoch))
        }
        c.seq = db.lastInsertedRowID
    }

    public func commission(id: String) throws -> CommissionRecord? {
        try CommissionRecord.fetchOne(db.cachedStatement(sql: "SELECT \(CommissionRecord.columns) FROM commission WHERE id = ?"),
                                      arguments: [id])
    }

    public func commissions(saleId: String) throws -> [CommissionRecord] {
        try CommissionRecord.fetchAll(db.cachedStatement(sql: "SELECT \(CommissionRecord.columns) FROM commission WHERE saleSeq = ? ORDER BY seq"),
                                      arguments: [ref(.sale, saleId)])
    }

    public func changeCommission(id: String, expected: CommissionStatus, amount: Int64, status: CommissionStatus, updatedAt: Timestamp) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: "UPDATE commission SET amount = ?, status = ?, updatedAt = ? WHERE id = ? AND status = ?")
                .execute(arguments: [amount, status.rawValue, updatedAt.millisecondsSinceEpoch, id, expected.rawValue])
        }
        return db.changesCount == 1
    }

    public func commissions(_ f: CommissionFilter, now: Timestamp, afterSeq: Int64, limit: Int) throws -> [CommissionRecord] {
        let (clause, args) = f.clause(now: now, partnerSeq: try ref(.partner, f.partnerId))
        return try CommissionRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(CommissionRecord.columns) FROM commission WHERE \(clause) AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: StatementArguments(args + [afterSeq, limit]))
    }

    public func commissionCount(_ f: CommissionFilter, now: Timestamp) throws -> Int {
        let (clause, args) = f.clause(now: now, partnerSeq: try ref(.partner, f.partnerId))
        return try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM commission WHERE \(clause)"), arguments: StatementArguments(args)) ?? 0
    }

    public func commissionTotals(_ f: CommissionFilter, now: Timestamp) throws -> [ReportTotal] {
        let (clause, args) = f.clause(now: now, partnerSeq: try ref(.partner, f.partnerId))
        return try Sums.exact { sums in
            try sums.totals(db.cachedStatement(sql: """
                SELECT CASE WHEN status = 'pending' AND payableAt <= ? THEN 'payable' ELSE status END AS s, currency,
                       COUNT(*), \(sums.sql("amount"))
                FROM commission WHERE \(clause) GROUP BY s, currency ORDER BY s, currency
                """), StatementArguments([now.millisecondsSinceEpoch] + args))
        }
    }

    public func earned(partnerId: String, resellerId: String?, currency: String, range: TimeRange) throws -> Int128 {
        try Sums.exact { sums in
            try Columns.fetchOne(db.cachedStatement(sql: """
                SELECT \(sums.sql("amount")) FROM commission
                WHERE partnerSeq = ? AND resellerSeq IS ? AND currency = ? AND occurredAt >= ? AND occurredAt <= ?
                  AND status != 'cancelled' AND status != 'reversed'
                """), arguments: [ref(.partner, partnerId), ref(.reseller, ifAny: resellerId), currency, range.firstMillis, range.lastMillis]) { sums.value($0, 0) } ?? 0
        }
    }
}
