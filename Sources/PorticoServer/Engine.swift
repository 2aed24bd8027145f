import Foundation
import JSONRPC
import Logging
import PorticoCore
import PorticoExport
import PorticoRules

/// The engine: the store, the rules in force, and the group of calls handed over by the
/// connection.
///
/// All calls handed over together run as one unit of work of the store (`Store.runGroup`),
/// each through the `RequestPipeline`: a failing request leaves nothing of its own behind
/// and the others' writes stand, and every answer is released only after the commit, so
/// an answered write is durable. One request at a time costs one commit each; pipelined
/// requests share commits.
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
        /// What `--secrets` read (webhook endpoint secrets); held in memory only.
        public var secrets: Secrets
        /// The platform's own domain (`--base-domain`): storefronts at `<subdomain>.<baseDomain>`.
        public var baseDomain: String
        /// Where `analytics.export` writes (`--export-dir`); nil: exports are refused.
        public var exportDirectory: String?
        public init(databasePath: String, openStore: @escaping StoreOpener, clock: any Clock = SystemClock(), seed: UInt64? = nil,
                    rulesDirectory: String = "./rules", rulesDirectoryRequired: Bool = false, secrets: Secrets = .none,
                    baseDomain: String = RequestContext.defaultBaseDomain, exportDirectory: String? = nil)
        {
            self.databasePath = databasePath; self.openStore = openStore; self.clock = clock; self.seed = seed
            self.rulesDirectory = rulesDirectory; self.rulesDirectoryRequired = rulesDirectoryRequired; self.secrets = secrets
            self.baseDomain = baseDomain; self.exportDirectory = exportDirectory
        }
    }

    public static let version = "0.2.0"

    public let store: any Store
    public let options: Options
    public let ids: IDGenerator
    public let schemaVersion: String
    public let rules: ActiveRules
    let pipeline: RequestPipeline
    let log: Logger

    /// Opens the store and loads the rules; throws `RuleSetError` when the rule files are
    /// invalid (the engine does not start on a policy it cannot read).
    public init(options: Options, logger: Logger = Logger(label: "portico")) throws {
        self.options = options
        log = logger
        if let directory = options.exportDirectory, let exports = try? ExportDirectory(directory) {
            for path in exports.removeAbandoned() { logger.notice("removed an export's temporary file left by an engine that stopped mid-write: \(path)") }
        }
        rules = RuleFiles.active(try RuleFiles.load(options, logger: logger).get())
        store = try options.openStore(options.databasePath)
        schemaVersion = try store.schemaVersion()
        ids = IDGenerator(seed: try Self.seed(options.seed, store))
        pipeline = RequestPipeline(
            methods: Dictionary(uniqueKeysWithValues: MethodTable.all.map { ($0.name, $0) }), rateLimiter: PartnerRateLimiter(rules: rules),
            policy: RulesAccessPolicy(rules), activeRules: rules, ids: ids,
            status: EngineStatus(version: Self.version, schemaVersion: schemaVersion, storeLocation: store.location,
                                 deterministic: ids.isDeterministic, activeRules: rules, identity: identity, store: store),
            secrets: options.secrets, baseDomain: options.baseDomain, exportDirectory: options.exportDirectory, log: logger)
        if let shared = store as? SharedStore { try join(shared) }
    }

    /// Who this engine is among the engines sharing its store.
    let identity = EngineIdentity()

    /// Joins the engines sharing the store: says which rules this one runs, reads its rule
    /// files again when another announces a reload (on the store's listening thread, which
    /// records the hash), and announces its own reloads (after their commit, on the thread
    /// that runs requests).
    func join(_ shared: SharedStore) throws {
        let rules = self.rules, identity = self.identity, log = self.log
        try shared.join(as: identity.record(rules.current.hash)) { announced in
            switch rules.readAgain() {
            case .success(let set):
                let old = rules.swap(set)
                if set.hash != announced {
                    log.warning("another engine reloaded rules \(announced); this engine's rule files read as \(set.hash): they differ")
                } else if set.hash != old.hash {
                    log.notice("rules reloaded as another engine announced: \(set.hash)")
                }
                return set.hash
            case .failure(let e):
                log.error("another engine reloaded rules \(announced); this engine's rule files are invalid, it keeps \(rules.current.hash): \(e)")
                return rules.current.hash
            }
        }
        rules.onReload = { set in
            do { try shared.rulesChanged(engine: identity.record(set.hash), announce: true) } catch {
                log.error("announcing the rules reload to the other engines failed: \(error)")
            }
        }
    }

    /// The seed of the engine's ids: as given on a new database, so a session is
    /// reproducible byte for byte; mixed with the audit log's length on a database already
    /// written, so a seeded engine started again on it (or a second session of a replay)
    /// does not draw the ids of its first session again and collide with them.
    static func seed(_ seed: UInt64?, _ store: any Store) throws -> UInt64? {
        guard let seed else { return nil }
        var head = AuditHead.genesis
        var failure: (any Error)?
        try store.runGroup([.read], restart: {}) { _, tx in
            do { head = try tx.auditHead() } catch { failure = error }
            return failure == nil
        }
        if let failure { throw failure }
        guard head.seq > 0 else { return seed }
        var mix = SplitMix64(state: seed ^ UInt64(bitPattern: head.seq) &* 0x9E37_79B9_7F4A_7C15)
        return mix.next()
    }

    /// The shipped rule files, built into the engine.
    public static var embeddedRuleFiles: [String: String] { EmbeddedRules.files }

    public func close() {
        do { try store.close() } catch { log.error("closing the database failed: \(error)") }
    }

    /// Runs the calls in order: the calls between long requests (jobs) as groups, each
    /// job alone in between (see `JobSteps`).
    /// Reads ahead the params of the methods that prepare them (`Method.preparing`).
    public func prepare(_ call: inout Call) {
        guard let prepare = pipeline.methods[call.method]?.prepare else { return }
        call.prepared = prepare(call.params)
    }

    public func handle(_ calls: [Call], control: ConnectionControl) -> [Outcome?] {
        let specs = calls.map { pipeline.methods[$0.method] }
        guard let j = specs.firstIndex(where: { $0?.isJob == true }), case .job(let body)? = specs[j]?.body else {
            return handleGroup(calls, specs, control: control)
        }
        var outcomes = j > 0 ? handleGroup(Array(calls[..<j]), Array(specs[..<j]), control: control) : []
        if control.isCancelled(calls[j].id) {
            outcomes.append(.error(.requestCancelled))
        } else {
            outcomes.append(pipeline.runJob(calls[j], specs[j]!, body, store: store, clock: { self.options.clock.now() }, control: control))
        }
        if j + 1 < calls.count { outcomes += handle(Array(calls[(j + 1)...]), control: control) }
        return outcomes
    }

    func handleGroup(_ calls: [Call], _ specs: [Method?], control: ConnectionControl) -> [Outcome?] {
        var outcomes = [Outcome?](repeating: nil, count: calls.count)
        var hooks: [@Sendable () -> Void] = []
        let access = specs.map { $0?.access ?? .none }
        let writes = access.contains(.write)
        guard writes || access.contains(.read) else {
            for i in calls.indices {
                outcomes[i] = pipeline.run(calls[i], specs[i], store: nil, now: { Timestamp.min }, cancellation: .never, hooks: &hooks)
            }
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
                let outcome = pipeline.run(calls[i], specs[i], store: transaction, now: { times.now(i, self.options.clock) },
                                           cancellation: Cancellation(control, id: calls[i].id), hooks: &hooks)
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
                case .result? where i >= firstWrite, .encoded? where i >= firstWrite, nil: outcomes[i] = .error(RequestPipeline.internalError(calls[i]))
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
    /// commit), as if it had arrived alone; a result written as text is answered read
    /// back as a tree.
    public func call(_ method: String, _ params: JSONValue, id: Int64 = 1) -> Outcome {
        handle([Call(id: .integer(id), method: method, params: params)], control: .detached())[0]!.read
    }
}
