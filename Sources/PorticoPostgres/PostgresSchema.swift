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

        -- The running totals, kept row by row by the triggers below in the transaction of the
        -- rows they sum. A day's totals are bounded at 2^53 minor units (total_limit), the
        -- totals over many days at 2^62 (period_limit): a write past one fails whole, and
        -- the engine answers totalLimit, as on SQLite: the day's bounds are met before the
        -- periods'.
        CREATE TABLE sale_total (
            partner_id \(text) NOT NULL, currency \(text) NOT NULL, day \(text) NOT NULL, kind \(text) NOT NULL,
            count bigint NOT NULL, amount bigint NOT NULL, refunded bigint NOT NULL,
            PRIMARY KEY (partner_id, day, currency, kind),
            CONSTRAINT total_limit CHECK (amount BETWEEN -9007199254740992 AND 9007199254740992
                                          AND refunded BETWEEN -9007199254740992 AND 9007199254740992)
        );
        CREATE TABLE sale_customer_total (
            partner_id \(text) NOT NULL, customer_id \(text) NOT NULL, currency \(text) NOT NULL, day \(text) NOT NULL,
            amount bigint NOT NULL, refunded bigint NOT NULL,
            PRIMARY KEY (partner_id, day, customer_id, currency),
            CONSTRAINT total_limit CHECK (amount BETWEEN -9007199254740992 AND 9007199254740992
                                          AND refunded BETWEEN -9007199254740992 AND 9007199254740992)
        );
        CREATE TABLE sale_volume (
            reseller_id \(text) NOT NULL, currency \(text) NOT NULL, day \(text) NOT NULL,
            amount bigint NOT NULL,   -- net of refunds
            count bigint NOT NULL,
            PRIMARY KEY (reseller_id, currency, day),
            CONSTRAINT total_limit CHECK (amount BETWEEN -9007199254740992 AND 9007199254740992)
        );
        CREATE TABLE commission_rollup (
            partner_id \(text) NOT NULL, currency \(text) NOT NULL, status \(text) NOT NULL,
            day \(text) NOT NULL,          -- of occurred_at
            payable_day \(text) NOT NULL,  -- of payable_at
            amount bigint NOT NULL, count bigint NOT NULL,
            PRIMARY KEY (partner_id, currency, status, day, payable_day),
            CONSTRAINT total_limit CHECK (amount BETWEEN -9007199254740992 AND 9007199254740992)
        );
        CREATE TABLE period_total (
            level \(text) NOT NULL,    -- y, m or d
            currency \(text) NOT NULL,
            period \(text) NOT NULL,   -- YYYY, YYYY-MM or YYYY-MM-DD of occurred_at
            partner_id \(text) NOT NULL,
            sales bigint NOT NULL, amount bigint NOT NULL, refunded bigint NOT NULL,
            commissions bigint NOT NULL,  -- standing: neither cancelled nor reversed
            earned bigint NOT NULL,
            PRIMARY KEY (level, currency, period, partner_id),
            CONSTRAINT period_limit CHECK (amount BETWEEN -4611686018427387904 AND 4611686018427387904
                                           AND refunded BETWEEN -4611686018427387904 AND 4611686018427387904
                                           AND earned BETWEEN -4611686018427387904 AND 4611686018427387904)
        );
        CREATE TABLE customer_period_total (
            level \(text) NOT NULL, period \(text) NOT NULL, currency \(text) NOT NULL,
            country \(text) NOT NULL,  -- the customer's (fixed once created)
            customer_id \(text) NOT NULL, partner_id \(text) NOT NULL,
            count bigint NOT NULL, amount bigint NOT NULL, refunded bigint NOT NULL,
            PRIMARY KEY (level, period, currency, country, customer_id),
            CONSTRAINT period_limit CHECK (amount BETWEEN -4611686018427387904 AND 4611686018427387904
                                           AND refunded BETWEEN -4611686018427387904 AND 4611686018427387904)
        );
        CREATE TABLE commission_status_total (
            currency \(text) NOT NULL, status \(text) NOT NULL,
            payable_day \(text) NOT NULL,  -- of payable_at when pending, '' otherwise
            count bigint NOT NULL, amount bigint NOT NULL,
            PRIMARY KEY (currency, status, payable_day),
            CONSTRAINT period_limit CHECK (amount BETWEEN -4611686018427387904 AND 4611686018427387904)
        );

        CREATE FUNCTION sale_day_part(s sale, was sale) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            d \(text) := substr(s.occurred_at, 1, 10);
            delta bigint := s.refunded - coalesce(was.refunded, 0);
        BEGIN
            IF was IS NULL THEN
                INSERT INTO sale_total VALUES (s.partner_id, s.currency, d, s.kind, 1, s.amount, s.refunded)
                    ON CONFLICT (partner_id, day, currency, kind) DO UPDATE
                    SET count = sale_total.count + 1, amount = sale_total.amount + excluded.amount,
                        refunded = sale_total.refunded + excluded.refunded;
                INSERT INTO sale_customer_total VALUES (s.partner_id, s.customer_id, s.currency, d, s.amount, s.refunded)
                    ON CONFLICT (partner_id, day, customer_id, currency) DO UPDATE
                    SET amount = sale_customer_total.amount + excluded.amount, refunded = sale_customer_total.refunded + excluded.refunded;
                IF s.reseller_id IS NOT NULL THEN
                    INSERT INTO sale_volume VALUES (s.reseller_id, s.currency, d, s.amount - s.refunded, 1)
                        ON CONFLICT (reseller_id, currency, day) DO UPDATE
                        SET amount = sale_volume.amount + excluded.amount, count = sale_volume.count + 1;
                END IF;
            ELSIF delta != 0 THEN
                UPDATE sale_total SET refunded = refunded + delta
                    WHERE partner_id = s.partner_id AND day = d AND currency = s.currency AND kind = s.kind;
                UPDATE sale_customer_total SET refunded = refunded + delta
                    WHERE partner_id = s.partner_id AND day = d AND customer_id = s.customer_id AND currency = s.currency;
                UPDATE sale_volume SET amount = amount - delta WHERE reseller_id = s.reseller_id AND currency = s.currency AND day = d;
            END IF;
        END $$;

        CREATE FUNCTION sale_period_part(s sale, was sale) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            added bigint := CASE WHEN was IS NULL THEN 1 ELSE 0 END;
            sold bigint := CASE WHEN was IS NULL THEN s.amount ELSE 0 END;
            delta bigint := s.refunded - coalesce(was.refunded, 0);
        BEGIN
            IF added = 0 AND delta = 0 THEN RETURN; END IF;
            -- The sale's year, month and day, in one statement a table.
            INSERT INTO period_total
                SELECT l.level, s.currency, substr(s.occurred_at, 1, l.width), s.partner_id, added, sold, delta, 0, 0
                FROM (VALUES ('y', 4), ('m', 7), ('d', 10)) AS l (level, width)
                ON CONFLICT (level, currency, period, partner_id) DO UPDATE
                SET sales = period_total.sales + excluded.sales, amount = period_total.amount + excluded.amount,
                    refunded = period_total.refunded + excluded.refunded;
            INSERT INTO customer_period_total
                SELECT l.level, substr(s.occurred_at, 1, l.width), s.currency, c.country, s.customer_id, s.partner_id, added, sold, delta
                FROM (VALUES ('y', 4), ('m', 7), ('d', 10)) AS l (level, width), customer c WHERE c.id = s.customer_id
                ON CONFLICT (level, period, currency, country, customer_id) DO UPDATE
                SET count = customer_period_total.count + excluded.count, amount = customer_period_total.amount + excluded.amount,
                    refunded = customer_period_total.refunded + excluded.refunded;
        END $$;
        -- A sale's part in the totals (`was`: the row before an update, NULL for an insert): the
        -- day's (bounded at 2^53) first, then the periods'.
        CREATE FUNCTION sale_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM sale_day_part(NEW, CASE WHEN TG_OP = 'UPDATE' THEN OLD END);
            PERFORM sale_period_part(NEW, CASE WHEN TG_OP = 'UPDATE' THEN OLD END);
            RETURN NULL;
        END $$;
        CREATE TRIGGER sale_totals AFTER INSERT OR UPDATE OF refunded ON sale FOR EACH ROW EXECUTE FUNCTION sale_totals();

        -- A commission's part in the totals, added (sign 1) or taken out (sign -1).
        CREATE FUNCTION commission_day_part(c commission, sign bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO commission_rollup
                VALUES (c.partner_id, c.currency, c.status, substr(c.occurred_at, 1, 10), substr(c.payable_at, 1, 10), sign * c.amount, sign)
                ON CONFLICT (partner_id, currency, status, day, payable_day) DO UPDATE
                SET amount = commission_rollup.amount + excluded.amount, count = commission_rollup.count + excluded.count;
        END $$;
        CREATE FUNCTION commission_period_part(c commission, sign bigint) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
            IF c.status NOT IN ('cancelled', 'reversed') THEN
                INSERT INTO period_total
                    SELECT l.level, c.currency, substr(c.occurred_at, 1, l.width), c.partner_id, 0, 0, 0, sign, sign * c.amount
                    FROM (VALUES ('y', 4), ('m', 7), ('d', 10)) AS l (level, width)
                    ON CONFLICT (level, currency, period, partner_id) DO UPDATE
                    SET commissions = period_total.commissions + excluded.commissions, earned = period_total.earned + excluded.earned;
            END IF;
            INSERT INTO commission_status_total
                VALUES (c.currency, c.status, CASE WHEN c.status = 'pending' THEN substr(c.payable_at, 1, 10) ELSE '' END, sign, sign * c.amount)
                ON CONFLICT (currency, status, payable_day) DO UPDATE
                SET count = commission_status_total.count + excluded.count, amount = commission_status_total.amount + excluded.amount;
        END $$;
        -- A commission's part in the totals, the old row's taken out first: the day's (bounded
        -- at 2^53), then the periods'.
        CREATE FUNCTION commission_totals() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                PERFORM commission_day_part(OLD, -1);
                PERFORM commission_period_part(OLD, -1);
            END IF;
            PERFORM commission_day_part(NEW, 1);
            PERFORM commission_period_part(NEW, 1);
            RETURN NULL;
        END $$;
        CREATE TRIGGER commission_totals AFTER INSERT OR UPDATE OF amount, status, payable_at, occurred_at, partner_id, currency
            ON commission FOR EACH ROW EXECUTE FUNCTION commission_totals();

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
