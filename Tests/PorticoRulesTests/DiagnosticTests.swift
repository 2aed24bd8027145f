import Testing
@testable import PorticoRules

@Suite struct DiagnosticTests {
    @Test func yamlSyntaxErrorsArePlaced() {
        let d = diagnostic("version: 1\nrules: [\n  - id: x\n")
        #expect(d?.hasPrefix("p.yaml:") == true)
        #expect(d?.contains("YAML syntax") == true)
    }

    @Test func unknownKeysNameTheKeyAndWhatIsExpected() {
        #expect(diagnostic("""
            version: 1
            rules:
              - id: a
                effect: permit
                actoins: ["*"]
                actions: ["*"]
            """) == "p.yaml:5:5: unknown key 'actoins' in rule 'a' (did you mean 'actions'?)")
        #expect(diagnostic("version: 1\nrules: []\nextra: 1\n")?.hasPrefix("p.yaml:3:1: unknown key 'extra'") == true)
    }

    @Test func wrongTypesAreNamed() {
        #expect(diagnostic("version: 1\nrules: {a: 1}\n") == "p.yaml:2:8: rules must be a list, found a mapping")
        #expect(diagnostic("version: 1\nrules:\n  - id: a\n    effect: permit\n    actions: partner.get\n")
            == "p.yaml:5:14: actions must be a list, found a scalar")
        #expect(diagnostic("version: one\nrules: []\n") == "p.yaml:1:10: version 'one' must be a whole number")
    }

    @Test func unknownFactsOperatorsAndValues() {
        let rule = { (when: String) in "version: 1\nrules:\n  - id: a\n    effect: forbid\n    actions: [\"*\"]\n    when: \(when)\n" }
        #expect(diagnostic(rule("{ partner.colour: red }")) == "p.yaml:6:13: unknown fact 'partner.colour'")
        #expect(diagnostic(rule("{ partner.stauts: frozen }")) == "p.yaml:6:13: unknown fact 'partner.stauts' (did you mean 'partner.status'?)")
        #expect(diagnostic(rule("{ partner.status: { like: act } }")) == "p.yaml:6:31: unknown operator 'like' (equals, not_equals, in, not_in, <, <=, >, >=, between, exists)")
        #expect(diagnostic(rule("{ partner.status: closed }")) == "p.yaml:6:29: 'closed' is not a value of partner.status (one of: active, frozen, suspended)")
        #expect(diagnostic(rule("{ partner.tier: { '>': gold } }")) == "p.yaml:6:29: '>' compares numbers or dates; partner.tier is a string")
    }

    @Test func duplicateIdsAndKeys() {
        #expect(diagnostic("""
            version: 1
            rules:
              - { id: a, effect: permit, actions: ["*"] }
              - { id: a, effect: forbid, actions: ["*"] }
            """) == "p.yaml:4:5: duplicate rule id 'a' (first at line 3)")
        #expect(diagnostic("version: 1\nversion: 1\nrules: []\n")?.contains("duplicate key") == true)
    }

    @Test func unknownActionsRolesAndEffects() {
        #expect(diagnostic("version: 1\nrules:\n  - { id: a, effect: permit, actions: [partner.gte] }\n")
            == "p.yaml:3:40: unknown action 'partner.gte' (did you mean 'partner.get'?)")
        #expect(diagnostic("version: 1\nrules:\n  - { id: a, effect: permit, roles: [admin], actions: [\"*\"] }\n")
            == "p.yaml:3:38: unknown role 'admin' (owner, manager, sales, support, viewer)")
        #expect(diagnostic("version: 1\nrules:\n  - { id: a, effect: allow, actions: [\"*\"] }\n")
            == "p.yaml:3:22: effect must be permit or forbid, not 'allow'")
        #expect(diagnostic("version: 1\nrules:\n  - { id: a, effect: permit, actions: [\"part*\"] }\n")
            == "p.yaml:3:40: 'part*' is not an action pattern ('*', 'prefix.*' or a method name)")
        // A wildcard may name methods that do not exist yet.
        #expect(diagnostic("version: 1\nrules:\n  - { id: a, effect: permit, actions: [brand.*] }\n") == nil)
    }

    @Test func everyProblemOfAFileIsReportedAtOnce() {
        let (rules, d) = compile("""
            version: 1
            rules:
              - { id: a, effect: maybe, actions: ["*"] }
              - { id: b, effect: permit, actions: [nope] }
              - { id: c, effect: permit, roles: [boss], actions: ["*"] }
            """)
        #expect(rules == nil)
        #expect(d.count == 3)
    }

    @Test func numbersMustBeExact() {
        let r = NodeReader(file: "f.yaml")
        func node(_ text: String) -> RuleNode { .scalar(.init(text: text, isPlain: true, position: .start)) }
        #expect(r.decimal(node("12.5"), "percent") == ExactDecimal(mantissa: 125, scale: 1))
        #expect(r.decimal(node("1e3"), "percent") == nil)
        #expect(r.decimal(node("12.5.1"), "percent") == nil)
        #expect(r.decimal(node("0.1234567890123"), "percent") == nil)
        #expect(r.decimal(node(".5"), "percent") == nil)
        #expect(r.integer(node("3.0"), "days") == nil)
        #expect(r.currency(node("USD"), "minimum") != nil)
        #expect(r.currency(node("USX"), "minimum") == nil)
        #expect(r.diagnostics.map(\.message).last == "minimum: unknown currency 'USX' (an ISO 4217 code such as USD, EUR, JPY)")
        #expect(r.diagnostics.count == 6)
    }

    @Test func aliasBombsAreRefused() {
        var lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in 1...9 { lines.append("a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        var sink = DiagnosticSink(file: "bomb.yaml")
        let node = RuleNodeReader.read(lines.joined(separator: "\n"), file: "bomb.yaml", into: &sink)
        #expect(node == nil)
        #expect(sink.diagnostics.first?.message.contains("expands to more than") == true)
    }

    @Test func hugeDocumentsAreRefused() {
        var sink = DiagnosticSink(file: "big.yaml")
        let text = "a: \"" + String(repeating: "x", count: 17 << 20) + "\""
        #expect(RuleNodeReader.read(text, file: "big.yaml", into: &sink) == nil)
        #expect(sink.diagnostics.first?.message == "the file is larger than 16777216 bytes")
    }

    @Test func tenThousandRulesLoadAndDecide() throws {
        var text = "version: 1\nrules:\n"
        for i in 0..<10_000 {
            text += "  - { id: r\(i), effect: \(i % 7 == 0 ? "forbid" : "permit"), roles: [sales], actions: [reseller.get], when: { partner.tier: t\(i) } }\n"
        }
        text += "  - { id: last, effect: permit, roles: [sales], actions: [reseller.get] }\n"
        let (rules, d) = compile(text)
        #expect(d.isEmpty)
        let r = try #require(rules)
        let decision = r.decide(PermissionRequest(principal: .member, role: .sales, action: "reseller.get",
                                                  partner: .init(status: "active", tier: "t14", region: "eu")))
        #expect(decision == PermissionDecision(allowed: false, rule: "r14", reason: "forbidden by r14"))
        #expect(r.decide(PermissionRequest(principal: .member, role: .sales, action: "reseller.get",
                                           partner: .init(status: "active", tier: "none", region: "eu"))).rule == "last")
    }
}

@Suite struct APIPolicyTests {
    static let catalog = ActionCatalog([.init("api.usage.get", .read), .init("api.customer.register", .write), .init("partner.get", .read)])

    func compileAPI(_ api: String) -> (PermissionRules?, [String]) {
        let (rules, d) = PermissionRules.compile("rules: []\napi:\n" + api, file: "p.yaml", catalog: Self.catalog)
        return (rules, d.map(\.description))
    }

    @Test func scopesGrantAPIActionsAndLimitsGoByTier() throws {
        let (rules, d) = compileAPI("""
              scopes: { usage:read: [api.usage.get], everything: [api.*] }
              rate_limits: { default: { requests: 60, per_seconds: 60 }, gold: { requests: 600, per_seconds: 60 } }
            """)
        #expect(d.isEmpty)
        let api = try #require(rules).api
        #expect(api.allows("api.usage.get", scopes: ["usage:read"]))
        #expect(!api.allows("api.customer.register", scopes: ["usage:read"]))
        #expect(api.allows("api.customer.register", scopes: ["everything"]))
        #expect(api.rateLimit(tier: "gold") == .init(requests: 600, perSeconds: 60))
        #expect(api.rateLimit(tier: "bronze") == .init(requests: 60, perSeconds: 60))
    }

    @Test func problemsAreDiagnosed() {
        #expect(compileAPI("  scopes: { x: [partner.get] }\n  rate_limits: { default: { requests: 1, per_seconds: 1 } }\n").1
            == ["p.yaml:3:17: a scope grants what an API client may call (api.*, oauth.introspect), not 'partner.get'"])
        #expect(compileAPI("  scopes: {}\n  rate_limits: { gold: { requests: 1, per_seconds: 1 } }\n").1
            == ["p.yaml:4:16: api.rate_limits needs a 'default' limit for the tiers it does not name"])
        #expect(compileAPI("  scopes: {}\n  rate_limits: { default: { requests: 0, per_seconds: 1 } }\n").1.first?.contains("requests must be between 1") == true)
        // Finer than one request a microsecond: refused, not left to divide by zero in the limiter.
        #expect(compileAPI("  scopes: {}\n  rate_limits: { default: { requests: 1000000000, per_seconds: 1 } }\n").1
            == ["p.yaml:4:27: rate limit 'default': at most 1000000 requests a second (1000000000 per 1 s is finer than one a microsecond)"])
        #expect(compileAPI("  scopes: {}\n  rate_limits: { default: { requests: 1000000, per_seconds: 1 } }\n").1.isEmpty)
    }
}

@Suite struct RuleTextControlCharacterTests {
    /// YAML's escapes can write NUL into a quoted value or key: such a file is refused,
    /// with the place named, rather than carrying text the store would cut.
    @Test(arguments: ["plans: { \"pro\\0x\": 100 }", "description: \"a\\0b\"", "x: \"\\e\""])
    func aControlCharacterInAValueOrKeyIsADiagnostic(_ line: String) {
        var sink = DiagnosticSink(file: "f.yaml")
        let node = RuleNodeReader.read("version: 1\n" + line + "\n", file: "f.yaml", into: &sink)
        #expect(node == nil)
        #expect(sink.diagnostics.first?.message.contains("control character U+00") == true)
        #expect(sink.diagnostics.first?.line == 2)
    }
}

import Foundation

@Suite struct DeepNestingTests {
    /// Reads on a thread with a small stack (256 KiB): the depth limit must hold before
    /// any recursive step, so even far deeper input is refused without a crash.
    func readOnSmallStack(_ text: String) -> [RuleDiagnostic] {
        final class Box: @unchecked Sendable { var diagnostics: [RuleDiagnostic] = [] }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var sink = DiagnosticSink(file: "commission.yaml")
            _ = RuleNodeReader.read(text, file: "commission.yaml", into: &sink)
            box.diagnostics = sink.diagnostics
            done.signal()
        }
        thread.stackSize = 256 << 10
        thread.start()
        done.wait()
        return box.diagnostics
    }

    @Test(arguments: [
        "version: 1\nrules: " + String(repeating: "[", count: 700) + String(repeating: "]", count: 700) + "\n",
        "version: 1\nrules: " + String(repeating: "[", count: 200_000) + "\n",
        "version: 1\nrules: " + String(repeating: "{a: ", count: 5000) + "1" + String(repeating: "}", count: 5000) + "\n",
        "rules:\n" + String(repeating: "- ", count: 100_000) + "x\n",
        (0..<2000).map { String(repeating: " ", count: $0) + "k:" }.joined(separator: "\n") + " 1\n",
    ])
    func deeplyNestedFilesAreRefusedOnAnyStack(_ text: String) {
        let d = readOnSmallStack(text)
        #expect(d.count == 1)
        #expect(d.first?.message.contains("nesting deeper than 64 levels") == true, "\(d.first?.message ?? "none")")
    }

    @Test func nestingUpToTheLimitIsRead() {
        let text = "a: " + String(repeating: "[", count: 60) + String(repeating: "]", count: 60) + "\n"
        #expect(readOnSmallStack(text).isEmpty)
    }
}
