import Testing
@testable import JSONRPC

@Suite struct FrameDecoderTests {
    /// Feeds `input` in chunks of `chunk` bytes and collects the events, as the reader does.
    func events(_ input: String, chunk: Int = .max, max: Int = 1 << 20) -> [String] {
        let bytes = Array(input.utf8)
        var d = FrameDecoder(maxMessageBytes: max)
        var out: [String] = []
        func take(_ e: FrameEvent) {
            switch e {
            case .message(let m): out.append(String(decoding: m, as: UTF8.self))
            case .error(let err): out.append("error: \(err.message)")
            }
        }
        var i = 0
        while i < bytes.count {
            let end = min(bytes.count, i + chunk)
            d.append(Array(bytes[i..<end]))
            while let e = d.next() { take(e) }
            i = end
        }
        if let e = d.finish() { take(e) }
        return out
    }

    @Test func splitsLinesAndSkipsBlankOnes() {
        #expect(events("{\"a\":1}\n\n  \r\n{\"b\":2}\r\n[3]") == ["{\"a\":1}", "{\"b\":2}", "[3]"])
    }

    @Test func detectsContentLengthFramingFromTheFirstBytes() {
        let input = "Content-Length: 7\r\n\r\n{\"a\":1}Content-Type: application/json\r\ncontent-length: 3\r\n\r\n[1]"
        var d = FrameDecoder()
        d.append(Array(input.utf8))
        #expect(d.next() == .message(ArraySlice(Array("{\"a\":1}".utf8))))
        #expect(d.framing == .contentLength)
        #expect(events(input) == ["{\"a\":1}", "[1]"])
    }

    @Test func givesTheSameMessagesWhateverTheChunkSize() {
        let lines = "{\"a\":1}\n{\"b\":\"x\"}\n[1,2]\n"
        let headers = "Content-Length: 7\r\n\r\n{\"a\":1}Content-Length: 9\r\n\r\n{\"b\":\"x\"}"
        for chunk in [1, 2, 3, 5, 8, 64] {
            #expect(events(lines, chunk: chunk) == ["{\"a\":1}", "{\"b\":\"x\"}", "[1,2]"])
            #expect(events(headers, chunk: chunk) == ["{\"a\":1}", "{\"b\":\"x\"}"])
        }
    }

    @Test func skipsAnOversizedLineAsItStreamsPastAndGoesOn() {
        let big = String(repeating: "x", count: 5000)
        let out = events("[\(big)]\n{\"ok\":1}\n", chunk: 100, max: 1000)
        #expect(out.count == 2)
        #expect(out[0].hasPrefix("error: Parse error: message larger than the limit"))
        #expect(out[1] == "{\"ok\":1}")
    }

    @Test func skipsAnOversizedContentLengthBody() {
        let body = String(repeating: "x", count: 2000)
        let out = events("Content-Length: 2000\r\n\r\n\(body)Content-Length: 2\r\n\r\n{}", chunk: 64, max: 1000)
        #expect(out.count == 2)
        #expect(out[0].hasPrefix("error:"))
        #expect(out[1] == "{}")
    }

    @Test func resynchronizesAfterAWrongContentLength() {
        // The first header claims 5 bytes of a 9-byte message: its tail is skipped up to the next header.
        let out = events("Content-Length: 5\r\n\r\n{\"a\":12}\r\nContent-Length: 2\r\n\r\n{}")
        #expect(out == ["{\"a\":", "{}"])
    }

    @Test func resynchronizesWhenTheLeftoverHoldsAColon() {
        // The skipped tail `:2}` looks like a header line unless header names are checked.
        let out = events("Content-Length: 5\r\n\r\n{\"a\":2}Content-Length: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]")
        #expect(out == ["{\"a\":", "{}", "[]"])
    }

    @Test func reportsATruncatedMessageAtEndOfInput() {
        let out = events("Content-Length: 50\r\n\r\n{\"a\":1}")
        #expect(out == ["error: Parse error: truncated message: expected 50 bytes, got 7"])
    }

    @Test func refusesAnInvalidContentLength() {
        let out = events("Content-Length: abc\r\n\r\n{}\r\nContent-Length: 2\r\n\r\n[]")
        #expect(out.first?.hasPrefix("error:") == true)
        #expect(out.last == "[]")
    }

    @Test func framesAnswersInTheStreamsFraming() {
        var out: [UInt8] = []
        Framing.contentLength.frame(Array("{}".utf8), into: &out)
        Framing.newlineDelimited.frame(Array("[]".utf8), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "Content-Length: 2\r\n\r\n{}[]\n")
    }
}

import PropertyBased

@Suite struct FrameDecoderPropertyTests {
    /// Whatever the messages and however the stream is cut into reads, the decoder
    /// yields exactly the messages that were framed, in both framings.
    @Test func anySplitOfAnyStreamYieldsTheFramedMessages() async {
        await propertyCheck(count: 300, input: Gen.letterOrNumber.string(of: 1...40).array(of: 1...12),
                            Gen.int(in: 1...97), Gen.bool) { bodies, chunk, headers in
            let messages = bodies.map { "{\"m\":\"\($0)\"}" }
            var stream: [UInt8] = []
            for m in messages {
                (headers ? Framing.contentLength : .newlineDelimited).frame(Array(m.utf8), into: &stream)
            }
            var decoder = FrameDecoder()
            var out: [String] = []
            var i = 0
            while i < stream.count {
                let end = min(stream.count, i + chunk)
                decoder.append(Array(stream[i..<end]))
                while let e = decoder.next() {
                    if case .message(let m) = e { out.append(String(decoding: m, as: UTF8.self)) } else { out.append("error") }
                }
                i = end
            }
            if let e = decoder.finish(), case .message(let m) = e { out.append(String(decoding: m, as: UTF8.self)) }
            #expect(out == messages)
            #expect(decoder.framing == (headers ? .contentLength : .newlineDelimited))
        }
    }
}
