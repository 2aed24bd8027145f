import PorticoCore

extension OAuthClientRecord: PGRecord {
    static let columns = """
        seq, id, partner_id, name, scopes, secret_hash, previous_secret_hash, previous_secret_expires_at, status, created_at, updated_at
        """

    init(row: PGRow) throws {
        self.init(seq: try row.int(0), id: try row.string(1), partnerId: try row.string(2), name: try row.string(3),
                  scopes: scopeList(try row.string(4)), secretHash: try row.string(5), previousSecretHash: row[6],
                  previousSecretExpiresAt: try row.optionalTimestamp(7), status: try row.value(8), createdAt: try row.timestamp(9),
                  updatedAt: try row.timestamp(10))
    }
}

extension OAuthTokenRecord: PGRecord {
    static let columns = "id, hash, client_id, partner_id, scopes, issued_at, expires_at, revoked_at"

    init(row: PGRow) throws {
        self.init(id: try row.string(0), hash: try row.string(1), clientId: try row.string(2), partnerId: try row.string(3),
                  scopes: scopeList(try row.string(4)), issuedAt: try row.timestamp(5), expiresAt: try row.timestamp(6),
                  revokedAt: try row.optionalTimestamp(7))
    }
}

/// Scopes are stored space-separated, as on SQLite.
private func scopeList(_ text: String) -> [String] {
    text.utf8.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
}

extension PostgresTransaction: OAuthStore {
    public func insert(_ c: inout OAuthClientRecord) throws {
        noteChange([.all, .principals])
        c.seq = try writing {
            try query("""
                INSERT INTO oauth_client (\(OAuthClientRecord.columns))
                VALUES ((SELECT coalesce(max(seq), 0) + 1 FROM oauth_client), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq
                """, [.text(c.id), .text(c.partnerId), .text(c.name), .text(c.scopes.joined(separator: " ")), .text(c.secretHash),
                      .text(c.previousSecretHash), .text(c.previousSecretExpiresAt?.rfc3339), .text(c.status.rawValue), .text(c.createdAt.rfc3339),
                      .text(c.updatedAt.rfc3339)]).row(0).int(0)
        }
    }

    public func oauthClient(id: String) throws -> OAuthClientRecord? {
        try one("SELECT \(OAuthClientRecord.columns) FROM oauth_client WHERE id = $1", [.text(id)])
    }

    public func oauthClients(partnerId: String, afterSeq: Int64, limit: Int) throws -> [OAuthClientRecord] {
        try all("SELECT \(OAuthClientRecord.columns) FROM oauth_client WHERE partner_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                [.text(partnerId), .int(afterSeq), .limit(limit)])
    }

    public func update(_ c: OAuthClientRecord) throws {
        noteChange([.all, .principals])
        try writing {
            try query("""
                UPDATE oauth_client SET secret_hash = $1, previous_secret_hash = $2, previous_secret_expires_at = $3, status = $4, updated_at = $5
                WHERE id = $6
                """, [.text(c.secretHash), .text(c.previousSecretHash), .text(c.previousSecretExpiresAt?.rfc3339), .text(c.status.rawValue),
                      .text(c.updatedAt.rfc3339), .text(c.id)])
        }
    }

    public func insert(_ t: OAuthTokenRecord) throws {
        noteChange(.all)
        try writing {
            try query("INSERT INTO oauth_token (\(OAuthTokenRecord.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      [.text(t.id), .text(t.hash), .text(t.clientId), .text(t.partnerId), .text(t.scopes.joined(separator: " ")),
                       .text(t.issuedAt.rfc3339), .text(t.expiresAt.rfc3339), .text(t.revokedAt?.rfc3339)])
        }
    }

    public func oauthToken(hash: String) throws -> OAuthTokenRecord? {
        try one("SELECT \(OAuthTokenRecord.columns) FROM oauth_token WHERE hash = $1", [.text(hash)])
    }

    public func revokeToken(hash: String, at: Timestamp) throws -> Bool {
        noteChange(.all)
        return try writing {
            try query("UPDATE oauth_token SET revoked_at = $1 WHERE hash = $2 AND revoked_at IS NULL", [.text(at.rfc3339), .text(hash)]).affected == 1
        }
    }
}
