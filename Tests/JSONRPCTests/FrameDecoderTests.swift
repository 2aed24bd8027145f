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
        // The first header claims 5 bytes of a 9-byte message: its tail is answered once and
        // skipped up to the next header.
        let out = events("Content-Length: 5\r\n\r\n{\"a\":12}\r\nContent-Length: 2\r\n\r\n{}")
        #expect(out.count == 3)
        #expect(out[0] == "{\"a\":")
        #expect(out[1].hasPrefix("error: Parse error: not a header line ('12}')"))
        #expect(out[2] == "{}")
    }

    @Test func resynchronizesWhenTheLeftoverHoldsAColon() {
        // The skipped tail `:2}` looks like a header line unless header names are checked.
        let out = events("Content-Length: 5\r\n\r\n{\"a\":2}Content-Length: 2\r\n\r\n{}Content-Length: 2\r\n\r\n[]")
        #expect(out.filter { !$0.hasPrefix("error:") } == ["{\"a\":", "{}", "[]"])
        #expect(out.filter { $0.hasPrefix("error:") }.count == 1)
    }

    /// Every frame the decoder cannot take is answered, never dropped in silence: a
    /// header line without a colon, a name with a space before its colon, a bare JSON
    /// line between frames, a header block without Content-Length.
    @Test(arguments: [
        "Content-Length: 2\r\nX-Trace\r\n\r\n{}",
        "Content-Length : 2\r\n\r\n{}",
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"m\"}\r\n",
        "Content-Type: application/json\r\n\r\n{}",
    ])
    func aFrameItCannotReadIsAnsweredAndTheNextOneStillArrives(_ bad: String) {
        let stream = "Content-Length: 2\r\n\r\n[]" + bad + "Content-Length: 7\r\n\r\n{\"b\":2}"
        for chunk in [1, 3, 7, 1000] {
            let out = events(stream, chunk: chunk)
            #expect(out.first == "[]", "chunk \(chunk)")
            #expect(out.last == "{\"b\":2}", "chunk \(chunk)")
            let answers = out.dropFirst().dropLast()
            #expect(!answers.isEmpty && answers.allSatisfy { $0.hasPrefix("error: Parse error:") }, "chunk \(chunk): \(out)")
        }
    }

    @Test func anOverlongHeaderLineIsAnswered() {
        let out = events("Content-Length: 2\r\n\r\n[]X-Junk: " + String(repeating: "x", count: 9000) + "\r\nContent-Length: 2\r\n\r\n{}", chunk: 512)
        #expect(out.count == 3)
        #expect(out[1].hasPrefix("error: Parse error: a header line longer than"))
        #expect(out[2] == "{}")
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

@Suite struct FrameDecoderHeaderPropertyTests {
    /// Valid frames with random header blocks between them (junk lines, names with
    /// spaces, bare JSON, control bytes): every valid frame still arrives, in order, and
    /// every stretch of junk is answered with at least one error, whatever the read size.
    @Test func randomHeaderBlocksNeverSwallowAFrameSilently() async {
        let junk = Gen.oneOf(
            Gen.always("X-Trace\r\n"), Gen.always("Content-Length : 3\r\n\r\n[1]"), Gen.always("{\"id\":1}\r\n"),
            Gen.always("Content-Type: text/plain\r\n\r\n"), Gen.always("\u{1}\u{7f}: x\r\n"),
            Gen.always("Content-Length: -1\r\n\r\n"), Gen.always("Content-Length: 99999999999999\r\n\r\n"),
            Gen.letterOrNumber.string(of: 1...30).map { $0 + "\r\n" })
        await propertyCheck(count: 300, input: Gen.bool.array(of: 1...10), junk.array(of: 10), Gen.int(in: 1...61)) {
            pattern, junkLines, chunk in
            var stream: [UInt8] = []
            var expectedMessages: [String] = []
            var junkRuns = 0
            for (k, isJunk) in pattern.enumerated() {
                if isJunk {
                    stream += Array(junkLines[k].utf8)
                    junkRuns += 1
                } else {
                    let body = "{\"n\":\(k)}"
                    expectedMessages.append(body)
                    Framing.contentLength.frame(Array(body.utf8), into: &stream)
                }
            }
            // Start with a frame so the framing is LSP.
            var start: [UInt8] = []
            Framing.contentLength.frame(Array("{}".utf8), into: &start)
            stream = start + stream
            var decoder = FrameDecoder()
            var messages: [String] = []
            var errors = 0
            var i = 0
            func take(_ e: FrameEvent) {
                switch e {
                case .message(let m): messages.append(String(decoding: m, as: UTF8.self))
                case .error: errors += 1
                }
            }
            while i < stream.count {
                let end = min(stream.count, i + chunk)
                decoder.append(Array(stream[i..<end]))
                while let e = decoder.next() { take(e) }
                i = end
            }
            if let e = decoder.finish() { take(e) }
            // Every valid frame arrives, in order, and no junk becomes a message; every run
            // of junk is answered at least once, and no junk line more than once.
            #expect(messages == ["{}"] + expectedMessages, "\(messages)")
            var runs = 0
            for (k, isJunk) in pattern.enumerated() where isJunk && (k == 0 || !pattern[k - 1]) { runs += 1 }
            #expect(errors >= runs && errors <= junkRuns, "errors \(errors), runs \(runs)")
        }
    }
}
