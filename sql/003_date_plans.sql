-- merzim schema, version 3: plans per due date.
-- An occurrence that went through no stage yet has the first stage of its effective due date: a
-- million occurrences share a few thousand dates, so the schedule is worked out per date, and an
-- occurrence gets a plan of its own (occurrence.next_stage...) only once it went through a stage.
-- occurrence.planned_rev is now: 0 "fresh", on its date's plan; -1 to be planned on its own
-- (reopened, rescheduled); above 0 planned on its own under that policy revision.

-- The first stage of every occurrence due on a date that went through none, under policy revision
-- rev; fresh: some such occurrence may be waiting for it (cleared once its first stage was handled).
CREATE TABLE date_plan (
        effective_due   TEXT PRIMARY KEY,
        rev             INTEGER NOT NULL,
        first_stage     TEXT,                   -- 30d, 7d, 1d, due ... (NULL: no stage at all)
        first_level     INTEGER,
        first_at        INTEGER,                -- Unix seconds
        fresh           INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX date_plan_due ON date_plan(first_at) WHERE fresh;

-- Unplanned occurrences that went through a stage (reopened) are planned on their own.
UPDATE occurrence SET planned_rev = -1
        WHERE planned_rev = 0 AND status = 'pending'
          AND EXISTS (SELECT 1 FROM stage WHERE stage.occurrence_id = occurrence.id);
