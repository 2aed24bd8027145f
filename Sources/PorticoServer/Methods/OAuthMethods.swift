import JSONRPC
import PorticoCore

/// `oauth.*`: see OAuthService. The writes that answer a secret take no idempotency key
/// (a retry would have to answer it again, so it would be stored in the clear).
enum OAuthMethods {
    static let all: [Method] = [
        Method("oauth.client.create", access: .write, takesIdempotencyKey: false) { p, ctx -> JSONValue in
            let partnerId = try p.string("partnerId")
            let name = try p.string("name")
            let scopes = try p.strings("scopes")
            try p.finish()
            let (client, secret) = try OAuthService.createClient(ctx, partnerId: partnerId, name: name, scopes: scopes)
            return ["client": client.json, "clientSecret": .string(secret)]
        },
        Method("oauth.client.list", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let page = try p.page()
            try p.finish()
            return try OAuthService.listClients(ctx, partnerId: partnerId, page: page)
        },
        Method("oauth.client.revoke", access: .write) { p, ctx in
            let clientId = try p.string("clientId")
            try p.finish()
            return try OAuthService.revokeClient(ctx, clientId: clientId).json
        },
        Method("oauth.client.rotateSecret", access: .write, takesIdempotencyKey: false) { p, ctx -> JSONValue in
            let clientId = try p.string("clientId")
            let grace = try p.optionalInteger("graceSeconds")
            try p.finish()
            let (client, secret) = try OAuthService.rotateSecret(ctx, clientId: clientId, graceSeconds: grace)
            return ["client": client.json, "clientSecret": .string(secret)]
        },
        Method("oauth.token", access: .write, needsActor: false, takesIdempotencyKey: false) { p, ctx in
            // A malformed request is RFC 6749's invalid_request, whatever field it is.
            do {
                let grantType = try p.string("grantType")
                let clientId = try p.string("clientId")
                let clientSecret = try p.string("clientSecret")
                let scope = try p.optionalString("scope")
                try p.finish()
                return try OAuthService.token(ctx, grantType: grantType, clientId: clientId, clientSecret: clientSecret, scope: scope)
            } catch let e as PorticoError where e.code == .invalidParams && e.data["oauthError"] == nil {
                var e = e
                e.data["oauthError"] = "invalid_request"
                throw e
            }
        },
        Method("oauth.revoke", access: .write, needsActor: false, takesIdempotencyKey: false) { p, ctx in
            let token = try p.string("token")
            try p.finish()
            return try OAuthService.revoke(ctx, token: token)
        },
        Method("oauth.introspect", access: .read, caller: .actorOrClientCredentials) { p, ctx in
            let token = try p.string("token")
            try p.finish()
            return try OAuthService.introspect(ctx, token: token)
        },
    ]
}
