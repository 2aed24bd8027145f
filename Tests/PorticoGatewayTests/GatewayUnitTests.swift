import Foundation
import HTTPTypes
import Hummingbird
import JSONRPC
import Testing
import Yams
@testable import PorticoGateway

/// The gateway's pure parts: how it reads a visitor's languages, writes prices, decodes
/// forms and credentials, and maps engine errors onto HTTP.
@Suite struct GatewayUnitTests {
    @Test func acceptLanguageGivesCountriesByPreference() {
        #expect(Storefront.countries(acceptLanguage: "de-AT,de;q=0.9,en-GB;q=0.8") == ["AT", "GB"])
        #expect(Storefront.countries(acceptLanguage: "en;q=0.5, ja-JP;q=0.9, fr-FR") == ["FR", "JP"])
        #expect(Storefront.countries(acceptLanguage: "zh-Hant-TW") == ["TW"])       // the script subtag skipped
        #expect(Storefront.countries(acceptLanguage: "es-419, pt-BR") == ["BR"])    // a numeric region is no country
        #expect(Storefront.countries(acceptLanguage: "de-DE;q=0, fr-BE") == ["BE"]) // q=0: not acceptable
        #expect(Storefront.countries(acceptLanguage: "*").isEmpty)
        #expect(Storefront.countries(acceptLanguage: ";;,,=,-,q=").isEmpty)
        #expect(Storefront.countries(acceptLanguage: "de-ÄT, x-ü").isEmpty)
    }

    @Test func pricesAreWrittenInTheirCurrencysExponent() {
        #expect(Storefront.money(4999, "EUR", exponent: 2) == "49.99 EUR")
        #expect(Storefront.money(5, "EUR", exponent: 2) == "0.05 EUR")
        #expect(Storefront.money(7500, "JPY", exponent: 0) == "7500 JPY")
        #expect(Storefront.money(12_345, "BHD", exponent: 3) == "12.345 BHD")
        #expect(Storefront.money(-101, "USD", exponent: 2) == "-1.01 USD")
        #expect(Storefront.money(.min, "USD", exponent: 2) == "-92233720368547758.08 USD")
    }

    @Test func formsDecodeAsRFC6749Says() {
        let f = Routes.form("grant_type=client_credentials&scope=a+b%3Ac&scope=second&empty=&bare&bad=%zz")
        #expect(f["grant_type"] == "client_credentials" && f["scope"] == "a b:c" && f["empty"] == "" && f["bare"] == "" && f["bad"] == "%zz")
    }

    @Test func clientCredentialsFromBasicOrTheBody() throws {
        let url = "/oauth/token"
        func request(_ authorization: String?) -> Request {
            var head = HTTPRequest(method: .post, scheme: "http", authority: "x", path: url)
            if let authorization { head.headerFields[.authorization] = authorization }
            return Request(head: head, body: .init(buffer: ByteBuffer()))
        }
        // RFC 6749 §2.3.1: each part form-encoded before Base64, so a ':' in the id survives.
        let basic = Data("cli%3Aa:s+1%2B".utf8).base64EncodedString()
        let (id, secret) = Routes.clientCredentials(request("Basic \(basic)"), ["client_id": "body"])
        #expect(id == "cli:a" && secret == "s 1+")
        let body = Routes.clientCredentials(request(nil), ["client_id": "c", "client_secret": "s"])
        #expect(body.0 == "c" && body.1 == "s")
        let garbled = Routes.clientCredentials(request("Basic !!!"), [:])
        #expect(garbled.0 == nil && garbled.1 == nil)
    }


    @Test func theAccessLogWritesMillisecondsWithTwoDecimals() {
        typealias Log = AccessLog<BasicRequestContext>
        #expect(Log.milliseconds(.milliseconds(12) + .microseconds(50)) == "12.05")
        #expect(Log.milliseconds(.zero) == "0.00")
        #expect(Log.milliseconds(.seconds(2) + .microseconds(7_999)) == "2007.99")
        #expect(Log.milliseconds(.microseconds(-5)) == "0.00")
    }

