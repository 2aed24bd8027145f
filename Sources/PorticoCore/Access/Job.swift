import JSONRPC

/// A long request (`payout.runScheduled`): it runs alone, outside any group, as a series
/// of steps each committed on its own, reporting progress and stopping between steps
/// when the client cancels. What the steps committed stands whatever happens after.
public protocol JobSteps: AnyObject {
    /// Runs `body` in a transaction of its own, committed before this returns; a throw
    /// rolls back that step alone. Each step reads the clock afresh.
    func step<T>(_ body: (RequestContext) throws -> T) throws -> T
    /// Runs `body` in a read transaction of its own (one snapshot), the caller resolved
    /// again in it.
    func read<T>(_ body: (RequestContext) throws -> T) throws -> T
    /// `$/progress` to the client when the request carried a `progressToken`.
    func progress(done: Int, total: Int, message: String)
    /// True once the client sent `$/cancelRequest` for this request.
    var isCancelled: Bool { get }
}

/// What a job made of batches adds up over its steps.
public protocol JobSummary {
    /// Items looked at so far (the progress reported).
    var checked: Int { get }
    var json: JSONValue { get }
    mutating func add(_ step: Self)
}

extension RequestContext {
    /// The instant a job works as of: the one asked for, or now; never after the engine's
    /// clock (-32602 naming `asOf`, saying why with `reason`).
    public func asOf(_ requested: Timestamp?, reason: String) throws(PorticoError) -> Timestamp {
        let asOf = requested ?? now
        guard asOf <= now else { throw .invalid("asOf", "must not be after the engine's clock (\(timestamp)): \(reason)") }
        return asOf
    }
}

extension JobSteps {
    /// Runs `batch` from the start until it answers no cursor, each call a step committed
    /// on its own, with progress after each; a cancel between steps is -32800 with what was
    /// done and committed. `summary` is what the first step found, `total` what there is to do.
    public func batches<Summary: JobSummary, Cursor>(_ summary: Summary, total: Int, message: (Summary) -> String,
                                                      _ batch: (RequestContext, Cursor?) throws -> (Summary, Cursor?)) throws -> Summary
    {
        var summary = summary
        var after: Cursor? = nil
        while true {
            if isCancelled {
                throw PorticoError.cancelled(["done": .integer(Int64(summary.checked)), "total": .integer(Int64(total)),
                                              "committed": summary.json])
            }
            let (step, last) = try self.step { ctx in try batch(ctx, after) }
            summary.add(step)
            guard let last else { return summary }
            after = last
            progress(done: summary.checked, total: max(total, summary.checked), message: message(summary))
        }
    }
}

/// The partners a job's batch acts for, each loaded and authorized once: nil for one the
/// rules forbid the job (a suspended partner, in the shipped rules), whose items the job
/// skips and counts; they stay due for a later run.
public struct JobPartners {
    private var known: [String: PartnerRecord?] = [:]

    public init() {}

    public mutating func allowed(_ id: String, _ ctx: RequestContext) throws -> PartnerRecord? {
        if let decided = known[id] { return decided }
        let loaded = try PartnerService.load(id, ctx.store)
        let partner = (try? ctx.authorize(partner: loaded)) != nil ? loaded : nil
        known[id] = partner
        return partner
    }
}

/// Counts and exact totals per currency, as jobs report what they made.
public struct CurrencyTally: Sendable {
    public private(set) var amounts: [String: (count: Int, amount: Int128)] = [:]

    public init() {}

    public mutating func add(_ currency: String, _ amount: Int128, count: Int = 1) {
        let was = amounts[currency] ?? (0, 0)
        amounts[currency] = (was.count + count, was.amount + amount)
    }

    public mutating func add(_ other: CurrencyTally) {
        for (c, v) in other.amounts { add(c, v.amount, count: v.count) }
    }

    /// `[{currency, <countKey>, amount}]` by currency, the amount an exact decimal string.
    public func json(countKey: String) -> JSONValue {
        .array(amounts.keys.sorted().map { c in
            let v = amounts[c]!
            return .object(JSONObject(uniqueMembers: [.init(key: "currency", value: .string(c)), .init(key: countKey, value: .integer(Int64(v.count))),
                                                      .init(key: "amount", value: .string(String(v.amount)))]))
        })
    }
}
