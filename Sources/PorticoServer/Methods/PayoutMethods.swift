import JSONRPC
import PorticoCore

/// `payout.*`: see PayoutSetup, PayoutService, PayoutRun and PayoutWebhook.
enum PayoutMethods {
    static let all: [Method] = [
        Method("payout.account.set", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let method = try p.string("method")
            let destination = try p.string("destination")
            let currency = try p.optionalString("currency")
            try p.finish()
            return try PayoutSetup.setAccount(ctx, partnerId: partnerId, method: method, destination: destination, currency: currency).json
        },
        Method("payout.account.get", access: .read) { p, ctx -> JSONValue in
            let partnerId = try p.string("partnerId")
            try p.finish()
            let (accounts, schedule) = try PayoutSetup.accounts(ctx, partnerId: partnerId)
            return ["partnerId": .string(partnerId), "accounts": .array(accounts.map(\.json)), "schedule": schedule?.json ?? .null]
        },
        Method("payout.schedule", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let cadence = try p.string("cadence")
            let day = try p.optionalInteger("day")
            try p.finish()
            return try PayoutSetup.schedule(ctx, partnerId: partnerId, cadence: cadence, day: day).json
        },
        Method("payout.create", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let currency = try p.string("currency")
            try p.finish()
            return try PayoutService.create(ctx, partnerId: partnerId, currency: currency).json
        },
        Method(job: "payout.runScheduled") { p, job in
            let asOf = try p.optionalTimestamp("asOf")
            try p.finish()
            return try PayoutRun.run(job, asOf: asOf).json
        },
        Method("payout.process", access: .write) { p, ctx -> JSONValue in
            let id = try p.string("payoutId")
            try p.finish()
            let (payout, instruction) = try PayoutService.process(ctx, id: id)
            return ["payout": payout.json, "instruction": instruction]
        },
        Method("payout.complete", access: .write) { p, ctx in
            let id = try p.string("payoutId")
            let reference = try p.string("providerReference")
            try p.finish()
            return try PayoutService.complete(ctx, id: id, providerReference: reference).json
        },
        Method("payout.fail", access: .write) { p, ctx in
            let id = try p.string("payoutId")
            let reason = try p.string("reason")
            try p.finish()
            return try PayoutService.fail(ctx, id: id, reason: reason).json
        },
        Method("payout.cancel", access: .write) { p, ctx in
            let id = try p.string("payoutId")
            try p.finish()
            return try PayoutService.cancel(ctx, id: id).json
        },
        Method("payout.webhook", access: .write) { p, ctx in
            let provider = try p.string("provider")
            let payload = try p.string("payload")
            let header = try p.string("signatureHeader")
            let receivedAt = try p.timestamp("receivedAt")
            try p.finish()
            return try PayoutWebhook.apply(ctx, provider: provider, payload: payload, signatureHeader: header, receivedAt: receivedAt)
        },
        Method("payout.get", access: .read) { p, ctx in
            let id = try p.string("payoutId")
            try p.finish()
            return try PayoutService.get(ctx, id: id).json
        },
        Method("payout.list", access: .read) { p, ctx in
            let partnerId = try p.optionalString("partnerId")
            let status = try p.optionalString("status")
            let range = try p.range()
            let page = try p.page()
            try p.finish()
            return try PayoutService.list(ctx, partnerId: partnerId, status: status, range: range, page: page)
        },
        Method("payout.statement", access: .read) { p, ctx in
            let id = try p.string("payoutId")
            let page = try p.page()
            try p.finish()
            return try PayoutService.statement(ctx, id: id, page: page).json(now: ctx.now)
        },
    ]
}
