import JSONRPC
import PorticoCore

/// `partner.members.*`: see MemberService.
enum MemberMethods {
    static let all: [Method] = [
        Method("partner.members.add", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let email = try p.string("email")
            let name = try p.string("name")
            let role = try p.string("role")
            try p.finish()
            return try MemberService.add(ctx, partnerId: partnerId, email: email, name: name, role: role).json
        },
        Method("partner.members.list", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let role = try p.optionalString("role")
            let includeRemoved = try p.optionalBool("includeRemoved") ?? false
            let page = try p.page()
            try p.finish()
            return try MemberService.list(ctx, partnerId: partnerId, role: role, includeRemoved: includeRemoved, page: page)
        },
        Method("partner.members.updateRole", access: .write) { p, ctx -> JSONValue in
            let memberId = try p.string("memberId")
            let role = try p.string("role")
            try p.finish()
            let (member, previousOwner) = try MemberService.updateRole(ctx, memberId: memberId, role: role)
            guard let previousOwner, case .object(var o) = member.json else { return member.json }
            o["previousOwner"] = previousOwner.json
            return .object(o)
        },
        Method("partner.members.remove", access: .write) { p, ctx in
            let memberId = try p.string("memberId")
            try p.finish()
            return try MemberService.remove(ctx, memberId: memberId).json
        },
    ]
}
