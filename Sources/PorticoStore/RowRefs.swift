import Foundation
import GRDB
import PorticoCore

/// The ledger's rows (sales, commission entries and their running totals: migration
/// 0019) refer to a partner, reseller, customer or sale by that row's `seq`, not its id:
/// a number of one to three bytes where the id took 24, in each row and each index that
/// holds it. The writers and filters bind the number (`SQLiteTransaction.ref`); the
/// readers read the id back through `RowRef.id`, a seek by rowid.
enum RowRef: String, Sendable {
    case partner, reseller, customer, sale

    /// The select-list expression that reads the id of the row `column` refers to (NULL
    /// for NULL).
    func id(_ column: String) -> String { "(SELECT id FROM \(rawValue) WHERE seq = \(column))" }

    /// The expression that reads the number of the row whose id is `idExpression`.
    func ref(_ idExpression: String) -> String { "(SELECT seq FROM \(rawValue) WHERE id = \(idExpression))" }
}

extension SQLiteTransaction {
    /// The number (`seq`) the row with `id` is stored under; 0, which no row has, when there
    /// is none (a filter then matches nothing; an insert fails its foreign key). Remembered
    /// for the transaction, forgotten when a savepoint rolls back (the row may be gone).
    func ref(_ table: RowRef, _ id: String) throws -> Int64 {
        let key = RowRefKey(table: table, id: id)
        if let seq = rowRefs[key] { return seq }
        var found: Int64?
        _ = try Bind.run(db.cachedStatement(sql: "SELECT seq FROM \(table.rawValue) WHERE id = ?"), db, [.text(id)]) { found = $0[0] }
        guard let seq = found else { return 0 }
        rowRefs[key] = seq
        return seq
    }

    /// As `ref`; nil for nil.
    func ref(_ table: RowRef, ifAny id: String?) throws -> Int64? {
        try id.map { try ref(table, $0) }
    }

    /// `record`, its number remembered under its id for `ref` (a request that reads a
    /// customer, say, then writes rows naming it, looks it up once).
    func remembered<R>(_ table: RowRef, _ record: R?, seq: KeyPath<R, Int64>, id: KeyPath<R, String>) -> R? {
        if let record { rowRefs[RowRefKey(table: table, id: record[keyPath: id])] = record[keyPath: seq] }
        return record
    }
}

struct RowRefKey: Hashable {
    let table: RowRef
    let id: String
}

/// The ids of rows by number, shared by every transaction of a store: a row's number
/// names the same id for good once committed (partners, resellers, customers and sales are
/// never deleted), so only read-only transactions, whose snapshots hold committed rows
/// alone, add to it. Bounded: full, it starts again.
final class RowIdCache: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [RowSeqKey: [UInt8]] = [:]
    private let capacity: Int

    init(capacity: Int = 131_072) { self.capacity = capacity }

    func id(_ table: RowRef, _ seq: Int64) -> [UInt8]? {
        lock.withLock { ids[RowSeqKey(table: table, seq: seq)] }
    }

    func remember(_ table: RowRef, _ seq: Int64, _ id: [UInt8]) {
        lock.withLock {
            if ids.count >= capacity { ids.removeAll(keepingCapacity: true) }
            ids[RowSeqKey(table: table, seq: seq)] = id
        }
    }
}

struct RowSeqKey: Hashable {
    let table: RowRef
    let seq: Int64
}

/// The ids of one table's rows by number, for a reader that names many rows' ids (an
/// export, a ranking of every partner): each looked up once (for the store, when the
/// transaction only reads: `RowIdCache`), then written from memory.
struct RowIds {
    private let statement: Statement
    private let tx: SQLiteTransaction
    private let table: RowRef
    private var ids: [Int64: [UInt8]] = [:]

    init(_ table: RowRef, _ tx: SQLiteTransaction) throws {
        statement = try tx.db.cachedStatement(sql: "SELECT id FROM \(table.rawValue) WHERE seq = ?")
        self.tx = tx
        self.table = table
    }

    /// Writes the id of row `seq` as a text cell of `out`.
    mutating func id(_ seq: Int64, to out: any ExportRows) throws {
        try bytes(seq).withUnsafeBufferPointer { try out.text($0) }
    }

    /// The id of row `seq`.
    mutating func string(_ seq: Int64) throws -> String {
        String(decoding: try bytes(seq), as: UTF8.self)
    }

    private mutating func bytes(_ seq: Int64) throws -> [UInt8] {
        if let id = ids[seq] ?? tx.rowIdCache?.id(table, seq) { return id }
        var found: [UInt8]?
        _ = try Bind.run(statement, tx.db, [.int(seq)]) { found = Array($0.text(0)) }
        guard let found else { throw DatabaseError(message: "no \(table.rawValue) numbered \(seq) for an id") }
        if !tx.writable, let shared = tx.rowIdCache {
            shared.remember(table, seq, found)
        } else {
            if ids.count >= 65_536 { ids.removeAll(keepingCapacity: true) }
            ids[seq] = found
        }
        return found
    }
}
