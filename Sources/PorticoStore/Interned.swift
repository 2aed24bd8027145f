import GRDB

/// The texts rows repeat (the rules' hash on each sale and entry, the rule's id on each
/// entry: migration 0016; an audit record's actor, action, target type and partner: 0018),
/// stored once in `interned` and referred to by number from the rows: a reference takes one
/// or two bytes where the hash took 64.
/// A text, once interned, keeps its number for good; nothing deletes from the table.
enum Interned {
    /// The select-list expression that reads the text `ref` refers to (NULL for NULL).
    static func text(_ ref: String) -> String { "(SELECT text FROM interned WHERE id = \(ref))" }
}

extension SQLiteTransaction {
    /// The number `text` is stored under, interning it when new; nil for nil. Remembered
    /// for the transaction (forgotten when a savepoint rolls back: the row it added may be
    /// gone), so a group of sales under the same rules looks each text up once.
    func intern(_ text: String?) throws -> Int64? {
        try text.map(intern)
    }

    /// The number `text` is stored under, interning it when new (see above).
    func intern(_ text: String) throws -> Int64 {
        if let ref = internedRefs[text] { return ref }
        let ref: Int64
        if let found = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM interned WHERE text = ?"), arguments: [text]) {
            ref = found
        } else {
            try db.cachedStatement(sql: "INSERT INTO interned (text) VALUES (?)").execute(arguments: [text])
            ref = db.lastInsertedRowID
        }
        internedRefs[text] = ref
        return ref
    }
}
