import JSONRPC
import PorticoCore

/// `sale.*` and `commission.*`: see SaleService and CommissionLedger.
enum SaleMethods {
    /// A partner's sales by customer, kind and time (the partner API's on the token's partner).
    static func list(_ p: inout Params, _ ctx: RequestContext, partnerId: String) throws -> any JSONEncodable {
        let customerId = try p.optionalString("customerId")
        let kind = try p.optionalString("kind")
        let range = try p.range()
        let page = try p.page()
        try p.finish()
        return try SaleService.list(ctx, partnerId: partnerId, customerId: customerId, kind: kind, range: range, page: page)
    }

    static let all: [Method] = [
        Method("sale.record", access: .write) { p, ctx in
            let customerId = try p.string("customerId")
            let plan = try p.string("plan")
            let kind = try p.string("kind")
            let occurredAt = try p.timestamp("occurredAt")
            let externalId = try p.string("externalId")
            let amount = try p.optionalMoney("amount")
            try p.finish()
            return try SaleService.record(ctx, rules: ctx.rules,
                                          .init(customerId: customerId, plan: plan, kind: kind, occurredAt: occurredAt,
                                                externalId: externalId, amount: amount)).json
        },
        Method("sale.list", access: .read) { p, ctx in try list(&p, ctx, partnerId: try p.string("partnerId")) },
        Method("sale.refund", access: .write) { p, ctx in
            let saleId = try p.string("saleId")
            let amount = try p.optionalMoney("amount")
            let reason = try p.string("reason")
            try p.finish()
            return try SaleService.refund(ctx, saleId: saleId, amount: amount, reason: reason).json
        },
        Method("commission.create", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let resellerId = try p.optionalString("resellerId")
            let amount = try p.money("amount")
            let reason = try p.string("reason")
            try p.finish()
            return try CommissionLedger.create(ctx, partnerId: partnerId, resellerId: resellerId, amount: amount, reason: reason)
                .json(now: ctx.now)
        },
        Method("commission.list", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let status = try p.optionalString("status")
            let range = try p.range()
            let page = try p.page()
            try p.finish()
            return try CommissionLedger.list(ctx, partnerId: partnerId, status: status, range: range, page: page)
                .map { $0.asOf(ctx.now) }
        },
        Method("commission.summary", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let range = try p.range()
            try p.finish()
            return try CommissionLedger.summary(ctx, partnerId: partnerId, range: range).json()
        },
    ]
}
