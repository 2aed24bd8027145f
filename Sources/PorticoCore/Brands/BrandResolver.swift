import JSONRPC

/// `brand.resolve`: the partner, brand and pricing region a request's host serves — a
/// partner's subdomain of the platform's domain (`nimbus.portal.example`), or one of its
/// custom domains with a certificate in force. Answers are kept in memory by the host as
/// sent (the engine's `EngineCaches.hosts`) while no partner, brand or domain changed (the
/// store's `brandVersion`) and for at most a second, so a storefront's requests cost a
/// lookup.
public enum BrandResolver {
    public static func resolve(_ ctx: RequestContext, host raw: String) throws -> JSONValue {
        let cache = ctx.caches?.hosts
        if let known = cache?.lookup(raw, version: ctx.store.brandVersion, now: ctx.now) { return try known.answer.get() }
        let answer: Result<JSONValue, PorticoError>
        do { answer = .success(try find(ctx, host: raw)) } catch let e as PorticoError { answer = .failure(e) }
        // Only what a host could be is kept: the cache holds nothing a caller could make large.
        if raw.utf8.count <= 260 { cache?.store(raw, HostAnswer(answer), version: ctx.store.brandVersionAtStart, now: ctx.now) }
        return try answer.get()
    }

    static func find(_ ctx: RequestContext, host raw: String) throws -> JSONValue {
        // A Host header may carry a port.
        var text = Substring(raw)
        if let colon = text.lastIndex(of: ":"), !text.contains("]"), text[text.index(after: colon)...].allSatisfy(\.isASCII),
           text[text.index(after: colon)...].allSatisfy(\.isNumber)
        {
            text = text[..<colon]
        }
        let host = try Hostname.normalize(String(text), field: "host")
        let base = ctx.baseDomain
        let partner: PartnerRecord
        let via: String
        if host.hasSuffix("." + base), case let sub = String(host.dropLast(base.utf8.count + 1)), !sub.contains(".") {
            guard let p = try ctx.store.partner(subdomain: sub) else { throw PorticoError.notFound("host", host) }
            partner = p
            via = "subdomain"
        } else {
            guard let d = try ctx.store.domain(hostname: host), d.serves(at: ctx.now), let p = try ctx.store.partner(id: d.partnerId) else {
                throw PorticoError.notFound("host", host)
            }
            partner = p
            via = "domain"
        }
        guard partner.status != .suspended else {
            throw PorticoError.invalidState(partner.status.rawValue, allowed: ["active", "frozen"], "partner \(partner.id)'s storefront is closed")
        }
        let brand = try BrandService.load(partner, ctx.store)
        return [
            "host": .string(host), "via": .string(via),
            "partner": ["id": .string(partner.id), "name": .string(partner.name), "subdomain": .string(partner.subdomain),
                        "region": .string(partner.region), "tier": .string(partner.tier), "status": .string(partner.status.rawValue)],
            "brand": BrandService.json(brand, partner: partner, baseDomain: base),
            "region": .string(partner.region),
        ]
    }
}
