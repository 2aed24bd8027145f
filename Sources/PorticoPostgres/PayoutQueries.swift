import JSONRPC
import PorticoCore

extension PayoutRecord: PGRecord {
    static let columns = """
        seq, id, partner_id, amount, currency, line_count, status, method, destination, period, as_of, hold_until, instruction, \
        provider_reference, failure_reason, reversed_amount, created_at, updated_at
        """

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), amount: try row.money(3, currency: 4),
                  lineCount: try row.int(5), status: try row.value(6), method: try row.value(7), destination: try row.string(8), period: row[9],
                  asOf: try row.timestamp(10), holdUntil: try row.optionalTimestamp(11), instruction: row[12], providerReference: row[13],
                  failureReason: row[14], reversedAmount: try row.int(15), createdAt: try row.timestamp(16), updatedAt: try row.timestamp(17))
    }
}

extension PayoutAccountRecord: PGRecord {
    static let columns = "seq, partner_id, currency, method, destination, hold_until, created_at, updated_at"

    init(row: PGRow) throws {
        let currency = try row.string(2)
        self.init(seq: try row.int(0), partnerId: try row.string(1), currency: currency.isEmpty ? nil : currency, method: try row.value(3),
                  destination: try row.string(4), holdUntil: try row.optionalTimestamp(5), createdAt: try row.timestamp(6),
                  updatedAt: try row.timestamp(7))
    }
}

extension PayoutScheduleRecord: PGRecord {
    static let columns = "partner_id, cadence, day, created_at, updated_at"

    init(row: PGRow) throws {
        self.init(partnerId: try row.string(0), cadence: try row.value(1), day: try row.optionalInt(2).map(Int.init), createdAt: try row.timestamp(3),
                  updatedAt: try row.timestamp(4))
    }
}

/// Payouts and their lines. A payout's lines move with it in single statements keyed by
/// `commission.payout_id`; the commission table's CHECK ties that link to the `processing`
/// and `paid` statuses, and the payout table's trigger holds its state machine and keeps
/// what was handed to the host unchanged.
extension PostgresTransaction: PayoutStore {
    public func payoutAccount(partnerId: String, currency: String?) throws -> PayoutAccountRecord? {
        try one("SELECT \(PayoutAccountRecord.columns) FROM payout_account WHERE partner_id = $1 AND currency = $2",
                [.text(partnerId), .text(currency ?? "")])
    }

    public func payoutAccounts(partnerId: String) throws -> [PayoutAccountRecord] {
        try all("SELECT \(PayoutAccountRecord.columns) FROM payout_account WHERE partner_id = $1 ORDER BY currency", [.text(partnerId)])
    }

    public func save(_ a: PayoutAccountRecord) throws {
        try writing {
            try query("""
                INSERT INTO payout_account (seq, partner_id, currency, method, destination, hold_until, created_at, updated_at)
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM payout_account), $1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (partner_id, currency) DO UPDATE SET method = excluded.method, destination = excluded.destination,
                    hold_until = excluded.hold_until, updated_at = excluded.updated_at
                """, [.text(a.partnerId), .text(a.currency ?? ""), .text(a.method.rawValue), .text(a.destination), .text(a.holdUntil?.rfc3339),
                      .text(a.createdAt.rfc3339), .text(a.updatedAt.rfc3339)])
        }
    }

    public func payoutSchedule(partnerId: String) throws -> PayoutScheduleRecord? {
        try one("SELECT \(PayoutScheduleRecord.columns) FROM payout_schedule WHERE partner_id = $1", [.text(partnerId)])
    }

    public func save(_ s: PayoutScheduleRecord) throws {
        let saved = try writing {
            try query("""
                INSERT INTO payout_schedule (partner_seq, partner_id, cadence, day, created_at, updated_at)
                SELECT seq, id, $1, $2, $3, $4 FROM partner WHERE id = $5
                ON CONFLICT (partner_seq) DO UPDATE SET cadence = excluded.cadence, day = excluded.day, updated_at = excluded.updated_at
                """, [.text(s.cadence.rawValue), .int(s.day.map { Int64($0) }), .text(s.createdAt.rfc3339), .text(s.updatedAt.rfc3339),
                      .text(s.partnerId)]).affected
        }
        guard saved == 1 else { throw PorticoError.notFound("partner", s.partnerId) }
    }

