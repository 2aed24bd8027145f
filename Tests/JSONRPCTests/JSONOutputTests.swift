import PropertyBased
import Testing
@testable import JSONRPC

/// A record with every kind of member, nested containers and optional members.
struct OutputSample: JSONEncodable {
    var id: String
    var note: String?
    var count: Int64
    var limit: Int64?
    var flag: Bool
    var tags: [String]
    var extra: JSONValue
    var children: [OutputSample]

    func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("id", id)
            o.member("note", note)
            o.member("count", count)
            o.member("limit", limit)
            o.member("flag", flag)
            o.key("tags")
            o.array { a in for t in tags { a.string(t) } }
            if !tags.isEmpty { o.member("firstTag", tags[0]) }
            o.member("extra", extra)
            o.member("children", each: children)
            o.key("empty")
            o.object { _ in }
            o.key("code")
            o.plainString(length: 3) { _ = $0.initialize(from: "EUR".utf8) }
        }
    }
}

@Suite struct JSONOutputTests {
    static let sample = OutputSample(
        id: "a\"b\\c\n\u{0}é", note: nil, count: -7, limit: .max, flag: true, tags: ["x", "ÿ"], extra: ["k": [1, nil, "v"]],
        children: [OutputSample(id: "c1", note: "n", count: 0, limit: nil, flag: false, tags: [], extra: .null, children: []),
                   OutputSample(id: "c2", note: "", count: 1, limit: 2, flag: true, tags: ["t"], extra: [], children: [])])

    @Test func textIsWhatTheWriterWritesForTheTree() {
        let tree = Self.sample.json
        #expect(Self.sample.jsonText == JSONWriter.bytes(tree))
        #expect(tree["id"] == .string("a\"b\\c\n\u{0}é"))
        #expect(tree["note"] == .null)
        #expect(tree["limit"] == .integer(.max))
        #expect(tree["children"]?.arrayValue?.count == 2)
        #expect(tree["children"]?.arrayValue?[1]["firstTag"] == "t")
        #expect(tree["children"]?.arrayValue?[0]["firstTag"] == nil)
        #expect(tree["empty"] == .object([:]))
        #expect(tree["code"] == "EUR")
        // Member order is the order written.
        #expect(tree.objectValue?.keys.prefix(4) == ["id", "note", "count", "limit"])
    }

    @Test func textReadsBackToTheTree() throws {
        #expect(try JSONReader.parse(Self.sample.jsonText) == Self.sample.json)
    }

    @Test func topLevelScalarsAndArrays() {
        var out = JSONOutput(.text)
        out.array { a in
            a.integer(1)
            a.array { _ in }
            a.null()
            a.object { o in o.member("z", false) }
            a.value([1, 2])
        }
        #expect(String(decoding: out.bytes, as: UTF8.self) == #"[1,[],null,{"z":false},[1,2]]"#)
        var tree = JSONOutput(.tree)
        tree.string("only")
        #expect(tree.value == "only")
    }

    /// Any tree, written through `value` inside containers, gives the same text both ways.
    @Test func anyValueWritesAlikeInBothForms() async {
        await propertyCheck(count: 300, input: Gen.int64().array(of: 0...5), Gen.character(in: "\u{0}"..."\u{2FF}").string(of: 0...8).array(of: 0...5),
                            Gen.bool) { numbers, strings, nested in
            let value: JSONValue = nested
                ? ["n": .array(numbers.map { .integer($0) }), "s": .array(strings.map { .string($0) }), "o": ["deep": [["x": 1]]]]
                : .array(strings.map { .string($0) })
            struct Wrapper: JSONEncodable {
                let value: JSONValue
                let strings: [String]
                func encode(to out: inout JSONOutput) {
                    out.object { o in
                        o.member("value", value)
                        o.key("strings")
                        o.array { a in for s in strings { a.string(s) } }
                    }
                }
            }
            let w = Wrapper(value: value, strings: strings)
            #expect(w.jsonText == JSONWriter.bytes(w.json))
            #expect(w.json == ["value": value, "strings": .array(strings.map { .string($0) })])
        }
    }

