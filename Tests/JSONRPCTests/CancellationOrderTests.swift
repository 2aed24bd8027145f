import Testing
@testable import JSONRPC

@Suite struct CancellationOrderTests {
    /// Both in one write: the cancellation names an id no request had yet, so it is
    /// ignored, and the request read after it runs.
    @Test func aCancellationNeverReachesARequestReadAfterIt() {
        let input = """
            {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":5}}
            {"jsonrpc":"2.0","id":5,"method":"sum","params":[5]}
            {"jsonrpc":"2.0","id":6,"method":"sum","params":[6]}

            """
        #expect(lines(serve(input, handler: SpecHandler())) == [
            #"{"jsonrpc":"2.0","id":5,"result":5}"#, #"{"jsonrpc":"2.0","id":6,"result":6}"#,
        ])
    }

    @Test func aCancellationReachesTheRequestReadJustBeforeItInTheSameWrite() {
        let input = """
            {"jsonrpc":"2.0","id":5,"method":"sum","params":[5]}
            {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":5}}
            {"jsonrpc":"2.0","id":5,"method":"sum","params":[7]}

            """
        // The first id 5 was read before the cancellation; the second after it.
        #expect(lines(serve(input, handler: SpecHandler())) == [
            #"{"jsonrpc":"2.0","id":5,"error":{"code":-32800,"message":"Request cancelled"}}"#,
            #"{"jsonrpc":"2.0","id":5,"result":7}"#,
        ])
    }
}
