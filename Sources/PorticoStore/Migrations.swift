import Foundation
import GRDB
import PorticoCore

extension SQLiteStore {
    /// Versioned migrations. A migration that has shipped is never edited: changes come
    /// as a new migration appended after the last (0014 onwards are in
    /// MigrationsCompactStorage.swift; the helpers that rebuild tables in
    /// MigrationHelpers.swift).
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
        registerCompactStorage(&m)
        return m
    }
}
