import JSONRPC

/// The OpenRPC document `rpc.discover` answers: `schemas/openrpc.json`, embedded at
/// build time by `scripts/embed-openrpc` (a test keeps the two identical).
enum OpenRPC {
    static let document: JSONValue = {
        do { return try JSONReader.parse(OpenRPCText.json) } catch { fatalError("embedded OpenRPC document is invalid: \(error)") }
    }()
}
