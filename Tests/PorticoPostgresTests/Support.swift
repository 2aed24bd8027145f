import Foundation
import PorticoPostgres
import Testing

/// The cluster the tests run against: `PORTICO_TEST_POSTGRES` (scripts/test starts one
/// with scripts/pg-cluster and sets it). Each test gets a database of its own, dropped after.
enum TestCluster {
    static let url = ProcessInfo.processInfo.environment["PORTICO_TEST_POSTGRES"]
    static var available: Bool { url != nil }

    /// A new, empty database on the cluster, its URL passed to `body`, dropped after.
    static func withDatabase<T>(_ body: (String) throws -> T) throws -> T {
        guard let url else { throw PGError(state: "08001", message: "PORTICO_TEST_POSTGRES is not set") }
        let admin = try PGConnection(url: url)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        try admin.run("CREATE DATABASE \(name)")
        defer { try? admin.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        var c = URLComponents(string: url)!
        c.path = "/" + name
        return try body(c.string!)
    }
}
