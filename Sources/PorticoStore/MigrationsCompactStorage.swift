import Foundation
import GRDB
import PorticoCore

extension SQLiteStore {
    /// The migrations that store the same data in less room (0014 onwards): the audit
    /// log's states deflated, the hold ends listed, texts interned, instants as
    /// milliseconds, rows referred to by number. Registered in order by `migrator`; like every migration, never edited
    /// once shipped.
    static func registerCompactStorage(_ m: inout DatabaseMigrator) {
        m.registerMigration("0014-compact-storage") { db in
            // A sale in less room. Sales and customers without a reseller leave the
            // reseller indexes (every query of them names a reseller).
            try db.execute(sql: """
                DROP INDEX sale_by_reseller_time;
                CREATE INDEX sale_by_reseller_time ON sale(resellerId, currency, occurredAt) WHERE resellerId IS NOT NULL;
                DROP INDEX customer_by_reseller;
                CREATE INDEX customer_by_reseller ON customer(resellerId, seq) WHERE resellerId IS NOT NULL;
                """)
            // The audit log in a quarter of the room: each record's states before and
            // after stored deflated (AuditBody: a sale's answer of about 1,200 bytes in
            // about 300), its hash as its 32 bytes, and no previous hash (it is the
            // previous record's `hash`: the readers join it in). The hash still covers the
            // text of every field, the previous hash included, exactly as before
            // (AuditEntry.computeHash), so every record written before verifies unchanged.
            try db.execute(sql: """
                CREATE TABLE audit_compact (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    at TEXT NOT NULL,
                    requestId TEXT,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    targetType TEXT NOT NULL,
                    targetId TEXT NOT NULL,
                    partnerId TEXT,
                    reason TEXT,
                    before BLOB,  -- canonical JSON as AuditBody stores it
                    after BLOB,
                    hash BLOB NOT NULL CHECK (length(hash) = 32)
                ) STRICT;
                """)
            let insert = try db.makeStatement(sql: "INSERT INTO audit_compact VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            let rows = try Row.fetchCursor(db, sql: """
                SELECT seq, id, at, requestId, actor, action, targetType, targetId, partnerId, reason, before, after, hash
                FROM audit ORDER BY seq
                """)
            while let r = try rows.next() {
                let body = { (i: Int) in (r[i] as String?).map { Data(AuditBody.encode($0)) } }
                // A hash that is not 64 hex digits was never one the engine wrote: kept as
                // 32 zero bytes, which no record hashes to, so verify still names it.
                let hash = hexBytes(ArraySlice((r[12] as String).utf8)).flatMap { $0.count == 32 ? $0 : nil }
                    ?? [UInt8](repeating: 0, count: 32)
                try insert.execute(arguments: [r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], body(10), body(11), Data(hash)])
            }
            try db.execute(sql: """
                DROP TABLE audit;
                ALTER TABLE audit_compact RENAME TO audit;
                CREATE INDEX audit_by_partner ON audit(partnerId, seq);
                CREATE INDEX audit_by_actor ON audit(actor, seq);
                CREATE INDEX audit_by_action ON audit(action, seq);
                CREATE INDEX audit_by_time ON audit(at);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                """)
        }
        m.registerMigration("0015-commission-hold-ends") { db in
            // The overview splits the platform's pending entries whose hold ends today at
            // the moment it is asked: the entries by the instant their hold ends, from the
            // day each was folded on (TotalsFold adds new pending entries; a status change
            // does not touch them, the reader checks the status), trimmed of days before
            // `commission_hold_end_mark.day`, the newest creation day folded. Not an index
            // of `commission`: one would be updated by every entry a payout run moves.
            try db.execute(sql: """
                CREATE TABLE commission_hold_end (
                    payableAt TEXT NOT NULL,
                    seq INTEGER NOT NULL,  -- the commission's
                    PRIMARY KEY (payableAt, seq)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE commission_hold_end_mark (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    day TEXT NOT NULL      -- YYYY-MM-DD: entries whose hold ended before it are gone
                ) STRICT;
                INSERT INTO commission_hold_end_mark VALUES (1, '');
                INSERT INTO commission_hold_end SELECT payableAt, seq FROM commission WHERE status = 'pending';
                """)
        }
        m.registerMigration("0016-interned-texts") { db in
            // The texts every ledger row repeats (the rules' 64-digit hash on each sale and
            // entry, the rule's id on each entry) stored once, in `interned`, and referred
            // to by number: about 200 bytes a sale. The readers join the text back in
            // (`Interned.column`); the writers intern through SQLiteTransaction.intern.
            try db.execute(sql: """
                CREATE TABLE interned (
                    id INTEGER PRIMARY KEY,
                    text TEXT NOT NULL UNIQUE
                ) STRICT;
                INSERT INTO interned (text) SELECT rulesHash FROM sale UNION SELECT rulesHash FROM commission WHERE rulesHash IS NOT NULL
                    UNION SELECT ruleId FROM commission WHERE ruleId IS NOT NULL;
                """)
            func ref(_ column: String) -> String { "(SELECT id FROM interned WHERE text = \(column))" }
            try redefine("sale", db, converting: ["rulesHash": ref("rulesHash")]) { body in
                try replacing("rulesHash TEXT NOT NULL,", with: "rulesRef INTEGER NOT NULL REFERENCES interned(id),", in: body)
            }
            try redefine("commission", db, converting: ["ruleId": ref("ruleId"), "rulesHash": ref("rulesHash")]) { body in
                try replacing("rulesHash TEXT,", with: "rulesRef INTEGER REFERENCES interned(id),",
                              in: replacing("ruleId TEXT,", with: "ruleRef INTEGER REFERENCES interned(id),", in: body))
            }
        }
        m.registerMigration("0017-ledger-instants-as-milliseconds") { db in
            // The ledger's instants as integer milliseconds (LedgerTime): six bytes where the
            // text took 24, in each row and each index holding one (about 360 bytes a sale).
            // The triggers that sum the ledger by day derive the day as LedgerTime does.
            // Every instant the engine wrote is RFC 3339; text that is not stops the
            // migration, naming it, rather than be stored as some other instant.
            let millis = DatabaseFunction("portico_millis", argumentCount: 1, pure: true) { values -> Int64? in
                guard !values[0].isNull else { return nil }
                guard let text = String.fromDatabaseValue(values[0]), let t = Timestamp(rfc3339: text) else {
                    throw DatabaseError(message: "the ledger holds \(values[0]) where an instant belongs: not RFC 3339")
                }
                return t.millisecondsSinceEpoch
            }
            db.add(function: millis)
            defer { db.remove(function: millis) }
            let instants = [("sale", ["occurredAt", "createdAt"]), ("commission", ["payableAt", "occurredAt", "createdAt", "updatedAt"])]
            for (table, columns) in instants {
                let converting = Dictionary(uniqueKeysWithValues: columns.map { ($0, "portico_millis(\($0))") })
                try redefine(table, db, converting: converting) { body in
                    try columns.reduce(body) { body, column in
                        try replacing("\(column) TEXT NOT NULL", with: "\(column) INTEGER NOT NULL", in: body)
                    }
                }
            }
            let day = try NSRegularExpression(pattern: #"substr\((NEW|OLD)\.(occurredAt|payableAt), 1, 10\)"#)
            let triggers = try Row.fetchAll(db, sql: """
                SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name IN ('sale', 'commission') ORDER BY rowid
                """)
            for trigger in triggers {
                let sql: String = trigger["sql"]
                let edited = day.stringByReplacingMatches(in: sql, range: NSRange(sql.startIndex..., in: sql),
                                                          withTemplate: LedgerTime.day("$1.$2"))
                guard edited != sql else { continue }
                try db.execute(sql: "DROP TRIGGER \(trigger["name"] as String)")
                try db.execute(sql: edited)
            }
            try db.execute(sql: """
                CREATE TABLE commission_hold_end_rebuilt (
                    payableAt INTEGER NOT NULL,  -- LedgerTime
                    seq INTEGER NOT NULL,        -- the commission's
                    PRIMARY KEY (payableAt, seq)
                ) STRICT, WITHOUT ROWID;
                INSERT INTO commission_hold_end_rebuilt SELECT portico_millis(payableAt), seq FROM commission_hold_end;
                DROP TABLE commission_hold_end;
                ALTER TABLE commission_hold_end_rebuilt RENAME TO commission_hold_end;
                """)
        }
        m.registerMigration("0018-compact-audit-fields") { db in
            // The audit record's time as milliseconds (LedgerTime), its actor, action, target
            // type and partner by number (`interned`): about 120 bytes a record with its
            // indexes.
            // The hash covers the text as before: the time reads back as the same text only
            // if it was in the engine's form (every time the engine wrote is), so a record
            // whose time is not stops the migration, naming it.
            let millis = DatabaseFunction("portico_audit_millis", argumentCount: 1, pure: true) { values -> Int64 in
                guard let text = String.fromDatabaseValue(values[0]), let ms = AuditTime.millis(text) else {
                    throw DatabaseError(message: "an audit record's time is \(values[0]), not in the engine's form: it cannot be stored as milliseconds")
                }
                return ms
            }
            db.add(function: millis)
            defer { db.remove(function: millis) }
            try db.execute(sql: """
                INSERT OR IGNORE INTO interned (text) SELECT actor FROM audit UNION SELECT action FROM audit UNION SELECT targetType FROM audit
                    UNION SELECT partnerId FROM audit WHERE partnerId IS NOT NULL;
                CREATE TABLE audit_rebuilt (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    at INTEGER NOT NULL,                                   -- milliseconds (LedgerTime)
                    requestId TEXT,
                    actorRef INTEGER NOT NULL REFERENCES interned(id),
                    actionRef INTEGER NOT NULL REFERENCES interned(id),
                    targetTypeRef INTEGER NOT NULL REFERENCES interned(id),
                    targetId TEXT NOT NULL,
                    partnerRef INTEGER REFERENCES interned(id),
                    reason TEXT,
                    before BLOB,  -- canonical JSON as AuditBody stores it
                    after BLOB,
                    hash BLOB NOT NULL CHECK (length(hash) = 32)
                ) STRICT;
                INSERT INTO audit_rebuilt
                    SELECT seq, id, portico_audit_millis(at), requestId, (SELECT i.id FROM interned i WHERE i.text = actor),
                           (SELECT i.id FROM interned i WHERE i.text = action), (SELECT i.id FROM interned i WHERE i.text = targetType),
                           targetId, (SELECT i.id FROM interned i WHERE i.text = partnerId), reason, before, after, hash
                    FROM audit ORDER BY seq;
                DROP TABLE audit;
                ALTER TABLE audit_rebuilt RENAME TO audit;
                CREATE INDEX audit_by_partner ON audit(partnerRef, seq);
                CREATE INDEX audit_by_actor ON audit(actorRef, seq);
                CREATE INDEX audit_by_action ON audit(actionRef, seq);
                CREATE INDEX audit_by_time ON audit(at);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                """)
        }

        m.registerMigration("0019-ledger-rows-by-seq") { db in
            // The ledger's rows refer to a partner, reseller, customer or sale by that row's
            // seq (RowRef), not its 24-character id: a sale names its partner in itself, in
            // its commission entries and in seven of their indexes, its customer in itself,
            // an index and the customers' totals; an entry its sale (about 400 bytes a sale,
            // more in the running totals of a large ledger). The triggers that keep the
            // totals are created again with the columns renamed, the customer's partner read
            // as the sale's (the same partner: SaleService records a sale for the customer's).
            let renamed = ["partnerId": "partnerSeq", "resellerId": "resellerSeq", "customerId": "customerSeq", "saleId": "saleSeq"]
            let triggers = try Row.fetchAll(db, sql: """
                SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name IN ('sale', 'commission') ORDER BY rowid
                """).map { ($0["name"] as String, $0["sql"] as String) }
            for (name, _) in triggers { try db.execute(sql: "DROP TRIGGER \(name)") }
            let references = [
                ("partnerId TEXT NOT NULL REFERENCES partner(id)", "partnerSeq INTEGER NOT NULL REFERENCES partner(seq)"),
                ("resellerId TEXT REFERENCES reseller(id)", "resellerSeq INTEGER REFERENCES reseller(seq)"),
                ("customerId TEXT NOT NULL REFERENCES customer(id)", "customerSeq INTEGER NOT NULL REFERENCES customer(seq)"),
                ("saleId TEXT REFERENCES sale(id)", "saleSeq INTEGER REFERENCES sale(seq)"),
            ]
            func edit(_ body: String) -> String {
                renaming(renamed, in: references.reduce(body) { $0.replacingOccurrences(of: $1.0, with: $1.1) })
            }
            // The entries first: their sales' ids are read from the table not yet rebuilt.
            try redefine("commission", db, converting: ["partnerId": RowRef.partner.ref("partnerId"), "resellerId": RowRef.reseller.ref("resellerId"),
                                                        "saleId": RowRef.sale.ref("saleId")],
                         indexes: { renaming(renamed, in: $0) }, edit)
            try redefine("sale", db, converting: ["partnerId": RowRef.partner.ref("partnerId"), "resellerId": RowRef.reseller.ref("resellerId"),
                                                  "customerId": RowRef.customer.ref("customerId")],
                         indexes: { renaming(renamed, in: $0) }, edit)
            // The running totals, keyed by the same numbers.
            for table in ["sale_total", "sale_customer_total", "period_total", "period_delta", "customer_period_total", "customer_delta",
                          "commission_rollup"] {
                let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [table])
                var converting = ["partnerId": RowRef.partner.ref("partnerId")]
                if columns.contains("customerId") { converting["customerId"] = RowRef.customer.ref("customerId") }
                try redefine(table, db, converting: converting) { body in
                    renaming(renamed, in: body.replacingOccurrences(of: "partnerId TEXT NOT NULL", with: "partnerSeq INTEGER NOT NULL")
                        .replacingOccurrences(of: "customerId TEXT NOT NULL", with: "customerSeq INTEGER NOT NULL"))
                }
            }
            let rewrites = [
                (#"c\.id = NEW\.customerId"#, "c.seq = NEW.customerSeq"),
                (#"c\.partnerId"#, "NEW.partnerSeq"),
                (#"'r:' \|\| (NEW|OLD)\.resellerId"#, "'r:' || " + RowRef.reseller.id("$1.resellerSeq")),
            ]
            for (_, sql) in triggers {
                let edited = rewrites.reduce(sql) { $0.replacingOccurrences(of: $1.0, with: $1.1, options: .regularExpression) }
                try db.execute(sql: renaming(renamed, in: edited))
            }
        }
        m.registerMigration("0020-audit-context-text") { db in
            // A record's states are deflated against a long text they repeat as well, which
            // the row names by number (AuditEntry.bodyContext): the rules' hash a sale's answer
            // holds three times, about 50 bytes a sale. Earlier records name none and read
            // as before.
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN contextRef INTEGER REFERENCES interned(id)")
        }
        m.registerMigration("0021-audit-reference-records") { db in
            // A record's states are deflated against an earlier record's of the same action
            // too (its answer has the same shape and many of the same texts), which the row
            // names (`refSeq`; AuditEntry.bodyContext, SQLiteTransaction.auditReference):
            // about 80 bytes fewer a sale. Earlier records name none and read as before.
            try db.execute(sql: "ALTER TABLE audit ADD COLUMN refSeq INTEGER")
        }
    }
}
