#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serializes JSON values compactly (no insignificant white space).
///
/// Two orders: `.asGiven` keeps object members in their stored order (answers are stable
/// because results are built in a fixed order); `.sortedKeys` sorts members by the UTF-8
/// bytes of their keys, which together with the compact form gives the canonical text that
/// hashes (audit chain, idempotency) are computed over.
public enum JSONWriter {
    public enum KeyOrder: Sendable { case asGiven, sortedKeys }

    public static func write(_ value: JSONValue, into out: inout [UInt8], keys: KeyOrder = .asGiven) {
        switch value {
        case .null: append("null", into: &out)
        case .bool(let b): append(b ? "true" : "false", into: &out)
        case .integer(let i): writeInteger(i, into: &out)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            // Through the buffer: the elements are borrowed, not retained one by one.
            a.withUnsafeBufferPointer { items in
                for i in items.indices {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    write(items[i], into: &out, keys: keys)
                }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            o.members.withUnsafeBufferPointer { members in
                func member(_ i: Int, first: Bool) {
                    if !first { out.append(UInt8(ascii: ",")) }
                    writeString(members[i].key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    write(members[i].value, into: &out, keys: keys)
                }
                if keys == .sortedKeys, let order = sortedOrder(members) {
                    for (k, i) in order.enumerated() { member(i, first: k == 0) }
                } else {
                    for i in members.indices { member(i, first: i == 0) }
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func append(_ text: StaticString, into out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The members' positions ordered by the UTF-8 bytes of their keys; nil when they are
    /// in that order already (answers built in sorted order cost one pass).
    static func sortedOrder(_ members: UnsafeBufferPointer<JSONObject.Member>) -> [Int]? {
        var i = 1
        while i < members.count, utf8Less(members[i - 1].key, members[i].key) { i += 1 }
        guard i < members.count else { return nil }
        // Insertion sort of positions: objects are small, and only Ints move.
        var order = Array(0..<members.count)
        for j in 1..<order.count {
            let moving = order[j]
            var k = j
            while k > 0, utf8Less(members[moving].key, members[order[k - 1]].key) {
                order[k] = order[k - 1]
                k -= 1
            }
            order[k] = moving
        }
        return order
    }

    /// Byte-wise comparison of two strings' UTF-8 forms.
    public static func utf8Less(_ a: String, _ b: String) -> Bool {
        let fast = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb -> Bool in
                let n = min(pa.count, pb.count)
                if n > 0 {
                    let c = memcmp(pa.baseAddress!, pb.baseAddress!, n)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }
        if let fast, let less = fast { return less }
        return a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    public static func bytes(_ value: JSONValue, keys: KeyOrder = .asGiven) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out, keys: keys)
        return out
    }

    public static func string(_ value: JSONValue, keys: KeyOrder = .asGiven) -> String {
        String(decoding: bytes(value, keys: keys), as: UTF8.self)
    }

    /// The canonical text: compact, keys sorted.
    public static func canonical(_ value: JSONValue) -> [UInt8] { bytes(value, keys: .sortedKeys) }

    public static func writeInteger(_ value: Int64, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxIntegerText) { buffer in
            let n = writeInteger(value, to: buffer.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: n))
        }
    }

    /// The most bytes an Int64 takes in decimal (`-9223372036854775808`).
    public static let maxIntegerText = 20

    /// `value` in decimal at `out`, which has room for `maxIntegerText` bytes; answers how
    /// many it wrote.
    public static func writeInteger(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = value.magnitude, digits = 1
        while n >= 10 { digits += 1; n /= 10 }
        let sign = value < 0 ? 1 : 0
        if sign == 1 { out[0] = UInt8(ascii: "-") }
        n = value.magnitude
        for i in stride(from: sign + digits - 1, through: sign, by: -1) {
            out[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: n % 10)
            n /= 10
        }
        return sign + digits
    }

    static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { buf in
            var runStart = 0
            for i in 0..<buf.count {
                let b = buf[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<i])) }
                runStart = i + 1
                switch b {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                }
            }
            if runStart < buf.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<buf.count])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}
