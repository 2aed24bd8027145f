import Foundation
import HTTPTypes
import Hummingbird
import JSONRPC
import Mustache

/// `GET /` on a brand's host: the brand's page, rendered on the server (no script): its
/// logo and name, its theme as CSS custom properties, the plans and prices of the
/// visitor's region (`?region=`, else its `Accept-Language` country's, else the brand's),
/// its support links. An unknown host is a plain 404 page; a suspended partner's, 410.
/// Mustache escapes every value.
struct Storefront: Sendable {
    let engine: EngineChild
    let cache: PageCache

    static let page = try! MustacheTemplate(string: """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{brand.displayName}}</title>
        {{#brand.faviconUrl}}<link rel="icon" href="{{brand.faviconUrl}}">{{/brand.faviconUrl}}
        <style>
        :root { --primary: {{brand.theme.primary}}; --accent: {{brand.theme.accent}}; --background: {{brand.theme.background}};
                --text: {{brand.theme.text}}; --font: "{{brand.theme.font}}", system-ui, sans-serif; }
        body { margin: 0; background: var(--background); color: var(--text); font-family: var(--font); }
        header { background: var(--primary); color: var(--text); padding: 1.5rem 2rem; display: flex; align-items: center; gap: 1rem; }
        header img { height: 2.5rem; }
        main { padding: 2rem; max-width: 60rem; margin: auto; }
        .plans { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: 1rem; }
        .plan { border: 2px solid var(--primary); border-radius: .5rem; padding: 1rem; }
        .price { font-size: 1.75rem; font-weight: 700; }
        a { color: var(--accent); }
        </style></head>
        <body>
        <header>{{#brand.logoUrl}}<img src="{{brand.logoUrl}}" alt="">{{/brand.logoUrl}}<h1>{{brand.displayName}}</h1></header>
        <main>
        <h2>Plans</h2>
        <p>Prices for region {{regionName}}, in {{currency}}, {{taxNote}}.</p>
        <div class="plans">
        {{#plans}}<section class="plan"><h3>{{name}}</h3><p class="price">{{price}}</p></section>
        {{/plans}}
        </div>
        {{#hasSupport}}<p>Questions? {{#brand.supportUrl}}<a href="{{brand.supportUrl}}">Help centre</a> {{/brand.supportUrl}}{{#brand.supportEmail}}<a href="mailto:{{brand.supportEmail}}">{{brand.supportEmail}}</a>{{/brand.supportEmail}}</p>{{/hasSupport}}
        </main></body></html>
        """)

    static func plain(_ title: String, status: HTTPResponse.Status) -> PageCache.Page {
        PageCache.Page(status: status, html: "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title></head><body><h1>\(title)</h1></body></html>")
    }

    /// Minor units as the currency writes them: its ISO 4217 exponent's decimals (the
    /// pricing sheet says which: JPY none, BHD three).
    static func money(_ amount: Int64, _ currency: String, exponent: Int) -> String {
        let sign = amount < 0 ? "-" : ""
        guard exponent > 0 else { return "\(sign)\(amount.magnitude) \(currency)" }
        var scale: UInt64 = 1
        for _ in 0..<exponent { scale *= 10 }
        let fraction = String(amount.magnitude % scale)
        return "\(sign)\(amount.magnitude / scale).\(String(repeating: "0", count: exponent - fraction.count))\(fraction) \(currency)"
    }

    /// The countries of an `Accept-Language` header's language tags (`de-AT` -> `AT`), most
    /// preferred first (by `q`, then order); tags without a region, or refused (`q=0`), left out.
    static func countries(acceptLanguage header: String) -> [String] {
        var tags: [(country: String, q: Double, order: Int)] = []
        for (order, item) in header.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = parts.first else { continue }
            var q = 1.0
            for p in parts.dropFirst() where p.lowercased().hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 0 }
            guard q > 0 else { continue }
            // BCP 47: language[-script][-region]; the region is the first two-letter subtag after the language.
            let subtags = tag.split(separator: "-").dropFirst()
            if let region = subtags.first(where: { $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isLetter } }) {
                tags.append((region.uppercased(), q, order))
            }
        }
        return tags.sorted { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }.map(\.country)
    }

    /// A JSONValue as the plain values Mustache renders (dictionaries, arrays, strings).
    static func mustacheValue(_ v: JSONValue) -> Any {
        switch v {
        case .object(let o): return Dictionary(o.members.map { ($0.key, mustacheValue($0.value)) }, uniquingKeysWith: { a, _ in a })
        case .array(let a): return a.map(mustacheValue)
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .bool(let b): return b
        case .null: return false
        default: return JSONWriter.string(v)
        }
    }

    func page(_ request: Request) async throws -> Response {
        // The same host, query and languages within the cache's time: the same page.
        let key = PageCache.Key(host: request.head.authority ?? "", query: request.uri.query ?? "",
                                languages: request.headers[.acceptLanguage] ?? "")
        if let kept = cache.lookup(key) { return kept.response }
        let rendered = try await render(request)
        // Only what a visitor's page could be is kept: no key a caller could make large.
        let small = key.host.utf8.count + key.query.utf8.count + key.languages.utf8.count <= 512
        if small && (rendered.status == .ok || rendered.status == .notFound || rendered.status == .gone) {
            cache.store(key, rendered)
        }
        return rendered.response
    }

    func render(_ request: Request) async throws -> PageCache.Page {
        let host = request.head.authority ?? ""
        let resolved: JSONValue
        do { resolved = try await engine.call("brand.resolve", ["host": .string(host)]) } catch { return .unavailable }
        if let error = resolved["error"] {
            switch error["code"]?.integerValue {
            case -32010: return Self.plain("This storefront is closed", status: .gone)
            default: return Self.plain("No storefront here", status: .notFound)
            }
        }
        let r = resolved["result"] ?? .null
        let partner = r["partner"]?["id"] ?? .null
        // The region asked for (`?region=`), else the visitor's (its languages' countries), else
        // the brand's own: the first the pricing rules know.
        var asks: [JSONObject] = []
        if let region = request.uri.queryParameters.get("region") { asks.append(["region": .string(String(region))]) }
        if let languages = request.headers[.acceptLanguage] {
            asks += Self.countries(acceptLanguage: languages).prefix(3).map { ["country": .string($0)] }
        }
        asks.append(["region": r["region"] ?? ""])
        var sheet: JSONValue = .null
        for var ask in asks {
            ask["partnerId"] = partner
            do { sheet = try await engine.call("pricing.sheet", .object(ask)) } catch { return .unavailable }
            if sheet["result"] != nil { break }
        }
        let s = sheet["result"] ?? .null
        let exponent = Int(s["exponent"]?.integerValue ?? 2)
        let plans: [[String: Any]] = (s["plans"]?.arrayValue ?? []).map { p in
            let price = p["price"]
            return ["name": p["plan"]?.stringValue ?? "",
                    "price": Self.money(price?["amount"]?.integerValue ?? 0, price?["currency"]?.stringValue ?? "", exponent: exponent)]
        }
        let brand = Self.mustacheValue(r["brand"] ?? .null)
        let b = r["brand"]
        let context: [String: Any] = ["brand": brand, "plans": plans, "regionName": s["region"]?.stringValue ?? "",
                                      "currency": s["currency"]?.stringValue ?? "",
                                      "taxNote": s["taxIncluded"] == .bool(true) ? "tax included" : "plus tax",
                                      "hasSupport": b?["supportUrl"]?.stringValue != nil || b?["supportEmail"]?.stringValue != nil]
        return PageCache.Page(status: .ok, html: Self.page.render(context))
    }
}
