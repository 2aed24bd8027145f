import JSONRPC
import PorticoCore
import PorticoRules

/// `rules.validate`, `rules.reload`, `rules.explain`, `rules.test`. Who may call them is
/// the permission rules' to say (the shipped ones: the platform only).
enum RulesMethods {
    static func json(_ d: RuleDiagnostic) -> JSONValue {
        ["file": .string(d.file), "line": .integer(Int64(d.line)), "column": .integer(Int64(d.column)), "message": .string(d.message)]
    }

    static func rulesInvalid(_ error: RuleSetError) -> PorticoError {
        PorticoError(.rulesInvalid, "Rules invalid: \(error.diagnostics.count) problem(s); the active rules stay in force",
                     data: ["diagnostics": .array(error.diagnostics.map(json))])
    }

    static let all: [Method] = [
        Method("rules.validate", access: .read) { p, ctx -> JSONValue in
            var texts: [String: String]? = nil
            if p.has("files") {
                var files = try p.object("files")
                var given: [String: String] = [:]
                for key in files.keys { given[key] = try files.string(key) }
                try files.finish()
                texts = given
            }
            try p.finish()
            try ctx.authorize(partner: nil)
            let result: Result<RuleSet, RuleSetError>
            if var texts {
                // Files not given are taken as they are on disk (or built in).
                if case .success(let current) = ctx.activeRules.readTexts() {
                    for (name, text) in current where texts[name] == nil { texts[name] = text }
                }
                result = RuleSet.compile(texts, source: "request", catalog: MethodTable.actions)
            } else {
                result = ctx.activeRules.readAgain()
            }
            switch result {
            case .success(let set): return ["valid": true, "diagnostics": [], "rulesHash": .string(set.hash)]
            case .failure(let e): return ["valid": false, "diagnostics": .array(e.diagnostics.map(json))]
            }
        },
        Method("rules.reload", access: .write) { p, ctx -> JSONValue in
            try p.finish()
            try ctx.authorize(partner: nil)
            let new: RuleSet
            switch ctx.activeRules.readAgain() {
            case .success(let set): new = set
            case .failure(let e): throw rulesInvalid(e)
            }
            let old = ctx.rules
            try ctx.audit(targetType: "rules", targetId: new.hash, partnerId: nil,
                          before: ["rulesHash": .string(old.hash)], after: ["rulesHash": .string(new.hash), "source": .string(new.source)])
            let active = ctx.activeRules
            ctx.onCommit {
                active.swap(new)
                active.onReload?(new)
            }
            return ["rulesHash": .string(new.hash), "previousHash": .string(old.hash), "changed": .bool(new.hash != old.hash)]
        },
        Method("rules.explain", access: .read) { p, ctx in
            let kind = try p.string("kind")
            var input = try p.object("input")
            try ctx.authorize(partner: nil)
            switch kind {
            case "permission":
                let request = try permissionRequest(&input)
                try input.finish()
                try p.finish()
                return explain(ctx.rules.permissions, request)
            case "commission":
                let rules = ctx.rules.commission
                let facts = try factSet(&input, catalog: CommissionRules.facts, start: CommissionRules.newFacts())
                try p.finish()
                return explain(rules, facts)
            case "pricing" where input.has("meter"):
                let meter = try input.string("meter")
                let quantity = try input.decimalText("quantity")
                let country = try input.optionalString("country")
                var region = try input.optionalString("region")
                try input.finish()
                try p.finish()
                let rules = ctx.rules.pricing
                if let country {
                    guard let r = rules.countryRegion[country] else { throw PorticoError.invalid("input.country", "no pricing region includes \(country)") }
                    region = r
                }
                guard let region else { throw PorticoError.invalid("input.region", "is required (or input.country)") }
                return try explainUsage(rules, meter: meter, quantity: quantity, region: region)
            case "pricing":
                let rules = ctx.rules.pricing
                let plan = try input.string("plan")
                let country = try input.optionalString("country")
                let region = try input.optionalString("region")
                let tier = try input.optionalString("partner.tier")
                var date = ctx.now.ruleDate
                if let d = try input.optionalString("date") {
                    guard let parsed = RuleDate(d) else { throw PorticoError.invalid("input.date", "must be a date, YYYY-MM-DD") }
                    date = parsed
                }
                try input.finish()
                try p.finish()
                return explain(rules, .init(plan: plan, country: country, region: region, partnerTier: tier, date: date))
            default:
                throw PorticoError.invalid("kind", "must be permission, commission or pricing")
            }
        },
        Method("rules.test", access: .read) { p, ctx -> JSONValue in
            try p.finish()
            try ctx.authorize(partner: nil)
            let set: RuleSet
            switch ctx.activeRules.readAgain() {
            case .success(let s): set = s
            case .failure(let e): throw rulesInvalid(e)
            }
            let results = set.runTests()
            let failures = results.filter { !$0.passed }
            return [
                "passed": .integer(Int64(results.count - failures.count)), "failed": .integer(Int64(failures.count)),
                "failures": .array(failures.map {
                    ["file": .string($0.file), "line": .integer(Int64($0.position.line)), "test": .string($0.name),
                     "message": .string($0.failure ?? "")]
                }),
            ]
        },
    ]

