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

    /// `oauth.token` keeps each client (with its partner) while no partner or client
    /// changed: a rotated secret, a revoked client and a suspended partner are seen by the
    /// very next grant, in the same pipelined batch too.
    @Test func aClientsSecretIsCheckedAgainstItsLatestState() throws {
        let w = try World()
        let c = try w.t.call("oauth.client.create", ["actor": platform, "partnerId": w.partner, "name": "D", "scopes": ["customers:read"]])["result"]!
        let client = c["client"]!["id"]!
        func grant(_ secret: JSONValue, id: Int = 1) -> String {
            request("oauth.token", ["grantType": "client_credentials", "clientId": client, "clientSecret": secret], id: id)
        }
        func granted(_ answer: JSONValue) -> Bool { answer["result"]?["accessToken"] != nil }
        func oauthError(_ answer: JSONValue) -> JSONValue? { answer["error"]?["data"]?["oauthError"] }
        let old = c["clientSecret"]!
        #expect(try granted(w.t.send([grant(old)])[0]))  // the client is cached now
        // Rotated in the same batch, without grace: the old secret fails at once.
        let answers = try w.t.send([grant(old, id: 1), request("oauth.client.rotateSecret", ["actor": platform, "clientId": client], id: 2),
                                    grant(old, id: 3)])
        #expect(granted(answers[0]) && oauthError(answers[2]) == "invalid_client")
        let new = answers[1]["result"]!["clientSecret"]!
        #expect(try granted(w.t.send([grant(new)])[0]))
        // Rotated with grace: both work until it ends (the clock is fixed).
        let graced = try w.t.call("oauth.client.rotateSecret", ["actor": platform, "clientId": client, "graceSeconds": 60])["result"]!["clientSecret"]!
        #expect(try granted(w.t.send([grant(new)])[0]) && granted(w.t.send([grant(graced)])[0]))
        // A suspended partner's client is refused, and granted again once it is active.
        #expect(try w.t.call("partner.suspend", ["actor": platform, "partnerId": w.partner, "reason": "r"])["result"] != nil)
        #expect(try oauthError(w.t.send([grant(graced)])[0]) == "unauthorized_client")
        #expect(try w.t.call("partner.activate", ["actor": platform, "partnerId": w.partner, "reason": "r"])["result"] != nil)
        #expect(try granted(w.t.send([grant(graced)])[0]))
        // Revoked: no secret works.
        #expect(try w.t.call("oauth.client.revoke", ["actor": platform, "clientId": client])["result"] != nil)
        #expect(try oauthError(w.t.send([grant(graced)])[0]) == "invalid_client" && oauthError(w.t.send([grant(new)])[0]) == "invalid_client")
    }

    /// Issuing tokens moves the auth version (cached tokens are checked again) but not the
    /// principals' (a client's resolution stays good); a partner's change moves both.
    @Test func issuingATokenLeavesThePrincipalVersion() throws {
        let w = try World()
        let store = w.t.engine.database
        let before = try store.read { tx in (tx.authVersion, tx.principalVersion) }
        let c = try w.t.call("oauth.client.create", ["actor": platform, "partnerId": w.partner, "name": "E", "scopes": ["customers:read"]])["result"]!
        let afterClient = try store.read { tx in (tx.authVersion, tx.principalVersion) }
        #expect(afterClient.0 > before.0 && afterClient.1 > before.1)
        #expect(try w.t.call("oauth.token", ["grantType": "client_credentials", "clientId": c["client"]!["id"]!,
                                             "clientSecret": c["clientSecret"]!])["result"] != nil)
        let afterToken = try store.read { tx in (tx.authVersion, tx.principalVersion) }
        #expect(afterToken.0 > afterClient.0 && afterToken.1 == afterClient.1)
    }
}
