/// How messages are delimited on a stream.
public enum Framing: Sendable, Equatable {
    /// One JSON text per line.
    case newlineDelimited
    /// LSP-style `Content-Length: N\r\n\r\n` headers before each message.
    case contentLength

    /// Appends one framed message to `out`.
    public func frame(_ message: [UInt8], into out: inout [UInt8]) {
        switch self {
        case .newlineDelimited:
            out.append(contentsOf: message)
            out.append(0x0A)
        case .contentLength:
            out.append(contentsOf: "Content-Length: \(message.count)\r\n\r\n".utf8)
            out.append(contentsOf: message)
        }
    }
}

/// What the decoder found in the stream.
public enum FrameEvent: Equatable {
    /// One message's bytes. The slice shares the decoder's buffer: use it before the
    /// next `append`.
    case message(ArraySlice<UInt8>)
    /// A framing problem, answered as a parse error; the decoder has already skipped the
    /// bad bytes and goes on with the next message.
    case error(RPCError)
}

/// Splits a byte stream into messages: a small state machine fed arbitrary chunks.
///
/// The framing is detected from the first non-blank bytes (`Content-Length:` or
/// `Content-Type:` headers mean LSP framing; anything else is newline-delimited) and kept
/// for the whole stream. The size limit is enforced while bytes arrive: an oversized
/// message is skipped as it streams past and never buffered whole.
public struct FrameDecoder {
    enum State {
        case detecting
        case line
        case skipLine
        /// Reading a header block; `opened` once a header line was read.
        case headers(contentLength: Int?, opened: Bool)
        case body(Int)
        case skipBody(Int)
        case resync
    }

    public let maxMessageBytes: Int
    public private(set) var framing: Framing?
    var state: State = .detecting
    var buffer: [UInt8] = []
    var start = 0
    var scanFrom = 0
    static let maxHeaderBytes = 8192

