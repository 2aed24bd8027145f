import Foundation
import GRDB
import PorticoCore

extension SQLiteStore {
    /// Versioned migrations. A migration that has shipped is never edited: changes come
    /// as a new migration appended here.
    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("0001-partners-members-audit-idempotency") { db in
            try db.execute(sql: """
                CREATE TABLE partner (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL,
                    subdomain TEXT NOT NULL UNIQUE,
                    region TEXT NOT NULL,
                    tier TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('active', 'frozen', 'suspended')),
                    statusReason TEXT,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;
                CREATE INDEX partner_by_status ON partner(status, seq);
                CREATE INDEX partner_by_region ON partner(region, seq);

                CREATE TABLE member (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    email TEXT NOT NULL,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'sales', 'support', 'viewer')),
                    status TEXT NOT NULL CHECK (status IN ('active', 'removed')),
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL,
                    removedAt TEXT
                ) STRICT;
                CREATE INDEX member_by_partner ON member(partnerId, seq);
                -- An email is unique among a partner's active members.
                CREATE UNIQUE INDEX member_email_unique ON member(partnerId, email) WHERE status = 'active';
                -- At most one active owner per partner; the services keep at least one.
                CREATE UNIQUE INDEX member_one_owner ON member(partnerId) WHERE role = 'owner' AND status = 'active';

                CREATE TABLE audit (
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
                    before TEXT,
                    after TEXT,
                    prevHash TEXT NOT NULL,
                    hash TEXT NOT NULL
                ) STRICT;
                CREATE INDEX audit_by_partner ON audit(partnerId, seq);
                CREATE INDEX audit_by_actor ON audit(actor, seq);
                CREATE INDEX audit_by_action ON audit(action, seq);
                CREATE INDEX audit_by_time ON audit(at);
                -- The chain's head, so that deleting the newest records is detected too.
                CREATE TABLE audit_head (
                    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
                    seq INTEGER NOT NULL,
                    hash TEXT NOT NULL
                ) STRICT;
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

                CREATE TABLE idempotency (
                    scope TEXT NOT NULL,
                    key TEXT NOT NULL,
                    method TEXT NOT NULL,
                    paramsHash TEXT NOT NULL,
                    result TEXT NOT NULL,
                    createdAt TEXT NOT NULL,
                    PRIMARY KEY (scope, key)
                ) STRICT, WITHOUT ROWID;
                """)
        }
        m.registerMigration("0002-resellers-customers") { db in
            try db.execute(sql: """
                CREATE TABLE reseller (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    region TEXT NOT NULL,
                    -- An exact decimal percentage as text ("12.5"); NULL when the reseller has none.
                    commissionRate TEXT,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;
                CREATE INDEX reseller_by_partner ON reseller(partnerId, seq);
                CREATE UNIQUE INDEX reseller_email_unique ON reseller(partnerId, email);

                CREATE TABLE customer (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    resellerId TEXT REFERENCES reseller(id),
                    name TEXT NOT NULL,
                    email TEXT NOT NULL,
                    country TEXT NOT NULL,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;
                CREATE INDEX customer_by_partner ON customer(partnerId, seq);
                CREATE INDEX customer_by_reseller ON customer(resellerId, seq);
                CREATE UNIQUE INDEX customer_email_unique ON customer(partnerId, email);
                """)
        }
        m.registerMigration("0003-sales-commissions") { db in
            try db.execute(sql: """
                CREATE TABLE sale (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    resellerId TEXT REFERENCES reseller(id),
                    customerId TEXT NOT NULL REFERENCES customer(id),
                    externalId TEXT NOT NULL,
                    plan TEXT NOT NULL,
                    kind TEXT NOT NULL CHECK (kind IN ('new', 'renewal', 'upgrade')),
                    amount INTEGER NOT NULL CHECK (amount >= 0),
                    currency TEXT NOT NULL,
                    refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
                    occurredAt TEXT NOT NULL,
                    rulesHash TEXT NOT NULL,
                    -- The audit record of sale.record: its 'after' is the answer given, answered
                    -- again for the same externalId.
                    auditSeq INTEGER NOT NULL,
                    createdAt TEXT NOT NULL
                ) STRICT;
                CREATE UNIQUE INDEX sale_external_unique ON sale(partnerId, externalId);
                CREATE INDEX sale_by_partner_time ON sale(partnerId, currency, occurredAt);
                CREATE INDEX sale_by_reseller_time ON sale(resellerId, currency, occurredAt);
                CREATE INDEX sale_by_customer ON sale(customerId, plan, occurredAt);

                CREATE TABLE commission (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    -- Who earns: the partner itself, or one of its resellers.
                    beneficiary TEXT NOT NULL CHECK (beneficiary IN ('partner', 'reseller')),
                    resellerId TEXT REFERENCES reseller(id),
                    saleId TEXT REFERENCES sale(id),
                    kind TEXT NOT NULL CHECK (kind IN ('sale', 'override', 'adjustment', 'manual')),
                    amount INTEGER NOT NULL,
                    originalAmount INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    -- 'payable' is not stored: it is 'pending' whose payableAt has passed.
                    status TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'paid', 'cancelled', 'reversed')),
                    payableAt TEXT NOT NULL,
                    -- When the earning happened: the sale's time, or the entry's own for adjustments.
                    occurredAt TEXT NOT NULL,
                    ruleId TEXT,
                    rulesHash TEXT,
                    basis TEXT,
                    reason TEXT,
                    payoutId TEXT,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL,
                    CHECK ((beneficiary = 'reseller') = (resellerId IS NOT NULL))
                ) STRICT;
                -- A partner's entries in ledger order (the rowid), for paging.
                CREATE INDEX commission_by_partner ON commission(partnerId);
                CREATE INDEX commission_by_sale ON commission(saleId);
                CREATE INDEX commission_by_partner_time ON commission(partnerId, occurredAt);
                """)
        }
        m.registerMigration("0004-ledger-rollups") { db in
            // Running totals kept by triggers in the same transaction as every change to
            // sales and commissions, so volumes, dashboards and summaries read a few rows
            // instead of scanning the ledger, and can never disagree with it.
            try db.execute(sql: """
                CREATE TABLE sale_volume (
                    scope TEXT NOT NULL,      -- 'p:' || partnerId, or 'r:' || resellerId
                    currency TEXT NOT NULL,
                    day TEXT NOT NULL,        -- YYYY-MM-DD of occurredAt (UTC)
                    amount INTEGER NOT NULL,  -- net of refunds
                    count INTEGER NOT NULL,
                    PRIMARY KEY (scope, currency, day)
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE commission_rollup (
                    partnerId TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL,
                    day TEXT NOT NULL,        -- YYYY-MM-DD of occurredAt
                    payableDay TEXT NOT NULL, -- YYYY-MM-DD of payableAt
                    amount INTEGER NOT NULL,
                    count INTEGER NOT NULL,
                    PRIMARY KEY (partnerId, currency, status, day, payableDay)
                ) STRICT, WITHOUT ROWID;

                CREATE TRIGGER sale_volume_insert AFTER INSERT ON sale BEGIN
                    INSERT INTO sale_volume VALUES ('p:' || NEW.partnerId, NEW.currency, substr(NEW.occurredAt, 1, 10), NEW.amount - NEW.refunded, 1)
                        ON CONFLICT DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
                    INSERT INTO sale_volume SELECT 'r:' || NEW.resellerId, NEW.currency, substr(NEW.occurredAt, 1, 10), NEW.amount - NEW.refunded, 1
                        WHERE NEW.resellerId IS NOT NULL
                        ON CONFLICT DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
                END;
                CREATE TRIGGER sale_volume_refund AFTER UPDATE OF refunded ON sale BEGIN
                    UPDATE sale_volume SET amount = amount - (NEW.refunded - OLD.refunded)
                        WHERE scope IN ('p:' || NEW.partnerId, 'r:' || NEW.resellerId) AND currency = NEW.currency
                          AND day = substr(NEW.occurredAt, 1, 10);
                END;

                -- Covers the split of the entries that turn payable today, without touching the table.
                CREATE INDEX commission_due ON commission(partnerId, status, payableAt, currency, amount, occurredAt);

                CREATE TRIGGER commission_rollup_insert AFTER INSERT ON commission BEGIN
                    INSERT INTO commission_rollup VALUES (NEW.partnerId, NEW.currency, NEW.status, substr(NEW.occurredAt, 1, 10),
                                                          substr(NEW.payableAt, 1, 10), NEW.amount, 1)
                        ON CONFLICT DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
                END;
                CREATE TRIGGER commission_rollup_update AFTER UPDATE OF amount, status, payableAt, occurredAt ON commission BEGIN
                    UPDATE commission_rollup SET amount = amount - OLD.amount, count = count - 1
                        WHERE partnerId = OLD.partnerId AND currency = OLD.currency AND status = OLD.status
                          AND day = substr(OLD.occurredAt, 1, 10) AND payableDay = substr(OLD.payableAt, 1, 10);
                    INSERT INTO commission_rollup VALUES (NEW.partnerId, NEW.currency, NEW.status, substr(NEW.occurredAt, 1, 10),
                                                          substr(NEW.payableAt, 1, 10), NEW.amount, 1)
                        ON CONFLICT DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
                END;
                """)
        }
        m.registerMigration("0005-checks-without-temporary-tables") { db in
            // SQLite evaluates `x IN (a, b, c)` with three or more values by building a
            // temporary b-tree, once per INSERT or UPDATE: on the sale path that was five
            // temporary tables a sale. The same checks as comparisons build none.
            try rebuild("partner", db, checks: [("status", ["active", "frozen", "suspended"])])
            try rebuild("member", db, checks: [("role", ["owner", "manager", "sales", "support", "viewer"])])
            try rebuild("sale", db, checks: [("kind", ["new", "renewal", "upgrade"])])
            try rebuild("commission", db, checks: [("kind", ["sale", "override", "adjustment", "manual"]),
                                                   ("status", ["pending", "processing", "paid", "cancelled", "reversed"])])
        }
        m.registerMigration("0006-running-totals-bounded") { db in
            // A running total past Int64 made SQLite turn the sum into a REAL, which a
            // STRICT table refused as an internal error. Every total is now bounded by the
            // largest amount the engine answers (2^53 minor units): a write that would pass
            // it fails this named check, answered as a clear limit error. Rows already past
            // the bound (written before) are copied as they are; only new writes are held.
            let bound = "CONSTRAINT \(RunningTotals.constraint) CHECK (amount BETWEEN -\(RunningTotals.bound) AND \(RunningTotals.bound))"
            try addCheck(bound, to: "sale_volume", db)
            try addCheck(bound, to: "commission_rollup", db)
        }
        m.registerMigration("0007-payouts") { db in
            // A ledger entry is in a payout when its payoutId names it: one column, so in at
            // most one payout at a time, and the CHECK below ties the link to the statuses
            // that mean "in a payout". Released lines (a payout failed, cancelled or
            // reversed) are copied to payout_released_line for the payout's statement.
            try db.execute(sql: """
                CREATE TABLE payout_account (
                    seq INTEGER PRIMARY KEY,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    currency TEXT NOT NULL,   -- '' for the partner's default account
                    method TEXT NOT NULL CHECK (method = 'stripe' OR method = 'paypal' OR method = 'manual'),
                    destination TEXT NOT NULL,
                    holdUntil TEXT,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;
                CREATE UNIQUE INDEX payout_account_unique ON payout_account(partnerId, currency);

                CREATE TABLE payout_schedule (
                    partnerSeq INTEGER PRIMARY KEY,   -- the partner's seq: runs go in partner order
                    partnerId TEXT NOT NULL UNIQUE REFERENCES partner(id),
                    cadence TEXT NOT NULL CHECK (cadence = 'weekly' OR cadence = 'monthly' OR cadence = 'manual'),
                    day INTEGER CHECK ((cadence = 'manual' AND day IS NULL) OR (cadence = 'weekly' AND day BETWEEN 1 AND 7)
                                       OR (cadence = 'monthly' AND day BETWEEN 1 AND 31)),
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;

                CREATE TABLE payout (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    amount INTEGER NOT NULL CHECK (amount > 0),
                    currency TEXT NOT NULL,
                    lineCount INTEGER NOT NULL CHECK (lineCount > 0),
                    status TEXT NOT NULL CHECK (status = 'created' OR status = 'processing' OR status = 'paid' OR status = 'failed'
                                                OR status = 'cancelled' OR status = 'reversed'),
                    method TEXT NOT NULL CHECK (method = 'stripe' OR method = 'paypal' OR method = 'manual'),
                    destination TEXT NOT NULL,
                    period TEXT,
                    asOf TEXT NOT NULL,
                    holdUntil TEXT,
                    instruction TEXT,
                    providerReference TEXT,
                    failureReason TEXT,
                    reversedAmount INTEGER NOT NULL DEFAULT 0 CHECK (reversedAmount >= 0 AND reversedAmount <= amount),
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL,
                    -- Processed payouts carry their instruction; paid ones their reference.
                    CHECK ((status = 'created' OR status = 'cancelled') = (instruction IS NULL)),
                    CHECK ((status = 'paid' OR status = 'reversed') = (providerReference IS NOT NULL))
                ) STRICT;
                -- A scheduled run pays a partner's currency once per period, whatever became of it.
                CREATE UNIQUE INDEX payout_period_unique ON payout(partnerId, currency, period) WHERE period IS NOT NULL;
                CREATE INDEX payout_by_partner ON payout(partnerId, seq);
                CREATE INDEX payout_by_status ON payout(status, seq);

                -- The state machine, in the store as well as in the service.
                CREATE TRIGGER payout_transition BEFORE UPDATE OF status ON payout
                    WHEN NEW.status != OLD.status AND NOT (
                        (OLD.status = 'created' AND (NEW.status = 'processing' OR NEW.status = 'cancelled'))
                        OR (OLD.status = 'processing' AND (NEW.status = 'paid' OR NEW.status = 'failed'))
                        OR (OLD.status = 'paid' AND NEW.status = 'reversed'))
                    BEGIN SELECT RAISE(ABORT, 'payout status transition not allowed'); END;
                -- What was handed to the host, and what the provider named, never change.
                CREATE TRIGGER payout_instruction_fixed BEFORE UPDATE OF instruction, providerReference, amount, currency, partnerId,
                                                                            destination, method, lineCount ON payout
                    WHEN (OLD.instruction IS NOT NULL AND NEW.instruction IS NOT OLD.instruction)
                      OR (OLD.providerReference IS NOT NULL AND NEW.providerReference IS NOT OLD.providerReference)
                      OR NEW.amount != OLD.amount OR NEW.currency != OLD.currency OR NEW.partnerId != OLD.partnerId
                      OR NEW.destination != OLD.destination OR NEW.method != OLD.method OR NEW.lineCount != OLD.lineCount
                    BEGIN SELECT RAISE(ABORT, 'a payout''s amount, destination, instruction and reference never change'); END;
                CREATE TRIGGER payout_no_delete BEFORE DELETE ON payout
                    BEGIN SELECT RAISE(ABORT, 'payouts are never deleted'); END;

                CREATE TABLE payout_released_line (
                    payoutId TEXT NOT NULL REFERENCES payout(id),
                    commissionSeq INTEGER NOT NULL,
                    amount INTEGER NOT NULL,
                    PRIMARY KEY (payoutId, commissionSeq)
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE provider_event (
                    provider TEXT NOT NULL,
                    eventId TEXT NOT NULL,
                    type TEXT NOT NULL,
                    payoutId TEXT,
                    result TEXT NOT NULL,
                    receivedAt TEXT NOT NULL,
                    createdAt TEXT NOT NULL,
                    PRIMARY KEY (provider, eventId)
                ) STRICT, WITHOUT ROWID;
                """)
            try addCheck("CONSTRAINT commission_payout_link CHECK ((status = 'processing' OR status = 'paid') = (payoutId IS NOT NULL))",
                         to: "commission", db)
            try db.execute(sql: "CREATE INDEX commission_by_payout ON commission(payoutId) WHERE payoutId IS NOT NULL")
        }
        m.registerMigration("0008-oauth") { db in
            // Secrets and tokens are kept only as SHA-256 hashes (hex); scopes as
            // space-separated text, sorted.
            try db.execute(sql: """
                CREATE TABLE oauth_client (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    name TEXT NOT NULL,
                    scopes TEXT NOT NULL,
                    secretHash TEXT NOT NULL CHECK (length(secretHash) = 64),
                    previousSecretHash TEXT CHECK (previousSecretHash IS NULL OR length(previousSecretHash) = 64),
                    previousSecretExpiresAt TEXT,
                    status TEXT NOT NULL CHECK (status = 'active' OR status = 'revoked'),
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;
                CREATE INDEX oauth_client_by_partner ON oauth_client(partnerId, seq);

                CREATE TABLE oauth_token (
                    hash TEXT PRIMARY KEY CHECK (length(hash) = 64),
                    id TEXT NOT NULL UNIQUE,
                    clientId TEXT NOT NULL REFERENCES oauth_client(id),
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    scopes TEXT NOT NULL,
                    issuedAt TEXT NOT NULL,
                    expiresAt TEXT NOT NULL,
                    revokedAt TEXT
                ) STRICT, WITHOUT ROWID;
                """)
        }
        m.registerMigration("0009-subscriptions") { db in
            // A subscription renews once per period: `period` counts the periods sold, and
            // each period's sale has the external id `<subscription>/<period>`, unique in
            // the partner like every sale's, so no period is sold twice.
            try replace("kind = 'upgrade'", with: "kind = 'upgrade' OR kind = 'usage'", in: "sale", db)
            try db.execute(sql: """
                CREATE INDEX sale_by_partner ON sale(partnerId);

                CREATE TABLE subscription (
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    resellerId TEXT REFERENCES reseller(id),
                    customerId TEXT NOT NULL REFERENCES customer(id),
                    plan TEXT NOT NULL,
                    interval TEXT NOT NULL CHECK (interval = 'month' OR interval = 'year'),
                    status TEXT NOT NULL CHECK (status = 'active' OR status = 'cancelled'),
                    startAt TEXT NOT NULL,
                    period INTEGER NOT NULL CHECK (period >= 1),
                    periodStart TEXT NOT NULL,
                    periodEnd TEXT NOT NULL CHECK (periodEnd > periodStart),
                    amount INTEGER NOT NULL CHECK (amount >= 0),
                    currency TEXT NOT NULL,
                    cancelAtPeriodEnd INTEGER NOT NULL CHECK (cancelAtPeriodEnd = 0 OR cancelAtPeriodEnd = 1),
                    cancelledAt TEXT,
                    endedAt TEXT,
                    lastSaleId TEXT NOT NULL REFERENCES sale(id),
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL,
                    CHECK ((status = 'cancelled') = (endedAt IS NOT NULL))
                ) STRICT;
                CREATE INDEX subscription_by_partner ON subscription(partnerId, seq);
                CREATE INDEX subscription_by_customer ON subscription(customerId, seq);
                -- The renewal run reads the active subscriptions whose period has ended.
                CREATE INDEX subscription_due ON subscription(periodEnd, seq) WHERE status = 'active';
                """)
        }
        m.registerMigration("0010-usage") { db in
            // Metered usage: each event once per partner (its eventId), quantities as whole
            // units of the meter's smallest step (`scale` decimals, as the meter had when the
            // event was recorded). usage_total keeps each customer's daily total per meter, moved
            // by the store once per day and meter of a batch in the same transaction as its
            // events (a trigger would move it once per event), bounded so a sum can never
            // leave Int64;
            // usage_period is a customer's month: open until usage.close sells it, once.
            try db.execute(sql: """
                CREATE TABLE usage_event (
                    partnerId TEXT NOT NULL,
                    eventId TEXT NOT NULL,
                    customerId TEXT NOT NULL,
                    meter TEXT NOT NULL,
                    units INTEGER NOT NULL CHECK (units >= 0),
                    scale INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 9),
                    occurredAt TEXT NOT NULL,
                    recordedAt TEXT NOT NULL,
                    PRIMARY KEY (partnerId, eventId)
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE usage_total (
                    partnerId TEXT NOT NULL,
                    customerId TEXT NOT NULL,
                    meter TEXT NOT NULL,
                    day TEXT NOT NULL,
                    scale INTEGER NOT NULL,
                    units INTEGER NOT NULL,
                    events INTEGER NOT NULL,
                    CONSTRAINT \(UsageTotals.constraint) CHECK (units BETWEEN 0 AND \(UsageTotals.bound)),
                    PRIMARY KEY (partnerId, customerId, meter, day, scale)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX usage_total_by_partner_day ON usage_total(partnerId, day);

                CREATE TABLE usage_period (
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    customerId TEXT NOT NULL REFERENCES customer(id),
                    month TEXT NOT NULL,      -- YYYY-MM (UTC)
                    closedAt TEXT,
                    saleId TEXT REFERENCES sale(id),
                    PRIMARY KEY (partnerId, customerId, month),
                    CHECK (saleId IS NULL OR closedAt IS NOT NULL)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX usage_period_open ON usage_period(month, partnerId, customerId) WHERE closedAt IS NULL;

                CREATE TRIGGER usage_period_closed_once BEFORE UPDATE OF closedAt, saleId ON usage_period
                WHEN OLD.closedAt IS NOT NULL BEGIN
                    SELECT RAISE(ABORT, 'a closed usage period does not change');
                END;
                """)
        }
        m.registerMigration("0011-brands") { db in
            // A partner's brand (absent: the default one), and its custom domains, each host
            // name claimed once across partners. Rowid tables, so the store's brand version
            // sees every change (see AuthVersion).
            try db.execute(sql: """
                CREATE TABLE brand (
                    partnerId TEXT PRIMARY KEY REFERENCES partner(id),
                    displayName TEXT NOT NULL,
                    logoUrl TEXT,
                    faviconUrl TEXT,
                    primaryColor TEXT NOT NULL CHECK (length(primaryColor) = 7),
                    accentColor TEXT NOT NULL CHECK (length(accentColor) = 7),
                    backgroundColor TEXT NOT NULL CHECK (length(backgroundColor) = 7),
                    textColor TEXT NOT NULL CHECK (length(textColor) = 7),
                    font TEXT NOT NULL,
                    supportEmail TEXT,
                    supportUrl TEXT,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL
                ) STRICT;

                CREATE TABLE brand_domain (
                    seq INTEGER PRIMARY KEY,
                    hostname TEXT NOT NULL UNIQUE CHECK (length(hostname) BETWEEN 3 AND 253),
                    partnerId TEXT NOT NULL REFERENCES partner(id),
                    status TEXT NOT NULL CHECK (status IN ('pending_dns', 'verified', 'certificate_pending', 'active', 'failed')),
                    challenge TEXT NOT NULL,
                    notAfter TEXT,
                    error TEXT,
                    claimedAt TEXT,
                    createdAt TEXT NOT NULL,
                    updatedAt TEXT NOT NULL,
                    CHECK (status != 'active' OR notAfter IS NOT NULL)
                ) STRICT;
                CREATE INDEX brand_domain_by_partner ON brand_domain(partnerId, seq);
                CREATE INDEX brand_domain_by_status ON brand_domain(status, notAfter);
                """)
        }
        m.registerMigration("0012-sale-totals") { db in
            // A partner's sales by UTC day, currency and kind (count, amount, refunded), and
            // by customer and day (amount, refunded): what analytics and reports read for
            // whole days instead of the ledger. The first replaces sale_volume's partner
            // scopes (resellers' stay there), so a sale still writes one partner total; the
            // customer's is one more. Both are filled from the ledger itself; totals past
            // the bound from sales written before it are kept as they are (as 0006 did).
            let bound = "CONSTRAINT \(RunningTotals.constraint) CHECK (amount BETWEEN -\(RunningTotals.bound) AND \(RunningTotals.bound) "
                + "AND refunded BETWEEN -\(RunningTotals.bound) AND \(RunningTotals.bound))"
            try db.execute(sql: """
                CREATE TABLE sale_total (
                    partnerId TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    day TEXT NOT NULL,        -- YYYY-MM-DD of occurredAt (UTC)
                    kind TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    amount INTEGER NOT NULL,  -- as sold
                    refunded INTEGER NOT NULL,
                    PRIMARY KEY (partnerId, day, currency, kind),
                    \(bound)
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE sale_customer_total (
                    partnerId TEXT NOT NULL,
                    customerId TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    day TEXT NOT NULL,
                    amount INTEGER NOT NULL,
                    refunded INTEGER NOT NULL,
                    PRIMARY KEY (partnerId, day, customerId, currency),
                    \(bound)
                ) STRICT, WITHOUT ROWID;

                PRAGMA ignore_check_constraints = ON;
                INSERT INTO sale_total SELECT partnerId, currency, substr(occurredAt, 1, 10), kind, COUNT(*), SUM(amount), SUM(refunded)
                    FROM sale GROUP BY 1, 2, 3, 4;
                INSERT INTO sale_customer_total SELECT partnerId, customerId, currency, substr(occurredAt, 1, 10), SUM(amount), SUM(refunded)
                    FROM sale GROUP BY 1, 2, 3, 4;
                PRAGMA ignore_check_constraints = OFF;
                DELETE FROM sale_volume WHERE scope >= 'p:' AND scope < 'p;';

                DROP TRIGGER sale_volume_insert;
                DROP TRIGGER sale_volume_refund;
                CREATE TRIGGER sale_total_insert AFTER INSERT ON sale BEGIN
                    INSERT INTO sale_total VALUES (NEW.partnerId, NEW.currency, substr(NEW.occurredAt, 1, 10), NEW.kind, 1, NEW.amount, NEW.refunded)
                        ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
                    INSERT INTO sale_customer_total VALUES (NEW.partnerId, NEW.customerId, NEW.currency, substr(NEW.occurredAt, 1, 10),
                                                            NEW.amount, NEW.refunded)
                        ON CONFLICT DO UPDATE SET amount = amount + excluded.amount, refunded = refunded + excluded.refunded;
                    INSERT INTO sale_volume SELECT 'r:' || NEW.resellerId, NEW.currency, substr(NEW.occurredAt, 1, 10), NEW.amount - NEW.refunded, 1
                        WHERE NEW.resellerId IS NOT NULL
                        ON CONFLICT DO UPDATE SET amount = amount + excluded.amount, count = count + 1;
                END;
                CREATE TRIGGER sale_total_refund AFTER UPDATE OF refunded ON sale BEGIN
                    UPDATE sale_total SET refunded = refunded + (NEW.refunded - OLD.refunded)
                        WHERE partnerId = NEW.partnerId AND currency = NEW.currency AND day = substr(NEW.occurredAt, 1, 10) AND kind = NEW.kind;
                    UPDATE sale_customer_total SET refunded = refunded + (NEW.refunded - OLD.refunded)
                        WHERE partnerId = NEW.partnerId AND day = substr(NEW.occurredAt, 1, 10) AND customerId = NEW.customerId
                          AND currency = NEW.currency;
                    UPDATE sale_volume SET amount = amount - (NEW.refunded - OLD.refunded)
                        WHERE scope = 'r:' || NEW.resellerId AND currency = NEW.currency AND day = substr(NEW.occurredAt, 1, 10);
                END;
                """)
        }
        m.registerMigration("0013-period-totals") { db in
            // Rankings, regions and the overview read the whole platform at once: a partner's
            // sales (count, sold, refunded) and standing commissions (count, amount) by
            // currency and calendar year, month and UTC day (`level` y, m, d: a range of
            // whole days is read as its whole years, then whole months, then days), a
            // customer's sales the same way under its country, and the platform's
            // commissions by currency, status and (pending only) the day their hold ends.
            // Filled from the ledger; kept set-based at the end of each transaction
            // (TotalsFold): the rows added since, and a log of changes to rows summed before
            // that triggers write (a commission's moves among pending, processing and paid
            // log nothing for period_total).
            let bounded = { (name: String, bound: Int64, columns: [String]) in
                "CONSTRAINT \(name) CHECK (" + columns.map { "\($0) BETWEEN -\(bound) AND \(bound)" }.joined(separator: " AND ") + ")"
            }
            let standing = { (row: String) in "\(row).status != 'cancelled' AND \(row).status != 'reversed'" }
            let levels = TotalsFold.levels
            try db.execute(sql: """
                CREATE TABLE period_total (
                    level TEXT NOT NULL,       -- y, m or d
                    currency TEXT NOT NULL,
                    period TEXT NOT NULL,      -- YYYY, YYYY-MM or YYYY-MM-DD of occurredAt (UTC)
                    partnerId TEXT NOT NULL,
                    sales INTEGER NOT NULL,
                    amount INTEGER NOT NULL,   -- as sold
                    refunded INTEGER NOT NULL,
                    commissions INTEGER NOT NULL, -- standing: neither cancelled nor reversed
                    earned INTEGER NOT NULL,
                    PRIMARY KEY (level, currency, period, partnerId),
                    \(bounded(PeriodTotals.constraint, PeriodTotals.bound, ["amount", "refunded", "earned"]))
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE customer_period_total (
                    level TEXT NOT NULL,
                    period TEXT NOT NULL,
                    currency TEXT NOT NULL,
                    country TEXT NOT NULL,     -- the customer's (fixed once created)
                    customerId TEXT NOT NULL,
                    partnerId TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    amount INTEGER NOT NULL,
                    refunded INTEGER NOT NULL,
                    PRIMARY KEY (level, period, currency, country, customerId),
                    \(bounded(PeriodTotals.constraint, PeriodTotals.bound, ["amount", "refunded"]))
                ) STRICT, WITHOUT ROWID;
                CREATE TABLE commission_status_total (
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL,
                    payableDay TEXT NOT NULL,  -- YYYY-MM-DD of payableAt when pending, '' otherwise
                    count INTEGER NOT NULL,
                    amount INTEGER NOT NULL,
                    PRIMARY KEY (currency, status, payableDay),
                    \(bounded(PeriodTotals.constraint, PeriodTotals.bound, ["amount"]))
                ) STRICT, WITHOUT ROWID;

                PRAGMA ignore_check_constraints = ON;
                INSERT INTO period_total
                    SELECT level, currency, period, partnerId, SUM(sales), SUM(amount), SUM(refunded), SUM(commissions), SUM(earned) FROM (
                        SELECT l.level, s.currency, substr(s.occurredAt, 1, l.width) AS period, s.partnerId,
                               1 AS sales, s.amount, s.refunded, 0 AS commissions, 0 AS earned FROM sale s, \(levels)
                        UNION ALL
                        SELECT l.level, c.currency, substr(c.occurredAt, 1, l.width), c.partnerId, 0, 0, 0, 1, c.amount
                            FROM commission c, \(levels) WHERE \(standing("c")))
                    GROUP BY 1, 2, 3, 4;
                INSERT INTO customer_period_total
                    SELECT l.level, substr(s.occurredAt, 1, l.width), s.currency, c.country, s.customerId, c.partnerId,
                           COUNT(*), SUM(s.amount), SUM(s.refunded)
                    FROM sale s JOIN customer c ON c.id = s.customerId, \(levels) GROUP BY 1, 2, 3, 4, 5;
                INSERT INTO commission_status_total
                    SELECT currency, status, CASE WHEN status = 'pending' THEN substr(payableAt, 1, 10) ELSE '' END, COUNT(*), SUM(amount)
                    FROM commission GROUP BY 1, 2, 3;
                PRAGMA ignore_check_constraints = OFF;

                -- The last sale and commission (by seq) in the totals: the fold sums the rows
                -- after them, set-based, once per transaction (TotalsFold); a change to a
                -- row already summed is logged below by a trigger (rows are never deleted,
                -- so every later row has a higher seq).
                CREATE TABLE total_fold (source TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT, WITHOUT ROWID;
                INSERT INTO total_fold VALUES ('sale', (SELECT coalesce(MAX(seq), 0) FROM sale)),
                                              ('commission', (SELECT coalesce(MAX(seq), 0) FROM commission));

                -- What a change to a summed row adds to those totals, one row per change,
                -- summed into them with the new rows.
                CREATE TABLE period_delta (
                    currency TEXT NOT NULL, day TEXT NOT NULL, partnerId TEXT NOT NULL,
                    sales INTEGER NOT NULL, amount INTEGER NOT NULL, refunded INTEGER NOT NULL,
                    commissions INTEGER NOT NULL, earned INTEGER NOT NULL
                ) STRICT;
                CREATE TABLE customer_delta (
                    currency TEXT NOT NULL, day TEXT NOT NULL, country TEXT NOT NULL, customerId TEXT NOT NULL, partnerId TEXT NOT NULL,
                    count INTEGER NOT NULL, amount INTEGER NOT NULL, refunded INTEGER NOT NULL
                ) STRICT;

                -- The regions' totals are keyed by the customer's country: it never changes.
                CREATE TRIGGER customer_country_fixed BEFORE UPDATE OF country ON customer WHEN OLD.country != NEW.country BEGIN
                    SELECT RAISE(ABORT, 'a customer''s country is fixed once created');
                END;
                CREATE TRIGGER period_total_commission_change AFTER UPDATE OF amount, status, occurredAt, partnerId, currency ON commission
                WHEN (OLD.amount != NEW.amount OR OLD.occurredAt != NEW.occurredAt OR OLD.partnerId != NEW.partnerId OR OLD.currency != NEW.currency
                      OR (\(standing("OLD"))) != (\(standing("NEW")))) AND OLD.seq <= (SELECT seq FROM total_fold WHERE source = 'commission') BEGIN
                    INSERT INTO period_delta SELECT OLD.currency, substr(OLD.occurredAt, 1, 10), OLD.partnerId, 0, 0, 0, -1, -OLD.amount
                        WHERE \(standing("OLD"));
                    INSERT INTO period_delta SELECT NEW.currency, substr(NEW.occurredAt, 1, 10), NEW.partnerId, 0, 0, 0, 1, NEW.amount
                        WHERE \(standing("NEW"));
                END;
                -- A summed entry's move between statuses (a payout's lines: pending, processing,
                -- paid) goes straight into the platform's few status rows, which stay in
                -- memory: cheaper per line than a logged change summed later.
                CREATE TRIGGER commission_status_total_change AFTER UPDATE OF amount, status, payableAt, currency ON commission
                WHEN (OLD.amount != NEW.amount OR OLD.status != NEW.status OR OLD.payableAt != NEW.payableAt OR OLD.currency != NEW.currency)
                     AND OLD.seq <= (SELECT seq FROM total_fold WHERE source = 'commission') BEGIN
                    UPDATE commission_status_total SET count = count - 1, amount = amount - OLD.amount
                        WHERE currency = OLD.currency AND status = OLD.status
                          AND payableDay = CASE WHEN OLD.status = 'pending' THEN substr(OLD.payableAt, 1, 10) ELSE '' END;
                    INSERT INTO commission_status_total VALUES (NEW.currency, NEW.status,
                                                                CASE WHEN NEW.status = 'pending' THEN substr(NEW.payableAt, 1, 10) ELSE '' END, 1, NEW.amount)
                        ON CONFLICT DO UPDATE SET count = count + 1, amount = amount + excluded.amount;
                END;
                """)
            // A refund of a summed sale is logged by the trigger that already keeps the
            // daily totals (one trigger program a row, not two).
            try extend(trigger: "sale_total_refund", with: """
                INSERT INTO period_delta SELECT NEW.currency, substr(NEW.occurredAt, 1, 10), NEW.partnerId, 0, 0, NEW.refunded - OLD.refunded, 0, 0
                    WHERE OLD.seq <= (SELECT seq FROM total_fold WHERE source = 'sale');
                INSERT INTO customer_delta SELECT NEW.currency, substr(NEW.occurredAt, 1, 10), c.country, NEW.customerId, c.partnerId,
                                                  0, 0, NEW.refunded - OLD.refunded FROM customer c
                    WHERE c.id = NEW.customerId AND OLD.seq <= (SELECT seq FROM total_fold WHERE source = 'sale');
                """, db)
        }
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
            let sale = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('sale') ORDER BY cid")
            try redefine("sale", db, copying: Interned.refs(in: sale, ["rulesHash"])) { body in
                try replacing("rulesHash TEXT NOT NULL,", with: "rulesRef INTEGER NOT NULL REFERENCES interned(id),", in: body)
            }
            let commission = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('commission') ORDER BY cid")
            try redefine("commission", db, copying: Interned.refs(in: commission, ["ruleId", "rulesHash"])) { body in
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
            let instants = ["sale": ["occurredAt", "createdAt"], "commission": ["payableAt", "occurredAt", "createdAt", "updatedAt"]]
            for (table, columns) in instants.sorted(by: { $0.key > $1.key }) {
                let all = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
                let copy = all.map { columns.contains($0) ? "portico_millis(\($0))" : $0 }.joined(separator: ", ")
                try redefine(table, db, copying: copy) { body in
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
        return m
    }

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
    /// are, without the checks (they passed the ones they were written under), as
    /// `columns` selects them from the old table.
    static func redefine(_ table: String, _ db: Database, copying columns: String = "*", _ edit: (String) throws -> String) throws {
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
        try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
        try db.execute(sql: "INSERT INTO \(table)_rebuilt SELECT \(columns) FROM \(table)")
        try db.execute(sql: "PRAGMA ignore_check_constraints = OFF")
        try db.execute(sql: "DROP TABLE \(table)")
        try db.execute(sql: "ALTER TABLE \(table)_rebuilt RENAME TO \(table)")
        for statement in indexes { try db.execute(sql: statement) }
        for (_, statement) in triggers { try db.execute(sql: statement) }
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
