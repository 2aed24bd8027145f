// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Portico",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "portico", targets: ["portico"]),
        .executable(name: "portico-bench", targets: ["portico-bench"]),
    ],
    dependencies: [
        // Pinned: PorticoStore's positional row reader (Columns.swift) steps statements
        // through GRDB's underscored `DatabaseCursor` protocol, which may change in any
        // release. Moving the pin means running RecordColumnTests and the benchmarks again.
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        // JSON-RPC 2.0: JSON values, the strict reader, framing, the connection loop.
        .target(name: "JSONRPC"),
        // Rule files: parse with positions, validate, compile, evaluate, explain, test. Pure.
        .target(
            name: "PorticoRules",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // The domain: ids, clock, actors, errors, records, services, and the store
        // protocols it needs, in its own types. Knows no SQL library.
        .target(
            name: "PorticoCore",
            dependencies: [
                "JSONRPC",
                "PorticoRules",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Core's store protocols on SQLite through GRDB: migrations, queries, the unit of
        // work (group commit, savepoints), the audit chain's head, checkpoints.
        .target(
            name: "PorticoStore",
            dependencies: [
                "PorticoCore",
                // JSONOutput: a hot list's rows are written straight into answer text.
                "JSONRPC",
                // Currency, which Core's Money is made of.
                "PorticoRules",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API, for the WAL hook that drives background checkpoints.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                // zlib: the audit log's states stored deflated.
                "CZlib",
            ]),
        // Core's store protocols on PostgreSQL through libpq, for many engines sharing one
        // database: migrations of its own, the unit of work under the audit chain's row lock.
        .target(
            name: "PorticoPostgres",
            dependencies: [
                "PorticoCore",
                "PorticoRules",
                "JSONRPC",
                "CLibPQ",
            ]),
        // Debian's libpq, as a C module.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Export files: CSV, XLSX (libxlsxwriter) and PDF (cairo), written from Core's typed
        // rows under the export directory, atomically.
        .target(
            name: "PorticoExport",
            dependencies: [
                "JSONRPC",
                "PorticoCore",
                "PorticoRules",
                "CXLSXWriter",
                "CCairo",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Debian's libxlsxwriter and cairo, as C modules.
        .systemLibrary(name: "CXLSXWriter", pkgConfig: "xlsxwriter", providers: [.apt(["libxlsxwriter-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),
        // Debian's zlib, as a C module.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The edge: method table, params decoding, the request path, OpenRPC, replay.
        .target(
            name: "PorticoServer",
            dependencies: [
                "JSONRPC",
                "PorticoCore",
                "PorticoExport",
                "PorticoRules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // schemas/openrpc.json and rules/*.yaml, built in from their one copy.
            plugins: ["EmbedFiles"]),
        // Builds the package's shipped texts into the target that uses it (see the plugin).
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["portico-embed"]),
        // The plugin's tool: writes texts as Swift string literals, byte for byte.
        .executableTarget(name: "portico-embed"),
        // `portico gateway`: the reference host. An HTTP server (Hummingbird) that spawns one
        // `portico serve` child, pipelines requests to it, and serves the partner REST API
        // and the brands' storefronts. Knows the engine only by its JSON-RPC.
        .target(
            name: "PorticoGateway",
            dependencies: [
                "JSONRPC",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            // schemas/partner-api.openapi.yaml, served at /openapi.json.
            plugins: ["EmbedFiles"]),
        // A hello-world Hummingbird server: the reference the gateway's figures are put beside.
        .executableTarget(
            name: "gateway-hello",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        // The executable: picks the store (SQLite or PostgreSQL, by `--db`) and runs the server.
        .executableTarget(
            name: "portico",
            dependencies: [
                "PorticoServer",
                "PorticoGateway",
                "PorticoCore",
                "PorticoRules",
                "PorticoStore",
                "PorticoPostgres",
                "JSONRPC",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The benchmarks: drive the `portico` binary built beside it, and SQLite directly
        // for the floors under the figures.
        .executableTarget(
            name: "portico-bench",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                // libxlsxwriter alone, the floor under the XLSX export's figure.
                "CXLSXWriter",
                "PorticoServer",
                "PorticoCore",
                "PorticoRules",
                "PorticoStore",
                // The PostgreSQL figures' own database, made and dropped on the server given.
                "PorticoPostgres",
                "JSONRPC",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(
            name: "JSONRPCTests",
            dependencies: [
                "JSONRPC",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "PorticoRulesTests",
            dependencies: ["PorticoRules", .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "PorticoExportTests",
            dependencies: ["PorticoExport", "PorticoCore", "PorticoRules", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "PorticoStoreTests",
            dependencies: ["PorticoStore", "PorticoCore", "PorticoRules", "JSONRPC", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "PropertyBased", package: "swift-property-based")]),
        // Against a throw-away PostgreSQL cluster (scripts/pg-cluster) named by
        // PORTICO_TEST_POSTGRES; scripts/test starts one.
        .testTarget(
            name: "PorticoPostgresTests",
            dependencies: ["PorticoPostgres", "PorticoCore", "PorticoRules", "JSONRPC"]),
        .testTarget(
            name: "PorticoCoreTests",
            dependencies: ["PorticoCore", "PorticoStore", "PorticoRules", "JSONRPC",
                           .product(name: "PropertyBased", package: "swift-property-based")]),
        .testTarget(
            name: "PorticoServerTests",
            dependencies: ["PorticoServer", "PorticoCore", "PorticoStore", "PorticoExport", "PorticoRules", "JSONRPC",
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "PropertyBased", package: "swift-property-based")]),
        // Drives the real `portico` binary with recorded request files.
        .testTarget(
            name: "PorticoGatewayTests",
            dependencies: ["PorticoGateway", "JSONRPC", .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "TranscriptTests",
            // PorticoPostgres: the multi-engine test reads the shared database after the load.
            dependencies: ["portico", "JSONRPC", "PorticoPostgres"],
            // Request files and answers, read from the source tree by the tests.
            exclude: ["Transcripts"]),
    ]
)
