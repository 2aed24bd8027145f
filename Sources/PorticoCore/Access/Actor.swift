
/// Who a request claims to act as, as sent in `params.actor`.
public enum ActorRef: Sendable, Equatable {
    case platform(String)
    case member(String)
}

/// A resolved actor: a platform operator, an active member with its partner, or a
/// partner's OAuth client calling the partner API with what a usable token grants.
public enum Actor: Sendable {
    case platform(operatorId: String)
    // Boxed: an actor is passed along the whole request, and a copy is one retain.
    indirect case member(MemberRecord, partner: PartnerRecord)
    case client(TokenGrant)

    /// How the audit log and idempotency scopes name this actor.
    public var name: String {
        switch self {
        case .platform(let op): return "platform:\(op)"
        case .member(let m, _): return "member:\(m.id)"
        case .client(let g): return "client:\(g.client.id)"
        }
    }

    /// The partner a member or a client belongs to; nil for the platform.
    public var ownPartner: PartnerRecord? {
        switch self {
        case .platform: return nil
        case .member(_, let p): return p
        case .client(let g): return g.partner
        }
    }

    public var isPlatform: Bool { if case .platform = self { return true } else { return false } }
}
