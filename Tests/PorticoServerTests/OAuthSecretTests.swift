import Foundation
import JSONRPC
import Testing

/// No client secret or access token is written anywhere in the clear: after a session of
/// token traffic through the real binary (clients created and rotated, tokens issued,
/// introspected, revoked, failures of every kind) with the most verbose log, neither the
/// database file, nor its write-ahead log, nor stderr holds any of them, whole or as the
/// random part alone.
@Suite struct OAuthSecretTests {
    @Test func noSecretOrTokenIsWrittenInTheClear() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("oauth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("o.sqlite").path
        let secrets = dir.appendingPathComponent("secrets").path
        _ = FileManager.default.createFile(atPath: secrets, contents: Data("# none\n".utf8), attributes: [.posixPermissions: 0o600])
        let child = try PayoutCrashTests.Child(db: db, secrets: secrets, extra: ["--log-level", "trace"])
        let platform: JSONValue = ["platform": "ops"]
        let partner = child.send([("partner.create", ["actor": platform, "name": "P", "subdomain": "p", "region": "eu",
                                                      "owner": ["email": "o@p.example", "name": "O"]])])![0]["result"]!["id"]!
        var values: [String] = []
        let created = child.send([("oauth.client.create", ["actor": platform, "partnerId": partner, "name": "C",
                                                           "scopes": ["sales:read", "customers:write"]])])![0]["result"]!
        let client = created["client"]!["id"]!
        values.append(created["clientSecret"]!.stringValue!)
        for round in 0..<3 {
            let secret = values.last { $0.hasPrefix("portico_cs_") }!
            let answers = child.send([
                ("oauth.token", ["grantType": "client_credentials", "clientId": client, "clientSecret": .string(secret)]),
                ("oauth.token", ["grantType": "client_credentials", "clientId": client, "clientSecret": .string(secret), "scope": "sales:read"]),
                ("oauth.token", ["grantType": "client_credentials", "clientId": client, "clientSecret": .string(secret + "x")]),
                ("oauth.token", ["grantType": "password", "clientId": client, "clientSecret": .string(secret)]),
                ("oauth.client.rotateSecret", ["actor": platform, "clientId": client, "graceSeconds": .integer(Int64(60 * round))]),
            ])!
            for a in answers {
                if let t = a["result"]?["accessToken"]?.stringValue { values.append(t) }
                if let s = a["result"]?["clientSecret"]?.stringValue { values.append(s) }
            }
            let token = values.last { $0.hasPrefix("portico_at_") }!
            _ = child.send([("oauth.introspect", ["actor": platform, "token": .string(token)]), ("oauth.revoke", ["token": .string(token)]),
                            ("oauth.introspect", ["actor": platform, "token": .string(token)])])
        }
        _ = child.send([("oauth.client.revoke", ["actor": platform, "clientId": client])])
        let stderr = child.finishReadingStderr()
        #expect(values.count >= 10)
        var haystacks: [(String, Data)] = [("stderr", stderr)]
        for suffix in ["", "-wal"] {
            if let d = FileManager.default.contents(atPath: db + suffix) { haystacks.append(("database\(suffix)", d)) }
        }
        for value in values {
            let random = String(value.dropFirst("portico_xx_".count))
            for (name, data) in haystacks {
                #expect(data.range(of: Data(value.utf8)) == nil, "\(name) holds a secret or token in the clear")
                #expect(data.range(of: Data(random.utf8)) == nil, "\(name) holds the random part of a secret or token")
            }
        }
    }
}
