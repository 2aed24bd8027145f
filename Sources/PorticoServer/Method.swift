import JSONRPC
import PorticoCore
import PorticoRules

/// One entry of the method table: its name, what it touches, and how it runs.
public struct Method: Sendable {
    /// What the method does with the store: `.none` answers from the engine alone, `.read`
    /// reads inside the group's transaction, `.write` writes there (alone on a failure:
    /// see `Store.runGroup`), takes an `idempotencyKey` and is audited by its service.
    public typealias Access = StoreAccess

    /// A method's body: reads its params, calls its service, and answers what encodes the
    /// result: a `JSONValue`, or records that write themselves (`JSONEncodable`), which
    /// go on the wire without becoming a tree first.
    public typealias Service = @Sendable (inout Params, RequestContext) throws -> any JSONEncodable
    /// A long request's body: its params read, it runs its steps (see `JobSteps`).
    public typealias Job = @Sendable (inout Params, any JobSteps) throws -> JSONValue

    enum Body: Sendable {
        /// Answers from the engine's own state (`rpc.discover`, `system.health`): no
        /// transaction, no actor.
        case system(@Sendable (inout Params, EngineStatus) throws -> JSONValue)
        case service(Service)
        /// Runs alone, outside any group, as steps committed one by one (`JobSteps`).
        case job(Job)
    }

    var isJob: Bool { if case .job = body { true } else { false } }

    public let name: String
    public let access: Access
    /// Whether params carry an `actor` that is resolved before the body runs.
    public let needsActor: Bool
    /// Whether a write takes an `idempotencyKey`. Not for writes that answer a secret: a
    /// retry would have to answer it again, so it would be stored in the clear.
    public let takesIdempotencyKey: Bool
    let body: Body

    /// How the caller is named (when `needsActor`).
    public let caller: Caller
    /// Reads the params ahead of the call, on the thread that read the request (see
    /// `preparing(_:)`); nil for most methods.
    private(set) var prepare: (@Sendable (JSONValue?) -> (any Sendable)?)?

    /// How a request names who calls.
    public enum Caller: Sendable {
        /// An `actor` param: a platform operator or a member.
        case actor
        /// An `accessToken` param: the OAuth client of a usable token, with its scopes (the
        /// partner API's `api.*` methods).
        case accessToken
        /// An `actor`, or an OAuth client authenticating itself with `clientId` and
        /// `clientSecret` (a resource server introspecting tokens, RFC 7662 §2.1), with
        /// the client's scopes.
        case actorOrClientCredentials
    }

    private init(name: String, access: Access, needsActor: Bool, takesIdempotencyKey: Bool, caller: Caller, body: Body) {
        self.name = name
        self.access = access
        self.needsActor = needsActor
        self.takesIdempotencyKey = access == .write && takesIdempotencyKey
        self.caller = caller
        self.body = body
    }

    public init(_ name: String, access: Access, needsActor: Bool = true, takesIdempotencyKey: Bool = true, caller: Caller = .actor,
                _ run: @escaping Service)
    {
        self.init(name: name, access: access, needsActor: needsActor, takesIdempotencyKey: takesIdempotencyKey, caller: caller,
                  body: .service(run))
    }

    /// A partner API method: called with an `accessToken` instead of an actor.
    public init(api name: String, access: Access, _ run: @escaping Service) {
        self.init(name: name, access: access, needsActor: true, takesIdempotencyKey: true, caller: .accessToken, body: .service(run))
    }

    /// A long request that writes in several commits, reports `$/progress` when given a
    /// `progressToken`, and stops between steps on `$/cancelRequest`.
    /// A job: `access` is what the permission rules see (an export writes a file, not data).
    public init(job name: String, access: Access = .write, _ run: @escaping Job) {
        self.init(name: name, access: access, needsActor: true, takesIdempotencyKey: true, caller: .actor, body: .job(run))
    }

