import Foundation
import JSONRPC
import Testing
@testable import PorticoServer

@Suite struct OpenRPCTests {
    static let schemaPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../schemas/openrpc.json").standardized.path

    /// The build plugin embeds the file byte for byte (the document answered is the one
    /// published).
    @Test func theEmbeddedDocumentIsSchemasOpenrpcJson() throws {
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: Self.schemaPath))
        #expect(Array(OpenRPC.text.utf8) == [UInt8](onDisk))
    }

    @Test func describesExactlyTheMethodsTheEngineServes() throws {
        let doc = OpenRPC.document
        #expect(doc["openrpc"]?.stringValue?.hasPrefix("1.") == true)
        let described = Set(doc["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        let served = Set(MethodTable.all.map(\.name))
        #expect(described.subtracting(["shutdown", "exit", "$/cancelRequest"]) == served)
        for method in doc["methods"]?.arrayValue ?? [] {
            #expect(method["params"]?.arrayValue != nil, "\(method["name"] ?? "?") has no params")
            #expect(method["result"]?["schema"] != nil, "\(method["name"] ?? "?") has no result schema")
        }
    }

    @Test func rpcDiscoverAnswersTheDocument() throws {
        let t = try TestEngine()
        let answer = try t.call("rpc.discover", [:])
        #expect(answer["result"] == OpenRPC.document)
    }
}
