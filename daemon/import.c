/* Writing a parsed roadmap into the store: one transaction, idempotent, amendments applied in place. */
#include "config.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "batch.h"
#include "import-prep.h"
#include "import.h"
#include "ledger.h"
#include "log.h"
#include "tzone.h"
#include "utf8.h"

#define IMPORT_CACHE_SIZE (-64 * 1024) /* PRAGMA cache_size during an import: 64 MiB at most */
#define SORT_CACHE_SIZE (-4 * 1024)    /* and while indexes are built: see restore_indexes */
#define LARGE_IMPORT 10000             /* occurrences (about) that make an import a large one */

static const char insert_occurrence_sql[] =
        "INSERT INTO occurrence (measure_id, period, nominal_due, effective_due) VALUES (?, ?, ?, ?)";
static const char insert_occurrences_sql[] =
        "INSERT INTO occurrence (measure_id, period, nominal_due, effective_due) VALUES " BATCH_VALUES("(?, ?, ?, ?)");
static const char insert_assignment_sql[] =
        "INSERT INTO assignment (measure_id, agency_id, position, by_agreement) VALUES (?, ?, ?, ?)";
static const char insert_assignments_sql[] =
        "INSERT INTO assignment (measure_id, agency_id, position, by_agreement) VALUES " BATCH_VALUES("(?, ?, ?, ?)");
/* A deadline that was the measure's keeps the dates given to it while the cell says the same (write_dues). */
#define UPSERT_DUE_CONFLICT                                                                                    \
        " ON CONFLICT (measure_id, position) DO UPDATE SET stage = excluded.stage, deadline = excluded.deadline, " \
        "rule = excluded.rule, waits = excluded.waits, given_date = excluded.given_date, "                      \
        "event_date = excluded.event_date, "                                                                   \
        "dated_by = CASE WHEN excluded.given_date IS NULL AND excluded.event_date IS NULL THEN NULL ELSE dated_by END, " \
        "dated_at = CASE WHEN excluded.given_date IS NULL AND excluded.event_date IS NULL THEN NULL ELSE dated_at END"
static const char upsert_due_sql[] =
        "INSERT INTO due (measure_id, position, stage, deadline, rule, waits, given_date, event_date) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)" UPSERT_DUE_CONFLICT;
static const char upsert_dues_sql[] =
        "INSERT INTO due (measure_id, position, stage, deadline, rule, waits, given_date, event_date) "
        "VALUES " BATCH_VALUES("(?, ?, ?, ?, ?, ?, ?, ?)") UPSERT_DUE_CONFLICT;

/* An agency met in this import, by its key: the spellings the plan uses, its id once written. */
struct known_agency {
        char *key; /* NULL: an empty slot */
        const char *code; /* the plan's most common spelling (points into the roadmap) */
        unsigned count;   /* of that spelling */
        const char *spellings[8]; /* distinct spellings seen, with counts */
        unsigned counts[8];
        bool group;
        int64_t id; /* 0 until written */
};

struct importer {
        struct store *s;
        const struct roadmap *r;
        const struct import_options *o;
        struct import_report *rep;
        int64_t plan_id;
        int64_t *section_ids;
        char now[TZ_ISO_MAX];
        char *edition;
        int64_t occurrence_max; /* the largest occurrence id before the import: the new ones are above */
        struct known_agency *agencies; /* open addressing, n_slots a power of two */
        size_t n_slots, n_agencies;
        /* Rows written many at a time: nothing reads them before the end of the measures. */
        struct batch occurrences, assignments, dues;
        struct preparer *prep; /* of the measures' rules and dates, ahead of their writing */
};

/* Step a statement that returns no rows; returns 0 or the store's error. */
static int step_done(struct importer *im, sqlite3_stmt *st, const char *what) {
        return store_step_done(im->s, st, what);
}

/* Step a statement that returns one integer, or 0 if no row. */
static int step_id(struct importer *im, sqlite3_stmt *st, int64_t *ret, const char *what) {
        if (!st)
                return -EIO;
        int rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_error(im->s, what);
}

static int history_add(struct importer *im, int64_t occurrence_id, const char *action, const char *old_status,
                       const char *new_status, const char *note) {
        return ledger_history_add(im->s, &(struct history_row) {.occurrence_id = occurrence_id, .at = im->now,
                                                                .actor = im->o->actor, .action = action,
                                                                .note = note, .old_status = old_status,
                                                                .new_status = new_status});
}