    static func permissionRequest(_ input: inout Params) throws -> PermissionRequest {
        let principalText = try input.string("principal")
        guard let principal = Principal(rawValue: principalText) else {
            throw PorticoError.invalid("input.principal", "must be platform, member or client")
        }
        var role: MemberRoleName? = nil
        if let r = try input.optionalString("role") {
            guard let v = MemberRoleName(rawValue: r) else { throw PorticoError.invalid("input.role", "must be owner, manager, sales, support or viewer") }
            role = v
        }
        let action = try input.string("action")
        var partner: PermissionRequest.PartnerFacts? = nil
        if input.has("partner") {
            var pf = try input.object("partner")
            partner = .init(status: try pf.optionalString("status") ?? "active", tier: try pf.optionalString("tier") ?? "standard",
                            region: try pf.optionalString("region") ?? "")
            try pf.finish()
        }
        return PermissionRequest(principal: principal, role: role, action: action, partner: partner)
    }

    /// Reads `input` as facts of the catalog, each converted to its fact's type.
    static func factSet(_ input: inout Params, catalog: FactCatalog, start: FactSet) throws -> FactSet {
        var facts = start
        for key in input.keys {
            guard let slot = catalog.slot(key) else {
                throw PorticoError.invalid("input.\(key)", "is not a fact of these rules")
            }
            let definition = catalog[slot]
            let field = "input.\(key)"
            switch definition.type {
            case .string:
                let s = try input.string(key)
                if !definition.values.isEmpty && !definition.values.contains(s) {
                    throw PorticoError.invalid(field, "must be one of \(definition.values.prefix(12).joined(separator: ", "))")
                }
                facts[slot] = .string(s)
            case .bool:
                guard let b = try input.optionalBool(key) else { throw PorticoError.invalid(field, "must be true or false") }
                facts[slot] = .bool(b)
            case .date:
                let s = try input.string(key)
                guard let d = RuleDate(s) else { throw PorticoError.invalid(field, "must be a date, YYYY-MM-DD") }
                facts[slot] = .date(d)
            case .number:
                facts[slot] = .number(try input.exactDecimal(key))
            }
        }
        try input.finish()
        return facts
    }

    static func json(_ line: CommissionRules.Line) -> JSONValue {
        ["to": .string(line.to.rawValue), "amount": ["amount": .integer(line.amount), "currency": .string(line.currency)],
         "rule": .string(line.rule), "basis": .string(line.basis)]
    }

