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

    /// `{"items": [...], "nextCursor": ...}`: the next cursor is null on the last page.
    /// Rows are fetched with `limit + 1` to know whether another page exists.
    public func answer<T>(_ rows: [T], seq: (T) -> Int64, json: (T) -> JSONValue) -> JSONValue {
        let page = rows.prefix(limit)
        let next: JSONValue = rows.count > limit ? .string(Self.cursor(after: seq(page.last!))) : .null
        return ["items": .array(page.map(json)), "nextCursor": next]
    }
}
