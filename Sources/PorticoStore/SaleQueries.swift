import GRDB
import JSONRPC
import PorticoCore

extension SaleRecord: ColumnRecord {
    static let columns = columns(rulesHash: Interned.text("rulesRef"),
                                 rows: (RowRef.partner.id("partnerSeq"), RowRef.reseller.id("resellerSeq"), RowRef.customer.id("customerSeq")))

    /// The columns, the rules' hash as `rulesHash` reads it and the partner, reseller and
    /// customer as `rows` do (an export, which has no column for the hash and looks ids up
    /// itself, reads the numbers: no lookup a row).
    static func columns(rulesHash: String, rows: (partner: String, reseller: String, customer: String)) -> String {
        """
        seq, id, \(rows.partner), \(rows.reseller), \(rows.customer), externalId, plan, kind, amount, currency, refunded, occurredAt, \
        \(rulesHash), auditSeq, createdAt
        """
    }

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], partnerId: row[2], resellerId: row[3], customerId: row[4], externalId: row[5], plan: row[6],
                  kind: try row.value(7), amount: try row.money(8, currency: 9), refunded: row[10], occurredAt: try row.timestamp(11),
                  rulesHash: row[12], auditSeq: row[13], createdAt: try row.timestamp(14))
    }
}

extension SaleRecord: TextColumnRecord {
    /// Written straight from the columns (`api.sales.list`'s page): no record, no `String`
    /// per text column. `SaleRecordTextTests` holds it to `encode(to:)`'s text.
    static func encode(row: Columns, to out: inout JSONOutput) throws {
        let kind: SaleKind = try row.value(7)
        let amount = try row.money(8, currency: 9)
        try out.object { o in
            o.key("id"); row.string(1, to: &o)
            o.key("partnerId"); row.string(2, to: &o)
            o.key("resellerId"); row.optionalString(3, to: &o)
            o.key("customerId"); row.string(4, to: &o)
            o.key("externalId"); row.string(5, to: &o)
            o.key("plan"); row.string(6, to: &o)
            o.member("kind", kind.rawValue); o.member("amount", amount); o.member("refunded", Money(row[10], amount.currency))
            o.key("occurredAt"); try row.timestamp(11, to: &o)
            o.key("rulesHash"); row.string(12, to: &o)
            o.key("createdAt"); try row.timestamp(14, to: &o)
        }
    }
}

extension SQLiteTransaction: SaleStore {
    /// Bound straight through SQLite's C API (`Bind`): every sale writes one.
    public func insert(_ s: inout SaleRecord) throws {
        try writing {
            try Bind.execute(db.cachedStatement(sql: """
                INSERT INTO sale (id, partnerSeq, resellerSeq, customerSeq, externalId, plan, kind, amount, currency, refunded,
                                  occurredAt, rulesRef, auditSeq, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """), db, .text(s.id), .int(ref(.partner, s.partnerId)), try ref(.reseller, ifAny: s.resellerId).map(Bind.int) ?? .null,
                .int(ref(.customer, s.customerId)), .text(s.externalId), .text(s.plan),
                .text(s.kind.rawValue), .int(s.amount.amount), .text(s.currency), .int(s.refunded.amount),
                .int(s.occurredAt.millisecondsSinceEpoch), .int(intern(s.rulesHash)), .int(s.auditSeq), .int(s.createdAt.millisecondsSinceEpoch))
        }
        s.seq = db.lastInsertedRowID
        _ = remembered(.sale, s, seq: \.seq, id: \.id)  // its entries refer to it next
    }

