import JSONRPC
import PorticoCore

/// `brand.*`: a partner's white-label brand and custom domains (see BrandService,
/// DomainService), and `brand.resolve`, the storefront's look-up of a request's host.
enum BrandMethods {
    /// An optional text param that `null` clears: nil when absent, `.some(nil)` for null.
    static func clearable(_ p: inout Params, _ key: String) throws -> String?? {
        guard p.has(key) else { return nil }
        if p.isExplicitNull(key) { return .some(nil) }
        return .some(try p.string(key))
    }

    static let all: [Method] = [
        Method("brand.get", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            try p.finish()
            return try BrandService.get(ctx, partnerId: partnerId)
        },
        Method("brand.update", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            var changes = BrandService.Changes(displayName: try p.optionalString("displayName"), logoUrl: try clearable(&p, "logoUrl"),
                                               faviconUrl: try clearable(&p, "faviconUrl"), supportEmail: try clearable(&p, "supportEmail"),
                                               supportUrl: try clearable(&p, "supportUrl"))
            if p.has("theme") && !p.isExplicitNull("theme") {
                var t = try p.object("theme")
                changes.theme = .init(primary: try t.optionalString("primary"), accent: try t.optionalString("accent"),
                                      background: try t.optionalString("background"), text: try t.optionalString("text"),
                                      font: try t.optionalString("font"))
                try t.finish()
            }
            try p.finish()
            return try BrandService.update(ctx, partnerId: partnerId, changes)
        },
        Method("brand.domain.add", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let hostname = try p.string("hostname")
            try p.finish()
            return try DomainService.add(ctx, partnerId: partnerId, hostname: hostname)
        },
        Method("brand.domain.verify", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let hostname = try p.string("hostname")
            let records = try p.strings("txtRecords", max: 100)
            try p.finish()
            return try DomainService.verify(ctx, partnerId: partnerId, hostname: hostname, txtRecords: records)
        },
        Method("brand.domain.certificate", access: .write) { p, ctx in
            let hostname = try p.string("hostname")
            let status = try p.string("status")
            let notAfter = try p.optionalTimestamp("notAfter")
            let error = try p.optionalString("error")
            try p.finish()
            return try DomainService.certificate(ctx, hostname: hostname, status: status, notAfter: notAfter, error: error)
        },
        Method("brand.domain.due", access: .write) { p, ctx in
            let asOf = try p.optionalTimestamp("asOf")
            let limit = try p.optionalInteger("limit") ?? 100
            try p.finish()
            guard (1...1000).contains(limit) else { throw PorticoError.invalid("limit", "must be between 1 and 1000") }
            return try DomainService.due(ctx, asOf: asOf, limit: Int(limit))
        },
        Method("brand.domain.list", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let page = try p.page()
            try p.finish()
            return try DomainService.list(ctx, partnerId: partnerId, page: page)
        },
        Method("brand.domain.remove", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let hostname = try p.string("hostname")
            try p.finish()
            return try DomainService.remove(ctx, partnerId: partnerId, hostname: hostname)
        },
        Method("brand.resolve", access: .read, needsActor: false) { p, ctx in
            let host = try p.string("host")
            try p.finish()
            return try BrandResolver.resolve(ctx, host: host)
        },
    ]
}
