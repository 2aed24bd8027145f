import GRDB

/// A row of `commission`: one entry of the commission ledger.
public struct CommissionRecord: Sendable, Equatable, ColumnRecord {
    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    public var beneficiary: String
    public var resellerId: String?
    public var saleId: String?
    public var kind: String
    public var amount: Int64
    public var originalAmount: Int64
    public var currency: String
    public var status: String
    public var payableAt: String
    public var occurredAt: String
    public var ruleId: String?
    public var rulesHash: String?
    public var basis: String?
    public var reason: String?
    public var payoutId: String?
    public var createdAt: String
    public var updatedAt: String

    public init(id: String, partnerId: String, beneficiary: String, resellerId: String?, saleId: String?, kind: String,
                amount: Int64, currency: String, status: String = "pending", payableAt: String, occurredAt: String, ruleId: String?,
                rulesHash: String?, basis: String?, reason: String?, createdAt: String)
    {
        self.id = id; self.partnerId = partnerId; self.beneficiary = beneficiary; self.resellerId = resellerId
        self.saleId = saleId; self.kind = kind; self.amount = amount; self.originalAmount = amount; self.currency = currency
        self.status = status; self.payableAt = payableAt; self.occurredAt = occurredAt; self.ruleId = ruleId; self.rulesHash = rulesHash; self.basis = basis
        self.reason = reason; self.createdAt = createdAt; self.updatedAt = createdAt
    }

    static let columns = """
        seq, id, partnerId, beneficiary, resellerId, saleId, kind, amount, originalAmount, currency, status, payableAt, \
        occurredAt, ruleId, rulesHash, basis, reason, payoutId, createdAt, updatedAt
        """

    init(row: Columns) {
        seq = row[0]; id = row[1]; partnerId = row[2]; beneficiary = row[3]; resellerId = row[4]; saleId = row[5]
        kind = row[6]; amount = row[7]; originalAmount = row[8]; currency = row[9]; status = row[10]; payableAt = row[11]
        occurredAt = row[12]; ruleId = row[13]; rulesHash = row[14]; basis = row[15]; reason = row[16]; payoutId = row[17]
        createdAt = row[18]; updatedAt = row[19]
    }

    /// The status as readers see it: a pending entry whose hold has passed is payable.
    public func effectiveStatus(now: String) -> String {
        status == "pending" && payableAt <= now ? "payable" : status
    }
}

public struct CommissionFilter: Sendable {
    public var partnerId: String
    /// One of the effective statuses: pending, payable, processing, paid, cancelled, reversed.
    public var status: String?
    /// When the earning occurred: `first` through `last` (inclusive), nil for open.
    public var first: String?
    public var last: String?
    public init(partnerId: String, status: String? = nil, first: String? = nil, last: String? = nil) {
        self.partnerId = partnerId; self.status = status; self.first = first; self.last = last
    }

    /// The SQL condition and arguments, evaluated at `now` for the derived statuses.
    func clause(now: String) -> (String, [(any DatabaseValueConvertible)?]) {
        var sql = "partnerId = ?"
        var args: [(any DatabaseValueConvertible)?] = [partnerId]
        switch status {
        case "pending"?: sql += " AND status = 'pending' AND payableAt > ?"; args.append(now)
        case "payable"?: sql += " AND status = 'pending' AND payableAt <= ?"; args.append(now)
        case let s?: sql += " AND status = ?"; args.append(s)
        case nil: break
        }
        if let first { sql += " AND occurredAt >= ?"; args.append(first) }
        if let last { sql += " AND occurredAt <= ?"; args.append(last) }
        return (sql, args)
    }
}

/// Queries on `commission`. Status changes are guarded in SQL (`WHERE status = ...`), so
/// two writers can never both move the same entry; a guard that matched nothing answers
/// false and the caller reports the state conflict.
public enum CommissionTable {
    /// Throws `RunningTotalLimit` when the entry would take a running total past its bound.
    public static func insert(_ c: inout CommissionRecord, _ db: Database) throws {
        try RunningTotalLimit.checking { try db.cachedStatement(sql: """
            INSERT INTO commission (id, partnerId, beneficiary, resellerId, saleId, kind, amount, originalAmount, currency, status,
                                    payableAt, occurredAt, ruleId, rulesHash, basis, reason, payoutId, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [c.id, c.partnerId, c.beneficiary, c.resellerId, c.saleId, c.kind, c.amount, c.originalAmount,
                                     c.currency, c.status, c.payableAt, c.occurredAt, c.ruleId, c.rulesHash, c.basis, c.reason, c.payoutId,
                                     c.createdAt, c.updatedAt]) }
        c.seq = db.lastInsertedRowID
    }

    public static func find(id: String, _ db: Database) throws -> CommissionRecord? {
        try CommissionRecord.fetchOne(db.cachedStatement(sql: "SELECT \(CommissionRecord.columns) FROM commission WHERE id = ?"), arguments: [id])
    }

    public static func forSale(_ saleId: String, _ db: Database) throws -> [CommissionRecord] {
        try CommissionRecord.fetchAll(db.cachedStatement(sql: "SELECT \(CommissionRecord.columns) FROM commission WHERE saleId = ? ORDER BY seq"),
                                      arguments: [saleId])
    }

    /// Sets the amount (and status) of an entry still in `expected` status.
    public static func change(id: String, expected: String, amount: Int64, status: String, updatedAt: String, _ db: Database) throws -> Bool {
        try RunningTotalLimit.checking {
            try db.cachedStatement(sql: "UPDATE commission SET amount = ?, status = ?, updatedAt = ? WHERE id = ? AND status = ?")
                .execute(arguments: [amount, status, updatedAt, id, expected])
        }
        return db.changesCount == 1
    }

    public static func page(_ f: CommissionFilter, now: String, afterSeq: Int64, limit: Int, _ db: Database) throws -> [CommissionRecord] {
        let (clause, args) = f.clause(now: now)
        return try CommissionRecord.fetchAll(db.cachedStatement(sql: "SELECT \(CommissionRecord.columns) FROM commission WHERE \(clause) AND seq > ? ORDER BY seq LIMIT ?"),
                                             arguments: StatementArguments(args + [afterSeq, limit]))
    }

    /// Totals by effective status and currency: (status, currency, total, count), summed
    /// without overflow (see `ReportQueries.sum`).
    public static func summary(_ f: CommissionFilter, now: String, _ db: Database) throws -> [ReportQueries.Total] {
        let (clause, args) = f.clause(now: now)
        return try ReportQueries.totals(db.cachedStatement(sql: """
            SELECT CASE WHEN status = 'pending' AND payableAt <= ? THEN 'payable' ELSE status END AS s, currency,
                   \(ReportQueries.sum("amount")), COUNT(*)
            FROM commission WHERE \(clause) GROUP BY s, currency ORDER BY s, currency
            """), StatementArguments([now] + args))
    }

    /// What a beneficiary earned (not cancelled or reversed) in a currency, occurring from
    /// `first` through `last`.
    public static func earned(partnerId: String, resellerId: String?, currency: String, first: String, last: String,
                              _ db: Database) throws -> Int128
    {
        try Columns.fetchOne(db.cachedStatement(sql: """
            SELECT \(ReportQueries.sum("amount")) FROM commission
            WHERE partnerId = ? AND resellerId IS ? AND currency = ? AND occurredAt >= ? AND occurredAt <= ?
              AND status != 'cancelled' AND status != 'reversed'
            """), arguments: [partnerId, resellerId, currency, first, last]) { ReportQueries.sumValue($0, 0) } ?? 0
    }
}