static int upsert_plan(struct importer *im) {
        const struct roadmap *r = im->r;
        const struct import_options *o = im->o;
        _cleanup_free_ char *key = utf8_fold(r->title);

        sqlite3_stmt *st = store_stmt(im->s, "SELECT id FROM plan WHERE key = ?");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, key);
        int r0 = step_id(im, st, &im->plan_id, "cannot look up the plan");
        if (r0 < 0)
                return r0;
        im->rep->plan_created = im->plan_id == 0;

        st = store_stmt(im->s,
                        "INSERT INTO plan (key, title, doc_number, doc_date, edition, year_from, year_to, coordinator, "
                        "expected_results, source_name, source_sha256, imported_at, act_date) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                        "ON CONFLICT (key) DO UPDATE SET title = ?2, doc_number = ?3, doc_date = ?4, edition = ?5, "
                        "year_from = ?6, year_to = ?7, coordinator = coalesce(?8, coordinator), "
                        "expected_results = ?9, source_name = ?10, source_sha256 = ?11, imported_at = ?12, "
                        "act_date = ?13");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, key);
        stmt_bind_text(st, 2, r->title);
        stmt_bind_text(st, 3, r->doc_number);
        stmt_bind_text(st, 4, r->doc_date);
        stmt_bind_text(st, 5, im->edition);
        stmt_bind_int(st, 6, o->year_from ? o->year_from : r->year_from);
        stmt_bind_int(st, 7, o->year_to ? o->year_to : r->year_to);
        stmt_bind_text(st, 8, o->coordinator);
        stmt_bind_text(st, 9, r->expected_results);
        stmt_bind_text(st, 10, o->source_name);
        stmt_bind_text(st, 11, o->sha256);
        stmt_bind_text(st, 12, im->now);
        stmt_bind_text(st, 13, r->act_date);
        int rr = step_done(im, st, "cannot write the plan");
        if (rr < 0 || im->plan_id)
                return rr;
        im->plan_id = sqlite3_last_insert_rowid(store_db(im->s));
        return 0;
}

static int upsert_sections(struct importer *im) {
        const struct roadmap *r = im->r;
        im->section_ids = xcalloc(r->n_sections + 1, sizeof(int64_t));
        for (size_t i = 0; i < r->n_sections; i++) {
                sqlite3_stmt *st = store_stmt(im->s, "INSERT INTO section (plan_id, position, title) VALUES (?, ?, ?) "
                                                     "ON CONFLICT (plan_id, position) DO UPDATE SET title = excluded.title "
                                                     "WHERE title IS NOT excluded.title");
                if (!st)
                        return -EIO;
                stmt_bind_int(st, 1, im->plan_id);
                stmt_bind_int(st, 2, (int64_t) i + 1);
                stmt_bind_text(st, 3, r->sections[i].title);
                int rr = step_done(im, st, "cannot write a section");
                if (rr < 0)
                        return rr;
                st = store_stmt(im->s, "SELECT id FROM section WHERE plan_id = ? AND position = ?");
                if (!st)
                        return -EIO;
                stmt_bind_int(st, 1, im->plan_id);
                stmt_bind_int(st, 2, (int64_t) i + 1);
                rr = step_id(im, st, &im->section_ids[i], "cannot read a section");
                if (rr < 0)
                        return rr;
        }
        return 0;
}

