import GRDB

/// A row of `sale`.
public struct SaleRecord: Sendable, Equatable, ColumnRecord {
    public var seq: Int64 = 0
    public var id: String
    public var partnerId: String
    public var resellerId: String?
    public var customerId: String
    public var externalId: String
    public var plan: String
    public var kind: String
    public var amount: Int64
    public var currency: String
    public var refunded: Int64
    public var occurredAt: String
    public var rulesHash: String
    /// The audit record whose `after` is the answer sale.record gave.
    public var auditSeq: Int64
    public var createdAt: String

    public init(id: String, partnerId: String, resellerId: String?, customerId: String, externalId: String, plan: String,
                kind: String, amount: Int64, currency: String, refunded: Int64 = 0, occurredAt: String, rulesHash: String,
                auditSeq: Int64 = 0, createdAt: String)
    {
        self.id = id; self.partnerId = partnerId; self.resellerId = resellerId; self.customerId = customerId
        self.externalId = externalId; self.plan = plan; self.kind = kind; self.amount = amount; self.currency = currency
        self.refunded = refunded; self.occurredAt = occurredAt; self.rulesHash = rulesHash; self.auditSeq = auditSeq
        self.createdAt = createdAt
    }

    static let columns = "seq, id, partnerId, resellerId, customerId, externalId, plan, kind, amount, currency, refunded, occurredAt, rulesHash, auditSeq, createdAt"

    init(row: Columns) {
        seq = row[0]; id = row[1]; partnerId = row[2]; resellerId = row[3]; customerId = row[4]; externalId = row[5]
        plan = row[6]; kind = row[7]; amount = row[8]; currency = row[9]; refunded = row[10]; occurredAt = row[11]
        rulesHash = row[12]; auditSeq = row[13]; createdAt = row[14]
    }
}

/// Queries on `sale`. Callers hold the transaction.
public enum SaleTable {
    /// Throws `RunningTotalLimit` when the sale would take a running total past its bound.
    public static func insert(_ s: inout SaleRecord, _ db: Database) throws {
        try RunningTotalLimit.checking { try db.cachedStatement(sql: """
            INSERT INTO sale (id, partnerId, resellerId, customerId, externalId, plan, kind, amount, currency, refunded,
                              occurredAt, rulesHash, auditSeq, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [s.id, s.partnerId, s.resellerId, s.customerId, s.externalId, s.plan, s.kind, s.amount,
                                     s.currency, s.refunded, s.occurredAt, s.rulesHash, s.auditSeq, s.createdAt]) }
        s.seq = db.lastInsertedRowID
    }

    /// Adds to the refunded amount, guarded: answers false when it would pass the sale's amount.
    public static func addRefund(id: String, amount: Int64, _ db: Database) throws -> Bool {
        try RunningTotalLimit.checking {
            try db.cachedStatement(sql: "UPDATE sale SET refunded = refunded + ? WHERE id = ? AND refunded + ? <= amount")
                .execute(arguments: [amount, id, amount])
        }
        return db.changesCount == 1
    }

    public static func find(id: String, _ db: Database) throws -> SaleRecord? {
        try SaleRecord.fetchOne(db.cachedStatement(sql: "SELECT \(SaleRecord.columns) FROM sale WHERE id = ?"), arguments: [id])
    }

    public static func find(partnerId: String, externalId: String, _ db: Database) throws -> SaleRecord? {
        try SaleRecord.fetchOne(db.cachedStatement(sql: "SELECT \(SaleRecord.columns) FROM sale WHERE partnerId = ? AND externalId = ?"),
                         arguments: [partnerId, externalId])
    }

    /// Net sales (amount less refunds) of a partner, or of one reseller, in a currency, on
    /// the UTC days `firstDay` through `lastDay`, read from the running totals; summed
    /// without overflow (see `ReportQueries.sum`).
    public static func volume(partnerId: String?, resellerId: String?, currency: String, firstDay: String, lastDay: String,
                              _ db: Database) throws -> Int128
    {
        let scope = resellerId.map { "r:" + $0 } ?? "p:" + (partnerId ?? "")
        return try Columns.fetchOne(db.cachedStatement(sql: """
            SELECT \(ReportQueries.sum("amount")) FROM sale_volume WHERE scope = ? AND currency = ? AND day >= ? AND day <= ?
            """), arguments: [scope, currency, firstDay, lastDay]) { ReportQueries.sumValue($0, 0) } ?? 0
    }

    /// The customer's first sale of a plan (for the subscription's month number): one
    /// index probe, whatever the customer's history.
    public static func firstOccurred(customerId: String, plan: String, _ db: Database) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT MIN(occurredAt) FROM sale WHERE customerId = ? AND plan = ?"),
                            arguments: [customerId, plan])
    }

    /// Whether the customer bought anything before: one index probe.
    public static func hasPurchased(customerId: String, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM sale WHERE customerId = ?)"), arguments: [customerId]) ?? false
    }
}
