import Foundation
import JSONRPC
import Testing

/// `portico gateway` driven over real HTTP on a loopback port: the OAuth token endpoint
/// (Basic and body client authentication, RFC 6749 errors), the partner REST API (Bearer
/// challenges, problem details naming the field, Idempotency-Key, Link paging), a brand's
/// storefront by host, and SIGTERM ending both the gateway and its engine cleanly.
@Suite(.serialized) struct GatewayTests {
    /// A plain HTTP/1.1 exchange over a socket: the status, the headers (names lower case)
    /// and the body.
    struct HTTPAnswer {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: JSONValue? { try? JSONReader.parse(body) }
    }

    static func http(_ port: Int, _ method: String, _ path: String, host: String = "127.0.0.1", headers: [String: String] = [:],
                     body: String = "") -> HTTPAnswer?
    {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // Never wait for ever: a gateway that stops answering fails the test instead.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        text += "\r\n" + body
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let raw = String(decoding: Binary.readAll(fd), as: UTF8.self)
        guard let split = raw.range(of: "\r\n\r\n") else { return nil }
        let head = raw[..<split.lowerBound].split(separator: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ")[1]) else { return nil }
        var h: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            h[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var bodyText = String(raw[split.upperBound...])
        if h["transfer-encoding"] == "chunked" { bodyText = dechunk(bodyText) }
        return HTTPAnswer(status: status, headers: h, body: bodyText)
    }

    static func dechunk(_ s: String) -> String {
        var out = "", rest = Substring(s)
        while let nl = rest.range(of: "\r\n"), let size = Int(rest[..<nl.lowerBound], radix: 16), size > 0 {
            let start = nl.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size + 2), as: UTF8.self))
        }
        return out
    }

    /// A child process of `parent`, from /proc (its stat's fourth field is the parent's id).
    static func childProcess(of parent: Int32) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for name in entries {
            guard let pid = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { return pid }
        }
        return nil
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    @Test func theGatewayServesTheAPIAndTheStorefronts() throws {
        let dir = try Binary.temporaryDirectory()
        let db = dir.appendingPathComponent("g.sqlite").path
        // Set-up through the engine itself: a partner with a brand and an OAuth client.
        let setup = [
            #"{"jsonrpc":"2.0","id":1,"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"Nimbus","subdomain":"nimbus","region":"eu","owner":{"email":"o@nimbus.example","name":"O"}}}"#,
        ]
        let created = try Binary.run(["serve", "--db", db], input: Data((setup.joined(separator: "\n") + "\n").utf8))
        let partner = try #require(JSONReader.parse(created.out.split(separator: "\n")[0].description)["result"]?["id"]?.stringValue)
        let more = [
            ##"{"jsonrpc":"2.0","id":2,"method":"brand.update","params":{"actor":{"platform":"ops"},"partnerId":"\##(partner)","displayName":"Nimbus <GPU> Cloud","theme":{"primary":"#1e3a8a","background":"#0b1020","text":"#f8fafc"}}}"##,
            #"{"jsonrpc":"2.0","id":3,"method":"oauth.client.create","params":{"actor":{"platform":"ops"},"partnerId":"\#(partner)","name":"CRM","scopes":["customers:read","customers:write","subscriptions:read","subscriptions:write","usage:read","usage:write","sales:read","commissions:read"]}}"#,
        ]
        let made = try Binary.run(["serve", "--db", db], input: Data((more.joined(separator: "\n") + "\n").utf8))
        let client = try JSONReader.parse(made.out.split(separator: "\n")[1].description)["result"]
        let clientId = try #require(client?["client"]?["id"]?.stringValue), secret = try #require(client?["clientSecret"]?.stringValue)
        // A resource server's client (it introspects tokens) and a custom domain taken through
        // its whole life: the DNS records asked for, verified, its certificate issued.
        let domain = [
            #"{"jsonrpc":"2.0","id":4,"method":"oauth.client.create","params":{"actor":{"platform":"ops"},"partnerId":"\#(partner)","name":"Resource server","scopes":["tokens:introspect"]}}"#,
            #"{"jsonrpc":"2.0","id":5,"method":"brand.domain.add","params":{"actor":{"platform":"ops"},"partnerId":"\#(partner)","hostname":"Shop.Nimbus-Cloud.example"}}"#,
        ]
        let added = try Binary.run(["serve", "--db", db], input: Data((domain.joined(separator: "\n") + "\n").utf8)).out.split(separator: "\n")
        let resource = try JSONReader.parse(added[0].description)["result"]
        let resourceId = try #require(resource?["client"]?["id"]?.stringValue), resourceSecret = try #require(resource?["clientSecret"]?.stringValue)
        let records = try #require(JSONReader.parse(added[1].description)["result"]?["dnsRecords"]?.arrayValue)
        #expect(records.first?["type"] == "CNAME" && records.first?["value"] == "nimbus.portal.example")
        let txt = try #require(records.first { $0["type"] == "TXT" }?["value"]?.stringValue)
        let life = [
            #"{"jsonrpc":"2.0","id":6,"method":"brand.domain.verify","params":{"actor":{"platform":"ops"},"partnerId":"\#(partner)","hostname":"shop.nimbus-cloud.example","txtRecords":["v=spf1 -all","\#(txt)"]}}"#,
            #"{"jsonrpc":"2.0","id":7,"method":"brand.domain.due","params":{"actor":{"platform":"ops"}}}"#,
            #"{"jsonrpc":"2.0","id":8,"method":"brand.domain.certificate","params":{"actor":{"platform":"ops"},"hostname":"shop.nimbus-cloud.example","status":"issued","notAfter":"2099-01-01T00:00:00Z"}}"#,
        ]
        let lived = try Binary.run(["serve", "--db", db], input: Data((life.joined(separator: "\n") + "\n").utf8)).out.split(separator: "\n")
        #expect(try JSONReader.parse(lived[2].description)["result"]?["status"] == "active", "\(lived)")

        let port = Self.freePort()
        let gateway = Process()
        gateway.executableURL = Binary.url
        gateway.arguments = ["gateway", "--listen", "127.0.0.1:\(port)", "--db", db, "--log-level", "info"]
        let stderr = Pipe()
        gateway.standardError = stderr
        gateway.standardOutput = FileHandle.nullDevice
        try gateway.run()
        defer { if gateway.isRunning { gateway.terminate() } }
        // Its log (a line a request) is read as it comes: a full pipe would stop the gateway.
        final class Log: @unchecked Sendable { var data = Data(); let done = DispatchSemaphore(value: 0) }
        let logged = Log()
        Thread {
            logged.data = Binary.readAll(stderr.fileHandleForReading.fileDescriptor)
            logged.done.signal()
        }.start()
        var health: HTTPAnswer? = nil
        for _ in 0..<200 where health?.status != 200 {
            health = Self.http(port, "GET", "/healthz")
            if health?.status != 200 { usleep(50_000) }
        }
        #expect(health?.status == 200 && health?.json?["status"] == "ok")

        // OAuth: HTTP Basic client authentication; a wrong secret is 401 invalid_client.
        let basic = Data("\(clientId):\(secret)".utf8).base64EncodedString()
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        let token = Self.http(port, "POST", "/oauth/token", headers: form.merging(["Authorization": "Basic \(basic)"]) { a, _ in a },
                              body: "grant_type=client_credentials")
        #expect(token?.status == 200 && token?.headers["cache-control"] == "no-store" && token?.json?["token_type"] == "Bearer")
        let access = try #require(token?.json?["access_token"]?.stringValue)
        let wrong = Self.http(port, "POST", "/oauth/token", headers: form,
                              body: "grant_type=client_credentials&client_id=\(clientId)&client_secret=portico_cs_nope")
        #expect(wrong?.status == 401 && wrong?.json?["error"] == "invalid_client" && wrong?.headers["www-authenticate"]?.hasPrefix("Basic") == true)
        let grant = Self.http(port, "POST", "/oauth/token", headers: form, body: "grant_type=password&client_id=\(clientId)&client_secret=\(secret)")
        #expect(grant?.status == 400 && grant?.json?["error"] == "unsupported_grant_type")

        // Introspection (RFC 7662) by a resource server authenticated as its client; the CRM
        // client has no tokens:introspect scope; no credentials is 401.
        let rs = "Basic " + Data("\(resourceId):\(resourceSecret)".utf8).base64EncodedString()
        let active = Self.http(port, "POST", "/oauth/introspect", headers: form.merging(["Authorization": rs]) { a, _ in a }, body: "token=\(access)")
        #expect(active?.status == 200 && active?.json?["active"] == true && active?.json?["client_id"]?.stringValue == clientId
            && active?.json?["sub"]?.stringValue == partner && active?.headers["cache-control"] == "no-store")
        let unknown = Self.http(port, "POST", "/oauth/introspect", headers: form.merging(["Authorization": rs]) { a, _ in a },
                                body: "token=portico_at_nope&token_type_hint=access_token")
        #expect(unknown?.status == 200 && unknown?.json == ["active": false])
        let unscoped = Self.http(port, "POST", "/oauth/introspect", headers: form, body: "token=\(access)&client_id=\(clientId)&client_secret=\(secret)")
        #expect(unscoped?.status == 403 && unscoped?.json?["error"] == "insufficient_scope")
        let anonymous = Self.http(port, "POST", "/oauth/introspect", headers: form, body: "token=\(access)")
        #expect(anonymous?.status == 401 && anonymous?.headers["www-authenticate"]?.hasPrefix("Basic") == true)
        let noToken = Self.http(port, "POST", "/oauth/introspect", headers: form.merging(["Authorization": rs]) { a, _ in a }, body: "")
        #expect(noToken?.status == 400 && noToken?.json?["error"] == "invalid_request")

        // The REST API: Bearer challenges, problems naming the field, paging by Link.
        let none = Self.http(port, "GET", "/v1/customers")
        #expect(none?.status == 401 && none?.headers["www-authenticate"]?.hasPrefix("Bearer") == true
            && none?.headers["content-type"] == "application/problem+json")
        let bad = Self.http(port, "GET", "/v1/customers", headers: ["Authorization": "Bearer portico_at_nope"])
        #expect(bad?.status == 401 && bad?.headers["www-authenticate"]?.contains("invalid_token") == true)
        let auth = ["Authorization": "Bearer \(access)", "Content-Type": "application/json"]
        var ids: [String] = []
        for k in 0..<3 {
            let c = Self.http(port, "POST", "/v1/customers", headers: auth.merging(["Idempotency-Key": "c\(k)"]) { a, _ in a },
                              body: #"{"name":"C\#(k)","email":"c\#(k)@example.com","country":"DE"}"#)
            #expect(c?.status == 201)
            ids.append(c?.json?["id"]?.stringValue ?? "")
        }
        let again = Self.http(port, "POST", "/v1/customers", headers: auth.merging(["Idempotency-Key": "c0"]) { a, _ in a },
                              body: #"{"name":"C0","email":"c0@example.com","country":"DE"}"#)
        #expect(again?.json?["id"]?.stringValue == ids[0])
        let invalid = Self.http(port, "POST", "/v1/customers", headers: auth, body: #"{"name":"X","email":"not-an-email","country":"DE"}"#)
        #expect(invalid?.status == 400 && invalid?.json?["field"] == "email" && invalid?.json?["code"] == -32602)
        let one = Self.http(port, "GET", "/v1/customers/\(ids[1])", headers: auth)
        #expect(one?.status == 200 && one?.json?["email"] == "c1@example.com")
        let missing = Self.http(port, "GET", "/v1/customers/cus_nope", headers: auth)
        #expect(missing?.status == 404)
        let page = Self.http(port, "GET", "/v1/customers?limit=2", headers: auth)
        #expect(page?.status == 200 && page?.json?["items"]?.arrayValue?.count == 2 && page?.headers["link"]?.contains("rel=\"next\"") == true)

        // Subscriptions, usage, sales and commissions: each route one api.* method.
        let sub = Self.http(port, "POST", "/v1/subscriptions", headers: auth, body: #"{"customerId":"\#(ids[0])","plan":"pro","interval":"month"}"#)
        #expect(sub?.status == 201)
        let subId = sub?.json?["subscription"]?["id"]?.stringValue ?? ""
        #expect(Self.http(port, "GET", "/v1/subscriptions/\(subId)", headers: auth)?.json?["id"]?.stringValue == subId)
        let cancelled = Self.http(port, "POST", "/v1/subscriptions/\(subId)/cancel", headers: auth, body: #"{"atPeriodEnd":true}"#)
        #expect(cancelled?.status == 200 && cancelled?.json?["cancelAtPeriodEnd"] == true)
        #expect(Self.http(port, "GET", "/v1/subscriptions?customerId=\(ids[0])", headers: auth)?.json?["items"]?.arrayValue?.count == 1)
        let usage = Self.http(port, "POST", "/v1/usage", headers: auth, body: #"{"events":[{"eventId":"e1","customerId":"\#(ids[0])","meter":"llm-tokens","quantity":"1500","occurredAt":"2026-01-01T00:00:00Z"}]}"#)
        #expect(usage?.status == 200 && usage?.json?["accepted"] == 1)
        let totals = Self.http(port, "GET", "/v1/usage?groupBy=meter&from=2026-01-01&to=2026-01-31", headers: auth)
        #expect(totals?.status == 200 && totals?.json?["items"]?.arrayValue?.first?["quantity"] == "1500")
        #expect(Self.http(port, "GET", "/v1/sales", headers: auth)?.json?["items"]?.arrayValue?.count == 1)
        #expect(Self.http(port, "GET", "/v1/commissions?status=pending", headers: auth)?.status == 200)
        let badQuery = Self.http(port, "GET", "/v1/usage?groupBy=week", headers: auth)
        #expect(badQuery?.status == 400 && badQuery?.json?["field"] == "groupBy")

        // Over the tier's limit (600 a minute): 429 with Retry-After and the RateLimit headers.
        var limited: HTTPAnswer? = nil
        for _ in 0..<800 {
            let a = Self.http(port, "GET", "/v1/customers?limit=1", headers: auth)
            if a?.status == 429 { limited = a; break }
        }
        #expect(limited?.headers["retry-after"] != nil && limited?.headers["ratelimit-policy"] == "600;w=60"
            && limited?.headers["ratelimit"]?.hasPrefix("limit=600, remaining=0") == true && limited?.json?["code"] == -32029)

        // A revoked token is refused at once.
        #expect(Self.http(port, "POST", "/oauth/revoke", headers: form, body: "token=\(access)")?.status == 200)
        let revoked = Self.http(port, "GET", "/v1/sales", headers: auth)
        #expect(revoked?.status == 401 && revoked?.headers["www-authenticate"]?.contains("invalid_token") == true)

        // Storefronts by host: the brand's page, escaped; an unknown host is a 404 page.
        let store = Self.http(port, "GET", "/", host: "nimbus.portal.example")
        #expect(store?.status == 200 && store?.body.contains("Nimbus &lt;GPU&gt; Cloud") == true && store?.body.contains("--primary: #1e3a8a") == true)
        #expect(store?.body.contains("<GPU>") == false)
        #expect(Self.http(port, "GET", "/", host: "nobody.portal.example")?.status == 404)
        // The partner's region (eu) by default; the visitor's by Accept-Language (a country
        // no region sells in skipped); ?region= over both.
        #expect(store?.body.contains("Prices for region eu,") == true && store?.body.contains(" EUR") == true)
        let visitor = Self.http(port, "GET", "/", host: "nimbus.portal.example", headers: ["Accept-Language": "fr-CA, ja-JP;q=0.8, en;q=0.5"])
        #expect(visitor?.body.contains("Prices for region jp,") == true && visitor?.body.contains(" JPY") == true)
        let asked = Self.http(port, "GET", "/?region=gulf", host: "nimbus.portal.example", headers: ["Accept-Language": "ja-JP"])
        #expect(asked?.body.contains("Prices for region gulf,") == true && asked?.body.range(of: #"\d+\.\d{3} BHD"#, options: .regularExpression) != nil)
        // The custom domain, active, is the same brand's storefront (the Host's port and case ignored).
        let custom = Self.http(port, "GET", "/", host: "SHOP.nimbus-cloud.example:\(port)")
        #expect(custom?.status == 200 && custom?.body.contains("Nimbus &lt;GPU&gt; Cloud") == true)

        // The engine killed: what is asked meanwhile is 503, then a new engine answers, the
        // database as it was.
        let child = try #require(Self.childProcess(of: gateway.processIdentifier))
        kill(child, SIGKILL)
        var sawUnavailable = false, back: HTTPAnswer? = nil
        for _ in 0..<2000 {
            let a = Self.http(port, "GET", "/healthz")
            if a?.status == 503 { sawUnavailable = true }
            if a?.status == 200 && sawUnavailable { back = a; break }
            usleep(5_000)
        }
        #expect(sawUnavailable && back?.status == 200)
        let after = Self.http(port, "GET", "/v1/customers/\(ids[1])", headers: ["Authorization": "Bearer \(try #require(Self.http(port, "POST", "/oauth/token", headers: form.merging(["Authorization": "Basic \(basic)"]) { a, _ in a }, body: "grant_type=client_credentials")?.json?["access_token"]?.stringValue))"])
        #expect(after?.status == 200 && after?.json?["email"] == "c1@example.com")

        // SIGTERM: the gateway drains, its engine finishes, both exit cleanly.
        kill(gateway.processIdentifier, SIGTERM)
        gateway.waitUntilExit()
        #expect(gateway.terminationStatus == 0)
        logged.done.wait()
        let log = String(decoding: logged.data, as: UTF8.self)
        #expect(log.contains("path=/v1/customers") || log.contains("/v1/customers"))
        #expect(!log.contains(secret) && !log.contains(access))
    }
}
