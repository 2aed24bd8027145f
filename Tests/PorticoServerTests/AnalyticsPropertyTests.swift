import Foundation
import GRDB
import JSONRPC
import PorticoCore
import PorticoStore
import PropertyBased
import Testing
@testable import PorticoServer

/// Random ledgers — partners of several tiers and regions, direct and reseller customers
/// in several countries, sales of every kind in three currencies at random instants, whole
/// and partial refunds, subscriptions started in the past, cancelled and renewed, manual
/// entries of either sign, payouts paid and left in flight — and every analytics figure
/// equals what a direct computation over the ledger's rows (read from the database, summed
/// here one row at a time) gives, for random ranges and granularities.
@Suite struct AnalyticsPropertyTests {
    enum Op {
        case customer(partner: Int, country: Int, viaReseller: Bool)
        case sale(customer: Int, kind: Int, amount: Int, currency: Int, instant: Int)
        case refund(Int, half: Bool)
        case subscription(customer: Int, yearly: Bool, instant: Int)
        case cancel(Int)
        case renew
        case manual(partner: Int, amount: Int)
        case payout(partner: Int, complete: Bool)
    }

    static let countries = ["DE", "FR", "US", "JP", "GB"]
    static let currencies = ["EUR", "USD", "JPY"]
    static let regionOf = ["DE": "eu", "FR": "eu", "US": "us", "JP": "jp", "GB": "uk"]

    static let op = Gen.int(in: 0...9_999).array(of: 5).map { r -> Op in
        switch r[0] % 20 {
        case 0...2: return .customer(partner: r[1] % 3, country: r[2] % countries.count, viaReseller: r[3] % 3 == 0)
        case 3...10: return .sale(customer: r[1], kind: r[2] % 3, amount: r[3], currency: r[4] % currencies.count, instant: r[2] * 10_000 + r[4])
        case 11...12: return .refund(r[1], half: r[2] % 2 == 0)
        case 13...14: return .subscription(customer: r[1], yearly: r[2] % 4 == 0, instant: r[3])
        case 15: return .cancel(r[1])
        case 16: return .renew
        case 17: return .manual(partner: r[1] % 3, amount: r[2] - 3_000)
        default: return .payout(partner: r[1] % 3, complete: r[2] % 3 != 0)
        }
    }

    /// A range's start (a day of 2025, at midnight or at a random instant), its length in
    /// days, a granularity, and which partner and currency to ask about.
    static let question = Gen.int(in: 0...9_999).array(of: 5)

    // Without shrinking: each case builds a ledger through the engine, and a failure names its figures.
    @Test(.shrinking(false)) func everyFigureEqualsTheLedgerSummedDirectly() async throws {
        await propertyCheck(count: 12, input: Self.op.array(of: 20...70), Self.question.array(of: 4...6)) { ops, questions in
            do { try Self.check(ops, questions) } catch { Issue.record("\(error)") }
        }
    }

