import Foundation
import JSONRPC
import PorticoCore
import PorticoRules
import PorticoStore
import PropertyBased
import Testing
@testable import PorticoServer

/// GCRA against a reference model, and the limit through the engine.
@Suite struct RateLimitTests {
    /// The reference: a token bucket of `requests` tokens refilled continuously at
    /// `requests` per `perSeconds`, in exact rational arithmetic (tokens scaled by
    /// perSeconds * 1e6 so every refill is an integer). A request is admitted when a whole
    /// token is there. GCRA with the whole allowance as its burst is this bucket.
    struct Bucket {
        let requests: Int64, perMicros: Int64
        var level: Int64  // tokens * perMicros
        var last: Int64
        init(_ limit: APIPolicy.RateLimit) {
            requests = Int64(limit.requests); perMicros = Int64(limit.perSeconds) * 1_000_000
            level = requests * perMicros; last = Int64.min
        }
        mutating func admit(at now: Int64) -> Bool {
            if last != Int64.min { level = min(requests * perMicros, level + (now - last) * requests) }
            last = now
            guard level >= perMicros else { return false }
            level -= perMicros
            return true
        }
    }

    @Test func gcraAdmitsExactlyWhatATokenBucketDoes() async throws {
        // Limits whose interval is a whole number of microseconds (GCRA keeps integer time).
        let limits: [APIPolicy.RateLimit] = [.init(requests: 5, perSeconds: 1), .init(requests: 600, perSeconds: 60),
                                             .init(requests: 2, perSeconds: 10), .init(requests: 1, perSeconds: 1)]
        await propertyCheck(count: 200, input: Gen.int(in: 0..<4), Gen.int64(in: 0...400_000).array(of: 1...120)) { which, gaps in
            let limit = limits[which]
            var bucket = Bucket(limit)
            var tat: Int64? = nil
            var now: Int64 = 1_000_000_000
            for gap in gaps {
                now += gap
                let (d, next) = PartnerRateLimiter.decide(tat: tat, now: now, limit: limit)
                if d.admitted { tat = next }
                #expect(d.admitted == bucket.admit(at: now), "\(limit) at \(now)")
                if !d.admitted { #expect(d.retryAfterMicros > 0) }
            }
        }
    }

    @Test func everyLimitTheRulesCanHoldIsDecidedWithoutTrapping() {
        // The finest the rules accept (a microsecond apart) and the coarsest; a finer one
        // built by hand is held to a microsecond rather than dividing by zero.
        for limit in [APIPolicy.RateLimit(requests: 1_000_000, perSeconds: 1), .init(requests: 1_000_000_000, perSeconds: 86_400),
                      .init(requests: 1, perSeconds: 86_400), .init(requests: 1_000_000_000, perSeconds: 1)] {
            var tat: Int64? = nil
            for now in [Int64(0), 0, 0, 1, 1_000_000] {
                let (d, next) = PartnerRateLimiter.decide(tat: tat, now: now, limit: limit)
                if d.admitted { tat = next }
                #expect(d.remaining >= 0 && next >= now)
            }
        }
    }

    @Test func aPartnersClientsAreLimitedTogetherAndRecover() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // One instant for every request: nothing refills between them.
        let engine = try Engine(options: .init(databasePath: dir.appendingPathComponent("r.sqlite").path, openStore: SQLiteStore.opener,
                                               clock: ClockSpec.parse("fixed:2026-01-01T00:00:00Z")!, seed: 4,
                                               rulesDirectory: RulesIntegrationTests.rulesDirectory, rulesDirectoryRequired: true))
        let t = TestEngine(engine: engine, dir: dir)
        let partner = try t.call("partner.create", createParams("acme"))["result"]!["id"]!
        var tokens: [String] = []
        for _ in 0..<2 {
            let c = try t.call("oauth.client.create", ["actor": platform, "partnerId": partner, "name": "C", "scopes": ["customers:read"]])["result"]!
            tokens.append(try t.call("oauth.token", ["grantType": "client_credentials", "clientId": c["client"]!["id"]!,
                                                     "clientSecret": c["clientSecret"]!])["result"]!["accessToken"]!.stringValue!)
        }
        // The default tier: 600 a minute, shared by the partner's clients.
        let lines = (0..<601).map { request("api.customer.list", ["accessToken": .string(tokens[$0 % 2]), "limit": 1], id: $0) }
        let answers = try t.send(lines)
        #expect(answers.prefix(600).allSatisfy { $0["result"] != nil })
        let refused = answers[600]
        #expect(refused["error"]?["code"] == -32029)
        #expect(refused["error"]?["data"]?["retryAfterMs"] == 100 && refused["error"]?["data"]?["limit"] == 600)
        #expect(refused["error"]?["data"]?["policy"] == "600;w=60" && refused["error"]?["data"]?["remaining"] == 0)
        // The platform is not limited.
        #expect(try t.call("customer.list", ["actor": platform, "partnerId": partner])["result"] != nil)
        // Moved to another tier, the partner's tokens are held to its limit at once (a
        // token keeps its bucket and limit only while its partner and the rules are the same).
        #expect(try t.call("partner.update", ["actor": platform, "partnerId": partner, "tier": "gold"])["result"] != nil)
        let gold = try t.send([request("api.customer.list", ["accessToken": .string(tokens[0]), "limit": 1], id: 1)])[0]
        #expect(gold["error"]?["data"]?["limit"] == 3000 && gold["error"]?["data"]?["policy"] == "3000;w=60")
    }
}

