import CZlib
import Synchronization

/// How the audit log stores a record's state before and after: its canonical JSON text,
/// deflated (zlib, raw deflate) against a preset dictionary of the keys and values the
/// engine's answers are made of. A sale's answer of about 1,200 bytes is stored in about
/// 300. The chain's hash covers the text, not these bytes (`AuditEntry.computeHash`), so a
/// record reads and verifies the same however it is stored.
///
/// The stored form: one byte naming the format, the text's length in bytes as an
/// unsigned LEB128 number, then the deflated stream (raw deflate). Format 1 deflates
/// against `dictionaryV1`; format 2 (what the engine writes since migration 0018) against
/// `dictionaryV1` followed by the record's context, texts of its own row that its states
/// repeat (a long text the row names, the partner, the target, the time:
/// `AuditEntry.bodyContext`), so their first
/// occurrence in a state is a reference too: a sale's answer in about 50 bytes fewer. A
/// format, its dictionary included, never changes once shipped: a new one takes the next
/// number and the reader keeps reading the old.
enum AuditBody {
    static let formatV1: UInt8 = 1
    static let formatV2: UInt8 = 2

    /// What a stored state that does not read back is taken as: no canonical JSON, so the
    /// record's hash cannot match and verify names it.
    static let unreadable = "(unreadable)"

    /// The text as stored in format 1 (no context).
    static func encode(_ text: String) -> [UInt8] { encode(text, format: formatV1, context: "") }

    /// The text as stored in format 2, against the record's `context`.
    static func encode(_ text: String, context: String) -> [UInt8] { encode(text, format: formatV2, context: context) }

    private static func encode(_ text: String, format: UInt8, context: String) -> [UInt8] {
        var text = text, context = context
        return text.withUTF8 { input in
            context.withUTF8 { context in
                var out: [UInt8] = [format]
                var n = UInt64(input.count)
                repeat {
                    out.append(UInt8(n & 0x7F) | (n >= 0x80 ? 0x80 : 0))
                    n >>= 7
                } while n > 0
                deflaters.withLock { $0.deflate(input, context: context, appendingTo: &out) }
                return out
            }
        }
    }

    /// The text `bytes` holds, read against `context` when it is in format 2 (the same
    /// context it was written with: the record's own row); nil when they are not a stored
    /// text this engine reads (a format it does not know, a damaged stream, a length that
    /// does not match, another context).
    static func decode(_ bytes: UnsafeRawBufferPointer, context: String = "") -> String? {
        guard bytes.count >= 2, bytes[0] == formatV1 || bytes[0] == formatV2 else { return nil }
        var context = bytes[0] == formatV1 ? "" : context
        var length: UInt64 = 0, shift: UInt64 = 0, i = 1
        while true {
            guard i < bytes.count, shift < 35 else { return nil }
            let b = bytes[i]
            length |= UInt64(b & 0x7F) << shift
            i += 1
            if b & 0x80 == 0 { break }
            shift += 7
        }
        // Deflate expands at most 1,032-fold (plus the dictionary's worth): a length past
        // that is a damaged record, refused before any room is made for it.
        let stream = UnsafeRawBufferPointer(rebasing: bytes[i...])
        guard length <= UInt64(stream.count + dictionaryV1.count + context.utf8.count) * 1_032 else { return nil }
        return context.withUTF8 { context in inflaters.withLock { $0.inflate(stream, length: Int(length), context: context) } }
    }

    static func decode(_ bytes: [UInt8], context: String = "") -> String? { bytes.withUnsafeBytes { decode($0, context: context) } }

    /// As `decode`, remembering the last text read: the record many others refer to is
    /// read with each of them (AuditEntry's `refSeq`).
    static func decodeRemembered(_ bytes: UnsafeRawBufferPointer, context: String) -> String? {
        if let text = remembered.withLock({ last in
            last.flatMap { $0.context == context && $0.bytes.elementsEqual(bytes) ? $0.text : nil }
        }) {
            return text
        }
        let text = decode(bytes, context: context)
        remembered.withLock { $0 = text.map { (Array(bytes), context, $0) } }
        return text
    }

    private static let remembered = Mutex<(bytes: [UInt8], context: String, text: String)?>(nil)

    /// One stream each way, reused (a stream's set-up costs more than a record's deflate);
    /// the engine deflates on its one writer and inflates on its readers.
    private static let deflaters = Mutex(Deflater())
    private static let inflaters = Mutex(Inflater())

