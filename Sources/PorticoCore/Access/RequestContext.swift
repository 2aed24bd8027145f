import JSONRPC
import PorticoRules

/// Everything a service needs for one request: the open transaction, the request's
/// time, who is calling, and where ids come from. Built by the server per call.
public final class RequestContext {
    /// The group's transaction: every read and write of the request goes through it.
    public let store: any StoreTransaction
    /// The request's time: read once from the clock, used for every timestamp it writes.
    public let now: Timestamp
    public let requestId: String?
    /// The method name; the action permission decisions are made on.
    public let action: String
    public let actor: Actor?
    public let ids: IDGenerator
    public let policy: AccessPolicy
    /// The rules in force when the request started: the whole request sees one set.
    public let rules: RuleSet
    /// Where the rules are read again from and installed (`rules.*` methods).
    public let activeRules: ActiveRules
    /// Whether the client has cancelled this request: long work polls it.
    public let cancellation: Cancellation
    /// The secrets the engine was started with (`--secrets`).
    public let secrets: Secrets
    /// What requests resolved before (nil: nothing is kept).
    public let caches: EngineCaches?
    /// The platform's own domain: partners' storefronts are at `<subdomain>.<baseDomain>`.
    public let baseDomain: String
    /// Where `analytics.export` writes (`--export-dir`); nil: exports are off.
    public let exportDirectory: String?

    public init(store: any StoreTransaction, now: Timestamp, requestId: String?, action: String, actor: Actor?, ids: IDGenerator,
                policy: AccessPolicy, activeRules: ActiveRules, cancellation: Cancellation = .never, secrets: Secrets = .none,
                caches: EngineCaches? = nil, baseDomain: String = RequestContext.defaultBaseDomain, exportDirectory: String? = nil)
    {
        self.store = store; self.now = now; self.requestId = requestId; self.action = action; self.actor = actor
        self.ids = ids; self.policy = policy; self.activeRules = activeRules; rules = activeRules.current
        self.cancellation = cancellation; self.secrets = secrets; self.caches = caches
        self.baseDomain = baseDomain
        self.exportDirectory = exportDirectory
    }

    public static let defaultBaseDomain = "portal.example"

    /// `now` as RFC 3339, formatted once: every row the request writes carries it.
    public private(set) lazy var timestamp: String = now.rfc3339

    /// Work to do once the request's transaction has committed (swapping in reloaded
    /// rules, sending events); dropped if the request or its group rolls back.
    public private(set) var afterCommit: [@Sendable () -> Void] = []

    public func onCommit(_ action: @escaping @Sendable () -> Void) { afterCommit.append(action) }

    /// A new id with this prefix, ordered by the request's time.
    public func newID(_ prefix: String) -> String { ids.make(prefix, at: now) }

    public func requireActor() throws(PorticoError) -> Actor {
        guard let actor else { throw .unauthenticated("this method needs an actor") }
        return actor
    }

    /// Asks the access policy whether the actor may perform this request's action on
    /// `partner`'s data (nil: on the platform as a whole).
    public func authorize(partner: PartnerRecord?) throws(PorticoError) {
        try policy.authorize(try requireActor(), action: action, partner: partner)
    }

    /// Asks about a finer action a request may also take (setting a reseller's rate inside
    /// `reseller.update`): the permission rules name it like a method.
    public func authorize(_ action: String, partner: PartnerRecord?) throws(PorticoError) {
        try policy.authorize(try requireActor(), action: action, partner: partner)
    }

    /// Appends the audit record for a change this request made, in its transaction.
    /// `actorName` names who acted when the request has no actor (an OAuth client:
    /// `client:cli_...`).
    @discardableResult
    public func audit(targetType: String, targetId: String, partnerId: String?, reason: String? = nil,
                      before: JSONValue?, after: JSONValue?, actorName: String? = nil) throws -> Int64
    {
        let entry = AuditEntry(id: newID("aud"), at: timestamp, requestId: requestId, actor: actorName ?? actor?.name ?? "anonymous",
                               action: action, targetType: targetType, targetId: targetId, partnerId: partnerId,
                               reason: reason, before: before, after: after)
        return try store.append(entry).seq
    }
}

/// Whether the client cancelled a request (`$/cancelRequest`), asked of its connection.
public struct Cancellation: Sendable {
    let control: ConnectionControl?
    let id: RequestID?

    public init(_ control: ConnectionControl, id: RequestID?) { self.control = control; self.id = id }
    init() { control = nil; id = nil }

    /// A request no one can cancel (run in-process).
    public static let never = Cancellation()

    public var isCancelled: Bool { control?.isCancelled(id) ?? false }
}

/// Resolves the `actor` a request names.
public enum ActorResolver {
    /// Platform operator ids are the host's own; members must exist and be active.
    public static func resolve(_ ref: ActorRef, _ store: any StoreTransaction) throws -> Actor {
        switch ref {
        case .platform(let op):
            return .platform(operatorId: try Validate.key(op, field: "actor.platform", max: 128))
        case .member(let id):
            guard let m = try store.member(id: id), m.status == .active else {
                throw PorticoError.unauthenticated("no active member \(id)")
            }
            guard let p = try store.partner(id: m.partnerId) else {
                throw PorticoError.unauthenticated("the member's partner does not exist")
            }
            return .member(m, partner: p)
        }
    }
}
