import Hummingbird

/// The benchmarks' reference point: a Hummingbird 2 server with one hello-world route, the
/// least an HTTP request can cost on this machine with the gateway's server library.
/// `gateway-hello 127.0.0.1:8081`; scripts/bench-gateway measures it beside the gateway.
let arguments = CommandLine.arguments.dropFirst()
let listen = arguments.first ?? "127.0.0.1:8081"
guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
    fatalError("usage: gateway-hello HOST:PORT")
}
let router = Router()
router.get("/") { _, _ in "Hello, world!" }
let app = Application(router: router, configuration: .init(address: .hostname(String(listen[..<colon]), port: port)))
try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