    /// Integers, strings and nesting written member by member, from the smallest buffer
    /// (grown many times over), are what `JSONWriter` writes for the same tree.
    @Test func membersWriteAsTheWriterWritesTheirTree() async {
        await propertyCheck(count: 300, input: Gen.int64().array(of: 0...40), Gen.character(in: "\u{0}"..."\u{2FF}").string(of: 0...8).array(of: 0...20)) {
            numbers, strings in
            var out = JSONOutput(.text, capacity: 1)
            out.object { o in
                o.key("n")
                o.array { a in for n in numbers + [0, -1, .min, .max] { a.integer(n) } }
                o.key("s")
                o.array { a in for s in strings { a.string(s) } }
                o.member("t", true); o.member("f", false); o.member("z", nil as String?)
            }
            let tree: JSONValue = ["n": .array((numbers + [0, -1, .min, .max]).map { .integer($0) }), "s": .array(strings.map { .string($0) }),
                                   "t": true, "f": false, "z": .null]
            #expect(out.bytes == JSONWriter.bytes(tree))
            #expect(out.textCount == out.bytes.count)
        }
    }

    /// Every byte value at every place of a run (the word-at-a-time test and the tail's)
    /// is told plain or not as the byte-at-a-time rule tells it.
    @Test func plainBytesAreToldWordAtATime() {
        for b in 0...255 {
            let plain = b >= 0x20 && b < 0x7F && b != 0x22 && b != 0x5C
            for count in [1, 7, 8, 9, 17] {
                for at in 0..<count {
                    var run = [UInt8](repeating: UInt8(ascii: "a"), count: count)
                    run[at] = UInt8(b)
                    #expect(run.withUnsafeBufferPointer(JSONOutput.isPlain) == plain, "byte \(b) at \(at) of \(count)")
                }
            }
        }
        #expect(JSONOutput.isPlain(UnsafeBufferPointer(start: nil, count: 0)))
    }

    /// Bytes read in place (a column's) write what the `String` they decode to writes, in
    /// both forms, malformed UTF-8 included.
    @Test func bytesWriteAsTheStringTheyDecodeTo() async {
        let byte = Gen.oneOf(Gen.uint8(in: 0x20...0x7E), Gen.uint8(in: 0x20...0x7E), Gen.uint8())
        await propertyCheck(count: 500, input: byte.array(of: 0...40)) { bytes in
            var text = JSONOutput(.text), tree = JSONOutput(.tree), reference = JSONOutput(.text)
            bytes.withUnsafeBufferPointer { text.string(utf8: $0); tree.string(utf8: $0) }
            reference.string(String(decoding: bytes, as: UTF8.self))
            #expect(text.bytes == reference.bytes)
            #expect(tree.value == .string(String(decoding: bytes, as: UTF8.self)))
        }
    }

    @Test func outcomeKeepsTreesAndWritesOtherEncodablesOnce() throws {
        let tree: JSONValue = ["a": 1]
        guard case .result(let v) = Outcome(result: tree) else { Issue.record("a tree stays a tree"); return }
        #expect(v == tree)
        guard case .encoded(let text) = Outcome(result: Self.sample) else { Issue.record("a record is written as text"); return }
        #expect(text == Self.sample.jsonText)
        guard case .result(let read) = Outcome.encoded(text).read else { Issue.record("read gives a tree"); return }
        #expect(read == Self.sample.json)

        var out: [UInt8] = []
        Response.write(id: .integer(4), outcome: .encoded(Array(#"{"x":[1]}"#.utf8)), into: &out)
        #expect(String(decoding: out, as: UTF8.self) == #"{"jsonrpc":"2.0","id":4,"result":{"x":[1]}}"#)
    }

    @Test func keysAreASCIILettersDigitsAndUnderscores() {
        #expect(JSONOutput.isPlainKey("nextCursor"))
        #expect(JSONOutput.isPlainKey("a_1"))
        #expect(!JSONOutput.isPlainKey("a\"b"))
        #expect(!JSONOutput.isPlainKey(""))
        #expect(!JSONOutput.isPlainKey("é"))
    }
}