    @Test func bearerTokensWithoutTheBlanksAround() {
        func request(_ authorization: String?) -> Request {
            var head = HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/v1/sales")
            if let authorization { head.headerFields[.authorization] = authorization }
            return Request(head: head, body: .init(buffer: ByteBuffer()))
        }
        #expect(Routes.bearer(request("Bearer abc")) == "abc")
        #expect(Routes.bearer(request("bearer \t abc \t")) == "abc")
        #expect(Routes.bearer(request("Bearer    ")) == nil)  // HTTP drops the trailing blanks: no token
        #expect(Routes.bearer(request("Basic abc")) == nil)
        #expect(Routes.bearer(request(nil)) == nil)
        #expect(Routes.bearer(request("BEARER abc")) == "abc")
        #expect(Routes.bearer(request("Bearer\u{0301} abc")) == nil)  // a combining mark on the scheme: not "Bearer"
        #expect(Routes.bearer(request("Bearers abc")) == nil)
        #expect(Routes.bearer(request("Bearer  é\u{0301} x 🇩🇪\t")) == "é\u{0301} x 🇩🇪")
        #expect(Routes.trimmingBlanks(" \t a b \t") == "a b")
        #expect(Routes.trimmingBlanks(" \u{0301}x\u{0301} ") == "\u{0301}x\u{0301}")
        #expect(Routes.trimmingBlanks("") == "")
    }
    @Test func engineErrorsBecomeProblemsWithTheirCode() {
        #expect(Routes.status(-32602) == .badRequest && Routes.status(-32001) == .unauthorized && Routes.status(-32003) == .forbidden)
        #expect(Routes.status(-32004) == .notFound && Routes.status(-32010) == .conflict && Routes.status(-32029) == .tooManyRequests)
        #expect(Routes.status(-32603) == .internalServerError)
        let limited = Routes.problem(["code": -32029, "message": "slow down",
                                      "data": ["retryAfterMs": 1500, "limit": 600, "remaining": 0, "resetMs": 2001, "policy": "600;w=60"]])
        #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] == "2")
        #expect(limited.headers[HTTPField.Name("RateLimit")!] == "limit=600, remaining=0, reset=3")
        #expect(limited.headers[.contentType] == "application/problem+json")
        let named = Routes.problem(["code": -32602, "message": "bad", "data": ["field": "email", "status": "not mine"]])
        #expect(named.status == .badRequest)
    }
}

/// `schemas/partner-api.openapi.yaml` describes exactly the routes the gateway serves, and
/// `/openapi.json` is that file.
@Suite struct OpenAPIDocumentTests {
    @Test func theDocumentDescribesExactlyTheRoutes() throws {
        let doc = OpenAPI.document
        #expect(doc["openapi"] == "3.1.0")
        var described: Set<String> = []
        for (path, item) in doc["paths"]?.objectValue?.members.map({ ($0.key, $0.value) }) ?? [] {
            for (method, _) in item.objectValue?.members.map({ ($0.key, $0.value) }) ?? [] {
                described.insert("\(method.uppercased()) \(path)")
            }
        }
        let served = Set(Routes.table.map { "\($0.method.rawValue) \($0.path)" })
        #expect(described == served)
        #expect(served.count == Routes.table.count)
    }

    @Test func theDocumentReadsAsTheFileSays() throws {
        // Scalars keep their YAML types: integers, booleans, quoted numbers as text.
        let money = OpenAPI.document["components"]?["schemas"]?["Money"]?["properties"]?["amount"]
        #expect(money?["maximum"] == 9_007_199_254_740_992 && money?["type"] == "integer")
        let token = OpenAPI.document["paths"]?["/oauth/token"]?["post"]?["requestBody"]?["required"]
        #expect(token == true)
        let read = OpenAPI.json(try #require(try Yams.compose(yaml: "a: '1'\nb: 1\nc: ~\nd: 1.5\ne: ['yes', true]")))
        #expect(read ==
            ["a": "1", "b": 1, "c": .null, "d": .number("1.5"), "e": ["yes", true]])
    }
}

/// The engine's answers read only as far as a route needs: the id and the result's bytes
/// from the line's fixed head, a page's next cursor from its end — and the whole line when
/// it is anything else.
@Suite struct EngineAnswerTests {
    func answer(_ text: String) -> EngineAnswer { EngineAnswer(Array(text.utf8)) }

