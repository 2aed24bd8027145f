import GRDB
import PorticoCore

extension SQLiteTransaction: IdempotencyStore {
    public func idempotencyRecord(scope: String, key: String) throws -> IdempotencyRecord? {
        try Columns.fetchOne(db.cachedStatement(sql: "SELECT method, paramsHash, result FROM idempotency WHERE scope = ? AND key = ?"),
                             arguments: [scope, key]) { IdempotencyRecord(method: $0[0], paramsHash: $0[1], result: $0[2]) }
    }

    public func insert(_ record: IdempotencyRecord, scope: String, key: String, createdAt: String) throws {
        try writing {
            try db.cachedStatement(sql: """
                INSERT INTO idempotency (scope, key, method, paramsHash, result, createdAt) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [scope, key, record.method, record.paramsHash, record.result, createdAt])
        }
    }
}
