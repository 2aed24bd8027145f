import Foundation
import PorticoCore

/// The engines sharing the database (`engine`, one row each, seen every few seconds while
/// it runs) and the rules reloads they announce to each other (`NOTIFY portico_rules`,
/// carrying the announcing engine's id and its new rules hash). Each engine listens on a
/// connection of its own, on a thread of its own.
extension PostgresStore: SharedStore {
    static let rulesChannel = "portico_rules"
    /// How often a running engine says it is there, and how long after it stops it is listed.
    static let heartbeat: TimeInterval = 5
    static let forgottenAfter = 30

    public func join(as engine: EngineRecord, onReload: @escaping @Sendable (_ rulesHash: String) -> Void) throws {
        try rulesChanged(engine: engine, announce: false)
        // Listening before the engine answers anything: a reload announced after its start
        // reaches it.
        let listener = try PGConnection(url: url)
        try listener.run("LISTEN \(Self.rulesChannel)")
        let id = engine.id
        let thread = Thread { [weak self] in
            var lastBeat = Date()
            while let store = self, !store.isClosed {
                guard let notes = try? listener.notifications(waiting: 1) else { return }
                for note in notes where note.channel == Self.rulesChannel {
                    let parts = note.payload.split(separator: " ", maxSplits: 1).map(String.init)
                    guard parts.count == 2, parts[0] != id else { continue }
                    onReload(parts[1])
                }
                if Date().timeIntervalSince(lastBeat) >= Self.heartbeat {
                    lastBeat = Date()
                    guard (try? listener.query("UPDATE engine SET seen_at = now() WHERE id = $1", [.text(id)])) != nil else { return }
                }
            }
        }
        thread.name = "portico-pg-listener"
        thread.start()
    }

    public func rulesChanged(engine: EngineRecord, announce: Bool) throws {
        let c = try connected()
        try c.query("""
            INSERT INTO engine (id, host, pid, rules_hash, started_at, seen_at) VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT (id) DO UPDATE SET rules_hash = excluded.rules_hash, seen_at = now()
            """, [.text(engine.id), .text(engine.host), .int(engine.pid), .text(engine.rulesHash), .text(engine.startedAt)])
        if announce { try c.query("SELECT pg_notify($1, $2)", [.text(Self.rulesChannel), .text(engine.id + " " + engine.rulesHash)]) }
    }

    public func engines() throws -> [EngineRecord] {
        try connected().query("""
            SELECT id, host, pid, rules_hash, started_at, to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM engine
            WHERE seen_at > now() - make_interval(secs => $1) ORDER BY started_at, id
            """, [.int(Int64(Self.forgottenAfter))]).all.map {
            EngineRecord(id: try $0.string(0), host: try $0.string(1), pid: try $0.int(2), rulesHash: try $0.string(3), startedAt: try $0.string(4),
                         seenAt: try $0.string(5))
        }
    }
}
