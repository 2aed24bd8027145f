import Crypto
import Foundation

/// The compiled rule files of one directory, taken together: they are loaded, checked
/// and swapped as a unit, so the engine never runs half of an edit.
public final class RuleSet: Sendable {
    public static let permissionsFile = "permissions.yaml"
    public static let commissionFile = "commission.yaml"
    public static let pricingFile = "pricing.yaml"
    /// The kinds this engine reads, in the order their bytes enter the hash.
    public static let files = [commissionFile, permissionsFile, pricingFile]

    init(permissions: PermissionRules, commission: CommissionRules, pricing: PricingRules, hash: String, source: String) {
        self.permissions = permissions
        self.commission = commission
        self.pricing = pricing
        self.hash = hash
        self.source = source
    }

    public let permissions: PermissionRules
    public let commission: CommissionRules
    public let pricing: PricingRules
    /// SHA-256 (hex) over the files' names and bytes: which policy decided.
    public let hash: String
    /// Where the files came from: a directory, or "embedded" for the shipped defaults.
    public let source: String

    /// Compiles the given file texts (by file name). Answers the rule set, or every
    /// diagnostic of every file.
    public static func compile(_ texts: [String: String], source: String, catalog: ActionCatalog)
        -> Result<RuleSet, RuleSetError>
    {
        var diagnostics: [RuleDiagnostic] = []
        for name in texts.keys.sorted() where !files.contains(name) {
            diagnostics.append(RuleDiagnostic(file: name, line: 1, column: 1,
                                              message: "not a rule file this engine reads (\(files.joined(separator: ", ")))"))
        }
        /// Compiles one file, or notes that it is missing.
        func each<T>(_ name: String, _ compile: (String, String) -> (T?, [RuleDiagnostic])) -> T? {
            guard let text = texts[name] else {
                diagnostics.append(RuleDiagnostic(file: name, line: 1, column: 1, message: "the file is missing"))
                return nil
            }
            let (compiled, d) = compile(text, name)
            diagnostics += d
            return compiled
        }
        let commission = each(commissionFile) { CommissionRules.compile($0, file: $1) }
        let permissions = each(permissionsFile) { PermissionRules.compile($0, file: $1, catalog: catalog) }
        let pricing = each(pricingFile) { PricingRules.compile($0, file: $1) }
        if let pricing {
            diagnostics += crossCheck(pricing: pricing, commission: commission, permissions: permissions)
        }
        guard let permissions, let commission, let pricing, diagnostics.isEmpty else {
            return .failure(RuleSetError(diagnostics: diagnostics))
        }
        var hasher = SHA256()
        for name in files {
            hasher.update(data: Array(name.utf8) + [0])
            hasher.update(data: Array((texts[name] ?? "").utf8) + [0])
        }
        let hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return .success(RuleSet(permissions: permissions, commission: commission, pricing: pricing, hash: hash, source: source))
    }

    /// Tiers and regions are declared once, in pricing.yaml: every condition on a tier or
    /// a region, in any of the three files, must name a declared one, and so must the API
    /// rate limits (by tier, or `default`) and the pricing tests. A misspelt tier would
    /// otherwise make its rules silently never apply.
    static func crossCheck(pricing: PricingRules, commission: CommissionRules?, permissions: PermissionRules?) -> [RuleDiagnostic] {
        var out: [RuleDiagnostic] = []
        let tiers = pricing.tiers, regions = pricing.regions.keys.sorted()
        func check(_ value: String, _ known: [String], _ kind: String, _ file: String, _ at: SourcePosition) {
            guard !known.contains(value) else { return }
            let hint = Suggestion.hint(for: value, among: known)
            out.append(RuleDiagnostic(file: file, line: at.line, column: at.column,
                                      message: "unknown \(kind) '\(value)'\(hint); \(pricingFile) declares \(known.joined(separator: ", "))"))
        }
        func checkConditions(_ lists: [ConditionList], _ file: String) {
            for list in lists {
                for c in list.conditions {
                    let kind: (String, [String])?
                    switch c.fact {
                    case "partner.tier": kind = ("tier", tiers)
                    case "region", "customer.region", "partner.region", "reseller.region": kind = ("region", regions)
                    default: kind = nil
                    }
                    guard let (name, known) = kind else { continue }
                    for case .string(let v) in c.operands { check(v, known, name, file, c.position) }
                }
            }
        }
        checkConditions(pricing.rules.map(\.conditions), pricingFile)
        for t in pricing.tests { if let tier = t.request.partnerTier { check(tier, tiers, "tier", pricingFile, t.position) } }
        if let commission { checkConditions(commission.rules.map(\.conditions), commissionFile) }
        if let permissions {
            checkConditions(permissions.rules.map(\.conditions), permissionsFile)
            for (tier, at) in permissions.api.tierPositions where tier != "default" { check(tier, tiers, "tier", permissionsFile, at) }
        }
        return out
    }

    /// The texts of the rule files present in a directory, by file name.
    public static func readTexts(directory: String) -> Result<[String: String], RuleSetError> {
        var texts: [String: String] = [:]
        var diagnostics: [RuleDiagnostic] = []
        for name in files {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else {
                diagnostics.append(RuleDiagnostic(file: path, line: 1, column: 1, message: "cannot read the file"))
                continue
            }
            guard let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(RuleDiagnostic(file: path, line: 1, column: 1, message: "the file is not UTF-8"))
                continue
            }
            texts[name] = text
        }
        return diagnostics.isEmpty ? .success(texts) : .failure(RuleSetError(diagnostics: diagnostics))
    }

    public static func load(directory: String, catalog: ActionCatalog) -> Result<RuleSet, RuleSetError> {
        let texts: [String: String]
        switch readTexts(directory: directory) {
        case .success(let t): texts = t
        case .failure(let e): return .failure(e)
        }
        return compile(texts, source: directory, catalog: catalog).mapError { error in
            // Name files by their path, as a compiler would.
            RuleSetError(diagnostics: error.diagnostics.map { d in
                var d = d
                d.file = (directory as NSString).appendingPathComponent(d.file)
                return d
            })
        }
    }

    /// Every test of every file.
    public func runTests() -> [RuleTestResult] {
        commission.runTests(file: Self.commissionFile) + permissions.runTests(file: Self.permissionsFile)
            + pricing.runTests(file: Self.pricingFile)
    }
}

/// Why a rule set was refused: every problem, with its place.
public struct RuleSetError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [RuleDiagnostic]
    public init(diagnostics: [RuleDiagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
