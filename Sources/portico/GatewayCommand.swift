import ArgumentParser
import Foundation
import PorticoGateway
import JSONRPC
import PorticoCore

/// `portico gateway`: the HTTP face — the partner REST API and the brands' storefronts —
/// over one `portico serve` child started with the engine's options.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Serve the partner REST API and the brands' storefronts over HTTP, with one engine as a child process.")

    @Option(help: "Address to listen on, host:port.")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "The engine's database: a SQLite file, or a PostgreSQL URL (postgres://user@host:port/db) several gateways' engines may share.")
    var db: String = "./portico.sqlite"

    @Option(help: "Directory of the rule files (default ./rules; without it, the shipped defaults).")
    var rules: String?

    @Option(name: .customLong("page-cache-ms"),
            help: "How long a rendered storefront page is served again, in milliseconds (0: render every request).")
    var pageCacheMilliseconds: Int = 1000

    @OptionGroup var engine: EngineOptions

    func run() async throws {
        StandardStreams.ignoreSIGPIPE()
        let log = engine.logger()
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
            throw ValidationError("--listen must be host:port, got '\(listen)'")
        }
        var args = ["--db", db, "--log-level", engine.logLevel, "--base-domain", engine.baseDomain]
        if let rules { args += ["--rules", rules] }
        if let secrets = engine.secrets { args += ["--secrets", secrets] }
        if let clock = engine.clock { args += ["--clock", clock] }
        if let seed = engine.seed { args += ["--seed", String(seed)] }
        guard (0...3_600_000).contains(pageCacheMilliseconds) else { throw ValidationError("--page-cache-ms must be 0 to 3600000") }
        let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        try await Gateway.run(.init(host: String(listen[..<colon]), port: port, engineArguments: args, executable: me,
                                  pageCacheMilliseconds: pageCacheMilliseconds), log: log)
    }
}
