/// One permission request: who, doing what, to which partner's data.
public struct PermissionRequest: Sendable {
    public var principal: Principal
    /// The member's role; nil for other principals.
    public var role: MemberRoleName?
    public var action: String
    /// The partner whose data is touched; nil for platform-wide actions.
    public var partner: PartnerFacts?

    public struct PartnerFacts: Sendable, Equatable {
        public var status: String
        public var tier: String
        public var region: String
        public init(status: String, tier: String, region: String) {
            self.status = status
            self.tier = tier
            self.region = region
        }
    }

    public init(principal: Principal, role: MemberRoleName? = nil, action: String, partner: PartnerFacts? = nil) {
        self.principal = principal
        self.role = role
        self.action = action
        self.partner = partner
    }
}

/// The answer, with the rule that decided it.
public struct PermissionDecision: Sendable, Equatable {
    public var allowed: Bool
    public var rule: String
    public var reason: String
}

/// Compiled permission rules, Cedar-style: default deny, a matching `permit` grants,
/// a matching `forbid` overrides every permit, and `platformOnly` actions are refused to
/// everyone but platform operators. (Tenant isolation is enforced before the rules are
/// asked, and no rule can lift it.)
///
/// Compilation resolves each rule's principal, roles, action patterns and access filter
/// into a table by (action, principal slot), so a decision evaluates only the conditions
/// of the rules that can apply: no string matching or allocation per decision.
public struct PermissionRules: Sendable {
    public enum Effect: String, Sendable { case permit, forbid }

    public struct Rule: Sendable {
        public var id: String
        public var effect: Effect
        public var summary: String?
        public var principal: Principal?
        public var roles: Set<MemberRoleName>?
        public var actionPatterns: [String]
        public var exceptPatterns: [String]
        public var access: ActionCatalog.Access?
        public var conditions: ConditionList
        public var position: SourcePosition
        /// Action slots this rule covers.
        var actions: Set<Int>
    }

    public struct Test: Sendable {
        public var name: String
        public var request: PermissionRequest
        public var expectAllowed: Bool
        public var expectRule: String?
        public var position: SourcePosition
    }

    public static let facts = FactCatalog([
        FactDefinition("principal", .string, "platform, member or client", values: Principal.allCases.map(\.rawValue)),
        FactDefinition("member.role", .string, "the member's role", values: MemberRoleName.allCases.map(\.rawValue)),
        FactDefinition("action", .string, "the method name"),
        FactDefinition("action.access", .string, "read or write", values: ["read", "write"]),
        FactDefinition("partner.status", .string, "the partner's status", values: ["active", "frozen", "suspended"]),
        FactDefinition("partner.tier", .string, "the partner's tier"),
        FactDefinition("partner.region", .string, "the partner's region"),
    ])
    static let principalSlot = 0, roleSlot = 1, actionSlot = 2, accessSlot = 3, statusSlot = 4, tierSlot = 5, regionSlot = 6

    public let rules: [Rule]
    public let tests: [Test]
    public let platformOnly: Set<Int>
    /// Partner API scopes and rate limits by tier.
    public let api: APIPolicy
    public let catalog: ActionCatalog
    /// [action][principal slot] -> (forbid rule indexes, permit rule indexes), in file order.
    let table: [[(forbid: [Int], permit: [Int])]]

    /// Principal slots: platform, client, then one per member role.
    static let slotCount = 2 + MemberRoleName.allCases.count

    static func slot(_ principal: Principal, _ role: MemberRoleName?) -> Int? {
        switch principal {
        case .platform: return 0
        case .client: return 1
        case .member:
            guard let role else { return nil }
            return 2 + MemberRoleName.allCases.firstIndex(of: role)!
        }
    }

    init(rules: [Rule], tests: [Test], platformOnly: Set<Int>, api: APIPolicy, catalog: ActionCatalog) {
        self.api = api
        self.rules = rules
        self.tests = tests
        self.platformOnly = platformOnly
        self.catalog = catalog
        var table = Array(repeating: Array(repeating: (forbid: [Int](), permit: [Int]()), count: Self.slotCount),
                          count: catalog.actions.count)
        for (r, rule) in rules.enumerated() {
            for a in rule.actions {
                if let access = rule.access, catalog.actions[a].access != access { continue }
                for s in 0..<Self.slotCount where Self.covers(rule, slot: s) {
                    if rule.effect == .forbid { table[a][s].forbid.append(r) } else { table[a][s].permit.append(r) }
                }
            }
        }
        self.table = table
    }

