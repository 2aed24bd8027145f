import PorticoCore

extension BrandRecord: PGRecord {
    static let columns = """
        partner_id, display_name, logo_url, favicon_url, primary_color, accent_color, background_color, text_color, font, support_email, \
        support_url, created_at, updated_at
        """

    init(row: PGRow) throws {
        self.init(partnerId: try row.string(0), displayName: try row.string(1), logoUrl: row[2], faviconUrl: row[3],
                  theme: Theme(primary: try row.string(4), accent: try row.string(5), background: try row.string(6), text: try row.string(7),
                               font: try row.string(8)),
                  supportEmail: row[9], supportUrl: row[10], createdAt: try row.timestamp(11), updatedAt: try row.timestamp(12))
    }
}

extension DomainRecord: PGRecord {
    static let columns = "seq, hostname, partner_id, status, challenge, not_after, error, claimed_at, created_at, updated_at"

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), hostname: try row.string(1), partnerId: try row.string(2), status: try row.value(3),
                  challenge: try row.string(4), notAfter: try row.optionalTimestamp(5), error: row[6], claimedAt: try row.optionalTimestamp(7),
                  createdAt: try row.timestamp(8), updatedAt: try row.timestamp(9))
    }
}

extension PostgresTransaction: BrandStore {
    public func brand(partnerId: String) throws -> BrandRecord? {
        try one("SELECT \(BrandRecord.columns) FROM brand WHERE partner_id = $1", [.text(partnerId)])
    }

    public func save(_ b: BrandRecord) throws {
        noteChange(.brands)
        try writing {
            try query("""
                INSERT INTO brand (\(BrandRecord.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                ON CONFLICT (partner_id) DO UPDATE SET display_name = excluded.display_name, logo_url = excluded.logo_url,
                    favicon_url = excluded.favicon_url, primary_color = excluded.primary_color, accent_color = excluded.accent_color,
                    background_color = excluded.background_color, text_color = excluded.text_color, font = excluded.font,
                    support_email = excluded.support_email, support_url = excluded.support_url, updated_at = excluded.updated_at
                """, [.text(b.partnerId), .text(b.displayName), .text(b.logoUrl), .text(b.faviconUrl), .text(b.theme.primary),
                      .text(b.theme.accent), .text(b.theme.background), .text(b.theme.text), .text(b.theme.font), .text(b.supportEmail),
                      .text(b.supportUrl), .text(b.createdAt.rfc3339), .text(b.updatedAt.rfc3339)])
        }
    }

    public func insert(_ d: inout DomainRecord) throws {
        noteChange(.brands)
        d.seq = try writing {
            try query("""
                INSERT INTO brand_domain (\(DomainRecord.columns))
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM brand_domain), $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq
                """, [.text(d.hostname), .text(d.partnerId), .text(d.status.rawValue), .text(d.challenge), .text(d.notAfter?.rfc3339), .text(d.error),
                      .text(d.claimedAt?.rfc3339), .text(d.createdAt.rfc3339), .text(d.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func domain(hostname: String) throws -> DomainRecord? {
        try one("SELECT \(DomainRecord.columns) FROM brand_domain WHERE hostname = $1", [.text(hostname)])
    }

    public func domains(partnerId: String, afterSeq: Int64, limit: Int) throws -> [DomainRecord] {
        try all("SELECT \(DomainRecord.columns) FROM brand_domain WHERE partner_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                [.text(partnerId), .int(afterSeq), .limit(limit)])
    }

    public func update(_ d: DomainRecord, expected: DomainRecord.Status) throws -> Bool {
        noteChange(.brands)
        return try writing {
            try query("""
                UPDATE brand_domain SET status = $1, not_after = $2, error = $3, claimed_at = $4, updated_at = $5 WHERE hostname = $6 AND status = $7
                """, [.text(d.status.rawValue), .text(d.notAfter?.rfc3339), .text(d.error), .text(d.claimedAt?.rfc3339), .text(d.updatedAt.rfc3339),
                      .text(d.hostname), .text(expected.rawValue)]).affected == 1
        }
    }

    public func deleteDomain(hostname: String) throws {
        noteChange(.brands)
        try writing { try query("DELETE FROM brand_domain WHERE hostname = $1", [.text(hostname)]) }
    }

    public func domainsDue(renewBefore: Timestamp, staleBefore: Timestamp, limit: Int) throws -> [DomainRecord] {
        try all("""
            SELECT \(DomainRecord.columns) FROM brand_domain
            WHERE status IN ('verified', 'failed') OR (status = 'active' AND not_after <= $1) OR (status = 'certificate_pending' AND claimed_at <= $2)
            ORDER BY seq LIMIT $3
            """, [.text(renewBefore.rfc3339), .text(staleBefore.rfc3339), .limit(limit)])
    }
}
