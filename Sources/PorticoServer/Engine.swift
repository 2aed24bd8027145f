import Crypto
import GRDB
import JSONRPC
import Logging
import PorticoCore
import PorticoStore

/// The request path: method lookup, params, actor, idempotency, the service, and group
/// commit.
///
/// All calls handed over together run in one `BEGIN IMMEDIATE` transaction, each write
/// in its own savepoint: a failing request rolls back only its own writes, and every
/// answer is released only after the commit, so an answered write is durable. One
/// request at a time costs one commit each; pipelined requests share commits.
public final class Engine: CallHandler, @unchecked Sendable {
    public struct Options: Sendable {
        public var databasePath: String
        public var clock: any Clock
        public var seed: UInt64?
        public var policy: any AccessPolicy
        public init(databasePath: String, clock: any Clock = SystemClock(), seed: UInt64? = nil,
                    policy: any AccessPolicy = BuiltinAccessPolicy())
        {
            self.databasePath = databasePath; self.clock = clock; self.seed = seed; self.policy = policy
        }
    }

    public static let version = "0.1.0"

    public let database: AppDatabase
    public let options: Options
    public let ids: IDGenerator
    public let schemaVersion: String
    let methods: [String: Method]
    let log: Logger

    public init(options: Options, logger: Logger = Logger(label: "portico")) throws {
        self.options = options
        database = try AppDatabase(path: options.databasePath)
        schemaVersion = try database.schemaVersion()
        ids = IDGenerator(seed: options.seed)
        methods = Dictionary(uniqueKeysWithValues: MethodTable.all.map { ($0.name, $0) })
        log = logger
    }

    public func close() {
        do { try database.close() } catch { log.error("closing the database failed: \(error)") }
    }

    public func handle(_ calls: [Call], control: ConnectionControl) -> [Outcome?] {
        var outcomes = [Outcome?](repeating: nil, count: calls.count)
        let specs = calls.map { methods[$0.method] }
        let access = specs.map { $0?.access ?? .none }
        let writes = access.contains(.write)
        guard writes || access.contains(.read) else {
            for i in calls.indices { outcomes[i] = run(calls[i], specs[i], db: nil) }
            return outcomes
        }
        do {
            try database.writer.inDatabase { db in
                try db.inTransaction(writes ? .immediate : .deferred) {
                    for i in calls.indices {
                        if control.isCancelled(calls[i].id) {
                            outcomes[i] = .error(.requestCancelled)
                            continue
                        }
                        outcomes[i] = run(calls[i], specs[i], db: db)
                    }
                    return .commit
                }
            }
        } catch {
            // The commit failed: none of the group's writes happened, and a read after the
            // first write may have seen them; every answer from there on is an error.
            log.error("group commit failed: \(error)")
            let firstWrite = access.firstIndex(of: .write) ?? calls.count
            for i in firstWrite..<calls.count {
                if case .result? = outcomes[i] { outcomes[i] = .error(internalError(calls[i])) }
            }
        }
        return outcomes
    }

    func internalError(_ call: Call) -> RPCError {
        RPCError(code: RPCError.internalErrorCode, message: "Internal error; nothing was written",
                 data: ["requestId": call.id?.json ?? .null])
    }

    /// Runs one call; never throws: every failure becomes its error outcome.
    func run(_ call: Call, _ spec: Method?, db: Database?) -> Outcome {
        guard let spec else { return .error(.methodNotFound(call.method)) }
        do {
            var params = try Params(call.params)
            switch spec.body {
            case .engine(let body):
                let result = try body(&params, self)
                return .result(result)
            case .service(let body):
                guard let db else { throw PorticoError(.internalError, "no database for \(spec.name)") }
                if spec.access == .write {
                    return .result(try inSavepoint(db) { try runService(call, spec, body, &params, db) })
                }
                return .result(try runService(call, spec, body, &params, db))
            }
        } catch let e as PorticoError {
            return .error(e.rpcError)
        } catch {
            log.error("request \(call.id?.description ?? "-") \(call.method) failed: \(error)")
            return .error(internalError(call))
        }
    }

    func runService(_ call: Call, _ spec: Method, _ body: (inout Params, RequestContext) throws -> JSONValue,
                    _ params: inout Params, _ db: Database) throws -> JSONValue
    {
        var key: String? = nil
        if spec.access == .write, let k = try params.optionalString("idempotencyKey") {
            guard (1...255).contains(k.utf8.count) else { throw PorticoError.invalid("idempotencyKey", "must be 1-255 characters") }
            key = k
        }
        let actor: Actor? = spec.needsActor ? try ActorResolver.resolve(try params.actor(), db) : nil
        let ctx = RequestContext(db: db, now: options.clock.now(), requestId: call.id.map(\.description),
                                 action: spec.name, actor: actor, ids: ids, policy: options.policy)
        guard let key else { return try body(&params, ctx) }

        let scope = actor?.name ?? "anonymous"
        let hash = Self.paramsHash(call.params)
        if let previous = try IdempotencyTable.find(scope: scope, key: key, db) {
            guard previous.method == spec.name, previous.paramsHash == hash else {
                throw PorticoError.conflict("idempotencyKey", "was already used with other params")
            }
            return try JSONReader.parse(previous.result)
        }
        let result = try body(&params, ctx)
        try IdempotencyTable.insert(scope: scope, key: key,
                                    record: IdempotencyRecord(method: spec.name, paramsHash: hash, result: JSONWriter.string(result)),
                                    createdAt: ctx.timestamp, db)
        return result
    }

    /// Runs `body` in a savepoint of the group's transaction: released on success, rolled
    /// back whole on any error. Cached statements, since every write request takes one.
    func inSavepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "SAVEPOINT request").execute()
        do {
            let result = try body()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
            return result
        } catch {
            try db.cachedStatement(sql: "ROLLBACK TO SAVEPOINT request").execute()
            try db.cachedStatement(sql: "RELEASE SAVEPOINT request").execute()
            throw error
        }
    }

    /// SHA-256 of the canonical params without the idempotency key itself.
    static func paramsHash(_ params: JSONValue?) -> String {
        var p = params ?? .null
        if case .object(var o) = p {
            o["idempotencyKey"] = nil
            p = .object(o)
        }
        return SHA256.hash(data: JSONWriter.canonical(p)).map { String(format: "%02x", $0) }.joined()
    }
}
