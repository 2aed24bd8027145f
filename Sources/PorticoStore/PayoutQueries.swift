import GRDB
import JSONRPC
import PorticoCore

extension PayoutRecord: ColumnRecord {
    static let columns = """
        seq, id, partnerId, amount, currency, lineCount, status, method, destination, period, asOf, holdUntil, instruction, \
        providerReference, failureReason, reversedAmount, createdAt, updatedAt
        """

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], amount: try row.money(3, currency: 4), lineCount: row[5],
                  status: try row.value(6), method: try row.value(7), destination: row[8], period: row[9], asOf: try row.timestamp(10),
                  holdUntil: try row.optionalTimestamp(11), instruction: row[12], providerReference: row[13], failureReason: row[14],
                  reversedAmount: row[15], createdAt: try row.timestamp(16), updatedAt: try row.timestamp(17))
    }
}

extension PayoutAccountRecord: ColumnRecord {
    static let columns = "seq, partnerId, currency, method, destination, holdUntil, createdAt, updatedAt"

    init(row: Columns) throws {
        let currency: String = row[2]
        self.init(seq: row[0], partnerId: row[1], currency: currency.isEmpty ? nil : currency, method: try row.value(3), destination: row[4],
                  holdUntil: try row.optionalTimestamp(5), createdAt: try row.timestamp(6), updatedAt: try row.timestamp(7))
    }
}

extension PayoutScheduleRecord: ColumnRecord {
    static let columns = "partnerId, cadence, day, createdAt, updatedAt"

    init(row: Columns) throws {
        let day: Int64? = row[2]
        self.init(partnerId: row[0], cadence: try row.value(1), day: day.map(Int.init), createdAt: try row.timestamp(3),
                  updatedAt: try row.timestamp(4))
    }
}

/// Payouts and their lines. A payout's lines move with it in single statements keyed by
/// `commission.payoutId` (indexed where set); the commission table's CHECK ties that link
/// to the `processing` and `paid` statuses, and the payout table's triggers hold its state
/// machine and keep what was handed to the host unchanged.
extension SQLiteTransaction: PayoutStore {
    public func payoutAccount(partnerId: String, currency: String?) throws -> PayoutAccountRecord? {
        try PayoutAccountRecord.fetchOne(db.cachedStatement(sql: """
            SELECT \(PayoutAccountRecord.columns) FROM payout_account WHERE partnerId = ? AND currency = ?
            """), arguments: [partnerId, currency ?? ""])
    }

