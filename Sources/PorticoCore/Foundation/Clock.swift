import Foundation

/// The engine's only source of time. Services read it once per request (the request's
/// time), so a deterministic clock gives every request a reproducible timestamp.
public protocol Clock: Sendable {
    func now() -> Timestamp
}

public struct SystemClock: Clock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}

/// Always the same instant.
public struct FixedClock: Clock {
    public let instant: Timestamp
    public init(_ instant: Timestamp) { self.instant = instant }
    public func now() -> Timestamp { instant }
}

/// Starts at an instant and advances by a step at every reading.
public final class SteppingClock: Clock, @unchecked Sendable {
    private let lock = NSLock()
    private var next: Timestamp
    public let stepMilliseconds: Int64
    public init(start: Timestamp, stepMilliseconds: Int64) {
        next = start
        self.stepMilliseconds = stepMilliseconds
    }
    /// Stops at `Timestamp.max` rather than stepping past the last instant.
    public func now() -> Timestamp {
        lock.withLock {
            let t = next
            next = next.adding(checked: stepMilliseconds) ?? .max
            return t
        }
    }
}

public enum ClockSpec {
    /// What `parse` accepts, for messages.
    public static let accepted = "system, fixed:<RFC 3339 date-time>, or step:<RFC 3339 date-time>,<whole number><ms|s|m|h|d> (e.g. fixed:2026-01-01T00:00:00Z, step:2026-01-01T00:00:00Z,1s)"

    /// Parses `system`, `fixed:<RFC 3339>` or `step:<RFC 3339>,<duration>` where the
    /// duration is a whole number with `ms`, `s`, `m`, `h` or `d` (`step:2026-01-01T00:00:00Z,1s`).
    public static func parse(_ spec: String) -> Clock? {
        if spec == "system" { return SystemClock() }
        if spec.hasPrefix("fixed:") {
            return Timestamp(rfc3339: String(spec.dropFirst(6))).map(FixedClock.init)
        }
        if spec.hasPrefix("step:") {
            let parts = spec.dropFirst(5).split(separator: ",", maxSplits: 1)
            guard parts.count == 2, let start = Timestamp(rfc3339: String(parts[0])),
                  let step = duration(String(parts[1])) else { return nil }
            return SteppingClock(start: start, stepMilliseconds: step)
        }
        return nil
    }

    static func duration(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if let n = Int64(number), n >= 0, !number.isEmpty, number.allSatisfy(\.isNumber) {
                let (v, o) = n.multipliedReportingOverflow(by: factor)
                return o ? nil : v
            }
        }
        return nil
    }
}