/* Sections past the new count: detach withdrawn measures from them, then drop them. */
static int trim_sections(struct importer *im) {
        sqlite3_stmt *st = store_stmt(im->s, "UPDATE measure SET section_id = NULL WHERE section_id IN "
                                             "(SELECT id FROM section WHERE plan_id = ?1 AND position > ?2)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        stmt_bind_int(st, 2, (int64_t) im->r->n_sections);
        int rr = step_done(im, st, "cannot detach measures from sections");
        if (rr < 0)
                return rr;
        st = store_stmt(im->s, "DELETE FROM section WHERE plan_id = ? AND position > ?");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        stmt_bind_int(st, 2, (int64_t) im->r->n_sections);
        return step_done(im, st, "cannot remove sections");
}

static uint64_t hash_code(const char *s) {
        uint64_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

/* The slot of a key in the table of agencies met so far: its entry, or the empty slot for it. */
static struct known_agency *known_slot(struct importer *im, const char *key) {
        if (im->n_agencies * 2 >= im->n_slots) {
                struct known_agency *old = im->agencies;
                size_t n_old = im->n_slots;
                im->n_slots = n_old ? n_old * 2 : 256;
                im->agencies = xcalloc(im->n_slots, sizeof(*im->agencies));
                for (size_t i = 0; i < n_old; i++)
                        if (old[i].key) {
                                size_t k = hash_code(old[i].key) & (im->n_slots - 1);
                                while (im->agencies[k].key)
                                        k = (k + 1) & (im->n_slots - 1);
                                im->agencies[k] = old[i];
                        }
                free(old);
        }
        size_t k = hash_code(key) & (im->n_slots - 1);
        while (im->agencies[k].key && !streq(im->agencies[k].key, key))
                k = (k + 1) & (im->n_slots - 1);
        return &im->agencies[k];
}

/* Note a spelling of an agency; the most common spelling in the plan becomes the code of a new one. */
static void count_spelling(struct importer *im, const struct roadmap_executor *e) {
        struct known_agency *a = known_slot(im, e->key);
        if (!a->key) {
                *a = (struct known_agency) {.key = xstrdup(e->key), .group = e->group};
                im->n_agencies++;
        }
        size_t i = 0;
        while (i < ELEMENTSOF(a->spellings) && a->spellings[i] && !streq(a->spellings[i], e->code))
                i++;
        if (i == ELEMENTSOF(a->spellings))
                return;
        a->spellings[i] = e->code;
        a->counts[i]++;
        if (a->counts[i] > a->count)
                a->code = e->code, a->count = a->counts[i];
}

/* Agencies written before keys existed get theirs. */
static int fill_agency_keys(struct importer *im) {
        sqlite3_stmt *st = store_stmt(im->s, "SELECT id, code FROM agency WHERE key IS NULL");
        if (!st)
                return -EIO;
        int64_t *ids = NULL;
        char **codes = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                ids = xreallocarray(ids, n + 1, sizeof(*ids));
                codes = xreallocarray(codes, n + 1, sizeof(*codes));
                ids[n] = sqlite3_column_int64(st, 0);
                codes[n++] = xstrdup(stmt_text(st, 1));
        }
        sqlite3_reset(st);
        int rr = rc == SQLITE_DONE ? 0 : store_error(im->s, "cannot read agencies");
        for (size_t i = 0; i < n; i++) {
                if (rr >= 0) {
                        _cleanup_free_ char *key = agency_key(codes[i]);
                        st = store_stmt(im->s, "UPDATE agency SET key = ?, kind = ? WHERE id = ?");
                        if (!st)
                                rr = -EIO;
                        else {
                                stmt_bind_text(st, 1, key);
                                stmt_bind_text(st, 2, executor_is_group(codes[i]) ? "group" : "agency");
                                stmt_bind_int(st, 3, ids[i]);
                                rr = step_done(im, st, "cannot write an agency's key");
                        }
                }
                free(codes[i]);
        }
        free(ids);
        free(codes);
        return rr;
}

/* The id of an agency, by its key: the one already known under any spelling, or a new one under the
 * plan's most common spelling. The plan's list of agencies gets it once. */
static int agency_id(struct importer *im, const struct roadmap_executor *e, int64_t *ret) {
        const char *key = e->key;
        struct known_agency *known = known_slot(im, key);
        if (known->key && known->id) {
                *ret = known->id;
                return 0;
        }
        if (!known->key) { /* not counted: cannot happen, but be safe */
                *known = (struct known_agency) {.key = xstrdup(key), .code = e->code};
                im->n_agencies++;
        }
        sqlite3_stmt *st = store_stmt(im->s, "SELECT id FROM agency WHERE key = ? ORDER BY id LIMIT 1");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, key);
        int rr = step_id(im, st, ret, "cannot read an agency");
        if (rr < 0)
                return rr;
        const char *name = roadmap_agency_name(im->r, known->code);
        if (!*ret) {
                st = store_stmt(im->s, "INSERT INTO agency (code, key, kind, name) VALUES (?, ?, ?, ?) "
                                       "ON CONFLICT (code) DO UPDATE SET key = excluded.key");
                if (!st)
                        return -EIO;
                stmt_bind_text(st, 1, known->code);
                stmt_bind_text(st, 2, key);
                stmt_bind_text(st, 3, known->group ? "group" : "agency");
                stmt_bind_text(st, 4, name);
                rr = step_done(im, st, "cannot write an agency");
                if (rr < 0)
                        return rr;
                im->rep->agencies_added += sqlite3_changes(store_db(im->s));
                st = store_stmt(im->s, "SELECT id FROM agency WHERE code = ?");
                if (!st)
                        return -EIO;
                stmt_bind_text(st, 1, known->code);
                rr = step_id(im, st, ret, "cannot read an agency");
                if (rr < 0)
                        return rr;
        } else if (name) {
                /* The plan's abbreviation key names it: keep the name once known. */
                st = store_stmt(im->s, "UPDATE agency SET name = ? WHERE id = ? AND name IS NULL");
                if (!st)
                        return -EIO;
                stmt_bind_text(st, 1, name);
                stmt_bind_int(st, 2, *ret);
                rr = step_done(im, st, "cannot name an agency");
                if (rr < 0)
                        return rr;
        }
        st = store_stmt(im->s, "INSERT OR IGNORE INTO plan_agency (plan_id, agency_id) VALUES (?, ?)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        stmt_bind_int(st, 2, *ret);
        rr = step_done(im, st, "cannot list an agency in the plan");
        if (rr < 0)
                return rr;
        known->id = *ret;
        return 0;
}

/* The measure's executors, in order; a new measure has none to clear. */
static int write_assignments(struct importer *im, int64_t measure_id, bool new_measure,
                             const struct roadmap_measure *m) {
        sqlite3_stmt *st;
        int rr = 0;
        if (!new_measure) {
                st = store_stmt(im->s, "DELETE FROM assignment WHERE measure_id = ?");
                if (!st)
                        return -EIO;
                stmt_bind_int(st, 1, measure_id);
                rr = step_done(im, st, "cannot clear assignments");
        }
        for (size_t i = 0; rr >= 0 && i < m->n_executors; i++) {
                int64_t aid;
                rr = agency_id(im, &m->executors[i], &aid);
                if (rr < 0)
                        break;
                batch_number(&im->assignments, measure_id);
                batch_number(&im->assignments, aid);
                batch_number(&im->assignments, (int64_t) i + 1);
                batch_number(&im->assignments, m->executors[i].by_agreement);
                rr = batch_row_done(&im->assignments);
        }
        return rr;
}

/* Insert or update a measure; *ret gets its id, *created whether it is new. A plan created by this
 * import has no measures to look up. */
static int upsert_measure(struct importer *im, const struct roadmap_measure *m, const char *rule, int64_t *ret,
                          bool *created) {
        sqlite3_stmt *st;
        int64_t existing = 0;
        int rr;
        if (!im->rep->plan_created) {
                st = store_stmt(im->s, "SELECT id FROM measure WHERE plan_id = ? AND number = ?");
                if (!st)
                        return -EIO;
                stmt_bind_int(st, 1, im->plan_id);
                stmt_bind_int(st, 2, m->number);
                rr = step_id(im, st, &existing, "cannot look up a measure");
                if (rr < 0)
                        return rr;
        }

        const char *undated = NULL;
        for (size_t k = 0; k < m->n_dues && !undated; k++)
                if (m->dues[k].undated)
                        undated = m->dues[k].why;
        st = store_stmt(im->s,
                        "INSERT INTO measure (plan_id, section_id, number, name, form, deadline, rule, report_to, "
                        "source_line, withdrawn, label, undated) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10, ?11) "
                        "ON CONFLICT (plan_id, number) DO UPDATE SET section_id = ?2, name = ?4, form = ?5, "
                        "deadline = ?6, rule = ?7, report_to = ?8, source_line = ?9, withdrawn = 0, label = ?10, "
                        "undated = ?11 "
                        "WHERE section_id IS NOT ?2 OR name IS NOT ?4 OR form IS NOT ?5 OR deadline IS NOT ?6 "
                        "OR rule IS NOT ?7 OR report_to IS NOT ?8 OR source_line IS NOT ?9 OR withdrawn "
                        "OR label IS NOT ?10 OR undated IS NOT ?11");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        if (m->section == SIZE_MAX)
                sqlite3_bind_null(st, 2);
        else
                stmt_bind_int(st, 2, im->section_ids[m->section]);
        stmt_bind_int(st, 3, m->number);
        stmt_bind_text(st, 4, m->name);
        stmt_bind_text(st, 5, m->form);
        stmt_bind_text(st, 6, m->deadline_text);
        stmt_bind_text(st, 7, rule);
        stmt_bind_text(st, 8, m->report_to);
        stmt_bind_int(st, 9, m->line);
        stmt_bind_text(st, 10, m->label);
        stmt_bind_text(st, 11, undated);
        rr = step_done(im, st, "cannot write a measure");
        if (rr < 0)
                return rr;
        *created = !existing;
        if (!existing) {
                im->rep->measures_added++;
                *ret = sqlite3_last_insert_rowid(store_db(im->s));
        } else {
                im->rep->measures_updated += sqlite3_changes(store_db(im->s)) > 0;
                *ret = existing;
        }
        return 0;
}

struct existing_occurrence {
        int64_t id;
        char *period, *nominal, *effective, *status;
        bool matched;
};

static void existing_free(struct existing_occurrence *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].period);
                free(v[i].nominal);
                free(v[i].effective);
                free(v[i].status);
        }
        free(v);
}