    public func payoutSchedules(afterPartnerSeq: Int64, limit: Int) throws -> [(partnerSeq: Int64, schedule: PayoutScheduleRecord)] {
        try query("""
            SELECT \(PayoutScheduleRecord.columns), partner_seq FROM payout_schedule
            WHERE partner_seq > $1 AND cadence != 'manual' ORDER BY partner_seq LIMIT $2
            """, [.int(afterPartnerSeq), .limit(limit)]).all.map { (try $0.int(5), try PayoutScheduleRecord(row: $0)) }
    }

    public func countPayoutSchedules() throws -> Int {
        Int(try query("SELECT count(*) FROM payout_schedule WHERE cadence != 'manual'").row(0).int(0))
    }

    public func payableBalances(partnerId: String, asOf: Timestamp) throws -> [PayableBalance] {
        try query("""
            SELECT currency, count(*), sum(amount) FROM commission
            WHERE partner_id = $1 AND status = 'pending' AND payable_at <= $2 GROUP BY currency ORDER BY currency
            """, [.text(partnerId), .text(asOf.rfc3339)]).all.map { PayableBalance(currency: try $0.string(0), net: try $0.sum(2), count: try $0.int(1)) }
    }

    public func insert(_ p: inout PayoutRecord) throws -> PayableBalance {
        let seq = try writing {
            try query("""
                INSERT INTO payout (\(PayoutRecord.columns))
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM payout), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                RETURNING seq
                """, [.text(p.id), .text(p.partnerId), .int(p.amount.amount), .text(p.currency), .int(p.lineCount), .text(p.status.rawValue),
                      .text(p.method.rawValue), .text(p.destination), .text(p.period), .text(p.asOf.rfc3339), .text(p.holdUntil?.rfc3339),
                      .text(p.instruction), .text(p.providerReference), .text(p.failureReason), .int(p.reversedAmount), .text(p.createdAt.rfc3339),
                      .text(p.updatedAt.rfc3339)]).row(0).int(0)
        }
        p.seq = seq
        let moved = try writing {
            try query("""
                WITH moved AS (
                    UPDATE commission SET status = 'processing', payout_id = $1, updated_at = $2
                    WHERE partner_id = $3 AND status = 'pending' AND payable_at <= $4 AND currency = $5
                    RETURNING amount)
                SELECT count(*), sum(amount) FROM moved
                """, [.text(p.id), .text(p.updatedAt.rfc3339), .text(p.partnerId), .text(p.asOf.rfc3339), .text(p.currency)]).row(0)
        }
        return PayableBalance(currency: p.currency, net: try moved.sum(1), count: try moved.int(0))
    }

    public func payout(id: String) throws -> PayoutRecord? {
        try one("SELECT \(PayoutRecord.columns) FROM payout WHERE id = $1", [.text(id)])
    }

    public func payoutExists(partnerId: String, currency: String, period: String) throws -> Bool {
        try query("SELECT 1 FROM payout WHERE partner_id = $1 AND currency = $2 AND period = $3", [.text(partnerId), .text(currency), .text(period)])
            .count > 0
    }

    public func update(_ p: PayoutRecord, expected: PayoutStatus) throws -> Bool {
        try writing {
            try query("""
                UPDATE payout SET status = $1, instruction = $2, provider_reference = $3, failure_reason = $4, reversed_amount = $5, updated_at = $6
                WHERE id = $7 AND status = $8
                """, [.text(p.status.rawValue), .text(p.instruction), .text(p.providerReference), .text(p.failureReason), .int(p.reversedAmount),
                      .text(p.updatedAt.rfc3339), .text(p.id), .text(expected.rawValue)]).affected == 1
        }
    }

    public func movePayoutLines(payoutId: String, from: CommissionStatus, to: CommissionStatus, updatedAt: Timestamp) throws -> Int64 {
        try writing {
            Int64(try query("UPDATE commission SET status = $1, updated_at = $2 WHERE payout_id = $3 AND status = $4",
                            [.text(to.rawValue), .text(updatedAt.rfc3339), .text(payoutId), .text(from.rawValue)]).affected)
        }
    }

