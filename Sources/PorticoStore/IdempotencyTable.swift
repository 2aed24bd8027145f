import GRDB

/// A remembered answer to a mutating request that carried an idempotency key.
public struct IdempotencyRecord: Sendable, Equatable {
    public var method: String
    public var paramsHash: String
    /// The result's JSON text, as first answered.
    public var result: String

    public init(method: String, paramsHash: String, result: String) {
        self.method = method; self.paramsHash = paramsHash; self.result = result
    }
}

/// Keys are scoped by actor: two actors may use the same key independently.
public enum IdempotencyTable {
    public static func find(scope: String, key: String, _ db: Database) throws -> IdempotencyRecord? {
        let s = try db.cachedStatement(sql: "SELECT method, paramsHash, result FROM idempotency WHERE scope = ? AND key = ?")
        return try Columns.fetchOne(s, arguments: [scope, key]) { IdempotencyRecord(method: $0[0], paramsHash: $0[1], result: $0[2]) }
    }

    public static func insert(scope: String, key: String, record: IdempotencyRecord, createdAt: String, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO idempotency (scope, key, method, paramsHash, result, createdAt) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [scope, key, record.method, record.paramsHash, record.result, createdAt])
    }
}