    public init(maxMessageBytes: Int = 4 << 20) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Adds bytes read from the stream. Call `next()` until it answers nil before the next append.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 {
            if start == buffer.count {
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.removeSubrange(0..<start)
            }
            scanFrom -= start
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete message or framing error, or nil when more bytes are needed.
    public mutating func next() -> FrameEvent? {
        while true {
            switch state {
            case .detecting:
                while start < buffer.count, Self.isBlank(buffer[start]) { start += 1 }
                guard start < buffer.count else { return nil }
                let prefix = Array("content-".utf8)
                let available = buffer.count - start
                if available < prefix.count, !buffer[start...].contains(0x0A) {
                    // "C" alone might still become a header.
                    if Self.lower(buffer[start..<buffer.count]).elementsEqual(prefix.prefix(available)) { return nil }
                }
                if available >= prefix.count, Self.lower(buffer[start..<start + prefix.count]).elementsEqual(prefix) {
                    framing = .contentLength
                    state = .headers(contentLength: nil, opened: false)
                } else {
                    framing = .newlineDelimited
                    state = .line
                }
                scanFrom = start

            case .line:
                guard let nl = buffer[scanFrom...].firstIndex(of: 0x0A) else {
                    scanFrom = buffer.count
                    if buffer.count - start > maxMessageBytes {
                        start = buffer.count
                        scanFrom = start
                        state = .skipLine
                        return .error(tooLarge())
                    }
                    return nil
                }
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let lineStart = start
                start = nl + 1
                scanFrom = start
                if buffer[lineStart..<end].allSatisfy(Self.isBlank) { continue }
                if end - lineStart > maxMessageBytes { return .error(tooLarge()) }
                return .message(buffer[lineStart..<end])

            case .skipLine:
                if let nl = buffer[start...].firstIndex(of: 0x0A) {
                    start = nl + 1
                    scanFrom = start
                    state = .line
                } else {
                    start = buffer.count
                    scanFrom = start
                    return nil
                }

            case .headers(let contentLength, let opened):
                guard let nl = buffer[start...].firstIndex(of: 0x0A) else {
                    if buffer.count - start > Self.maxHeaderBytes {
                        state = .resync
                        return .error(.parseError("a header line longer than \(Self.maxHeaderBytes) bytes; skipped to the next Content-Length header"))
                    }
                    return nil
                }
                var end = nl
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = nl + 1
                if line.isEmpty {
                    guard let length = contentLength else {
                        // Blank lines between messages are fine; a header block that ends
                        // without a Content-Length cannot be read.
                        guard opened else { continue }
                        state = .headers(contentLength: nil, opened: false)
                        return .error(.parseError("a header block without Content-Length"))
                    }
                    if length > maxMessageBytes {
                        state = .skipBody(length)
                        return .error(tooLarge())
                    }
                    state = .body(length)
                    continue
                }
                guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                      line[line.startIndex..<colon].allSatisfy(Self.isTokenCharacter)
                else {
                    // Not a header (a line without a colon, a name with spaces, a bare JSON
                    // text, or the tail of a frame whose length was wrong): answered once,
                    // and skipped up to the next Content-Length header.
                    start = line.startIndex
                    state = .resync
                    return .error(.parseError("not a header line (\(Self.excerpt(line))); skipped to the next Content-Length header"))
                }
                let name = Self.lower(line[line.startIndex..<colon])
                if name.elementsEqual("content-length".utf8) {
                    let value = line[(colon + 1)...].drop(while: Self.isBlank)
                    let digits = value.prefix(while: { !Self.isBlank($0) })
                    guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                          value.dropFirst(digits.count).allSatisfy(Self.isBlank)
                    else {
                        state = .resync
                        return .error(.parseError("invalid Content-Length header"))
                    }
                    state = .headers(contentLength: Int(String(decoding: digits, as: UTF8.self)), opened: true)
                } else {
                    // Other headers (Content-Type) are accepted and ignored.
                    state = .headers(contentLength: contentLength, opened: true)
                }

            case .body(let length):
                guard buffer.count - start >= length else { return nil }
                let body = buffer[start..<start + length]
                start += length
                state = .headers(contentLength: nil, opened: false)
                return .message(body)

            case .skipBody(let remaining):
                let n = min(remaining, buffer.count - start)
                start += n
                if n < remaining {
                    state = .skipBody(remaining - n)
                    return nil
                }
                state = .headers(contentLength: nil, opened: false)

            case .resync:
                let needle = Array("content-length:".utf8)
                var i = start + 1
                var found: Int? = nil
                while i + needle.count <= buffer.count {
                    if Self.lower(buffer[i..<i + needle.count]).elementsEqual(needle) { found = i; break }
                    i += 1
                }
                if let found {
                    start = found
                    state = .headers(contentLength: nil, opened: false)
                    continue
                }
                start = max(start, buffer.count - needle.count)
                return nil
            }
        }
    }

    /// Called at end of input: what is left becomes a last message or a truncation error.
    public mutating func finish() -> FrameEvent? {
        defer { start = buffer.count; state = .detecting }
        switch state {
        case .detecting, .line:
            let rest = buffer[start...]
            if rest.allSatisfy(Self.isBlank) { return nil }
            if framing == nil { framing = .newlineDelimited }
            if rest.count > maxMessageBytes { return .error(tooLarge()) }
            var end = rest.endIndex
            while end > rest.startIndex, Self.isBlank(buffer[end - 1]) { end -= 1 }
            return .message(buffer[rest.startIndex..<end])
        case .body(let length):
            return .error(.parseError("truncated message: expected \(length) bytes, got \(buffer.count - start)"))
        case .headers(let length, let opened):
            if length == nil, !opened, buffer[start...].allSatisfy(Self.isBlank) { return nil }
            return .error(.parseError("truncated message header"))
        case .skipLine, .skipBody, .resync:
            return nil
        }
    }

    /// The start of a bad line, printable, for an error message.
    static func excerpt(_ line: ArraySlice<UInt8>) -> String {
        var out = "'"
        for b in line.prefix(40) {
            out += b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }
        return out + (line.count > 40 ? "...'" : "'")
    }

    func tooLarge() -> RPCError {
        .parseError("message larger than the limit of \(maxMessageBytes) bytes")
    }

    /// RFC 9110 token characters, the only ones a header name may hold.
    static func isTokenCharacter(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): return true
        default: return false
        }
    }

    @inline(__always) static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    static func lower(_ s: ArraySlice<UInt8>) -> LazyMapSequence<ArraySlice<UInt8>, UInt8> {
        s.lazy.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    }
}
