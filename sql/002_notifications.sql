-- merzim schema, version 2: the notification schedule, the outbox and its audit.
-- Instants here are Unix seconds (UTC).

-- The schedule of each pending occurrence: its next stage (a reminder, the due notice or an
-- escalation) and when it is sent. planned_rev is the policy revision it was worked out under:
-- 0 means "work it out again" (new, rescheduled, reopened).
ALTER TABLE occurrence ADD COLUMN planned_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE occurrence ADD COLUMN next_stage TEXT;
ALTER TABLE occurrence ADD COLUMN next_stage_level INTEGER;
ALTER TABLE occurrence ADD COLUMN next_stage_at INTEGER;
CREATE INDEX occurrence_planned ON occurrence(planned_rev) WHERE status = 'pending';
CREATE INDEX occurrence_next ON occurrence(next_stage_at) WHERE status = 'pending';

-- One message: everything due to one recipient at one send time.
CREATE TABLE notification (
        id              INTEGER PRIMARY KEY,
        key             TEXT NOT NULL UNIQUE,   -- digest of recipient, kind, stage and items: Message-ID, Idempotency-Key
        plan_id         INTEGER REFERENCES plan(id) ON DELETE SET NULL,
        recipient       TEXT NOT NULL,          -- the agency code it is delivered to
        kind            TEXT NOT NULL,          -- reminder, due, escalation, digest, catch-up
        stage           TEXT NOT NULL,          -- 30d, 7d, 1d, due, +1wd, +7d, +37d, mixed, catch-up
        scheduled_at    INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        language        TEXT NOT NULL,
        subject         TEXT NOT NULL,
        body            TEXT NOT NULL,
        payload         TEXT NOT NULL           -- the webhook's JSON
);
CREATE INDEX notification_scheduled ON notification(scheduled_at);

-- The stages each occurrence went through: told (written to the outbox) or missed (the daemon was
-- not running: in a catch-up digest, or skipped).
CREATE TABLE stage (
        occurrence_id   INTEGER NOT NULL REFERENCES occurrence(id) ON DELETE CASCADE,
        name            TEXT NOT NULL,          -- 30d, 7d, 1d, due, +1wd, +7d, +37d, +67d ...
        level           INTEGER NOT NULL,       -- 0 reminder or due notice; 1, 2, 3... escalation
        send_at         INTEGER NOT NULL,       -- when it was due to go out
        state           TEXT NOT NULL CHECK (state IN ('told', 'missed')),
        handled_at      INTEGER NOT NULL,
        notification_id INTEGER REFERENCES notification(id) ON DELETE SET NULL,
        PRIMARY KEY (occurrence_id, name)
) WITHOUT ROWID;
CREATE INDEX stage_notification ON stage(notification_id);

-- Which occurrences a notification lists, and in what role the recipient is told.
CREATE TABLE notification_item (
        notification_id INTEGER NOT NULL REFERENCES notification(id) ON DELETE CASCADE,
        occurrence_id   INTEGER NOT NULL REFERENCES occurrence(id) ON DELETE CASCADE,
        stage           TEXT NOT NULL,
        role            TEXT NOT NULL,          -- executor, lead, report recipient, coordinator, supervisor
        on_behalf_of    TEXT,                   -- the agency it was meant for, when that has no contact
        PRIMARY KEY (notification_id, occurrence_id, stage)
) WITHOUT ROWID;
CREATE INDEX notification_item_occurrence ON notification_item(occurrence_id);

-- A notification on one channel to one address, written before anything is sent.
CREATE TABLE outbox (
        id              INTEGER PRIMARY KEY,
        notification_id INTEGER NOT NULL REFERENCES notification(id) ON DELETE CASCADE,
        channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
        address         TEXT NOT NULL,          -- e-mail address or URL
        state           TEXT NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT,
        reply           TEXT,                   -- the server's reply on delivery
        sent_at         INTEGER,
        UNIQUE (notification_id, channel, address)
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';

-- Every delivery attempt: who was told what, when, and with what result.
CREATE TABLE attempt (
        id              INTEGER PRIMARY KEY,
        outbox_id       INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
        started_at      INTEGER NOT NULL,
        finished_at     INTEGER NOT NULL,
        result          TEXT NOT NULL CHECK (result IN ('sent', 'retry', 'failed')),
        code            INTEGER,
        reply           TEXT
);
CREATE INDEX attempt_outbox ON attempt(outbox_id);

-- The daemon's own state: the policy revision and its fingerprint.
CREATE TABLE daemon_state (
        key             TEXT PRIMARY KEY,
        value           TEXT
) WITHOUT ROWID;
