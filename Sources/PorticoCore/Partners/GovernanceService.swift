import JSONRPC

/// Freezing, suspending and re-activating partners. Platform only (the permission
/// rules' `platformOnly`), audited with the reason. What each status allows is the
/// permission rules' to say: the shipped ones make a frozen partner read-only for its
/// members and stop its payouts, and close a suspended one to its members.
public enum GovernanceService {
    public enum Transition: String, Sendable {
        case freeze, suspend, activate

        var target: PartnerStatus {
            switch self {
            case .freeze: return .frozen
            case .suspend: return .suspended
            case .activate: return .active
            }
        }

        /// The statuses a partner may be in for the transition.
        var from: [PartnerStatus] {
            switch self {
            case .freeze: return [.active]
            case .suspend: return [.active, .frozen]
            case .activate: return [.frozen, .suspended]
            }
        }
    }

    public static func apply(_ transition: Transition, _ ctx: RequestContext, partnerId: String, reason rawReason: String) throws
        -> PartnerRecord
    {
        let before = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: before)
        let reason = try Validate.reason(rawReason)
        guard transition.from.contains(before.status) else {
            throw PorticoError.invalidState(before.status.rawValue, allowed: transition.from.map(\.rawValue),
                                            "cannot \(transition.rawValue) a partner that is \(before.status.rawValue)")
        }
        var p = before
        p.status = transition.target
        p.statusReason = transition == .activate ? nil : reason
        p.updatedAt = ctx.now
        try ctx.store.update(p)
        try ctx.audit(targetType: "partner", targetId: p.id, partnerId: p.id, reason: reason, before: before.json, after: p.json)
        return p
    }
}
