import Testing
@testable import PorticoRules

@Suite struct ConditionTests {
    static let catalog = FactCatalog([
        FactDefinition("n", .number, "a number"), FactDefinition("d", .date, "a date"),
        FactDefinition("s", .string, "a string"), FactDefinition("b", .bool, "a flag"),
    ])

    func condition(_ yaml: String) throws -> ConditionList {
        var sink = DiagnosticSink(file: "c.yaml")
        let node = try #require(RuleNodeReader.read(yaml, file: "c.yaml", into: &sink))
        let r = NodeReader(file: "c.yaml")
        let list = r.conditions(node, catalog: Self.catalog)
        #expect(r.diagnostics.isEmpty, "\(r.diagnostics)")
        return try #require(list)
    }

    func facts(n: String? = nil, d: String? = nil, s: String? = nil, b: Bool? = nil) -> FactSet {
        var f = FactSet(catalog: Self.catalog)
        f[0] = n.map { .number(ExactDecimal($0)!) }
        f[1] = d.map { .date(RuleDate($0)!) }
        f[2] = s.map { .string($0) }
        f[3] = b.map { .bool($0) }
        return f
    }

    @Test func eachOperator() throws {
        let cases: [(String, FactSet, Condition.Outcome)] = [
            ("{ s: eu }", facts(s: "eu"), .pass), ("{ s: eu }", facts(s: "us"), .fail), ("{ s: eu }", facts(), .missing),
            ("{ s: [eu, uk] }", facts(s: "uk"), .pass), ("{ s: { in: [eu, uk] } }", facts(s: "us"), .fail),
            ("{ s: { not_in: [eu, uk] } }", facts(s: "us"), .pass), ("{ s: { not_in: [eu] } }", facts(s: "eu"), .fail),
            ("{ s: { '!=': eu } }", facts(s: "us"), .pass),
            ("{ n: { '<': 10 } }", facts(n: "9.99"), .pass), ("{ n: { lt: 10 } }", facts(n: "10"), .fail),
            ("{ n: { '<=': 10 } }", facts(n: "10.00"), .pass), ("{ n: { '>': 10 } }", facts(n: "10.01"), .pass),
            ("{ n: { '>=': \"12.5\" } }", facts(n: "12.49"), .fail),
            ("{ n: { between: [10, 20] } }", facts(n: "20"), .pass), ("{ n: { between: [10, 20] } }", facts(n: "20.0001"), .fail),
            ("{ d: { between: [2027-01-01, 2027-03-31] } }", facts(d: "2027-03-31"), .pass),
            ("{ d: { between: [2027-01-01, 2027-03-31] } }", facts(d: "2026-12-31"), .fail),
            ("{ d: { '>=': 2027-01-01 } }", facts(d: "2027-01-01"), .pass),
            ("{ b: true }", facts(b: true), .pass), ("{ b: true }", facts(b: false), .fail),
            ("{ n: { exists: true } }", facts(n: "0"), .pass), ("{ n: { exists: true } }", facts(), .missing),
            ("{ n: { exists: false } }", facts(), .pass), ("{ n: { exists: false } }", facts(n: "1"), .fail),
        ]
        for (yaml, f, expected) in cases {
            let list = try condition(yaml)
            let outcome = list.firstFailure(f)?.1 ?? .pass
            #expect(outcome == expected, "\(yaml)")
            #expect(list.matches(f) == (expected == .pass), "\(yaml)")
        }
    }

    @Test func severalOperatorsOnOneFactAllHold() throws {
        let list = try condition("{ n: { '>=': 10, '<': 20 }, s: eu }")
        #expect(list.matches(facts(n: "15", s: "eu")))
        #expect(!list.matches(facts(n: "20", s: "eu")))
        #expect(list.firstFailure(facts(n: "15"))?.0.fact == "s")
    }

    @Test func reversedBetweenIsADiagnostic() throws {
        var sink = DiagnosticSink(file: "c.yaml")
        let node = try #require(RuleNodeReader.read("{ n: { between: [20, 10] } }", file: "c.yaml", into: &sink))
        let r = NodeReader(file: "c.yaml")
        #expect(r.conditions(node, catalog: Self.catalog) == nil)
        #expect(r.diagnostics.first?.message == "'between' bounds are reversed: 20 is after 10")
    }
}
