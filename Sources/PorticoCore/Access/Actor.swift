
/// Who a request claims to act as, as sent in `params.actor`.
public enum ActorRef: Sendable, Equatable {
    case platform(String)
    case member(String)
}

/// A resolved actor: a platform operator, an active member with its partner, or a
/// partner's OAuth client calling the partner API with a usable token's scopes.
public enum Actor: Sendable {
    case platform(operatorId: String)
    case member(MemberRecord, partner: PartnerRecord)
    case client(OAuthClientRecord, partner: PartnerRecord, scopes: [String])

    /// How the audit log and idempotency scopes name this actor.
    public var name: String {
        switch self {
        case .platform(let op): return "platform:\(op)"
        case .member(let m, _): return "member:\(m.id)"
        case .client(let c, _, _): return "client:\(c.id)"
        }
    }

    /// The partner a member or a client belongs to; nil for the platform.
    public var ownPartner: PartnerRecord? {
        switch self {
        case .platform: return nil
        case .member(_, let p), .client(_, let p, _): return p
        }
    }

    public var isPlatform: Bool { if case .platform = self { return true } else { return false } }
}
