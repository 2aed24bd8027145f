import PorticoCore

extension PartnerRecord: PGRecord {
    static let columns = "seq, id, name, subdomain, region, tier, status, status_reason, created_at, updated_at"

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), name: try row.string(2), subdomain: try row.string(3), region: try row.string(4),
                  tier: try row.string(5), status: try row.value(6), statusReason: row[7], createdAt: try row.timestamp(8),
                  updatedAt: try row.timestamp(9))
    }
}

extension PostgresTransaction: PartnerStore {
    public func insert(_ p: inout PartnerRecord) throws {
        noteChange([.all, .principals, .brands])
        p.seq = try writing {
            try query("""
                INSERT INTO partner (seq, id, name, subdomain, region, tier, status, status_reason, created_at, updated_at)
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM partner), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq
                """, [.text(p.id), .text(p.name), .text(p.subdomain), .text(p.region), .text(p.tier), .text(p.status.rawValue),
                      .text(p.statusReason), .text(p.createdAt.rfc3339), .text(p.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func update(_ p: PartnerRecord) throws {
        noteChange([.all, .principals, .brands])
        try writing {
            try query("""
                UPDATE partner SET name = $1, subdomain = $2, region = $3, tier = $4, status = $5, status_reason = $6, updated_at = $7
                WHERE id = $8
                """, [.text(p.name), .text(p.subdomain), .text(p.region), .text(p.tier), .text(p.status.rawValue), .text(p.statusReason),
                      .text(p.updatedAt.rfc3339), .text(p.id)])
        }
    }

    public func partner(id: String) throws -> PartnerRecord? {
        try one("SELECT \(PartnerRecord.columns) FROM partner WHERE id = $1", [.text(id)])
    }

    public func partner(subdomain: String) throws -> PartnerRecord? {
        try one("SELECT \(PartnerRecord.columns) FROM partner WHERE subdomain = $1", [.text(subdomain)])
    }

    public func partners(status: PartnerStatus?, region: String?, onlyID: String?, afterSeq: Int64, limit: Int) throws -> [PartnerRecord] {
        var filter = Filter("seq > $1", [.int(afterSeq)])
        if let status { filter.and("status", .text(status.rawValue)) }
        if let region { filter.and("region", .text(region)) }
        if let onlyID { filter.and("id", .text(onlyID)) }
        return try all("SELECT \(PartnerRecord.columns) FROM partner WHERE \(filter.sql) ORDER BY seq LIMIT \(filter.next)", filter.params + [.limit(limit)])
    }
}

/// A WHERE clause built from optional filters, its parameters numbered as they are added.
struct Filter {
    var sql: String
    var params: [PGValue]

    init(_ sql: String, _ params: [PGValue]) { self.sql = sql; self.params = params }

    /// Adds `column = value`.
    mutating func and(_ column: String, _ value: PGValue) {
        params.append(value)
        sql += " AND \(column) = $\(params.count)"
    }

    /// The placeholder of the next parameter.
    var next: String { "$\(params.count + 1)" }
}

extension PGValue {
    /// A row limit as SQLite reads one: a negative limit is none.
    static func limit(_ n: Int) -> PGValue { n < 0 ? .null : .int(Int64(n)) }
}
