import Foundation
import GRDB
import PorticoCore

/// The ways the migrations change a table SQLite's ALTER TABLE cannot.
extension SQLiteStore {
    /// Adds `statements` at the end of a trigger's body: the trigger is created again from
    /// its own definition with them before its final END.
    static func extend(trigger name: String, with statements: String, _ db: Database) throws {
        guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?", arguments: [name]),
              let end = sql.range(of: "END", options: .backwards)
        else { throw DatabaseError(message: "trigger \(name) not found") }
        try db.execute(sql: "DROP TRIGGER \(name)")
        try db.execute(sql: sql[..<end.lowerBound] + statements + "\n" + sql[end.lowerBound...])
    }

    /// Rebuilds `table` with one more table constraint (see `redefine`). Existing rows
    /// are copied without the new check.
    static func addCheck(_ constraint: String, to table: String, _ db: Database) throws {
        try redefine(table, db) { body in body + ",\n    " + constraint + "\n" }
    }

    /// Rebuilds `table` with `old` in its definition replaced by `new` (a check widened,
    /// say); `old` must occur exactly once.
    static func replace(_ old: String, with new: String, in table: String, _ db: Database) throws {
        try redefine(table, db) { body in try replacing(old, with: new, in: body) }
    }

    /// `text` with `old`, which must occur exactly once, replaced by `new`.
    static func replacing(_ old: String, with new: String, in text: String) throws -> String {
        let parts = text.components(separatedBy: old)
        guard parts.count == 2 else { throw DatabaseError(message: "expected '\(old)' once in a table's definition") }
        return parts.joined(separator: new)
    }

    /// Rebuilds `table` with its column and constraint list edited by `edit`, following
    /// SQLite's procedure for schema changes ALTER TABLE cannot make; the triggers that
    /// write the table (defined on others) are dropped first and created again after, so
    /// the rename checks none of them against a missing table. Rows are copied as they
    /// are, without the checks (they passed the ones they were written under); a column
    /// named in `converting` is copied as its SQL expression there (of the old row's columns);
    /// the table's indexes are created again as `indexes` edits their definitions (a column
    /// renamed, say).
    static func redefine(_ table: String, _ db: Database, converting: [String: String] = [:], indexes editIndex: (String) -> String = { $0 },
                         _ edit: (String) throws -> String) throws {
        // A table rebuilt before (renamed into place) has its name quoted by SQLite.
        let prefixes = ["CREATE TABLE \(table) (", "CREATE TABLE \"\(table)\" ("]
        guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", arguments: [table]),
              let prefix = prefixes.first(where: { sql.hasPrefix($0) }), let close = sql.range(of: ")", options: .backwards),
              sql[close.upperBound...].trimmingCharacters(in: .whitespaces).hasPrefix("STRICT")
        else { throw DatabaseError(message: "unexpected definition of \(table)") }
        let triggers = try Row.fetchAll(db, sql: """
            SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND sql LIKE ? ORDER BY rowid
            """, arguments: ["%" + table + "%"]).map { ($0["name"] as String, $0["sql"] as String) }
        let indexes = try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type = 'index' AND sql IS NOT NULL ORDER BY rowid
            """, arguments: [table])
        for (name, _) in triggers { try db.execute(sql: "DROP TRIGGER \(name)") }
        let body = try edit(String(sql[sql.index(sql.startIndex, offsetBy: prefix.count)..<close.lowerBound]))
        try db.execute(sql: "CREATE TABLE \(table)_rebuilt (" + body + sql[close.lowerBound...])
        let columns = converting.isEmpty ? "*" : try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
            .map { converting[$0] ?? $0 }.joined(separator: ", ")
        try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
        try db.execute(sql: "INSERT INTO \(table)_rebuilt SELECT \(columns) FROM \(table)")
        try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(table)_rebuilt RENAME TO \(table)")
        for statement in indexes { try db.execute(sql: editIndex(statement)) }
        for (_, statement) in triggers { try db.execute(sql: statement) }
    }

    /// `sql` with each whole word a key of `names` renamed to its value (columns a migration
    /// renames, in the definitions that name them).
    static func renaming(_ names: [String: String], in sql: String) -> String {
        names.reduce(sql) { sql, name in
            sql.replacingOccurrences(of: #"\b"# + name.key + #"\b"#, with: name.value, options: .regularExpression)
        }
    }

    /// Rebuilds `table` with its CHECK (column IN (...)) constraints written as comparisons,
    /// the way SQLite documents for schema changes ALTER TABLE cannot make: a new table
    /// with the edited definition, the rows copied, the old table dropped, the new one
    /// renamed, its indexes and triggers created again. Foreign keys are off during
    /// migrations and checked once at the end.
    static func rebuild(_ table: String, _ db: Database, checks: [(column: String, values: [String])]) throws {
        guard var sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", arguments: [table]) else {
            throw DatabaseError(message: "no table \(table) to rebuild")
        }
        for (column, values) in checks {
            let list = "\(column) IN (\(values.map { "'\($0)'" }.joined(separator: ", ")))"
            let comparisons = "(\(values.map { "\(column) = '\($0)'" }.joined(separator: " OR ")))"
            guard sql.contains(list) else { throw DatabaseError(message: "\(table) has no check \(list)") }
            sql = sql.replacingOccurrences(of: list, with: comparisons)
        }
        let prefix = "CREATE TABLE \(table) ("
        guard sql.hasPrefix(prefix) else { throw DatabaseError(message: "unexpected definition of \(table)") }
        let dependents = try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid
            """, arguments: [table])
        try db.execute(sql: "CREATE TABLE \(table)_rebuilt (" + sql.dropFirst(prefix.count))
        try db.execute(sql: "INSERT INTO \(table)_rebuilt SELECT * FROM \(table)")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(table)_rebuilt RENAME TO \(table)")
        for statement in dependents { try db.execute(sql: statement) }
    }
}
