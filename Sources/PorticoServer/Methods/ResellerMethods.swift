import JSONRPC
import PorticoCore

/// `reseller.*` and `customer.*`: see ResellerService and CustomerService.
enum ResellerMethods {
    static let all: [Method] = [
        Method("reseller.create", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let name = try p.string("name")
            let email = try p.string("email")
            let region = try p.string("region")
            let rate = try p.optionalExactDecimal("commissionRate")
            try p.finish()
            return try ResellerService.create(ctx, partnerId: partnerId, name: name, email: email, region: region,
                                              commissionRate: rate).json
        },
        Method("reseller.get", access: .read) { p, ctx in
            let id = try p.string("resellerId")
            try p.finish()
            return try ResellerService.get(ctx, id: id).json
        },
        Method("reseller.update", access: .write) { p, ctx in
            let id = try p.string("resellerId")
            var changes = ResellerService.Changes(name: try p.optionalString("name"), email: try p.optionalString("email"),
                                                  region: try p.optionalString("region"))
            if p.isExplicitNull("commissionRate") {
                changes.commissionRate = .some(nil)
            } else if let rate = try p.optionalExactDecimal("commissionRate") {
                changes.commissionRate = .some(rate)
            }
            try p.finish()
            return try ResellerService.update(ctx, id: id, changes).json
        },
        Method("reseller.list", access: .read) { p, ctx in
            let partnerId = try p.string("partnerId")
            let page = try p.page()
            try p.finish()
            return try ResellerService.list(ctx, partnerId: partnerId, page: page)
        },
        Method("customer.create", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let resellerId = try p.optionalString("resellerId")
            let name = try p.string("name")
            let email = try p.string("email")
            let country = try p.string("country")
            try p.finish()
            return try CustomerService.create(ctx, partnerId: partnerId, resellerId: resellerId, name: name, email: email,
                                              country: country).json
        },
        Method("customer.get", access: .read) { p, ctx in
            let id = try p.string("customerId")
            try p.finish()
            return try CustomerService.get(ctx, id: id).json
        },
        Method("customer.list", access: .read) { p, ctx in
            let partnerId = try p.optionalString("partnerId")
            let resellerId = try p.optionalString("resellerId")
            let page = try p.page()
            try p.finish()
            return try CustomerService.list(ctx, partnerId: partnerId, resellerId: resellerId, page: page)
        },
    ]
}
