import Crypto
import JSONRPC
import PorticoCore

/// The idempotency stage: a write that carries an `idempotencyKey` is answered once. A
/// retry with the same key and the same params (the key aside) by the same actor answers
/// the first result and writes nothing; the same key with other params, or for another
/// method, is -32009 on `idempotencyKey`. The record is written in the request's own
/// transaction, with its rows and its audit record.
struct IdempotencyStage: Sendable {
    struct Scope {
        /// How the key is scoped: by actor (two actors may use the same key independently).
        let scope: String
        let key: String
        let method: String
        let paramsHash: String

        init(actor: Actor?, key: String, method: String, params: JSONValue?) {
            scope = actor?.name ?? "anonymous"
            self.key = key
            self.method = method
            paramsHash = IdempotencyStage.paramsHash(params)
        }
    }

    /// The key the request carries, checked as every client-chosen key is.
    func key(_ params: inout Params) throws(PorticoError) -> String? {
        guard let k = try params.optionalString("idempotencyKey") else { return nil }
        return try Validate.key(k, field: "idempotencyKey", max: 255)
    }

    /// The first answer under this key, or nil when the key is new.
    func replay(_ s: Scope, _ store: any StoreTransaction) throws -> JSONValue? {
        guard let previous = try store.idempotencyRecord(scope: s.scope, key: s.key) else { return nil }
        guard previous.method == s.method, previous.paramsHash == s.paramsHash else {
            throw PorticoError.conflict("idempotencyKey", "was already used with other params")
        }
        return try JSONReader.parse(previous.result)
    }

    func record(_ s: Scope, result: JSONValue, at timestamp: String, _ store: any StoreTransaction) throws {
        try store.insert(IdempotencyRecord(method: s.method, paramsHash: s.paramsHash, result: JSONWriter.string(result)),
                         scope: s.scope, key: s.key, createdAt: timestamp)
    }

    /// SHA-256 of the canonical params without the idempotency key itself and the progress
    /// token (how a retry is followed is not what it asks).
    static func paramsHash(_ params: JSONValue?) -> String {
        var p = params ?? .null
        if case .object(var o) = p {
            o["idempotencyKey"] = nil
            o["progressToken"] = nil
            p = .object(o)
        }
        return lowercaseHex(SHA256.hash(data: JSONWriter.canonical(p)))
    }
}
