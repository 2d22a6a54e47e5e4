/* Working out each pending occurrence's next stage ahead of time. */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "planner.h"
#include "util.h"

int planner_revision(struct store *s, const char *fingerprint, int64_t *ret) {
        int r = store_begin(s);
        if (r < 0)
                return r;
        sqlite3_stmt *st = store_stmt(s, "SELECT (SELECT value FROM daemon_state WHERE key = 'policy'), "
                                         "(SELECT value FROM daemon_state WHERE key = 'policy_rev')");
        if (!st) {
                store_rollback(s);
                return -EIO;
        }
        bool same = false;
        int64_t rev = 0;
        if (sqlite3_step(st) == SQLITE_ROW) {
                same = streq_ptr(stmt_text(st, 0), fingerprint);
                rev = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        if (same && rev > 0) {
                store_rollback(s);
                *ret = rev;
                return 0;
        }
        rev++;
        /* A new revision: every date plan is worked out again, and the fresh occurrences' dates looked at
         * again from the first (a new calendar may move them). */
        st = store_stmt(s, "INSERT OR REPLACE INTO daemon_state (key, value) VALUES ('policy', ?), ('policy_rev', ?), "
                           "('fresh_checked', 0)");
        if (!st) {
                store_rollback(s);
                return -EIO;
        }
        stmt_bind_text(st, 1, fingerprint);
        stmt_bind_int(st, 2, rev);
        if (sqlite3_step(st) != SQLITE_DONE) {
                r = store_error(s, "cannot store the policy revision");
                sqlite3_reset(st);
                store_rollback(s);
                return r;
        }
        sqlite3_reset(st);
        r = store_commit(s);
        if (r >= 0) {
                if (rev == 1)
                        log_info("first start with this database: working out when each pending deadline's "
                                 "reminders and escalations are due");
                else
                        log_info("the schedule settings, the time zone or the working-day calendar changed since "
                                 "the last start: working out again when each pending deadline's reminders and "
                                 "escalations are due");
                *ret = rev;
        }
        return r;
}

int planner_set_next(struct planner *pl, int64_t id, const struct stage *st) {
        sqlite3_stmt *q = store_stmt(pl->store, "UPDATE occurrence SET next_stage = ?, next_stage_level = ?, "
                                                "next_stage_at = ?, planned_rev = ? WHERE id = ?");
        if (!q)
                return -EIO;
        if (st) {
                stmt_bind_text(q, 1, st->name);
                stmt_bind_int(q, 2, st->level);
                stmt_bind_int(q, 3, st->at);
        }
        stmt_bind_int(q, 4, pl->rev);
        stmt_bind_int(q, 5, id);
        int rc = sqlite3_step(q);
        sqlite3_reset(q);
        return rc == SQLITE_DONE ? 0 : store_error(pl->store, "cannot plan an occurrence");
}

/* What the calendar and the policy give for the dates of one batch. Occurrences cluster on a few
 * dates (30 June, 25 December ...), so most are found here: the policy's arithmetic (working days,
 * local times) is done once per date instead of once per occurrence. Direct-mapped by day. */
#define MEMO_SLOTS 1024
struct plan_memo {
        struct {
                day_t nominal, effective;
                bool set;
        } due[MEMO_SLOTS];
        struct {
                day_t effective;
                struct stage first; /* the first stage of all */
                bool has, set;
        } first[MEMO_SLOTS];
};

static day_t memo_effective(struct planner *pl, struct plan_memo *m, day_t nominal) {
        size_t k = (size_t) nominal & (MEMO_SLOTS - 1);
        if (!m->due[k].set || m->due[k].nominal != nominal) {
                m->due[k].nominal = nominal;
                m->due[k].effective = calendar_effective_due(pl->calendar, nominal, pl->due_shift);
                m->due[k].set = true;
        }
        return m->due[k].effective;
}

/* The next stage after the instant after and level: from the memo for an occurrence that went through
 * no stage yet. */
static bool memo_next_stage(struct planner *pl, struct plan_memo *m, day_t effective, int64_t after, int level,
                            struct stage *ret) {
        if (after != INT64_MIN || level != 0)
                return policy_next_stage(pl->policy, pl->calendar, effective, after, level, ret);
        size_t k = (size_t) effective & (MEMO_SLOTS - 1);
        if (!m->first[k].set || m->first[k].effective != effective) {
                m->first[k].effective = effective;
                m->first[k].has = policy_next_stage(pl->policy, pl->calendar, effective, INT64_MIN, 0,
                                                    &m->first[k].first);
                m->first[k].set = true;
        }
        if (m->first[k].has)
                *ret = m->first[k].first;
        return m->first[k].has;
}

/* The first stage of every fresh occurrence due on effective, under the planner's revision. */
static int put_date_plan(struct planner *pl, struct plan_memo *m, day_t effective) {
        struct stage first;
        bool has = memo_next_stage(pl, m, effective, INT64_MIN, 0, &first);
        char iso[DATE_ISO_MAX];
        sqlite3_stmt *q = store_stmt(pl->store, "INSERT INTO date_plan (effective_due, rev, first_stage, first_level, "
                                                "first_at, fresh) VALUES (?, ?, ?, ?, ?, 1) "
                                                "ON CONFLICT (effective_due) DO UPDATE SET rev = excluded.rev, "
                                                "first_stage = excluded.first_stage, first_level = excluded.first_level, "
                                                "first_at = excluded.first_at, fresh = 1");
        if (!q)
                return -EIO;
        stmt_bind_text(q, 1, date_format(effective, iso));
        stmt_bind_int(q, 2, pl->rev);
        if (has) {
                stmt_bind_text(q, 3, first.name);
                stmt_bind_int(q, 4, first.level);
                stmt_bind_int(q, 5, first.at);
        }
        return store_step_done(pl->store, q, "cannot plan a due date");
}

/* Which occurrences move_effective moves: ?1-?4 bound by bind_moved. */
#define MOVED                                                                                               \
        "FROM occurrence WHERE id > ?1 AND id <= ?2 AND status = 'pending' AND nominal_due = ?3 "            \
        "AND effective_due = ?4"

static void bind_moved(sqlite3_stmt *q, int64_t from, int64_t to, const char *nominal, const char *old) {
        stmt_bind_int(q, 1, from);
        stmt_bind_int(q, 2, to);
        stmt_bind_text(q, 3, nominal);
        stmt_bind_text(q, 4, old);
}

/* Move the pending occurrences with ids in (from, to] due on nominal, effective on old, to the
 * effective date new the calendar now gives, with a history row each. */
static int move_effective(struct planner *pl, int64_t from, int64_t to, day_t nominal, day_t old, day_t new,
                          int64_t now) {
        char nominal_iso[DATE_ISO_MAX], old_iso[DATE_ISO_MAX], new_iso[DATE_ISO_MAX];
        date_format(nominal, nominal_iso);
        date_format(old, old_iso);
        date_format(new, new_iso);
        _cleanup_free_ char *note = xasprintf("effective due %s -> %s (calendar changed)", old_iso, new_iso);
        sqlite3_stmt *q = store_stmt(pl->store, "INSERT INTO history (occurrence_id, at, actor, action, old_status, "
                                                "new_status, note) SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', ?5, "
                                                "'unixepoch'), 'merzimd', 'rescheduled', 'pending', 'pending', ?6 " MOVED);
        if (q) {
                bind_moved(q, from, to, nominal_iso, old_iso);
                stmt_bind_int(q, 5, now);
                stmt_bind_text(q, 6, note);
        }
        int r = store_step_done(pl->store, q, "cannot record history");
        if (r < 0)
                return r;
        q = store_stmt(pl->store, "UPDATE occurrence SET effective_due = ?5 WHERE id IN (SELECT id " MOVED ")");
        if (q) {
                bind_moved(q, from, to, nominal_iso, old_iso);
                stmt_bind_text(q, 5, new_iso);
        }
        return store_step_done(pl->store, q, "cannot move an effective due date");
}

/* The effective due date under the current calendar; a change is recorded in the history. */
static int refresh_effective(struct planner *pl, struct plan_memo *m, int64_t id, day_t nominal, day_t *effective,
                             int64_t now) {
        day_t want = memo_effective(pl, m, nominal);
        if (want == *effective)
                return 0;
        int r = move_effective(pl, id - 1, id, nominal, *effective, want, now);
        if (r >= 0)
                *effective = want;
        return r;
}

/* Plan one occurrence on its own: its next stage is the first after the last one it went through (at,
 * level). One that went through none becomes fresh: on its date's plan. */
static int plan_one(struct planner *pl, struct plan_memo *m, int64_t id, day_t nominal, day_t effective,
                    int64_t after, int level, int64_t now) {
        int r = refresh_effective(pl, m, id, nominal, &effective, now);
        if (r < 0)
                return r;
        if (after == INT64_MIN) {
                sqlite3_stmt *q = store_stmt(pl->store, "UPDATE occurrence SET planned_rev = 0, next_stage = NULL, "
                                                        "next_stage_level = NULL, next_stage_at = NULL WHERE id = ?");
                if (q)
                        stmt_bind_int(q, 1, id);
                r = store_step_done(pl->store, q, "cannot plan an occurrence");
                return r < 0 ? r : put_date_plan(pl, m, effective);
        }
        struct stage next;
        bool has = policy_next_stage(pl->policy, pl->calendar, effective, after, level, &next);
        return planner_set_next(pl, id, has ? &next : NULL);
}

/* The occurrences to plan on their own: reopened or rescheduled (-1), or planned under an older
 * revision. INDEXED BY: without statistics SQLite prefers the status index and reads every pending
 * occurrence. */
#define OWN_PLAN(columns)                                                                                   \
        "SELECT " columns " FROM occurrence o INDEXED BY occurrence_planned "                                \
        "WHERE o.status = 'pending' AND o.planned_rev <> 0 AND o.planned_rev < 0 "                           \
        "UNION ALL SELECT " columns " FROM occurrence o INDEXED BY occurrence_planned "                      \
        "WHERE o.status = 'pending' AND o.planned_rev <> 0 AND o.planned_rev > 0 AND o.planned_rev < ?1 "

static int64_t state_int(struct store *s, const char *key) {
        sqlite3_stmt *st = store_stmt(s, "SELECT value FROM daemon_state WHERE key = ?");
        if (!st)
                return 0;
        stmt_bind_text(st, 1, key);
        int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        return v;
}

static int64_t max_occurrence_id(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "SELECT max(id) FROM occurrence");
        if (!st)
                return 0;
        int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        return v;
}

