/// A value that writes itself as JSON, member by member, into a `JSONOutput`.
///
/// One definition gives both forms of a record: its wire text, written straight into the
/// answer's bytes (a list of records never becomes a tree of `JSONValue`s first), and its
/// `JSONValue` (`json`), for the audit trail, idempotency records and in-process callers.
public protocol JSONEncodable {
    func encode(to out: inout JSONOutput)
    /// About how many bytes the text form takes (the buffer reserved for `jsonText`, so a
    /// long answer is not copied as it grows); 256 unless the value knows better.
    var jsonSizeHint: Int { get }
}

extension JSONEncodable {
    /// The value as a tree.
    public var json: JSONValue {
        var out = JSONOutput(.tree)
        encode(to: &out)
        return out.value
    }

    /// The value's compact JSON text, as `JSONWriter` writes its tree (members in the
    /// order they were written).
    public var jsonSizeHint: Int { 256 }

    public var jsonText: [UInt8] {
        var out = JSONOutput(.text, capacity: jsonSizeHint)
        encode(to: &out)
        return out.bytes
    }
}

extension JSONValue: JSONEncodable {
    public func encode(to out: inout JSONOutput) { out.value(self) }
}

/// Where a `JSONEncodable` writes: compact text, or a tree of `JSONValue`s.
///
/// Object keys are static strings of ASCII letters, digits and `_` (checked in debug
/// builds), so the text form writes them without escaping. Writing is a sequence of
/// values; inside `object` each value follows a `key`, and inside `array` each is an
/// element. A value written at the top level is the whole document.
public struct JSONOutput: ~Copyable {
    public enum Form: Sendable { case text, tree }

    public let form: Form
    /// The text form's bytes: appended to without an array's uniqueness and capacity checks
    /// on every byte (a page of records is thousands of appends). Owned by this output
    /// alone, which cannot be copied.
    private var storage: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// The text written so far (the text form), copied out.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: storage, count: count)) }
    /// How many bytes of text are written so far.
    public var textCount: Int { count }
    /// Whether the next member or element is its container's first (the text form).
    private var first = true

    /// The open containers and the finished document (the tree form).
    private var frames: [Frame] = []
    private var root: JSONValue = .null
    private enum Frame {
        case object([JSONObject.Member], key: String)
        case array([JSONValue])
    }

