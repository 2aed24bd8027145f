import GRDB
import PorticoCore

extension OAuthClientRecord: ColumnRecord {
    static let columns = """
        seq, id, partnerId, name, scopes, secretHash, previousSecretHash, previousSecretExpiresAt, status, createdAt, updatedAt
        """

    init(row: Columns) throws {
        let scopes: String = row[4]
        self.init(seq: row[0], id: row[1], partnerId: row[2], name: row[3], scopes: storedScopes(scopes),
                  secretHash: row[5], previousSecretHash: row[6], previousSecretExpiresAt: try row.optionalTimestamp(7),
                  status: try row.value(8), createdAt: try row.timestamp(9), updatedAt: try row.timestamp(10))
    }
}

extension OAuthTokenRecord: ColumnRecord {
    static let columns = "id, hash, clientId, partnerId, scopes, issuedAt, expiresAt, revokedAt"

    init(row: Columns) throws {
        let scopes: String = row[4]
        self.init(id: row[0], hash: row[1], clientId: row[2], partnerId: row[3], scopes: storedScopes(scopes),
                  issuedAt: try row.timestamp(5), expiresAt: try row.timestamp(6), revokedAt: try row.optionalTimestamp(7))
    }
}

/// Scopes are stored space-separated: split by bytes (splitting a String by Characters
/// walks grapheme clusters, several times slower on this hot path).
func storedScopes(_ text: String) -> [String] {
    text.utf8.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
}

extension SQLiteTransaction: OAuthStore {
    public func insert(_ c: inout OAuthClientRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO oauth_client (id, partnerId, name, scopes, secretHash, previousSecretHash, previousSecretExpiresAt, status,
                                          createdAt, updatedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [c.id, c.partnerId, c.name, c.scopes.joined(separator: " "), c.secretHash, c.previousSecretHash,
                                         c.previousSecretExpiresAt?.rfc3339, c.status.rawValue, c.createdAt.rfc3339, c.updatedAt.rfc3339])
        }
        c.seq = db.lastInsertedRowID
    }

    public func oauthClient(id: String) throws -> OAuthClientRecord? {
        try OAuthClientRecord.fetchOne(db.cachedStatement(sql: "SELECT \(OAuthClientRecord.columns) FROM oauth_client WHERE id = ?"), db, key: id)
    }

    public func oauthClients(partnerId: String, afterSeq: Int64, limit: Int) throws -> [OAuthClientRecord] {
        try OAuthClientRecord.fetchAll(db.cachedStatement(sql: """
            SELECT \(OAuthClientRecord.columns) FROM oauth_client WHERE partnerId = ? AND seq > ? ORDER BY seq LIMIT ?
            """), arguments: [partnerId, afterSeq, limit])
    }

    public func update(_ c: OAuthClientRecord) throws {
        try writing {
            try db.cachedStatement(sql: """
                UPDATE oauth_client SET secretHash = ?, previousSecretHash = ?, previousSecretExpiresAt = ?, status = ?, updatedAt = ?
                WHERE id = ?
                """).execute(arguments: [c.secretHash, c.previousSecretHash, c.previousSecretExpiresAt?.rfc3339, c.status.rawValue,
                                         c.updatedAt.rfc3339, c.id])
        }
    }

    // oauth_token is a WITHOUT ROWID table, whose changes SQLite's update hook does not
    // report: its writes tell the auth version themselves.
    public func insert(_ t: OAuthTokenRecord) throws {
        auth?.noteChange()
        try writing {
            try Bind.execute(db.cachedStatement(sql: """
                INSERT INTO oauth_token (hash, id, clientId, partnerId, scopes, issuedAt, expiresAt, revokedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """), db, .text(t.hash), .text(t.id), .text(t.clientId), .text(t.partnerId), .text(t.scopes.joined(separator: " ")),
                             .text(t.issuedAt.rfc3339), .text(t.expiresAt.rfc3339), .text(t.revokedAt?.rfc3339))
        }
    }

    public func oauthToken(hash: String) throws -> OAuthTokenRecord? {
        try OAuthTokenRecord.fetchOne(db.cachedStatement(sql: "SELECT \(OAuthTokenRecord.columns) FROM oauth_token WHERE hash = ?"), db, key: hash)
    }

    public func revokeToken(hash: String, at: Timestamp) throws -> Bool {
        auth?.noteChange()
        try writing {
            try db.cachedStatement(sql: "UPDATE oauth_token SET revokedAt = ? WHERE hash = ? AND revokedAt IS NULL")
                .execute(arguments: [at.rfc3339, hash])
        }
        return db.changesCount == 1
    }
}