    @Test func theIdAndResultComeFromTheHead() {
        let a = answer(#"{"jsonrpc":"2.0","id":42,"result":{"items":[],"nextCursor":null}}"#)
        #expect(a.id == 42 && a.result.map { String(decoding: $0, as: UTF8.self) } == #"{"items":[],"nextCursor":null}"#)
        let e = answer(#"{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"x"}}"#)
        #expect(e.id == 7 && e.result == nil && e.json["error"]?["code"] == -32602)
        let other = answer(#"{"id":9,"jsonrpc":"2.0","result":1}"#)   // another member order: read whole
        #expect(other.id == 9 && other.result == nil)
        #expect(answer("garbage").id == nil && answer(#"{"jsonrpc":"2.0","id":99999999999999999999,"result":1}"#).id == nil)
    }

    @Test func aPagesNextCursorIsReadFromItsEnd() {
        func next(_ s: String) -> String? { Routes.nextCursor(Array(s.utf8)[...]) }
        #expect(next(#"{"items":[{"id":"a"}],"nextCursor":"c2"}"#) == "c2")
        #expect(next(#"{"items":[{"id":"a"}],"nextCursor":null}"#) == nil)
        #expect(next(#"{"id":"cus_1","updatedAt":"2026-01-01T00:00:00.000Z"}"#) == nil)
        #expect(next(#"{"a":{"nextCursor":"nested"}}"#) == nil)
        // An escaped quote, or an escape in the cursor: read whole, and rightly.
        #expect(next(#"{"items":[],"note":"x\",\"nextCursor\":\"evil"}"#) == nil)
        #expect(next(#"{"items":[],"nextCursor":"a\u0062c"}"#) == "abc")
        #expect(next(#"{"items":[],"nextCursor":"a\\"}"#) == "a\\")
    }
}

@Suite struct PageCacheTests {
    @Test func aPageIsServedAgainForItsMomentOnly() async throws {
        let cache = PageCache(milliseconds: 50, capacity: 2)
        let a = PageCache.Key(host: "nimbus.portal.example", query: "", languages: "de-DE")
        let b = PageCache.Key(host: "nimbus.portal.example", query: "", languages: "ja-JP")
        cache.store(a, PageCache.Page(status: .ok, html: "<p>A</p>"))
        #expect(cache.lookup(a)?.status == .ok && cache.lookup(b) == nil)
        try await Task.sleep(for: .milliseconds(80))
        #expect(cache.lookup(a) == nil)
        // Full: the expired go first, then everything.
        for k in 0..<5 { cache.store(.init(host: "h\(k)", query: "", languages: ""), PageCache.Page(status: .notFound, html: "")) }
        #expect(cache.lookup(.init(host: "h4", query: "", languages: "")) != nil)
        let off = PageCache(milliseconds: 0)
        off.store(a, PageCache.Page(status: .ok, html: ""))
        #expect(off.lookup(a) == nil)
    }
}

@Suite struct LineReaderTests {
    /// Lines split across reads, empty lines, a line longer than the buffer (grown), and a
    /// last line without its newline (never handed over).
    @Test func linesComeWholeWhateverTheReads() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: 40_000)
        let writes: [[UInt8]] = [Array("a\nb".utf8), Array("c\n\n".utf8), long, Array("\nlast".utf8)]
        for w in writes { _ = w.withUnsafeBytes { write(fds[1], $0.baseAddress!, $0.count) } }  // < 64 KiB: the pipe holds it all
        close(fds[1])
        var reader = LineReader(fd: fds[0], capacity: 8)  // small reads: lines split across them, the buffer grown for the long one
        var got: [[UInt8]] = []
        while let lines = reader.next() { got += lines }
        close(fds[0])
        #expect(got.map { String(decoding: $0, as: UTF8.self) } == ["a", "bc", "", String(decoding: long, as: UTF8.self)])
    }
}

@Suite struct NextLinkTests {
    @Test func theRequestsQueryWithTheNextCursor() {
        #expect(Routes.nextLink(path: "/v1/sales", query: "limit=10", cursor: "c2a") == #"</v1/sales?cursor=c2a&limit=10>; rel="next""#)
        #expect(Routes.nextLink(path: "/v1/sales", query: "limit=2&cursor=c1&kind=new", cursor: "c9")
                == #"</v1/sales?cursor=c9&kind=new&limit=2>; rel="next""#)
        #expect(Routes.nextLink(path: "/v1/customers", query: nil, cursor: "c1") == #"</v1/customers?cursor=c1>; rel="next""#)
        // Sent raw by a client: made URI-safe, escapes kept as they came.
        #expect(Routes.nextLink(path: "/v1/sales", query: "q=a b<>\"é&x=%41&&", cursor: "c&=1")
                == #"</v1/sales?cursor=c%26%3D1&q=a%20b%3C%3E%22%C3%A9&x=%41>; rel="next""#)
    }
}