    /// 2025-01-01T00:00:00Z plus `n` minutes, within 2025.
    static func instant(_ n: Int) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: 1_735_689_600_000 + Int64(n % (364 * 24 * 60)) * 60_000 + Int64(n % 997))
    }

    static func check(_ ops: [Op], _ questions: [[Int]]) throws {
        let w = try PayoutWorld(sales: [])
        let t = w.t
        var partners = [w.partnerId]
        var owners = [w.ownerId]
        for (i, (region, tier)) in [("us", "gold"), ("eu", "silver")].enumerated() {
            var params = createParams("p\(i)").objectValue!
            params["region"] = .string(region); params["tier"] = .string(tier)
            let p = try t.call("partner.create", .object(params))["result"]!
            partners.append(p["id"]!.stringValue!); owners.append(p["owner"]!["id"]!.stringValue!)
        }
        var resellers: [String] = []
        for (i, p) in partners.enumerated() {
            resellers.append(try t.call("reseller.create", ["actor": platform, "partnerId": .string(p), "name": .string("R\(i)"),
                                                             "email": .string("r\(i)@r.example"), "region": "eu"])["result"]!["id"]!.stringValue!)
        }
        var customers = [w.customerId]
        var sales: [(id: String, amount: JSONValue)] = []
        var subscriptions: [String] = []
        var accounts: Set<Int> = []
        for (k, op) in ops.enumerated() {
            var answer: JSONValue = .null
            switch op {
            case .customer(let p, let country, let via):
                var params: JSONObject = ["actor": platform, "partnerId": .string(partners[p]), "name": .string("C\(k)"),
                                          "email": .string("c\(k)@c.example"), "country": .string(countries[country])]
                if via { params["resellerId"] = .string(resellers[p]) }
                answer = try t.call("customer.create", .object(params))
                if let id = answer["result"]?["id"]?.stringValue { customers.append(id) }
            case .sale(let c, let kind, let amount, let currency, let n):
                answer = try t.call("sale.record", ["actor": platform, "customerId": .string(customers[c % customers.count]), "plan": "pro",
                                                    "kind": .string(["new", "renewal", "upgrade"][kind]),
                                                    "occurredAt": .string(Self.instant(n).rfc3339), "externalId": .string("s\(k)"),
                                                    "amount": ["amount": .integer(Int64(100 + amount * 37)), "currency": .string(currencies[currency])]])
                if let sale = answer["result"]?["sale"], let id = sale["id"]?.stringValue { sales.append((id, sale["amount"]!)) }
            case .refund(let n, let half):
                guard !sales.isEmpty else { continue }
                let sale = sales[n % sales.count]
                var p: JSONObject = ["actor": platform, "saleId": .string(sale.id), "reason": "refund"]
                if half { p["amount"] = ["amount": .integer(sale.amount["amount"]!.integerValue! / 3), "currency": sale.amount["currency"]!] }
                answer = try t.call("sale.refund", .object(p))
            case .subscription(let c, let yearly, let n):
                answer = try t.call("subscription.create", ["actor": platform, "customerId": .string(customers[c % customers.count]), "plan": "pro",
                                                            "interval": .string(yearly ? "year" : "month"),
                                                            "startAt": .string(Self.instant(n * 53).rfc3339)])
                if let id = answer["result"]?["subscription"]?["id"]?.stringValue { subscriptions.append(id) }
            case .cancel(let n):
                guard !subscriptions.isEmpty else { continue }
                answer = try t.call("subscription.cancel", ["actor": platform, "subscriptionId": .string(subscriptions[n % subscriptions.count]),
                                                            "atPeriodEnd": false])
            case .renew:
                answer = try t.call("subscription.renewDue", ["actor": platform])
            case .manual(let p, let amount):
                answer = try t.call("commission.create", ["actor": platform, "partnerId": .string(partners[p]), "reason": "adjust",
                                                          "amount": ["amount": .integer(Int64(amount == 0 ? 1 : amount)), "currency": "EUR"]])
            case .payout(let p, let complete):
                let owner: JSONValue = ["member": .string(owners[p])]
                if accounts.insert(p).inserted {
                    _ = try t.call("payout.account.set", ["actor": owner, "partnerId": .string(partners[p]), "method": "stripe",
                                                          "destination": "acct_1A2b3C4d5E6f7G8h"])
                }
                answer = try t.call("payout.create", ["actor": owner, "partnerId": .string(partners[p]), "currency": "EUR"])
                if complete, let id = answer["result"]?["id"]?.stringValue {
                    _ = try t.call("payout.process", ["actor": platform, "payoutId": .string(id)])
                    answer = try t.call("payout.complete", ["actor": platform, "payoutId": .string(id), "providerReference": .string("tr_\(k)")])
                }
            }
            #expect(answer["error"]?["code"] != -32603, "\(op): \(answer)")
        }
        let ledger = try Ledger(t.engine.database)
        for q in questions {
            // Instants (read from the ledger), whole days (dates, as a dashboard asks: read from
            // the running totals, by year, month and day), or whole calendar months or a whole
            // year (one block of the totals, or a few).
            let kind = q[1] % 3, whole = kind != 0
            var first = Self.instant(q[0] * 37), to = first.adding(days: Int64(1 + q[2] % 400))
            if kind == 1 {
                first = Self.instant(q[0] * 1_440).startOfDay
                to = first.adding(days: Int64(1 + q[2] % 400))
            } else if kind == 2 {
                let anchor = Self.instant(q[0] * 1_440), year = Int(anchor.rfc3339.prefix(4))!
                if q[2] % 2 == 0 {
                    (first, to) = (Timestamp(dateOrDateTime: "\(year)-01-01")!, Timestamp(dateOrDateTime: "\(year + 1)-01-01")!)
                } else {
                    first = anchor.startOfMonth
                    to = first
                    for _ in 0...(q[2] % 5) { to = to.startOfNextMonth }
                }
            }
            let range = whole ? TimeRange(first: first, last: to.adding(milliseconds: -1)) : TimeRange(from: first, to: to)
            let fromText: JSONValue = .string(whole ? String(first.rfc3339.prefix(10)) : first.rfc3339)
            let toText: JSONValue = .string(whole ? String(to.adding(days: -1).rfc3339.prefix(10)) : to.rfc3339)
            let granularity = ["day", "week", "month"][q[3] % 3]
            let partner = partners[q[4] % partners.count]
            let currency: String? = q[4] % 4 == 3 ? nil : currencies[q[4] % 3]
            var params: JSONObject = ["actor": platform, "partnerId": .string(partner), "from": fromText, "to": toText,
                                      "granularity": .string(granularity)]
            if let currency { params["currency"] = .string(currency) }
            let answer = try t.call("analytics.partner", .object(params))
            guard let result = answer["result"] else { Issue.record("analytics.partner: \(answer)"); return }
            ledger.checkPartner(result, partner: partner, range: range, granularity: granularity, currency: currency)

            let by = ["revenue", "commissions", "customers", "growth"][q[0] % 4]
            let rankCurrency = currencies[q[1] % 3]
            var top: JSONObject = ["actor": platform, "from": fromText, "to": toText, "by": .string(by),
                                   "currency": .string(rankCurrency), "limit": .integer(Int64(1 + q[2] % 3))]
            let region: String? = q[3] % 3 == 0 ? "eu" : nil, tier: String? = q[3] % 5 == 0 ? "gold" : nil
            if let region { top["region"] = .string(region) }
            if let tier { top["tier"] = .string(tier) }
            ledger.checkRanking(try t.call("analytics.topPartners", .object(top)), group: nil, region: region, tier: tier,
                                range: range, by: by, currency: rankCurrency, limit: 1 + q[2] % 3)
            let answerResellers = try t.call("analytics.resellers", ["actor": platform, "partnerId": .string(partner), "from": fromText,
                                                                     "to": toText, "by": .string(by), "currency": .string(rankCurrency)])
            ledger.checkRanking(answerResellers, group: partner, region: nil, tier: nil, range: range, by: by,
                                currency: rankCurrency, limit: 10)

            var regions: JSONObject = ["actor": platform, "from": fromText, "to": toText]
            let scoped = q[0] % 2 == 0 ? partner : nil
            if let scoped { regions["partnerId"] = .string(scoped) }
            if let currency { regions["currency"] = .string(currency) }
            ledger.checkRegions(try t.call("analytics.regions", .object(regions)), partner: scoped, range: range,
                                currency: currency)
        }
        ledger.checkOverview(try t.call("analytics.overview", ["actor": platform]))
        // The running totals the whole-day answers read are the ledger's own sums.
        #expect(try t.engine.database.writer.read { try RunningTotals.mismatch($0) } == nil)
    }
}

