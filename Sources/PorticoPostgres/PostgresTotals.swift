/// The running totals of the PostgreSQL schema (part of its first migration, see
/// `PostgresSchema`): the tables and the triggers that keep them in the transaction of the
/// rows they sum, with the same bounds as the SQLite store's.
enum PostgresTotals {
    static let text = PostgresSchema.text

    static let schema = """
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
        """
}
