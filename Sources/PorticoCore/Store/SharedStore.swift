/// An engine as the engines sharing a store know it: `system.health` lists them.
public struct EngineRecord: Sendable, Equatable {
    /// Unique among engines: host, process and start.
    public var id: String
    public var host: String
    public var pid: Int64
    /// The SHA-256 of the rule files the engine runs.
    public var rulesHash: String
    /// When it started and was last seen running, by the wall clock (RFC 3339).
    public var startedAt: String
    public var seenAt: String

    public init(id: String, host: String, pid: Int64, rulesHash: String, startedAt: String, seenAt: String) {
        self.id = id; self.host = host; self.pid = pid; self.rulesHash = rulesHash; self.startedAt = startedAt; self.seenAt = seenAt
    }
}

/// A store several engines share (PostgreSQL): each says who it is and which rules it runs,
/// and a rules reload on one is announced to all of them.
///
/// Called on the thread that runs the engine's requests, outside any group; `onReload`
/// runs on a thread of the store's own.
public protocol SharedStore: AnyObject, Sendable {
    /// Registers the engine and starts listening for the others' reload announcements:
    /// `onReload` gets the announcing engine's new rules hash and answers the hash this
    /// engine runs after reading its own files again, which the store records. The store
    /// keeps the record seen while the engine runs.
    func join(as engine: EngineRecord, onReload: @escaping @Sendable (_ rulesHash: String) -> String) throws
    /// Records the rules the engine now runs; with `announce`, tells every other engine
    /// to read its rule files again.
    func rulesChanged(engine: EngineRecord, announce: Bool) throws
    /// The engines seen running lately, the oldest first.
    func engines() throws -> [EngineRecord]
}