/// Token and secret lifetimes against the clock: an hour after issue a token is dead, and
/// a rotated secret's grace ends when it says.
@Suite struct OAuthLifetimeTests {
    func engine(_ clock: String) throws -> TestEngine {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let e = try Engine(options: .init(databasePath: dir.appendingPathComponent("o.sqlite").path, openStore: SQLiteStore.opener,
                                          clock: ClockSpec.parse(clock)!, seed: 6, rulesDirectory: RulesIntegrationTests.rulesDirectory,
                                          rulesDirectoryRequired: true))
        return TestEngine(engine: e, dir: dir)
    }

    @Test func aTokenDiesWhenItsLifetimeEnds() throws {
        // Each request is 30 minutes after the one before.
        let t = try engine("step:2026-01-01T00:00:00Z,30m")
        let partner = try t.call("partner.create", createParams("acme"))["result"]!["id"]!
        let c = try t.call("oauth.client.create", ["actor": platform, "partnerId": partner, "name": "C", "scopes": ["customers:read"]])["result"]!
        let token = try t.call("oauth.token", ["grantType": "client_credentials", "clientId": c["client"]!["id"]!,
                                               "clientSecret": c["clientSecret"]!])["result"]!["accessToken"]!
        #expect(try t.call("api.customer.list", ["accessToken": token])["result"] != nil)  // 30 minutes old
        let late = try t.call("api.customer.list", ["accessToken": token])                   // an hour old: expired
        #expect(late["error"]?["code"] == -32001 && late["error"]?["data"]?["oauthError"] == "invalid_token")
        #expect(try t.call("oauth.introspect", ["actor": platform, "token": token])["result"] == ["active": false])
    }

    @Test func aRotatedSecretWorksUntilItsGraceEnds() throws {
        let t = try engine("step:2026-01-01T00:00:00Z,1m")
        let partner = try t.call("partner.create", createParams("acme"))["result"]!["id"]!
        let c = try t.call("oauth.client.create", ["actor": platform, "partnerId": partner, "name": "C", "scopes": ["customers:read"]])["result"]!
        let id = c["client"]!["id"]!
        let rotated = try t.call("oauth.client.rotateSecret", ["actor": platform, "clientId": id, "graceSeconds": 150])["result"]!
        let grant: (JSONValue) throws -> JSONValue = { secret in
            try t.call("oauth.token", ["grantType": "client_credentials", "clientId": id, "clientSecret": secret])
        }
        #expect(try grant(c["clientSecret"]!)["result"] != nil)        // 1 minute into the grace
        #expect(try grant(c["clientSecret"]!)["result"] != nil)        // 2 minutes
        #expect(try grant(c["clientSecret"]!)["error"]?["data"]?["oauthError"] == "invalid_client")  // 3 minutes: over
        #expect(try grant(rotated["clientSecret"]!)["result"] != nil)
    }
}

/// RFC 7662 §2.1: a resource server introspects with its own client credentials. It sees
/// its partner's tokens only, needs the `tokens:introspect` scope, and a wrong secret is
/// the same `invalid_client` as at the token endpoint.
@Suite struct IntrospectionByClientTests {
    @Test func aClientIntrospectsItsOwnPartnersTokensOnly() throws {
        let t = try OAuthLifetimeTests().engine("step:2026-01-01T00:00:00Z,1s")
        func client(_ partner: JSONValue, _ scopes: [JSONValue]) throws -> (JSONValue, JSONValue) {
            let c = try t.call("oauth.client.create", ["actor": platform, "partnerId": partner, "name": "C", "scopes": .array(scopes)])["result"]!
            return (c["client"]!["id"]!, c["clientSecret"]!)
        }
        func token(_ c: (JSONValue, JSONValue)) throws -> JSONValue {
            try t.call("oauth.token", ["grantType": "client_credentials", "clientId": c.0, "clientSecret": c.1])["result"]!["accessToken"]!
        }
        let acme = try t.call("partner.create", createParams("acme"))["result"]!["id"]!
        let beta = try t.call("partner.create", createParams("beta"))["result"]!["id"]!
        let resource = try client(acme, ["tokens:introspect"])
        let worker = try client(acme, ["customers:read", "sales:read"])
        let other = try client(beta, ["customers:read"])
        let own = try token(worker), foreign = try token(other)
        func introspect(_ c: (JSONValue, JSONValue), _ token: JSONValue) throws -> JSONValue {
            try t.call("oauth.introspect", ["clientId": c.0, "clientSecret": c.1, "token": token])
        }
        let seen = try introspect(resource, own)["result"]!
        #expect(seen["active"] == true && seen["client_id"] == worker.0 && seen["sub"] == acme && seen["scope"] == "customers:read sales:read")
        #expect(try introspect(resource, foreign)["result"] == ["active": false])
        #expect(try introspect(resource, "portico_at_unknown")["result"] == ["active": false])
        // Without the scope: refused whatever the token, so a refusal tells nothing about it.
        for tok in [own, foreign, "portico_at_unknown" as JSONValue] {
            let refused = try introspect(worker, tok)["error"]
            #expect(refused?["code"] == -32003 && refused?["data"]?["rule"] == "builtin.scope")
        }
        let wrong = try introspect((resource.0, "not-the-secret"), own)["error"]
        #expect(wrong?["code"] == -32001 && wrong?["data"]?["oauthError"] == "invalid_client")
        // A client cannot name an actor instead, nor be half-authenticated.
        let half = try t.call("oauth.introspect", ["clientId": resource.0, "token": own])["error"]
        #expect(half?["code"] == -32602 && half?["data"]?["field"] == "clientSecret")
        _ = try t.call("oauth.client.revoke", ["actor": platform, "clientId": resource.0])
        #expect(try introspect(resource, own)["error"]?["data"]?["oauthError"] == "invalid_client")
    }
}