    init(system name: String, _ run: @escaping @Sendable (inout Params, EngineStatus) throws -> JSONValue) {
        self.init(name: name, access: .none, needsActor: false, takesIdempotencyKey: false, caller: .actor, body: .system(run))
    }

    /// This method with `read` run on its params as each request is read, while the calls
    /// before it run: its body takes the result with `params.prepared(read)` (which runs
    /// `read` then, should nothing have been made ahead). For methods whose params are
    /// large (a batch of usage events): reading them is then off the thread that writes.
    /// `read` must depend on the params alone — no rules, no clock, no store.
    func preparing<T: Sendable>(_ read: @escaping @Sendable (inout Params) throws -> T) -> Method {
        var m = self
        m.prepare = { Params.prepare($0, read) }
        return m
    }
}

/// Every method the engine serves, by area.
public enum MethodTable {
    public static let all: [Method] = SystemMethods.all + PartnerMethods.all + MemberMethods.all + GovernanceMethods.all
        + ResellerMethods.all + SaleMethods.all + ReportMethods.all + AuditMethods.all + RulesMethods.all + PricingMethods.all
        + PayoutMethods.all + OAuthMethods.all + APIMethods.all + SubscriptionMethods.all + UsageMethods.all + BrandMethods.all
        + AnalyticsMethods.all

    /// The actions permission rules decide on: every method of the API contract that is
    /// called on someone's behalf (an actor, or an API client's token), served yet or not,
    /// so the policy can be written for the whole contract, and the finer actions a
    /// method may also take (`reseller.setCommissionRate`). A test keeps the served
    /// methods and this list in agreement.
    public static let actions = ActionCatalog(
        contractReads.map { ActionCatalog.Action($0, .read, byClient: calledByClients.contains($0)) }
            + contractWrites.map { ActionCatalog.Action($0, .write, byClient: calledByClients.contains($0)) })

    /// The served methods an API client may call (a scope may grant them): every `api.*`
    /// method, and `oauth.introspect`.
    static let calledByClients = Set(all.filter { $0.caller != .actor }.map(\.name))

    static let contractReads = [
        "analytics.export", "analytics.overview", "analytics.partner", "analytics.regions", "analytics.resellers", "analytics.topPartners",
        "api.commissions.list",
        "api.customer.get", "api.customer.list", "api.sales.list", "api.subscription.get", "api.subscription.list",
        "api.usage.get", "audit.list", "audit.verify", "brand.domain.list", "brand.get", "commission.list", "commission.summary",
        "customer.get", "customer.list", "events.subscribe", "oauth.client.list", "oauth.introspect",
        "partner.dashboard", "partner.get", "partner.getBySubdomain", "partner.list", "partner.members.list",
        "partner.report", "payout.account.get", "payout.get", "payout.list", "payout.statement", "reseller.get", "reseller.list", "reseller.report",
        "rules.explain", "rules.test", "rules.validate", "sale.list", "subscription.get", "subscription.list", "usage.get",
    ]

    static let contractWrites = [
        "api.customer.register", "api.subscription.cancel", "api.subscription.create", "api.usage.record", "brand.domain.add",
        "brand.domain.certificate", "brand.domain.due", "brand.domain.remove", "brand.domain.verify", "brand.update", "commission.create",
        "customer.create", "oauth.client.create", "oauth.client.revoke", "oauth.client.rotateSecret", "partner.activate",
        "partner.create", "partner.freeze", "partner.members.add", "partner.members.remove", "partner.members.updateRole",
        "partner.suspend", "partner.update", "payout.account.set", "payout.cancel", "payout.complete", "payout.create", "payout.fail",
        "payout.process", "payout.runScheduled", "payout.schedule", "payout.webhook", "reseller.create", "reseller.setCommissionRate", "reseller.update",
        "rules.reload", "sale.record", "sale.refund", "subscription.cancel", "subscription.create", "subscription.renewDue",
        "usage.close",
    ]
}
