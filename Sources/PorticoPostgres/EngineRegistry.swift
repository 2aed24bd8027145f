import Foundation
import PorticoCore

/// The engines sharing the database (`engine`, one row each, seen every few seconds while
/// it runs) and the rules reloads they announce to each other: the newest announcement is
/// a row (`rules_announcement`: how many, by which engine, of which rules), and each is
/// notified (`NOTIFY portico_rules`). Each engine listens on a connection of its own, on a
/// thread of its own, connected again when the server drops it, when it reads the row for
/// the announcements it missed meanwhile.
extension PostgresStore: SharedStore {
    static let rulesChannel = "portico_rules"
    /// How often a running engine says it is there, and how long after it stops it is listed.
    static let heartbeat: TimeInterval = 5
    static let forgottenAfter = 30

    public func join(as engine: EngineRecord, onReload: @escaping @Sendable (_ rulesHash: String) -> String) throws {
        try rulesChanged(engine: engine, announce: false)
        // The newest announcement as the engine starts: the listener, connecting on its own
        // thread (the start does not wait for it), reads any made after it.
        let url = self.url, id = engine.id
        let startSeq = try Self.lastAnnouncement(connected()).seq
        let thread = Thread { [weak self] in
            var listener: PGConnection? = nil
            var seen = startSeq
            var lastBeat = Date()
            // The announcements after the last one seen: the newest is the one that counts.
            // What this engine then runs is recorded on this thread's own connection.
            func catchUp(_ c: PGConnection) throws {
                let last = try Self.lastAnnouncement(c)
                guard last.seq > seen else { return }
                seen = last.seq
                guard last.engine != id else { return }
                let runs = onReload(last.hash)
                try c.query("UPDATE engine SET rules_hash = $1, seen_at = now() WHERE id = $2", [.text(runs), .text(id)])
            }
            while let store = self, !store.isClosed {
                do {
                    let c: PGConnection
                    if let l = listener {
                        c = l
                    } else {
                        // Connected (first, or again after the server went away): what was
                        // announced meanwhile is read from its row, as a notification would have said.
                        c = try Self.listen(url)
                        listener = c
                        try catchUp(c)
                    }
                    if try c.notifications(waiting: 1).contains(where: { $0.channel == Self.rulesChannel }) { try catchUp(c) }
                    if Date().timeIntervalSince(lastBeat) >= Self.heartbeat {
                        lastBeat = Date()
                        try c.query("UPDATE engine SET seen_at = now() WHERE id = $1", [.text(id)])
                    }
                } catch {
                    listener = nil
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
        thread.name = "portico-pg-listener"
        thread.start()
    }

    private static func listen(_ url: String) throws -> PGConnection {
        let c = try PGConnection(url: url, application: "portico-listener")
        try c.run("LISTEN \(rulesChannel)")
        return c
    }

    /// The newest announcement: how many there were, by which engine, of which rules.
    private static func lastAnnouncement(_ c: PGConnection) throws -> (seq: Int64, engine: String, hash: String) {
        let r = try c.query("SELECT seq, engine_id, rules_hash FROM rules_announcement WHERE singleton = 1").row(0)
        return (try r.int(0), try r.string(1), try r.string(2))
    }

    public func rulesChanged(engine: EngineRecord, announce: Bool) throws {
        let c = try connected()
        try c.query("""
            INSERT INTO engine (id, host, pid, rules_hash, started_at, seen_at) VALUES ($1, $2, $3, $4, $5, now())
            ON CONFLICT (id) DO UPDATE SET rules_hash = excluded.rules_hash, seen_at = now()
            """, [.text(engine.id), .text(engine.host), .int(engine.pid), .text(engine.rulesHash), .text(engine.startedAt)])
        guard announce else { return }
        // The row first (an engine that missed the notification reads it), then the notification.
        try c.query("UPDATE rules_announcement SET seq = seq + 1, engine_id = $1, rules_hash = $2 WHERE singleton = 1",
                    [.text(engine.id), .text(engine.rulesHash)])
        try c.query("SELECT pg_notify($1, $2)", [.text(Self.rulesChannel), .text(engine.id + " " + engine.rulesHash)])
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
