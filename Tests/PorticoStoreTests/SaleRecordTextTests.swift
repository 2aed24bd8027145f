import GRDB
import JSONRPC
import PorticoCore
import PorticoRules
import PropertyBased
import Testing
@testable import PorticoStore

/// A page of sales is written straight from the rows (`saleTexts`), without a record, by a
/// second definition of the sale's members; it must write exactly what the record writes
/// (`sales` read as records, each encoding itself: the default every other store uses).
@Suite struct SaleRecordTextTests {
    static let partner = "ptr_t", customer = "cus_t", reseller = "rsl_t"

    static func store() throws -> SQLiteStore {
        let store = try temporaryDatabase()
        try store.write { tx in
            var p = PartnerRecord(id: partner, name: "P", subdomain: "p-sub", region: "eu", tier: "gold", status: .active,
                                  statusReason: nil, createdAt: ts("2027-01-01T00:00:00.000Z"), updatedAt: ts("2027-01-01T00:00:00.000Z"))
            try tx.insert(&p)
            var r = ResellerRecord(id: reseller, partnerId: partner, name: "R", email: "r@example.com", region: "us", commissionRate: nil,
                                   createdAt: ts("2027-01-01T00:00:00.000Z"), updatedAt: ts("2027-01-01T00:00:00.000Z"))
            try tx.insert(&r)
            var c = CustomerRecord(id: customer, partnerId: partner, resellerId: reseller, name: "C", email: "c@example.com", country: "DE",
                                   createdAt: ts("2027-01-01T00:00:00.000Z"), updatedAt: ts("2027-01-01T00:00:00.000Z"))
            try tx.insert(&c)
        }
        return store
    }

    /// Both texts of the partner's sales, and their cursors.
    static func texts(_ store: SQLiteStore, afterSeq: Int64 = 0, limit: Int = 1000) throws -> (rows: [RecordText], records: [RecordText]) {
        try store.read { tx in
            let f = SaleFilter(partnerId: partner)
            return (try tx.saleTexts(f, afterSeq: afterSeq, limit: limit),
                    try tx.sales(f, afterSeq: afterSeq, limit: limit).map { RecordText(seq: $0.seq, $0) })
        }
    }

    /// The export rows of the partner's sales both ways: straight from the columns
    /// (`saleRows`) and from the records (`exportRow`, every other store's default).
    static func exportRows(_ store: SQLiteStore, afterSeq: Int64 = 0, limit: Int = 1000) throws -> (rows: [[ExportCell]], records: [[ExportCell]]) {
        try store.read { tx in
            let f = SaleFilter(partnerId: partner)
            let direct = CellRecorder(), viaRecords = CellRecorder()
            _ = try tx.saleRows(f, afterSeq: afterSeq, limit: limit, into: direct)
            for sale in try tx.sales(f, afterSeq: afterSeq, limit: limit) { try sale.exportRow(into: viaRecords) }
            return (direct.rows, viaRecords.rows)
        }
    }

    static func same(_ a: [RecordText], _ b: [RecordText]) -> Bool {
        a.map(\.seq) == b.map(\.seq) && a.map { Array($0.text.bytes) } == b.map { Array($0.text.bytes) }
    }

