-- merzim schema, version 4: plans as they are published. A measure may be undated (its deadline has no
-- date merzim can read: an event, or a phrase it does not know) until the coordinator gives it a date;
-- measures keep the number as the document writes it; agencies are found by a key that does not
-- depend on quotes, case or look-alike letters, and may be a group or a body that only receives reports.

ALTER TABLE plan ADD COLUMN act_date TEXT;              -- the act that approved the plan (ISO date)
ALTER TABLE measure ADD COLUMN label TEXT;              -- the number as written: "12", "1.1"
ALTER TABLE measure ADD COLUMN undated TEXT;            -- why its deadline gives no date, or NULL
UPDATE measure SET label = CAST(number AS TEXT);

-- An occurrence whose date the coordinator gave (merzimctl due): the next import keeps it as long as the
-- measure's deadline cell says the same.
ALTER TABLE occurrence ADD COLUMN given INTEGER NOT NULL DEFAULT 0;

ALTER TABLE agency ADD COLUMN key TEXT;                 -- filled by merzim (agency_key) on the next import
ALTER TABLE agency ADD COLUMN kind TEXT NOT NULL DEFAULT 'agency'; -- agency, group
CREATE INDEX agency_by_key ON agency(key);