/// The ledger's rows as they are stored, and the figures summed from them one at a time.
struct Ledger {
    struct Sale { var partnerId: String; var resellerId: String?; var customerId: String; var kind: String; var amount: Int64
        var refunded: Int64; var currency: String; var at: Int64 }
    struct Commission { var partnerId: String; var resellerId: String?; var amount: Int64; var currency: String; var status: String
        var at: Int64; var payableAt: Int64 }
    struct Subscription { var partnerId: String; var currency: String; var yearly: Bool; var amount: Int64; var start: Int64; var end: Int64? }
    struct Customer { var partnerId: String; var country: String; var at: Int64 }
    struct Partner { var id: String; var region: String; var tier: String; var status: String }

    var sales: [Sale] = []
    var commissions: [Commission] = []
    var subscriptions: [Subscription] = []
    var customers: [String: Customer] = [:]
    var partners: [String: Partner] = [:]
    var payouts: [(currency: String, status: String, amount: Int64)] = []

    static func ms(_ text: String) -> Int64 { Timestamp(rfc3339: text)!.millisecondsSinceEpoch }
    static func ms(_ text: String?) -> Int64? { text.map { ms($0) } }

    init(_ store: SQLiteStore) throws {
        try store.writer.read { db in
            for r in try Row.fetchAll(db, sql: """
                SELECT s.*, p.id AS partnerId, r.id AS resellerId, c.id AS customerId FROM sale s JOIN partner p ON p.seq = s.partnerSeq
                    JOIN customer c ON c.seq = s.customerSeq LEFT JOIN reseller r ON r.seq = s.resellerSeq
                """) {
                sales.append(Sale(partnerId: r["partnerId"], resellerId: r["resellerId"], customerId: r["customerId"], kind: r["kind"],
                                  amount: r["amount"], refunded: r["refunded"], currency: r["currency"], at: r["occurredAt"]))  // the ledger's instants are milliseconds
            }
            for r in try Row.fetchAll(db, sql: """
                SELECT c.*, p.id AS partnerId, r.id AS resellerId FROM commission c JOIN partner p ON p.seq = c.partnerSeq
                    LEFT JOIN reseller r ON r.seq = c.resellerSeq
                """) {
                commissions.append(Commission(partnerId: r["partnerId"], resellerId: r["resellerId"], amount: r["amount"], currency: r["currency"],
                                              status: r["status"], at: r["occurredAt"], payableAt: r["payableAt"]))
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM subscription") {
                subscriptions.append(Subscription(partnerId: r["partnerId"], currency: r["currency"], yearly: (r["interval"] as String) == "year",
                                                  amount: r["amount"], start: Self.ms(r["startAt"] as String), end: Self.ms(r["endedAt"] as String?)))
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM customer") {
                customers[r["id"]] = Customer(partnerId: r["partnerId"], country: r["country"], at: Self.ms(r["createdAt"] as String))
            }
            for r in try Row.fetchAll(db, sql: "SELECT * FROM partner") {
                partners[r["id"]] = Partner(id: r["id"], region: r["region"], tier: r["tier"], status: r["status"])
            }
            for r in try Row.fetchAll(db, sql: "SELECT currency, status, amount FROM payout") {
                payouts.append((r["currency"], r["status"], r["amount"]))
            }
        }
    }

