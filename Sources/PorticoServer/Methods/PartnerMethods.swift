import JSONRPC
import PorticoCore

/// `partner.*`: see PartnerService.
enum PartnerMethods {
    static let all: [Method] = [
        Method("partner.create", access: .write) { p, ctx -> JSONValue in
            let name = try p.string("name")
            let subdomain = try p.string("subdomain")
            let region = try p.string("region")
            let tier = try p.optionalString("tier")
            var owner = try p.object("owner")
            let email = try owner.string("email")
            let ownerName = try owner.string("name")
            try owner.finish()
            try p.finish()
            let (partner, member) = try PartnerService.create(ctx, .init(name: name, subdomain: subdomain, region: region, tier: tier,
                                                                         ownerEmail: email, ownerName: ownerName))
            guard case .object(var o) = partner.json else { return partner.json }
            o["owner"] = member.json
            return .object(o)
        },
        Method("partner.get", access: .read) { p, ctx in
            let id = try p.string("partnerId")
            try p.finish()
            return try PartnerService.get(ctx, id: id).json
        },
        Method("partner.getBySubdomain", access: .read) { p, ctx in
            let subdomain = try p.string("subdomain")
            try p.finish()
            return try PartnerService.get(ctx, subdomain: subdomain).json
        },
        Method("partner.update", access: .write) { p, ctx in
            let id = try p.string("partnerId")
            let changes = PartnerService.Changes(name: try p.optionalString("name"), region: try p.optionalString("region"),
                                                 tier: try p.optionalString("tier"))
            try p.finish()
            return try PartnerService.update(ctx, id: id, changes).json
        },
        Method("partner.list", access: .read) { p, ctx in
            let status = try p.optionalString("status")
            let region = try p.optionalString("region")
            let page = try p.page()
            try p.finish()
            return try PartnerService.list(ctx, status: status, region: region, page: page)
        },
    ]
}