static int load_existing(struct importer *im, int64_t measure_id, struct existing_occurrence **ret, size_t *n) {
        sqlite3_stmt *st = store_stmt(im->s, "SELECT id, period, nominal_due, effective_due, status FROM occurrence "
                                             "WHERE measure_id = ? ORDER BY nominal_due");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, measure_id);
        struct existing_occurrence *v = NULL;
        size_t k = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                v = xreallocarray(v, k + 1, sizeof(*v));
                v[k++] = (struct existing_occurrence) {
                        .id = sqlite3_column_int64(st, 0),
                        .period = xstrdup(stmt_text(st, 1)),
                        .nominal = xstrdup(stmt_text(st, 2)),
                        .effective = xstrdup(stmt_text(st, 3)),
                        .status = xstrdup(stmt_text(st, 4)),
                };
        }
        sqlite3_reset(st);
        *ret = v;
        *n = k;
        return rc == SQLITE_DONE ? 0 : store_error(im->s, "cannot read occurrences");
}

/* Write a measure's deadlines: a cell that says what it said keeps the dates given to it. */
static int write_dues(struct importer *im, int64_t measure_id, bool new_measure, const struct roadmap_measure *m,
                      char *const *rules, struct kept_dates *kept) {
        int rr = 0;
        for (size_t k = 0; rr >= 0 && k < m->n_dues; k++) {
                const struct roadmap_due *due = &m->dues[k];
                memset(&kept[k], 0, sizeof(kept[k]));
                sqlite3_stmt *st;
                if (!new_measure) {
                        st = store_stmt(im->s, "SELECT given_date, event_date FROM due WHERE measure_id = ? AND "
                                               "position = ? AND stage IS ? AND deadline = ?");
                        if (!st)
                                return -EIO;
                        stmt_bind_int(st, 1, measure_id);
                        stmt_bind_int(st, 2, (int64_t) k + 1);
                        stmt_bind_text(st, 3, due->stage);
                        stmt_bind_text(st, 4, due->text);
                        int rc = sqlite3_step(st);
                        if (rc == SQLITE_ROW) {
                                snprintf(kept[k].given, sizeof(kept[k].given), "%s", stmt_text(st, 0) ? stmt_text(st, 0) : "");
                                snprintf(kept[k].event, sizeof(kept[k].event), "%s", stmt_text(st, 1) ? stmt_text(st, 1) : "");
                        }
                        sqlite3_reset(st);
                        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                                return store_error(im->s, "cannot read a deadline");
                }
                batch_number(&im->dues, measure_id);
                batch_number(&im->dues, (int64_t) k + 1);
                batch_text(&im->dues, due->stage);
                batch_text(&im->dues, due->text);
                batch_text(&im->dues, rules[k]);
                batch_text(&im->dues, due->why);
                batch_text(&im->dues, kept[k].given[0] ? kept[k].given : NULL);
                batch_text(&im->dues, kept[k].event[0] ? kept[k].event : NULL);
                rr = batch_row_done(&im->dues);
        }
        if (rr >= 0 && !new_measure) {
                sqlite3_stmt *st = store_stmt(im->s, "DELETE FROM due WHERE measure_id = ? AND position > ?");
                if (!st)
                        return -EIO;
                stmt_bind_int(st, 1, measure_id);
                stmt_bind_int(st, 2, (int64_t) m->n_dues);
                rr = step_done(im, st, "cannot remove a deadline");
        }
        return rr;
}

