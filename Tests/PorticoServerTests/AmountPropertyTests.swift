import JSONRPC
import PropertyBased
import Testing
@testable import PorticoServer

/// Amounts near 2^53 through every sum: sales, refunds and manual adjustments of up to
/// 2^53 on a few days, then every report over several ranges. Writes either succeed or
/// answer -32010 `total_limit` (a day's running total would pass 2^53); reports answer
/// exactly the sums of the ledger, or -32010 `total_limit` when one of those sums is past
/// 2^53. Never -32603, never a crash.
@Suite struct AmountPropertyTests {
    static let limit = Int128(1) << 53
    static let amounts: [Int64] = [1, 2, 1 << 52, (1 << 53) - 1, 1 << 53, 999_999]
    static let days = ["2027-03-01", "2027-03-02", "2027-04-15"]

    enum Op {
        case sale(amount: Int, day: Int, viaReseller: Bool)
        case refund(sale: Int, half: Bool)
        case manual(amount: Int, negative: Bool)
    }

    static let op = Gen.int(in: 0...9).array(of: 4).map { r -> Op in
        switch r[0] {
        case 0...5: return .sale(amount: r[1] % amounts.count, day: r[2] % days.count, viaReseller: r[3] % 2 == 0)
        case 6...7: return .refund(sale: r[1], half: r[2] % 2 == 0)
        default: return .manual(amount: r[1] % amounts.count, negative: r[2] % 2 == 0)
        }
    }

    @Test func everyTotalIsExactOrALimitError() async throws {
        await propertyCheck(count: 25, input: Self.op.array(of: 3...14)) { ops in
            do { try Self.check(ops) } catch { Issue.record("\(error)") }
        }
    }