    static func covers(_ rule: Rule, slot s: Int) -> Bool {
        let principal: Principal = s == 0 ? .platform : (s == 1 ? .client : .member)
        if let p = rule.principal, p != principal { return false }
        if let roles = rule.roles {
            guard principal == .member else { return false }
            return roles.contains(MemberRoleName.allCases[s - 2])
        }
        return true
    }

    func facts(_ request: PermissionRequest) -> FactSet {
        var f = FactSet(catalog: Self.facts)
        f[Self.principalSlot] = .string(request.principal.rawValue)
        if let role = request.role { f[Self.roleSlot] = .string(role.rawValue) }
        f[Self.actionSlot] = .string(request.action)
        if let a = catalog.slot(request.action) { f[Self.accessSlot] = .string(catalog.actions[a].access.rawValue) }
        if let p = request.partner {
            f[Self.statusSlot] = .string(p.status)
            f[Self.tierSlot] = .string(p.tier)
            f[Self.regionSlot] = .string(p.region)
        }
        return f
    }

    /// Decides one request.
    public func decide(_ request: PermissionRequest) -> PermissionDecision {
        guard let a = catalog.slot(request.action) else {
            return PermissionDecision(allowed: false, rule: "default-deny", reason: "\(request.action) is not a known action")
        }
        guard let s = Self.slot(request.principal, request.role) else {
            return PermissionDecision(allowed: false, rule: "default-deny", reason: "a member without a role")
        }
        if platformOnly.contains(a) && request.principal != .platform {
            return PermissionDecision(allowed: false, rule: "platform-only", reason: "\(request.action) is for platform operators")
        }
        let candidates = table[a][s]
        if candidates.forbid.isEmpty && candidates.permit.isEmpty {
            return PermissionDecision(allowed: false, rule: "default-deny", reason: "no rule lets \(Self.who(request)) call \(request.action)")
        }
        let f = facts(request)
        for r in candidates.forbid where rules[r].conditions.matches(f) {
            return PermissionDecision(allowed: false, rule: rules[r].id, reason: rules[r].summary ?? "forbidden by \(rules[r].id)")
        }
        for r in candidates.permit where rules[r].conditions.matches(f) {
            return PermissionDecision(allowed: true, rule: rules[r].id, reason: rules[r].summary ?? "permitted by \(rules[r].id)")
        }
        return PermissionDecision(allowed: false, rule: "default-deny",
                                  reason: "no rule lets \(Self.who(request)) call \(request.action) on this partner")
    }

    static func who(_ request: PermissionRequest) -> String {
        switch request.principal {
        case .platform: return "a platform operator"
        case .client: return "an API client"
        case .member: return request.role.map { "a member with the \($0.rawValue) role" } ?? "a member"
        }
    }

    /// One rule's part in a decision, for `rules.explain`.
    public struct Trace: Sendable {
        public var rule: String
        public var effect: Effect
        public var matched: Bool
        /// Why it did not apply: the principal, role or action it does not cover, the first
        /// failing condition, or the fact that was missing.
        public var because: String?
        public var missingFact: String?
    }

    /// The decision and every rule's part in it, in file order.
    public func explain(_ request: PermissionRequest) -> (PermissionDecision, [Trace]) {
        let decision = decide(request)
        let f = facts(request)
        let a = catalog.slot(request.action)
        let s = Self.slot(request.principal, request.role)
        var traces: [Trace] = []
        for rule in rules {
            var t = Trace(rule: rule.id, effect: rule.effect, matched: false)
            if let p = rule.principal, p != request.principal {
                t.because = "it is for \(p.rawValue) principals"
            } else if let roles = rule.roles, !(request.role.map(roles.contains) ?? false) {
                t.because = "it is for the roles \(roles.map(\.rawValue).sorted().joined(separator: ", "))"
            } else if a == nil || !rule.actions.contains(a!) {
                t.because = "it does not cover \(request.action)"
            } else if let access = rule.access, catalog.actions[a!].access != access {
                t.because = "it covers only \(access.rawValue) actions"
            } else if s == nil {
                t.because = "a member without a role"
            } else if let (c, outcome) = rule.conditions.firstFailure(f) {
                if outcome == .missing {
                    t.because = "\(c.fact) was not supplied"
                    t.missingFact = c.fact
                } else {
                    t.because = "\(c.text) does not hold (\(c.fact) is \(f[c.slot]?.description ?? "absent"))"
                }
            } else {
                t.matched = true
            }
            traces.append(t)
        }
        return (decision, traces)
    }
}
