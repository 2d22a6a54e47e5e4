-- merzim schema, version 1: plans, their measures, agencies and the dated occurrences of every deadline.
-- Dates are ISO 8601 text (YYYY-MM-DD); instants are ISO 8601 text in UTC with a trailing Z.

-- An action plan (roadmap) as approved, in its latest imported edition.
CREATE TABLE plan (
        id              INTEGER PRIMARY KEY,
        key             TEXT NOT NULL UNIQUE,   -- folded title: editions of one plan share it
        title           TEXT NOT NULL,
        doc_number      TEXT,                   -- the document that gave this edition, e.g. "104-ө"
        doc_date        TEXT,                   -- its date, e.g. "2022-06-16"
        edition         TEXT,                   -- human text: "2022-06-16 № 104-ө"
        year_from       INTEGER,                -- the plan's period
        year_to         INTEGER,
        coordinator     TEXT,                   -- agency code of the coordinating ministry
        expected_results TEXT,
        source_name     TEXT,                   -- file name of the last import
        source_sha256   TEXT,                   -- digest of the last imported document
        imported_at     TEXT,
        CHECK (year_from IS NULL OR year_to IS NULL OR year_from <= year_to)
);

CREATE TABLE section (
        id              INTEGER PRIMARY KEY,
        plan_id         INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
        position        INTEGER NOT NULL,       -- 1-based order in the document
        title           TEXT NOT NULL,
        UNIQUE (plan_id, position)
);

-- An agency, by its code as written in plans ("ИИДМ", "\"Атамекен\" ҰКП").
CREATE TABLE agency (
        id              INTEGER PRIMARY KEY,
        code            TEXT NOT NULL UNIQUE,
        name            TEXT,                   -- full name, when known
        contacts        TEXT                    -- JSON object, filled from the configuration
);

-- The agencies a plan lists among its executors.
CREATE TABLE plan_agency (
        plan_id         INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
        agency_id       INTEGER NOT NULL REFERENCES agency(id),
        PRIMARY KEY (plan_id, agency_id)
) WITHOUT ROWID;

CREATE TABLE measure (
        id              INTEGER PRIMARY KEY,
        plan_id         INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
        section_id      INTEGER REFERENCES section(id),
        number          INTEGER NOT NULL,       -- "10." in the document
        name            TEXT NOT NULL,
        form            TEXT NOT NULL,          -- completion form, e.g. "ИИДМ-ға ақпарат"
        deadline        TEXT NOT NULL,          -- the deadline as written
        rule            TEXT NOT NULL,          -- the deadline as understood, e.g. "annual 06-30 2022-2024"
        report_to       TEXT,                   -- agency code the completion form names, if any
        source_line     INTEGER,
        withdrawn       INTEGER NOT NULL DEFAULT 0, -- no longer in the latest edition
        UNIQUE (plan_id, number)
);
CREATE INDEX measure_section ON measure(section_id);

-- Who executes a measure, in the listed order; position 1 is the lead executor.
CREATE TABLE assignment (
        measure_id      INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
        agency_id       INTEGER NOT NULL REFERENCES agency(id),
        position        INTEGER NOT NULL,
        by_agreement    INTEGER NOT NULL DEFAULT 0, -- "(келісу бойынша)" / "(по согласованию)"
        PRIMARY KEY (measure_id, agency_id)
) WITHOUT ROWID;
CREATE INDEX assignment_agency ON assignment(agency_id);

-- One deadline of one measure in one period.
CREATE TABLE occurrence (
        id              INTEGER PRIMARY KEY,
        measure_id      INTEGER NOT NULL REFERENCES measure(id) ON DELETE CASCADE,
        period          TEXT NOT NULL,          -- "2022", "2022-06", "2022-Q4", ...
        nominal_due     TEXT NOT NULL,
        effective_due   TEXT NOT NULL,          -- moved off weekends and holidays
        status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'waived')),
        done_at         TEXT,
        done_by         TEXT,
        note            TEXT,
        UNIQUE (measure_id, period)
);
CREATE INDEX occurrence_due ON occurrence(effective_due);
CREATE INDEX occurrence_status ON occurrence(status, effective_due);

-- An audit row for every change of an occurrence's status or due date.
CREATE TABLE history (
        id              INTEGER PRIMARY KEY,
        occurrence_id   INTEGER NOT NULL REFERENCES occurrence(id) ON DELETE CASCADE,
        at              TEXT NOT NULL,
        actor           TEXT NOT NULL,          -- who: "merzimctl (root)", an agency code, "import"
        action          TEXT NOT NULL,          -- created, done, reopened, waived, rescheduled, withdrawn
        old_status      TEXT,
        new_status      TEXT,
        note            TEXT
);
CREATE INDEX history_occurrence ON history(occurrence_id);
