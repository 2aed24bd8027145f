import Foundation
import HTTPTypes
import Hummingbird
import JSONRPC
import Logging
import Mustache

/// `portico gateway`: the reference host. One `portico serve` child (`EngineChild`) does all
/// the work; this maps HTTP onto its methods — the OAuth endpoints (RFC 6749, 7009, 7662),
/// the partner REST API (`/v1/*` over `api.*`), each brand's storefront on its own host —
/// and maps the engine's errors back onto HTTP (RFC 9457 problem details, RFC 6750 Bearer
/// challenges, the RateLimit headers).
public enum Gateway {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// The arguments of the child `portico serve` (database, rules, secrets, base domain).
        public var engineArguments: [String]
        public var executable: URL
        /// How long a rendered storefront page is served again (0: never): a brand's change
        /// shows at most this late.
        public var pageCacheMilliseconds: Int
        public init(host: String, port: Int, engineArguments: [String], executable: URL, pageCacheMilliseconds: Int = 1000) {
            self.host = host; self.port = port; self.engineArguments = engineArguments; self.executable = executable
            self.pageCacheMilliseconds = pageCacheMilliseconds
        }
    }

    /// Runs until SIGTERM or SIGINT: then stops taking requests, lets those in flight finish,
    /// and lets the child finish and exit.
    public static func run(_ options: Options, log: Logger) async throws {
        let engine = EngineChild(executable: options.executable, arguments: ["serve"] + options.engineArguments, log: log)
        try engine.start()
        let router = Router()
        router.middlewares.add(AccessLog(log: log))
        Routes(engine: engine, pages: PageCache(milliseconds: options.pageCacheMilliseconds)).register(on: router)
        let app = Application(router: router, configuration: .init(address: .hostname(options.host, port: options.port), serverName: "portico"),
                              logger: log)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
        let clean = await engine.stop()
        log.info("gateway stopped; the engine \(clean ? "exited cleanly" : "did not exit cleanly")")
    }
}

/// One structured line per request on stderr: method, path, host, status, duration.
struct AccessLog<Context: RequestContext>: RouterMiddleware {
    let log: Logger
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var status = 500
        defer {
            log.info("http", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)",
                                        "host": "\(request.head.authority ?? "-")", "status": "\(status)",
                                        "ms": "\(Self.milliseconds(ContinuousClock.now - start))"])
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let e as HTTPResponseError {
            status = e.status.code
            throw e
        }
    }

    /// A duration in milliseconds with two decimals (`12.05`), in integer arithmetic.
    static func milliseconds(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let hundredths = max(0, seconds * 100_000 + attoseconds / 10_000_000_000_000)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
