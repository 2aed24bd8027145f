import JSONRPC
import PropertyBased
import Testing
@testable import PorticoCore

@Suite struct TimestampTests {
    @Test func formatsWithMillisecondsInUTC() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_767_225_600_123).rfc3339 == "2026-01-01T00:00:00.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
    }

    @Test func theTextIsWrittenAloneOrIntoAnAnswerAlike() {
        for t in [Timestamp.min, Timestamp.max, Timestamp(millisecondsSinceEpoch: 0), Timestamp(millisecondsSinceEpoch: -1),
                  Timestamp(rfc3339: "2026-02-28T23:59:59.999Z")!] {
            var bytes: [UInt8] = []
            t.appendRFC3339(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == t.rfc3339)
            #expect(t.jsonText == Array("\"\(t.rfc3339)\"".utf8))
            #expect(t.json == .string(t.rfc3339))
            #expect(bytes.withUnsafeBufferPointer { Timestamp(rfc3339: $0) } == t)
        }
        #expect(Timestamp.min.rfc3339 == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp.max.rfc3339 == "9999-12-31T23:59:59.999Z")
        // Outside the range (never read or stored), still written whole.
        let beyond = Timestamp(millisecondsSinceEpoch: Timestamp.max.millisecondsSinceEpoch + 1)
        #expect(beyond.rfc3339 == "10000-01-01T00:00:00.000Z")
        var bytes: [UInt8] = []
        beyond.appendRFC3339(to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == beyond.rfc3339)
    }

    @Test func parsesOffsetsFractionsAndLowerCase() {
        #expect(Timestamp(rfc3339: "2026-01-01T00:00:00Z")?.millisecondsSinceEpoch == 1_767_225_600_000)
        #expect(Timestamp(rfc3339: "2026-01-01T01:30:00+01:30")?.rfc3339 == "2026-01-01T00:00:00.000Z")
        #expect(Timestamp(rfc3339: "2025-12-31T19:00:00.5-05:00")?.rfc3339 == "2026-01-01T00:00:00.500Z")
        #expect(Timestamp(rfc3339: "2026-01-01t00:00:00.123456789z")?.rfc3339 == "2026-01-01T00:00:00.123Z")
        #expect(Timestamp(rfc3339: "2024-02-29T12:00:00Z") != nil)
    }

    @Test func refusesWhatIsNotAnRFC3339DateTime() {
        for bad in ["2026-01-01", "2026-01-01 00:00:00Z", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
                    "2026-01-01T24:00:00Z", "2026-01-01T00:00:00", "2026-01-01T00:00:00.Z", "26-01-01T00:00:00Z",
                    "2026-01-01T00:00:00+0100", "2026-01-01T00:00:61Z", "yesterday", "",
                    // Instants outside 0001-01-01..9999-12-31 once in UTC.
                    "0000-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "9999-12-31T23:00:00-05:00"] {
            #expect(Timestamp(rfc3339: bad) == nil, "accepted \(bad)")
        }
    }

    @Test func formattingThenParsingGivesTheSameInstant() async {
        await propertyCheck(count: 2000, input: Gen.int64(in: -62_135_596_800_000...253_402_300_799_999)) { ms in
            let t = Timestamp(millisecondsSinceEpoch: ms)
            #expect(Timestamp(rfc3339: t.rfc3339) == t)
        }
    }

    @Test func textOrderIsTimeOrder() async {
        await propertyCheck(count: 1000, input: Gen.int64(in: 0...4_102_444_800_000), Gen.int64(in: 0...4_102_444_800_000)) { a, b in
            let ta = Timestamp(millisecondsSinceEpoch: a), tb = Timestamp(millisecondsSinceEpoch: b)
            #expect((ta.rfc3339 < tb.rfc3339) == (ta < tb))
        }
    }
}

@Suite struct ClockAndIDTests {
    @Test func clockSpecsParse() {
        #expect(ClockSpec.parse("fixed:2026-01-01T00:00:00Z")?.now().rfc3339 == "2026-01-01T00:00:00.000Z")
        let step = ClockSpec.parse("step:2026-01-01T00:00:00Z,250ms")
        #expect(step?.now().rfc3339 == "2026-01-01T00:00:00.000Z")
        #expect(step?.now().rfc3339 == "2026-01-01T00:00:00.250Z")
        #expect(ClockSpec.parse("step:2026-01-01T00:00:00Z,2d")?.now() != nil)
        for bad in ["fixed:soon", "step:2026-01-01T00:00:00Z", "step:2026-01-01T00:00:00Z,1y", "later"] {
            #expect(ClockSpec.parse(bad) == nil)
        }
    }

    /// Ids sort in the order they were made: many in one millisecond, or with a clock that
    /// steps back, and whatever their prefixes' random parts would have been.
    @Test func idsSortInTheOrderTheyWereMadeWhateverTheClock() async {
        await propertyCheck(count: 300, input: Gen.int64(in: 1_767_225_600_000...1_767_225_600_004).array(of: 2...60), Gen.bool) { times, seeded in
            let g = seeded ? IDGenerator(seed: 7) : IDGenerator()
            let ids = times.map { g.make("sal", at: Timestamp(millisecondsSinceEpoch: $0)) }
            #expect(ids == ids.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }), "\(times)")
            #expect(Set(ids).count == ids.count)
        }
        // A later millisecond gives a later id, and the time part says which.
        let g = IDGenerator()
        let a = g.make("ptr", at: Timestamp(millisecondsSinceEpoch: 1_000)), b = g.make("mem", at: Timestamp(millisecondsSinceEpoch: 253_402_300_799_999))
        #expect(a.dropFirst(4) < b.dropFirst(4))
    }

    @Test func seededIDsRepeatAndUnseededDoNot() {
        let a = IDGenerator(seed: 42), b = IDGenerator(seed: 42)
        let t = Timestamp(millisecondsSinceEpoch: 1_767_225_600_000)
        let idsA = (0..<100).map { _ in a.make("ptr", at: t) }
        #expect(idsA == (0..<100).map { _ in b.make("ptr", at: t) })
        #expect(Set(idsA).count == 100)
        #expect(idsA.allSatisfy { $0.hasPrefix("ptr_") && $0.count == 24 })
        let c = IDGenerator(), d = IDGenerator()
        #expect(c.make("mem", at: t) != d.make("mem", at: t))
        #expect(IDGenerator(seed: 1).bytes(32) == IDGenerator(seed: 1).bytes(32))
    }
}
