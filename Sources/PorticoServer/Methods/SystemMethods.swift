import JSONRPC
import PorticoCore
import PorticoRules

/// `rpc.discover` and `system.*`: answered by the engine without an actor.
enum SystemMethods {
    static let all: [Method] = [
        Method(system: "rpc.discover") { p, _ in
            try p.finish()
            return OpenRPC.document
        },
        Method(system: "system.health") { p, status in
            try p.finish()
            let rules = status.activeRules.current
            return [
                "status": "ok",
                "version": .string(status.version),
                "schemaVersion": .string(status.schemaVersion),
                "rulesHash": .string(rules.hash),
                "rulesSource": .string(rules.source),
                "databasePath": .string(status.storeLocation),
                "deterministic": .bool(status.deterministic),
                "engines": status.engines(),
            ]
        },
    ]
}
