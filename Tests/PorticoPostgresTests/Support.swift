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
        let database = try PGDatabase(PGDatabase.name("t"), on: url)
        defer { try? database.drop() }
        return try body(database.url)
    }
}
