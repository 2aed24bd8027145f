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
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(let b):
            if b { out.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
        case .integer(let i): writeInteger(i, into: &out)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            var first = true
            for v in a {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(v, into: &out, keys: keys)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            var first = true
            let members = keys == .sortedKeys ? sortedMembers(o.members) : o.members
            for m in members {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(m.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(m.value, into: &out, keys: keys)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Members ordered by the UTF-8 bytes of their keys (already sorted input is kept).
    static func sortedMembers(_ members: [JSONObject.Member]) -> [JSONObject.Member] {
        var sorted = true
        var i = 1
        while i < members.count {
            if !utf8Less(members[i - 1].key, members[i].key) { sorted = false; break }
            i += 1
        }
        return sorted ? members : members.sorted { utf8Less($0.key, $1.key) }
    }

    /// Byte-wise comparison of two strings' UTF-8 forms.
    public static func utf8Less(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { pa in
            b.withUTF8 { pb in
                let n = min(pa.count, pb.count)
                if n > 0 {
                    let c = memcmp(pa.baseAddress!, pb.baseAddress!, n)
                    if c != 0 { return c < 0 }
                }
                return pa.count < pb.count
            }
        }
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
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 {
                buf[count] = UInt8(truncatingIfNeeded: n % 10) + UInt8(ascii: "0")
                n /= 10
                count += 1
            }
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        withUnsafeBytes(of: &digits) { buf in
            var i = count - 1
            while i >= 0 { out.append(buf[i]); i -= 1 }
        }
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
