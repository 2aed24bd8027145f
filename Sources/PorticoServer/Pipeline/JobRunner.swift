import JSONRPC
import PorticoCore

/// The path of a long request (`Method(job:)`): it runs alone, between groups. Its params
/// and idempotency key are read first; each step is a transaction of its own
/// (`Store.runGroup` with one writing request), with the caller resolved again in it and
/// the clock read once for it; `$/progress` goes out at once when the request carried a
/// `progressToken`; a cancel is seen between steps. An idempotency key is looked up in the
/// first step and its answer recorded in a last one, so a retry after a complete run
/// answers the first result and a retry after a cancel goes on.
extension RequestPipeline {
    func runJob(_ call: Call, _ method: Method, _ body: Method.Job, store: any Store, clock: @escaping () -> Timestamp,
                control: ConnectionControl) -> Outcome
    {
        do {
            var params = try CallDecoding.params(of: call)
            let key = try idempotency.key(&params)
            let token = try params.progressToken()
            let ref = try params.actor()
            let runner = JobRunner(pipeline: self, store: store, call: call, method: method, actor: ref, clock: clock, control: control,
                                   token: token)
            let scope = { (actor: Actor) in IdempotencyStage.Scope(actor: actor, key: key ?? "", method: method.name, params: call.params) }
            let first = try runner.step { ctx -> JSONValue? in
                try rateLimiter.admit(ctx.actor, action: method.name, now: ctx.now)
                guard key != nil, let actor = ctx.actor else { return nil }
                return try idempotency.replay(scope(actor), ctx.store)
            }
            if let first { return .result(first) }
            let result = try body(&params, runner)
            if key != nil {
                try runner.step { ctx in try idempotency.record(scope(ctx.actor!), result: result, at: ctx.timestamp, ctx.store) }
            }
            return .result(result)
        } catch let e as PorticoError {
            return .error(e.rpcError)
        } catch {
            log.error("request \(call.id?.description ?? "-") \(call.method) failed: \(error)")
            return .error(Self.internalError(call))
        }
    }
}

final class JobRunner: JobSteps {
    let pipeline: RequestPipeline
    let store: any Store
    let call: Call
    let method: Method
    let actor: ActorRef
    let clock: () -> Timestamp
    let control: ConnectionControl
    let token: JSONValue?

    init(pipeline: RequestPipeline, store: any Store, call: Call, method: Method, actor: ActorRef, clock: @escaping () -> Timestamp,
         control: ConnectionControl, token: JSONValue?)
    {
        self.pipeline = pipeline; self.store = store; self.call = call; self.method = method; self.actor = actor; self.clock = clock
        self.control = control; self.token = token
    }

    func step<T>(_ body: (RequestContext) throws -> T) throws -> T { try run(.write, body) }

    func read<T>(_ body: (RequestContext) throws -> T) throws -> T { try run(.read, body) }

    private func run<T>(_ access: StoreAccess, _ body: (RequestContext) throws -> T) throws -> T {
        let now = clock()
        let ids = pipeline.ids.checkpoint()
        var outcome: Result<T, any Error>? = nil
        var hooks: [@Sendable () -> Void] = []
        try store.runGroup([access], restart: {
            self.pipeline.ids.restore(ids)
            outcome = nil
            hooks = []
        }) { _, transaction in
            do {
                let actor = try ActorResolver.resolve(self.actor, transaction)
                let ctx = RequestContext(store: transaction, now: now, requestId: call.id.map(\.description), action: method.name,
                                         actor: actor, ids: pipeline.ids, policy: pipeline.policy, activeRules: pipeline.activeRules,
                                         cancellation: Cancellation(control, id: call.id), secrets: pipeline.secrets,
                                         baseDomain: pipeline.baseDomain, exportDirectory: pipeline.exportDirectory)
                let value = try body(ctx)
                if access == .write { try transaction.settle() }
                outcome = .success(value)
                hooks = ctx.afterCommit
                return true
            } catch {
                outcome = .failure(error)
                return false
            }
        }
        for hook in hooks { hook() }
        guard let outcome else { throw PorticoError(.internalError, "a step of \(method.name) did not run") }
        return try outcome.get()
    }

    func progress(done: Int, total: Int, message: String) {
        guard let token else { return }
        control.notifyNow(method: "$/progress", params: ["token": token, "value": [
            "done": .integer(Int64(done)), "total": .integer(Int64(total)), "message": .string(message),
        ]])
    }

    var isCancelled: Bool { control.isCancelled(call.id) }
}
