import JSONRPC
import PorticoCore

/// The decode stage: the request id, kept with every change a request makes (the audit
/// trail), obeys the rules of the keys a client chooses; the params must be an object of
/// named params. Each failure is -32602 naming its field.
enum CallDecoding {
    static func params(of call: Call) throws(PorticoError) -> Params {
        if case .string(let id)? = call.id { _ = try Validate.key(id, field: "id", max: 255) }
        var params = try Params(call.params)
        params.ahead = call.prepared
        return params
    }
}
