import GRDB
import PorticoCore

extension UsageEventRecord: ColumnRecord {
    static let columns = "partnerId, eventId, customerId, meter, units, scale, occurredAt, recordedAt"

    init(row: Columns) throws {
        self.init(partnerId: row[0], eventId: row[1], customerId: row[2], meter: row[3], units: row[4], scale: row[5],
                  occurredAt: try row.timestamp(6), recordedAt: try row.timestamp(7))
    }
}

/// The statements that insert usage events: `rows` at once, failing whole (and changing
/// nothing) if any id was stored before; or one, skipping an id stored before (`ON
/// CONFLICT DO NOTHING`). Public for the benchmark's floor, which writes the same rows with
/// the same statements.
public enum UsageInsert {
    public static let rows = 50
    static func sql(rows: Int) -> String {
        "INSERT INTO usage_event (\(UsageEventRecord.columns)) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ")
    }
    public static let one = sql(rows: 1) + " ON CONFLICT DO NOTHING"
    public static let many = sql(rows: rows)
}

extension SQLiteTransaction: UsageStore {
    /// The daily totals move once per customer, meter, day and scale of the list, not once
    /// per event, in the same transaction (see `UsageTotals` for the bound).
    public func insertUsageEvents(_ events: [UsageEventRecord]) throws -> [Int: UsageEventRecord] {
        struct Day: Equatable { let partner: String, customer: String, meter: String, day: Substring, scale: Int }
        var earlier: [Int: UsageEventRecord] = [:]
        // A batch is a few customers' days: a short list searched by equality (the strings
        // are mostly the very same ones) beats hashing four strings an event.
        var totals: [(key: Day, units: Int128, events: Int64)] = []
        // A call's events share their recording time: formatted once.
        var stamp: (at: Timestamp, text: String)? = nil
        func text(_ t: Timestamp) -> String {
            if let s = stamp, s.at == t { return s.text }
            stamp = (t, t.rfc3339)
            return stamp!.text
        }
        func count(_ e: UsageEventRecord, _ at: String) {
            let key = Day(partner: e.partnerId, customer: e.customerId, meter: e.meter, day: at.prefix(10), scale: e.scale)
            if let k = totals.lastIndex(where: { $0.key == key }) {
                totals[k].units += Int128(e.units)
                totals[k].events += 1
            } else {
                totals.append((key, Int128(e.units), 1))
            }
        }
        // Written `UsageInsert.rows` to a statement, so a statement's fixed cost is paid per
        // chunk, not per event. A chunk holding an id stored before (a retried batch, or a
        // repeat inside this one) fails whole and changes nothing; it is then written one
        // event at a time, each repeat read back for the caller to compare.
        var values: [Bind] = []
        var start = 0
        while start < events.count {
            let n = min(UsageInsert.rows, events.count - start)
            let chunk = events[start..<(start + n)]
            let times = chunk.map { $0.occurredAt.rfc3339 }
            if n == UsageInsert.rows {
                values.removeAll(keepingCapacity: true)
                for (e, at) in zip(chunk, times) {
                    values += [.text(e.partnerId), .text(e.eventId), .text(e.customerId), .text(e.meter), .int(e.units),
                               .int(Int64(e.scale)), .text(at), .text(text(e.recordedAt))]
                }
                do {
                    try Bind.run(db.cachedStatement(sql: UsageInsert.many), db, values) { _ in }
                    for (e, at) in zip(chunk, times) { count(e, at) }
                    start += n
                    continue
                } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                    // A repeated id: one at a time below.
                } catch let e as DatabaseError {
                    throw Self.contractError(e) ?? e
                }
            }
            let one = try db.cachedStatement(sql: UsageInsert.one)
            for (k, (e, at)) in zip(chunk, times).enumerated() {
                let inserted = try writing {
                    try Bind.execute(one, db, .text(e.partnerId), .text(e.eventId), .text(e.customerId), .text(e.meter), .int(e.units),
                                     .int(Int64(e.scale)), .text(at), .text(text(e.recordedAt)))
                }
                if inserted == 1 { count(e, at) } else { earlier[start + k] = try usageEvent(partnerId: e.partnerId, eventId: e.eventId) }
            }
            start += n
        }
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO usage_total VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET units = units + excluded.units, events = events + excluded.events
            """)
        for total in totals {
            guard total.units <= Int128(UsageTotals.bound) else {
                throw PorticoError.totalLimit(UsageTotals.what, limit: UsageTotals.bound, unit: UsageTotals.unit)
            }
            let key = total.key
            try writing {
                try Bind.execute(upsert, db, .text(key.partner), .text(key.customer), .text(key.meter), .text(String(key.day)), .int(Int64(key.scale)),
                                 .int(Int64(total.units)), .int(total.events))
            }
        }
        return earlier
    }

    public func usageEvent(partnerId: String, eventId: String) throws -> UsageEventRecord? {
        try UsageEventRecord.fetchOne(db.cachedStatement(sql: """
            SELECT \(UsageEventRecord.columns) FROM usage_event WHERE partnerId = ? AND eventId = ?
            """), arguments: [partnerId, eventId])
    }

    public func openUsagePeriod(_ key: UsagePeriodKey) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO usage_period (partnerId, customerId, month) VALUES (?, ?, ?) ON CONFLICT DO NOTHING
                """).execute(arguments: [key.partnerId, key.customerId, key.month])
        }
        if db.changesCount == 1 { return false }
        return try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT closedAt IS NOT NULL FROM usage_period WHERE partnerId = ? AND customerId = ? AND month = ?
            """), arguments: [key.partnerId, key.customerId, key.month]) ?? false
    }

    public func usageTotals(partnerId: String, customerId: String?, meter: String?, days: TimeRange, groupBy: UsageGrouping, offset: Int64,
                            limit: Int) throws -> [UsageTotalRow]
    {
        let key: String
        switch groupBy {
        case .day: key = "day"
        case .customer: key = "customerId"
        case .meter: key = "''"
        }
        return try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT \(key) AS k, meter, scale, SUM(events), \(sums.sql("units")) FROM usage_total
                WHERE partnerId = ?1 AND day >= ?2 AND day <= ?3 AND (?4 IS NULL OR customerId = ?4) AND (?5 IS NULL OR meter = ?5)
                GROUP BY k, meter, scale ORDER BY k, meter, scale LIMIT ?6 OFFSET ?7
                """), arguments: [partnerId, days.firstDay, days.lastDay, customerId, meter, limit, offset]) { row in
                UsageTotalRow(key: row[0], meter: row[1], scale: row[2], units: sums.value(row, 4), events: row[3])
            }
        }
    }

    public func openUsagePeriods(before month: String, after: UsagePeriodKey?, limit: Int) throws -> [UsagePeriodKey] {
        try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT month, partnerId, customerId FROM usage_period INDEXED BY usage_period_open
            WHERE closedAt IS NULL AND month < ?1 AND (month, partnerId, customerId) > (?2, ?3, ?4)
            ORDER BY month, partnerId, customerId LIMIT ?5
            """), arguments: [month, after?.month ?? "", after?.partnerId ?? "", after?.customerId ?? "", limit]) {
            UsagePeriodKey(month: $0[0], partnerId: $0[1], customerId: $0[2])
        }
    }

    public func countOpenUsagePeriods(before month: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM usage_period INDEXED BY usage_period_open WHERE closedAt IS NULL AND month < ?
            """), arguments: [month]) ?? 0
    }

    public func usagePeriodTotals(_ key: UsagePeriodKey) throws -> [UsageTotalRow] {
        try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT meter, scale, SUM(events), \(sums.sql("units")) FROM usage_total
                WHERE partnerId = ? AND customerId = ? AND day >= ? AND day <= ?
                GROUP BY meter, scale ORDER BY meter, scale
                """), arguments: [key.partnerId, key.customerId, key.month + "-01", key.month + "-31"]) { row in
                UsageTotalRow(key: "", meter: row[0], scale: row[1], units: sums.value(row, 3), events: row[2])
            }
        }
    }

    public func closeUsagePeriod(_ key: UsagePeriodKey, saleId: String?, at: Timestamp) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE usage_period SET closedAt = ?, saleId = ? WHERE partnerId = ? AND customerId = ? AND month = ? AND closedAt IS NULL
                """).execute(arguments: [at.rfc3339, saleId, key.partnerId, key.customerId, key.month])
        }
        return db.changesCount == 1
    }
}
