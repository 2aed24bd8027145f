import JSONRPC
import Yams

/// `schemas/partner-api.openapi.yaml` (built in by the EmbedFiles plugin) as the JSON
/// `GET /openapi.json` answers, its members in the file's order.
enum OpenAPI {
    static let text: String = EmbeddedFiles.openapi["partner-api.openapi.yaml"]!

    static let document: JSONValue = {
        guard let node = try? Yams.compose(yaml: text) else { fatalError("schemas/partner-api.openapi.yaml is not YAML") }
        return json(node)
    }()

    /// A YAML node as JSON: scalars by their resolved tag (YAML 1.2 core schema).
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .mapping(let m):
            var o = JSONObject()
            for (k, v) in m { o[k.string ?? ""] = json(v) }
            return .object(o)
        case .sequence(let s): return .array(s.map(json))
        case .alias(let a): return .string(a.anchor.rawValue)
        case .scalar(let s):
            // Each accessor answers only for its resolved tag: a quoted "1" stays text.
            if node.null != nil { return .null }
            if let b = node.bool { return .bool(b) }
            if let i = node.int { return .integer(Int64(i)) }
            if node.float != nil { return .number(s.string) }
            return .string(s.string)
        }
    }
}
