import Foundation
import HTTPTypes
import Hummingbird
import JSONRPC
import Mustache

/// `GET /` on a brand's host: the brand's page, rendered on the server (no script): its
/// logo and name, its theme as CSS custom properties, the plans and prices of the
/// visitor's region (`?region=`, else the partner's), its support links. An unknown host is
/// a plain 404 page; a suspended partner's, 410. Mustache escapes every value.
struct Storefront: Sendable {
    let engine: EngineChild

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
        <h2>Plans in {{regionName}}</h2>
        <div class="plans">
        {{#plans}}<section class="plan"><h3>{{name}}</h3><p class="price">{{price}}</p><p>{{taxNote}}</p></section>
        {{/plans}}
        </div>
        {{#hasSupport}}<p>Questions? {{#brand.supportUrl}}<a href="{{brand.supportUrl}}">Help centre</a> {{/brand.supportUrl}}{{#brand.supportEmail}}<a href="mailto:{{brand.supportEmail}}">{{brand.supportEmail}}</a>{{/brand.supportEmail}}</p>{{/hasSupport}}
        </main></body></html>
        """)

    static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func plain(_ title: String, status: HTTPResponse.Status) -> Response {
        html("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title></head><body><h1>\(title)</h1></body></html>",
             status: status)
    }

    /// ISO 4217 currencies whose minor unit is not a hundredth.
    static let exponents: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0,
        "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]

    /// Minor units as the currency writes them (two decimals, or its ISO 4217 exponent).
    static func money(_ amount: Int64, _ currency: String) -> String {
        let exponent = exponents[currency] ?? 2
        let sign = amount < 0 ? "-" : ""
        guard exponent > 0 else { return "\(sign)\(amount.magnitude) \(currency)" }
        var scale: UInt64 = 1
        for _ in 0..<exponent { scale *= 10 }
        let fraction = String(amount.magnitude % scale)
        return "\(sign)\(amount.magnitude / scale).\(String(repeating: "0", count: exponent - fraction.count))\(fraction) \(currency)"
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
        let host = request.head.authority ?? ""
        let resolved: JSONValue
        do { resolved = try await engine.call("brand.resolve", ["host": .string(host)]) } catch { return Routes.unavailable }
        if let error = resolved["error"] {
            switch error["code"]?.integerValue {
            case -32010: return Self.plain("This storefront is closed", status: .gone)
            default: return Self.plain("No storefront here", status: .notFound)
            }
        }
        let r = resolved["result"] ?? .null
        let region = request.uri.queryParameters.get("region")?.lowercased() ?? r["region"]?.stringValue ?? ""
        var sheet = try await engine.call("pricing.sheet", ["region": .string(region), "partnerId": r["partner"]?["id"] ?? .null])
        if sheet["error"] != nil, let own = r["region"]?.stringValue {
            // An unknown ?region= falls back to the partner's own.
            sheet = try await engine.call("pricing.sheet", ["region": .string(own), "partnerId": r["partner"]?["id"] ?? .null])
        }
        let s = sheet["result"] ?? .null
        let plans: [[String: Any]] = (s["plans"]?.arrayValue ?? []).map { p in
            let price = p["price"]
            return ["name": p["plan"]?.stringValue ?? "",
                    "price": Self.money(price?["amount"]?.integerValue ?? 0, price?["currency"]?.stringValue ?? ""),
                    "taxNote": p["taxIncluded"] == .bool(true) ? "tax included" : "plus tax"]
        }
        let brand = Self.mustacheValue(r["brand"] ?? .null)
        let b = r["brand"]
        let context: [String: Any] = ["brand": brand, "plans": plans, "regionName": s["region"]?.stringValue ?? region,
                                      "hasSupport": b?["supportUrl"]?.stringValue != nil || b?["supportEmail"]?.stringValue != nil]
        return Self.html(Self.page.render(context), status: .ok)
    }
}
