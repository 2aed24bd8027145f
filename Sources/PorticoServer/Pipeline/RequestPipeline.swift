import Foundation
import Synchronization
import JSONRPC
import Logging
import PorticoCore
import PorticoRules

/// The path of one call, as stages with one job each:
///
/// decode (`CallDecoding`: the request id and the params) → resolve the caller
/// (`CallerResolution`) → rate limit (`RateLimiter`) → authorize → idempotency
/// (`IdempotencyStage`) → the service (the method's body) → encode.
///
/// Authorization is bound into the request's context here (the actor, the action and the
/// policy) and decided by the service at the point it knows which partner the request
/// touches: a decision reads the partner's status, tier and region. Every service asks
/// before it reads or writes anything of that partner's. Encoding: a method's body answers
/// its service's records as a `JSONValue` or as `JSONEncodable` records; the latter are
/// written straight into the answer's text (`Outcome(result:)`), and the connection puts
/// either on the wire.
///
/// The pipeline runs inside the group's transaction (`Store.runGroup`); it never throws:
/// every failure becomes the call's error outcome.
struct RequestPipeline: Sendable {
    let methods: [String: Method]
    let callers = CallerResolution()
    let rateLimiter: any RateLimiter
    let idempotency = IdempotencyStage()
    let policy: any AccessPolicy
    let activeRules: ActiveRules
    let ids: IDGenerator
    /// What `system.*` methods report.
    let status: EngineStatus
    /// The secrets file's contents, for the services that verify with them.
    let secrets: Secrets
    /// The platform's own domain (see `RequestContext.baseDomain`).
    let baseDomain: String
    /// Where exports go (see `RequestContext.exportDirectory`).
    let exportDirectory: String?
    let log: Logger

    /// Runs one call. A write's after-commit work is added to `hooks` only when the call
    /// succeeded. `store` is nil for a group that touches no data.
    func run(_ call: Call, _ method: Method?, store: (any StoreTransaction)?, now: () -> Timestamp, cancellation: Cancellation,
             hooks: inout [@Sendable () -> Void]) -> Outcome
    {
        guard let method else { return .error(.methodNotFound(call.method)) }
        do {
            var params = try CallDecoding.params(of: call)
            switch method.body {
            case .system(let body):
                return .result(try body(&params, status))
            case .service(let body):
                guard let store else { throw PorticoError(.internalError, "no store for \(method.name)") }
                let (result, after) = try serve(call, method, body, &params, store, now, cancellation)
                if method.access == .write { try store.settle() }
                hooks += after
                return Outcome(result: result)
            case .job:
                throw PorticoError(.internalError, "\(method.name) runs as a job, not in a group")
            }
        } catch let e as PorticoError {
            return .error(e.rpcError)
        } catch {
            log.error("request \(call.id?.description ?? "-") \(call.method) failed: \(error)")
            return .error(Self.internalError(call))
        }
    }

    /// The stages from the caller to the service. The clock is read once the caller is
    /// known (a request refused before never reads it), as every write's time.
    func serve(_ call: Call, _ method: Method, _ body: Method.Service, _ params: inout Params, _ store: any StoreTransaction,
               _ now: () -> Timestamp, _ cancellation: Cancellation) throws -> (any JSONEncodable, [@Sendable () -> Void])
    {
        let key = method.takesIdempotencyKey ? try idempotency.key(&params) : nil
        let actor = method.needsActor ? try callers.resolve(&params, store, method.caller, now: now) : nil
        try rateLimiter.admit(actor, action: method.name, now: now())
        let ctx = RequestContext(store: store, now: now(), requestId: call.id.map(\.description), action: method.name, actor: actor,
                                 ids: ids, policy: policy, activeRules: activeRules, cancellation: cancellation,
                                 secrets: secrets, caches: callers.caches, baseDomain: baseDomain,
                                 exportDirectory: exportDirectory)
        guard let key else { return (try body(&params, ctx), ctx.afterCommit) }
        let scope = IdempotencyStage.Scope(actor: actor, key: key, method: method.name, params: call.params)
        if let answered = try idempotency.replay(scope, store) { return (answered, []) }
        let result = try body(&params, ctx).json
        try idempotency.record(scope, result: result, at: ctx.timestamp, store)
        return (result, ctx.afterCommit)
    }

    static func internalError(_ call: Call) -> RPCError {
        RPCError(code: RPCError.internalErrorCode, message: "Internal error; nothing was written",
                 data: ["requestId": call.id?.json ?? .null])
    }
}

/// What the engine reports of itself (`system.health`).
struct EngineStatus: Sendable {
    let version: String
    let schemaVersion: String
    let storeLocation: String
    let deterministic: Bool
    let activeRules: ActiveRules
    let identity: EngineIdentity
    let store: any Store

    /// The engines running on the store, as `system.health` answers them: those a shared
    /// store lists, or this one alone. Read again at most once a second (a health check
    /// polled in a loop costs neither a query nor a clock's formatting each time).
    func engines() -> JSONValue {
        let now = SystemClock().now()
        let rules = activeRules.current.hash
        return identity.answered.withLock { cached in
            if let c = cached, c.second == now.millisecondsSinceEpoch / 1000, c.rules == rules { return c.value }
            let me = identity.record(rules, seenAt: now)
            var all = [me]
            if let shared = store as? SharedStore, let listed = try? shared.engines(), !listed.isEmpty { all = listed }
            let value = JSONValue.array(all.map { e in
                ["id": .string(e.id), "host": .string(e.host), "pid": .integer(e.pid), "rulesHash": .string(e.rulesHash),
                 "startedAt": .string(e.startedAt), "seenAt": .string(e.seenAt)]
            })
            cached = (now.millisecondsSinceEpoch / 1000, rules, value)
            return value
        }
    }
}

/// This engine among the engines sharing a store: its host, process and start.
final class EngineIdentity: Sendable {
    /// The machine's name as gethostname(2) gives it (Foundation's hostName may ask DNS,
    /// which a start must never wait for).
    let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(cString: buffer)
    }()
    let pid = Int64(ProcessInfo.processInfo.processIdentifier)
    let startedAt = SystemClock().now().rfc3339
    var id: String { "\(host)/\(pid)/\(startedAt)" }

    /// `system.health`'s engines as last answered: in which second, under which rules.
    let answered = Mutex<(second: Int64, rules: String, value: JSONValue)?>(nil)

    func record(_ rulesHash: String, seenAt: Timestamp = SystemClock().now()) -> EngineRecord {
        EngineRecord(id: id, host: host, pid: pid, rulesHash: rulesHash, startedAt: startedAt, seenAt: seenAt.rfc3339)
    }
}