    public func releasePayoutLines(payoutId: String, updatedAt: Timestamp) throws -> PayableBalance {
        try writing {
            try query("""
                INSERT INTO payout_released_line (payout_id, commission_seq, amount) SELECT payout_id, seq, amount FROM commission WHERE payout_id = $1
                """, [.text(payoutId)])
            let r = try query("""
                WITH released AS (
                    UPDATE commission SET status = 'pending', payout_id = NULL, updated_at = $1 WHERE payout_id = $2 RETURNING amount, currency)
                SELECT count(*), sum(amount), max(currency) FROM released
                """, [.text(updatedAt.rfc3339), .text(payoutId)]).row(0)
            return PayableBalance(currency: r[2] ?? "", net: try r.sum(1), count: try r.int(0))
        }
    }

    public func payouts(_ f: PayoutFilter, afterSeq: Int64, limit: Int) throws -> [PayoutRecord] {
        let w = Self.payoutsWhere(f, Filter("seq > $1", [.int(afterSeq)]))
        return try all("SELECT \(PayoutRecord.columns) FROM payout WHERE \(w.sql) ORDER BY seq LIMIT \(w.next)", w.params + [.limit(limit)])
    }

    public func payoutCount(_ f: PayoutFilter) throws -> Int {
        let w = Self.payoutsWhere(f, Filter("true", []))
        return Int(try query("SELECT count(*) FROM payout WHERE \(w.sql)", w.params).row(0).int(0))
    }

    static func payoutsWhere(_ f: PayoutFilter, _ base: Filter) -> Filter {
        var w = base
        if let partnerId = f.partnerId { w.and("partner_id", .text(partnerId)) }
        if let status = f.status { w.and("status", .text(status.rawValue)) }
        if f.range != .all {
            w.params += [.text(f.range.firstText), .text(f.range.lastText)]
            w.sql += " AND created_at >= $\(w.params.count - 1) AND created_at <= $\(w.params.count)"
        }
        return w
    }

    /// Live lines are the entries naming the payout; released ones its copies, joined to
    /// the entries for everything but the amount (an entry released may have shrunk since).
    static func lineSource(released: Bool) -> (from: String, condition: String, amount: String) {
        released
            ? ("payout_released_line l JOIN commission c ON c.seq = l.commission_seq", "l.payout_id = $1", "l.amount")
            : ("commission c", "c.payout_id = $1", "c.amount")
    }

    public func statementLines(payoutId: String, released: Bool, afterSeq: Int64, limit: Int) throws -> [StatementLine] {
        let (from, condition, amount) = Self.lineSource(released: released)
        return try query("""
            SELECT \(CommissionRecord.qualifiedColumns("c", amount: amount)), s.customer_id, s.plan FROM \(from) LEFT JOIN sale s ON s.id = c.sale_id
            WHERE \(condition) AND c.seq > $2 ORDER BY c.seq LIMIT $3
            """, [.text(payoutId), .int(afterSeq), .limit(limit)]).all.map { row in
            let c = try CommissionRecord(row: row)
            return StatementLine(seq: c.seq, commission: c, customerId: row[20], plan: row[21])
        }
    }

    public func statementTotals(payoutId: String, released: Bool) throws -> [(kind: CommissionKind, count: Int64, amount: Int128)] {
        let (from, condition, amount) = Self.lineSource(released: released)
        return try query("SELECT c.kind, count(*), sum(\(amount)) FROM \(from) WHERE \(condition) GROUP BY c.kind ORDER BY c.kind", [.text(payoutId)])
            .all.map { (kind: try $0.value(0), count: try $0.int(1), amount: try $0.sum(2)) }
    }

    public func providerEvent(provider: String, eventId: String) throws -> ProviderEventRecord? {
        try query("""
            SELECT provider, event_id, type, payout_id, result, received_at, created_at FROM provider_event WHERE provider = $1 AND event_id = $2
            """, [.text(provider), .text(eventId)]).first.map { row in
            ProviderEventRecord(provider: try row.string(0), eventId: try row.string(1), type: try row.string(2), payoutId: row[3],
                                result: try JSONReader.parse(try row.string(4)), receivedAt: try row.timestamp(5), createdAt: try row.timestamp(6))
        }
    }

    public func insert(_ e: ProviderEventRecord) throws {
        var text: [UInt8] = []
        JSONWriter.write(e.result, into: &text)
        try writing {
            try query("""
                INSERT INTO provider_event (provider, event_id, type, payout_id, result, received_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [.text(e.provider), .text(e.eventId), .text(e.type), .text(e.payoutId), .text(String(decoding: text, as: UTF8.self)),
                      .text(e.receivedAt.rfc3339), .text(e.createdAt.rfc3339)])
        }
    }
}
