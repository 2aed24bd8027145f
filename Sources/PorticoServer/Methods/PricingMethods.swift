import JSONRPC
import PorticoCore
import PorticoRules

/// `pricing.quote`: the price of a plan for a country or region (and a partner's tier),
/// from the active pricing rules; `pricing.sheet`: every plan's, for a storefront's price
/// table. Need no actor: host web pages quote prices publicly.
enum PricingMethods {
    static let all: [Method] = [
        Method("pricing.quote", access: .read, needsActor: false) { p, ctx in
            let plan = try p.string("plan")
            // Codes in any case, as everywhere: countries upper case, regions lower case.
            let country = try p.optionalString("country")?.uppercased()
            let region = try p.optionalString("region")?.lowercased()
            let partnerId = try p.optionalString("partnerId")
            try p.finish()
            guard country != nil || region != nil else { throw PorticoError.invalid("country", "give a country or a region") }
            var tier: String? = nil
            if let partnerId { tier = try PartnerService.load(partnerId, ctx.store).tier }
            let request = PricingRules.QuoteRequest(plan: plan, country: country, region: region, partnerTier: tier, date: ctx.now.ruleDate)
            return try json(ctx.rules.pricing.quote(request, describe: true).mapError(error).get(), plan: plan)
        },
        Method("pricing.sheet", access: .read, needsActor: false) { p, ctx -> JSONValue in
            var region = try p.optionalString("region")?.lowercased()
            let country = try p.optionalString("country")?.uppercased()
            let partnerId = try p.optionalString("partnerId")
            try p.finish()
            let pricing = ctx.rules.pricing
            if region == nil, let country {
                // A visitor's country (its Accept-Language region, say) names its pricing region.
                guard let found = pricing.countryRegion[country] else {
                    throw PorticoError.invalid("country", "no pricing region includes '\(country)'")
                }
                region = found
            }
            guard let region else { throw PorticoError.invalid("region", "give a region or a country") }
            guard let r = pricing.regions[region] else {
                throw PorticoError.invalid("region", "no pricing region '\(region)' (\(pricing.regions.keys.sorted().joined(separator: ", ")))")
            }
            var tier: String? = nil
            if let partnerId { tier = try PartnerService.load(partnerId, ctx.store).tier }
            var plans: [JSONValue] = []
            for plan in pricing.plans.keys.sorted() {
                let request = PricingRules.QuoteRequest(plan: plan, region: region, partnerTier: tier, date: ctx.now.ruleDate)
                // A plan no rule prices here (or not yet, by its dates) is left off the sheet.
                guard case .success(let q) = pricing.quote(request) else { continue }
                plans.append(json(q, plan: plan))
            }
            return ["region": .string(region), "currency": .string(r.currency.code), "exponent": .integer(Int64(r.currency.exponent)),
                    "taxIncluded": .bool(r.tax == .inclusive),
                    "partnerId": .string(partnerId), "tier": .string(tier), "plans": .array(plans)]
        },
    ]

    static func error(_ e: PricingRules.QuoteError) -> PorticoError {
        switch e {
        case .unknownPlan(let p): return .invalid("plan", "no plan '\(p)' is priced")
        case .unknownRegion(let r): return .invalid("region", "no pricing region '\(r)'")
        case .unpricedCountry(let c): return .invalid("country", "no pricing region includes '\(c)'")
        case .noPrice(let p): return .invalid("plan", "no pricing rule prices '\(p)' here")
        case .overflow: return PorticoError(.internalError, "the price overflowed")
        }
    }

    static func money(_ amount: Int64, _ currency: String) -> JSONValue {
        ["amount": .integer(amount), "currency": .string(currency)]
    }

    static func json(_ q: PricingRules.Quote, plan: String) -> JSONValue {
        [
            "plan": .string(plan), "region": .string(q.region), "currency": .string(q.currency),
            "price": money(q.price, q.currency), "taxIncluded": .bool(q.taxIncluded),
            "net": money(q.net, q.currency), "tax": money(q.tax, q.currency), "total": money(q.total, q.currency),
            "rules": .array(q.rules.map { .string($0) }), "steps": .array(q.steps.map { .string($0) }),
        ]
    }
}
