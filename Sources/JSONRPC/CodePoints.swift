#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension String {
    /// Whether both strings hold the same Unicode code points, in order (RFC 8259 §8.3).
    ///
    /// Swift's `==` compares by canonical equivalence, so `"é"` equals `"e\u{301}"` there;
    /// JSON keys, ids and values are distinct whenever their code points differ, and every
    /// comparison of wire text goes through this instead.
    public func hasSameCodePoints(as other: String) -> Bool {
        let fast = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b -> Bool in
                a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
            }
        }
        if let fast, let equal = fast { return equal }
        return utf8.elementsEqual(other.utf8)
    }

    /// Feeds the string's UTF-8 bytes to a hasher: the hash that goes with `hasSameCodePoints`.
    public func hashCodePoints(into hasher: inout Hasher) {
        var copy = self
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        hasher.combine(utf8.count)
    }
}

/// A string used as a set or dictionary key by its code points (see `hasSameCodePoints`).
public struct CodePointKey: Hashable, Sendable {
    public let string: String
    public init(_ string: String) { self.string = string }
    public static func == (a: CodePointKey, b: CodePointKey) -> Bool { a.string.hasSameCodePoints(as: b.string) }
    public func hash(into hasher: inout Hasher) { string.hashCodePoints(into: &hasher) }
}
