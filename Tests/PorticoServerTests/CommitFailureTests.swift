import GRDB
import PorticoStore
import JSONRPC
import Testing
@testable import PorticoServer

/// Refuses every commit, as a full disk or an I/O error would.
final class RefuseCommits: TransactionObserver, @unchecked Sendable {
    struct Refused: Error {}
    func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
    func databaseDidChange(with event: DatabaseEvent) {}
    func databaseWillCommit() throws { throw Refused() }
    func databaseDidCommit(_ db: Database) {}
    func databaseDidRollback(_ db: Database) {}
}

@Suite struct CommitFailureTests {
    @Test func whenTheCommitFailsNoWriteIsAnsweredAsDoneAndNoLaterReadLeaksIt() throws {
        let t = try TestEngine()
        let observer = RefuseCommits()
        t.engine.database.writer.add(transactionObserver: observer)
        let answers = try t.send([
            request("partner.list", ["actor": platform], id: 1),
            request("partner.create", createParams("doomed"), id: 2),
            request("partner.getBySubdomain", ["actor": platform, "subdomain": "doomed"], id: 3),
        ])
        #expect(answers[0]["result"] != nil)
        #expect(answers[1].errorCode == -32603)
        #expect(answers[2].errorCode == -32603)
        #expect(answers[1]["error"]?["data"]?["requestId"] == 2)
        t.engine.database.writer.remove(transactionObserver: observer)
        #expect(try t.count("partner") == 0)
        #expect(try t.count("audit") == 0)
        // The engine goes on once the store works again.
        #expect(try t.call("partner.create", createParams("doomed"))["result"] != nil)
    }
}
