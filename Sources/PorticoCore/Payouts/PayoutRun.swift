import JSONRPC
import PorticoRules

/// `payout.runScheduled`: the payouts of every schedule due at `asOf`, once per partner,
/// currency and period (the store refuses a second payout for a period, whatever its
/// status). A job: partners are taken in batches, each batch committed on its own, with
/// progress after each; a cancel stops between batches and what was committed stands, so
/// running it again goes on where it stopped and creates nothing twice.
public enum PayoutRun {
    /// Schedules per committed step: a step's commit costs one fsync, and a step of this
    /// size takes well under the 100 ms between progress reports.
    public static let batch = 500

    /// What a run did, added up over its steps.
    public struct Summary: Sendable {
        public var asOf: Timestamp
        public var schedules = 0
        public var checked = 0
        public var due = 0
        public var notDue = 0
        public var created = 0
        /// Per currency: payouts created and their total.
        public var amounts: [String: (count: Int, amount: Int128)] = [:]
        public var belowMinimum = 0
        public var noAccount = 0
        public var alreadyCreated = 0
        public var partnerNotActive = 0
        public var noMinimumPayout = 0

        public init(asOf: Timestamp) { self.asOf = asOf }

        mutating func add(_ o: Summary) {
            checked += o.checked; due += o.due; notDue += o.notDue; created += o.created; belowMinimum += o.belowMinimum
            noAccount += o.noAccount; alreadyCreated += o.alreadyCreated; partnerNotActive += o.partnerNotActive
            noMinimumPayout += o.noMinimumPayout
            for (c, v) in o.amounts {
                let was = amounts[c] ?? (0, 0)
                amounts[c] = (was.count + v.count, was.amount + v.amount)
            }
        }

        public var json: JSONValue {
            [
                "asOf": .string(asOf.rfc3339), "schedules": .integer(Int64(schedules)), "checked": .integer(Int64(checked)),
                "due": .integer(Int64(due)), "payoutsCreated": .integer(Int64(created)),
                "currencies": .array(amounts.keys.sorted().map { c in
                    let v = amounts[c]!
                    return ["currency": .string(c), "payouts": .integer(Int64(v.count)), "amount": .string(String(v.amount))]
                }),
                "skipped": [
                    "notDue": .integer(Int64(notDue)), "belowMinimum": .integer(Int64(belowMinimum)), "noAccount": .integer(Int64(noAccount)),
                    "alreadyCreated": .integer(Int64(alreadyCreated)), "partnerNotActive": .integer(Int64(partnerNotActive)),
                    "noMinimumPayout": .integer(Int64(noMinimumPayout)),
                ],
            ]
        }
    }

    public static func run(_ job: any JobSteps, asOf requested: Timestamp?) throws -> Summary {
        var summary = try job.step { ctx in
            try ctx.authorize(partner: nil)
            let asOf = requested ?? ctx.now
            guard asOf <= ctx.now else {
                throw PorticoError.invalid("asOf", "must not be after the engine's clock (\(ctx.timestamp)): entries payable later are not payable yet")
            }
            var s = Summary(asOf: asOf)
            s.schedules = try ctx.store.countPayoutSchedules()
            return s
        }
        job.progress(done: 0, total: summary.schedules, message: "payouts as of \(summary.asOf.rfc3339)")
        var after: Int64 = 0
        while true {
            if job.isCancelled {
                throw PorticoError.cancelled(["done": .integer(Int64(summary.checked)), "total": .integer(Int64(summary.schedules)),
                                              "committed": summary.json])
            }
            let (step, last) = try job.step { ctx in try runBatch(ctx, asOf: summary.asOf, after: after) }
            summary.add(step)
            guard let last else { break }
            after = last
            job.progress(done: summary.checked, total: max(summary.schedules, summary.checked),
                         message: "\(summary.created) payouts created")
        }
        return summary
    }

    /// One batch of schedules after the partner `after`: what it did and the last partner
    /// it read (nil when there was none left).
    static func runBatch(_ ctx: RequestContext, asOf: Timestamp, after: Int64) throws -> (Summary, Int64?) {
        var s = Summary(asOf: asOf)
        let rows = try ctx.store.payoutSchedules(afterPartnerSeq: after, limit: batch)
        for (_, schedule) in rows {
            s.checked += 1
            guard let period = PayoutSetup.duePeriod(schedule, asOf: asOf) else { s.notDue += 1; continue }
            s.due += 1
            let partner = try PartnerService.load(schedule.partnerId, ctx.store)
            // Frozen and suspended partners are skipped (built in), as is any partner the
            // permission rules forbid this run for.
            guard partner.status == .active, (try? ctx.authorize(partner: partner)) != nil else {
                s.partnerNotActive += 1
                continue
            }
            for balance in try ctx.store.payableBalances(partnerId: partner.id, asOf: asOf) {
                guard let currency = Currency.named(balance.currency), let minimum = ctx.rules.commission.minimumPayout[balance.currency] else {
                    s.noMinimumPayout += 1
                    continue
                }
                switch try PayoutService.gather(ctx, partner: partner, currency: currency, minimum: minimum, asOf: asOf, period: period,
                                                balance: balance) {
                case .created(let p):
                    s.created += 1
                    let was = s.amounts[p.currency] ?? (0, 0)
                    s.amounts[p.currency] = (was.count + 1, was.amount + Int128(p.amount.amount))
                case .belowMinimum: s.belowMinimum += 1
                case .noAccount: s.noAccount += 1
                case .alreadyCreated: s.alreadyCreated += 1
                }
            }
        }
        return (s, rows.last?.partnerSeq)
    }
}