    static func check(_ ops: [Op]) throws {
        let t = try TestEngine()
        var id = 1
        func call(_ method: String, _ params: JSONValue) throws -> JSONValue {
            id += 1
            let answer = try t.call(method, params, id: id)
            #expect(answer["error"]?["code"] != -32603, "\(method): \(answer)")
            return answer
        }
        let partner = try call("partner.create", createParams("acme"))["result"]!["id"]!
        let reseller = try call("reseller.create", ["actor": platform, "partnerId": partner, "name": "R", "email": "r@r.example",
                                                    "region": "us", "commissionRate": "40"])["result"]!["id"]!
        var customers: [JSONValue] = []
        for (k, via) in [false, true].enumerated() {
            var p: JSONObject = ["actor": platform, "partnerId": partner, "name": "C", "email": .string("c\(k)@c.example"), "country": "US"]
            if via { p["resellerId"] = reseller }
            customers.append(try call("customer.create", .object(p))["result"]!["id"]!)
        }
        // The sales as recorded: (id, day, amount, refunded).
        var sales: [(id: JSONValue, day: String, amount: Int128, refunded: Int128)] = []
        for (k, op) in ops.enumerated() {
            switch op {
            case .sale(let a, let d, let via):
                let answer = try call("sale.record", ["actor": platform, "customerId": customers[via ? 1 : 0], "plan": "pro",
                                                      "kind": k % 2 == 0 ? "new" : "renewal", "occurredAt": .string(days[d] + "T12:00:00Z"),
                                                      "externalId": .string("x\(k)"), "amount": ["amount": .integer(amounts[a]), "currency": "USD"]])
                if let sale = answer["result"]?["sale"] {
                    sales.append((sale["id"]!, days[d], Int128(amounts[a]), 0))
                } else {
                    #expect(answer["error"]?["data"]?["state"] == "total_limit", "\(answer)")
                }
            case .refund(let s, let half):
                guard !sales.isEmpty else { continue }
                let i = s % sales.count
                let left = sales[i].amount - sales[i].refunded
                guard left > 0 else { continue }
                let amount = half ? max(1, left / 2) : left
                let answer = try call("sale.refund", ["actor": platform, "saleId": sales[i].id, "reason": "r",
                                                      "amount": ["amount": .integer(Int64(amount)), "currency": "USD"]])
                if answer["result"] != nil { sales[i].refunded += amount } else {
                    #expect(answer["error"]?["data"]?["state"] == "total_limit", "\(answer)")
                }
            case .manual(let a, let negative):
                let answer = try call("commission.create", ["actor": platform, "partnerId": partner, "reason": "m",
                                                            "amount": ["amount": .integer(negative ? -amounts[a] : amounts[a]), "currency": "USD"]])
                if answer["result"] == nil { #expect(answer["error"]?["data"]?["state"] == "total_limit", "\(answer)") }
            }
        }
        // The ledger itself, page by page.
        var entries: [(status: String, amount: Int128, occurredAt: String)] = []
        var cursor: JSONValue = .null
        repeat {
            let page = try call("commission.list", ["actor": platform, "partnerId": partner, "limit": 1000, "cursor": cursor])["result"]!
            for c in page["items"]!.arrayValue! {
                entries.append((c["status"]!.stringValue!, Int128(c["amount"]!["amount"]!.integerValue!), c["occurredAt"]!.stringValue!))
            }
            cursor = page["nextCursor"]!
        } while cursor != .null

        let ranges: [(JSONValue, JSONValue)] = [(.null, .null), ("2027-03-01", "2027-03-02"), ("2027-03-01T13:00:00Z", "2027-04-16"),
                                                ("2027-03-02T12:00:00Z", "2027-03-02T12:00:00Z")]
        for (from, to) in ranges {
            var params: JSONObject = ["actor": platform, "partnerId": partner]
            if from != .null { params["from"] = from; params["to"] = to }
            let first = from.stringValue.map { $0.count == 10 ? $0 + "T00:00:00.000Z" : $0.replacingOccurrences(of: "Z", with: ".000Z") } ?? ""
            let end = to.stringValue.map { $0.count == 10 ? $0 + "T99" : $0.replacingOccurrences(of: "Z", with: ".000Z") } ?? "X"
            func inRange(_ at: String) -> Bool { at >= first && at < end }
            let sold = sales.filter { inRange($0.day + "T12:00:00.000Z") }.reduce(Int128(0)) { $0 + $1.amount - $1.refunded }
            var byStatus: [String: Int128] = [:]
            for e in entries where inRange(e.occurredAt) { byStatus[e.status, default: 0] += e.amount }
            let earned = ["pending", "payable", "processing", "paid"].reduce(Int128(0)) { $0 + (byStatus[$1] ?? 0) }
            let any = !sales.filter { inRange($0.day + "T12:00:00.000Z") }.isEmpty || entries.contains { inRange($0.occurredAt) }

            let dashboard = try call("partner.dashboard", .object(params))
            let figures = [sold, earned, sold - earned] + byStatus.values
            if figures.contains(where: { $0 > limit || $0 < -limit }) {
                #expect(dashboard["error"]?["data"]?["state"] == "total_limit", "\(from)-\(to): \(dashboard)")
            } else if any {
                let row = dashboard["result"]?["currencies"]?.arrayValue?.first
                func figure(_ name: String) -> Int128? { row?[name]?.integerValue.map { Int128($0) } }
                #expect(figure("sales") == sold, "\(from)-\(to): \(dashboard)")
                #expect(figure("earned") == earned, "\(from)-\(to): \(dashboard)")
                #expect(figure("profit") == sold - earned)
                for (status, total) in byStatus { #expect(figure(status) == total, "\(status)") }
            }
            let summary = try call("commission.summary", .object(params))
            if byStatus.values.contains(where: { $0 > limit || $0 < -limit }) || earned > limit || earned < -limit {
                #expect(summary["error"]?["data"]?["state"] == "total_limit", "\(summary)")
            } else {
                #expect(summary["result"] != nil, "\(summary)")
            }
            if from != .null {
                for period in ["daily", "monthly"] {
                    var p = params
                    p["period"] = .string(period)
                    let report = try call("partner.report", .object(p))
                    #expect(report["result"] != nil || report["error"]?["data"]?["state"] == "total_limit", "\(report)")
                }
            }
            var r: JSONObject = ["actor": platform, "resellerId": reseller]
            if from != .null { r["from"] = from; r["to"] = to }
            let resellerReport = try call("reseller.report", .object(r))
            #expect(resellerReport["result"] != nil || resellerReport["error"]?["data"]?["state"] == "total_limit", "\(resellerReport)")
        }
        #expect(try call("audit.verify", ["actor": platform])["result"]?["ok"] == true)
    }
}
