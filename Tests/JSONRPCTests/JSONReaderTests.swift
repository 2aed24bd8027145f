import Testing
@testable import JSONRPC

@Suite struct JSONReaderTests {
    func parse(_ s: String, _ limits: JSONReader.Limits = .init()) throws -> JSONValue { try JSONReader.parse(s, limits: limits) }

    func kind(_ s: String, _ limits: JSONReader.Limits = .init()) -> JSONParseError.Kind? {
        do { _ = try JSONReader.parse(s, limits: limits); return nil } catch { return error.kind }
    }

    func kind(bytes: [UInt8]) -> JSONParseError.Kind? {
        do { _ = try JSONReader.parse(bytes); return nil } catch { return error.kind }
    }

    @Test func readsEveryKindOfValueAndKeepsMemberOrder() throws {
        let v = try parse(#" {"b": [1, -2, true, false, null], "a": {"x": "y"}, "c": 1.5} "#)
        #expect(v.objectValue?.keys == ["b", "a", "c"])
        #expect(v["b"] == [1, -2, true, false, nil])
        #expect(v["a"]?["x"] == "y")
        #expect(v["c"] == .number("1.5"))
    }

    @Test func integersStayExactAndOtherNumbersKeepTheirText() throws {
        #expect(try parse("9223372036854775807") == .integer(.max))
        #expect(try parse("-9223372036854775808") == .integer(.min))
        #expect(try parse("9223372036854775808") == .number("9223372036854775808"))
        #expect(try parse("1e400") == .number("1e400"))
        #expect(try parse("0.1") == .number("0.1"))
        #expect(try parse("-0") == .integer(0))
    }

    @Test func refusesDuplicateKeysInSmallAndLargeObjects() {
        #expect(kind(#"{"a":1,"a":2}"#) == .duplicateKey)
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(kind("{\(many),\"k39\":0}") == .duplicateKey)
        #expect(kind("{\(many)}") == nil)
    }

    @Test func refusesInvalidUTF8AndLoneSurrogates() {
        #expect(kind(bytes: [0x22, 0xC3, 0x28, 0x22]) == .invalidUTF8)
        #expect(kind(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22]) == .invalidUTF8)  // a surrogate encoded in UTF-8
        #expect(kind(bytes: [0x22, 0xFF, 0x22]) == .invalidUTF8)
        #expect(kind(#""\ud800""#) == .syntax)
        #expect(kind(#""\udc00x""#) == .syntax)
        #expect(kind(#""\ud800\u0041""#) == .syntax)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == .string("a\"b\\c/d\n\té😀"))
        #expect(try parse("\"h\u{e9}llo \u{1F600}\"") == .string("héllo 😀"))
    }

    @Test func refusesWhatLenientReadersAccept() {
        for bad in ["NaN", "Infinity", "-Infinity", "01", "1.", ".5", "+1", "[1,]", "{\"a\":1,}", "'a'", "tru", "[1] 2",
                    "\"tab\there\"", "{a:1}", "", "   ", "[", "{\"a\"}", "1e", "--1"] {
            #expect(kind(bad) != nil, "accepted \(bad)")
        }
    }

    @Test func boundsNestingBeforeRecursing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(kind(deep) == .tooDeep)
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(kind(ok) == nil)
        #expect(kind(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) == .tooDeep)
    }

    @Test func boundsTheTopLevelArrayOnly() {
        let limits = JSONReader.Limits(maxDepth: 64, maxTopLevelElements: 3)
        #expect(kind("[1,2,3]", limits) == nil)
        #expect(kind("[1,2,3,4]", limits) == .tooManyElements)
        #expect(kind("[[1,2,3,4]]", limits) == nil)
    }
}
