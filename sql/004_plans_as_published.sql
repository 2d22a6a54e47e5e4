-- merzim schema, version 4: plans as they are published. A measure keeps the number as the document
-- writes it, and has one deadline per deadline column of its plan (a legislative plan has one per
-- stage). A deadline may be undated (an event, or a phrase merzim cannot read) until the coordinator
-- gives it a date or records the event it counts from. Agencies are found by a key that does not depend
-- on quotes, case or look-alike letters, and may be a group of agencies.

ALTER TABLE plan ADD COLUMN act_date TEXT;              -- the act that approved the plan (ISO date)
ALTER TABLE measure ADD COLUMN label TEXT;              -- the number as written: "12", "1.1"
ALTER TABLE measure ADD COLUMN undated TEXT;            -- why one of its deadlines gives no date, or NULL
UPDATE measure SET label = CAST(number AS TEXT);

CREATE TABLE due (
        measure_id      INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,       -- 1, 2 ... in the order of the plan's deadline columns
        stage           TEXT,                   -- the column's stage ("в МЮ"); NULL when the plan has one
        deadline        TEXT NOT NULL,          -- the cell as written
        rule            TEXT NOT NULL,          -- as understood (several rules: "RULE; RULE"), or "undated"
        waits           TEXT,                   -- why it gives no date by itself, or NULL
        given_date      TEXT,                   -- the date the coordinator gave it (merzimctl due)
        event_date      TEXT,                   -- the date of the event its rule counts from (merzimctl event)
        dated_by        TEXT,                   -- who gave either, and when
        dated_at        TEXT,
        PRIMARY KEY (measure_id, position)
) WITHOUT ROWID;
INSERT INTO due (measure_id, position, deadline, rule) SELECT id, 1, deadline, rule FROM measure;

ALTER TABLE agency ADD COLUMN key TEXT;                 -- filled by merzim (agency_key) on the next import
ALTER TABLE agency ADD COLUMN kind TEXT NOT NULL DEFAULT 'agency'; -- agency, group
CREATE INDEX agency_by_key ON agency(key);
