import PropertyBased
import Testing
@testable import PorticoCore

@Suite struct TimestampTests {
    @Test func formatsWithMillisecondsInUTC() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_767_225_600_123).rfc3339 == "2026-01-01T00:00:00.123Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).rfc3339 == "1969-12-31T23:59:59.999Z")
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
                    "2026-01-01T00:00:00+0100", "2026-01-01T00:00:60Z", "yesterday", ""] {
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

    @Test func idsSortByCreationTime() async {
        let g = IDGenerator()
        await propertyCheck(count: 1000, input: Gen.int64(in: 0...253_402_300_799_999), Gen.int64(in: 0...253_402_300_799_999)) { a, b in
            guard a != b else { return }
            let ia = g.make("sal", at: Timestamp(millisecondsSinceEpoch: a))
            let ib = g.make("sal", at: Timestamp(millisecondsSinceEpoch: b))
            #expect((ia < ib) == (a < b))
        }
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
