import PorticoCore

extension PostgresTransaction: IdempotencyStore {
    public func idempotencyRecord(scope: String, key: String) throws -> IdempotencyRecord? {
        try query("SELECT method, params_hash, result FROM idempotency WHERE scope = $1 AND key = $2", [.text(scope), .text(key)]).first.map {
            IdempotencyRecord(method: try $0.string(0), paramsHash: try $0.string(1), result: try $0.string(2))
        }
    }

    public func insert(_ record: IdempotencyRecord, scope: String, key: String, createdAt: String) throws {
        try writing {
            try query("INSERT INTO idempotency (scope, key, method, params_hash, result, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                      [.text(scope), .text(key), .text(record.method), .text(record.paramsHash), .text(record.result), .text(createdAt)])
        }
    }
}
