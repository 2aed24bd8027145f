import JSONRPC

/// The OpenRPC document `rpc.discover` answers: `schemas/openrpc.json`, built into the
/// binary by the EmbedFiles plugin.
enum OpenRPC {
    static let text: String = EmbeddedFiles.openrpc["openrpc.json"]!

    static let document: JSONValue = {
        do { return try JSONReader.parse(text) } catch { fatalError("embedded OpenRPC document is invalid: \(error)") }
    }()
}

/// The shipped rule files (`rules/*.yaml`), built into the binary by the EmbedFiles
/// plugin: an engine started without a rules directory runs them.
enum EmbeddedRules {
    static var files: [String: String] { EmbeddedFiles.rules }
}