    public init(_ form: Form, capacity: Int = 256) {
        self.form = form
        self.capacity = form == .text ? max(capacity, 16) : 0
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    /// The document written (the tree form).
    public var value: JSONValue {
        precondition(form == .tree && frames.isEmpty, "JSONOutput.value: a tree form with every container closed")
        return root
    }

    // MARK: Values

    public mutating func value(_ v: JSONValue) {
        switch form {
        case .text:
            separate()
            var written: [UInt8] = []
            JSONWriter.write(v, into: &written)
            append(written)
        case .tree: add(v)
        }
    }

    public mutating func string(_ s: String) {
        switch form {
        case .text:
            separate()
            var s = s
            let plain = s.withUTF8 { utf8 in
                guard Self.isPlain(utf8) else { return false }
                appendQuoted(utf8)
                return true
            }
            if !plain { appendEscaped(s) }
        case .tree: add(.string(s))
        }
    }

    /// A string of `length` bytes that `write` puts in the buffer it is given, each one
    /// that needs no escaping (printable ASCII other than `"` and `\`: times, codes, ids
    /// the engine made); the tree form makes a `String` of them.
    public mutating func plainString(length: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        switch form {
        case .text:
            separate()
            reserve(length + 2)
            storage[count] = UInt8(ascii: "\"")
            write(UnsafeMutableBufferPointer(start: storage + count + 1, count: length))
            storage[count + length + 1] = UInt8(ascii: "\"")
            count += length + 2
        case .tree:
            add(.string(String(unsafeUninitializedCapacity: length) { buffer in
                write(buffer)
                return length
            }))
        }
    }

    /// A string from UTF-8 bytes read in place (a database column's text), written as
    /// `string` writes the `String` they decode to: bytes that are ASCII needing no escape
    /// are copied as they are; any others (escapes, non-ASCII, a malformed sequence, which
    /// decoding repairs) go through `String`.
    public mutating func string(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard form == .text else { return add(.string(String(decoding: text, as: UTF8.self))) }
        separate()
        if Self.isPlain(text) { appendQuoted(text) } else { appendEscaped(String(decoding: text, as: UTF8.self)) }
    }

    /// A value already written as JSON text by the text form (`JSONText`): spliced into the
    /// text, or read back into the tree.
    public mutating func encoded(_ text: JSONText) {
        switch form {
        case .text:
            separate()
            text.bytes.withUnsafeBufferPointer { append($0) }
        case .tree:
            guard let v = try? JSONReader.parse(Array(text.bytes)) else {
                preconditionFailure("JSONOutput.encoded: text the text form did not write")
            }
            add(v)
        }
    }

    public mutating func integer(_ i: Int64) {
        switch form {
        case .text:
            separate()
            reserve(JSONWriter.maxIntegerText)
            count += JSONWriter.writeInteger(i, to: storage + count)
        case .tree: add(.integer(i))
        }
    }

    public mutating func bool(_ b: Bool) {
        switch form {
        case .text:
            separate()
            append(b ? "true" : "false")
        case .tree: add(.bool(b))
        }
    }

    public mutating func null() {
        switch form {
        case .text:
            separate()
            append("null")
        case .tree: add(.null)
        }
    }

    // MARK: Containers

    /// An object whose members `members` writes, each a `key` then a value.
    /// A `members` that throws leaves the output half written: the caller drops it.
    public mutating func object(_ members: (inout JSONOutput) throws -> Void) rethrows {
        switch form {
        case .text:
            separate()
            append(UInt8(ascii: "{"))
            first = true
            try members(&self)
            append(UInt8(ascii: "}"))
            first = false
        case .tree:
            frames.append(.object([], key: ""))
            try members(&self)
            guard case .object(let m, _) = frames.removeLast() else { preconditionFailure("JSONOutput: unbalanced object") }
            add(.object(JSONObject(uniqueMembers: m)))
        }
    }

    /// An array whose elements `elements` writes.
    public mutating func array(_ elements: (inout JSONOutput) throws -> Void) rethrows {
        switch form {
        case .text:
            separate()
            append(UInt8(ascii: "["))
            first = true
            try elements(&self)
            append(UInt8(ascii: "]"))
            first = false
        case .tree:
            frames.append(.array([]))
            try elements(&self)
            guard case .array(let a) = frames.removeLast() else { preconditionFailure("JSONOutput: unbalanced array") }
            add(.array(a))
        }
    }

    /// The next member's key, inside `object`.
    public mutating func key(_ k: StaticString) {
        assert(Self.isPlainKey(k), "JSONOutput keys are ASCII letters, digits and _: \(k)")
        switch form {
        case .text:
            if !first { append(UInt8(ascii: ",")) }
            first = true  // the value that follows is not preceded by a comma
            let n = k.utf8CodeUnitCount
            reserve(n + 3)
            storage[count] = UInt8(ascii: "\"")
            (storage + count + 1).initialize(from: k.utf8Start, count: n)
            storage[count + n + 1] = UInt8(ascii: "\"")
            storage[count + n + 2] = UInt8(ascii: ":")
            count += n + 3
        case .tree:
            guard case .object(let m, _)? = frames.last else { preconditionFailure("JSONOutput.key outside an object") }
            frames[frames.count - 1] = .object(m, key: k.description)
        }
    }

    /// The next value is a document of its own, written without a separator (several
    /// whole values in one text, each taken by its range).
    public mutating func beginDocument() { first = true }

    // MARK: Members, a key and its value

    public mutating func member(_ k: StaticString, _ v: String) { key(k); string(v) }
    public mutating func member(_ k: StaticString, _ v: String?) {
        key(k)
        if let v { string(v) } else { null() }
    }
    public mutating func member(_ k: StaticString, _ v: Int64) { key(k); integer(v) }
    public mutating func member(_ k: StaticString, _ v: Int64?) {
        key(k)
        if let v { integer(v) } else { null() }
    }
    public mutating func member(_ k: StaticString, _ v: Bool) { key(k); bool(v) }
    public mutating func member(_ k: StaticString, _ v: JSONValue) { key(k); value(v) }
    public mutating func member<E: JSONEncodable>(_ k: StaticString, _ v: E) { key(k); v.encode(to: &self) }
    public mutating func member<E: JSONEncodable>(_ k: StaticString, _ v: E?) {
        key(k)
        if let v { v.encode(to: &self) } else { null() }
    }
    /// An array member of `items`, each encoding itself.
    public mutating func member<C: Collection>(_ k: StaticString, each items: C) where C.Element: JSONEncodable {
        key(k)
        array { out in
            // Borrowed from the buffer: a record is not copied (nor its strings retained) to
            // be written.
            let done: Void? = items.withContiguousStorageIfAvailable { buffer in
                for i in buffer.indices { buffer[i].encode(to: &out) }
            }
            if done == nil {
                for item in items { item.encode(to: &out) }
            }
        }
    }

    // MARK: Internals

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(n) }
    }

    @inline(never)
    private mutating func grow(_ n: Int) {
        let grown = max(count + n, capacity * 2)
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        bigger.initialize(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity = grown
    }

    @inline(__always)
    private mutating func append(_ b: UInt8) {
        reserve(1)
        storage[count] = b
        count += 1
    }

    @inline(__always)
    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let from = bytes.baseAddress else { return }
        reserve(bytes.count)
        (storage + count).initialize(from: from, count: bytes.count)
        count += bytes.count
    }

    private mutating func append(_ bytes: [UInt8]) { bytes.withUnsafeBufferPointer { append($0) } }

    /// `text`, every byte of it plain (`isPlain`), between quotes.
    private mutating func appendQuoted(_ text: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        append(text)
        append(UInt8(ascii: "\""))
    }

    /// `s` as a JSON string, escaped as `JSONWriter` escapes it.
    private mutating func appendEscaped(_ s: String) {
        var written: [UInt8] = []
        JSONWriter.writeString(s, into: &written)
        append(written)
    }

    private mutating func append(_ s: StaticString) { append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)) }

    /// A comma before an element that is not its array's first (after a key, `first` is
    /// set, so a member's value is never preceded by one).
    @inline(__always)
    private mutating func separate() {
        if !first { append(UInt8(ascii: ",")) }
        first = false
    }

    private mutating func add(_ v: JSONValue) {
        guard let top = frames.indices.last else {
            root = v
            return
        }
        switch frames[top] {
        case .object(var m, let key):
            frames[top] = .array([])  // leaves `m` uniquely referenced while it grows
            m.append(JSONObject.Member(key: key, value: v))
            frames[top] = .object(m, key: "")
        case .array(var a):
            frames[top] = .array([])
            a.append(v)
            frames[top] = .array(a)
        }
    }

    /// Printable ASCII other than `"` and `\`: bytes a JSON string holds as they are.
    /// Eight bytes at a time: a word has a byte that is not plain when it has one with its
    /// high bit set, one less than 0x20, or one equal to 0x22, 0x5C or 0x7F (the classic
    /// zero-byte and less-than-byte tests, exact for words without high bits).
    static func isPlain(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = text.baseAddress else { return true }
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasByteBelow(_ w: UInt64, _ n: UInt64) -> Bool { (w &- ones &* n) & ~w & highs != 0 }
        var i = 0
        while i + 8 <= text.count {
            let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
            if w & highs != 0 || hasByteBelow(w, 0x20) || hasByteBelow(w ^ (ones &* 0x22), 1)
                || hasByteBelow(w ^ (ones &* 0x5C), 1) || hasByteBelow(w ^ (ones &* 0x7F), 1)
            {
                return false
            }
            i += 8
        }
        while i < text.count {
            let b = base[i]
            if b < 0x20 || b >= 0x7F || b == 0x22 || b == 0x5C { return false }
            i += 1
        }
        return true
    }

    static func isPlainKey(_ k: StaticString) -> Bool {
        guard k.hasPointerRepresentation, k.utf8CodeUnitCount > 0 else { return false }
        return UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount).allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: "_")
        }
    }
}

/// A value's compact JSON text, as a `JSONOutput` in the text form wrote it (a record a
/// store wrote straight from its columns): it encodes itself by being spliced in.
public struct JSONText: JSONEncodable, Sendable {
    public let bytes: ArraySlice<UInt8>

    /// `bytes` must be one whole value in the text form's output.
    public init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    public func encode(to out: inout JSONOutput) { out.encoded(self) }
    public var jsonSizeHint: Int { bytes.count }
}
