import PorticoCore

extension UsageEventRecord: PGRecord {
    static let columns = "partner_id, event_id, customer_id, meter, units, scale, occurred_at, recorded_at"

    init(row: PGRow) throws {
        self.init(partnerId: try row.string(0), eventId: try row.string(1), customerId: try row.string(2), meter: try row.string(3),
                  units: try row.int(4), scale: Int(try row.int(5)), occurredAt: try row.timestamp(6), recordedAt: try row.timestamp(7))
    }
}

extension PostgresTransaction: UsageStore {
    /// Each event inserted unless its id was stored before (then read back for the caller
    /// to compare); the daily totals move once per customer, meter, day and scale of the
    /// list, in the same transaction (see `UsageTotals` for the bound).
    public func insertUsageEvents(_ events: [UsageEventRecord]) throws -> [Int: UsageEventRecord] {
        struct Day: Hashable { let partner: String, customer: String, meter: String, day: String, scale: Int }
        var earlier: [Int: UsageEventRecord] = [:]
        var order: [Day] = []
        var totals: [Day: (units: Int128, events: Int64)] = [:]
        for (k, e) in events.enumerated() {
            let at = e.occurredAt.rfc3339
            let inserted = try writing {
                try query("""
                    INSERT INTO usage_event (\(UsageEventRecord.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
                    """, [.text(e.partnerId), .text(e.eventId), .text(e.customerId), .text(e.meter), .int(e.units), .int(Int64(e.scale)), .text(at),
                          .text(e.recordedAt.rfc3339)]).affected
            }
            guard inserted == 1 else {
                earlier[k] = try usageEvent(partnerId: e.partnerId, eventId: e.eventId)
                continue
            }
            let key = Day(partner: e.partnerId, customer: e.customerId, meter: e.meter, day: String(at.prefix(10)), scale: e.scale)
            if totals[key] == nil { order.append(key) }
            totals[key, default: (0, 0)].units += Int128(e.units)
            totals[key, default: (0, 0)].events += 1
        }
        for key in order {
            let total = totals[key]!
            guard total.units <= Int128(UsageTotals.bound) else {
                throw PorticoError.totalLimit(UsageTotals.what, limit: UsageTotals.bound, unit: UsageTotals.unit)
            }
            try writing {
                try query("""
                    INSERT INTO usage_total VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (partner_id, customer_id, meter, day, scale) DO UPDATE
                    SET units = usage_total.units + excluded.units, events = usage_total.events + excluded.events
                    """, [.text(key.partner), .text(key.customer), .text(key.meter), .text(key.day), .int(Int64(key.scale)),
                          .int(Int64(total.units)), .int(total.events)])
            }
        }
        return earlier
    }

    public func usageEvent(partnerId: String, eventId: String) throws -> UsageEventRecord? {
        try one("SELECT \(UsageEventRecord.columns) FROM usage_event WHERE partner_id = $1 AND event_id = $2", [.text(partnerId), .text(eventId)])
    }

    public func openUsagePeriod(_ key: UsagePeriodKey) throws -> Bool {
        let opened = try writing {
            try query("INSERT INTO usage_period (partner_id, customer_id, month) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                      [.text(key.partnerId), .text(key.customerId), .text(key.month)]).affected
        }
        if opened == 1 { return false }
        return try query("SELECT closed_at IS NOT NULL FROM usage_period WHERE partner_id = $1 AND customer_id = $2 AND month = $3",
                         [.text(key.partnerId), .text(key.customerId), .text(key.month)]).first?.bool(0) ?? false
    }

    public func usageTotals(partnerId: String, customerId: String?, meter: String?, days: TimeRange, groupBy: UsageGrouping, offset: Int64,
                            limit: Int) throws -> [UsageTotalRow]
    {
        let key: String
        switch groupBy {
        case .day: key = "day"
        case .customer: key = "customer_id"
        case .meter: key = "''"
        }
        return try query("""
            SELECT \(key) AS k, meter, scale, sum(events)::bigint, sum(units) FROM usage_total
            WHERE partner_id = $1 AND day >= $2 AND day <= $3 AND ($4::text IS NULL OR customer_id = $4) AND ($5::text IS NULL OR meter = $5)
            GROUP BY k, meter, scale ORDER BY k, meter, scale LIMIT $6 OFFSET $7
            """, [.text(partnerId), .text(days.firstDay), .text(days.lastDay), .text(customerId), .text(meter), .limit(limit), .int(offset)]).all.map {
            UsageTotalRow(key: try $0.string(0), meter: try $0.string(1), scale: Int(try $0.int(2)), units: try $0.sum(4), events: try $0.int(3))
        }
    }

    public func openUsagePeriods(before month: String, after: UsagePeriodKey?, limit: Int) throws -> [UsagePeriodKey] {
        try query("""
            SELECT month, partner_id, customer_id FROM usage_period
            WHERE closed_at IS NULL AND month < $1 AND (month, partner_id, customer_id) > ($2, $3, $4)
            ORDER BY month, partner_id, customer_id LIMIT $5
            """, [.text(month), .text(after?.month ?? ""), .text(after?.partnerId ?? ""), .text(after?.customerId ?? ""), .limit(limit)]).all.map {
            UsagePeriodKey(month: try $0.string(0), partnerId: try $0.string(1), customerId: try $0.string(2))
        }
    }

    public func countOpenUsagePeriods(before month: String) throws -> Int {
        Int(try query("SELECT count(*) FROM usage_period WHERE closed_at IS NULL AND month < $1", [.text(month)]).row(0).int(0))
    }

    public func usagePeriodTotals(_ key: UsagePeriodKey) throws -> [UsageTotalRow] {
        try query("""
            SELECT meter, scale, sum(events)::bigint, sum(units) FROM usage_total
            WHERE partner_id = $1 AND customer_id = $2 AND day >= $3 AND day <= $4
            GROUP BY meter, scale ORDER BY meter, scale
            """, [.text(key.partnerId), .text(key.customerId), .text(key.month + "-01"), .text(key.month + "-31")]).all.map {
            UsageTotalRow(key: "", meter: try $0.string(0), scale: Int(try $0.int(1)), units: try $0.sum(3), events: try $0.int(2))
        }
    }

    public func closeUsagePeriod(_ key: UsagePeriodKey, saleId: String?, at: Timestamp) throws -> Bool {
        try writing {
            try query("""
                UPDATE usage_period SET closed_at = $1, sale_id = $2 WHERE partner_id = $3 AND customer_id = $4 AND month = $5 AND closed_at IS NULL
                """, [.text(at.rfc3339), .text(saleId), .text(key.partnerId), .text(key.customerId), .text(key.month)]).affected == 1
        }
    }
}
