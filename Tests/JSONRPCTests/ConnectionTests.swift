import Foundation
import Testing
@testable import JSONRPC

@Suite struct ConnectionTests {
    @Test func answersInContentLengthFramingWhenAskedThatWay() {
        let body = #"{"jsonrpc":"2.0","id":1,"method":"sum","params":[1,2]}"#
        let out = serve("Content-Length: \(body.utf8.count)\r\n\r\n\(body)", handler: SpecHandler())
        let answer = #"{"jsonrpc":"2.0","id":1,"result":3}"#
        #expect(out == "Content-Length: \(answer.utf8.count)\r\n\r\n\(answer)")
    }

    @Test func aCancellationOvertakesAQueuedRequest() {
        let input = """
            {"jsonrpc":"2.0","id":1,"method":"sum","params":[1]}
            {"jsonrpc":"2.0","id":2,"method":"sum","params":[2]}
            {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}
            {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":99}}
            {"jsonrpc":"2.0","id":3,"method":"sum","params":[3]}

            """
        let out = lines(serve(input, handler: SpecHandler()))
        #expect(out.count == 3)
        #expect(out[0] == #"{"jsonrpc":"2.0","id":1,"result":1}"#)
        #expect(out[1] == #"{"jsonrpc":"2.0","id":2,"error":{"code":-32800,"message":"Request cancelled"}}"#)
        #expect(out[2] == #"{"jsonrpc":"2.0","id":3,"result":3}"#)
    }

    @Test func shutdownIsAnsweredAndLaterRequestsAreRefused() {
        let input = """
            {"jsonrpc":"2.0","id":1,"method":"sum","params":[1]}
            {"jsonrpc":"2.0","id":2,"method":"shutdown"}
            {"jsonrpc":"2.0","id":3,"method":"sum","params":[3]}

            """
        let out = lines(serve(input, handler: SpecHandler()))
        #expect(out[1] == #"{"jsonrpc":"2.0","id":2,"result":null}"#)
        #expect(out[2].contains(#""code":-32600"#))
    }

    @Test func exitStopsReadingButRunsWhatCameBefore() {
        let input = """
            {"jsonrpc":"2.0","id":1,"method":"sum","params":[1]}
            {"jsonrpc":"2.0","method":"exit"}
            {"jsonrpc":"2.0","id":2,"method":"sum","params":[2]}

            """
        #expect(lines(serve(input, handler: SpecHandler())) == [#"{"jsonrpc":"2.0","id":1,"result":1}"#])
    }

    @Test func requestsThatArriveTogetherAreHandedOverAsOneGroupInOrder() {
        let h = SpecHandler()
        let input = (1...50).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"sum","params":[\#($0)]}"# }.joined(separator: "\n")
        let out = lines(serve(input, handler: h))
        #expect(out.count == 50)
        #expect(out.enumerated().allSatisfy { $1 == #"{"jsonrpc":"2.0","id":\#($0 + 1),"result":\#($0 + 1)}"# })
        #expect(h.groups.count < 50)
    }

    /// Large groups' answers are written by the answer writer while later groups run,
    /// small ones by the thread that ran them: whatever the mix, and however slow the
    /// output, answers leave in the order the requests came.
    @Test func answersKeepTheirOrderAcrossWrittenAndHandedOffGroups() throws {
        final class SlowSink: OutputSink, @unchecked Sendable {
            let inner = BufferSink()
            func write(_ bytes: [UInt8]) {
                usleep(30_000)
                inner.write(bytes)
            }
        }
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let h = SpecHandler()
        let sink = SlowSink()
        let connection = Connection(input: fds[0], output: sink, handler: h)
        let done = DispatchSemaphore(value: 0)
        Thread {
            connection.run()
            done.signal()
        }.start()
        var id = 0
        for burst in [1, 40, 1, 1, 60, 2, 1, 30, 1, 80, 1] {
            let text = (0..<burst).map { _ -> String in
                id += 1
                return #"{"jsonrpc":"2.0","id":\#(id),"method":"sum","params":[\#(id)]}"# + "\n"
            }.joined()
            _ = text.withCString { write(fds[1], $0, strlen($0)) }
            usleep(5_000)
        }
        close(fds[1])
        done.wait()
        close(fds[0])
        let out = lines(String(decoding: sink.inner.bytes, as: UTF8.self))
        #expect(out.count == id)
        #expect(out.enumerated().allSatisfy { $1 == #"{"jsonrpc":"2.0","id":\#($0 + 1),"result":\#($0 + 1)}"# })
        #expect(h.groups.contains { $0.count <= 2 } && h.groups.contains { $0.count > 2 })
    }

    @Test func refusesBadIdsVersionsAndParams() throws {
        let cases: [(String, Int, JSONValue)] = [
            (#"{"jsonrpc":"2.0","id":{"a":1},"method":"sum"}"#, -32600, .null),
            (#"{"jsonrpc":"2.0","id":1.5,"method":"sum"}"#, -32600, .null),
            (#"{"id":1,"method":"sum"}"#, -32600, 1),
            (#"{"jsonrpc":"1.0","id":1,"method":"sum"}"#, -32600, 1),
            (#"{"jsonrpc":"2.0","id":1,"method":5}"#, -32600, 1),
            (#"{"jsonrpc":"2.0","id":1,"method":"sum","params":7}"#, -32600, 1),
            (#"{"jsonrpc":"2.0","id":1,"method":"sum","params":"x"}"#, -32600, 1),
            // Unparseable, but its id can be read: the error names it.
            (#"{"jsonrpc":"2.0","id":1,"method":"sum","method":"x"}"#, -32700, 1),
        ]
        for (request, code, id) in cases {
            let answer = try JSONReader.parse(serve(request, handler: SpecHandler()))
            #expect(answer["error"]?["code"] == .integer(Int64(code)), "\(request)")
            #expect(answer["id"] == id, "\(request)")
        }
    }

    @Test func aBatchLongerThanTheLimitIsRefusedWhole() throws {
        let item = #"{"jsonrpc":"2.0","id":1,"method":"sum","params":[1]}"#
        let batch = "[" + Array(repeating: item, count: 1001).joined(separator: ",") + "]"
        let answer = try JSONReader.parse(serve(batch, handler: SpecHandler()))
        #expect(answer["error"]?["code"] == -32600)
        let ok = "[" + Array(repeating: item, count: 1000).joined(separator: ",") + "]"
        #expect(try JSONReader.parse(serve(ok, handler: SpecHandler())).arrayValue?.count == 1000)
    }

    @Test func keepsServingAfterEveryKindOfBadMessage() {
        var input: [UInt8] = []
        let bad: [[UInt8]] = [
            Array("not json".utf8), Array("{\"jsonrpc\":\"2.0\",".utf8), [0x22, 0xFF, 0xFE, 0x22],
            Array(String(repeating: "[", count: 100_000).utf8), Array(#"{"a":1,"a":2}"#.utf8), Array("[]".utf8),
            Array(#""\ud800""#.utf8), Array("NaN".utf8),
        ]
        for b in bad {
            input += b
            input.append(0x0A)
        }
        input += Array(#"{"jsonrpc":"2.0","id":"last","method":"sum","params":[4]}"#.utf8)
        let out = lines(serve(input, handler: SpecHandler()))
        #expect(out.count == bad.count + 1)
        #expect(out.dropLast().allSatisfy { $0.contains(#""id":null"#) })
        #expect(out.last == #"{"jsonrpc":"2.0","id":"last","result":4}"#)
    }
}