    /// Half to even, by comparing twice the remainder with the divisor.
    static func divide(_ n: Int64, _ d: Int64) -> Int64? {
        guard d != 0 else { return nil }
        let sign: Int64 = (n < 0) != (d < 0) ? -1 : 1
        let (a, b) = (abs(n), abs(d))
        var q = a / b
        let twice = 2 * (a % b)
        if twice > b || (twice == b && q % 2 == 1) { q += 1 }
        return sign * q
    }

    static func bps(_ part: Int64, _ whole: Int64) -> Int64? { divide(part * 10_000, whole) }

    func json(_ v: Int64?) -> JSONValue { v.map { .integer($0) } ?? .null }

    /// One currency's figures of a partner over [first, last].
    func figures(_ partner: String, _ currency: String, _ first: Int64, _ last: Int64) -> [String: JSONValue] {
        var f: [String: Int64] = ["salesCount": 0, "revenue": 0, "newRevenue": 0, "renewalRevenue": 0, "upgradeRevenue": 0, "usageRevenue": 0,
                                  "refunds": 0, "commissionsEarned": 0, "commissionsPaid": 0, "activeSubscriptions": 0, "churnedSubscriptions": 0]
        for s in sales where s.partnerId == partner && s.currency == currency && s.at >= first && s.at <= last {
            f["salesCount"]! += 1; f["revenue"]! += s.amount; f[s.kind + "Revenue"]! += s.amount; f["refunds"]! += s.refunded
        }
        for c in commissions where c.partnerId == partner && c.currency == currency && c.at >= first && c.at <= last
            && c.status != "cancelled" && c.status != "reversed"
        {
            f["commissionsEarned"]! += c.amount
            if c.status == "paid" { f["commissionsPaid"]! += c.amount }
        }
        var monthly: Int64 = 0, yearly: Int64 = 0
        for s in subscriptions where s.partnerId == partner && s.currency == currency {
            if s.start <= last && (s.end == nil || s.end! > last) {
                f["activeSubscriptions"]! += 1
                if s.yearly { yearly += s.amount } else { monthly += s.amount }
            }
            if let e = s.end, e >= first, e <= last { f["churnedSubscriptions"]! += 1 }
        }
        var out = f.mapValues { JSONValue.integer($0) }
        out["netRevenue"] = .integer(f["revenue"]! - f["refunds"]!)
        out["averageOrderValue"] = .integer(Self.divide(f["revenue"]!, f["salesCount"]!) ?? 0)
        out["mrr"] = .integer(monthly + Self.divide(yearly, 12)!)
        out["currency"] = .string(currency)
        return out
    }

