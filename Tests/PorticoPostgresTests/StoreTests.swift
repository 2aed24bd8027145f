import Foundation
import PorticoCore
@testable import PorticoPostgres
import Testing

@Suite(.enabled(if: TestCluster.available, "needs PORTICO_TEST_POSTGRES (scripts/pg-cluster start DIR)"))
struct StoreTests {
    static let t0 = Timestamp(rfc3339: "2026-01-01T00:00:00.000Z")!

    static func partner(_ n: Int, subdomain: String? = nil) -> PartnerRecord {
        PartnerRecord(id: "ptr_\(n)", name: "P\(n)", subdomain: subdomain ?? "p\(n)", region: "eu", tier: "gold", status: .active,
                      statusReason: nil, createdAt: t0, updatedAt: t0)
    }

    static func audit(_ id: String, partner: String?) -> AuditEntry {
        AuditEntry(id: id, at: t0.rfc3339, requestId: "r", actor: "platform:ops", action: "partner.create", targetType: "partner",
                   targetId: id, partnerId: partner, before: nil, after: ["id": .string(id), "n": 1])
    }

    @Test func migratingTwiceAppliesEachMigrationOnceAndNamesTheSchemaAsSQLiteDoes() throws {
        try TestCluster.withDatabase { url in
            let a = try PostgresStore(url: url)
            _ = try PostgresStore(url: url)
            #expect(try a.schemaVersion() == PostgresSchema.migrations.last!.identifier)
            #expect(try PGConnection(url: url).query("SELECT count(*) FROM portico_migration").int(0, 0) == Int64(PostgresSchema.migrations.count))
        }
    }

    @Test func enginesStartingTogetherMigrateOnce() throws {
        try TestCluster.withDatabase { url in
            let errors = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { _ in
                do { _ = try PostgresStore(url: url) } catch { errors.withLock { $0.append("\(error)") } }
            }
            #expect(errors.withLock { $0 } == [])
        }
    }

    @Test func aDatabaseFromANewerEngineIsRefused() throws {
        try TestCluster.withDatabase { url in
            _ = try PostgresStore(url: url)
            try PGConnection(url: url).query("INSERT INTO portico_migration (identifier) VALUES ($1)", [.text("9999-from-the-future")])
            let e = #expect(throws: PGError.self) { try PostgresStore(url: url) }
            #expect(e?.message.contains("newer engine") == true)
        }
    }

    @Test func aFailedRequestLeavesNothingAndTheOthersStand() throws {
        try TestCluster.withDatabase { url in
            let store = try PostgresStore(url: url)
            var restarts = 0
            var outcomes: [Bool] = []
            try store.run([.write, .write, .write], restart: { restarts += 1; outcomes = [] }) { i, t in
                do {
                    var p = Self.partner(i, subdomain: i == 1 ? "p0" : nil)   // the second takes the first's subdomain
                    try t.insert(&p)
                    _ = try t.append(Self.audit(p.id, partner: p.id))
                    outcomes.append(true)
                    return true
                } catch {
                    #expect((error as? PorticoError).map { "\($0)" }?.contains("subdomain") == true)
                    outcomes.append(false)
                    return false
                }
            }
            #expect(restarts == 1)
            #expect(outcomes == [true, false, true])
            try store.write { t throws in
                #expect(try t.partners(status: nil, region: nil, onlyID: nil, afterSeq: 0, limit: 10).map(\.id) == ["ptr_0", "ptr_2"])
                // The failed request's number was not spent: the next partner is the third.
                #expect(try t.partner(id: "ptr_2")?.seq == 2)
                #expect(try AuditVerification.verify(t).ok)
                #expect(try t.auditHead().seq == 2)
            }
        }
    }

