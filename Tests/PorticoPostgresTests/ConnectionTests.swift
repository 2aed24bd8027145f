import PorticoPostgres
import Testing

@Suite(.enabled(if: TestCluster.available, "needs PORTICO_TEST_POSTGRES (scripts/pg-cluster start DIR)"))
struct ConnectionTests {
    @Test func parametersTravelOutOfLineAndComeBackAsWritten() throws {
        try TestCluster.withDatabase { url in
            let c = try PGConnection(url: url)
            try c.run("CREATE TABLE t (n bigint, s text, b bytea, f boolean)")
            let odd = "it's; DROP TABLE t; -- ☃ \u{1F600} \u{202E}"
            try c.query("INSERT INTO t VALUES ($1, $2, $3, $4)", [.int(Int64.min), .text(odd), .bytes([0, 1, 255, 0]), .bool(true)])
            try c.query("INSERT INTO t VALUES ($1, $2, $3, $4)", [.null, .null, .null, .null])
            let rows = try c.query("SELECT n, s, b, f FROM t ORDER BY n NULLS LAST")
            #expect(rows.count == 2)
            #expect(rows.int(0, 0) == Int64.min)
            #expect(rows.text(0, 1) == odd)
            #expect(rows.bytes(0, 2) == [0, 1, 255, 0])
            #expect(rows.bool(0, 3) == true)
            #expect(rows.isNull(1, 0) && rows.text(1, 1) == nil && rows.bytes(1, 2) == nil)
        }
    }

    @Test func aUniqueViolationNamesItsConstraint() throws {
        try TestCluster.withDatabase { url in
            let c = try PGConnection(url: url)
            try c.run("CREATE TABLE t (k text CONSTRAINT t_k_unique UNIQUE)")
            try c.query("INSERT INTO t VALUES ($1)", [.text("a")])
            let e = #expect(throws: PGError.self) { try c.query("INSERT INTO t VALUES ($1)", [.text("a")]) }
            #expect(e?.isUniqueViolation == true)
            #expect(e?.constraint == "t_k_unique")
        }
    }

    @Test func aNulInTextIsRefusedBeforeTheServer() throws {
        try TestCluster.withDatabase { url in
            let c = try PGConnection(url: url)
            let e = #expect(throws: PGError.self) { try c.query("SELECT $1::text", [.text("a\u{0}b")]) }
            #expect(e?.state == "22021")
            #expect(try c.query("SELECT 1").int(0, 0) == 1)
        }
    }

    @Test func aRolledBackTransactionKeepsItsPreparedStatements() throws {
        try TestCluster.withDatabase { url in
            let c = try PGConnection(url: url)
            try c.run("CREATE TABLE t (n bigint)")
            try c.run("BEGIN")
            try c.query("INSERT INTO t VALUES ($1)", [.int(1)])
            try c.run("ROLLBACK")
            try c.query("INSERT INTO t VALUES ($1)", [.int(2)])
            #expect(try c.query("SELECT n FROM t").int(0, 0) == 2)
        }
    }

    @Test func theLocationHidesThePassword() throws {
        #expect(PGConnection.redacted("postgres://u:secret@h:5/db") == "postgres://u:***@h:5/db")
        #expect(PGConnection.redacted("postgres://u@h:5/db") == "postgres://u@h:5/db")
    }

    @Test func aServerThatIsNotThereIsAClearError() throws {
        let e = #expect(throws: PGError.self) { try PGConnection(url: "postgres://nobody@127.0.0.1:1/none?connect_timeout=2") }
        #expect(e?.state == "08001")
        #expect(e?.message.contains("cannot connect to PostgreSQL") == true)
    }
}
