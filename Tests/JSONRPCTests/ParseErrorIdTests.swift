import Testing
@testable import JSONRPC

@Suite struct ParseErrorIdTests {
    func answer(_ text: String) -> String { serve(text + "\n", handler: SpecHandler()) }

    /// The envelope's id can be read although the params cannot: the error names it.
    @Test(arguments: [
        (#"{"jsonrpc":"2.0","id":5,"method":"sum","params":{"a":NaN}}"#, "5"),
        (#"{"jsonrpc":"2.0","method":"sum","params":[1,2,Infinity],"id":"req-7"}"#, #""req-7""#),
        (#"{"params":{"x":"\q"},"id":12,"jsonrpc":"2.0","method":"sum"}"#, "12"),
        (#"{"jsonrpc":"2.0","id":3,"method":"sum","params":{"k":1,"k":2}}"#, "3"),
        (#"{"jsonrpc":"2.0","i\u0064":4,"method":"sum","params":[01]}"#, "4"),
    ])
    func aParseErrorAnswersWithTheRequestsId(_ text: String, _ id: String) {
        let out = answer(text)
        #expect(out.hasPrefix(#"{"jsonrpc":"2.0","id":\#(id),"error":{"code":-32700"#), "\(out)")
    }

    /// Where the id cannot be told, the answer's id is null as JSON-RPC 2.0 says.
    @Test(arguments: [
        #"{"jsonrpc":"2.0","id":NaN,"method":"sum"}"#,
        #"{"jsonrpc":"2.0","id":1,"id":2,"method":"sum"}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"sum"},NaN]"#,
        #"{"jsonrpc":"2.0","params":{"a":"#,
        "not json",
    ])
    func anUnreadableIdAnswersNull(_ text: String) {
        let out = answer(text)
        #expect(out.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700"#), "\(out)")
    }
}
