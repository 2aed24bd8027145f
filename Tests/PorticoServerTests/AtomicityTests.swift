import GRDB
import PorticoCore
import PorticoStore
import JSONRPC
import Testing
@testable import PorticoServer

@Suite struct AtomicityTests {
    @Test func aFailingRequestInAGroupRollsBackOnlyItselfAndEveryoneIsAnswered() throws {
        let t = try TestEngine()
        let answers = try t.send([
            request("partner.create", createParams("one"), id: 1),
            request("partner.create", createParams("one"), id: 2),  // conflict
            request("partner.create", createParams("two", email: "not-an-email"), id: 3),  // invalid after nothing written
            request("partner.create", createParams("three"), id: 4),
        ])
        #expect(answers.map { $0["result"] != nil } == [true, false, false, true])
        #expect(answers[1].errorCode == -32009)
        #expect(answers[2].errorCode == -32602)
        #expect(answers[2].errorField == "owner.email")
        #expect(try t.count("partner") == 2)
        #expect(try t.count("member") == 2)
        #expect(try t.count("audit") == 2)
        let verify = try t.call("audit.verify", ["actor": platform])
        #expect(verify["result"]?["ok"] == true)
        #expect(verify["result"]?["checked"] == 2)
    }

    /// A request that fails after it has written (here: its partner row is in, then a
    /// trigger refuses its owner) leaves nothing behind, and the others in its group stand.
    @Test func aRequestFailingAfterItWroteLeavesNothingAndTheGroupStands() throws {
        let t = try TestEngine()
        try t.engine.database.writer.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_boom AFTER INSERT ON member WHEN NEW.email = 'boom@two.example'
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
        }
        let answers = try t.send([
            request("partner.create", createParams("one"), id: 1),
            request("partner.create", createParams("two", email: "boom@two.example"), id: 2),
            request("partner.getBySubdomain", ["actor": platform, "subdomain": "two"], id: 3),
            request("partner.create", createParams("three"), id: 4),
        ])
        #expect(answers.map { $0["result"] != nil } == [true, false, false, true])
        #expect(answers[1].errorCode == -32603)
        #expect(answers[2].errorCode == -32004)
        #expect(try t.count("partner") == 2)
        #expect(try t.count("member") == 2)
        #expect(try t.count("audit") == 2)
        let verify = try t.call("audit.verify", ["actor": platform])
        #expect(verify["result"]?["ok"] == true)
    }

    /// A partner's year total is summed in once at the group's end: when that would pass
    /// its bound, the group runs again with each request folding its own changes, so only
    /// the sale that passes it is refused (naming the total), and the rest of the group —
    /// another partner's sale, a ranking read after it — stands.
    @Test func aTotalPastItsBoundAtTheGroupsEndRefusesOnlyTheRequestThatPassesIt() throws {
        let t = try TestEngine()
        var partners: [JSONValue] = [], customers: [JSONValue] = []
        for name in ["one", "two"] {
            let partner = try t.call("partner.create", createParams(name))["result"]!["id"]!
            partners.append(partner)
            customers.append(try t.call("customer.create", ["actor": platform, "partnerId": partner, "name": "C",
                                                            "email": .string("c@\(name).example"), "country": "US"])["result"]!["id"]!)
        }
        try t.engine.database.writer.write { db in
            try db.execute(sql: "INSERT INTO period_total VALUES ('y', 'USD', '2026', (SELECT seq FROM partner WHERE id = ?), 1, ?, 0, 0, 0)",
                           arguments: [partners[0].stringValue!, PeriodTotals.bound - 1000])
        }
        func sale(_ k: Int, _ amount: Int64, id: Int) -> String {
            request("sale.record", ["actor": platform, "customerId": customers[k], "plan": "pro", "kind": "new",
                                    "occurredAt": "2026-03-01T10:00:00Z", "externalId": .string("x\(id)"),
                                    "amount": ["amount": .integer(amount), "currency": "USD"]], id: id)
        }
        let answers = try t.send([
            sale(1, 5000, id: 1),
            sale(0, 5000, id: 2),  // one's year would pass 2^62
            sale(0, 500, id: 3),   // within it
            // Read in the same transaction: the sales before it are summed in first.
            request("analytics.regions", ["actor": platform, "from": "2026-01-01", "to": "2026-12-31", "currency": "USD"], id: 4),
        ])
        #expect(answers.map { $0["result"] != nil } == [true, false, true, true])
        #expect(answers[1].errorCode == -32010)
        #expect(answers[1]["error"]?["data"]?["reason"] == .string(PeriodTotals.what))
        let us = answers[3]["result"]?["regions"]?.arrayValue?.first?["currencies"]?.arrayValue?.first
        #expect(us?["salesCount"] == 2 && us?["revenue"] == 5500, "\(answers[3])")
        #expect(try t.count("sale") == 2)
        let (year, logged) = try t.engine.database.writer.read { db in
            (try Int64.fetchOne(db, sql: "SELECT amount FROM period_total WHERE level = 'y' AND partnerSeq = (SELECT seq FROM partner WHERE id = ?)", arguments: [partners[0].stringValue!]),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM period_delta"))
        }
        #expect(year == PeriodTotals.bound - 500 && logged == 0)
    }

    /// When the database fills up mid-group, whatever SQLite does with the transaction, an
    /// answered result is a stored row and an error stored nothing.
    @Test func aFullDatabaseAnswersOnlyWhatWasStored() throws {
        let t = try TestEngine()
        try t.engine.database.writer.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)")
        }
        let answers = try t.send((1...40).map { request("partner.create", createParams("p\($0)"), id: $0) })
        let stored = try t.count("partner")
        #expect(answers.count == 40)
        #expect(answers.filter { $0["result"] != nil }.count == stored)
        #expect(answers.contains { $0["error"] != nil })
        try t.engine.database.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1000000") }
        let verify = try t.call("audit.verify", ["actor": platform])
        #expect(verify["result"]?["ok"] == true)
        #expect(verify["result"]?["checked"]?.integerValue == Int64(stored))
    }

    @Test func anOwnershipTransferWritesBothMembersOrNeither() throws {
        let t = try TestEngine()
        let created = try t.call("partner.create", createParams("acme"))
        let partnerId = created["result"]!["id"]!
        let added = try t.call("partner.members.add", ["actor": platform, "partnerId": partnerId, "email": "m@acme.example",
                                                       "name": "M", "role": "manager"])
        let memberId = added["result"]!["id"]!
        let transfer = try t.call("partner.members.updateRole", ["actor": platform, "memberId": memberId, "role": "owner"])
        #expect(transfer["result"]?["role"] == "owner")
        #expect(transfer["result"]?["previousOwner"]?["role"] == "manager")
        let list = try t.call("partner.members.list", ["actor": platform, "partnerId": partnerId, "role": "owner"])
        #expect(list["result"]?["items"]?.arrayValue?.count == 1)
    }
}
