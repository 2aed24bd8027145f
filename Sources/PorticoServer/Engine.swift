import Crypto
import Foundation
import JSONRPC
import Logging
import PorticoCore
import PorticoRules

/// The request path: method lookup, params, actor, idempotency, the service.
///
/// All calls handed over together run as one unit of work of the store (`Store.runGroup`):
/// a failing request leaves nothing of its own behind and the others' writes stand, and
/// every answer is released only after the commit, so an answered write is durable. One
/// request at a time costs one commit each; pipelined requests share commits.
public final class Engine: CallHandler, @unchecked Sendable {
    public struct Options: Sendable {
        public var databasePath: String
        /// Opens the store at `databasePath`: the executable picks the implementation.
        public var openStore: StoreOpener
        public var clock: any Clock
        public var seed: UInt64?
        /// Where the rule files are. When the directory does not exist and was not asked
        /// for explicitly, the engine runs the shipped defaults built into it.
        public var rulesDirectory: String
        public var rulesDirectoryRequired: Bool
        public init(databasePath: String, openStore: @escaping StoreOpener, clock: any Clock = SystemClock(), seed: UInt64? = nil,
                    rulesDirectory: String = "./rules", rulesDirectoryRequired: Bool = false)
        {
            self.databasePath = databasePath; self.openStore = openStore; self.clock = clock; self.seed = seed
            self.rulesDirectory = rulesDirectory; self.rulesDirectoryRequired = rulesDirectoryRequired
        }
    }

    public static let version = "0.2.0"

    public let store: any Store
    public let options: Options
    public let ids: IDGenerator
    public let schemaVersion: String
    public let rules: ActiveRules
    let policy: RulesAccessPolicy
    let methods: [String: Method]
    let log: Logger

    /// Opens the database and loads the rules; throws `RuleSetError` when the rule files
    /// are invalid (the engine does not start on a policy it cannot read).
    public init(options: Options, logger: Logger = Logger(label: "portico")) throws {
        self.options = options
        log = logger
        rules = ActiveRules(try Self.loadRules(options, logger: logger).get())
        policy = RulesAccessPolicy(rules)
        store = try options.openStore(options.databasePath)
        schemaVersion = try store.schemaVersion()
        ids = IDGenerator(seed: options.seed)
        methods = Dictionary(uniqueKeysWithValues: MethodTable.all.map { ($0.name, $0) })
    }

