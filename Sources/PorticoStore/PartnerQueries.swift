import GRDB
import PorticoCore

extension PartnerRecord: ColumnRecord {
    static let columns = "seq, id, name, subdomain, region, tier, status, statusReason, createdAt, updatedAt"

    init(row: Columns) throws {
        self.init(seq: row[0], id: row[1], name: row[2], subdomain: row[3], region: row[4], tier: row[5], status: try row.value(6),
                  statusReason: row[7], createdAt: try row.timestamp(8), updatedAt: try row.timestamp(9))
    }
}

extension SQLiteTransaction: PartnerStore {
    public func insert(_ p: inout PartnerRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO partner (id, name, subdomain, region, tier, status, statusReason, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [p.id, p.name, p.subdomain, p.region, p.tier, p.status.rawValue, p.statusReason, p.createdAt.rfc3339, p.updatedAt.rfc3339])
        }
        p.seq = db.lastInsertedRowID
    }

    public func update(_ p: PartnerRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE partner SET name = ?, subdomain = ?, region = ?, tier = ?, status = ?, statusReason = ?, updatedAt = ?
                WHERE id = ?
                """).execute(arguments: [p.name, p.subdomain, p.region, p.tier, p.status.rawValue, p.statusReason, p.updatedAt.rfc3339, p.id])
        }
    }

    public func partner(id: String) throws -> PartnerRecord? {
        remembered(.partner, try PartnerRecord.fetchOne(db.cachedStatement(sql: "SELECT \(PartnerRecord.columns) FROM partner WHERE id = ?"), db, key: id), seq: \.seq, id: \.id)
    }

    public func partner(subdomain: String) throws -> PartnerRecord? {
        try PartnerRecord.fetchOne(db.cachedStatement(sql: "SELECT \(PartnerRecord.columns) FROM partner WHERE subdomain = ?"),
                                   arguments: [subdomain])
    }

    public func partners(status: PartnerStatus?, region: String?, onlyID: String?, afterSeq: Int64, limit: Int) throws -> [PartnerRecord] {
        var sql = "SELECT \(PartnerRecord.columns) FROM partner WHERE seq > ?"
        var args: [(any DatabaseValueConvertible)?] = [afterSeq]
        if let status { sql += " AND status = ?"; args.append(status.rawValue) }
        if let region { sql += " AND region = ?"; args.append(region) }
        if let onlyID { sql += " AND id = ?"; args.append(onlyID) }
        sql += " ORDER BY seq LIMIT ?"
        args.append(limit)
        return try PartnerRecord.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args))
    }
}