/* Whether anything needs planning: occurrences to plan on their own, or occurrences added since the
 * last look (their ids are above the mark). A look without a transaction, so that a wake-up with
 * nothing to plan (every delivery's) does not take the write lock; a change made after the look comes
 * with its own wake-up (inotify). */
static bool anything_to_plan(struct planner *pl) {
        sqlite3_stmt *st = store_stmt(pl->store, OWN_PLAN("1") "LIMIT 1");
        if (!st)
                return true; /* let planner_run report it */
        stmt_bind_int(st, 1, pl->rev);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc != SQLITE_DONE || state_int(pl->store, "fresh_checked") != max_occurrence_id(pl->store);
}

/* Plan up to limit occurrences on their own; returns how many. */
static int plan_own(struct planner *pl, struct plan_memo *memo, int64_t now, size_t limit) {
        /* The last stage each went through comes in the same statement: a statement per occurrence costs
         * more than the lookup. */
        sqlite3_stmt *st = store_stmt(pl->store, OWN_PLAN("o.id, o.nominal_due, o.effective_due, "
                                                          "(SELECT max(send_at) FROM stage WHERE occurrence_id = o.id), "
                                                          "(SELECT max(level) FROM stage WHERE occurrence_id = o.id)")
                                                 "LIMIT ?2");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, pl->rev);
        stmt_bind_int(st, 2, (int64_t) limit);
        struct todo {
                int64_t id;
                day_t nominal, effective;
                int64_t after; /* the last stage handled: INT64_MIN and level 0 if none */
                int level;
        } *todo = xcalloc(limit + 1, sizeof(*todo));
        size_t n = 0;
        int rc;
        while (n < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                todo[n].id = sqlite3_column_int64(st, 0);
                date_parse(stmt_text(st, 1), &todo[n].nominal);
                date_parse(stmt_text(st, 2), &todo[n].effective);
                todo[n].after = sqlite3_column_type(st, 3) != SQLITE_NULL ? sqlite3_column_int64(st, 3) : INT64_MIN;
                todo[n].level = sqlite3_column_int(st, 4);
                n++;
        }
        sqlite3_reset(st);
        int r = 0;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = plan_one(pl, memo, todo[i].id, todo[i].nominal, todo[i].effective, todo[i].after, todo[i].level,
                             now);
        free(todo);
        return r < 0 ? r : (int) n;
}