    func net(_ partner: String, _ currency: String, _ first: Int64, _ last: Int64) -> Int64 {
        sales.filter { $0.partnerId == partner && $0.currency == currency && $0.at >= first && $0.at <= last }.reduce(0) { $0 + $1.amount - $1.refunded }
    }

    func checkPartner(_ result: JSONValue, partner: String, range: TimeRange, granularity: String, currency: String?) {
        let first = range.first.millisecondsSinceEpoch, last = range.last.millisecondsSinceEpoch
        let length = last - first + 1
        let (pf, pl) = (first - length, first - 1)
        // Which currencies: asked, or any with figures in the range (sales also in the previous one).
        var expectedCurrencies: Set<String> = []
        if let currency { expectedCurrencies = [currency] } else {
            for s in sales where s.partnerId == partner && s.at >= pf && s.at <= last { expectedCurrencies.insert(s.currency) }
            for c in commissions where c.partnerId == partner && c.at >= first && c.at <= last && c.status != "cancelled" && c.status != "reversed" {
                expectedCurrencies.insert(c.currency)
            }
            for s in subscriptions where s.partnerId == partner && s.start <= last && (s.end == nil || s.end! >= first) {
                expectedCurrencies.insert(s.currency)
            }
        }
        let currencies = expectedCurrencies.sorted()
        // The periods: contiguous, covering the range, labelled as an ISO calendar labels them.
        let periods = result["periods"]!.arrayValue!
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var expectedStart = first
        for p in periods {
            let from = Self.ms(p["from"]!.stringValue!), to = Self.ms(p["to"]!.stringValue!)
            #expect(from == expectedStart)
            expectedStart = to
            let date = Date(timeIntervalSince1970: TimeInterval(from / 1000))
            let c = calendar.dateComponents([.year, .month, .day, .yearForWeekOfYear, .weekOfYear], from: date)
            let label: String
            switch granularity {
            case "day": label = String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
            case "week": label = String(format: "%04d-W%02d", c.yearForWeekOfYear!, c.weekOfYear!)
            default: label = String(format: "%04d-%02d", c.year!, c.month!)
            }
            #expect(p["period"]?.stringValue == label)
            let rows = p["currencies"]!.arrayValue!
            #expect(rows.map { $0["currency"]!.stringValue! } == currencies, "\(p["period"]!)")
            for row in rows {
                let expected = figures(partner, row["currency"]!.stringValue!, from, to - 1)
                #expect(row.objectValue.map { Dictionary(uniqueKeysWithValues: $0.members.map { ($0.key, $0.value) }) } == expected,
                        "\(partner) \(p["period"]!)")
            }
            let newCustomers = customers.values.filter { $0.partnerId == partner && $0.at >= from && $0.at < to }.count
            #expect(p["newCustomers"]?.integerValue == Int64(newCustomers))
        }
        #expect(expectedStart == last + 1)
        let kpis = result["kpis"]!.arrayValue!
        #expect(kpis.map { $0["currency"]!.stringValue! } == currencies)
        for k in kpis {
            let c = k["currency"]!.stringValue!
            var expected = figures(partner, c, first, last)
            let previous = net(partner, c, pf, pl)
            expected["previousNetRevenue"] = .integer(previous)
            let current = expected["netRevenue"]!.integerValue!
            expected["growthBasisPoints"] = previous > 0 ? json(Self.bps(current - previous, previous)) : .null
            let atStart = subscriptions.filter { $0.partnerId == partner && $0.currency == c && $0.start < first && ($0.end == nil || $0.end! >= first) }
            expected["subscriptionsAtStart"] = .integer(Int64(atStart.count))
            expected["churnRateBasisPoints"] = json(Self.bps(Int64(atStart.filter { $0.end != nil && $0.end! <= last }.count), Int64(atStart.count)))
            var before: [String: Int64] = [:], after: [String: Int64] = [:]
            for s in sales where s.partnerId == partner && s.currency == c {
                if s.at >= pf && s.at <= pl { before[s.customerId, default: 0] += s.amount - s.refunded }
                if s.at >= first && s.at <= last { after[s.customerId, default: 0] += s.amount - s.refunded }
            }
            let cohort = before.filter { $0.value > 0 }
            expected["retainedCustomers"] = .integer(Int64(cohort.count))
            expected["netRevenueRetentionBasisPoints"] = json(Self.bps(cohort.keys.reduce(0) { $0 + (after[$1] ?? 0) }, cohort.values.reduce(0, +)))
            #expect(k.objectValue.map { Dictionary(uniqueKeysWithValues: $0.members.map { ($0.key, $0.value) }) } == expected, "\(partner) KPIs in \(c)")
        }
    }

    /// A ranking of partners (group nil) or of one partner's resellers.
    func checkRanking(_ answer: JSONValue, group: String?, region: String?, tier: String?, range: TimeRange, by: String, currency: String, limit: Int) {
        guard let items = answer["result"]?["items"]?.arrayValue else { Issue.record("ranking: \(answer)"); return }
        let first = range.first.millisecondsSinceEpoch, last = range.last.millisecondsSinceEpoch
        let length = last - first + 1
        func key(_ resellerId: String?, _ partnerId: String) -> String? {
            if let group { return partnerId == group ? resellerId : nil }
            let p = partners[partnerId]!
            if let region, p.region != region { return nil }
            if let tier, p.tier != tier { return nil }
            return partnerId
        }
        struct Figures { var count: Int64 = 0; var net: Int64 = 0; var customers: Set<String> = []; var commissions: Int64 = 0
            var hasCommissions = false; var previous: Int64 = 0; var sold = false; var soldBefore = false }
        var all: [String: Figures] = [:]
        for s in sales where s.currency == currency {
            guard let k = key(s.resellerId, s.partnerId) else { continue }
            if s.at >= first && s.at <= last {
                all[k, default: Figures()].count += 1; all[k]!.net += s.amount - s.refunded; all[k]!.customers.insert(s.customerId); all[k]!.sold = true
            }
            if s.at >= first - length && s.at < first { all[k, default: Figures()].previous += s.amount - s.refunded; all[k]!.soldBefore = true }
        }
        for c in commissions where c.currency == currency && c.at >= first && c.at <= last && c.status != "cancelled" && c.status != "reversed" {
            guard let k = key(c.resellerId, c.partnerId) else { continue }
            all[k, default: Figures()].commissions += c.amount; all[k]!.hasCommissions = true
        }
        func growth(_ f: Figures) -> Int64? { f.previous > 0 ? Self.bps(f.net - f.previous, f.previous) : nil }
        let ranked: [(String, Int64)] = all.compactMap { id, f in
            switch by {
            case "revenue": return f.sold ? (id, f.net) : nil
            case "customers": return f.sold ? (id, Int64(f.customers.count)) : nil
            case "commissions": return f.hasCommissions ? (id, f.commissions) : nil
            default: return f.previous > 0 ? (id, growth(f)!) : nil
            }
        }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        let expected = ranked.prefix(limit).map(\.0)
        let idKey = group == nil ? "partnerId" : "resellerId"
        #expect(items.map { $0[idKey]!.stringValue! } == expected, "\(by) in \(currency)")
        for item in items {
            let f = all[item[idKey]!.stringValue!] ?? Figures()
            #expect(item["revenue"]?.integerValue == f.net)
            #expect(item["salesCount"]?.integerValue == f.count)
            #expect(item["customers"]?.integerValue == Int64(f.customers.count))
            #expect(item["commissions"]?.integerValue == f.commissions)
            #expect(item["previousRevenue"]?.integerValue == f.previous)
            #expect(item["growthBasisPoints"] == json(growth(f)))
        }
    }

    func checkRegions(_ answer: JSONValue, partner: String?, range: TimeRange, currency: String?) {
        guard let regions = answer["result"]?["regions"]?.arrayValue else { Issue.record("regions: \(answer)"); return }
        let first = range.first.millisecondsSinceEpoch, last = range.last.millisecondsSinceEpoch
        // country -> currency -> (count, customers, amount, refunded)
        var byCountry: [String: [String: (Int64, Set<String>, Int64, Int64)]] = [:]
        for s in sales where (partner == nil || s.partnerId == partner) && (currency == nil || s.currency == currency) && s.at >= first && s.at <= last {
            let country = customers[s.customerId]!.country
            var v = byCountry[country, default: [:]][s.currency] ?? (0, [], 0, 0)
            v.0 += 1; v.1.insert(s.customerId); v.2 += s.amount; v.3 += s.refunded
            byCountry[country, default: [:]][s.currency] = v
        }
        var seen: [String: [String: JSONValue]] = [:]
        for r in regions {
            for c in r["countries"]!.arrayValue! {
                let country = c["country"]!.stringValue!
                #expect(AnalyticsPropertyTests.regionOf[country] == r["region"]!.stringValue!)
                for row in c["currencies"]!.arrayValue! { seen[country, default: [:]][row["currency"]!.stringValue!] = row }
            }
        }
        #expect(Set(seen.keys) == Set(byCountry.keys))
        for (country, rows) in byCountry {
            for (c, v) in rows {
                let row = seen[country]?[c]
                #expect(row?["salesCount"]?.integerValue == v.0)
                #expect(row?["customers"]?.integerValue == Int64(v.1.count))
                #expect(row?["revenue"]?.integerValue == v.2)
                #expect(row?["netRevenue"]?.integerValue == v.2 - v.3)
            }
            #expect(Set(seen[country]?.keys.map { $0 } ?? []) == Set(rows.keys))
        }
    }

    func checkOverview(_ answer: JSONValue) {
        guard let result = answer["result"] else { Issue.record("overview: \(answer)"); return }
        let now = Self.ms(result["asOf"]!.stringValue!)
        #expect(result["partners"]?["total"]?.integerValue == Int64(partners.count))
        for status in ["active", "frozen", "suspended"] {
            #expect(result["partners"]?["byStatus"]?[status]?.integerValue == Int64(partners.values.filter { $0.status == status }.count))
        }
        for tier in Set(partners.values.map(\.tier)) {
            #expect(result["partners"]?["byTier"]?[tier]?.integerValue == Int64(partners.values.filter { $0.tier == tier }.count))
        }
        let rows = result["currencies"]!.arrayValue!
        let currencies = Set(sales.map(\.currency) + commissions.map(\.currency) + payouts.map(\.currency))
        #expect(Set(rows.map { $0["currency"]!.stringValue! }) == currencies)
        for row in rows {
            let c = row["currency"]!.stringValue!
            #expect(row["netRevenue"]?.integerValue == sales.filter { $0.currency == c }.reduce(0) { $0 + $1.amount - $1.refunded })
            #expect(row["salesCount"]?.integerValue == Int64(sales.filter { $0.currency == c }.count))
            let mine = commissions.filter { $0.currency == c }
            let due = mine.filter { $0.status == "pending" && $0.payableAt <= now }.reduce(0) { $0 + $1.amount }
            let hold = mine.filter { $0.status == "pending" && $0.payableAt > now }.reduce(0) { $0 + $1.amount }
            #expect(row["commissionsDue"]?.integerValue == due, "\(c)")
            #expect(row["commissionsOnHold"]?.integerValue == hold, "\(c)")
            #expect(row["commissionsProcessing"]?.integerValue == mine.filter { $0.status == "processing" }.reduce(0) { $0 + $1.amount })
            #expect(row["commissionsPaid"]?.integerValue == mine.filter { $0.status == "paid" }.reduce(0) { $0 + $1.amount })
            let flight = payouts.filter { $0.currency == c && ($0.status == "created" || $0.status == "processing") }
            #expect(row["payoutsInFlight"]?.integerValue == Int64(flight.count))
            #expect(row["payoutsInFlightAmount"]?.integerValue == flight.reduce(0) { $0 + $1.amount })
        }
    }
}
