import Foundation
import PorticoRules
import Testing
@testable import PorticoCore
@testable import PorticoStore

/// A small policy for the service tests: the platform does everything, partner.create is
/// the platform's alone, owners and managers change members, every member reads.
let testPolicy: RulesAccessPolicy = {
    let catalog = ActionCatalog([
        .init("partner.create", .write), .init("partner.get", .read), .init("partner.update", .write),
        .init("partner.members.add", .write), .init("partner.members.list", .read),
        .init("partner.members.updateRole", .write), .init("partner.members.remove", .write),
        .init("customer.create", .write), .init("sale.record", .write), .init("sale.refund", .write),
        .init("reseller.create", .write), .init("commission.create", .write), .init("commission.summary", .read),
        .init("partner.dashboard", .read), .init("reseller.setCommissionRate", .write),
    ])
    let text = """
        version: 1
        platformOnly: [partner.create]
        rules:
          - { id: platform, effect: permit, principal: platform, actions: ["*"] }
          - { id: managers, effect: permit, roles: [owner, manager], actions: ["*"] }
          - { id: readers, effect: permit, roles: [sales, support, viewer], access: read, actions: ["*"] }
        """
    let set = try! RuleSet.compile(["permissions.yaml": text, "commission.yaml": "hit: first\nrules: []\n",
                                    "pricing.yaml": "base_currency: USD\ntiers: [standard, gold]\nplans: { p: 100 }\nregions: { us: { countries: [US], currency: USD }, eu: { countries: [DE, FR], currency: EUR } }\nrules: [ { id: list } ]\n"], source: "test", catalog: catalog).get()
    return RulesAccessPolicy(ActiveRules(set))
}()

/// Runs services directly in a transaction that is rolled back when `body` throws.
final class Harness {
    let db: SQLiteStore
    let ids = IDGenerator(seed: 3)
    init() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("core-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        db = try SQLiteStore(path: dir.appendingPathComponent("t.sqlite").path)
    }

    func run<T>(_ action: String, as actor: ActorRef = .platform("ops"), now: Timestamp = Timestamp(millisecondsSinceEpoch: 0),
                _ body: (RequestContext) throws -> T) throws -> T
    {
        try db.write { tx in
            let ctx = RequestContext(store: tx, now: now, requestId: "1", action: action,
                                     actor: try ActorResolver.resolve(actor, tx), ids: ids, policy: testPolicy,
                                     activeRules: testPolicy.rules)
            return try body(ctx)
        }
    }

    func partner(_ sub: String) throws -> (PartnerRecord, MemberRecord) {
        try run("partner.create") {
            try PartnerService.create($0, .init(name: sub, subdomain: sub, region: "eu", tier: nil,
                                                ownerEmail: "owner@\(sub).example", ownerName: "Owner"))
        }
    }

    func code(_ body: () throws -> Void) -> Int? {
        do { try body(); return nil } catch let e as PorticoError { return e.code.rawValue } catch { return 0 }
    }
}

@Suite struct MemberServiceTests {
    @Test func aNewPartnerHasExactlyOneOwner() throws {
        let h = try Harness()
        let (p, owner) = try h.partner("acme")
        #expect(owner.role == .owner)
        #expect(owner.partnerId == p.id)
        #expect(p.tier == "standard")
    }

    @Test func theOwnerCanBeNeitherRemovedNorDemoted() throws {
        let h = try Harness()
        let (_, owner) = try h.partner("acme")
        #expect(h.code { _ = try h.run("partner.members.remove") { try MemberService.remove($0, memberId: owner.id) } } == -32010)
        #expect(h.code { _ = try h.run("partner.members.updateRole") { try MemberService.updateRole($0, memberId: owner.id, role: "viewer") } } == -32010)
    }

