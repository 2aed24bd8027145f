import CYaml
import Yams

/// A YAML node with the place it was written. Rule files are read into this tree first,
/// so every later check can point at the exact line and column.
public indirect enum RuleNode: Sendable {
    public struct Scalar: Sendable {
        public var text: String
        /// Plain (unquoted): `12.5`, `true`, `null` keep their YAML meaning only when plain.
        public var isPlain: Bool
        public var position: SourcePosition
    }

    public struct Entry: Sendable {
        public var key: String
        public var keyPosition: SourcePosition
        public var value: RuleNode
    }

    case scalar(Scalar)
    case mapping([Entry], SourcePosition)
    case sequence([RuleNode], SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .scalar(let s): return s.position
        case .mapping(_, let p), .sequence(_, let p): return p
        }
    }

    /// What the node is, for messages ("expected a list, found a mapping").
    public var kindName: String {
        switch self {
        case .scalar(let s): return s.isPlain && s.text == "null" ? "null" : "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }
}

/// Reads YAML text into a `RuleNode` tree, refusing what a policy file has no business
/// being: more than `maxBytes`, more than `maxNodes` nodes once aliases are expanded
/// (the "billion laughs" bomb), nesting deeper than `maxDepth`, keys that are not plain
/// strings, duplicate keys, and more than one document.
public enum RuleNodeReader {
    public struct Limits: Sendable {
        public var maxBytes = 16 << 20
        public var maxNodes = 2_000_000
        public var maxDepth = 64
        public init() {}
    }

    /// libyaml's own nesting bound, set once, before any parse: its parser (a state
    /// machine) stops there, so the recursive steps after it (Yams builds its node tree
    /// recursively, and frees it so too) never go deeper than this, on any thread. A
    /// little above `maxDepth`, so the converter below names the exact limit in most cases.
    static let nestingBound: Void = { yaml_set_max_nest_level(Int32(Limits().maxDepth + 4)) }()

    public static func read(_ text: String, file: String, limits: Limits = Limits(), into sink: inout DiagnosticSink) -> RuleNode? {
        _ = nestingBound
        guard text.utf8.count <= limits.maxBytes else {
            sink.error(.start, "the file is larger than \(limits.maxBytes) bytes")
            return nil
        }
        let root: Node?
        do {
            // The basic resolver: scalars are read as text here (exact numbers, dates), so
            // YAML's regex-based type resolution would only cost time.
            let parser = try Parser(yaml: text, resolver: .basic)
            root = try parser.singleRoot()
        } catch let error as YamlError {
            let (position, message) = describe(error)
            sink.error(position, "YAML syntax: \(message)")
            return nil
        } catch {
            sink.error(.start, "YAML syntax: \(error)")
            return nil
        }
        guard let root else {
            sink.error(.start, "the file is empty")
            return nil
        }
        var budget = limits.maxNodes
        var converter = Converter(limits: limits, sink: sink)
        let node = converter.convert(root, depth: 0, budget: &budget)
        sink = converter.sink
        return converter.failed ? nil : node
    }

    static func position(_ mark: Mark?) -> SourcePosition {
        guard let mark else { return .start }
        return SourcePosition(line: mark.line, column: mark.column)
    }

    static func describe(_ error: YamlError) -> (SourcePosition, String) {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            if problem.hasPrefix("Maximum nesting level reached") {
                return (position(mark), "nesting deeper than \(Limits().maxDepth) levels")
            }
            return (position(mark), context.map { "\(problem) \($0.text)" } ?? problem)
        case .reader(let problem, _, _, _):
            return (.start, problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return (position(context.mark), "duplicate key \(duplicates.joined(separator: ", "))")
        default:
            return (.start, "\(error)")
        }
    }

    struct Converter {
        let limits: Limits
        var sink: DiagnosticSink
        var failed = false

        mutating func convert(_ node: Node, depth: Int, budget: inout Int) -> RuleNode? {
            if failed { return nil }
            budget -= 1
            guard budget >= 0 else {
                fail(RuleNodeReader.position(node.mark),
                     "the document expands to more than \(limits.maxNodes) nodes (an alias bomb, or far too large)")
                return nil
            }
            guard depth <= limits.maxDepth else {
                fail(RuleNodeReader.position(node.mark), "nesting deeper than \(limits.maxDepth) levels")
                return nil
            }
            switch node {
            case .scalar(let s):
                if let bad = Self.controlCharacter(in: s.string) {
                    fail(RuleNodeReader.position(s.mark), "a value holds the control character \(bad)")
                    return nil
                }
                return .scalar(.init(text: s.string, isPlain: s.style == .plain, position: RuleNodeReader.position(s.mark)))
            case .alias(let a):
                fail(RuleNodeReader.position(a.mark), "unresolved alias *\(a.anchor.rawValue)")
                return nil
            case .sequence(let seq):
                var items: [RuleNode] = []
                items.reserveCapacity(seq.count)
                for item in seq {
                    guard let n = convert(item, depth: depth + 1, budget: &budget) else { return nil }
                    items.append(n)
                }
                return .sequence(items, RuleNodeReader.position(seq.mark))
            case .mapping(let map):
                var entries: [RuleNode.Entry] = []
                var seen: [String: SourcePosition] = [:]
                for (k, v) in map {
                    guard case .scalar(let ks) = k else {
                        fail(RuleNodeReader.position(k.mark), "a key must be a plain string")
                        return nil
                    }
                    let keyPos = RuleNodeReader.position(ks.mark)
                    if let bad = Self.controlCharacter(in: ks.string) {
                        fail(keyPos, "a key holds the control character \(bad)")
                        return nil
                    }
                    if let first = seen[ks.string] {
                        sink.error(keyPos, "duplicate key '\(ks.string)' (first at line \(first.line))")
                        failed = true
                        return nil
                    }
                    seen[ks.string] = keyPos
                    guard let value = convert(v, depth: depth + 1, budget: &budget) else { return nil }
                    entries.append(.init(key: ks.string, keyPosition: keyPos, value: value))
                }
                return .mapping(entries, RuleNodeReader.position(map.mark))
            }
        }

        /// A control character other than tab and line breaks (YAML's escapes can write
        /// NUL and the rest into a quoted value): such text is never a rule's business.
        static func controlCharacter(in text: String) -> String? {
            guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) else { return nil }
            for u in text.unicodeScalars {
                switch u.value {
                case 0x09, 0x0A, 0x0D: continue
                case 0x00...0x1F, 0x7F...0x9F: return "U+" + String(format: "%04X", u.value)
                default: continue
                }
            }
            return nil
        }

        mutating func fail(_ at: SourcePosition, _ message: String) {
            sink.error(at, message)
            failed = true
        }
    }
}