    static func explain(_ rules: CommissionRules, _ facts: FactSet) -> JSONValue {
        let (lines, traces, scaled) = rules.explain(facts)
        let missing = Array(Set(traces.compactMap(\.missingFact))).sorted()
        let deciding = uniqued(lines.map(\.rule))
        var ceiling: JSONObject = ["percent": .string(rules.maxTotalPercent.description), "applied": .bool(scaled)]
        if case .number(let d)? = facts[fact: .saleAmount], let amount = d.integerValue, amount >= 0 {
            ceiling["amount"] = .integer(rules.ceiling(forSaleOf: amount))
        }
        return [
            "kind": "commission",
            "hit": .string(rules.hit.rawValue),
            "decision": .array(lines.map(json)),
            "rules": .array(deciding.map { .string($0) }),
            "ceiling": .object(ceiling),
            "holdDays": .integer(Int64(rules.holdDays(for: lines))),
            "missingFacts": .array(missing.map { .string($0) }),
            "derivedFacts": .array(rules.derivedFacts.map { .string($0) }),
            "trace": .array(traces.map { t in
                var o: JSONObject = ["rule": .string(t.rule), "matched": .bool(t.matched)]
                if let b = t.because { o["because"] = .string(b) }
                if let m = t.missingFact { o["missingFact"] = .string(m) }
                if t.matched { o["lines"] = .array(t.lines.map(json)) }
                return .object(o)
            }),
        ]
    }

    /// Unique, in first-seen order.
    static func uniqued(_ items: [String]) -> [String] {
        var seen = Set<String>()
        return items.filter { seen.insert($0).inserted }
    }

    /// A meter's charge for a period's quantity: each band's part, the exact sum, the
    /// amount rounded once.
    static func explainUsage(_ rules: PricingRules, meter name: String, quantity: String, region: String) throws -> JSONValue {
        guard let meter = rules.meters[name] else {
            throw PorticoError.invalid("input.meter", "no meter '\(name)' (\(rules.meters.keys.sorted().joined(separator: ", ")))")
        }
        let units: Int64
        switch meter.units(quantity) {
        case .success(let u): units = u
        case .failure(let why): throw PorticoError.invalid("input.quantity", "'\(quantity)' \(why)")
        }
        // No rule decides a meter's charge: its bands do (in `decision.bands`).
        var o: JSONObject = ["kind": "pricing", "meter": .string(name), "region": .string(region), "rules": [], "missingFacts": [], "trace": []]
        switch rules.usageCharge([(name, Int128(units))], region: region) {
        case .success(let c):
            o["decision"] = ["amount": Money.json(c.amount, code: c.currency), "exact": .string(c.exact),
                             "quantity": .string(meter.quantity(Int128(units))), "unit": .string(meter.unit),
                             "bands": .array((c.lines.first?.parts ?? []).map { .string($0) }),
                             "rounding": "half to even, once on the period total"]
        case .failure(let e):
            o["decision"] = .null
            o["reason"] = .string(e.description)
        }
        return .object(o)
    }

    static func explain(_ rules: PricingRules, _ request: PricingRules.QuoteRequest) -> JSONValue {
        let result = rules.quote(request, describe: true)
        var o: JSONObject = ["kind": "pricing"]
        switch result {
        case .success(let q):
            o["decision"] = PricingMethods.json(q, plan: request.plan)
            o["rules"] = .array(q.rules.map { .string($0) })
        case .failure(let e):
            o["decision"] = .null
            o["rules"] = []
            o["reason"] = .string(PricingMethods.error(e).message)
        }
        let (traces, missing) = rules.explain(request)
        o["missingFacts"] = .array(missing.map { .string($0) })
        o["trace"] = .array(traces.map { t in
            var r: JSONObject = ["rule": .string(t.rule), "matched": .bool(t.matched)]
            if let b = t.because { r["because"] = .string(b) }
            if let m = t.missingFact { r["missingFact"] = .string(m) }
            return .object(r)
        })
        return .object(o)
    }

    static func explain(_ rules: PermissionRules, _ request: PermissionRequest) -> JSONValue {
        let (decision, traces) = rules.explain(request)
        let missing = Array(Set(traces.compactMap(\.missingFact))).sorted()
        return [
            "kind": "permission",
            "decision": .string(decision.allowed ? "permit" : "forbid"),
            "rules": [.string(decision.rule)],
            "reason": .string(decision.reason),
            "missingFacts": .array(missing.map { .string($0) }),
            "trace": .array(traces.map { t in
                var o: JSONObject = ["rule": .string(t.rule), "effect": .string(t.effect.rawValue), "matched": .bool(t.matched)]
                if let b = t.because { o["because"] = .string(b) }
                if let m = t.missingFact { o["missingFact"] = .string(m) }
                return .object(o)
            }),
        ]
    }
}
