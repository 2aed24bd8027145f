import JSONRPC

/// A long request (`payout.runScheduled`): it runs alone, outside any group, as a series
/// of steps each committed on its own, reporting progress and stopping between steps
/// when the client cancels. What the steps committed stands whatever happens after.
public protocol JobSteps: AnyObject {
    /// Runs `body` in a transaction of its own, committed before this returns; a throw
    /// rolls back that step alone. Each step reads the clock afresh.
    func step<T>(_ body: (RequestContext) throws -> T) throws -> T
    /// `$/progress` to the client when the request carried a `progressToken`.
    func progress(done: Int, total: Int, message: String)
    /// True once the client sent `$/cancelRequest` for this request.
    var isCancelled: Bool { get }
}
