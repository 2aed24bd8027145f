/// A problem found in a rule file, at a place in it: printed `file:line:column: message`,
/// as compilers do, so editors and terminals link straight to it.
public struct RuleDiagnostic: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// A place in a rule file (1-based line and column).
public struct SourcePosition: Sendable, Hashable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
    public static let start = SourcePosition(line: 1, column: 1)
}

/// Collects the diagnostics of one file.
public struct DiagnosticSink: Sendable {
    public let file: String
    public private(set) var diagnostics: [RuleDiagnostic] = []

    public init(file: String) { self.file = file }

    public mutating func error(_ at: SourcePosition, _ message: String) {
        diagnostics.append(RuleDiagnostic(file: file, line: at.line, column: at.column, message: message))
    }

    public var isEmpty: Bool { diagnostics.isEmpty }
}