    @Test func givingTheOwnerRoleTransfersOwnership() throws {
        let h = try Harness()
        let (p, owner) = try h.partner("acme")
        let m = try h.run("partner.members.add") { try MemberService.add($0, partnerId: p.id, email: "b@acme.example", name: "B", role: "manager") }
        // A manager may not take ownership; the owner may give it.
        #expect(h.code { _ = try h.run("partner.members.updateRole", as: .member(m.id)) { try MemberService.updateRole($0, memberId: m.id, role: "owner") } } == -32003)
        let (newOwner, previous) = try h.run("partner.members.updateRole", as: .member(owner.id)) {
            try MemberService.updateRole($0, memberId: m.id, role: "owner")
        }
        #expect(newOwner.role == .owner)
        #expect(previous?.id == owner.id && previous?.role == .manager)
        let owners = try h.db.read { try $0.members(partnerId: p.id, role: .owner, includeRemoved: true, afterSeq: 0, limit: 100) }.count
        #expect(owners == 1)
    }

    @Test func membersActOnlyInsideTheirOwnPartner() throws {
        let h = try Harness()
        let (a, ownerA) = try h.partner("alpha")
        let (b, _) = try h.partner("beta")
        #expect(h.code { _ = try h.run("partner.get", as: .member(ownerA.id)) { try PartnerService.get($0, id: b.id) } } == -32003)
        #expect(try h.run("partner.get", as: .member(ownerA.id)) { try PartnerService.get($0, id: a.id) }.id == a.id)
        #expect(h.code { _ = try h.run("partner.members.add", as: .member(ownerA.id)) {
            try MemberService.add($0, partnerId: b.id, email: "x@beta.example", name: "X", role: "viewer") } } == -32003)
        #expect(h.code { _ = try h.run("partner.create", as: .member(ownerA.id)) {
            try PartnerService.create($0, .init(name: "G", subdomain: "gamma", region: "eu", tier: nil, ownerEmail: "g@g.example", ownerName: "G")) } } == -32003)
    }

    @Test func onlyOwnersAndManagersChangeMembers() throws {
        let h = try Harness()
        let (p, _) = try h.partner("acme")
        let viewer = try h.run("partner.members.add") { try MemberService.add($0, partnerId: p.id, email: "v@acme.example", name: "V", role: "viewer") }
        #expect(h.code { _ = try h.run("partner.members.add", as: .member(viewer.id)) {
            try MemberService.add($0, partnerId: p.id, email: "w@acme.example", name: "W", role: "viewer") } } == -32003)
        // Reading is open to every role.
        _ = try h.run("partner.members.list", as: .member(viewer.id)) {
            try MemberService.list($0, partnerId: p.id, role: nil, includeRemoved: false, page: PageRequest())
        }
    }

    @Test func aRemovedMemberIsNoLongerAnActorAndFreesItsEmail() throws {
        let h = try Harness()
        let (p, _) = try h.partner("acme")
        let m = try h.run("partner.members.add") { try MemberService.add($0, partnerId: p.id, email: "s@acme.example", name: "S", role: "sales") }
        #expect(h.code { _ = try h.run("partner.members.add") { try MemberService.add($0, partnerId: p.id, email: "S@acme.example", name: "S2", role: "sales") } } == -32009)
        _ = try h.run("partner.members.remove") { try MemberService.remove($0, memberId: m.id) }
        #expect(h.code { _ = try h.run("partner.get", as: .member(m.id)) { try PartnerService.get($0, id: p.id) } } == -32001)
        #expect(h.code { _ = try h.run("partner.members.remove") { try MemberService.remove($0, memberId: m.id) } } == -32010)
        _ = try h.run("partner.members.add") { try MemberService.add($0, partnerId: p.id, email: "s@acme.example", name: "S again", role: "sales") }
    }

    @Test func everyChangeIsAuditedWithBeforeAndAfter() throws {
        let h = try Harness()
        let (p, _) = try h.partner("acme")
        _ = try h.run("partner.update") { try PartnerService.update($0, id: p.id, .init(name: "Acme Two")) }
        _ = try h.run("partner.update") { try PartnerService.update($0, id: p.id, .init(name: "Acme Two")) }  // no change, no record
        let rows = try h.db.read { try $0.auditEntries(AuditFilter(partnerId: p.id), afterSeq: 0, limit: 10) }
        #expect(rows.map(\.action) == ["partner.create", "partner.update"])
        #expect(rows[1].before?.contains("\"name\":\"acme\"") == true)
        #expect(rows[1].after?.contains("\"name\":\"Acme Two\"") == true)
        #expect(rows[1].actor == "platform:ops")
    }
}
