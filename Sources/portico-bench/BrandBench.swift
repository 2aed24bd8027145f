import Synchronization
import ArgumentParser
import Foundation
import JSONRPC
import PorticoCore
import PorticoServer
import PorticoStore

/// `brand.resolve`, the storefront's look-up of its request's host: in process (the
/// engine's host cache, as a storefront's repeated requests meet it), and pipelined on
/// stdio against the trivial method in the same run (the wire's own cost: reading,
/// dispatching and answering a request).
enum BrandBench {
    static func run(dir: URL, resolves: Int) throws {
        let path = dir.appendingPathComponent("brands.sqlite").path
        let engine = try Engine(options: .init(databasePath: path, openStore: SQLiteStore.opener))
        let partners = 100
        for i in 0..<partners {
            _ = try APIBench.must(engine, "partner.create", ["actor": APIBench.platform, "name": "P", "subdomain": .string("brand\(i)"), "region": "us",
                                                             "owner": ["email": .string("o@b\(i).example"), "name": "O"]])
        }
        let hosts = (0..<partners).map { "brand\($0).portal.example" }
        let db = engine.store as! SQLiteStore
        let caches = EngineCaches()
        let now = Timestamp(rfc3339: "2026-06-01T00:00:00Z")!
        var seconds = 0.0
        try db.read { tx in
            let ctx = RequestContext(store: tx, now: now, requestId: nil, action: "brand.resolve", actor: nil, ids: engine.ids,
                                     policy: RulesAccessPolicy(engine.rules), activeRules: engine.rules, caches: caches)
            for h in hosts { _ = try BrandResolver.resolve(ctx, host: h) }  // each host read once
            let start = Bench.now()
            for i in 0..<resolves { _ = try BrandResolver.resolve(ctx, host: hosts[i % partners]) }
            seconds = Bench.now() - start
        }
        // The floor: the same look-ups in a bare dictionary of the same hosts under a lock,
        // handing out a stored answer, nothing else.
        let bare = Mutex<[String: JSONValue]>(Dictionary(uniqueKeysWithValues: hosts.map { ($0, JSONValue.string($0)) }))
        var kept = 0
        let bareStart = Bench.now()
        for i in 0..<resolves {
            let v = bare.withLock { $0[hosts[i % partners]] }
            if v != nil { kept &+= 1 }
        }
        let bareSeconds = Bench.now() - bareStart
        precondition(kept == resolves)
        try engine.store.close()
        let n = max(1, resolves / 2)
        let resolveLines = (0..<n).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"brand.resolve","params":{"host":"\#(hosts[$0 % partners])"}}"# }
        let trivialLines = (0..<n).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"system.health"}"# }
        let piped = try Bench.pipelined(resolveLines, db: path)
        let trivial = try Bench.pipelined(trivialLines, db: path)
        print(String(format: "a bare locked dictionary look-up of the same hosts: %.3f µs", bareSeconds / Double(resolves) * 1e6))
        print(String(format: "brand.resolve in process (a cached host): %.3f µs; pipelined on stdio: %8.0f/s (%d in %.2f s); the trivial method in the same run: %8.0f/s (brand.resolve at %.2fx its time)",
                     seconds / Double(resolves) * 1e6, Double(n) / piped, n, piped, Double(n) / trivial, piped / trivial))
    }
}
