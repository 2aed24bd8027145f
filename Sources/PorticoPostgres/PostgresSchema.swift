/// The PostgreSQL store's schema, as versioned migrations of its own, each applied once in
/// a transaction of its own (PostgreSQL's DDL is transactional) under an advisory lock, so
/// engines starting together migrate once. The versions carry the SQLite store's numbers:
/// the schema at a number holds what the SQLite schema at that number holds, so
/// `system.health` answers the same on both stores.
///
/// The store is not yet reachable from `--db` (issue 14 builds it area by area); until it
/// is, the first migration below still grows with each area. Once shipped, a migration
/// is never edited: changes come as new ones.
///
/// Layout: the records' own shapes, ids as text, instants as the engine's RFC 3339 text,
/// money as bigint minor units beside its currency. `seq` is each table's creation order,
/// assigned as the table's largest plus one by writers that hold the audit chain's head
/// (one at a time), so it grows in commit order as the store's paging requires.
enum PostgresSchema {
    /// Taken (transaction-scoped) while migrating: "portico" in ASCII.
    static let migrationLock: Int64 = 0x706F_7274_6963_6F

    /// Every text column compares and sorts by its bytes, as SQLite's do, whatever the
    /// database's own collation: instants as text sort as time only so.
    static let text = "text COLLATE \"C\""

    static let migrations: [(identifier: String, sql: String)] = [
        ("0021-audit-reference-records", """
        CREATE TABLE partner (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT partner_id_key UNIQUE,
            name \(text) NOT NULL,
            subdomain \(text) NOT NULL CONSTRAINT partner_subdomain_key UNIQUE,
            region \(text) NOT NULL,
            tier \(text) NOT NULL,
            status \(text) NOT NULL CHECK (status IN ('active', 'frozen', 'suspended')),
            status_reason \(text),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL
        );
        CREATE INDEX partner_by_status ON partner (status, seq);
        CREATE INDEX partner_by_region ON partner (region, seq);

        CREATE TABLE member (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT member_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            email \(text) NOT NULL,
            name \(text) NOT NULL,
            role \(text) NOT NULL CHECK (role IN ('owner', 'manager', 'sales', 'support', 'viewer')),
            status \(text) NOT NULL CHECK (status IN ('active', 'removed')),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL,
            removed_at \(text)
        );
        CREATE INDEX member_by_partner ON member (partner_id, seq);
        CREATE UNIQUE INDEX member_email_unique ON member (partner_id, email) WHERE status = 'active';
        CREATE UNIQUE INDEX member_one_owner ON member (partner_id) WHERE role = 'owner' AND status = 'active';

        CREATE TABLE reseller (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT reseller_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            name \(text) NOT NULL,
            email \(text) NOT NULL,
            region \(text) NOT NULL,
            commission_rate \(text),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL
        );
        CREATE INDEX reseller_by_partner ON reseller (partner_id, seq);
        CREATE UNIQUE INDEX reseller_email_unique ON reseller (partner_id, email);

        CREATE TABLE customer (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT customer_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            reseller_id \(text) REFERENCES reseller (id),
            name \(text) NOT NULL,
            email \(text) NOT NULL,
            country \(text) NOT NULL,
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL
        );
        CREATE INDEX customer_by_partner ON customer (partner_id, seq);
        CREATE INDEX customer_by_reseller ON customer (reseller_id, seq) WHERE reseller_id IS NOT NULL;
        CREATE UNIQUE INDEX customer_email_unique ON customer (partner_id, email);
        CREATE FUNCTION customer_country_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'a customer''s country is fixed once created' USING ERRCODE = 'integrity_constraint_violation';
        END $$;
        CREATE TRIGGER customer_country_fixed BEFORE UPDATE OF country ON customer
            FOR EACH ROW WHEN (OLD.country IS DISTINCT FROM NEW.country) EXECUTE FUNCTION customer_country_fixed();

        CREATE TABLE idempotency (
            scope \(text) NOT NULL,
            key \(text) NOT NULL,
            method \(text) NOT NULL,
            params_hash \(text) NOT NULL,
            result \(text) NOT NULL,
            created_at \(text) NOT NULL,
            CONSTRAINT idempotency_key_unique PRIMARY KEY (scope, key)
        );

        -- The chain's head: one row, locked (FOR UPDATE) by every writing transaction before
        -- its first statement, which makes writers take turns across engines.
        CREATE TABLE audit_head (
            singleton integer PRIMARY KEY CHECK (singleton = 1),
            seq bigint NOT NULL,
            hash \(text) NOT NULL
        );
        INSERT INTO audit_head VALUES (1, 0, repeat('0', 64));
        CREATE TABLE audit (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL,
            at \(text) NOT NULL,
            request_id \(text),
            actor \(text) NOT NULL,
            action \(text) NOT NULL,
            target_type \(text) NOT NULL,
            target_id \(text) NOT NULL,
            partner_id \(text),
            reason \(text),
            before \(text),   -- canonical JSON
            after \(text),
            prev_hash \(text) NOT NULL,
            hash \(text) NOT NULL CHECK (length(hash) = 64)
        );
        CREATE INDEX audit_by_partner ON audit (partner_id, seq);
        CREATE INDEX audit_by_actor ON audit (actor, seq);
        CREATE INDEX audit_by_action ON audit (action, seq);
        CREATE INDEX audit_by_time ON audit (at);
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit records are append-only' USING ERRCODE = 'integrity_constraint_violation';
        END $$;
        CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
        """),
    ]
}
