/* Dates for undated deadlines, given by hand or counted from an event. */
#include "config.h"

#include <stdarg.h>

#include <stdio.h>

#include "dating.h"
#include "ledger.h"
#include "log.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

void dating_format_rules(const struct deadline *rules, size_t n, char *buf, size_t len) {
        struct deadline_rules all = {.n = n < DEADLINE_RULES_MAX ? n : DEADLINE_RULES_MAX};
        if (all.n > 0)
                memcpy(all.rule, rules, all.n * sizeof(*rules));
        if (all.n == 0)
                snprintf(buf, len, "undated");
        else
                deadline_format_rules(&all, buf, len);
}

int dating_occurrence(const char *stage, const struct deadline *rules, size_t n_rules, const char *given,
                      const char *event, const struct calendar *cal, struct deadline_occurrence *ret) {
        day_t day;
        bool dated = false;
        if (!isempty(given) && date_parse(given, &day) >= 0)
                dated = true;
        for (size_t i = 0; !dated && !isempty(event) && i < n_rules; i++) {
                day_t e;
                if (rules[i].kind == DEADLINE_RELATIVE && date_parse(event, &e) >= 0 &&
                    deadline_relative_due(&rules[i], e, cal, &day) >= 0)
                        dated = true;
        }
        if (!dated)
                return 0;
        *ret = (struct deadline_occurrence) {.nominal = day};
        char iso[DATE_ISO_MAX];
        date_format(day, iso);
        if (stage) {
                _cleanup_free_ char *label = xasprintf("%.*s: %s", 100, stage, iso);
                snprintf(ret->period, sizeof(ret->period), "%s", label);
        } else {
                snprintf(ret->period, sizeof(ret->period), "%s", iso);
        }
        return 1;
}

/* A measure's deadline that waits for a date. */
struct waiting_due {
        int64_t measure_id, plan_id;
        int position;
        char *stage, *deadline, *rule, *waits, *given, *event;
};

static void waiting_due_free(struct waiting_due *w) {
        free(w->stage);
        free(w->deadline);
        free(w->rule);
        free(w->waits);
        free(w->given);
        free(w->event);
}

/* Find the deadline of measure d->measure that waits for a date (of the stage asked for, if any). */
/* Say why a date cannot be given, in ret->error; returns r. */
static int refuse(struct dating_result *ret, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct dating_result *ret, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ret->error, sizeof(ret->error), fmt, ap);
        va_end(ap);
        return r;
}

static int find_due(struct store *s, const struct dating *d, struct waiting_due *ret, struct dating_result *res) {
        sqlite3_stmt *st = store_stmt(s, "SELECT m.id, m.plan_id, x.position, x.stage, x.deadline, x.rule, x.waits, "
                                         "x.given_date, x.event_date FROM measure m JOIN due x ON x.measure_id = m.id "
                                         "WHERE m.number = ?1 AND NOT m.withdrawn AND (?2 = 0 OR m.plan_id = ?2) "
                                         "AND x.waits IS NOT NULL ORDER BY m.plan_id, x.position");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, d->measure);
        stmt_bind_int(st, 2, d->plan_id);
        size_t found = 0;
        int64_t plans[2] = {0, 0};
        _cleanup_free_ char *stages = NULL;
        struct buf stage_list = {0};
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *stage = stmt_text(st, 3);
                int64_t plan = sqlite3_column_int64(st, 1);
                if (plans[0] && plan != plans[0])
                        plans[1] = plan;
                if (!plans[0])
                        plans[0] = plan;
                buf_printf(&stage_list, "%s\"%s\"", stage_list.len ? ", " : "", stage ? stage : "");
                if (d->stage && !streq_ptr(stage, d->stage))
                        continue;
                if (found++ == 0)
                        *ret = (struct waiting_due) {
                                .measure_id = sqlite3_column_int64(st, 0),
                                .plan_id = plan,
                                .position = sqlite3_column_int(st, 2),
                                .stage = stage ? xstrdup(stage) : NULL,
                                .deadline = xstrdup(stmt_text(st, 4)),
                                .rule = xstrdup(stmt_text(st, 5)),
                                .waits = xstrdup(stmt_text(st, 6)),
                                .given = stmt_text(st, 7) ? xstrdup(stmt_text(st, 7)) : NULL,
                                .event = stmt_text(st, 8) ? xstrdup(stmt_text(st, 8)) : NULL,
                        };
        }
        sqlite3_reset(st);
        stages = buf_steal(&stage_list);
        if (rc != SQLITE_DONE)
                return store_error(s, "cannot read deadlines");
        if (plans[1] && !d->plan_id) {
                if (found)
                        waiting_due_free(ret);
                res->ask = "plan";
                return refuse(res, -EUCLEAN, "measure %d waits for a date in several plans: say which plan",
                              d->measure);
        }
        if (found == 0) {
                if (d->stage && !isempty(stages))
                        return refuse(res, -ENOENT,
                                      "measure %d has no undated deadline of the stage \"%s\"; its undated ones: %s",
                                      d->measure, d->stage, stages);
                return refuse(res, -ENOENT, "measure %d has no undated deadline (see merzimctl measures --undated)",
                              d->measure);
        }
        if (found > 1) {
                waiting_due_free(ret);
                res->ask = "stage";
                return refuse(res, -EUCLEAN, "measure %d has several undated deadlines (%s): say which stage",
                              d->measure, stages);
        }
        return 0;
}

