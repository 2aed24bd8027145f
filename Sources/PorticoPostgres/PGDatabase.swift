import Foundation

/// A database of its own made on a PostgreSQL server (a replay's, a benchmark's, a test's),
/// dropped by `drop()`: its name, and its URL (the server's with the database's name).
public struct PGDatabase: Sendable {
    public let name: String
    public let url: String
    private let server: String

    /// Creates `name` on the server `server` names (a `postgres://` URL), dropping a
    /// leftover of that name first.
    public init(_ name: String, on server: String) throws {
        guard var components = URLComponents(string: server) else {
            throw PGError(state: "08001", message: "not a URL: \(PGConnection.redacted(server))")
        }
        let admin = try PGConnection(url: server)
        try admin.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        try admin.run("CREATE DATABASE \(name)")
        components.path = "/" + name
        self.name = name
        self.server = server
        url = components.string!
    }

    /// A new name with `prefix` (letters, digits, underscores) and a random number.
    public static func name(_ prefix: String) -> String { "\(prefix)_\(UInt64.random(in: 0...UInt64.max))" }

    /// Drops it, ending every connection to it.
    public func drop() throws { try PGConnection(url: server).run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}
