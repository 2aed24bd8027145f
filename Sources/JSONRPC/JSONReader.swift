/// Why a JSON text was refused.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case syntax
        case invalidUTF8
        case duplicateKey
        case tooDeep
        case tooManyElements
    }
    public var kind: Kind
    public var message: String
    /// Byte offset in the text where the problem was found.
    public var offset: Int

    public var description: String { "\(message) at byte \(offset)" }
}

/// A strict, single-pass JSON reader (RFC 8259).
///
/// It refuses what a lenient reader lets through: duplicate object keys, invalid UTF-8,
/// lone surrogate escapes, control characters in strings, leading zeros, NaN/Infinity,
/// trailing commas, and anything after the value. Nesting depth is bounded (checked
/// before recursing, so deep input cannot exhaust the stack), and so is the length of a
/// top-level array (a JSON-RPC batch), checked before the element is allocated.
public struct JSONReader {
    public struct Limits: Sendable {
        public var maxDepth: Int
        /// The most elements a top-level array may hold.
        public var maxTopLevelElements: Int
        public init(maxDepth: Int = 64, maxTopLevelElements: Int = .max) {
            self.maxDepth = maxDepth
            self.maxTopLevelElements = maxTopLevelElements
        }
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        var copy = text
        return try copy.withUTF8 { buf in
            Result { () throws(JSONParseError) in try parse(UnsafeRawBufferPointer(buf), limits: limits) }
        }.get()
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBytes { buf in
            Result { () throws(JSONParseError) in try parse(buf, limits: limits) }
        }.get()
    }

    public static func parse(_ bytes: ArraySlice<UInt8>, limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBytes { buf in
            Result { () throws(JSONParseError) in try parse(buf, limits: limits) }
        }.get()
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        var reader = Cursor(bytes: bytes, limits: limits)
        reader.skipWhitespace()
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        if reader.index != bytes.count {
            throw reader.error(.syntax, "unexpected data after the JSON value")
        }
        return value
    }

    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let limits: Limits
        var index = 0
        var scratch: [UInt8] = []

        init(bytes: UnsafeRawBufferPointer, limits: Limits) {
            self.bytes = bytes
            self.limits = limits
        }

        func error(_ kind: JSONParseError.Kind, _ message: String) -> JSONParseError {
            JSONParseError(kind: kind, message: message, offset: index)
        }

