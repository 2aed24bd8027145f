import JSONRPC
import PorticoCore

/// `partner.freeze`, `partner.suspend`, `partner.activate`: see GovernanceService.
enum GovernanceMethods {
    static func method(_ transition: GovernanceService.Transition) -> Method {
        Method("partner.\(transition.rawValue)", access: .write) { p, ctx in
            let partnerId = try p.string("partnerId")
            let reason = try p.string("reason")
            try p.finish()
            return try GovernanceService.apply(transition, ctx, partnerId: partnerId, reason: reason).json
        }
    }

    static let all: [Method] = [method(.freeze), method(.suspend), method(.activate)]
}
