import Foundation
import Logging
import PorticoCore
import PorticoRules

/// Where the engine's rules come from: a directory of rule files, or the shipped defaults
/// built into the binary (the source `embedded`).
enum RuleFiles {
    /// The rule files of the configured directory, or the shipped defaults when it is
    /// absent and was not required.
    static func load(_ options: Engine.Options, logger: Logger) -> Result<RuleSet, RuleSetError> {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: options.rulesDirectory, isDirectory: &isDirectory), isDirectory.boolValue {
            return RuleSet.load(directory: options.rulesDirectory, catalog: MethodTable.actions)
        }
        if options.rulesDirectoryRequired {
            return .failure(RuleSetError(diagnostics: [RuleDiagnostic(file: options.rulesDirectory, line: 1, column: 1,
                                                                      message: "no such rules directory")]))
        }
        logger.notice("no rules directory at \(options.rulesDirectory): running the shipped default rules")
        return RuleSet.compile(EmbeddedRules.files, source: "embedded", catalog: MethodTable.actions)
    }

    /// The rules in force, read again from where they came by `rules.*` methods.
    static func active(_ rules: RuleSet) -> ActiveRules {
        ActiveRules(rules, reread: reread, texts: texts)
    }

    /// The rule files read again from where `current` came, without installing them.
    static func reread(_ current: RuleSet) -> Result<RuleSet, RuleSetError> {
        current.source == embedded
            ? RuleSet.compile(EmbeddedRules.files, source: embedded, catalog: MethodTable.actions)
            : RuleSet.load(directory: current.source, catalog: MethodTable.actions)
    }

    /// The rule files' texts where `current` came from.
    static func texts(_ current: RuleSet) -> Result<[String: String], RuleSetError> {
        current.source == embedded ? .success(EmbeddedRules.files) : RuleSet.readTexts(directory: current.source)
    }

    static let embedded = "embedded"
}
