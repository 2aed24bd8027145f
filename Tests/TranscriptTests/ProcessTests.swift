import Foundation
import Testing

/// The engine as a host runs it: `portico serve` over pipes.
@Suite struct ProcessTests {
    func serve(_ input: Data, extra: [String] = []) throws -> Binary.Run {
        let dir = try Binary.temporaryDirectory()
        return try Binary.run(["serve", "--db", dir.appendingPathComponent("p.sqlite").path] + extra, input: input)
    }

    func line(_ s: String) -> Data { Data((s + "\n").utf8) }

    @Test func endOfInputFinishesTheWorkAndExitsZero() throws {
        var input = Data()
        for i in 1...200 {
            input += line(#"{"jsonrpc":"2.0","id":\#(i),"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"P\#(i)","subdomain":"p\#(i)","region":"eu","owner":{"email":"o@p\#(i).example","name":"O"}}}"#)
        }
        let run = try serve(input)
        #expect(run.status == 0)
        let answers = run.out.split(separator: "\n")
        #expect(answers.count == 200)
        #expect(answers.allSatisfy { $0.contains("\"result\"") })
    }

    /// `portico migrate --vacuum` migrates, then gives the room the migrations freed back
    /// to the file system; the data is all there after.
    @Test func migrateWithVacuumKeepsTheDataAndShrinksTheFile() throws {
        let dir = try Binary.temporaryDirectory()
        let db = dir.appendingPathComponent("m.sqlite").path
        var input = Data()
        for i in 1...50 {
            input += line(#"{"jsonrpc":"2.0","id":\#(i),"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"P\#(i)","subdomain":"p\#(i)","region":"eu","owner":{"email":"o@p\#(i).example","name":"O"}}}"#)
        }
        #expect(try Binary.run(["serve", "--db", db], input: input).status == 0)
        let run = try Binary.run(["migrate", "--db", db, "--vacuum"])
        #expect(run.status == 0)
        #expect(run.out.contains(": schema ") && run.out.contains(": vacuumed, "), "\(run.out)")
        let after = try Binary.run(["serve", "--db", db], input: line(#"{"jsonrpc":"2.0","id":1,"method":"partner.list","params":{"actor":{"platform":"ops"},"limit":100}}"#))
        #expect(after.out.components(separatedBy: "\"subdomain\"").count - 1 == 50)
    }

    @Test func aHundredMegabyteLineIsRefusedWithoutStoppingTheEngine() throws {
        var input = Data("[\"".utf8)
        input += Data(repeating: UInt8(ascii: "x"), count: 100 << 20)
        input += Data("\"]\n".utf8)
        input += line(#"{"jsonrpc":"2.0","id":"after","method":"system.health"}"#)
        let run = try serve(input)
        #expect(run.status == 0)
        let answers = run.out.split(separator: "\n").map(String.init)
        #expect(answers.count == 2)
        #expect(answers[0].contains("-32700") && answers[0].contains("larger than the limit"))
        #expect(answers[1].contains(#""id":"after","result""#))
    }

    @Test func theMessageLimitIsConfigurable() throws {
        let big = line(#"{"jsonrpc":"2.0","id":1,"method":"system.health","params":{}}"#)
        let run = try serve(big, extra: ["--max-message", "20"])
        #expect(run.out.contains("-32700"))
    }

    @Test func shutdownThenExitEndsWithStatusZero() throws {
        let input = line(#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#) + line(#"{"jsonrpc":"2.0","method":"exit"}"#)
        let dir = try Binary.temporaryDirectory()
        // stdin stays open: only `exit` may end the process.
        let run = try Binary.run(["serve", "--db", dir.appendingPathComponent("p.sqlite").path], input: input) { _ in }
        #expect(run.status == 0)
        #expect(run.out == #"{"jsonrpc":"2.0","id":1,"result":null}"# + "\n")
    }

    @Test func sigtermFinishesInFlightWorkAndExitsZero() throws {
        let input = line(#"{"jsonrpc":"2.0","id":1,"method":"partner.create","params":{"actor":{"platform":"ops"},"name":"T","subdomain":"term","region":"eu","owner":{"email":"t@term.example","name":"T"}}}"#)
        let dir = try Binary.temporaryDirectory()
        let db = dir.appendingPathComponent("p.sqlite").path
        let run = try Binary.run(["serve", "--db", db], input: input) { p in
            usleep(700_000)
            p.terminate()
        }
        #expect(run.status == 0)
        #expect(run.out.contains(#""subdomain":"term""#))
        // The answered write is durable: a new engine on the same file sees it.
        let check = try Binary.run(["serve", "--db", db], input: line(#"{"jsonrpc":"2.0","id":2,"method":"partner.getBySubdomain","params":{"actor":{"platform":"ops"},"subdomain":"term"}}"#))
        #expect(check.out.contains(#""result""#))
    }

    @Test func stdoutCarriesOnlyProtocolAndLogsGoToStderr() throws {
        let run = try serve(line("{oops") + line(#"{"jsonrpc":"2.0","id":1,"method":"system.health"}"#), extra: ["--log-level", "debug"])
        for l in run.out.split(separator: "\n") {
            #expect(l.hasPrefix(#"{"jsonrpc":"2.0""#))
        }
        #expect(!run.stderr.isEmpty)
    }

    @Test func contentLengthFramingIsAnsweredInKind() throws {
        let body = #"{"jsonrpc":"2.0","id":7,"method":"system.health"}"#
        let run = try serve(Data("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        #expect(run.out.hasPrefix("Content-Length: "))
        #expect(run.out.contains("\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":7,\"result\""))
    }

    @Test func aClosedReaderDoesNotKillTheEngine() throws {
        // Many answers, nobody reading them at the end: the engine still exits cleanly.
        let dir = try Binary.temporaryDirectory()
        let p = Process()
        p.executableURL = Binary.url
        p.arguments = ["serve", "--db", dir.appendingPathComponent("p.sqlite").path]
        let stdin = Pipe(), stdout = Pipe()
        p.standardInput = stdin
        p.standardOutput = stdout
        p.standardError = FileHandle.nullDevice
        try p.run()
        try stdout.fileHandleForReading.close()
        var input = Data()
        for i in 1...2000 { input += line(#"{"jsonrpc":"2.0","id":\#(i),"method":"system.health"}"#) }
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }
}
