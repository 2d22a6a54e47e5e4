/* The record of what was done: marking occurrences done, reopened or waived, with an audit row each. */
#include "config.h"

#include <stdio.h>

#include "ledger.h"
#include "log.h"
#include "outbox.h"
#include "tzone.h"
#include "util.h"

int ledger_find(struct store *s, int64_t plan_id, int measure, const char *period, int64_t *ret) {
        sqlite3_stmt *st = store_stmt(s, "SELECT o.id, o.period, o.status, m.plan_id FROM occurrence o "
                                         "JOIN measure m ON m.id = o.measure_id "
                                         "WHERE m.number = ?1 AND (?2 = 0 OR m.plan_id = ?2) "
                                         "AND (?3 IS NULL OR o.period = ?3) ORDER BY m.plan_id, o.nominal_due");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, measure);
        stmt_bind_int(st, 2, plan_id);
        stmt_bind_text(st, 3, period);

        struct buf periods = {0};
        int64_t only = 0, only_pending = 0, first_plan = 0;
        int n = 0, n_pending = 0, rc;
        bool several_plans = false;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t plan = sqlite3_column_int64(st, 3);
                if (n == 0)
                        first_plan = plan;
                several_plans = several_plans || plan != first_plan;
                only = sqlite3_column_int64(st, 0);
                if (streq(stmt_text(st, 2), "pending"))
                        only_pending = only, n_pending++;
                buf_printf(&periods, "%s%s (%s)", n ? ", " : "", stmt_text(st, 1), stmt_text(st, 2));
                n++;
        }
        sqlite3_reset(st);
        _cleanup_free_ char *list = buf_steal(&periods);
        if (rc != SQLITE_DONE)
                return store_error(s, "cannot look up occurrences");

        if (n == 0) {
                if (period)
                        log_error("measure %d has no occurrence for period %s", measure, period);
                else
                        log_error("no measure %d with a deadline%s", measure, plan_id ? " in this plan" : "");
                return -ENOENT;
        }
        if (several_plans) {
                log_error("measure %d exists in several plans; choose one with --plan", measure);
                return -EUCLEAN;
        }
        if (n == 1) {
                *ret = only;
                return 0;
        }
        if (n_pending == 1 && !period) {
                *ret = only_pending;
                return 0;
        }
        log_error("measure %d has %d occurrences: %s; choose one with --period", measure, n, list);
        return -EUCLEAN;
}

int ledger_history_add(struct store *s, const struct history_row *h) {
        sqlite3_stmt *st = store_stmt(s, "INSERT INTO history (occurrence_id, at, actor, action, old_status, "
                                         "new_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, h->occurrence_id);
        stmt_bind_text(st, 2, h->at);
        stmt_bind_text(st, 3, h->actor);
        stmt_bind_text(st, 4, h->action);
        stmt_bind_text(st, 5, h->old_status);
        stmt_bind_text(st, 6, h->new_status);
        stmt_bind_text(st, 7, h->note);
        return store_step_done(s, st, "cannot record the history");
}

int ledger_set_status(struct store *s, int64_t occurrence_id, const struct status_change *c) {
        int r = store_begin(s);
        if (r < 0)
                return r;

        sqlite3_stmt *st = store_stmt(s, "SELECT status FROM occurrence WHERE id = ?");
        if (!st) {
                store_rollback(s);
                return -EIO;
        }
        stmt_bind_int(st, 1, occurrence_id);
        if (sqlite3_step(st) != SQLITE_ROW) {
                sqlite3_reset(st);
                store_rollback(s);
                return -ENOENT;
        }
        _cleanup_free_ char *old = xstrdup(stmt_text(st, 0));
        sqlite3_reset(st);
        if (streq(old, c->status)) {
                store_rollback(s);
                return -EALREADY;
        }
        if (c->unless_waived && streq(old, "waived")) {
                store_rollback(s);
                return -EPERM;
        }

        char at[TZ_ISO_MAX], now[TZ_ISO_MAX];
        tz_format_utc(c->done_at ? c->done_at : c->now, at);
        tz_format_utc(c->now, now);
        bool done = streq(c->status, "done");
        /* Reopened, it is planned again by the daemon; done or waived, nothing more is sent for it. */
        st = store_stmt(s, "UPDATE occurrence SET status = ?, done_at = ?, done_by = ?, note = coalesce(?, note), "
                           "planned_rev = CASE WHEN ?1 = 'pending' THEN -1 ELSE planned_rev END WHERE id = ?");
        if (!st) {
                store_rollback(s);
                return -EIO;
        }
        stmt_bind_text(st, 1, c->status);
        stmt_bind_text(st, 2, done ? at : NULL);
        stmt_bind_text(st, 3, done ? c->done_by : NULL);
        stmt_bind_text(st, 4, c->note);
        stmt_bind_int(st, 5, occurrence_id);
        if (sqlite3_step(st) != SQLITE_DONE) {
                r = store_error(s, "cannot change the status");
                sqlite3_reset(st);
                store_rollback(s);
                return r;
        }
        sqlite3_reset(st);

        static const char *const actions[][2] = {{"done", "done"}, {"pending", "reopened"}, {"waived", "waived"}};
        const char *action = c->status;
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (streq(actions[i][0], c->status))
                        action = actions[i][1];
        _cleanup_free_ char *note = done && c->done_by
                                            ? xasprintf("by %s at %s%s%s", c->done_by, at, c->note ? ": " : "",
                                                        c->note ? c->note : "")
                                            : (c->note ? xstrdup(c->note) : NULL);
        r = ledger_history_add(s, &(struct history_row) {.occurrence_id = occurrence_id, .at = now,
                                                          .actor = c->actor, .action = action, .note = note,
                                                          .old_status = old, .new_status = c->status});
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        if (!streq(c->status, "pending")) {
                r = outbox_cancel_settled(s, occurrence_id);
                if (r < 0) {
                        store_rollback(s);
                        return r;
                }
        }
        return store_commit(s);
}