/* Look at the dates of the fresh occurrences with ids in (from, to]: each date gets its plan, and an
 * effective due date the calendar now puts elsewhere moves (with a history row per occurrence). */
static int plan_fresh(struct planner *pl, struct plan_memo *memo, int64_t from, int64_t to, int64_t now) {
        /* NOT INDEXED: the rows in id order, no lookup from occurrence_planned; DISTINCT keeps the few
         * pairs as they come, where GROUP BY would sort every row. */
        sqlite3_stmt *st = store_stmt(pl->store, "SELECT DISTINCT nominal_due, effective_due FROM occurrence NOT INDEXED "
                                                 "WHERE id > ? AND id <= ? AND status = 'pending' AND planned_rev = 0");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, from);
        stmt_bind_int(st, 2, to);
        struct pair {
                day_t nominal, effective;
        } *v = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                v = xreallocarray(v, n + 1, sizeof(*v));
                date_parse(stmt_text(st, 0), &v[n].nominal);
                date_parse(stmt_text(st, 1), &v[n].effective);
                n++;
        }
        sqlite3_reset(st);
        int r = rc == SQLITE_DONE ? 0 : store_error(pl->store, "cannot read occurrences");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                day_t want = memo_effective(pl, memo, v[i].nominal);
                if (want != v[i].effective)
                        r = move_effective(pl, from, to, v[i].nominal, v[i].effective, want, now);
                if (r >= 0)
                        r = put_date_plan(pl, memo, want);
        }
        free(v);
        return r;
}

