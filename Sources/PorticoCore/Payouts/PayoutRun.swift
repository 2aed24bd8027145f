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
    public struct Summary: Sendable, JobSummary {
        public var asOf: Timestamp
        public var schedules = 0
        public var checked = 0
        public var due = 0
        public var notDue = 0
        public var created = 0
        /// Per currency: payouts created and their total.
        public var amounts = CurrencyTally()
        public var belowMinimum = 0
        public var noAccount = 0
        public var alreadyCreated = 0
        public var partnerNotActive = 0
        public var noMinimumPayout = 0

        public init(asOf: Timestamp) { self.asOf = asOf }

        public mutating func add(_ o: Summary) {
            checked += o.checked; due += o.due; notDue += o.notDue; created += o.created; belowMinimum += o.belowMinimum
            noAccount += o.noAccount; alreadyCreated += o.alreadyCreated; partnerNotActive += o.partnerNotActive
            noMinimumPayout += o.noMinimumPayout
            amounts.add(o.amounts)
        }

        public var json: JSONValue {
            [
                "asOf": .string(asOf.rfc3339), "schedules": .integer(Int64(schedules)), "checked": .integer(Int64(checked)),
                "due": .integer(Int64(due)), "payoutsCreated": .integer(Int64(created)),
                "currencies": amounts.json(countKey: "payouts"),
                "skipped": [
                    "notDue": .integer(Int64(notDue)), "belowMinimum": .integer(Int64(belowMinimum)), "noAccount": .integer(Int64(noAccount)),
                    "alreadyCreated": .integer(Int64(alreadyCreated)), "partnerNotActive": .integer(Int64(partnerNotActive)),
                    "noMinimumPayout": .integer(Int64(noMinimumPayout)),
                ],
            ]
        }
    }

    public static func run(_ job: any JobSteps, asOf requested: Timestamp?) throws -> Summary {
        let first = try job.step { ctx in
            try ctx.authorize(partner: nil)
            var s = Summary(asOf: try ctx.asOf(requested, reason: "entries payable later are not payable yet"))
            s.schedules = try ctx.store.countPayoutSchedules()
            return s
        }
        job.progress(done: 0, total: first.schedules, message: "payouts as of \(first.asOf.rfc3339)")
        return try job.batches(first, total: first.schedules, message: { "\($0.created) payouts created" }) { ctx, after in
            try runBatch(ctx, asOf: first.asOf, after: after ?? 0)
        }
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
                    s.amounts.add(p.currency, Int128(p.amount.amount))
                case .belowMinimum: s.belowMinimum += 1
                case .noAccount: s.noAccount += 1
                case .alreadyCreated: s.alreadyCreated += 1
                }
            }
        }
        return (s, rows.last?.partnerSeq)
    }
}
