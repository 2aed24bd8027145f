import PropertyBased
import Testing
@testable import JSONRPC

@Suite struct JSONWriterTests {
    @Test func writesCompactTextWithEscapes() {
        let v: JSONValue = ["s": "a\"b\\c\n\u{01}é", "n": -12, "x": .number("1.50"), "a": [true, nil]]
        #expect(JSONWriter.string(v) == #"{"s":"a\"b\\c\n\u0001é","n":-12,"x":1.50,"a":[true,null]}"#)
    }

    @Test func canonicalFormSortsKeysAtEveryLevel() {
        let v: JSONValue = ["b": ["z": 1, "y": 2], "a": 0]
        #expect(String(decoding: JSONWriter.canonical(v), as: UTF8.self) == #"{"a":0,"b":{"y":2,"z":1}}"#)
    }

    @Test func writesIntegerExtremes() {
        #expect(JSONWriter.string(.integer(.min)) == "-9223372036854775808")
        #expect(JSONWriter.string(.integer(.max)) == "9223372036854775807")
        #expect(JSONWriter.string(.integer(0)) == "0")
    }

    @Test func writtenTextReadsBackToTheSameValue() async {
        await propertyCheck(count: 500, input: Gen.int64().array(of: 0...6), Gen.ascii.string(of: 0...12).array(of: 0...6),
                            Gen.character(in: "\u{80}"..."\u{3000}").string(of: 0...6)) { numbers, asciiKeys, text in
            var o = JSONObject()
            for (k, n) in zip(asciiKeys, numbers) { o[k] = .integer(n) }
            let doc: JSONValue = ["numbers": .array(numbers.map { .integer($0) }), "obj": .object(o),
                                  "text": .string(text), "keys": .array(asciiKeys.map { .string($0) })]
            let text = JSONWriter.bytes(doc)
            #expect((try? JSONReader.parse(text)) == doc)
        }
    }
}
