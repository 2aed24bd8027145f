import GRDB
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
