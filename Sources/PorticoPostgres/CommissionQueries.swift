import Foundation
import PorticoCore

extension CommissionRecord: PGRecord {
    static let columns = """
        seq, id, partner_id, beneficiary, reseller_id, sale_id, kind, amount, original_amount, currency, status, payable_at, occurred_at, \
        rule_id, rules_hash, basis, reason, payout_id, created_at, updated_at
        """

    /// The columns read from the table named `t` in a query, the amount as `amount` reads
    /// it (the entry's own unless given).
    static func qualifiedColumns(_ t: String, amount: String? = nil) -> String {
        columns.split(separator: ",").map { c in
            let name = c.trimmingCharacters(in: .whitespacesAndNewlines.union(["\\"]))
            return name == "amount" ? (amount ?? "\(t).amount") : "\(t).\(name)"
        }.joined(separator: ", ")
    }

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), beneficiary: try row.value(3), resellerId: row[4],
                  saleId: row[5], kind: try row.value(6), amount: try row.money(7, currency: 9), originalAmount: try row.money(8, currency: 9),
                  status: try row.value(10), payableAt: try row.timestamp(11), occurredAt: try row.timestamp(12), ruleId: row[13],
                  rulesHash: row[14], basis: row[15], reason: row[16], payoutId: row[17], createdAt: try row.timestamp(18),
                  updatedAt: try row.timestamp(19))
    }
}

extension CommissionFilter {
    /// The condition and its parameters (numbered from 1), evaluated at `now` for the
    /// derived statuses.
    func filter(now: Timestamp) -> Filter {
        var f = Filter("partner_id = $1", [.text(partnerId)])
        func add(_ condition: (String) -> String, _ value: PGValue) {
            f.params.append(value)
            f.sql += " AND " + condition("$\(f.params.count)")
        }
        switch status {
        case .pending?: add({ "status = 'pending' AND payable_at > \($0)" }, .text(now.rfc3339))
        case .payable?: add({ "status = 'pending' AND payable_at <= \($0)" }, .text(now.rfc3339))
        case let s?: f.and("status", .text(s.rawValue))
        case nil: break
        }
        if range != .all {
            add({ "occurred_at >= \($0)" }, .text(range.firstText))
            add({ "occurred_at <= \($0)" }, .text(range.lastText))
        }
        return f
    }
}

/// Status changes are guarded in SQL (`WHERE status = ...`), so two writers can never both
/// move the same entry; a guard that matched nothing answers false.
extension PostgresTransaction: CommissionStore {
    public func insert(_ c: inout CommissionRecord) throws {
        c.seq = try writing {
            try query("""
                INSERT INTO commission (\(CommissionRecord.columns))
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM commission), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                        $16, $17, $18, $19) RETURNING seq
                """, [.text(c.id), .text(c.partnerId), .text(c.beneficiary.rawValue), .text(c.resellerId), .text(c.saleId), .text(c.kind.rawValue),
                      .int(c.amount.amount), .int(c.originalAmount.amount), .text(c.currency), .text(c.status.rawValue), .text(c.payableAt.rfc3339),
                      .text(c.occurredAt.rfc3339), .text(c.ruleId), .text(c.rulesHash), .text(c.basis), .text(c.reason), .text(c.payoutId),
                      .text(c.createdAt.rfc3339), .text(c.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func commission(id: String) throws -> CommissionRecord? {
        try one("SELECT \(CommissionRecord.columns) FROM commission WHERE id = $1", [.text(id)])
    }

    public func commissions(saleId: String) throws -> [CommissionRecord] {
        try all("SELECT \(CommissionRecord.columns) FROM commission WHERE sale_id = $1 ORDER BY seq", [.text(saleId)])
    }

    public func changeCommission(id: String, expected: CommissionStatus, amount: Int64, status: CommissionStatus, updatedAt: Timestamp) throws -> Bool {
        try writing {
            try query("UPDATE commission SET amount = $1, status = $2, updated_at = $3 WHERE id = $4 AND status = $5",
                      [.int(amount), .text(status.rawValue), .text(updatedAt.rfc3339), .text(id), .text(expected.rawValue)]).affected == 1
        }
    }

    public func commissions(_ f: CommissionFilter, now: Timestamp, afterSeq: Int64, limit: Int) throws -> [CommissionRecord] {
        let w = f.filter(now: now)
        return try all("""
            SELECT \(CommissionRecord.columns) FROM commission WHERE \(w.sql) AND seq > \(w.next) ORDER BY seq LIMIT $\(w.params.count + 2)
            """, w.params + [.int(afterSeq), .limit(limit)])
    }

    public func commissionCount(_ f: CommissionFilter, now: Timestamp) throws -> Int {
        let w = f.filter(now: now)
        return Int(try query("SELECT count(*) FROM commission WHERE \(w.sql)", w.params).row(0).int(0))
    }

    public func commissionTotals(_ f: CommissionFilter, now: Timestamp) throws -> [ReportTotal] {
        let w = f.filter(now: now)
        return try query("""
            SELECT CASE WHEN status = 'pending' AND payable_at <= \(w.next) THEN 'payable' ELSE status END AS s, currency, count(*), sum(amount)
            FROM commission WHERE \(w.sql) GROUP BY s, currency ORDER BY s, currency
            """, w.params + [.text(now.rfc3339)]).all.map { try $0.reportTotal() }
    }

    public func earned(partnerId: String, resellerId: String?, currency: String, range: TimeRange) throws -> Int128 {
        try query("""
            SELECT sum(amount) FROM commission
            WHERE partner_id = $1 AND reseller_id IS NOT DISTINCT FROM $2 AND currency = $3 AND occurred_at >= $4 AND occurred_at <= $5
              AND status != 'cancelled' AND status != 'reversed'
            """, [.text(partnerId), .text(resellerId), .text(currency), .text(range.firstText), .text(range.lastText)]).row(0).sum(0)
    }
}