    public func addRefund(saleId: String, amount: Int64) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: "UPDATE sale SET refunded = refunded + ? WHERE id = ? AND refunded + ? <= amount")
                .execute(arguments: [amount, saleId, amount])
        }
        return db.changesCount == 1
    }

    public func sale(id: String) throws -> SaleRecord? {
        try SaleRecord.fetchOne(db.cachedStatement(sql: "SELECT \(SaleRecord.columns) FROM sale WHERE id = ?"), arguments: [id])
    }

    public func sale(partnerId: String, externalId: String) throws -> SaleRecord? {
        try SaleRecord.fetchOne(db.cachedStatement(sql: "SELECT \(SaleRecord.columns) FROM sale WHERE partnerSeq = ? AND externalId = ?"),
                                arguments: [ref(.partner, partnerId), externalId])
    }

    public func sales(_ f: SaleFilter, afterSeq: Int64, limit: Int) throws -> [SaleRecord] {
        var rows: [SaleRecord] = []
        try Bind.run(salesPage(), db, salesBinds(f, afterSeq: afterSeq) + [.int(Int64(limit))]) { rows.append(try SaleRecord(row: $0)) }
        return rows
    }

    public func saleTexts(_ f: SaleFilter, afterSeq: Int64, limit: Int) throws -> [RecordText] {
        try SaleRecord.fetchTexts(salesPage(), db, salesBinds(f, afterSeq: afterSeq) + [.int(Int64(limit))], rows: limit)
    }

    /// Written from the columns as they are stepped: a text as the bytes SQLite holds, a
    /// customer's and reseller's id as looked up once (`RowIds`).
    /// `SaleRowsTests` holds it to `SaleRecord.exportRow`.
    public func saleRows(_ f: SaleFilter, afterSeq: Int64, limit: Int, into out: any ExportRows) throws -> (count: Int, last: Int64?) {
        var last: Int64?, count = 0
        var customers = try RowIds(.customer, self), resellers = try RowIds(.reseller, self)
        _ = try Bind.run(salesPage(Self.exportColumns), db, salesBinds(f, afterSeq: afterSeq) + [.int(Int64(limit))]) { row in
            let amount = try row.money(8, currency: 9)
            try out.text(row.text(1)); try out.time(row.timestamp(11)); try customers.id(row[4], to: out)
            if row.isNull(3) { try out.empty() } else { try resellers.id(row[3], to: out) }
            try out.text(row.text(5)); try out.text(row.text(6))
            // The kind as stored, once it is one the engine knows (as the record reads it).
            let kind = row.text(7)
            guard SaleKind.allCases.contains(where: { $0.rawValue.utf8.elementsEqual(kind) }) else {
                let _: SaleKind = try row.value(7)  // throws, naming the column and its text
                return
            }
            try out.text(kind)
            try out.money(amount.amount, amount.currency); try out.money(row[10], amount.currency)
            try out.text(row.text(9)); try out.time(row.timestamp(14))
            try out.endRow()
            last = row[0]
            count += 1
        }
        return (count, last)
    }

    public func saleCount(_ f: SaleFilter) throws -> (count: Int, lastSeq: Int64?) {
        var count = 0, last: Int64?
        _ = try Bind.run(db.cachedStatement(sql: "SELECT COUNT(*), MAX(seq) FROM sale INDEXED BY sale_by_partner WHERE \(Self.salesWhere)"), db,
                         salesBinds(f, afterSeq: 0)) { row in
            count = row[0]
            last = row.isNull(1) ? nil : row[1] as Int64
        }
        return (count, last)
    }

    /// A list's filter: ?1 the partner, ?2 a customer or NULL, ?3 a kind or NULL, ?4 and ?5
    /// the range's ends, ?6 the seq to start after, ?7 the seq to go through (`salesBinds`).
    static let salesWhere = """
        partnerSeq = ?1 AND (?2 IS NULL OR customerSeq = ?2) AND (?3 IS NULL OR kind = ?3)
          AND occurredAt >= ?4 AND occurredAt <= ?5 AND seq > ?6 AND seq <= ?7
        """

    func salesBinds(_ f: SaleFilter, afterSeq: Int64) throws -> [Bind] {
        [.int(try ref(.partner, f.partnerId)), try ref(.customer, ifAny: f.customerId).map(Bind.int) ?? .null, .text(f.kind?.rawValue),
         .int(f.range.firstMillis), .int(f.range.lastMillis), .int(afterSeq), .int(f.throughSeq)]
    }

    /// A page of the list: the filter, then ?8 the limit.
    private func salesPage(_ columns: String = SaleRecord.columns) throws -> Statement {
        try db.cachedStatement(sql: "SELECT \(columns) FROM sale INDEXED BY sale_by_partner WHERE \(Self.salesWhere) ORDER BY seq LIMIT ?8")
    }

    /// The record's columns in their places, the rules' hash's reference standing in for it.
    static let exportColumns = SaleRecord.columns(rulesHash: "rulesRef", rows: ("partnerSeq", "resellerSeq", "customerSeq"))

    /// Read from the running totals: a partner's `sale_total` (net of refunds, every kind),
    /// a reseller's `sale_volume` (scope `r:<reseller>`).
    public func salesVolume(partnerId: String, resellerId: String?, currency: String, days: TimeRange) throws -> Int128 {
        try Sums.exact { sums in
            if let resellerId {
                return try Columns.fetchOne(db.cachedStatement(sql: """
                    SELECT \(sums.sql("amount")) FROM sale_volume WHERE scope = ? AND currency = ? AND day >= ? AND day <= ?
                    """), arguments: [RunningTotals.scope(resellerId: resellerId), currency, days.firstDay, days.lastDay]) {
                    sums.value($0, 0)
                } ?? 0
            }
            return try Columns.fetchOne(db.cachedStatement(sql: """
                SELECT \(sums.sql("amount - refunded")) FROM sale_total WHERE partnerSeq = ? AND currency = ? AND day >= ? AND day <= ?
                """), arguments: [ref(.partner, partnerId), currency, days.firstDay, days.lastDay]) {
                sums.value($0, 0)
            } ?? 0
        }
    }

    /// One index probe, whatever the customer's history.
    public func firstSaleOccurred(customerId: String, plan: String) throws -> Timestamp? {
        try Columns.fetchOne(db.cachedStatement(sql: "SELECT MIN(occurredAt) FROM sale WHERE customerSeq = ? AND plan = ?"),
                             arguments: [ref(.customer, customerId), plan]) { try $0.isNull(0) ? nil : $0.timestamp(0) } ?? nil
    }

    /// One index probe.
    public func hasPurchased(customerId: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM sale WHERE customerSeq = ?)"), arguments: [ref(.customer, customerId)]) ?? false
    }
}