        @inline(__always) mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func readValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard index < bytes.count else { throw error(.syntax, "unexpected end of input") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try readObject(depth: depth + 1)
            case UInt8(ascii: "["): return try readArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try readString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
            default:
                throw error(.syntax, "unexpected character '\(Self.printable(bytes[index]))'")
            }
        }

        static func printable(_ b: UInt8) -> String {
            b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }

        mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
            let n = word.utf8CodeUnitCount
            guard index + n <= bytes.count else { throw error(.syntax, "unexpected end of input") }
            let p = word.utf8Start
            for i in 0..<n where bytes[index + i] != p[i] {
                throw error(.syntax, "invalid literal")
            }
            index += n
        }

        mutating func readObject(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= limits.maxDepth else { throw error(.tooDeep, "nesting deeper than \(limits.maxDepth)") }
            index += 1  // {
            var members: [JSONObject.Member] = []
            var seen: Set<CodePointKey>? = nil
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(uniqueMembers: members))
            }
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw error(.syntax, "unexpected end of input in object") }
                guard bytes[index] == UInt8(ascii: "\"") else { throw error(.syntax, "expected a string key") }
                let keyOffset = index
                let key = try readString()
                // Keys are compared by code points: "é" and "e\u0301" are two keys. Small
                // objects: a linear scan beats hashing; large ones switch to a set.
                if members.count < 16 {
                    for m in members where m.key.hasSameCodePoints(as: key) {
                        throw JSONParseError(kind: .duplicateKey, message: "duplicate key \"\(key)\"", offset: keyOffset)
                    }
                } else {
                    if seen == nil { seen = Set(members.map { CodePointKey($0.key) }) }
                    if !seen!.insert(CodePointKey(key)).inserted {
                        throw JSONParseError(kind: .duplicateKey, message: "duplicate key \"\(key)\"", offset: keyOffset)
                    }
                }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error(.syntax, "expected ':'") }
                index += 1
                skipWhitespace()
                let value = try readValue(depth: depth)
                members.append(JSONObject.Member(key: key, value: value))
                skipWhitespace()
                guard index < bytes.count else { throw error(.syntax, "unexpected end of input in object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw error(.syntax, "expected ',' or '}'")
            }
            return .object(JSONObject(uniqueMembers: members))
        }

        mutating func readArray(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= limits.maxDepth else { throw error(.tooDeep, "nesting deeper than \(limits.maxDepth)") }
            let maxElements = depth == 1 ? limits.maxTopLevelElements : Int.max
            index += 1  // [
            var elements: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhitespace()
                if elements.count == maxElements {
                    throw error(.tooManyElements, "more than \(maxElements) elements")
                }
                elements.append(try readValue(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw error(.syntax, "unexpected end of input in array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                throw error(.syntax, "expected ',' or ']'")
            }
            return .array(elements)
        }

        mutating func readNumber() throws(JSONParseError) -> JSONValue {
            let start = index
            var negative = false
            if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error(.syntax, "invalid number") }
            // Accumulate as a negative value so Int64.min is representable.
            var acc: Int64 = 0
            var fits = true
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count, isDigit(bytes[index]) { throw error(.syntax, "leading zero in number") }
            } else {
                while index < bytes.count, isDigit(bytes[index]) {
                    if fits {
                        let d = Int64(bytes[index] &- UInt8(ascii: "0"))
                        let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                        let (s, o2) = m.subtractingReportingOverflow(d)
                        if o1 || o2 { fits = false } else { acc = s }
                    }
                    index += 1
                }
            }
            var integral = true
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw error(.syntax, "invalid number: digit expected after '.'") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw error(.syntax, "invalid number: digit expected in exponent") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if integral && fits {
                if negative { return .integer(acc) }
                if acc != .min { return .integer(-acc) }
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            return .number(text)
        }

        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        mutating func readString() throws(JSONParseError) -> String {
            index += 1  // opening quote
            let start = index
            var ascii = true
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                    index += 1
                    return try makeString(slice, ascii: ascii, offset: start)
                }
                if b == UInt8(ascii: "\\") { return try readEscapedString(start: start) }
                if b < 0x20 { throw error(.syntax, "control character in string") }
                if b >= 0x80 { ascii = false }
                index += 1
            }
            throw error(.syntax, "unterminated string")
        }

        func makeString(_ slice: UnsafeRawBufferPointer, ascii: Bool, offset: Int) throws(JSONParseError) -> String {
            if ascii { return String(decoding: slice, as: UTF8.self) }
            guard let s = String(validating: slice.bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw JSONParseError(kind: .invalidUTF8, message: "invalid UTF-8 in string", offset: offset)
            }
            return s
        }

        mutating func readEscapedString(start: Int) throws(JSONParseError) -> String {
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            var ascii = !scratch.contains { $0 >= 0x80 }
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") {
                    index += 1
                    let local = scratch
                    return try local.withUnsafeBytes { buf in
                        Result { () throws(JSONParseError) in try makeString(buf, ascii: ascii, offset: start) }
                    }.get()
                }
                if b < 0x20 { throw error(.syntax, "control character in string") }
                if b != UInt8(ascii: "\\") {
                    if b >= 0x80 { ascii = false }
                    scratch.append(b)
                    index += 1
                    continue
                }
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if scalar >= 0xD800 && scalar <= 0xDBFF {
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw error(.syntax, "lone surrogate in string escape")
                        }
                        index += 2
                        let low = try readHex4()
                        guard low >= 0xDC00 && low <= 0xDFFF else { throw error(.syntax, "lone surrogate in string escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                        throw error(.syntax, "lone surrogate in string escape")
                    }
                    if scalar >= 0x80 { ascii = false }
                    appendUTF8(scalar)
                default:
                    throw error(.syntax, "invalid escape '\\\(Self.printable(e))'")
                }
            }
            throw error(.syntax, "unterminated string")
        }

        mutating func readHex4() throws(JSONParseError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw error(.syntax, "truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[index]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw error(.syntax, "invalid hex digit in \\u escape")
                }
                v = v << 4 | d
                index += 1
            }
            return v
        }

        mutating func appendUTF8(_ s: UInt32) {
            switch s {
            case 0..<0x80:
                scratch.append(UInt8(s))
            case 0x80..<0x800:
                scratch.append(UInt8(0xC0 | (s >> 6)))
                scratch.append(UInt8(0x80 | (s & 0x3F)))
            case 0x800..<0x10000:
                scratch.append(UInt8(0xE0 | (s >> 12)))
                scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
                scratch.append(UInt8(0x80 | (s & 0x3F)))
            default:
                scratch.append(UInt8(0xF0 | (s >> 18)))
                scratch.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
                scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
                scratch.append(UInt8(0x80 | (s & 0x3F)))
            }
        }
    }
}

extension JSONReader {
    /// Reads one member of a top-level object from text that is not valid JSON as a whole
    /// (a NaN in the params, a bad escape elsewhere), so an error can still name the
    /// request it answers. Members before it are skipped leniently (strings and brackets
    /// balanced, anything else up to the next comma); the member's own value must be valid
    /// JSON. Nil when the text is not an object, the member is absent or written twice
    /// (as far as the text can be followed), or its value is unreadable.
    public static func recoverMember(_ name: String, in bytes: UnsafeRawBufferPointer) -> JSONValue? {
        var c = Cursor(bytes: bytes, limits: Limits(maxDepth: 8))
        c.skipWhitespace()
        guard c.index < bytes.count, bytes[c.index] == UInt8(ascii: "{") else { return nil }
        c.index += 1
        var found: JSONValue? = nil
        while true {
            c.skipWhitespace()
            guard c.index < bytes.count, bytes[c.index] == UInt8(ascii: "\"") else { return found }
            guard let key = try? c.readString() else { return found }
            c.skipWhitespace()
            guard c.index < bytes.count, bytes[c.index] == UInt8(ascii: ":") else { return found }
            c.index += 1
            c.skipWhitespace()
            if key.hasSameCodePoints(as: name) {
                if found != nil { return nil }
                guard let value = try? c.readValue(depth: 0) else { return nil }
                found = value
            } else if !c.skipLeniently() {
                return found
            }
            c.skipWhitespace()
            guard c.index < bytes.count, bytes[c.index] == UInt8(ascii: ",") else { return found }
            c.index += 1
        }
    }
}

extension JSONReader.Cursor {
    /// Steps over one value without validating it: strings (escapes honoured) and nested
    /// brackets are balanced; anything else runs to the next ',', '}' or ']'. False when
    /// the text ends first.
    mutating func skipLeniently() -> Bool {
        var depth = 0
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                guard index < bytes.count else { return false }
                index += 1
                if depth == 0 { return true }
                continue
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                if depth == 0 { return true }
                depth -= 1
                if depth == 0 { index += 1; return true }
            case UInt8(ascii: ","):
                if depth == 0 { return true }
            default:
                break
            }
            index += 1
        }
        return false
    }
}