    /// The keys and values most records hold, the commonest last (nearest the text, so the
    /// shortest distances). Part of format 1: never edited.
    static let dictionaryV1: [UInt8] = Array("""
        {"accepted":,"accountId":"","asOf":"","bands":[],"cancelAtPeriodEnd":false,"cancelledAt":null,"clientId":"",\
        "commissionRate":"","country":"","currentPeriodEnd":"","currentPeriodStart":"","destination":{"method":"stripe",\
        "email":"","endedAt":null,"exact":true,"expiresAt":"","holdUntil":"","interval":"month","lastSaleId":"",\
        "lines":[{"commissionId":"com_","name":"","owner":,"period":"","providerReference":null,"quantity":"","reason":null,\
        "region":"eu","role":"owner","scopes":[],"startAt":"","subdomain":"","tier":"","unit":"","status":"active",\
        "payoutId":null,"originalAmount":{"amount":,"currency":"EUR"},"status":"payable","updatedAt":"",\
        "commissions":[{"amount":{"amount":,"currency":"EUR"},"basis":"","beneficiary":"reseller","createdAt":"",\
        "id":"com_","kind":"sale","occurredAt":"","partnerId":"ptr_","payableAt":"","resellerId":null,"ruleId":"",\
        "rulesHash":"","saleId":"sal_","status":"pending","updatedAt":""}],"sale":{"amount":{"amount":,\
        "currency":"USD"},"createdAt":"","customerId":"cus_","externalId":"","id":"sal_","kind":"new","occurredAt":"",\
        "partnerId":"ptr_","plan":"pro","refunded":{"amount":0,"currency":"USD"},"resellerId":null,"rulesHash":"
        """.utf8)
}

private let windowBits: Int32 = -15  // raw deflate, a 32 KiB window

/// The preset dictionary a stream is set to: `dictionaryV1` followed by the record's
/// context, rebuilt in place for each record.
private struct ContextDictionary {
    private var bytes = AuditBody.dictionaryV1

    mutating func with<R>(_ context: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        bytes.removeSubrange(AuditBody.dictionaryV1.count...)
        bytes.append(contentsOf: context)
        return bytes.withUnsafeBufferPointer(body)
    }
}

// Used only under its Mutex.
private struct Deflater: ~Copyable, @unchecked Sendable {
    var stream: UnsafeMutablePointer<z_stream>

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // Level 6 and a small hash table: against its record's context, a sale's answer in
        // about 27 bytes fewer than level 1 (about 175 against 200), for a few µs more a
        // sale, within the pipelined figure's run-to-run spread (2026-12-03).
        let rc = deflateInit2_(stream, 6, Z_DEFLATED, windowBits, 6, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "zlib's deflateInit2 failed: \(rc)")
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    var dictionary = ContextDictionary()

    mutating func deflate(_ input: UnsafeBufferPointer<UInt8>, context: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) {
        deflateReset(stream)
        dictionary.with(context) { _ = deflateSetDictionary(stream, $0.baseAddress, UInt32($0.count)) }
        let bound = Int(deflateBound(stream, UInt(input.count)))
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: bound))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.next_out = buffer.baseAddress! + start
            stream.pointee.avail_out = UInt32(bound)
            let rc = CZlib.deflate(stream, Z_FINISH)
            // deflateBound's room always holds the whole stream in one call.
            precondition(rc == Z_STREAM_END, "zlib's deflate did not finish: \(rc)")
            return bound - Int(stream.pointee.avail_out)
        }
        out.removeLast(bound - written)
    }
}

// Used only under its Mutex.
private struct Inflater: ~Copyable, @unchecked Sendable {
    var stream: UnsafeMutablePointer<z_stream>

    init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = inflateInit2_(stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(rc == Z_OK, "zlib's inflateInit2 failed: \(rc)")
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    var dictionary = ContextDictionary()

    mutating func inflate(_ input: UnsafeRawBufferPointer, length: Int, context: UnsafeBufferPointer<UInt8>) -> String? {
        inflateReset(stream)
        dictionary.with(context) { _ = inflateSetDictionary(stream, $0.baseAddress, UInt32($0.count)) }
        guard input.count > 0 else { return nil }
        var ok = false
        // One byte of room past the length: a stream that holds more than it says fails.
        let text = String(unsafeUninitializedCapacity: length + 1) { buffer -> Int in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
            stream.pointee.avail_in = UInt32(input.count)
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = UInt32(length + 1)
            let rc = CZlib.inflate(stream, Z_FINISH)
            // The whole stream, exactly the length stored, and nothing after it.
            ok = rc == Z_STREAM_END && Int(stream.pointee.avail_out) == 1 && stream.pointee.avail_in == 0
            return ok ? length : 0
        }
        return ok ? text : nil
    }
}
