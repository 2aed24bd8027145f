import GRDB
import PorticoCore

extension BrandRecord: ColumnRecord {
    static let columns = """
        partnerId, displayName, logoUrl, faviconUrl, primaryColor, accentColor, backgroundColor, textColor, font, supportEmail, supportUrl,
        createdAt, updatedAt
        """

    init(row: Columns) throws {
        self.init(partnerId: row[0], displayName: row[1], logoUrl: row[2], faviconUrl: row[3],
                  theme: Theme(primary: row[4], accent: row[5], background: row[6], text: row[7], font: row[8]),
                  supportEmail: row[9], supportUrl: row[10], createdAt: try row.timestamp(11), updatedAt: try row.timestamp(12))
    }
}

extension DomainRecord: ColumnRecord {
    static let columns = "seq, hostname, partnerId, status, challenge, notAfter, error, claimedAt, createdAt, updatedAt"

    init(row: Columns) throws {
        self.init(seq: row[0], hostname: row[1], partnerId: row[2], status: try row.value(3), challenge: row[4],
                  notAfter: try row.optionalTimestamp(5), error: row[6], claimedAt: try row.optionalTimestamp(7),
                  createdAt: try row.timestamp(8), updatedAt: try row.timestamp(9))
    }
}

extension SQLiteTransaction: BrandStore {
    public func brand(partnerId: String) throws -> BrandRecord? {
        try BrandRecord.fetchOne(db.cachedStatement(sql: "SELECT \(BrandRecord.columns) FROM brand WHERE partnerId = ?"), db, key: partnerId)
    }

    public func save(_ b: BrandRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO brand (\(BrandRecord.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (partnerId) DO UPDATE SET displayName = excluded.displayName, logoUrl = excluded.logoUrl,
                    faviconUrl = excluded.faviconUrl, primaryColor = excluded.primaryColor, accentColor = excluded.accentColor,
                    backgroundColor = excluded.backgroundColor, textColor = excluded.textColor, font = excluded.font,
                    supportEmail = excluded.supportEmail, supportUrl = excluded.supportUrl, updatedAt = excluded.updatedAt
                """).execute(arguments: [b.partnerId, b.displayName, b.logoUrl, b.faviconUrl, b.theme.primary, b.theme.accent,
                                         b.theme.background, b.theme.text, b.theme.font, b.supportEmail, b.supportUrl,
                                         b.createdAt.rfc3339, b.updatedAt.rfc3339])
        }
    }

    public func insert(_ d: inout DomainRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO brand_domain (hostname, partnerId, status, challenge, notAfter, error, claimedAt, createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [d.hostname, d.partnerId, d.status.rawValue, d.challenge, d.notAfter?.rfc3339, d.error,
                                         d.claimedAt?.rfc3339, d.createdAt.rfc3339, d.updatedAt.rfc3339])
        }
        d.seq = db.lastInsertedRowID
    }

    public func domain(hostname: String) throws -> DomainRecord? {
        try DomainRecord.fetchOne(db.cachedStatement(sql: "SELECT \(DomainRecord.columns) FROM brand_domain WHERE hostname = ?"), db,
                                  key: hostname)
    }

    public func domains(partnerId: String, afterSeq: Int64, limit: Int) throws -> [DomainRecord] {
        try DomainRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(DomainRecord.columns) FROM brand_domain WHERE partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [partnerId, afterSeq, limit])
    }

    public func update(_ d: DomainRecord, expected: DomainRecord.Status) throws -> Bool {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE brand_domain SET status = ?, notAfter = ?, error = ?, claimedAt = ?, updatedAt = ? WHERE hostname = ? AND status = ?
                """).execute(arguments: [d.status.rawValue, d.notAfter?.rfc3339, d.error, d.claimedAt?.rfc3339, d.updatedAt.rfc3339,
                                         d.hostname, expected.rawValue])
        }
        return db.changesCount == 1
    }

    public func deleteDomain(hostname: String) throws {
        try writing { try db.cachedStatement(sql: "DELETE FROM brand_domain WHERE hostname = ?").execute(arguments: [hostname]) }
    }

    public func domainsDue(renewBefore: Timestamp, staleBefore: Timestamp, limit: Int) throws -> [DomainRecord] {
        try DomainRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(DomainRecord.columns) FROM brand_domain
            WHERE status IN ('verified', 'failed')
               OR (status = 'active' AND notAfter <= ?)
               OR (status = 'certificate_pending' AND claimedAt <= ?)
            ORDER BY seq LIMIT ?
            """), arguments: [renewBefore.rfc3339, staleBefore.rfc3339, limit])
    }
}
