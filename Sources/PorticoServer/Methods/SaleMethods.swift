import JSONRPC
import PorticoCore

/// `sale.*` and `commission.*`: see SaleService and CommissionLedger.
enum SaleMethods {
    static let all: [Method] = [
        Method("sale.record", access: .write, withEngine: { p, ctx, engine in
            let customerId = try p.string("customerId")
            let plan = try p.string("plan")
            let kind = try p.string("kind")
            let occurredText = try p.string("occurredAt")
            guard let occurredAt = Timestamp(rfc3339: occurredText) else {
                throw PorticoError.invalid("occurredAt", "must be an RFC 3339 date-time such as 2027-01-15T10:00:00Z")
            }
            let externalId = try p.string("externalId")
            let amount = try p.optionalMoney("amount")
            try p.finish()
            return try SaleService.record(ctx, rules: engine.rules.current,
                                          .init(customerId: customerId, plan: plan, kind: kind, occurredAt: occurredAt,
                                                externalId: externalId, amount: amount))
        }),
        Method("sale.refund", access: .write) { p, ctx in
            let saleId = try p.string("saleId")
            let amount = try p.optionalMoney("amount")
            let reason = try p.string("reason")
            try p.finish()
            return try SaleService.refund(ctx, saleId: saleId, amount: amount, reason: reason)
        },
        Method("commission.create", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let resellerId = try p.optionalString("resellerId")
            let amount = try p.money("amount")
            let reason = try p.string("reason")
            try p.finish()
            return try CommissionLedger.create(ctx, partnerId: partnerId, resellerId: resellerId, amount: amount, reason: reason)
                .json(now: ctx.timestamp)
        },
        Method("commission.list", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let status = try p.optionalString("status")
            let from = try p.optionalTimestamp("from")
            let to = try p.optionalTimestamp("to")
            let page = try p.page()
            try p.finish()
            return try CommissionLedger.list(ctx, partnerId: partnerId, status: status, from: from, to: to, page: page)
        },
        Method("commission.summary", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let from = try p.optionalTimestamp("from")
            let to = try p.optionalTimestamp("to")
            try p.finish()
            return try CommissionLedger.summary(ctx, partnerId: partnerId, from: from, to: to)
        },
    ]
}
