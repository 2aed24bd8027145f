import GRDB
import PorticoCore

extension Sums {
    /// A sum grouped once and summed again (a customer's, then every customer's): the
    /// inner sum of `expression` under `name`, in `width` columns.
    func inner(_ expression: String, as name: String) -> String {
        split ? "SUM((\(expression)) >> 32) AS \(name)_h, SUM((\(expression)) & 4294967295) AS \(name)_l" : "SUM(\(expression)) AS \(name)"
    }

    /// The outer sum of an inner one.
    func outer(_ name: String) -> String { split ? "SUM(\(name)_h), SUM(\(name)_l)" : "SUM(\(name))" }

    /// Whether an inner sum of terms that are never negative is above zero.
    func positive(_ name: String) -> String { split ? "(\(name)_h > 0 OR \(name)_l > 0)" : "\(name) > 0" }
}

extension SQLiteTransaction: AnalyticsStore {
    /// `AND column = ?` and its argument when `value` is given.
    private func optional(_ column: String, _ value: (any DatabaseValueConvertible)?, _ args: inout [(any DatabaseValueConvertible)?]) -> String {
        guard let value else { return "" }
        args.append(value)
        return " AND \(column) = ?"
    }

    /// A range of whole UTC days reads the running totals (a row per day, currency and
    /// kind, whatever the ledger's size); any other range the ledger.
    public func salesByDay(partnerId: String, currency: String?, range: TimeRange) throws -> [DailySales] {
        var args: [(any DatabaseValueConvertible)?] = [try ref(.partner, partnerId)]
        let byCurrency = optional("currency", currency, &args)
        let whole = range.isWholeDays
        args += whole ? [range.firstDay, range.lastDay] : [range.firstMillis, range.lastMillis]
        let sql = whole ? { (sums: Sums) in """
            SELECT day, currency, kind, SUM(count), \(sums.sql("amount")), \(sums.sql("refunded")) FROM sale_total
            WHERE partnerSeq = ?\(byCurrency) AND day >= ? AND day <= ?
            GROUP BY day, currency, kind ORDER BY day, currency, kind
            """ } : { (sums: Sums) in """
            SELECT \(LedgerTime.day("occurredAt")) AS d, currency, kind, COUNT(*), \(sums.sql("amount")), \(sums.sql("refunded")) FROM sale
            WHERE partnerSeq = ?\(byCurrency) AND occurredAt >= ? AND occurredAt <= ?
            GROUP BY d, currency, kind ORDER BY d, currency, kind
            """ }
        return try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: sql(sums)), arguments: StatementArguments(args)) {
                DailySales(day: $0[0], currency: $0[1], kind: $0[2], count: $0[3], amount: sums.value($0, 4), refunded: sums.value($0, 4 + sums.width))
            }
        }
    }

    /// Whole UTC days from `commission_rollup` (the days with standing entries), any other
    /// range from the ledger.
    public func commissionsByDay(partnerId: String, currency: String?, range: TimeRange) throws -> [DailyCommissions] {
        var args: [(any DatabaseValueConvertible)?] = [try ref(.partner, partnerId)]
        let byCurrency = optional("currency", currency, &args)
        let whole = range.isWholeDays
        args += whole ? [range.firstDay, range.lastDay] : [range.firstMillis, range.lastMillis]
        let standing = "status != 'cancelled' AND status != 'reversed'"
        let sql = whole ? { (sums: Sums) in """
            SELECT day, currency, \(sums.sql("amount")), \(sums.sql("CASE WHEN status = 'paid' THEN amount ELSE 0 END")) FROM commission_rollup
            WHERE partnerSeq = ?\(byCurrency) AND day >= ? AND day <= ? AND \(standing)
            GROUP BY day, currency HAVING SUM(count) > 0 ORDER BY day, currency
            """ } : { (sums: Sums) in """
            SELECT \(LedgerTime.day("occurredAt")) AS d, currency, \(sums.sql("amount")),
                   \(sums.sql("CASE WHEN status = 'paid' THEN amount ELSE 0 END")) FROM commission
            WHERE partnerSeq = ?\(byCurrency) AND occurredAt >= ? AND occurredAt <= ? AND \(standing)
            GROUP BY d, currency ORDER BY d, currency
            """ }
        return try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: sql(sums)), arguments: StatementArguments(args)) {
                DailyCommissions(day: $0[0], currency: $0[1], earned: sums.value($0, 2), paid: sums.value($0, 2 + sums.width))
            }
        }
    }

    public func customersByDay(partnerId: String, range: TimeRange) throws -> [(day: String, count: Int64)] {
        try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT substr(createdAt, 1, 10) AS d, COUNT(*) FROM customer WHERE partnerId = ? AND createdAt >= ? AND createdAt <= ?
            GROUP BY d ORDER BY d
            """), arguments: [partnerId, range.firstText, range.lastText]) { (day: $0[0] as String, count: $0[1] as Int64) }
    }

    public func subscriptionSpans(partnerId: String, currency: String?, range: TimeRange) throws -> [SubscriptionSpan] {
        var args: [(any DatabaseValueConvertible)?] = [partnerId]
        let byCurrency = optional("currency", currency, &args)
        args += [range.lastText, range.firstText]
        return try Columns.fetchAll(db.cachedStatement(sql: """
            SELECT currency, interval, amount, startAt, endedAt FROM subscription
            WHERE partnerId = ?\(byCurrency) AND startAt <= ? AND (endedAt IS NULL OR endedAt >= ?) ORDER BY seq
            """), arguments: StatementArguments(args)) {
            SubscriptionSpan(currency: $0[0], interval: try $0.value(1), amount: $0[2], startAt: try $0.timestamp(3),
                             endedAt: try $0.optionalTimestamp(4))
        }
    }

    /// Ranges of whole UTC days read the customers' running totals, others the ledger.
    public func retention(partnerId: String, currency: String?, before: TimeRange, after: TimeRange) throws -> [RetentionTotals] {
        if before.isEmpty || after.isEmpty { return [] }
        let whole = before.isWholeDays && after.isWholeDays
        let (table, time) = whole ? ("sale_customer_total", "day") : ("sale", "occurredAt")
        func bounds(_ r: TimeRange) -> [(any DatabaseValueConvertible)?] { whole ? [r.firstDay, r.lastDay] : [r.firstMillis, r.lastMillis] }
        var args = bounds(before) + bounds(after) + [try ref(.partner, partnerId)]
        let byCurrency = optional("currency", currency, &args)
        let span = TimeRange(first: min(before.first, after.first), last: max(before.last, after.last))
        args += bounds(span)
        let net = "amount - refunded"
        return try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT currency, COUNT(*), \(sums.outer("b")), \(sums.outer("a")) FROM (
                    SELECT currency, \(sums.inner("CASE WHEN \(time) >= ? AND \(time) <= ? THEN \(net) ELSE 0 END", as: "b")),
                           \(sums.inner("CASE WHEN \(time) >= ? AND \(time) <= ? THEN \(net) ELSE 0 END", as: "a"))
                    FROM \(table) WHERE partnerSeq = ?\(byCurrency) AND \(time) >= ? AND \(time) <= ?
                    GROUP BY customerSeq, currency HAVING \(sums.positive("b")))
                GROUP BY currency ORDER BY currency
                """), arguments: StatementArguments(sums.split ? Self.splitArguments(args) : args)) {
                RetentionTotals(currency: $0[0], customers: $0[1], before: sums.value($0, 2), after: sums.value($0, 2 + sums.width))
            }
        }
    }

    /// The retention query's arguments when each inner sum is written twice (split).
    private static func splitArguments(_ args: [(any DatabaseValueConvertible)?]) -> [(any DatabaseValueConvertible)?] {
        [args[0], args[1], args[0], args[1], args[2], args[3], args[2], args[3]] + args[4...]
    }

    /// The FROM and WHERE of a ranking over `table` (`sale` or `commission`): its group's
    /// rows in one currency and range, keyed by partner or reseller (`key`, a number of a
    /// row of `keyTable`).
    private func ranking(_ table: String, _ group: RankingGroup, currency: String, range: TimeRange) throws
        -> (key: String, keyTable: RowRef, from: String, args: [(any DatabaseValueConvertible)?])
    {
        switch group {
        case .partners(let region, let tier):
            // The join's arguments come first, as its placeholders do.
            var args: [(any DatabaseValueConvertible)?] = []
            var join = ""
            if region != nil || tier != nil {
                join = " JOIN partner p ON p.seq = t.partnerSeq" + optional("p.region", region, &args) + optional("p.tier", tier, &args)
            }
            args += [currency, range.firstMillis, range.lastMillis]
            return ("t.partnerSeq", .partner,
                    "\(table) t\(join) WHERE t.currency = ? AND t.occurredAt >= ? AND t.occurredAt <= ?", args)
        case .resellers(let partnerId):
            return ("t.resellerSeq", .reseller,
                    "\(table) t WHERE t.partnerSeq = ? AND t.currency = ? AND t.occurredAt >= ? AND t.occurredAt <= ? AND t.resellerSeq IS NOT NULL",
                    [try ref(.partner, partnerId), currency, range.firstMillis, range.lastMillis])
        }
    }

    /// The rows of `table` (aliased `t`) in the calendar blocks of a range (TimeRange.
    /// calendarBlocks: digits and dashes): its FROM and condition, each with its arguments.
    /// One block is read in its key's order (so grouping by the key's next columns needs no
    /// sort); several by a seek each, the blocks given as one JSON array.
    private static func inBlocks(_ table: String, _ blocks: [String])
        -> (from: String, fromArgs: [(any DatabaseValueConvertible)?], condition: String, conditionArgs: [(any DatabaseValueConvertible)?])
    {
        if blocks.count == 1 {
            let level = blocks[0].count == 4 ? "y" : blocks[0].count == 7 ? "m" : "d"
            return ("\(table) t", [], "t.level = ? AND t.period = ?", [level, blocks[0]])
        }
        return ("json_each(?) b CROSS JOIN \(table) t", ["[" + blocks.map { "\"\($0)\"" }.joined(separator: ",") + "]"],
                "t.level = CASE length(b.value) WHEN 4 THEN 'y' WHEN 7 THEN 'm' ELSE 'd' END AND t.period = b.value", [])
    }

    /// The partners' figures of a range of whole days from `period_total` (its whole years,
    /// months and days, each a seek), summed per partner.
    private func periodRanking(_ columns: String, having: String, region: String?, tier: String?, currency: String, blocks: [String])
        -> (sql: String, args: [(any DatabaseValueConvertible)?])
    {
        // The arguments in the placeholders' order: the blocks' FROM, the join's, the
        // blocks' condition, the currency.
        let blocks = Self.inBlocks("period_total", blocks)
        var args = blocks.fromArgs
        var join = ""
        if region != nil || tier != nil {
            join = " JOIN partner p ON p.seq = t.partnerSeq" + optional("p.region", region, &args) + optional("p.tier", tier, &args)
        }
        args += blocks.conditionArgs + [currency]
        return ("""
            SELECT t.partnerSeq, \(columns) FROM \(blocks.from)\(join)
            WHERE \(blocks.condition) AND t.currency = ?
            GROUP BY t.partnerSeq HAVING \(having)
            """, args)
    }

    /// Figures by row number as figures by the rows' ids (each looked up once for the store,
    /// `RowIds`: a ranking of every partner names thousands).
    private func byId<T>(_ table: RowRef, _ rows: [(Int64, T)]) throws -> [String: T] {
        var ids = try RowIds(table, self)
        return Dictionary(uniqueKeysWithValues: try rows.map { (try ids.string($0.0), $0.1) })
    }

    /// Partners over whole days from `period_total` (without customers, which it cannot
    /// count); anything else from the ledger.
    public func rankedSales(_ group: RankingGroup, currency: String, range: TimeRange, customers: Bool) throws -> [String: RankedSales] {
        if case .partners(let region, let tier) = group, !customers, let blocks = range.calendarBlocks {
            try foldBeforeReading()
            let rows = try Sums.exact { sums in
                let (sql, args) = periodRanking("SUM(t.sales), \(sums.sql("t.amount - t.refunded"))", having: "SUM(t.sales) > 0",
                                                region: region, tier: tier, currency: currency, blocks: blocks)
                return try Columns.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args)) {
                    ($0[0] as Int64, RankedSales(count: $0[1], net: sums.value($0, 2), customers: 0))
                }
            }
            return try byId(.partner, rows)
        }
        let (key, keyTable, from, args) = try ranking("sale", group, currency: currency, range: range)
        let distinct = customers ? "COUNT(DISTINCT t.customerSeq)" : "0"
        let rows = try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT \(key), COUNT(*), \(distinct), \(sums.sql("t.amount - t.refunded")) FROM \(from) GROUP BY \(key)
                """), arguments: StatementArguments(args)) {
                ($0[0] as Int64, RankedSales(count: $0[1], net: sums.value($0, 3), customers: $0[2]))
            }
        }
        return try byId(keyTable, rows)
    }

    /// A partner's customers over whole days from its customers' running totals, anything
    /// else from the ledger.
    public func rankedCustomers(_ group: RankingGroup, member id: String, currency: String, range: TimeRange) throws -> Int64 {
        if range.isEmpty { return 0 }
        let (sql, args): (String, [(any DatabaseValueConvertible)?])
        switch group {
        case .partners where range.isWholeDays:
            (sql, args) = ("""
                SELECT COUNT(DISTINCT customerSeq) FROM sale_customer_total WHERE partnerSeq = ? AND day >= ? AND day <= ? AND currency = ?
                """, [try ref(.partner, id), range.firstDay, range.lastDay, currency])
        case .partners:
            (sql, args) = ("""
                SELECT COUNT(DISTINCT customerSeq) FROM sale INDEXED BY sale_by_partner_time
                WHERE partnerSeq = ? AND currency = ? AND occurredAt >= ? AND occurredAt <= ?
                """, [try ref(.partner, id), currency, range.firstMillis, range.lastMillis])
        case .resellers(let partnerId):
            (sql, args) = ("""
                SELECT COUNT(DISTINCT customerSeq) FROM sale INDEXED BY sale_by_reseller_time
                WHERE resellerSeq = ? AND currency = ? AND occurredAt >= ? AND occurredAt <= ? AND partnerSeq = ?
                """, [try ref(.reseller, id), currency, range.firstMillis, range.lastMillis, try ref(.partner, partnerId)])
        }
        return try Int64.fetchOne(db.cachedStatement(sql: sql), arguments: StatementArguments(args)) ?? 0
    }

    public func rankedCommissions(_ group: RankingGroup, currency: String, range: TimeRange) throws
        -> [String: (count: Int64, amount: Int128)]
    {
        if case .partners(let region, let tier) = group, let blocks = range.calendarBlocks {
            try foldBeforeReading()
            let rows = try Sums.exact { sums in
                let (sql, args) = periodRanking("SUM(t.commissions), \(sums.sql("t.earned"))", having: "SUM(t.commissions) > 0",
                                                region: region, tier: tier, currency: currency, blocks: blocks)
                return try Columns.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args)) {
                    ($0[0] as Int64, (count: $0[1] as Int64, amount: sums.value($0, 2)))
                }
            }
            return try byId(.partner, rows)
        }
        let (key, keyTable, from, args) = try ranking("commission", group, currency: currency, range: range)
        let rows = try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT \(key), COUNT(*), \(sums.sql("t.amount")) FROM \(from) AND t.status != 'cancelled' AND t.status != 'reversed'
                GROUP BY \(key)
                """), arguments: StatementArguments(args)) { ($0[0] as Int64, (count: $0[1] as Int64, amount: sums.value($0, 2))) }
        }
        return try byId(keyTable, rows)
    }

    /// Whole days from the customers' totals by year, month and day, any other range from
    /// the ledger.
    public func salesByCountry(partnerId: String?, currency: String?, range: TimeRange) throws -> [CountrySales] {
        if let blocks = range.calendarBlocks {
            try foldBeforeReading()
            let (from, fromArgs, condition, conditionArgs) = Self.inBlocks("customer_period_total", blocks)
            var args = fromArgs + conditionArgs
            var conditions = optional("t.currency", currency, &args)
            conditions += optional("t.partnerSeq", try ref(.partner, ifAny: partnerId), &args)
            // A block holds a customer once per currency (its key), so a range of one block
            // counts its rows; over several a customer may be in more than one.
            let customers = blocks.count == 1 ? "COUNT(*)" : "COUNT(DISTINCT t.customerSeq)"
            return try Sums.exact { sums in
                try Columns.fetchAll(db.cachedStatement(sql: """
                    SELECT t.country, t.currency, SUM(t.count), \(customers), \(sums.sql("t.amount")), \(sums.sql("t.refunded"))
                    FROM \(from) WHERE \(condition)\(conditions)
                    GROUP BY t.currency, t.country
                    """), arguments: StatementArguments(args)) {
                    CountrySales(country: $0[0], currency: $0[1], count: $0[2], customers: $0[3], amount: sums.value($0, 4),
                                 refunded: sums.value($0, 4 + sums.width))
                }
            }
        }
        var args: [(any DatabaseValueConvertible)?] = []
        var conditions = optional("s.partnerSeq", try ref(.partner, ifAny: partnerId), &args)
        conditions += optional("s.currency", currency, &args)
        args += [range.firstMillis, range.lastMillis]
        return try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT c.country, s.currency, COUNT(*), COUNT(DISTINCT s.customerSeq), \(sums.sql("s.amount")), \(sums.sql("s.refunded"))
                FROM sale s JOIN customer c ON c.seq = s.customerSeq
                WHERE 1\(conditions) AND s.occurredAt >= ? AND s.occurredAt <= ?
                GROUP BY c.country, s.currency ORDER BY c.country, s.currency
                """), arguments: StatementArguments(args)) {
                CountrySales(country: $0[0], currency: $0[1], count: $0[2], customers: $0[3], amount: sums.value($0, 4),
                             refunded: sums.value($0, 4 + sums.width))
            }
        }
    }

    public func partnerCounts() throws -> [(status: String, tier: String, count: Int64)] {
        try Columns.fetchAll(db.cachedStatement(sql: "SELECT status, tier, COUNT(*) FROM partner GROUP BY status, tier")) {
            (status: $0[0] as String, tier: $0[1] as String, count: $0[2] as Int64)
        }
    }

    public func platformTotals(now: Timestamp) throws -> [CurrencyOverview] {
        try foldBeforeReading()
        var out: [String: CurrencyOverview] = [:]
        // Net sales from the partners' totals by calendar year.
        for r in try Sums.exact({ sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT currency, SUM(sales), \(sums.sql("amount - refunded")) FROM period_total WHERE level = 'y' GROUP BY currency
                """)) { (currency: $0[0] as String, count: $0[1] as Int64, amount: sums.value($0, 2)) }
        }) {
            out[r.currency, default: CurrencyOverview(currency: r.currency)].salesCount = r.count
            out[r.currency]!.netSales = r.amount
        }
        // Commissions by status from the platform's totals, pending split at today (as the
        // partner's summary splits it), then the entries whose hold ended earlier today
        // (only on a day some end).
        let today = String(now.rfc3339.prefix(10))
        let rows = try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT currency, status, \(sums.sql("CASE WHEN status = 'pending' AND payableDay < ? THEN amount ELSE 0 END")),
                       \(sums.sql("CASE WHEN status = 'pending' AND payableDay < ? THEN 0 ELSE amount END"))
                FROM commission_status_total GROUP BY currency, status
                """), arguments: StatementArguments(Array(repeating: today, count: 2 * sums.width))) {
                (currency: $0[0] as String, status: $0[1] as String, due: sums.value($0, 2), rest: sums.value($0, 2 + sums.width))
            }
        }
        for r in rows {
            out[r.currency, default: CurrencyOverview(currency: r.currency)].commissions["payable", default: 0] += r.due
            out[r.currency]!.commissions[r.status, default: 0] += r.rest
        }
        let endingToday = try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM commission_status_total WHERE status = 'pending' AND payableDay = ? AND count > 0)
            """), arguments: [today]) ?? false
        // From the entries listed by the instant their hold ends; from the ledger, a seek
        // per partner, should today's be trimmed from that list (a clock set back).
        let listed = try String.fetchOne(db.cachedStatement(sql: "SELECT day FROM commission_hold_end_mark")).map { $0 <= today } ?? false
        let endedToday = !endingToday ? [] : try Sums.exact { sums in
            try Columns.fetchAll(db.cachedStatement(sql: listed ? """
                SELECT c.currency, \(sums.sql("c.amount")) FROM commission_hold_end h JOIN commission c ON c.seq = h.seq
                WHERE h.payableAt >= ? AND h.payableAt <= ? AND c.status = 'pending' GROUP BY c.currency
                """ : """
                SELECT c.currency, \(sums.sql("c.amount")) FROM partner p JOIN commission c INDEXED BY commission_due
                ON c.partnerSeq = p.seq AND c.status = 'pending' AND c.payableAt >= ? AND c.payableAt <= ? GROUP BY c.currency
                """), arguments: [now.startOfDay.millisecondsSinceEpoch, now.millisecondsSinceEpoch]) {
                (currency: $0[0] as String, amount: sums.value($0, 1))
            }
        }
        for r in endedToday {
            out[r.currency, default: CurrencyOverview(currency: r.currency)].commissions["payable", default: 0] += r.amount
            out[r.currency]!.commissions["pending", default: 0] -= r.amount
        }
        for r in try Sums.exact({ sums in
            try Columns.fetchAll(db.cachedStatement(sql: """
                SELECT currency, COUNT(*), \(sums.sql("amount")) FROM payout WHERE status = 'created' OR status = 'processing' GROUP BY currency
                """)) { (currency: $0[0] as String, count: $0[1] as Int64, amount: sums.value($0, 2)) }
        }) {
            out[r.currency, default: CurrencyOverview(currency: r.currency)].payoutsInFlight = r.count
            out[r.currency]!.payoutsInFlightAmount = r.amount
        }
        return out.keys.sorted().map { out[$0]! }
    }
}