/* Withdraw a pending occurrence that the new edition no longer has: it is waived, with the reason. */
static int withdraw_occurrence(struct importer *im, int64_t id, const char *status) {
        if (!streq(status, "pending"))
                return 0;
        _cleanup_free_ char *note = xasprintf("not in the edition %s", im->edition);
        sqlite3_stmt *st = store_stmt(im->s, "UPDATE occurrence SET status = 'waived', note = ? WHERE id = ?");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, note);
        stmt_bind_int(st, 2, id);
        int rr = step_done(im, st, "cannot withdraw an occurrence");
        if (rr >= 0)
                rr = history_add(im, id, "withdrawn", "pending", "waived", note);
        im->rep->occurrences_withdrawn++;
        return rr;
}

static int reschedule(struct importer *im, struct existing_occurrence *e, const struct deadline_occurrence *d,
                      const char *nominal, const char *effective) {
        if (streq(e->period, d->period) && streq(e->nominal, nominal) && streq(e->effective, effective))
                return 0;
        /* planned_rev -1: merzimd plans it again, on its own. */
        sqlite3_stmt *st = store_stmt(im->s, "UPDATE occurrence SET period = ?, nominal_due = ?, effective_due = ?, "
                                             "planned_rev = -1 WHERE id = ?");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, d->period);
        stmt_bind_text(st, 2, nominal);
        stmt_bind_text(st, 3, effective);
        stmt_bind_int(st, 4, e->id);
        int rr = step_done(im, st, "cannot reschedule an occurrence");
        if (rr < 0)
                return rr;
        im->rep->occurrences_rescheduled++;
        _cleanup_free_ char *note = xasprintf("%s %s (effective %s) -> %s %s (effective %s)", e->period, e->nominal,
                                              e->effective, d->period, nominal, effective);
        return history_add(im, e->id, "rescheduled", e->status, e->status, note);
}

static int insert_occurrence(struct importer *im, int64_t measure_id, const struct deadline_occurrence *d,
                             const char *nominal, const char *effective) {
        batch_number(&im->occurrences, measure_id);
        batch_text(&im->occurrences, d->period);
        batch_text(&im->occurrences, nominal);
        batch_text(&im->occurrences, effective);
        int rr = batch_row_done(&im->occurrences);
        if (rr < 0)
                return rr;
        im->rep->occurrences_added++;
        /* The history of new occurrences is written in one statement at the end (history_created), for
         * every id above occurrence_max: SQLite gives a new row the largest id plus one while that is
         * below the largest possible id. Near it, each row is written at once and its id checked. */
        if (!im->occurrences.one_by_one)
                return 0;
        int64_t id = sqlite3_last_insert_rowid(store_db(im->s));
        return id > im->occurrence_max ? 0 : history_add(im, id, "created", NULL, "pending", im->edition);
}

/* The largest occurrence id before anything is written. */
static int occurrence_max(struct importer *im) {
        sqlite3_stmt *st = store_stmt(im->s, "SELECT max(id) FROM occurrence");
        int rr = step_id(im, st, &im->occurrence_max, "cannot read occurrences");
        im->occurrences.one_by_one = im->occurrence_max > INT64_MAX / 2;
        return rr;
}

/* A "created" history row for every occurrence this import added. */
static int history_created(struct importer *im) {
        sqlite3_stmt *st = store_stmt(im->s, "INSERT INTO history (occurrence_id, at, actor, action, old_status, "
                                             "new_status, note) SELECT id, ?, ?, 'created', NULL, 'pending', ? "
                                             "FROM occurrence WHERE id > ? ORDER BY id");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, im->now);
        stmt_bind_text(st, 2, im->o->actor);
        stmt_bind_text(st, 3, im->edition);
        stmt_bind_int(st, 4, im->occurrence_max);
        return step_done(im, st, "cannot record history");
}

/* The new occurrences have ids above occurrence_max: merzimd looks at the dates of those above the mark
 * it keeps (they are "fresh", on their date's plan), so the mark must not be above them. */
static int mark_fresh(struct importer *im) {
        if (im->rep->occurrences_added == 0)
                return 0;
        sqlite3_stmt *st = store_stmt(im->s, "UPDATE daemon_state SET value = min(CAST(value AS INTEGER), ?) "
                                             "WHERE key = 'fresh_checked'");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->occurrence_max);
        return step_done(im, st, "cannot record new occurrences");
}

/* Bring a measure's occurrences in line with its deadlines; matched by period, and a lone one-off
 * occurrence follows its measure to a new date, keeping its status and history. */
