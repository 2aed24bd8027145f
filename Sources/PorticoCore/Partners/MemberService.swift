import JSONRPC
import PorticoRules

/// A partner's members. A partner always keeps exactly one active owner: the owner can
/// be neither removed nor demoted; ownership moves only by giving another member the
/// owner role, which makes the previous owner a manager in the same transaction.
public enum MemberService {
    public static func load(_ id: String, _ store: any StoreTransaction) throws -> MemberRecord {
        guard let m = try store.member(id: id) else { throw PorticoError.notFound("member", id) }
        return m
    }

    public static func add(_ ctx: RequestContext, partnerId: String, email rawEmail: String, name rawName: String,
                           role rawRole: String) throws -> MemberRecord
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let email = try Validate.email(rawEmail)
        let name = try Validate.name(rawName, field: "name")
        let role = try MemberRole.parse(rawRole)
        guard role != .owner else {
            throw PorticoError.invalid("role", "a partner has exactly one owner: add the member with another role, then transfer ownership with partner.members.updateRole")
        }
        if try ctx.store.activeMemberExists(partnerId: partner.id, email: email) {
            throw PorticoError.conflict("email", "\(email) is already a member of this partner")
        }
        let t = ctx.now
        var m = MemberRecord(id: ctx.newID("mem"), partnerId: partner.id, email: email, name: name, role: role,
                             status: .active, createdAt: t, updatedAt: t)
        try ctx.store.insert(&m)
        try ctx.audit(targetType: "member", targetId: m.id, partnerId: partner.id, before: nil, after: m.json)
        return m
    }

    public static func list(_ ctx: RequestContext, partnerId: String, role: String?, includeRemoved: Bool,
                            page: PageRequest) throws -> Page<MemberRecord>
    {
        let partner = try PartnerService.load(partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let role = try role.map { r throws(PorticoError) in try MemberRole.parse(r) }
        let rows = try ctx.store.members(partnerId: partner.id, role: role, includeRemoved: includeRemoved,
                                           afterSeq: page.afterSeq, limit: page.limit + 1)
        return page.page(rows, seq: \.seq)
    }

    /// Changes a member's role. Giving the owner role transfers ownership (only the owner
    /// or the platform may); the previous owner becomes a manager.
    public static func updateRole(_ ctx: RequestContext, memberId: String, role rawRole: String) throws
        -> (member: MemberRecord, previousOwner: MemberRecord?)
    {
        let before = try load(memberId, ctx.store)
        let partner = try PartnerService.load(before.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        let role = try MemberRole.parse(rawRole)
        guard before.status == .active else {
            throw PorticoError.invalidState(before.status.rawValue, allowed: ["active"], "member \(before.id) was removed")
        }
        if before.role == role { return (before, nil) }
        if before.role == .owner {
            throw PorticoError.invalidState("owner", allowed: ["manager", "sales", "support", "viewer"],
                                            "a partner must keep its owner: transfer ownership by giving another member the owner role")
        }
        let t = ctx.now
        var previousOwner: MemberRecord? = nil
        if role == .owner {
            let actor = try ctx.requireActor()
            if case .member(let caller, _) = actor, caller.role != .owner {
                throw PorticoError.forbidden(rule: "builtin.ownership", "only the owner or the platform may transfer ownership")
            }
            if let owner = try ctx.store.activeOwner(partnerId: partner.id) {
                var demoted = owner
                demoted.role = .manager
                demoted.updatedAt = t
                try ctx.store.update(demoted)
                try ctx.audit(targetType: "member", targetId: demoted.id, partnerId: partner.id,
                              reason: "ownership transferred to \(before.id)", before: owner.json, after: demoted.json)
                previousOwner = demoted
            }
        }
        var m = before
        m.role = role
        m.updatedAt = t
        try ctx.store.update(m)
        try ctx.audit(targetType: "member", targetId: m.id, partnerId: partner.id, before: before.json, after: m.json)
        return (m, previousOwner)
    }

    public static func remove(_ ctx: RequestContext, memberId: String) throws -> MemberRecord {
        let before = try load(memberId, ctx.store)
        let partner = try PartnerService.load(before.partnerId, ctx.store)
        try ctx.authorize(partner: partner)
        guard before.status == .active else {
            throw PorticoError.invalidState(before.status.rawValue, allowed: ["active"], "member \(before.id) was already removed")
        }
        guard before.role != .owner else {
            throw PorticoError.invalidState("owner", allowed: ["manager", "sales", "support", "viewer"],
                                            "the owner cannot be removed: transfer ownership first")
        }
        var m = before
        m.status = .removed
        m.removedAt = ctx.now
        m.updatedAt = ctx.now
        try ctx.store.update(m)
        try ctx.audit(targetType: "member", targetId: m.id, partnerId: partner.id, before: before.json, after: m.json)
        return m
    }
}
