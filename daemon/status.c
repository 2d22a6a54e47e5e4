/* The coordinator's morning status, worked out from the store at a given instant. */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "status.h"
#include "tzone.h"
#include "util.h"

/* What became of a set of occurrences by one day. */
struct tally {
        int occurrences, pending, overdue, due_soon, done, done_on_time, done_late, waived;
        day_t oldest_overdue; /* meaningful when overdue > 0 */
};

struct agency_tally {
        int64_t id;
        char *code, *name;
        struct tally tally;
};

struct plan_tally {
        int64_t id;
        char *title;
        struct tally tally;
};

int status_days_late(const char *status, day_t effective_due, const char *done_at, day_t today) {
        if (streq(status, "pending"))
                return today > effective_due ? today - effective_due : 0;
        if (!streq(status, "done") || !done_at)
                return -1;
        int64_t at;
        if (tz_parse(done_at, &at) < 0)
                return -1;
        day_t done_on = tz_day(at, NULL);
        return done_on > effective_due ? done_on - effective_due : 0;
}

/* Count one occurrence, given as the store keeps it, into a tally. */
static void tally_add(struct tally *t, const char *status, const char *effective_due, const char *done_at,
                      day_t today) {
        day_t due;
        if (!status || !effective_due || date_parse(effective_due, &due) < 0)
                return;
        t->occurrences++;
        if (streq(status, "pending")) {
                t->pending++;
                if (due < today) {
                        if (!t->overdue || due < t->oldest_overdue)
                                t->oldest_overdue = due;
                        t->overdue++;
                } else if (due <= today + STATUS_DUE_SOON_DAYS) {
                        t->due_soon++;
                }
        } else if (streq(status, "done")) {
                t->done++;
                int late = status_days_late(status, due, done_at, today);
                if (late == 0)
                        t->done_on_time++;
                else if (late > 0)
                        t->done_late++;
        } else if (streq(status, "waived")) {
                t->waived++;
        }
}

/* Add one tally to another. */
static void tally_merge(struct tally *into, const struct tally *t) {
        if (t->overdue && (!into->overdue || t->oldest_overdue < into->oldest_overdue))
                into->oldest_overdue = t->oldest_overdue;
        into->occurrences += t->occurrences;
        into->pending += t->pending;
        into->overdue += t->overdue;
        into->due_soon += t->due_soon;
        into->done += t->done;
        into->done_on_time += t->done_on_time;
        into->done_late += t->done_late;
        into->waived += t->waived;
}

/* Set a tally's figures on a JSON object. */
static void tally_to_json(const struct tally *t, day_t today, json_t *o) {
        char oldest[DATE_ISO_MAX];
        json_object_set_new(o, "occurrences", json_integer(t->occurrences));
        json_object_set_new(o, "pending", json_integer(t->pending));
        json_object_set_new(o, "overdue", json_integer(t->overdue));
        json_object_set_new(o, "oldest_overdue",
                            t->overdue ? json_string(date_format(t->oldest_overdue, oldest)) : json_null());
        json_object_set_new(o, "oldest_overdue_days",
                            t->overdue ? json_integer(today - t->oldest_overdue) : json_null());
        json_object_set_new(o, "due_soon", json_integer(t->due_soon));
        json_object_set_new(o, "done", json_integer(t->done));
        json_object_set_new(o, "done_on_time", json_integer(t->done_on_time));
        json_object_set_new(o, "done_late", json_integer(t->done_late));
        json_object_set_new(o, "waived", json_integer(t->waived));
}

/* Order agencies worst first: most overdue, then the oldest overdue, then most due soon, then most done
 * late, then by code. */
static int agency_worse_first(const void *a, const void *b) {
        const struct agency_tally *x = a, *y = b;
        if (x->tally.overdue != y->tally.overdue)
                return x->tally.overdue > y->tally.overdue ? -1 : 1;
        if (x->tally.overdue && x->tally.oldest_overdue != y->tally.oldest_overdue)
                return x->tally.oldest_overdue < y->tally.oldest_overdue ? -1 : 1;
        if (x->tally.due_soon != y->tally.due_soon)
                return x->tally.due_soon > y->tally.due_soon ? -1 : 1;
        if (x->tally.done_late != y->tally.done_late)
                return x->tally.done_late > y->tally.done_late ? -1 : 1;
        return strcmp(x->code, y->code);
}

