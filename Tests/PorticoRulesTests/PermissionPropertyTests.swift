import PropertyBased
import Testing
@testable import PorticoRules

/// For random rule files and random requests, the compiled decision (a table by action
/// and principal) equals what a straightforward reading of the rules in file order gives.
@Suite struct PermissionPropertyTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct RawRule {
        var id: String
        var forbid: Bool
        var principal: Principal?
        var roles: [MemberRoleName]?
        var actions: [String]
        var except: [String]
        var access: ActionCatalog.Access?
        var statuses: [String]?
        var tiers: [String]?

        var yaml: String {
            var parts = ["id: \(id)", "effect: \(forbid ? "forbid" : "permit")"]
            if let principal { parts.append("principal: \(principal.rawValue)") }
            if let roles { parts.append("roles: [\(roles.map(\.rawValue).joined(separator: ", "))]") }
            parts.append("actions: [\(actions.map { "\"\($0)\"" }.joined(separator: ", "))]")
            if !except.isEmpty { parts.append("except: [\(except.map { "\"\($0)\"" }.joined(separator: ", "))]") }
            if let access { parts.append("access: \(access.rawValue)") }
            var when: [String] = []
            if let statuses { when.append("partner.status: [\(statuses.joined(separator: ", "))]") }
            if let tiers { when.append("partner.tier: { not_in: [\(tiers.joined(separator: ", "))] }") }
            if !when.isEmpty { parts.append("when: { \(when.joined(separator: ", ")) }") }
            return "  - { \(parts.joined(separator: ", ")) }"
        }
    }

    static let patterns = ["*", "partner.*", "partner.members.*", "reseller.*", "audit.*", "partner.get", "partner.update",
                           "reseller.create", "audit.list", "payout.create", "rules.reload", "brand.*"]
    static let statuses = ["active", "frozen", "suspended"]
    static let tiers = ["standard", "gold", "silver"]

    static func matches(_ pattern: String, _ action: String) -> Bool {
        if pattern == "*" { return true }
        if pattern.hasSuffix(".*") { return action.hasPrefix(String(pattern.dropLast(1))) }
        return pattern == action
    }

    /// The rules read literally, in file order.
    static func interpret(_ rules: [RawRule], platformOnly: [String], _ q: PermissionRequest) -> (Bool, String) {
        let access = testCatalog.actions[testCatalog.slot(q.action)!].access
        if platformOnly.contains(where: { matches($0, q.action) }) && q.principal != .platform { return (false, "platform-only") }
        func applies(_ r: RawRule) -> Bool {
            if let p = r.principal, p != q.principal { return false }
            if let roles = r.roles { guard q.principal == .member, let role = q.role, roles.contains(role) else { return false } }
            guard r.actions.contains(where: { matches($0, q.action) }), !r.except.contains(where: { matches($0, q.action) }) else { return false }
            if let a = r.access, a != access { return false }
            if let s = r.statuses { guard let p = q.partner, s.contains(p.status) else { return false } }
            if let t = r.tiers { guard let p = q.partner, !t.contains(p.tier) else { return false } }
            return true
        }
        if let f = rules.first(where: { $0.forbid && applies($0) }) { return (false, f.id) }
        if let p = rules.first(where: { !$0.forbid && applies($0) }) { return (true, p.id) }
        return (false, "default-deny")
    }

    @Test func compiledDecisionsEqualTheLiteralReading() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var g = SplitMix(state: seed)
            func pick<T>(_ xs: [T]) -> T { xs[Int(g.next() % UInt64(xs.count))] }
            func maybe() -> Bool { g.next() % 2 == 0 }
            func some<T>(_ xs: [T]) -> [T] { let s = xs.filter { _ in maybe() }; return s.isEmpty ? [xs[0]] : s }
            var rules: [RawRule] = []
            for i in 0..<Int(1 + g.next() % 10) {
                let principal: Principal? = maybe() ? nil : pick(Principal.allCases)
                rules.append(RawRule(
                    id: "r\(i)", forbid: g.next() % 3 == 0, principal: principal,
                    roles: (principal == nil || principal == .member) && maybe() ? some(MemberRoleName.allCases) : nil,
                    actions: some(Self.patterns).prefix(3).map { $0 }, except: maybe() ? [pick(Self.patterns)] : [],
                    access: maybe() ? nil : pick([.read, .write]), statuses: maybe() ? nil : some(Self.statuses),
                    tiers: g.next() % 4 == 0 ? [pick(Self.tiers)] : nil))
            }
            let platformOnly = maybe() ? [pick(["rules.reload", "audit.*", "partner.update"])] : []
            let text = "version: 1\nplatformOnly: [\(platformOnly.map { "\"\($0)\"" }.joined(separator: ", "))]\nrules:\n"
                + rules.map(\.yaml).joined(separator: "\n") + "\n"
            let (compiled, diagnostics) = compile(text)
            #expect(diagnostics.isEmpty, "\(diagnostics)\n\(text)")
            guard let compiled else { return }
            for _ in 0..<40 {
                let principal = pick(Principal.allCases)
                let q = PermissionRequest(principal: principal, role: principal == .member ? pick(MemberRoleName.allCases) : nil,
                                          action: pick(testCatalog.actions).name,
                                          partner: maybe() ? nil : .init(status: pick(Self.statuses), tier: pick(Self.tiers), region: "eu"))
                let d = compiled.decide(q)
                let (allowed, rule) = Self.interpret(rules, platformOnly: platformOnly, q)
                #expect(d.allowed == allowed && d.rule == rule, "\(q) in\n\(text)")
            }
        }
    }
}