    public func payoutAccounts(partnerId: String) throws -> [PayoutAccountRecord] {
        try PayoutAccountRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(PayoutAccountRecord.columns) FROM payout_account WHERE partnerId = ? ORDER BY currency
            """), arguments: [partnerId])
    }

    public func save(_ a: PayoutAccountRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO payout_account (partnerId, currency, method, destination, holdUntil, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (partnerId, currency) DO UPDATE SET method = excluded.method, destination = excluded.destination,
                    holdUntil = excluded.holdUntil, updatedAt = excluded.updatedAt
                """).execute(arguments: [a.partnerId, a.currency ?? "", a.method.rawValue, a.destination, a.holdUntil?.rfc3339,
                                         a.createdAt.rfc3339, a.updatedAt.rfc3339])
        }
    }

    public func payoutSchedule(partnerId: String) throws -> PayoutScheduleRecord? {
        try PayoutScheduleRecord.fetchOne(db.cachedStatement(sql: """
            SELECT \(PayoutScheduleRecord.columns) FROM payout_schedule WHERE partnerId = ?
            """), arguments: [partnerId])
    }

    public func save(_ s: PayoutScheduleRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO payout_schedule (partnerSeq, partnerId, cadence, day, createdAt, updatedAt)
                SELECT seq, id, ?, ?, ?, ? FROM partner WHERE id = ?
                ON CONFLICT (partnerSeq) DO UPDATE SET cadence = excluded.cadence, day = excluded.day, updatedAt = excluded.updatedAt
                """).execute(arguments: [s.cadence.rawValue, s.day.map { Int64($0) }, s.createdAt.rfc3339, s.updatedAt.rfc3339, s.partnerId])
        }
        guard db.changesCount == 1 else { throw PorticoError.notFound("partner", s.partnerId) }
    }

    public func payoutSchedules(afterPartnerSeq: Int64, limit: Int) throws -> [(partnerSeq: Int64, schedule: PayoutScheduleRecord)] {
        try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT \(PayoutScheduleRecord.columns), partnerSeq FROM payout_schedule
            WHERE partnerSeq > ? AND cadence != 'manual' ORDER BY partnerSeq LIMIT ?
            """), arguments: [afterPartnerSeq, limit]) { row in (row[5] as Int64, try PayoutScheduleRecord(row: row)) }
    }

    public func countPayoutSchedules() throws -> Int {
        try Columns.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM payout_schedule WHERE cadence != 'manual'")) { $0[0] as Int } ?? 0
    }

    public func payableBalances(partnerId: String, asOf: Timestamp) throws -> [PayableBalance] {
        try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT currency, COUNT(*), \(sums.sql("amount")) FROM commission
                WHERE partnerSeq = ? AND status = 'pending' AND payableAt <= ?
                GROUP BY currency ORDER BY currency
                """), arguments: [ref(.partner, partnerId), asOf.millisecondsSinceEpoch]) { PayableBalance(currency: $0[0], net: sums.value($0, 2), count: $0[1]) }
        }
    }

    public func insert(_ p: inout PayoutRecord) throws -> PayableBalance {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO payout (id, partnerId, amount, currency, lineCount, status, method, destination, period, asOf, holdUntil,
                                    instruction, providerReference, failureReason, reversedAmount, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [p.id, p.partnerId, p.amount.amount, p.currency, p.lineCount, p.status.rawValue, p.method.rawValue,
                                         p.destination, p.period, p.asOf.rfc3339, p.holdUntil?.rfc3339, p.instruction, p.providerReference,
                                         p.failureReason, p.reversedAmount, p.createdAt.rfc3339, p.updatedAt.rfc3339])
        }
        p.seq = db.lastInsertedRowID
        var moved = PayableBalance(currency: p.currency, net: 0, count: 0)
        try writing {
            try Columns.fetchAll(db.cachedStatement(sql: """
                UPDATE commission SET status = 'processing', payoutId = ?, updatedAt = ?
                WHERE partnerSeq = ? AND status = 'pending' AND payableAt <= ? AND currency = ?
                RETURNING amount
                """), arguments: [p.id, p.updatedAt.millisecondsSinceEpoch, ref(.partner, p.partnerId), p.asOf.millisecondsSinceEpoch,
                                          p.currency]) { $0[0] as Int64 }
                .forEach { moved.net += Int128($0); moved.count += 1 }
        }
        return moved
    }

    public func payout(id: String) throws -> PayoutRecord? {
        try PayoutRecord.fetchOne(db.cachedStatement(sql: "SELECT \(PayoutRecord.columns) FROM payout WHERE id = ?"), arguments: [id])
    }

    public func payoutExists(partnerId: String, currency: String, period: String) throws -> Bool {
        try Columns.fetchOne(db.cachedStatement(sql: """
            SELECT 1 FROM payout WHERE partnerId = ? AND currency = ? AND period = ?
            """), arguments: [partnerId, currency, period]) { _ in true } ?? false
    }

    public func update(_ p: PayoutRecord, expected: PayoutStatus) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE payout SET status = ?, instruction = ?, providerReference = ?, failureReason = ?, reversedAmount = ?, updatedAt = ?
                WHERE id = ? AND status = ?
                """).execute(arguments: [p.status.rawValue, p.instruction, p.providerReference, p.failureReason, p.reversedAmount,
                                         p.updatedAt.rfc3339, p.id, expected.rawValue])
        }
        return db.changesCount == 1
    }

    public func movePayoutLines(payoutId: String, from: CommissionStatus, to: CommissionStatus, updatedAt: Timestamp) throws -> Int64 {
        try writing {
            try db.cachedStatement(sql: "UPDATE commission SET status = ?, updatedAt = ? WHERE payoutId = ? AND status = ?")
                .execute(arguments: [to.rawValue, updatedAt.millisecondsSinceEpoch, payoutId, from.rawValue])
        }
        return Int64(db.changesCount)
    }

    public func releasePayoutLines(payoutId: String, updatedAt: Timestamp) throws -> PayableBalance {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO payout_released_line (payoutId, commissionSeq, amount)
                SELECT payoutId, seq, amount FROM commission WHERE payoutId = ?
                """).execute(arguments: [payoutId])
        }
        var released = PayableBalance(currency: "", net: 0, count: 0)
        try writing {
            try Columns.fetchAll(db.cachedStatement(sql: """
                UPDATE commission SET status = 'pending', payoutId = NULL, updatedAt = ? WHERE payoutId = ? RETURNING amount, currency
                """), arguments: [updatedAt.millisecondsSinceEpoch, payoutId]) { ($0[0] as Int64, $0[1] as String) }
                .forEach { released.net += Int128($0.0); released.count += 1; released.currency = $0.1 }
        }
        return released
    }

    public func payouts(_ f: PayoutFilter, afterSeq: Int64, limit: Int) throws -> [PayoutRecord] {
        var (sql, args) = Self.payoutsWhere(f, "SELECT \(PayoutRecord.columns) FROM payout WHERE seq > ?", [afterSeq])
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return try PayoutRecord.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
    }

    public func payoutCount(_ f: PayoutFilter) throws -> Int {
        let (sql, args) = Self.payoutsWhere(f, "SELECT COUNT(*) FROM payout WHERE 1", [])
        return try Int.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(args)) ?? 0
    }

    /// `sql` with the filter's conditions and their arguments after `args`.
    static func payoutsWhere(_ f: PayoutFilter, _ sql: String, _ args: [(any DatabaseValueConvertible)?])
        -> (String, [(any DatabaseValueConvertible)?])
    {
        var sql = sql, args = args
        if let partnerId = f.partnerId { sql += " AND partnerId = ?"; args.append(partnerId) }
        if let status = f.status { sql += " AND status = ?"; args.append(status.rawValue) }
        if f.range != .all { sql += " AND createdAt >= ? AND createdAt <= ?"; args += [f.range.firstText, f.range.lastText] }
        return (sql, args)
    }

    /// Live lines are the entries naming the payout; released ones its copies, joined to
    /// the entries for everything but the amount (an entry released may have shrunk since).
    static func lineSource(released: Bool) -> (from: String, condition: String, amount: String) {
        released
            ? ("payout_released_line l JOIN commission c ON c.seq = l.commissionSeq", "l.payoutId = ?", "l.amount")
            : ("commission c", "c.payoutId = ?", "c.amount")
    }

    public func statementLines(payoutId: String, released: Bool, afterSeq: Int64, limit: Int) throws -> [StatementLine] {
        let (from, condition, amount) = Self.lineSource(released: released)
        let columns = CommissionRecord.columns(of: "c", amount: amount)
        return try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT \(columns), \(RowRef.customer.id("s.customerSeq")), s.plan FROM \(from) LEFT JOIN sale s ON s.seq = c.saleSeq
            WHERE \(condition) AND c.seq > ? ORDER BY c.seq LIMIT ?
            """), arguments: [payoutId, afterSeq, limit]) { row in
            let c = try CommissionRecord(row: row)
            return StatementLine(seq: c.seq, commission: c, customerId: row[20], plan: row[21])
        }
    }

    public func statementTotals(payoutId: String, released: Bool) throws -> [(kind: CommissionKind, count: Int64, amount: Int128)] {
        let (from, condition, amount) = Self.lineSource(released: released)
        return try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT c.kind, COUNT(*), \(sums.sql(amount)) FROM \(from) WHERE \(condition) GROUP BY c.kind ORDER BY c.kind
                """), arguments: [payoutId]) { (kind: try $0.value(0), count: $0[1], amount: sums.value($0, 2)) }
        }
    }

    public func providerEvent(provider: String, eventId: String) throws -> ProviderEventRecord? {
        try Columns.fetchOne(db.cachedStatement(sql: """
            SELECT provider, eventId, type, payoutId, result, receivedAt, createdAt FROM provider_event WHERE provider = ? AND eventId = ?
            """), arguments: [provider, eventId]) { row in
            let text: String = row[4]
            return ProviderEventRecord(provider: row[0], eventId: row[1], type: row[2], payoutId: row[3],
                                       result: try JSONReader.parse(text), receivedAt: try row.timestamp(5), createdAt: try row.timestamp(6))
        }
    }

    public func insert(_ e: ProviderEventRecord) throws {
        var text: [UInt8] = []
        JSONWriter.write(e.result, into: &text)
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO provider_event (provider, eventId, type, payoutId, result, receivedAt, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [e.provider, e.eventId, e.type, e.payoutId, String(decoding: text, as: UTF8.self),
                                         e.receivedAt.rfc3339, e.createdAt.rfc3339])
        }
    }
}
