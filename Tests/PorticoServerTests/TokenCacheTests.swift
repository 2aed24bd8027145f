import Foundation
import JSONRPC
import PorticoCore
import PorticoStore
import Testing
@testable import PorticoServer

/// The token cache never answers for a token, client or partner that changed: on a fixed
/// clock (so no entry ages out), a revoked token, a revoked client, a suspended or frozen
/// partner are seen by the very next call, in the same pipelined batch too.
@Suite struct TokenCacheTests {
    struct World {
        let t: TestEngine
        let partner: JSONValue
        let client: JSONValue
        let token: JSONValue

        init() throws {
            t = try OAuthLifetimeTests().engine("fixed:2026-03-01T00:00:00Z")
            partner = try t.call("partner.create", createParams("acme"))["result"]!["id"]!
            let c = try t.call("oauth.client.create", ["actor": platform, "partnerId": partner, "name": "C",
                                                       "scopes": ["customers:read", "customers:write"]])["result"]!
            client = c["client"]!["id"]!
            token = try t.call("oauth.token", ["grantType": "client_credentials", "clientId": client, "clientSecret": c["clientSecret"]!])["result"]!["accessToken"]!
        }

        func list() throws -> JSONValue { try t.call("api.customer.list", ["accessToken": token]) }
        func register(_ email: String) throws -> JSONValue {
            try t.call("api.customer.register", ["accessToken": token, "name": "C", "email": .string(email), "country": "DE"])
        }
    }

    static func refused(_ answer: JSONValue) -> Bool { answer["error"]?["data"]?["oauthError"] == "invalid_token" }

    @Test func aRevokedTokenIsRefusedAtOnce() throws {
        let w = try World()
        #expect(try w.list()["result"] != nil && w.list()["result"] != nil)  // cached now
        #expect(try w.t.call("oauth.revoke", ["token": w.token])["result"] != nil)
        #expect(Self.refused(try w.list()))
    }

    @Test func aRevokedClientsTokensAreRefusedAtOnce() throws {
        let w = try World()
        #expect(try w.list()["result"] != nil)
        #expect(try w.t.call("oauth.client.revoke", ["actor": platform, "clientId": w.client])["result"] != nil)
        #expect(Self.refused(try w.list()))
    }

    @Test func aSuspendedPartnersTokensAreRefusedAndAFrozenOnesOnlyRead() throws {
        let w = try World()
        #expect(try w.register("a@a.example")["result"] != nil)
        #expect(try w.t.call("partner.freeze", ["actor": platform, "partnerId": w.partner, "reason": "r"])["result"] != nil)
        #expect(try w.register("b@b.example")["error"]?["data"]?["rule"] == "frozen-partner-read-only-api")
        #expect(try w.list()["result"] != nil)
        #expect(try w.t.call("partner.activate", ["actor": platform, "partnerId": w.partner, "reason": "r"])["result"] != nil)
        #expect(try w.register("b@b.example")["result"] != nil)
        #expect(try w.t.call("partner.suspend", ["actor": platform, "partnerId": w.partner, "reason": "r"])["result"] != nil)
        #expect(Self.refused(try w.list()))
    }

    /// In one pipelined batch (one transaction): a call, the revocation, a call.
    @Test func aRevocationInTheSameBatchCountsForTheCallsAfterIt() throws {
        let w = try World()
        let answers = try w.t.send([
            request("api.customer.list", ["accessToken": w.token], id: 1),
            request("api.customer.list", ["accessToken": w.token], id: 2),
            request("oauth.revoke", ["token": w.token], id: 3),
            request("api.customer.list", ["accessToken": w.token], id: 4),
        ])
        #expect(answers[0]["result"] != nil && answers[1]["result"] != nil && answers[2]["result"] != nil)
        #expect(Self.refused(answers[3]))
    }

    /// The store's version moves with partners, clients and tokens, and only with them.
    @Test func theAuthVersionMovesWithWhatTheCacheDependsOn() throws {
        let w = try World()
        let store = w.t.engine.database
        let before = store.authVersion
        #expect(try w.t.call("customer.create", ["actor": platform, "partnerId": w.partner, "name": "C", "email": "x@x.example",
                                                 "country": "DE"])["result"] != nil)
        #expect(store.authVersion == before)
        #expect(try w.t.call("partner.update", ["actor": platform, "partnerId": w.partner, "name": "Renamed"])["result"] != nil)
        #expect(store.authVersion > before)
        let read = try store.read { tx in (tx.authVersionAtStart, tx.authVersion) }
        #expect(read.0 == read.1)
    }
}
