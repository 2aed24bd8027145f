import JSONRPC

/// Cursor paging over a table's insertion order. The cursor is opaque to clients.
public struct PageRequest: Sendable {
    public static let defaultLimit = 50
    public static let maxLimit = 1000

    public var afterSeq: Int64
    public var limit: Int

    public init(afterSeq: Int64 = 0, limit: Int = PageRequest.defaultLimit) {
        self.afterSeq = afterSeq
        self.limit = limit
    }

    /// Reads `cursor` and `limit` as sent by a client.
    public init(cursor: String?, limit: Int64?) throws(PorticoError) {
        if let limit {
            guard limit >= 1 && limit <= Int64(Self.maxLimit) else {
                throw .invalid("limit", "must be between 1 and \(Self.maxLimit)")
            }
            self.limit = Int(limit)
        } else {
            self.limit = Self.defaultLimit
        }
        if let cursor {
            guard cursor.hasPrefix("c"), let seq = Int64(cursor.dropFirst(), radix: 36), seq >= 0 else {
                throw .invalid("cursor", "is not a cursor this engine issued")
            }
            afterSeq = seq
        } else {
            afterSeq = 0
        }
    }

    public static func cursor(after seq: Int64) -> String { "c" + String(seq, radix: 36) }

    /// The page of `rows`, fetched with `limit + 1` to know whether another page exists.
    public func page<T>(_ rows: [T], seq: (T) -> Int64) -> Page<T> {
        let items = Array(rows.prefix(limit))
        return Page(items: items, nextCursor: rows.count > limit ? Self.cursor(after: seq(items.last!)) : nil)
    }
}

/// One page of a list: its items, and the cursor of the next page (nil on the last).
public struct Page<Item> {
    public var items: [Item]
    public var nextCursor: String?

    /// The same page with each item transformed.
    public func map<T>(_ transform: (Item) throws -> T) rethrows -> Page<T> {
        Page<T>(items: try items.map(transform), nextCursor: nextCursor)
    }

    /// `{"items": [...], "nextCursor": ...}`, each item encoded by `encode`.
    public func json(_ encode: (Item) -> JSONValue) -> JSONValue {
        ["items": .array(items.map(encode)), "nextCursor": nextCursor.map { .string($0) } ?? .null]
    }
}

extension Page: JSONEncodable where Item: JSONEncodable {
    /// `{"items": [...], "nextCursor": ...}`, each item written straight into the text.
    public func encode(to out: inout JSONOutput) {
        out.object { o in
            o.member("items", each: items)
            o.member("nextCursor", nextCursor)
        }
    }

    /// Estimated from the first item (asking every item cost more than the estimate saves).
    public var jsonSizeHint: Int { items.first.map { 64 + items.count * ($0.jsonSizeHint + 1) } ?? 64 }
}

/// A record a store wrote as answer text while reading its row (`JSONText`, what the
/// record's own `encode(to:)` writes), with its place in the table's order for the page's
/// cursor: a page of these is written without a record or a `String` per column.
public struct RecordText: JSONEncodable, Sendable {
    public var seq: Int64
    public var text: JSONText

    public init(seq: Int64, text: JSONText) {
        self.seq = seq
        self.text = text
    }

    /// The record's text as its `encode(to:)` writes it.
    public init(seq: Int64, _ record: some JSONEncodable) {
        let bytes = record.jsonText
        self.init(seq: seq, text: JSONText(bytes[...]))
    }

    public func encode(to out: inout JSONOutput) { out.encoded(text) }
    public var jsonSizeHint: Int { text.bytes.count }
}
