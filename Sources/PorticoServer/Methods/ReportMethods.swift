import JSONRPC
import PorticoCore

/// `partner.dashboard`, `partner.report`, `reseller.report`: see ReportService.
enum ReportMethods {
    static let all: [Method] = [
        Method("partner.dashboard", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let from = try p.optionalTimestamp("from")
            let to = try p.optionalTimestamp("to")
            try p.finish()
            return try ReportService.dashboard(ctx, partnerId: partnerId, from: from, to: to)
        },
        Method("partner.report", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let period = try p.string("period")
            guard let from = try p.optionalTimestamp("from") else { throw PorticoError.invalid("from", "is required") }
            guard let to = try p.optionalTimestamp("to") else { throw PorticoError.invalid("to", "is required") }
            try p.finish()
            return try ReportService.partnerReport(ctx, partnerId: partnerId, period: period, from: from, to: to)
        },
        Method("reseller.report", access: .read) { p, ctx in
            let resellerId = try p.string("resellerId")
            let from = try p.optionalTimestamp("from")
            let to = try p.optionalTimestamp("to")
            try p.finish()
            return try ReportService.resellerReport(ctx, resellerId: resellerId, from: from, to: to)
        },
    ]
}
