import GRDB

/// A write would take a running total (a partner's or reseller's sales, or a partner's
/// commissions, in one currency on one UTC day) past the largest amount the engine keeps
/// and answers: 2^53 minor units, what every JSON client can hold exactly. The write is
/// undone whole; the total stays as it was.
public struct RunningTotalLimit: Error, Sendable {
    /// The bound, in minor units (2^53).
    public static let bound: Int64 = 1 << 53
    /// The name of the CHECK constraint on the running-total tables.
    static let constraint = "total_limit"

    /// Runs a write, turning a failed bound check into this error.
    static func checking<T>(_ write: () throws -> T) throws -> T {
        do {
            return try write()
        } catch let e as DatabaseError where e.extendedResultCode == .SQLITE_CONSTRAINT_CHECK
            && (e.message ?? "").contains(constraint)
        {
            throw RunningTotalLimit()
        }
    }
}