static int sync_occurrences(struct importer *im, int64_t measure_id, bool new_measure,
                            const struct roadmap_measure *m, const struct measure_prep *mp,
                            const struct kept_dates *kept) {
        /* The dates prepared, unless a deadline waits for a date given to it. */
        _cleanup_free_ struct wanted *own = NULL;
        size_t bad_due = mp->bad_due;
        int n_want = mp->dated ? mp->n_want : prep_wanted(im->prep, m, kept, &own, &bad_due);
        const struct wanted *want = mp->dated ? mp->want : own;
        if (n_want < 0)
                return log_error_errno(n_want, "%s: measure %s: the deadline \"%s\" gives no dates: %s", m->where,
                                       m->label, m->dues[bad_due].text,
                                       n_want == -EDOM ? "it names no years and the plan has no period; "
                                                         "give --years FIRST-LAST"
                                                       : strerror(-n_want));

        struct existing_occurrence *have = NULL;
        size_t n_have = 0;
        int rr = new_measure ? 0 : load_existing(im, measure_id, &have, &n_have);
        int *match = xcalloc((size_t) n_want + 1, sizeof(int));
        for (int i = 0; rr >= 0 && i < n_want; i++) {
                match[i] = -1;
                for (size_t j = 0; j < n_have; j++)
                        if (!have[j].matched && streq(have[j].period, want[i].d.period)) {
                                have[j].matched = true;
                                match[i] = (int) j;
                                break;
                        }
        }
        if (rr >= 0 && n_want == 1 && n_have == 1 && match[0] < 0 && !have[0].matched) {
                have[0].matched = true;
                match[0] = 0;
        }
        for (int i = 0; rr >= 0 && i < n_want; i++)
                if (match[i] >= 0)
                        rr = reschedule(im, &have[match[i]], &want[i].d, want[i].nominal, want[i].effective);
                else
                        rr = insert_occurrence(im, measure_id, &want[i].d, want[i].nominal, want[i].effective);
        for (size_t j = 0; rr >= 0 && j < n_have; j++)
                if (!have[j].matched)
                        rr = withdraw_occurrence(im, have[j].id, have[j].status);
        free(match);
        existing_free(have, n_have);
        return rr;
}

/* Measures of the plan that the new edition does not list: withdrawn, their pending occurrences waived. */
static int withdraw_measures(struct importer *im) {
        json_t *numbers = json_array();
        for (size_t i = 0; i < im->r->n_measures; i++)
                json_array_append_new(numbers, json_integer(im->r->measures[i].number));
        _cleanup_free_ char *list = json_dumps(numbers, JSON_COMPACT);
        json_decref(numbers);

        /* CROSS JOIN: the plan's measures first; through the status index SQLite would read every
         * pending occurrence of every plan. */
        sqlite3_stmt *st = store_stmt(im->s, "SELECT o.id, o.status FROM measure m CROSS JOIN occurrence o "
                                             "ON o.measure_id = m.id "
                                             "WHERE m.plan_id = ? AND m.withdrawn = 0 AND o.status = 'pending' "
                                             "AND m.number NOT IN (SELECT value FROM json_each(?))");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        stmt_bind_text(st, 2, list);
        int64_t *ids = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                ids = xreallocarray(ids, n + 1, sizeof(int64_t));
                ids[n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
        int rr = rc == SQLITE_DONE ? 0 : store_error(im->s, "cannot read withdrawn measures");
        for (size_t i = 0; rr >= 0 && i < n; i++)
                rr = withdraw_occurrence(im, ids[i], "pending");
        free(ids);
        if (rr < 0)
                return rr;

        st = store_stmt(im->s, "UPDATE measure SET withdrawn = 1 WHERE plan_id = ? AND withdrawn = 0 "
                               "AND number NOT IN (SELECT value FROM json_each(?))");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        stmt_bind_text(st, 2, list);
        rr = step_done(im, st, "cannot withdraw measures");
        im->rep->measures_withdrawn = sqlite3_changes(store_db(im->s));
        return rr;
}

/* The plan's listed agencies are exactly those of its current measures. */
static int sync_plan_agencies(struct importer *im) {
        sqlite3_stmt *st = store_stmt(im->s, "DELETE FROM plan_agency WHERE plan_id = ?1 AND agency_id NOT IN "
                                             "(SELECT a.agency_id FROM assignment a JOIN measure m ON m.id = a.measure_id "
                                             "WHERE m.plan_id = ?1 AND m.withdrawn = 0)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        return step_done(im, st, "cannot update the plan's agencies");
}

static int count(struct importer *im, const char *sql, int *ret) {
        sqlite3_stmt *st = store_stmt(im->s, sql);
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, im->plan_id);
        int64_t v;
        int rr = step_id(im, st, &v, "cannot count");
        *ret = (int) v;
        return rr;
}

static int count_plan(struct importer *im) {
        int rr = count(im, "SELECT count(*) FROM section WHERE plan_id = ?", &im->rep->n_sections);
        if (rr >= 0 && im->rep->plan_created) {
                /* A plan new to the database has what this import wrote. */
                im->rep->n_measures = im->rep->measures_added;
                im->rep->n_occurrences = im->rep->occurrences_added;
        } else if (rr >= 0) {
                rr = count(im, "SELECT count(*) FROM measure WHERE plan_id = ? AND withdrawn = 0", &im->rep->n_measures);
                if (rr >= 0)
                        rr = count(im, "SELECT count(*) FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                                       "WHERE m.plan_id = ? AND m.withdrawn = 0", &im->rep->n_occurrences);
        }
        if (rr >= 0)
                rr = count(im, "SELECT count(*) FROM plan_agency WHERE plan_id = ?", &im->rep->n_agencies);
        if (rr >= 0)
                rr = count(im, "SELECT count(*) FROM measure m WHERE m.plan_id = ? AND NOT m.withdrawn AND EXISTS "
                               "(SELECT 1 FROM due x WHERE x.measure_id = m.id AND x.waits IS NOT NULL "
                               "AND x.given_date IS NULL AND x.event_date IS NULL)", &im->rep->n_waiting);
        return rr;
}

/* Whether this exact document was the last one imported for its plan. */
static int already_imported(struct importer *im, bool *ret) {
        _cleanup_free_ char *key = utf8_fold(im->r->title);
        sqlite3_stmt *st = store_stmt(im->s, "SELECT id FROM plan WHERE key = ? AND source_sha256 = ?");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, key);
        stmt_bind_text(st, 2, im->o->sha256);
        int rr = step_id(im, st, &im->plan_id, "cannot look up the plan");
        *ret = im->plan_id != 0;
        return rr;
}

/* About how many occurrences a plan brings (a rule gives a few), to tell a large import. */
static size_t expected_occurrences(const struct roadmap *r) {
        size_t expected = 0;
        for (size_t i = 0; i < r->n_measures; i++)
                for (size_t k = 0; k < r->measures[i].n_dues; k++)
                        expected += r->measures[i].dues[k].n_rules * 2;
        return expected;
}

/* The secondary indexes of the tables a large import fills, as the schema defines them. */
struct deferred_indexes {
        char **names, **sql;
        size_t n;
};

static void deferred_free(struct deferred_indexes *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->names[i]);
                free(d->sql[i]);
        }
        free(d->names);
        free(d->sql);
        *d = (struct deferred_indexes) {0};
}