    @Test func rowsWriteWhatTheRecordWritesForAnyText() async throws {
        let store = try Self.store()
        let text = Gen.oneOf(Gen.character(in: "\u{0}"..."\u{7F}"), Gen.character(in: "\u{80}"..."\u{2FF}"),
                             Gen.character(in: "\u{202A}"..."\u{202E}"), Gen.character(in: "\u{1F600}"..."\u{1F64F}"))
            .string(of: 0...12)
        var n = 0
        await propertyCheck(count: 200, input: text.array(of: 3...3), Gen.int64(in: 0...(1 << 40)), Gen.int(in: 0...3), Gen.bool) {
            strings, amount, kind, withReseller in
            n += 1
            var sale = SaleRecord(id: "sal_\(n)", partnerId: Self.partner, resellerId: withReseller ? Self.reseller : nil,
                                  customerId: Self.customer, externalId: "\(n)-" + strings[0], plan: strings[1],
                                  kind: SaleKind.allCases[kind], amount: Money(amount, Currency.named(["USD", "EUR", "JPY", "KWD"][kind])!),
                                  refunded: amount / 3, occurredAt: Timestamp(millisecondsSinceEpoch: amount),
                                  rulesHash: strings[2], createdAt: ts("2027-01-01T00:00:00.000Z"))
            try store.write { tx in try tx.insert(&sale) }
            let (rows, records) = try Self.texts(store, afterSeq: sale.seq - 1, limit: 1)
            #expect(rows.count == 1)
            #expect(Self.same(rows, records), "\(String(decoding: rows.first?.text.bytes ?? [], as: UTF8.self))")
            let (cells, recordCells) = try Self.exportRows(store, afterSeq: sale.seq - 1, limit: 1)
            #expect(cells.count == 1 && cells == recordCells)
        }
        let (cells, recordCells) = try Self.exportRows(store)
        #expect(cells.count == n && cells == recordCells)
        // Every row in one page: the rows share one text, each its own range of it.
        let (rows, records) = try Self.texts(store)
        #expect(rows.count == n && Self.same(rows, records))
        let page = PageRequest(afterSeq: 0, limit: 7).page(rows, seq: \.seq)
        #expect(String(decoding: page.jsonText, as: UTF8.self)
                == String(decoding: PageRequest(afterSeq: 0, limit: 7).page(records, seq: \.seq).jsonText, as: UTF8.self))
        #expect(page.json == PageRequest(afterSeq: 0, limit: 7).page(records, seq: \.seq).json)
    }

    /// The ids an export writes come from the rows committed: a customer numbered in a
    /// write that rolled back (its number then given to another) is never remembered for
    /// the store, so a later export names the customer that holds the number.
    @Test func anExportNamesTheCommittedRowsOfEachNumber() throws {
        let store = try Self.store()
        func customer(_ id: String) -> CustomerRecord {
            CustomerRecord(id: id, partnerId: Self.partner, resellerId: nil, name: "C", email: id + "@example.com", country: "DE",
                           createdAt: ts("2027-01-01T00:00:00.000Z"), updatedAt: ts("2027-01-01T00:00:00.000Z"))
        }
        func sale(_ id: String, _ customerId: String) -> SaleRecord {
            SaleRecord(id: id, partnerId: Self.partner, resellerId: nil, customerId: customerId, externalId: id, plan: "pro", kind: .new,
                       amount: Money(100, Currency.named("USD")!), occurredAt: ts("2027-01-01T00:00:00.000Z"), rulesHash: "h",
                       createdAt: ts("2027-01-01T00:00:00.000Z"))
        }
        struct Undo: Error {}
        #expect(throws: Undo.self) {
            try store.write { tx in
                var gone = customer("cus_gone"), s = sale("sal_gone", "cus_gone")
                try tx.insert(&gone)
                try tx.insert(&s)
                _ = try tx.saleRows(SaleFilter(partnerId: Self.partner), afterSeq: 0, limit: 10, into: CellRecorder())
                throw Undo()
            }
        }
        try store.write { tx in
            var kept = customer("cus_kept"), s = sale("sal_kept", "cus_kept")
            try tx.insert(&kept)
            try tx.insert(&s)
        }
        for _ in 0..<2 {
            let (cells, recordCells) = try Self.exportRows(store)
            #expect(cells == recordCells && cells.count == 1)
            #expect(cells.first?.contains(.text("cus_kept")) == true, "\(cells)")
        }
    }

    /// Text SQLite holds that is not UTF-8 (a file written behind the engine's back) is
    /// repaired the same way on both paths; a column the record refuses fails both.
    @Test func malformedColumnsReadAlikeOrFailAlike() throws {
        let store = try Self.store()
        var sale = SaleRecord(id: "sal_x", partnerId: Self.partner, resellerId: nil, customerId: Self.customer, externalId: "x",
                              plan: "pro", kind: .new, amount: Money(100, Currency.named("USD")!), occurredAt: ts("2027-01-01T00:00:00.000Z"),
                              rulesHash: "h", createdAt: ts("2027-01-01T00:00:00.000Z"))
        try store.write { tx in try tx.insert(&sale) }
        try store.writer.writeWithoutTransaction { db in
            try db.execute(sql: "UPDATE sale SET externalId = CAST(X'41FF42C3' AS TEXT), plan = CAST(X'E282' AS TEXT) WHERE id = 'sal_x'")
        }
        let (rows, records) = try Self.texts(store)
        #expect(Self.same(rows, records))
        #expect(String(decoding: rows[0].text.bytes, as: UTF8.self).contains("\"externalId\":\"A\u{FFFD}B\u{FFFD}\""))

        // Instants are stored as milliseconds (LedgerTime): the first and last the engine
        // reads, one before 1970, one on a day's last millisecond, all written alike.
        for instant in [Timestamp.min, Timestamp.max, ts("1969-12-31T23:59:59.999Z"), ts("2027-06-30T23:59:59.999Z"),
                        ts("2027-01-01T00:00:00.000Z")]
        {
            try store.writer.writeWithoutTransaction { db in
                try db.execute(sql: "UPDATE sale SET occurredAt = ?, createdAt = ? WHERE id = 'sal_x'",
                               arguments: [instant.millisecondsSinceEpoch, instant.millisecondsSinceEpoch])
            }
            let (rows, records) = try Self.texts(store)
            #expect(Self.same(rows, records), "\(instant): \(String(decoding: rows.first?.text.bytes ?? [], as: UTF8.self))")
            #expect(try store.read { try $0.sale(id: "sal_x") }?.occurredAt == instant)
            let (cells, recordCells) = try Self.exportRows(store)
            #expect(cells == recordCells, "\(instant)")
        }

        // Past the instants the engine reads, either way, or a currency or kind it does not know.
        // (The range of a list ends at the last instant: a sale past it is in no list.)
        for corrupt in ["createdAt = \(Timestamp.max.millisecondsSinceEpoch + 1)", "createdAt = \(Timestamp.min.millisecondsSinceEpoch - 1)",
                        "currency = 'XXX'", "kind = 'gift'"] {
            try store.writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
                try db.execute(sql: """
                    UPDATE sale SET occurredAt = 1798761600000, createdAt = occurredAt, currency = 'USD', kind = 'new'
                    WHERE id = 'sal_x'
                    """)
                try db.execute(sql: "UPDATE sale SET \(corrupt) WHERE id = 'sal_x'")
            }
            #expect(throws: DatabaseError.self) { try store.read { try $0.saleTexts(SaleFilter(partnerId: Self.partner), afterSeq: 0, limit: 10) } }
            #expect(throws: DatabaseError.self) { try store.read { try $0.sales(SaleFilter(partnerId: Self.partner), afterSeq: 0, limit: 10) } }
            #expect(throws: (any Error).self) {
                try store.read { try $0.saleRows(SaleFilter(partnerId: Self.partner), afterSeq: 0, limit: 10, into: CellRecorder()) }
            }
        }
    }
}

/// Export rows as cells, to compare.
final class CellRecorder: ExportRows {
    var rows: [[ExportCell]] = []
    var row: [ExportCell] = []
    func text(_ utf8: UnsafeBufferPointer<UInt8>) throws { row.append(.text(String(decoding: utf8, as: UTF8.self))) }
    func integer(_ n: Int64) throws { row.append(.integer(n)) }
    func money(_ amount: Int64, _ currency: Currency) throws { row.append(.money(Money(amount, currency))) }
    func time(_ t: Timestamp) throws { row.append(.time(t)) }
    func empty() throws { row.append(.empty) }
    func endRow() throws { rows.append(row); row = [] }
}
