-- merzim schema, version 5: a notification is found by its send time, its recipient and its key.
-- The key alone was unique. A key is a digest, so every new message went to a random place in the
-- key's index, and a burst of messages rewrote most of that index's pages in each of its commits
-- (half of what a burst wrote to the write-ahead log). The send time and the recipient are digested
-- into the key, so the key is as unique with them in front of it; a send time's messages are written
-- in the order of their recipients and now go to the end of the index. The index on the send time
-- alone is its first column and goes. The table is made anew (SQLite cannot drop a column's UNIQUE):
-- merzim runs its migrations with foreign key checks off and checks every reference before it commits.

CREATE TABLE notification_v5 (
        id              INTEGER PRIMARY KEY,
        key             TEXT NOT NULL,          -- digest of recipient, send time, kind, stage and items: Message-ID, Idempotency-Key
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
INSERT INTO notification_v5 (id, key, plan_id, recipient, kind, stage, scheduled_at, created_at, language, subject,
                             body, payload)
        SELECT id, key, plan_id, recipient, kind, stage, scheduled_at, created_at, language, subject, body, payload
        FROM notification;
DROP TABLE notification;
ALTER TABLE notification_v5 RENAME TO notification;
CREATE UNIQUE INDEX notification_message ON notification(scheduled_at, recipient, key);
