/// The PostgreSQL store's schema, as versioned migrations of its own, each applied once in
/// a transaction of its own (PostgreSQL's DDL is transactional) under an advisory lock, so
/// engines starting together migrate once. The versions carry the SQLite store's numbers:
/// the schema at a number holds what the SQLite schema at that number holds, so
/// `system.health` answers the same on both stores.
///
/// The first migration holds the whole schema at the SQLite store's 0021 (the store first
/// shipped then; its running totals are in `PostgresTotals`). Shipped migrations are never
/// edited: a change to the schema comes as a new migration, on both stores, under the same
/// number.
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

        CREATE TABLE sale (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT sale_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            reseller_id \(text) REFERENCES reseller (id),
            customer_id \(text) NOT NULL REFERENCES customer (id),
            external_id \(text) NOT NULL,
            plan \(text) NOT NULL,
            kind \(text) NOT NULL CHECK (kind IN ('new', 'renewal', 'upgrade', 'usage')),
            amount bigint NOT NULL CHECK (amount >= 0),
            currency \(text) NOT NULL,
            refunded bigint NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
            occurred_at \(text) NOT NULL,
            rules_hash \(text) NOT NULL,
            -- The audit record of sale.record: its 'after' is the answer given, answered
            -- again for the same externalId.
            audit_seq bigint NOT NULL,
            created_at \(text) NOT NULL,
            CONSTRAINT sale_external_unique UNIQUE (partner_id, external_id)
        );
        CREATE INDEX sale_by_partner ON sale (partner_id, seq);
        CREATE INDEX sale_by_partner_time ON sale (partner_id, currency, occurred_at);
        CREATE INDEX sale_by_customer ON sale (customer_id, plan, occurred_at);
        CREATE INDEX sale_by_reseller_time ON sale (reseller_id, currency, occurred_at) WHERE reseller_id IS NOT NULL;

        CREATE TABLE commission (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT commission_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            beneficiary \(text) NOT NULL CHECK (beneficiary IN ('partner', 'reseller')),
            reseller_id \(text) REFERENCES reseller (id),
            sale_id \(text) REFERENCES sale (id),
            kind \(text) NOT NULL CHECK (kind IN ('sale', 'override', 'adjustment', 'manual')),
            amount bigint NOT NULL,
            original_amount bigint NOT NULL,
            currency \(text) NOT NULL,
            -- 'payable' is not stored: it is 'pending' whose payable_at has passed.
            status \(text) NOT NULL CHECK (status IN ('pending', 'processing', 'paid', 'cancelled', 'reversed')),
            payable_at \(text) NOT NULL,
            occurred_at \(text) NOT NULL,
            rule_id \(text),
            rules_hash \(text),
            basis \(text),
            reason \(text),
            payout_id \(text),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL,
            CHECK ((beneficiary = 'reseller') = (reseller_id IS NOT NULL)),
            CONSTRAINT commission_payout_link CHECK ((status IN ('processing', 'paid')) = (payout_id IS NOT NULL))
        );
        CREATE INDEX commission_by_partner ON commission (partner_id, seq);
        CREATE INDEX commission_by_sale ON commission (sale_id);
        CREATE INDEX commission_by_partner_time ON commission (partner_id, occurred_at);
        CREATE INDEX commission_due ON commission (partner_id, status, payable_at);
        CREATE INDEX commission_by_payout ON commission (payout_id) WHERE payout_id IS NOT NULL;

        \(PostgresTotals.schema)

        CREATE TABLE payout_account (
            seq bigint PRIMARY KEY,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            currency \(text) NOT NULL,   -- '' for the partner's default account
            method \(text) NOT NULL CHECK (method IN ('stripe', 'paypal', 'manual')),
            destination \(text) NOT NULL,
            hold_until \(text),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL,
            CONSTRAINT payout_account_unique UNIQUE (partner_id, currency)
        );
        CREATE TABLE payout_schedule (
            partner_seq bigint PRIMARY KEY,   -- the partner's seq: runs go in partner order
            partner_id \(text) NOT NULL UNIQUE REFERENCES partner (id),
            cadence \(text) NOT NULL CHECK (cadence IN ('weekly', 'monthly', 'manual')),
            day bigint CHECK ((cadence = 'manual' AND day IS NULL) OR (cadence = 'weekly' AND day BETWEEN 1 AND 7)
                              OR (cadence = 'monthly' AND day BETWEEN 1 AND 31)),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL
        );
        CREATE TABLE payout (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT payout_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            amount bigint NOT NULL CHECK (amount > 0),
            currency \(text) NOT NULL,
            line_count bigint NOT NULL CHECK (line_count > 0),
            status \(text) NOT NULL CHECK (status IN ('created', 'processing', 'paid', 'failed', 'cancelled', 'reversed')),
            method \(text) NOT NULL CHECK (method IN ('stripe', 'paypal', 'manual')),
            destination \(text) NOT NULL,
            period \(text),
            as_of \(text) NOT NULL,
            hold_until \(text),
            instruction \(text),
            provider_reference \(text),
            failure_reason \(text),
            reversed_amount bigint NOT NULL DEFAULT 0 CHECK (reversed_amount >= 0 AND reversed_amount <= amount),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL,
            -- Processed payouts carry their instruction; paid ones their reference.
            CHECK ((status IN ('created', 'cancelled')) = (instruction IS NULL)),
            CHECK ((status IN ('paid', 'reversed')) = (provider_reference IS NOT NULL))
        );
        CREATE UNIQUE INDEX payout_period_unique ON payout (partner_id, currency, period) WHERE period IS NOT NULL;
        CREATE INDEX payout_by_partner ON payout (partner_id, seq);
        CREATE INDEX payout_by_status ON payout (status, seq);
        CREATE FUNCTION payout_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                RAISE EXCEPTION 'payouts are never deleted' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF NEW.status != OLD.status AND NOT (
                (OLD.status = 'created' AND NEW.status IN ('processing', 'cancelled'))
                OR (OLD.status = 'processing' AND NEW.status IN ('paid', 'failed'))
                OR (OLD.status = 'paid' AND NEW.status = 'reversed')) THEN
                RAISE EXCEPTION 'payout status transition not allowed' USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            IF (OLD.instruction IS NOT NULL AND NEW.instruction IS DISTINCT FROM OLD.instruction)
               OR (OLD.provider_reference IS NOT NULL AND NEW.provider_reference IS DISTINCT FROM OLD.provider_reference)
               OR NEW.amount != OLD.amount OR NEW.currency != OLD.currency OR NEW.partner_id != OLD.partner_id
               OR NEW.destination != OLD.destination OR NEW.method != OLD.method OR NEW.line_count != OLD.line_count THEN
                RAISE EXCEPTION 'a payout''s amount, destination, instruction and reference never change'
                    USING ERRCODE = 'integrity_constraint_violation';
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER payout_guard BEFORE UPDATE OR DELETE ON payout FOR EACH ROW EXECUTE FUNCTION payout_guard();
        CREATE TABLE payout_released_line (
            payout_id \(text) NOT NULL REFERENCES payout (id),
            commission_seq bigint NOT NULL,
            amount bigint NOT NULL,
            PRIMARY KEY (payout_id, commission_seq)
        );
        CREATE TABLE provider_event (
            provider \(text) NOT NULL,
            event_id \(text) NOT NULL,
            type \(text) NOT NULL,
            payout_id \(text),
            result \(text) NOT NULL,
            received_at \(text) NOT NULL,
            created_at \(text) NOT NULL,
            CONSTRAINT provider_event_unique PRIMARY KEY (provider, event_id)
        );

        CREATE TABLE oauth_client (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT oauth_client_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            name \(text) NOT NULL,
            scopes \(text) NOT NULL,   -- space-separated
            secret_hash \(text) NOT NULL CHECK (length(secret_hash) = 64),
            previous_secret_hash \(text) CHECK (previous_secret_hash IS NULL OR length(previous_secret_hash) = 64),
            previous_secret_expires_at \(text),
            status \(text) NOT NULL CHECK (status IN ('active', 'revoked')),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL
        );
        CREATE INDEX oauth_client_by_partner ON oauth_client (partner_id, seq);
        CREATE TABLE oauth_token (
            hash \(text) PRIMARY KEY CHECK (length(hash) = 64),
            id \(text) NOT NULL CONSTRAINT oauth_token_id_key UNIQUE,
            client_id \(text) NOT NULL REFERENCES oauth_client (id),
            partner_id \(text) NOT NULL REFERENCES partner (id),
            scopes \(text) NOT NULL,
            issued_at \(text) NOT NULL,
            expires_at \(text) NOT NULL,
            revoked_at \(text)
        );

        CREATE TABLE subscription (
            seq bigint PRIMARY KEY,
            id \(text) NOT NULL CONSTRAINT subscription_id_key UNIQUE,
            partner_id \(text) NOT NULL REFERENCES partner (id),
            reseller_id \(text) REFERENCES reseller (id),
            customer_id \(text) NOT NULL REFERENCES customer (id),
            plan \(text) NOT NULL,
            interval \(text) NOT NULL CHECK (interval IN ('month', 'year')),
            status \(text) NOT NULL CHECK (status IN ('active', 'cancelled')),
            start_at \(text) NOT NULL,
            period bigint NOT NULL CHECK (period >= 1),
            period_start \(text) NOT NULL,
            period_end \(text) NOT NULL CHECK (period_end > period_start),
            amount bigint NOT NULL CHECK (amount >= 0),
            currency \(text) NOT NULL,
            cancel_at_period_end boolean NOT NULL,
            cancelled_at \(text),
            ended_at \(text),
            last_sale_id \(text) NOT NULL REFERENCES sale (id),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL,
            CHECK ((status = 'cancelled') = (ended_at IS NOT NULL))
        );
        CREATE INDEX subscription_by_partner ON subscription (partner_id, seq);
        CREATE INDEX subscription_by_customer ON subscription (customer_id, seq);
        CREATE INDEX subscription_due ON subscription (period_end, seq) WHERE status = 'active';

        CREATE TABLE usage_event (
            partner_id \(text) NOT NULL,
            event_id \(text) NOT NULL,
            customer_id \(text) NOT NULL,
            meter \(text) NOT NULL,
            units bigint NOT NULL CHECK (units >= 0),
            scale bigint NOT NULL CHECK (scale BETWEEN 0 AND 9),
            occurred_at \(text) NOT NULL,
            recorded_at \(text) NOT NULL,
            CONSTRAINT usage_event_unique PRIMARY KEY (partner_id, event_id)
        );
        CREATE TABLE usage_total (
            partner_id \(text) NOT NULL,
            customer_id \(text) NOT NULL,
            meter \(text) NOT NULL,
            day \(text) NOT NULL,
            scale bigint NOT NULL,
            units bigint NOT NULL,
            events bigint NOT NULL,
            CONSTRAINT usage_limit CHECK (units BETWEEN 0 AND 4611686018427387904),
            PRIMARY KEY (partner_id, customer_id, meter, day, scale)
        );
        CREATE INDEX usage_total_by_partner_day ON usage_total (partner_id, day);
        CREATE TABLE usage_period (
            partner_id \(text) NOT NULL REFERENCES partner (id),
            customer_id \(text) NOT NULL REFERENCES customer (id),
            month \(text) NOT NULL,   -- YYYY-MM (UTC)
            closed_at \(text),
            sale_id \(text) REFERENCES sale (id),
            PRIMARY KEY (partner_id, customer_id, month),
            CHECK (sale_id IS NULL OR closed_at IS NOT NULL)
        );
        CREATE INDEX usage_period_open ON usage_period (month, partner_id, customer_id) WHERE closed_at IS NULL;
        CREATE FUNCTION usage_period_closed_once() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'a closed usage period does not change' USING ERRCODE = 'integrity_constraint_violation';
        END $$;
        CREATE TRIGGER usage_period_closed_once BEFORE UPDATE OF closed_at, sale_id ON usage_period
            FOR EACH ROW WHEN (OLD.closed_at IS NOT NULL) EXECUTE FUNCTION usage_period_closed_once();

        CREATE TABLE brand (
            partner_id \(text) PRIMARY KEY REFERENCES partner (id),
            display_name \(text) NOT NULL,
            logo_url \(text),
            favicon_url \(text),
            primary_color \(text) NOT NULL CHECK (length(primary_color) = 7),
            accent_color \(text) NOT NULL CHECK (length(accent_color) = 7),
            background_color \(text) NOT NULL CHECK (length(background_color) = 7),
            text_color \(text) NOT NULL CHECK (length(text_color) = 7),
            font \(text) NOT NULL,
            support_email \(text),
            support_url \(text),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL
        );
        CREATE TABLE brand_domain (
            seq bigint PRIMARY KEY,
            hostname \(text) NOT NULL CONSTRAINT brand_domain_hostname_key UNIQUE CHECK (length(hostname) BETWEEN 3 AND 253),
            partner_id \(text) NOT NULL REFERENCES partner (id),
            status \(text) NOT NULL CHECK (status IN ('pending_dns', 'verified', 'certificate_pending', 'active', 'failed')),
            challenge \(text) NOT NULL,
            not_after \(text),
            error \(text),
            claimed_at \(text),
            created_at \(text) NOT NULL,
            updated_at \(text) NOT NULL,
            CHECK (status != 'active' OR not_after IS NOT NULL)
        );
        CREATE INDEX brand_domain_by_partner ON brand_domain (partner_id, seq);
        CREATE INDEX brand_domain_by_status ON brand_domain (status, not_after);

        -- The versions of what engines cache (see AuthVersioned): moved by every statement that
        -- writes a table they follow, read by each engine at the start of each transaction,
        -- so a change one engine commits ends what every engine cached before it.
        CREATE TABLE store_version (
            singleton integer PRIMARY KEY CHECK (singleton = 1),
            auth bigint NOT NULL,         -- partners, OAuth clients, access tokens
            principals bigint NOT NULL,   -- partners, OAuth clients
            brands bigint NOT NULL        -- partners, brands, custom domains
        );
        INSERT INTO store_version VALUES (1, 1, 1, 1);
        CREATE FUNCTION store_version_move() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE store_version SET auth = auth + (TG_ARGV[0])::bigint, principals = principals + (TG_ARGV[1])::bigint,
                                     brands = brands + (TG_ARGV[2])::bigint WHERE singleton = 1;
            RETURN NULL;
        END $$;
        CREATE TRIGGER partner_version AFTER INSERT OR UPDATE OR DELETE ON partner
            FOR EACH STATEMENT EXECUTE FUNCTION store_version_move(1, 1, 1);
        CREATE TRIGGER oauth_client_version AFTER INSERT OR UPDATE OR DELETE ON oauth_client
            FOR EACH STATEMENT EXECUTE FUNCTION store_version_move(1, 1, 0);
        CREATE TRIGGER oauth_token_version AFTER INSERT OR UPDATE OR DELETE ON oauth_token
            FOR EACH STATEMENT EXECUTE FUNCTION store_version_move(1, 0, 0);
        CREATE TRIGGER brand_version AFTER INSERT OR UPDATE OR DELETE ON brand
            FOR EACH STATEMENT EXECUTE FUNCTION store_version_move(0, 0, 1);
        CREATE TRIGGER brand_domain_version AFTER INSERT OR UPDATE OR DELETE ON brand_domain
            FOR EACH STATEMENT EXECUTE FUNCTION store_version_move(0, 0, 1);

        -- The engines sharing the database: each says which rules it runs, and is seen every
        -- few seconds while it runs (system.health lists those seen lately).
        CREATE TABLE engine (
            id \(text) PRIMARY KEY,
            host \(text) NOT NULL,
            pid bigint NOT NULL,
            rules_hash \(text) NOT NULL,
            started_at \(text) NOT NULL,
            seen_at timestamptz NOT NULL
        );
        CREATE TABLE rules_announcement (
            singleton integer PRIMARY KEY CHECK (singleton = 1),
            seq bigint NOT NULL,
            engine_id \(text) NOT NULL,
            rules_hash \(text) NOT NULL
        );
        INSERT INTO rules_announcement VALUES (1, 0, '', '');

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
