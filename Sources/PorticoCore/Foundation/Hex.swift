private let lowercaseHexDigits = Array("0123456789abcdef".utf8)

/// Lower-case hex of a digest or any bytes (the audit chain hashes every mutation).
public func lowercaseHex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for b in bytes {
        out.append(lowercaseHexDigits[Int(b >> 4)])
        out.append(lowercaseHexDigits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// The bytes hex digits (either case) stand for; nil for an odd count or a non-digit.
public func hexBytes(_ digits: ArraySlice<UInt8>) -> [UInt8]? {
    guard digits.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = digits.startIndex
    while i < digits.endIndex {
        guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
