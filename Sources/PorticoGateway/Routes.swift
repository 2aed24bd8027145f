import Foundation
import HTTPTypes
import Hummingbird
import JSONRPC

/// The gateway's routes, each a thin map onto one engine method.
struct Routes: Sendable {
    let engine: EngineChild
    /// Storefront pages rendered in the last moments (see `PageCache`).
    var pages = PageCache(milliseconds: 0)

    /// One route: its HTTP method, its path as the OpenAPI document writes it (`{id}`), and
    /// what answers it.
    struct Route: Sendable {
        let method: HTTPRequest.Method
        let path: String
        let answer: @Sendable (Routes, Request, BasicRequestContext) async throws -> Response
    }

    /// Every route the gateway serves; `schemas/partner-api.openapi.yaml` describes exactly
    /// these (a test holds them together).
    static let table: [Route] = {
        let page = ["cursor", "limit"]
        @Sendable func id(_ context: BasicRequestContext) throws -> JSONValue { .string(try context.parameters.require("id")) }
        return [
            Route(method: .get, path: "/healthz") { r, _, _ in try await r.health() },
            Route(method: .get, path: "/openapi.json") { _, _, _ in json(OpenAPI.document) },
            Route(method: .post, path: "/oauth/token") { r, request, _ in try await r.token(request) },
            Route(method: .post, path: "/oauth/revoke") { r, request, _ in try await r.revoke(request) },
            Route(method: .post, path: "/oauth/introspect") { r, request, _ in try await r.introspect(request) },
            Route(method: .get, path: "/v1/customers") { r, request, _ in
                try await r.api("api.customer.list", request, query: page + ["resellerId"])
            },
            Route(method: .post, path: "/v1/customers") { r, request, _ in
                try await r.api("api.customer.register", request, body: try await r.object(request), status: .created)
            },
            Route(method: .get, path: "/v1/customers/{id}") { r, request, context in
                try await r.api("api.customer.get", request, extra: ["customerId": try id(context)])
            },
            Route(method: .get, path: "/v1/subscriptions") { r, request, _ in
                try await r.api("api.subscription.list", request, query: page + ["customerId", "status"])
            },
            Route(method: .post, path: "/v1/subscriptions") { r, request, _ in
                try await r.api("api.subscription.create", request, body: try await r.object(request), status: .created)
            },
            Route(method: .get, path: "/v1/subscriptions/{id}") { r, request, context in
                try await r.api("api.subscription.get", request, extra: ["subscriptionId": try id(context)])
            },
            Route(method: .post, path: "/v1/subscriptions/{id}/cancel") { r, request, context in
                try await r.api("api.subscription.cancel", request, body: try await r.object(request), extra: ["subscriptionId": try id(context)])
            },
            Route(method: .post, path: "/v1/usage") { r, request, _ in
                try await r.api("api.usage.record", request, body: try await r.object(request))
            },
            Route(method: .get, path: "/v1/usage") { r, request, _ in
                try await r.api("api.usage.get", request, query: page + ["customerId", "meter", "groupBy", "from", "to"])
            },
            Route(method: .get, path: "/v1/sales") { r, request, _ in
                try await r.api("api.sales.list", request, query: page + ["customerId", "kind", "from", "to"])
            },
            Route(method: .get, path: "/v1/commissions") { r, request, _ in
                try await r.api("api.commissions.list", request, query: page + ["status", "from", "to"])
            },
            Route(method: .get, path: "/") { r, request, _ in try await Storefront(engine: r.engine, cache: r.pages).page(request) },
        ]
    }()

    func register(on router: Router<BasicRequestContext>) {
        for route in Self.table {
            // Hummingbird writes a path parameter `:id`.
            let path = route.path.replacingOccurrences(of: "{id}", with: ":id")
            router.on(RouterPath(path), method: route.method) { request, context in try await route.answer(self, request, context) }
        }
    }