/* The per-agency figures: every agency assigned to a measure still in the plan(s). */
static int build_agencies(struct store *s, const struct config *cfg, int64_t plan_id, day_t today, json_t *ret) {
        sqlite3_stmt *st = store_stmt(s, "SELECT g.id, g.code, g.name, o.status, o.effective_due, o.done_at "
                                         "FROM agency g JOIN assignment x ON x.agency_id = g.id "
                                         "JOIN measure m ON m.id = x.measure_id AND NOT m.withdrawn "
                                         " AND (?1 = 0 OR m.plan_id = ?1) "
                                         "LEFT JOIN occurrence o ON o.measure_id = m.id ORDER BY g.id");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, plan_id);
        struct agency_tally *list = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                if (n == 0 || list[n - 1].id != id) {
                        list = xreallocarray(list, n + 1, sizeof(*list));
                        const struct agency_contact *c = cfg ? config_agency(cfg, stmt_text(st, 1)) : NULL;
                        const char *name = c && c->name ? c->name : stmt_text(st, 2);
                        list[n++] = (struct agency_tally) {
                                .id = id,
                                .code = xstrdup(stmt_text(st, 1)),
                                .name = name ? xstrdup(name) : NULL,
                        };
                }
                tally_add(&list[n - 1].tally, stmt_text(st, 3), stmt_text(st, 4), stmt_text(st, 5), today);
        }
        sqlite3_reset(st);
        int r = rc == SQLITE_DONE ? 0 : store_error(s, "cannot read the agencies' occurrences");

        if (n)
                qsort(list, n, sizeof(*list), agency_worse_first);
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_pack("{s:s, s:s?}", "code", list[i].code, "name", list[i].name);
                tally_to_json(&list[i].tally, today, o);
                json_array_append_new(ret, o);
                free(list[i].code);
                free(list[i].name);
        }
        free(list);
        return r;
}

/* How many measures of a plan (0: every plan) wait for a date: undated, none given yet. */
static int count_undated(struct store *s, int64_t plan_id, json_int_t *ret) {
        sqlite3_stmt *st = store_stmt(s, "SELECT count(*) FROM measure m WHERE NOT m.withdrawn "
                                         "AND (?1 = 0 OR m.plan_id = ?1) AND EXISTS (SELECT 1 FROM due x "
                                         "WHERE x.measure_id = m.id AND x.waits IS NOT NULL AND x.given_date IS NULL "
                                         "AND x.event_date IS NULL)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, plan_id);
        int rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? 0 : store_error(s, "cannot count undated measures");
}

/* The figures of each plan, each occurrence once, and their sum. */
static int build_plans(struct store *s, int64_t plan_id, day_t today, json_t *plans, json_t *totals) {
        sqlite3_stmt *st = store_stmt(s, "SELECT p.id, p.title, o.status, o.effective_due, o.done_at FROM plan p "
                                         "LEFT JOIN measure m ON m.plan_id = p.id AND NOT m.withdrawn "
                                         "LEFT JOIN occurrence o ON o.measure_id = m.id "
                                         "WHERE ?1 = 0 OR p.id = ?1 ORDER BY p.id");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, plan_id);
        struct plan_tally *list = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                if (n == 0 || list[n - 1].id != id) {
                        list = xreallocarray(list, n + 1, sizeof(*list));
                        list[n++] = (struct plan_tally) {.id = id, .title = xstrdup(stmt_text(st, 1))};
                }
                tally_add(&list[n - 1].tally, stmt_text(st, 2), stmt_text(st, 3), stmt_text(st, 4), today);
        }
        sqlite3_reset(st);
        int r = rc == SQLITE_DONE ? 0 : store_error(s, "cannot read the plans' occurrences");

        struct tally sum = {0};
        json_int_t undated_sum = 0;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t) list[i].id, "title", list[i].title);
                tally_to_json(&list[i].tally, today, o);
                json_int_t undated = 0;
                if (r >= 0)
                        r = count_undated(s, list[i].id, &undated);
                json_object_set_new(o, "undated", json_integer(undated));
                undated_sum += undated;
                json_array_append_new(plans, o);
                tally_merge(&sum, &list[i].tally);
                free(list[i].title);
        }
        free(list);
        tally_to_json(&sum, today, totals);
        json_object_set_new(totals, "undated", json_integer(undated_sum));
        return r;
}

/* The outbox: how many deliveries were delivered today and in the last 7 days (up to now), how many
 * wait for a first try, are being retried or failed, and the last error of each one retried or failed
 * (failed first). */
