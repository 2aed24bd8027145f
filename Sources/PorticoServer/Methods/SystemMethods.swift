import JSONRPC
import PorticoCore
import PorticoRules

/// `rpc.discover` and `system.*`: answered by the engine without an actor.
enum SystemMethods {
    static let all: [Method] = [
        Method(engine: "rpc.discover") { p, _ in
            try p.finish()
            return OpenRPC.document
        },
        Method(engine: "system.health") { p, engine in
            try p.finish()
            return [
                "status": "ok",
                "version": .string(Engine.version),
                "schemaVersion": .string(engine.schemaVersion),
                "rulesHash": .string(engine.rules.current.hash),
                "rulesSource": .string(engine.rules.current.source),
                "databasePath": .string(engine.store.location),
                "deterministic": .bool(engine.ids.isDeterministic),
            ]
        },
    ]
}
