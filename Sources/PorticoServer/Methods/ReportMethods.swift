import JSONRPC
import PorticoCore

/// `partner.dashboard`, `partner.report`, `reseller.report`: see ReportService.
enum ReportMethods {
    static let all: [Method] = [
        Method("partner.dashboard", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let range = try p.range()
            try p.finish()
            return try ReportService.dashboard(ctx, partnerId: partnerId, range: range).json()
        },
        Method("partner.report", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let period = try p.string("period")
            let range = try p.range(required: true)
            try p.finish()
            return try ReportService.partnerReport(ctx, partnerId: partnerId, period: period, range: range).json()
        },
        Method("reseller.report", access: .read) { p, ctx in
            let resellerId = try p.string("resellerId")
            let range = try p.range()
            try p.finish()
            return try ReportService.resellerReport(ctx, resellerId: resellerId, range: range).json()
        },
    ]
}
