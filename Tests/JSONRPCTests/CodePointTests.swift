import Testing
@testable import JSONRPC

/// RFC 8259 compares strings by code points: "é" (U+00E9) and "e" + U+0301 are different
/// keys and different values, although Swift's `==` calls them equal.
@Suite struct CodePointTests {
    @Test func canonicallyEquivalentKeysAreDistinctKeys() throws {
        let v = try JSONReader.parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
        #expect(v.objectValue?.count == 2)
        #expect(v["\u{E9}"] == 1)
        #expect(v["e\u{301}"] == 2)
        let many = (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(try JSONReader.parse("{\(many),\"\u{E9}\":1,\"e\u{301}\":2}").objectValue?.count == 22)
    }

    @Test func exactDuplicatesAreStillRefused() {
        #expect(throws: JSONParseError.self) { try JSONReader.parse("{\"\u{E9}\":1,\"\\u00e9\":2}") }
    }

    @Test func valuesAndIdsCompareByCodePoints() {
        #expect(JSONValue.string("\u{E9}") != .string("e\u{301}"))
        #expect(RequestID.string("\u{E9}") != RequestID.string("e\u{301}"))
        #expect(Set([RequestID.string("\u{E9}"), .string("e\u{301}")]).count == 2)
        #expect(JSONValue.string("\u{212A}") != .string("K"))
    }

    @Test func objectsCompareWhateverTheirMemberOrder() {
        let a: JSONValue = ["x": 1, "y": [true, nil]]
        let b: JSONValue = ["y": [true, nil], "x": 1]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != ["x": 1, "y": [true, false]])
    }
}