    @Test func eachUniqueKeyIsAConflictOnItsField() throws {
        try TestCluster.withDatabase { url in
            let store = try PostgresStore(url: url)
            let t0 = Self.t0
            func conflict(_ body: (PostgresTransaction) throws -> Void) throws -> String? {
                var field: String?
                try store.run([.write], restart: {}) { _, t in
                    do { try body(t) } catch let e as PorticoError { field = e.data["field"]?.stringValue } catch { field = "\(error)" }
                    return field == nil
                }
                return field
            }
            #expect(try conflict { t in var p = Self.partner(1); try t.insert(&p) } == nil)
            #expect(try conflict { t in var p = Self.partner(2, subdomain: "p1"); try t.insert(&p) } == "subdomain")
            let member = { (id: String, email: String, role: MemberRole) in
                MemberRecord(id: id, partnerId: "ptr_1", email: email, name: "M", role: role, status: .active, createdAt: t0, updatedAt: t0)
            }
            #expect(try conflict { t in var m = member("mem_1", "a@x.example", .owner); try t.insert(&m) } == nil)
            #expect(try conflict { t in var m = member("mem_2", "a@x.example", .viewer); try t.insert(&m) } == "email")
            #expect(try conflict { t in var m = member("mem_3", "b@x.example", .owner); try t.insert(&m) } == "role")
            let reseller = { (id: String) in
                ResellerRecord(id: id, partnerId: "ptr_1", name: "R", email: "r@x.example", region: "eu", commissionRate: "12.5",
                               createdAt: t0, updatedAt: t0)
            }
            #expect(try conflict { t in var r = reseller("rsl_1"); try t.insert(&r) } == nil)
            #expect(try conflict { t in var r = reseller("rsl_2"); try t.insert(&r) } == "email")
            let customer = { (id: String) in
                CustomerRecord(id: id, partnerId: "ptr_1", resellerId: "rsl_1", name: "C", email: "c@x.example", country: "DE",
                               createdAt: t0, updatedAt: t0)
            }
            #expect(try conflict { t in var c = customer("cus_1"); try t.insert(&c) } == nil)
            #expect(try conflict { t in var c = customer("cus_2"); try t.insert(&c) } == "email")
            let record = IdempotencyRecord(method: "partner.create", paramsHash: "h", result: "{}")
            #expect(try conflict { t in try t.insert(record, scope: "s", key: "k", createdAt: t0.rfc3339) } == nil)
            #expect(try conflict { t in try t.insert(record, scope: "s", key: "k", createdAt: t0.rfc3339) } == "idempotencyKey")
        }
    }

    @Test func recordsComeBackAsWritten() throws {
        try TestCluster.withDatabase { url in
            let store = try PostgresStore(url: url)
            let t1 = Timestamp(rfc3339: "2026-02-03T04:05:06.789Z")!
            try store.write { t throws in
                var p = PartnerRecord(id: "ptr_☃", name: "Zoë \u{1F600} ‮", subdomain: "zoe", region: "apac", tier: "silver", status: .frozen,
                                      statusReason: "it's; -- held", createdAt: Self.t0, updatedAt: t1)
                try t.insert(&p)
                #expect(try t.partner(id: p.id) == p)
                #expect(try t.partner(subdomain: "zoe") == p)
                var m = MemberRecord(id: "mem_1", partnerId: p.id, email: "o@z.example", name: "O", role: .owner, status: .removed,
                                     createdAt: Self.t0, updatedAt: t1, removedAt: t1)
                try t.insert(&m)
                #expect(try t.member(id: m.id) == m)
                #expect(try t.activeOwner(partnerId: p.id) == nil)
                #expect(try t.members(partnerId: p.id, role: nil, includeRemoved: true, afterSeq: 0, limit: -1) == [m])
                #expect(try t.members(partnerId: p.id, role: nil, includeRemoved: false, afterSeq: 0, limit: 10) == [])
                var r = ResellerRecord(id: "rsl_1", partnerId: p.id, name: "R", email: "r@z.example", region: "eu", commissionRate: nil,
                                       createdAt: Self.t0, updatedAt: t1)
                try t.insert(&r)
                #expect(try t.reseller(id: r.id) == r)
                #expect(try t.resellerEmailTaken(partnerId: p.id, email: r.email, except: nil))
                #expect(try !t.resellerEmailTaken(partnerId: p.id, email: r.email, except: r.id))
                var c = CustomerRecord(id: "cus_1", partnerId: p.id, resellerId: nil, name: "C", email: "c@z.example", country: "JP",
                                       createdAt: Self.t0, updatedAt: t1)
                try t.insert(&c)
                #expect(try t.customer(id: c.id) == c)
                #expect(try t.customerCount(partnerId: p.id, resellerId: nil) == 1)
                #expect(try t.customerCount(partnerId: p.id, resellerId: r.id) == 0)
            }
        }
    }

    @Test func fourEnginesAppendingAtOnceMakeOneChain() throws {
        try TestCluster.withDatabase { url in
            let stores = try (0..<4).map { _ in try PostgresStore(url: url) }
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { e in
                for g in 0..<25 {
                    do {
                        try stores[e].run([.write, .write], restart: {}) { i, t in
                            let id = "ptr_\(e)_\(g)_\(i)"
                            var p = Self.partner(0, subdomain: id)
                            p.id = id
                            do {
                                try t.insert(&p)
                                _ = try t.append(Self.audit(id, partner: id))
                                return true
                            } catch {
                                failures.withLock { $0.append("\(error)") }
                                return false
                            }
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
            }
            #expect(failures.withLock { $0 } == [])
            try stores[0].write { t throws in
                let v = try AuditVerification.verify(t)
                #expect(v.ok && v.checked == 200)
                let seqs = try t.partners(status: nil, region: nil, onlyID: nil, afterSeq: 0, limit: -1).map(\.seq)
                #expect(seqs == Array(1...200))
            }
        }
    }
}

/// A value behind a lock, for the tests' threads.
final class Mutex<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return body(&value) }
}
