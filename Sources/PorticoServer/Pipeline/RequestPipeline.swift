import Foundation
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

    /// The engines running on the store: those a shared store lists, or this one alone.
    func engines() -> [EngineRecord] {
        let me = identity.record(activeRules.current.hash)
        guard let shared = store as? SharedStore, let all = try? shared.engines(), !all.isEmpty else { return [me] }
        return all
    }
}

/// This engine among the engines sharing a store: its host, process and start.
final class EngineIdentity: Sendable {
    let host = ProcessInfo.processInfo.hostName
    let pid = Int64(ProcessInfo.processInfo.processIdentifier)
    let startedAt = SystemClock().now().rfc3339
    var id: String { "\(host)/\(pid)/\(startedAt)" }

    func record(_ rulesHash: String) -> EngineRecord {
        EngineRecord(id: id, host: host, pid: pid, rulesHash: rulesHash, startedAt: startedAt, seenAt: SystemClock().now().rfc3339)
    }
}