/* A plan that brings more occurrences than the database holds is written faster without the indexes of
 * occurrence and history, which are then built once, sorted, from their definitions in the schema (all
 * inside the import's transaction), before the history of the new occurrences, which comes in the order
 * of its index. Partial indexes stay: those of occurrence leave out a new occurrence (it has no stage
 * yet), so keeping them costs the inserts nothing, and building them again would read every
 * occurrence (30 ms each for half a million). */
static int defer_indexes(struct importer *im, struct deferred_indexes *d) {
        size_t expected = expected_occurrences(im->r);
        int64_t have = 0;
        sqlite3_stmt *st = store_stmt(im->s, "SELECT count(*) FROM occurrence");
        int rr = step_id(im, st, &have, "cannot count occurrences");
        if (rr < 0 || expected < LARGE_IMPORT || (int64_t) expected < have)
                return rr;
        st = store_stmt(im->s, "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                               "AND tbl_name IN ('occurrence', 'history', 'assignment', 'measure') "
                               "AND name NOT IN (SELECT p.name FROM pragma_index_list(tbl_name) p WHERE p.partial) "
                               "ORDER BY name");
        if (!st)
                return -EIO;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                d->names = xreallocarray(d->names, d->n + 1, sizeof(char *));
                d->sql = xreallocarray(d->sql, d->n + 1, sizeof(char *));
                d->names[d->n] = xstrdup(stmt_text(st, 0));
                d->sql[d->n++] = xstrdup(stmt_text(st, 1));
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return store_error(im->s, "cannot read the schema");
        for (size_t i = 0; rr >= 0 && i < d->n; i++) {
                /* Names come from the schema itself; quoted as identifiers. */
                char *drop = sqlite3_mprintf("DROP INDEX \"%w\"", d->names[i]);
                rr = drop ? store_exec(im->s, drop) : -ENOMEM;
                sqlite3_free(drop);
        }
        return rr;
}

/* Build the deferred indexes. SQLite sorts the entries of a new index in memory up to the page cache's
 * size, then in sorted runs merged from temporary files: runs of a few MiB, each sorted in the
 * processor's own cache, make the sort of half a million entries about twice as fast as one sort of them
 * all. The dirty pages stay in the cache meanwhile. */
static int restore_indexes(struct importer *im, struct deferred_indexes *d) {
        int rr = 0;
        if (d->n == 0)
                return 0;
        store_set_cache_size(im->s, SORT_CACHE_SIZE);
        for (size_t i = 0; rr >= 0 && i < d->n; i++)
                rr = store_exec(im->s, d->sql[i]);
        store_set_cache_size(im->s, IMPORT_CACHE_SIZE);
        return rr;
}

