
/// Who a request claims to act as, as sent in `params.actor`.
public enum ActorRef: Sendable, Equatable {
    case platform(String)
    case member(String)
}

/// A resolved actor: a platform operator, or an active member with its partner.
public enum Actor: Sendable {
    case platform(operatorId: String)
    case member(MemberRecord, partner: PartnerRecord)

    /// How the audit log and idempotency scopes name this actor.
    public var name: String {
        switch self {
        case .platform(let op): return "platform:\(op)"
        case .member(let m, _): return "member:\(m.id)"
        }
    }

    public var isPlatform: Bool { if case .platform = self { return true } else { return false } }
}
