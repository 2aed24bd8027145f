extension PermissionRules {
    /// Reads, validates and compiles `permissions.yaml`. Answers nil and the diagnostics
    /// when anything is wrong: a file is taken whole or not at all.
    public static func compile(_ text: String, file: String = "permissions.yaml", catalog: ActionCatalog)
        -> (PermissionRules?, [RuleDiagnostic])
    {
        NodeReader.compileFile(text, file: file) { root, r in compile(root, r, catalog: catalog) }
    }

    static func compile(_ root: RuleNode, _ r: NodeReader, catalog: ActionCatalog) -> PermissionRules? {
        guard let top = r.mapping(root, "the permissions file") else { return nil }
        if let v = top.take("version"), let n = r.integer(v, "version"), n != 1 {
            r.error(v.position, "version \(n) is not supported (this engine reads version 1)")
        }
        var platformOnly: Set<Int> = []
        if let node = top.take("platformOnly"), let items = r.list(node, "platformOnly") {
            for item in items {
                guard let pattern = r.string(item, "an action") else { continue }
                let actions = actionSlots(pattern, at: item.position, r, catalog)
                platformOnly.formUnion(actions)
            }
        }
        var rules: [Rule] = []
        var ids: [String: SourcePosition] = [:]
        if let node = top.require("rules", r, in: "the permissions file"), let items = r.list(node, "rules") {
            for item in items {
                // Ids are checked for duplicates even when the rule has other problems.
                r.registerID(item, in: &ids)
                if let rule = compileRule(item, r, catalog) { rules.append(rule) }
            }
        }
        var api = APIPolicy.none
        if let node = top.take("api"), let a = APIPolicy.compile(node, r, catalog) { api = a }
        var tests: [Test] = []
        if let node = top.take("tests"), let items = r.list(node, "tests") {
            for item in items {
                if let t = compileTest(item, r, catalog, ids: ids) { tests.append(t) }
            }
        }
        _ = top.take("$schema")
        top.finish(r, in: "the permissions file")
        return PermissionRules(rules: rules, tests: tests, platformOnly: platformOnly, api: api, catalog: catalog)
    }

    /// The action slots a pattern names; an exact name must be a known action.
    static func actionSlots(_ pattern: String, at: SourcePosition, _ r: NodeReader, _ catalog: ActionCatalog) -> [Int] {
        let valid = pattern == "*" || (pattern.hasSuffix(".*") && !pattern.dropLast(2).isEmpty && !pattern.dropLast(2).contains("*"))
            || !pattern.contains("*")
        guard valid else {
            r.error(at, "'\(pattern)' is not an action pattern ('*', 'prefix.*' or a method name)")
            return []
        }
        let slots = catalog.matching(pattern)
        if slots.isEmpty && !pattern.contains("*") {
            r.error(at, "unknown action '\(pattern)'" + Suggestion.hint(for: pattern, among: catalog.actions.map(\.name)))
        }
        return slots
    }

    static func compileRule(_ node: RuleNode, _ r: NodeReader, _ catalog: ActionCatalog) -> Rule? {
        guard let f = r.mapping(node, "a rule") else { return nil }
        let before = r.diagnostics.count
        let id = f.require("id", r, in: "a rule").flatMap { r.identifier($0, "id") } ?? ""
        var effect: Effect = .permit
        if let e = f.require("effect", r, in: "rule '\(id)'"), let s = r.string(e, "effect") {
            if let v = Effect(rawValue: s) { effect = v } else { r.error(e.position, "effect must be permit or forbid, not '\(s)'") }
        }
        let summary = f.take("description").flatMap { r.string($0, "description") }
        var principal: Principal? = nil
        if let p = f.take("principal"), let s = r.string(p, "principal") {
            if let v = Principal(rawValue: s) { principal = v } else { r.error(p.position, "principal must be platform, member or client, not '\(s)'") }
        }
        var roles: Set<MemberRoleName>? = nil
        if let node = f.take("roles"), let items = r.list(node, "roles") {
            var set: Set<MemberRoleName> = []
            for item in items {
                guard let s = r.string(item, "a role") else { continue }
                if let role = MemberRoleName(rawValue: s) { set.insert(role) } else {
                    r.error(item.position, "unknown role '\(s)' (owner, manager, sales, support, viewer)")
                }
            }
            if let p = principal, p != .member { r.error(node.position, "roles apply to member principals only") }
            if set.isEmpty && items.isEmpty { r.error(node.position, "an empty role list matches nobody") }
            roles = set
        }
        var patterns: [String] = []
        var actions: Set<Int> = []
        if let node = f.require("actions", r, in: "rule '\(id)'"), let items = r.list(node, "actions") {
            if items.isEmpty { r.error(node.position, "an empty action list matches nothing") }
            for item in items {
                guard let s = r.string(item, "an action") else { continue }
                patterns.append(s)
                actions.formUnion(actionSlots(s, at: item.position, r, catalog))
            }
        }
        var except: [String] = []
        if let node = f.take("except"), let items = r.list(node, "except") {
            for item in items {
                guard let s = r.string(item, "an action") else { continue }
                except.append(s)
                actions.subtract(actionSlots(s, at: item.position, r, catalog))
            }
        }
        var access: ActionCatalog.Access? = nil
        if let node = f.take("access"), let s = r.string(node, "access") {
            if let a = ActionCatalog.Access(rawValue: s) { access = a } else { r.error(node.position, "access must be read or write, not '\(s)'") }
        }
        var conditions = ConditionList()
        if let node = f.take("when") { conditions = r.conditions(node, catalog: facts) ?? ConditionList() }
        f.finish(r, in: "rule '\(id)'")
        guard r.diagnostics.count == before else { return nil }
        return Rule(id: id, effect: effect, summary: summary, principal: principal, roles: roles, actionPatterns: patterns,
                    exceptPatterns: except, access: access, conditions: conditions, position: f.position, actions: actions)
    }

    static func compileTest(_ node: RuleNode, _ r: NodeReader, _ catalog: ActionCatalog, ids: [String: SourcePosition]) -> Test? {
        guard let f = r.mapping(node, "a test") else { return nil }
        let before = r.diagnostics.count
        let name = f.require("name", r, in: "a test").flatMap { r.string($0, "name") } ?? "?"
        var principal: Principal = .member
        if let p = f.require("principal", r, in: "test '\(name)'"), let s = r.string(p, "principal") {
            if let v = Principal(rawValue: s) { principal = v } else { r.error(p.position, "principal must be platform, member or client") }
        }
        var role: MemberRoleName? = nil
        if let node = f.take("role"), let s = r.string(node, "role") {
            if let v = MemberRoleName(rawValue: s) { role = v } else { r.error(node.position, "unknown role '\(s)'") }
        }
        if principal == .member && role == nil { r.error(f.position, "test '\(name)': a member test needs a role") }
        var action = ""
        if let node = f.require("action", r, in: "test '\(name)'"), let s = r.string(node, "action") {
            if catalog.slot(s) == nil { r.error(node.position, "unknown action '\(s)'") }
            action = s
        }
        var partner: PermissionRequest.PartnerFacts? = nil
        if let node = f.take("partner"), let pf = r.mapping(node, "partner") {
            let status = pf.take("status").flatMap { r.string($0, "status") } ?? "active"
            if !["active", "frozen", "suspended"].contains(status) { r.error(pf.position, "status must be active, frozen or suspended") }
            let tier = pf.take("tier").flatMap { r.string($0, "tier") } ?? "standard"
            let region = pf.take("region").flatMap { r.string($0, "region") } ?? "eu"
            pf.finish(r, in: "partner")
            partner = .init(status: status, tier: tier, region: region)
        }
        var allowed = false
        if let node = f.require("expect", r, in: "test '\(name)'"), let s = r.string(node, "expect") {
            switch s {
            case "permit": allowed = true
            case "forbid", "deny": allowed = false
            default: r.error(node.position, "expect must be permit or forbid")
            }
        }
        var expectRule: String? = nil
        if let node = f.take("rule"), let s = r.string(node, "rule") {
            if ids[s] == nil && !["default-deny", "platform-only"].contains(s) {
                r.error(node.position, "no rule has the id '\(s)'")
            }
            expectRule = s
        }
        f.finish(r, in: "test '\(name)'")
        guard r.diagnostics.count == before else { return nil }
        return Test(name: name, request: PermissionRequest(principal: principal, role: role, action: action, partner: partner),
                    expectAllowed: allowed, expectRule: expectRule, position: f.position)
    }

    /// Runs the file's tests block.
    public func runTests(file: String = "permissions.yaml") -> [RuleTestResult] {
        tests.map { t in
            let d = decide(t.request)
            var problems: [String] = []
            if d.allowed != t.expectAllowed {
                problems.append("expected \(t.expectAllowed ? "permit" : "forbid"), got \(d.allowed ? "permit" : "forbid") by \(d.rule)")
            } else if let rule = t.expectRule, rule != d.rule {
                problems.append("expected the decision of \(rule), got \(d.rule)")
            }
            return RuleTestResult(file: file, name: t.name, position: t.position, failure: problems.first)
        }
    }
}

/// The outcome of one test of a rule file's tests block.
public struct RuleTestResult: Sendable {
    public var file: String
    public var name: String
    public var position: SourcePosition
    /// nil when the test passed.
    public var failure: String?
    public var passed: Bool { failure == nil }
}