static int build_outbox(struct store *s, int64_t plan_id, int64_t now, day_t today, json_t *ret) {
        sqlite3_stmt *st = store_stmt(s, "SELECT count(CASE WHEN b.state = 'pending' AND b.attempts = 0 THEN 1 END), "
                                         "count(CASE WHEN b.state = 'pending' AND b.attempts > 0 THEN 1 END), "
                                         "count(CASE WHEN b.state = 'failed' THEN 1 END), "
                                         "count(CASE WHEN b.state = 'sent' AND b.sent_at >= ?2 AND b.sent_at <= ?4 THEN 1 END), "
                                         "count(CASE WHEN b.state = 'sent' AND b.sent_at > ?3 AND b.sent_at <= ?4 THEN 1 END) "
                                         "FROM outbox b JOIN notification n ON n.id = b.notification_id "
                                         "WHERE ?1 = 0 OR n.plan_id = ?1");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, plan_id);
        stmt_bind_int(st, 2, tz_instant(today, 0, 0, 0));
        stmt_bind_int(st, 3, now - 7 * 86400);
        stmt_bind_int(st, 4, now);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                json_object_set_new(ret, "pending", json_integer(sqlite3_column_int(st, 0)));
                json_object_set_new(ret, "retrying", json_integer(sqlite3_column_int(st, 1)));
                json_object_set_new(ret, "failed", json_integer(sqlite3_column_int(st, 2)));
                json_object_set_new(ret, "delivered_today", json_integer(sqlite3_column_int(st, 3)));
                json_object_set_new(ret, "delivered_7_days", json_integer(sqlite3_column_int(st, 4)));
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
                return store_error(s, "cannot count the outbox");

        st = store_stmt(s, "SELECT b.id, b.state, n.recipient, n.kind, n.stage, b.channel, b.address, b.attempts, "
                           "b.last_error, (SELECT max(a.finished_at) FROM attempt a WHERE a.outbox_id = b.id), "
                           "b.next_attempt_at "
                           "FROM outbox b JOIN notification n ON n.id = b.notification_id "
                           "WHERE (b.state = 'failed' OR (b.state = 'pending' AND b.attempts > 0)) "
                           "AND (?1 = 0 OR n.plan_id = ?1) ORDER BY b.state, b.id");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, plan_id);
        json_t *problems = json_array();
        json_object_set_new(ret, "problems", problems);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *state = stmt_text(st, 1);
                char last[TZ_ISO_MAX], next[TZ_ISO_MAX];
                bool has_last = sqlite3_column_type(st, 9) != SQLITE_NULL;
                json_array_append_new(problems, json_pack(
                        "{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:s?, s:s?}",
                        "id", (json_int_t) sqlite3_column_int64(st, 0),
                        "state", streq(state, "failed") ? "failed" : "retrying",
                        "agency", stmt_text(st, 2), "kind", stmt_text(st, 3), "stage", stmt_text(st, 4),
                        "channel", stmt_text(st, 5), "address", stmt_text(st, 6),
                        "attempts", sqlite3_column_int(st, 7), "last_error", stmt_text(st, 8),
                        "last_attempt_at", has_last ? tz_format(sqlite3_column_int64(st, 9), last) : NULL,
                        "next_attempt_at", streq(state, "pending") ? tz_format(sqlite3_column_int64(st, 10), next)
                                                                   : NULL));
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot read the outbox");
}

int status_build(struct store *s, const struct config *cfg, int64_t plan_id, int64_t now, json_t **ret) {
        day_t today = tz_day(now, NULL);
        char now_text[TZ_ISO_MAX], today_text[DATE_ISO_MAX];
        json_t *agencies = json_array(), *plans = json_array(), *totals = json_object(), *outbox = json_object();
        json_t *o = json_pack("{s:s, s:s, s:o, s:i, s:o, s:o, s:o, s:o}", "now", tz_format(now, now_text),
                              "today", date_format(today, today_text),
                              "plan", plan_id ? json_integer(plan_id) : json_null(),
                              "due_soon_days", STATUS_DUE_SOON_DAYS, "agencies", agencies, "plans", plans,
                              "totals", totals, "outbox", outbox);
        if (!o)
                return log_error_errno(-ENOMEM, "cannot build the status");
        int r = build_agencies(s, cfg, plan_id, today, agencies);
        if (r >= 0)
                r = build_plans(s, plan_id, today, plans, totals);
        if (r >= 0)
                r = build_outbox(s, plan_id, now, today, outbox);
        if (r < 0) {
                json_decref(o);
                return r;
        }
        *ret = o;
        return 0;
}
