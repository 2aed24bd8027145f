import Foundation
@testable import JSONRPC

/// Runs a connection over `input` (as a regular file on the input descriptor, like
/// `portico serve < file`) and answers everything it wrote.
func serve(_ input: [UInt8], handler: CallHandler, limits: MessageLimits = MessageLimits()) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("jsonrpc-\(UUID().uuidString)").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(input))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let fd = open(path, O_RDONLY)
    defer { close(fd) }
    let sink = BufferSink()
    Connection(input: fd, output: sink, handler: handler, limits: limits).run()
    return String(decoding: sink.bytes, as: UTF8.self)
}

func serve(_ input: String, handler: CallHandler) -> String { serve(Array(input.utf8), handler: handler) }

/// The methods the JSON-RPC 2.0 specification's examples use.
final class SpecHandler: CallHandler, @unchecked Sendable {
    var notifications: [String] = []
    var groups: [[String]] = []

    func handle(_ calls: [Call], control: ConnectionControl) -> [Outcome?] {
        groups.append(calls.map(\.method))
        return calls.map { call in
            if call.isNotification { notifications.append(call.method) }
            func ints() -> [Int64] { call.params?.arrayValue?.compactMap(\.integerValue) ?? [] }
            switch call.method {
            case "subtract":
                if let o = call.params?.objectValue, let m = o["minuend"]?.integerValue, let s = o["subtrahend"]?.integerValue {
                    return .result(.integer(m - s))
                }
                let a = ints()
                return .result(.integer(a[0] - a[1]))
            case "sum": return .result(.integer(ints().reduce(0, +)))
            case "get_data": return .result(["hello", 5])
            case "update", "notify_hello", "notify_sum": return .result(.null)
            case "echo": return .result(call.params ?? .null)
            default: return .error(.methodNotFound(call.method))
            }
        }
    }
}

func lines(_ s: String) -> [String] { s.split(separator: "\n").map(String.init) }