    // MARK: answers

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(value))))
    }

    /// An engine error as an RFC 9457 problem: the JSON-RPC code and the error's data
    /// (`field`, `reason`, `state`, ...) as extension members.
    static func problem(_ error: JSONValue) -> Response {
        let code = error["code"]?.integerValue ?? -32603
        let status = Self.status(code)
        var o: JSONObject = ["type": .string("https://portico.dev/problems/\(-code)"), "title": .string(status.reasonPhrase),
                             "status": .integer(Int64(status.code)), "detail": error["message"] ?? .null, "code": .integer(code)]
        if case .object(let data)? = error["data"] { for m in data.members where o[m.key] == nil { o[m.key] = m.value } }
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if code == -32001 {
            let oauth = error["data"]?["oauthError"]?.stringValue ?? "invalid_token"
            headers[.wwwAuthenticate] = "Bearer realm=\"portico\", error=\"\(oauth)\""
        }
        if code == -32029, let data = error["data"] {
            let retryMs = data["retryAfterMs"]?.integerValue ?? 1000
            headers[.retryAfter] = "\((retryMs + 999) / 1000)"
            if let policy = data["policy"]?.stringValue { headers[HTTPField.Name("RateLimit-Policy")!] = policy }
            let remaining = data["remaining"]?.integerValue ?? 0
            let reset = ((data["resetMs"]?.integerValue ?? retryMs) + 999) / 1000
            headers[HTTPField.Name("RateLimit")!] = "limit=\(data["limit"]?.integerValue ?? 0), remaining=\(remaining), reset=\(reset)"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(.object(o)))))
    }

    static func status(_ code: Int64) -> HTTPResponse.Status {
        switch code {
        case -32700, -32600, -32602: return .badRequest
        case -32001: return .unauthorized
        case -32003: return .forbidden
        case -32004, -32601: return .notFound
        case -32009, -32010: return .conflict
        case -32029: return .tooManyRequests
        default: return .internalServerError
        }
    }

    static let unavailable = problem(["code": -32603, "message": "the engine is restarting; try again shortly"])
        .withStatus(.serviceUnavailable)

    // MARK: handlers

    func health() async throws -> Response {
        guard let answer = try? await engine.call("system.health", [:]), let result = answer["result"] else {
            return Self.json(["status": "unavailable"], status: .serviceUnavailable)
        }
        return Self.json(["status": "ok", "engine": result])
    }

    /// The request's bearer token (RFC 6750 §2.1), or nil.
    /// Read as bytes: the scheme is ASCII, and the blanks around the token are.
    static func bearer(_ request: Request) -> String? {
        // The first field (the subscript joins repeated ones into a new string).
        guard let h = request.headers.first(where: { $0.name == .authorization })?.value else { return nil }
        let utf8 = h.utf8
        guard let space = utf8.firstIndex(of: UInt8(ascii: " ")),
              utf8[..<space].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        return String(Self.trimmingBlanks(h[utf8.index(after: space)...]))
    }

    /// Without the spaces and tabs (HTTP's optional white space) at either end. The ends
    /// found are next to an ASCII byte, so they fall between characters.
    static func trimmingBlanks(_ s: Substring) -> Substring {
        let utf8 = s.utf8
        let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = utf8.firstIndex(where: { !blank($0) }), let last = utf8.lastIndex(where: { !blank($0) }) else { return "" }
        return s[first..<utf8.index(after: last)]
    }

    /// The request body as a JSON object; a problem when it is not one.
    func object(_ request: Request) async throws -> JSONObject {
        let buffer = try await request.body.collect(upTo: 4 << 20)
        guard case .object(let o)? = try? JSONReader.parse(Array(buffer.readableBytesView)) else {
            throw ProblemError(Self.problem(["code": -32602, "message": "the body must be a JSON object",
                                             "data": ["field": "body", "reason": "must be a JSON object"]]))
        }
        return o
    }

    /// Calls an `api.*` method with the bearer token, the listed query parameters (numbers
    /// as numbers), the body's members and `Idempotency-Key`.
    func api(_ method: String, _ request: Request, query: [String] = [], body: JSONObject = [:], extra: JSONObject = [:],
             status: HTTPResponse.Status = .ok) async throws -> Response
    {
        guard let token = Self.bearer(request) else {
            // No credentials at all: the challenge names no error (RFC 6750 §3.1).
            var r = Self.problem(["code": -32001, "message": "an access token is required (Authorization: Bearer ...)"])
            r.headers[.wwwAuthenticate] = "Bearer realm=\"portico\""
            return r
        }
        var params = body
        for m in extra.members { params[m.key] = m.value }
        // Parsed once: each read of `queryParameters` parses the whole query again.
        let queryParameters = request.uri.queryParameters
        for name in query {
            guard let v = queryParameters.get(name) else { continue }
            // `limit` is a number; every other parameter is text, as the method reads it.
            params[name] = name == "limit" ? Int64(v).map { .integer($0) } ?? .string(v) : .string(v)
        }
        if let key = request.headers[HTTPField.Name("Idempotency-Key")!] { params["idempotencyKey"] = .string(key) }
        params["accessToken"] = .string(token)
        let answer: EngineAnswer
        do { answer = try await engine.answer(method, .object(params)) } catch { return Self.unavailable }
        // The result goes out as the engine wrote it; only an error is read.
        guard let result = answer.result else { return Self.problem(answer.json["error"] ?? ["code": -32603, "message": "no answer"]) }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let next = Self.nextCursor(result) {
            headers[HTTPField.Name("Link")!] = Self.nextLink(path: request.uri.path, query: request.uri.query, cursor: next)
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: result)))
    }

    /// `<path?query>; rel="next"`: the request's own query as sent, its parameters in name
    /// order, with `cursor` set to the next page's. Bytes a URI may not hold as they are
    /// (a client may have sent them raw) are percent-encoded, so the target stays one URI
    /// reference between the angle brackets. Worked on as bytes: it is written for every
    /// page but the last.
    static func nextLink(path: String, query: String?, cursor: String) -> String {
        let amp = UInt8(ascii: "&"), equals = UInt8(ascii: "=")
        let q = Array((query ?? "").utf8)
        func name(_ item: ArraySlice<UInt8>) -> ArraySlice<UInt8> { item.prefix { $0 != equals } }
        var items = q.split(separator: amp).filter { !name($0).elementsEqual("cursor".utf8) }
        var next = Array("cursor=".utf8)
        uriSafe(cursor.utf8, escapingDelimiters: true, into: &next)
        items.append(next[...])
        items.sort { name($0).lexicographicallyPrecedes(name($1)) }
        var out: [UInt8] = [UInt8(ascii: "<")]
        out.reserveCapacity(q.count + path.utf8.count + next.count + 16)
        uriSafe(path.utf8, into: &out)
        out.append(UInt8(ascii: "?"))
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(amp) }
            uriSafe(item, into: &out)
        }
        out.append(contentsOf: #">; rel="next""#.utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` with every byte outside RFC 3986's unreserved and sub-delimiter
    /// characters, `:`, `@`, `/`, `?` and an existing `%` escape percent-encoded; with
    /// `escapingDelimiters`, `&`, `=`, `+` and `%` too (a value put in a query).
    static func uriSafe(_ text: some Sequence<UInt8>, escapingDelimiters: Bool = false, into out: inout [UInt8]) {
        for b in text {
            let kind = uriBytes[Int(b)]
            if kind == 1 || (kind == 2 && !escapingDelimiters) {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0xF)])
            }
        }
    }

    static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Per byte: 1 kept as it is in a URI, 2 a query delimiter (`&`, `=`, `+`, `%`), 0 escaped.
    static let uriBytes: [UInt8] = (0..<256).map { i in
        let b = UInt8(i)
        if (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || "-._~!$'()*,;:@/?".utf8.contains(b) { return 1 }
        return "&=+%".utf8.contains(b) ? 2 : 0
    }

    static let cursorKey = Array(#","nextCursor":""#.utf8)

    /// A page's `nextCursor`, the last member the engine writes of a page: read from the
    /// end of the result's text; anything unusual there is read whole.
    static func nextCursor(_ result: ArraySlice<UInt8>) -> String? {
        guard result.count > 2, result.last == UInt8(ascii: "}") else { return nil }
        let body = result.dropLast()
        if body.last != UInt8(ascii: "\"") { return nil }  // `"nextCursor":null`, or not a page
        let text = body.dropLast()
        guard let quote = text.lastIndex(of: UInt8(ascii: "\"")) else { return nil }
        // A quote after a backslash may be escaped, inside the string: read the whole text.
        if quote > text.startIndex, text[quote - 1] != UInt8(ascii: "\\") {
            guard text[..<(quote + 1)].suffix(cursorKey.count).elementsEqual(cursorKey) else { return nil }  // another member last
            let value = text[(quote + 1)...]
            if !value.contains(UInt8(ascii: "\\")) { return String(decoding: value, as: UTF8.self) }
        }
        return (try? JSONReader.parse(result))?["nextCursor"]?.stringValue
    }

    /// `POST /oauth/token` (RFC 6749 §4.4): form-encoded, the client authenticated by HTTP
    /// Basic or by `client_id` and `client_secret` in the body; errors as §5.2 says.
    func token(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let (clientId, secret) = Self.clientCredentials(request, form)
        var params: JSONObject = ["grantType": .string(form["grant_type"] ?? ""), "clientId": .string(clientId ?? ""),
                                  "clientSecret": .string(secret ?? "")]
        if let scope = form["scope"] { params["scope"] = .string(scope) }
        let noStore: HTTPFields = [.cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"]
        let answer: JSONValue
        do { answer = try await engine.call("oauth.token", .object(params)) } catch { return Self.unavailable }
        if let error = answer["error"] {
            let code = error["data"]?["oauthError"]?.stringValue ?? "invalid_request"
            var headers = noStore
            let status: HTTPResponse.Status = code == "invalid_client" ? .unauthorized : .badRequest
            if code == "invalid_client" { headers[.wwwAuthenticate] = "Basic realm=\"portico\"" }
            return Self.json(["error": .string(code), "error_description": error["data"]?["reason"] ?? error["message"] ?? .null],
                             status: status, headers: headers)
        }
        let r = answer["result"] ?? .null
        return Self.json(["access_token": r["accessToken"] ?? .null, "token_type": r["tokenType"] ?? .null,
                          "expires_in": r["expiresIn"] ?? .null, "scope": r["scope"] ?? .null], headers: noStore)
    }

    /// The client's credentials: HTTP Basic (RFC 6749 §2.3.1, each part form-encoded) or
    /// `client_id` and `client_secret` in the body.
    static func clientCredentials(_ request: Request, _ form: [String: String]) -> (String?, String?) {
        if let basic = request.headers[.authorization], basic.lowercased().hasPrefix("basic "),
           let data = Data(base64Encoded: String(Self.trimmingBlanks(basic.dropFirst(6)))),
           let pair = String(data: data, encoding: .utf8), let colon = pair.firstIndex(of: ":")
        {
            return (formDecode(pair[..<colon]), formDecode(pair[pair.index(after: colon)...]))
        }
        return (form["client_id"], form["client_secret"])
    }

    /// `POST /oauth/introspect` (RFC 7662): the caller, a resource server, authenticates as
    /// a client of its partner (with the `tokens:introspect` scope) and learns whether a
    /// token is active, with its scope, client, subject and times; a token of another
    /// partner is `{"active": false}` like an unknown one.
    func introspect(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        let (clientId, secret) = Self.clientCredentials(request, form)
        let noStore: HTTPFields = [.cacheControl: "no-store"]
        guard let clientId, let secret else {
            var headers = noStore
            headers[.wwwAuthenticate] = "Basic realm=\"portico\""
            return Self.json(["error": "invalid_client", "error_description": "client authentication is required"],
                             status: .unauthorized, headers: headers)
        }
        guard let token = form["token"] else {
            return Self.json(["error": "invalid_request", "error_description": "the token parameter is required"],
                             status: .badRequest, headers: noStore)
        }
        let answer: JSONValue
        do {
            answer = try await engine.call("oauth.introspect", ["clientId": .string(clientId), "clientSecret": .string(secret),
                                                                "token": .string(token)])
        } catch { return Self.unavailable }
        if let error = answer["error"] {
            let code = error["code"]?.integerValue ?? -32603
            var headers = noStore
            let (status, name): (HTTPResponse.Status, String) = switch code {
            case -32001: (.unauthorized, "invalid_client")
            case -32003: (.forbidden, error["data"]?["oauthError"]?.stringValue ?? "insufficient_scope")
            case -32029: (.tooManyRequests, "rate_limited")
            default: (.badRequest, "invalid_request")
            }
            if code == -32001 { headers[.wwwAuthenticate] = "Basic realm=\"portico\"" }
            if code == -32029 { return Self.problem(error) }
            return Self.json(["error": .string(name), "error_description": error["data"]?["reason"] ?? error["message"] ?? .null],
                             status: status, headers: headers)
        }
        return Self.json(answer["result"] ?? ["active": false], headers: noStore)
    }

    /// `POST /oauth/revoke` (RFC 7009): the token in the form; an unknown or already
    /// revoked token answers 200 as well.
    func revoke(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        guard let token = form["token"], !token.isEmpty else {
            return Self.json(["error": "invalid_request", "error_description": "the token parameter is required"], status: .badRequest)
        }
        let answer: JSONValue
        do { answer = try await engine.call("oauth.revoke", ["token": .string(token)]) } catch { return Self.unavailable }
        if let error = answer["error"] {
            return Self.json(["error": "invalid_request", "error_description": error["message"] ?? .null], status: .badRequest)
        }
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }

    /// The body's `application/x-www-form-urlencoded` fields (up to 64 KiB).
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 64 << 10)
        return form(String(decoding: buffer.readableBytesView, as: UTF8.self))
    }

    /// `application/x-www-form-urlencoded` fields; a repeated one keeps its first value.
    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = formDecode(kv[0])
            if out[key] == nil { out[key] = kv.count > 1 ? formDecode(kv[1]) : "" }
        }
        return out
    }

    static func formDecode(_ s: Substring) -> String {
        let plain = String(s).replacingOccurrences(of: "+", with: " ")
        return plain.removingPercentEncoding ?? plain
    }
}

/// A response to answer instead of the route's own.
struct ProblemError: HTTPResponseError {
    let response: Response
    init(_ response: Response) { self.response = response }
    var status: HTTPResponse.Status { response.status }
    func response(from request: Request, context: some RequestContext) throws -> Response { response }
}

extension Response {
    func withStatus(_ status: HTTPResponse.Status) -> Response {
        var r = self
        r.status = status
        return r
    }
}