    /// The rule files of the configured directory, or the shipped defaults when it is
    /// absent and was not required.
    static func loadRules(_ options: Options, logger: Logger) -> Result<RuleSet, RuleSetError> {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: options.rulesDirectory, isDirectory: &isDirectory), isDirectory.boolValue {
            return RuleSet.load(directory: options.rulesDirectory, catalog: MethodTable.actions)
        }
        if options.rulesDirectoryRequired {
            return .failure(RuleSetError(diagnostics: [RuleDiagnostic(file: options.rulesDirectory, line: 1, column: 1,
                                                                      message: "no such rules directory")]))
        }
        logger.notice("no rules directory at \(options.rulesDirectory): running the shipped default rules")
        return RuleSet.compile(EmbeddedRules.files, source: "embedded", catalog: MethodTable.actions)
    }

    /// The shipped rule files, built into the engine.
    public static var embeddedRuleFiles: [String: String] { EmbeddedRules.files }

    /// The rule files' texts as they are where the active rules came from.
    func readRuleTexts() -> Result<[String: String], RuleSetError> {
        let source = rules.current.source
        return source == "embedded" ? .success(EmbeddedRules.files) : RuleSet.readTexts(directory: source)
    }

    /// Reads the rule files again (from where they came) without installing them.
    func readRules() -> Result<RuleSet, RuleSetError> {
        rules.current.source == "embedded"
            ? RuleSet.compile(EmbeddedRules.files, source: "embedded", catalog: MethodTable.actions)
            : RuleSet.load(directory: rules.current.source, catalog: MethodTable.actions)
    }

    public func close() {
        do { try store.close() } catch { log.error("closing the database failed: \(error)") }
    }

    public func handle(_ calls: [Call], control: ConnectionControl) -> [Outcome?] {
        var outcomes = [Outcome?](repeating: nil, count: calls.count)
        var hooks: [@Sendable () -> Void] = []
        let specs = calls.map { methods[$0.method] }
        let access = specs.map { $0?.access ?? .none }
        let writes = access.contains(.write)
        guard writes || access.contains(.read) else {
            for i in calls.indices { outcomes[i] = run(calls[i], specs[i], store: nil, hooks: &hooks) }
            return outcomes
        }
        // A group may run twice (see `Store.runGroup`): the second run sees the same times
        // and ids as the first, so a request's answer never depends on it.
        var times = RequestTimes()
        let ids = self.ids.checkpoint()
        do {
            try store.runGroup(access, restart: {
                self.ids.restore(ids)
                outcomes = [Outcome?](repeating: nil, count: calls.count)
                hooks = []
            }) { i, transaction in
                if control.isCancelled(calls[i].id) {
                    outcomes[i] = .error(.requestCancelled)
                    return true
                }
                let outcome = run(calls[i], specs[i], store: transaction, now: { times.now(i, self.options.clock) }, hooks: &hooks)
                outcomes[i] = outcome
                if case .error = outcome { return false }
                return true
            }
            for hook in hooks { hook() }
        } catch {
            // The commit failed, or SQLite rolled the transaction back on its own: none of
            // the group's writes happened, and a read after the first write may have seen
            // them; every answer from there on is an error, and so is every call the group
            // did not reach.
            log.error("group commit failed: \(error)")
            let firstWrite = access.firstIndex(of: .write) ?? calls.count
            for i in calls.indices {
                switch outcomes[i] {
                case .result? where i >= firstWrite, nil: outcomes[i] = .error(internalError(calls[i]))
                default: break
                }
            }
        }
        return outcomes
    }

    /// The clock as each call of a group read it, by position: read once per call, the
    /// first time the call needs it.
    struct RequestTimes {
        var readings: [Int: Timestamp] = [:]
        mutating func now(_ index: Int, _ clock: any Clock) -> Timestamp {
            if let t = readings[index] { return t }
            let t = clock.now()
            readings[index] = t
            return t
        }
    }

    /// Runs one request through the whole path (params, actor, rules, transaction,
    /// commit), as if it had arrived alone.
    public func call(_ method: String, _ params: JSONValue, id: Int64 = 1) -> Outcome {
        handle([Call(id: .integer(id), method: method, params: params)], control: .detached())[0]!
    }

    func internalError(_ call: Call) -> RPCError {
        RPCError(code: RPCError.internalErrorCode, message: "Internal error; nothing was written",
                 data: ["requestId": call.id?.json ?? .null])
    }

    /// Runs one call; never throws: every failure becomes its error outcome. A write's
    /// after-commit work is added to `hooks` only when the write succeeded.
    func run(_ call: Call, _ spec: Method?, store: (any StoreTransaction)?, now: () -> Timestamp = { Timestamp.min },
             hooks: inout [@Sendable () -> Void]) -> Outcome
    {
        guard let spec else { return .error(.methodNotFound(call.method)) }
        do {
            // The id is kept with every change a request makes (the audit trail): it obeys
            // the rules of the keys a client chooses.
            if case .string(let id)? = call.id { _ = try Validate.key(id, field: "id", max: 255) }
            var params = try Params(call.params)
            let service: (inout Params, RequestContext) throws -> JSONValue
            switch spec.body {
            case .engine(let body):
                return .result(try body(&params, self))
            case .service(let body):
                service = body
            case .engineService(let body):
                service = { p, ctx in try body(&p, ctx, self) }
            }
            guard let store else { throw PorticoError(.internalError, "no store for \(spec.name)") }
            let (result, after) = try runService(call, spec, service, &params, store, now)
            hooks += after
            return .result(result)
        } catch let e as PorticoError {
            return .error(e.rpcError)
        } catch {
            log.error("request \(call.id?.description ?? "-") \(call.method) failed: \(error)")
            return .error(internalError(call))
        }
    }

    func runService(_ call: Call, _ spec: Method, _ body: (inout Params, RequestContext) throws -> JSONValue,
                    _ params: inout Params, _ store: any StoreTransaction, _ now: () -> Timestamp) throws -> (JSONValue, [@Sendable () -> Void])
    {
        var key: String? = nil
        if spec.access == .write, let k = try params.optionalString("idempotencyKey") {
            key = try Validate.key(k, field: "idempotencyKey", max: 255)
        }
        let actor: Actor? = spec.needsActor ? try ActorResolver.resolve(try params.actor(), store) : nil
        let ctx = RequestContext(store: store, now: now(), requestId: call.id.map(\.description),
                                 action: spec.name, actor: actor, ids: ids, policy: policy, rules: rules.current)
        guard let key else { return (try body(&params, ctx), ctx.afterCommit) }

        let scope = actor?.name ?? "anonymous"
        let hash = Self.paramsHash(call.params)
        if let previous = try store.idempotencyRecord(scope: scope, key: key) {
            guard previous.method == spec.name, previous.paramsHash == hash else {
                throw PorticoError.conflict("idempotencyKey", "was already used with other params")
            }
            return (try JSONReader.parse(previous.result), [])
        }
        let result = try body(&params, ctx)
        try store.insert(IdempotencyRecord(method: spec.name, paramsHash: hash, result: JSONWriter.string(result)),
                         scope: scope, key: key, createdAt: ctx.timestamp)
        return (result, ctx.afterCommit)
    }

    /// SHA-256 of the canonical params without the idempotency key itself.
    static func paramsHash(_ params: JSONValue?) -> String {
        var p = params ?? .null
        if case .object(var o) = p {
            o["idempotencyKey"] = nil
            p = .object(o)
        }
        return lowercaseHex(SHA256.hash(data: JSONWriter.canonical(p)))
    }
}
