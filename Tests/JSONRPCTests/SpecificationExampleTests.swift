import Testing
@testable import JSONRPC

/// The examples of the JSON-RPC 2.0 specification, §7, each as one line on the wire.
@Suite struct SpecificationExampleTests {
    func answer(_ request: String) -> String { serve(request + "\n", handler: SpecHandler()) }

    @Test func positionalParameters() {
        #expect(answer(#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#) ==
            #"{"jsonrpc":"2.0","id":1,"result":19}"# + "\n")
        #expect(answer(#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#) ==
            #"{"jsonrpc":"2.0","id":2,"result":-19}"# + "\n")
    }

    @Test func namedParameters() {
        #expect(answer(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#) ==
            #"{"jsonrpc":"2.0","id":3,"result":19}"# + "\n")
    }

    @Test func notificationsAreRunButNeverAnswered() {
        let h = SpecHandler()
        let out = serve(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"# + "\n" +
            #"{"jsonrpc": "2.0", "method": "foobar"}"# + "\n", handler: h)
        #expect(out == "")
        #expect(h.notifications == ["update", "foobar"])
    }

    @Test func nonExistentMethod() {
        #expect(answer(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#) ==
            #"{"jsonrpc":"2.0","id":"1","error":{"code":-32601,"message":"Method not found: foobar","data":{"method":"foobar"}}}"# + "\n")
    }

    @Test func invalidJSON() {
        let out = answer(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#)
        #expect(out.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"#))
    }

    @Test func invalidRequestObject() {
        let out = answer(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#)
        #expect(out.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"#))
    }

    @Test func batchWithInvalidJSON() {
        let out = answer(#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method""#)
        #expect(out.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"#))
    }

    @Test func emptyArray() {
        let out = answer("[]")
        #expect(out.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"#))
        #expect(lines(out).count == 1)
    }

    @Test func invalidBatchesAnswerAnArrayOfErrors() throws {
        let one = try JSONReader.parse(answer("[1]"))
        #expect(one.arrayValue?.count == 1)
        #expect(one.arrayValue?[0]["error"]?["code"] == -32600)
        #expect(one.arrayValue?[0]["id"] == .null)
        let three = try JSONReader.parse(answer("[1,2,3]"))
        #expect(three.arrayValue?.map { $0["error"]?["code"] } == [-32600, -32600, -32600])
    }

    @Test func mixedBatch() throws {
        let out = answer(#"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},{"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},{"foo": "boo"},{"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},{"jsonrpc": "2.0", "method": "get_data", "id": "9"}]"#)
        let items = try #require(try JSONReader.parse(out).arrayValue)
        #expect(items.count == 5)
        #expect(items[0] == ["jsonrpc": "2.0", "id": "1", "result": 7])
        #expect(items[1] == ["jsonrpc": "2.0", "id": "2", "result": 19])
        #expect(items[2]["id"] == .null && items[2]["error"]?["code"] == -32600)
        #expect(items[3]["id"] == "5" && items[3]["error"]?["code"] == -32601)
        #expect(items[4] == ["jsonrpc": "2.0", "id": "9", "result": ["hello", 5]])
    }

    @Test func allNotificationBatchAnswersNothing() {
        #expect(answer(#"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]"#) == "")
    }
}