int planner_run(struct planner *pl, int64_t now, size_t limit) {
        if (!anything_to_plan(pl))
                return 0;
        int r = store_begin(pl->store);
        if (r < 0)
                return r;
        struct plan_memo *memo = xcalloc(1, sizeof(*memo));
        int n = plan_own(pl, memo, now, limit);
        r = n;
        bool more = n >= 0 && (size_t) n == limit;
        /* Then the dates of the fresh occurrences added since the last look, ten times as many ids per
         * step as occurrences planned on their own: a look per date, not per occurrence. */
        if (r >= 0 && !more) {
                int64_t mark = state_int(pl->store, "fresh_checked"), last = max_occurrence_id(pl->store);
                if (mark < 0 || mark > last)
                        mark = 0; /* occurrences were deleted (by hand): look at them all again */
                int64_t to = last - mark > (int64_t) limit * 10 ? mark + (int64_t) limit * 10 : last;
                if (mark < last) {
                        r = plan_fresh(pl, memo, mark, to, now);
                        more = to < last;
                }
                if (r >= 0 && !more) {
                        /* Every date with fresh occurrences has its plan under this revision: the others
                         * go. */
                        sqlite3_stmt *q = store_stmt(pl->store, "DELETE FROM date_plan WHERE rev <> ?");
                        if (q)
                                stmt_bind_int(q, 1, pl->rev);
                        r = store_step_done(pl->store, q, "cannot drop old date plans");
                }
                if (r >= 0) {
                        sqlite3_stmt *q = store_stmt(pl->store, "INSERT OR REPLACE INTO daemon_state (key, value) "
                                                                "VALUES ('fresh_checked', ?)");
                        if (q)
                                stmt_bind_int(q, 1, to);
                        r = store_step_done(pl->store, q, "cannot record the planner's progress");
                }
        }
        free(memo);
        if (r < 0) {
                store_rollback(pl->store);
                return r;
        }
        r = store_commit(pl->store);
        if (r < 0)
                return r;
        return more ? (int) limit : n;
}

int planner_record_stage(struct planner *pl, int64_t id, const struct stage *st, const char *state,
                         int64_t notification_id, int64_t now) {
        sqlite3_stmt *q = store_stmt(pl->store, "INSERT OR IGNORE INTO stage (occurrence_id, name, level, send_at, state, "
                                                "handled_at, notification_id) VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!q)
                return -EIO;
        stmt_bind_int(q, 1, id);
        stmt_bind_text(q, 2, st->name);
        stmt_bind_int(q, 3, st->level);
        stmt_bind_int(q, 4, st->at);
        stmt_bind_text(q, 5, state);
        stmt_bind_int(q, 6, now);
        if (notification_id)
                stmt_bind_int(q, 7, notification_id);
        int rc = sqlite3_step(q);
        sqlite3_reset(q);
        return rc == SQLITE_DONE ? 0 : store_error(pl->store, "cannot record a stage");
}