static int import_body(struct importer *im) {
        for (size_t i = 0; i < im->r->n_measures; i++)
                for (size_t k = 0; k < im->r->measures[i].n_executors; k++)
                        count_spelling(im, &im->r->measures[i].executors[k]);
        struct deferred_indexes deferred = {0};
        int rr = occurrence_max(im);
        if (rr >= 0)
                rr = defer_indexes(im, &deferred);
        if (rr >= 0)
                rr = fill_agency_keys(im);
        if (rr >= 0)
                rr = upsert_plan(im);
        if (rr >= 0)
                rr = upsert_sections(im);
        /* The measures' rows break no CHECK of the schema: the only one they meet is occurrence.status,
         * and they write it only as 'pending' or 'waived'. SQLite 3.40 checks a list of values with a
         * table built for every row: not checking saves a quarter of the time the measures take. */
        if (rr >= 0)
                rr = store_exec(im->s, "PRAGMA ignore_check_constraints = ON");
        im->prep = preparer_start(im->r, im->o);
        for (size_t i = 0; rr >= 0 && i < im->r->n_measures; i++) {
                const struct roadmap_measure *m = &im->r->measures[i];
                const struct measure_prep *mp = preparer_get(im->prep, i);
                int64_t id = 0;
                bool created = false;
                struct kept_dates *kept = xcalloc(m->n_dues + 1, sizeof(*kept));
                rr = upsert_measure(im, m, mp->rule, &id, &created);
                if (rr >= 0)
                        rr = write_assignments(im, id, created, m);
                if (rr >= 0)
                        rr = write_dues(im, id, created, m, mp->due_rules, kept);
                if (rr >= 0)
                        rr = sync_occurrences(im, id, created, m, mp, kept);
                free(kept);
                preparer_done(im->prep, i);
        }
        preparer_stop(TAKE_PTR(im->prep));
        if (rr >= 0)
                rr = batch_flush(&im->occurrences);
        if (rr >= 0)
                rr = batch_flush(&im->assignments);
        if (rr >= 0)
                rr = batch_flush(&im->dues);
        if (rr >= 0)
                rr = store_exec(im->s, "PRAGMA ignore_check_constraints = OFF");
        if (rr >= 0)
                rr = restore_indexes(im, &deferred);
        if (rr >= 0)
                rr = history_created(im);
        deferred_free(&deferred);
        if (rr >= 0)
                rr = mark_fresh(im);
        /* A plan new to the database has no measures, sections or agencies of an earlier edition. */
        if (rr >= 0 && !im->rep->plan_created)
                rr = withdraw_measures(im);
        if (rr >= 0 && !im->rep->plan_created)
                rr = trim_sections(im);
        if (rr >= 0 && !im->rep->plan_created)
                rr = sync_plan_agencies(im);
        if (rr >= 0)
                rr = count_plan(im);
        return rr;
}

void import_digest(const char *text, size_t len, char out[65]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_Digest(text, len, md, &n, EVP_sha256(), NULL);
        for (unsigned i = 0; i < n && i < 32; i++)
                sprintf(out + 2 * i, "%02x", md[i]);
        out[64] = 0;
}

int import_roadmap(struct store *s, const struct roadmap *r, const struct import_options *o,
                   struct import_report *rep) {
        struct importer im = {.s = s, .r = r, .o = o, .rep = rep};
        batch_init(&im.occurrences, s, insert_occurrence_sql, insert_occurrences_sql, 4, "cannot write an occurrence");
        batch_init(&im.assignments, s, insert_assignment_sql, insert_assignments_sql, 4, "cannot write an assignment");
        batch_init(&im.dues, s, upsert_due_sql, upsert_dues_sql, 8, "cannot write a deadline");
        *rep = (struct import_report) {0};
        tz_format_utc(o->now, im.now);
        im.edition = r->doc_date || r->doc_number
                             ? xasprintf("%s%s%s", r->doc_date ? r->doc_date : "",
                                         r->doc_date && r->doc_number ? " № " : (r->doc_number ? "№ " : ""),
                                         r->doc_number ? r->doc_number : "")
                             : xstrdup(o->source_name);

        /* A large import into a database no other process has open writes its new pages once, without
         * the WAL (store_leave_wal says why that is as safe). */
        bool left_wal = expected_occurrences(r) >= LARGE_IMPORT && store_leave_wal(s);
        /* A plan of many thousand measures inserts into every index of occurrence and history at
         * random places: with SQLite's default 2 MiB page cache most of the import would be spent
         * reading and spilling pages. The cache grows only as far as the import needs. */
        int64_t cache_size = store_cache_size(s);
        store_set_cache_size(s, IMPORT_CACHE_SIZE);
        /* Every row the import writes refers to rows it wrote or read in the same transaction, and it
         * deletes no row others refer to (a section's measures are detached from it first): checking
         * each reference again would cost a tenth of the import. SQLite turns the checks off and on only
         * outside a transaction. */
        store_exec(s, "PRAGMA foreign_keys = OFF");
        int rr = store_begin(s);
        if (rr < 0)
                goto out;
        bool same;
        rr = already_imported(&im, &same);
        if (rr >= 0 && same) {
                rep->unchanged = true;
                rr = count_plan(&im);
        } else if (rr >= 0) {
                rr = import_body(&im);
        }
        rep->plan_id = im.plan_id;
        if (rr < 0 || o->dry_run || same)
                store_rollback(s);
        else
                rr = store_commit(s);
out:
        store_exec(s, "PRAGMA ignore_check_constraints = OFF");
        store_exec(s, "PRAGMA foreign_keys = ON");
        store_set_cache_size(s, cache_size);
        if (left_wal)
                store_return_to_wal(s);
        batch_free(&im.occurrences);
        batch_free(&im.assignments);
        batch_free(&im.dues);
        free(im.section_ids);
        free(im.edition);
        for (size_t i = 0; i < im.n_slots; i++)
                free(im.agencies[i].key);
        free(im.agencies);
        return rr;
}