/* The occurrence a date given before made, if it is still there and pending. */
static int given_occurrence(struct store *s, const struct waiting_due *w, const char *old_period, int64_t *ret) {
        *ret = 0;
        if (!old_period)
                return 0;
        sqlite3_stmt *st = store_stmt(s, "SELECT id FROM occurrence WHERE measure_id = ? AND period = ? "
                                         "AND status = 'pending'");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, w->measure_id);
        stmt_bind_text(st, 2, old_period);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_error(s, "cannot read occurrences");
}

static int history_add(struct store *s, int64_t occurrence_id, const char *at, const char *actor,
                       const char *action, const char *note) {
        return ledger_history_add(s, &(struct history_row) {.occurrence_id = occurrence_id, .at = at,
                                                            .actor = actor, .action = action, .note = note,
                                                            .old_status = "pending", .new_status = "pending"});
}

/* Write the date and its occurrence; inside a transaction. */
static int write_dating(struct store *s, const struct dating *d, const struct waiting_due *w,
                        struct dating_result *ret) {
        struct deadline_rules rules = {0};
        char err[256];
        bool relative = false;
        if (!streq(w->rule, "undated") && deadline_read(w->rule, NULL, &rules, err, sizeof(err)) >= 0)
                for (size_t i = 0; i < rules.n; i++)
                        relative = relative || rules.rule[i].kind == DEADLINE_RELATIVE;
        if (d->kind == DATING_EVENT && !relative) {
                ret->instead = "due";
                return refuse(ret, -EINVAL, "measure %d's deadline \"%s\" counts from no event: give it its date",
                              d->measure, w->deadline);
        }
        if (d->kind == DATING_GIVEN && relative) {
                ret->instead = "event";
                return refuse(ret, -EINVAL, "measure %d's deadline \"%s\" counts from an event: record the "
                              "event's date, and merzim works out the deadline", d->measure, w->deadline);
        }
        char day[DATE_ISO_MAX];
        date_format(d->day, day);
        struct deadline_occurrence old = {0}, occ;
        bool had = dating_occurrence(w->stage, rules.rule, rules.n, w->given, w->event, d->cal, &old) > 0;
        if (dating_occurrence(w->stage, rules.rule, rules.n, d->kind == DATING_GIVEN ? day : NULL,
                              d->kind == DATING_EVENT ? day : NULL, d->cal, &occ) <= 0) {
                return refuse(ret, -EINVAL, "measure %d: no date can be counted from %s", d->measure, day);
        }
        char now[TZ_ISO_MAX];
        tz_format_utc(d->now, now);
        sqlite3_stmt *st = store_stmt(s, "UPDATE due SET given_date = ?, event_date = ?, dated_by = ?, dated_at = ? "
                                         "WHERE measure_id = ? AND position = ?");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, d->kind == DATING_GIVEN ? day : NULL);
        stmt_bind_text(st, 2, d->kind == DATING_EVENT ? day : NULL);
        stmt_bind_text(st, 3, d->actor);
        stmt_bind_text(st, 4, now);
        stmt_bind_int(st, 5, w->measure_id);
        stmt_bind_int(st, 6, w->position);
        int r = store_step_done(s, st, "cannot write the date");
        if (r < 0)
                return r;

        date_format(occ.nominal, ret->nominal);
        date_format(calendar_effective_due(d->cal, occ.nominal, d->shift), ret->effective);
        snprintf(ret->period, sizeof(ret->period), "%s", occ.period);
        _cleanup_free_ char *note = d->kind == DATING_EVENT
                                            ? xasprintf("event on %s%s%s", day, d->note ? ": " : "", d->note ? d->note : "")
                                            : xasprintf("date given: %s%s%s", day, d->note ? ": " : "",
                                                        d->note ? d->note : "");
        int64_t id;
        r = given_occurrence(s, w, had ? old.period : NULL, &id);
        if (r < 0)
                return r;
        ret->moved = id != 0;
        if (id) {
                /* planned_rev -1: merzimd plans it again, on its own. */
                st = store_stmt(s, "UPDATE occurrence SET period = ?, nominal_due = ?, effective_due = ?, "
                                   "planned_rev = -1 WHERE id = ?");
                if (!st)
                        return -EIO;
                stmt_bind_text(st, 1, occ.period);
                stmt_bind_text(st, 2, ret->nominal);
                stmt_bind_text(st, 3, ret->effective);
                stmt_bind_int(st, 4, id);
                r = store_step_done(s, st, "cannot move the occurrence");
                return r < 0 ? r : history_add(s, id, now, d->actor, "rescheduled", note);
        }
        st = store_stmt(s, "INSERT INTO occurrence (measure_id, period, nominal_due, effective_due, planned_rev) "
                           "VALUES (?, ?, ?, ?, -1) ON CONFLICT (measure_id, period) DO NOTHING");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, w->measure_id);
        stmt_bind_text(st, 2, occ.period);
        stmt_bind_text(st, 3, ret->nominal);
        stmt_bind_text(st, 4, ret->effective);
        r = store_step_done(s, st, "cannot write the occurrence");
        if (r < 0)
                return r;
        if (sqlite3_changes(store_db(s)) == 0) {
                return refuse(ret, -EEXIST, "measure %d already has an occurrence for %s", d->measure, occ.period);
        }
        return history_add(s, sqlite3_last_insert_rowid(store_db(s)), now, d->actor, "created", note);
}

int dating_set(struct store *s, const struct dating *d, struct dating_result *ret) {
        struct waiting_due w;
        int r = store_begin(s);
        if (r < 0)
                return r;
        *ret->error = 0;
        ret->ask = ret->instead = NULL;
        r = find_due(s, d, &w, ret);
        if (r >= 0) {
                r = write_dating(s, d, &w, ret);
                waiting_due_free(&w);
        }
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        return store_commit(s);
}
