/* Loading occurrences with what messages about them need. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>

#include "occurrences.h"
#include "util.h"

static int load_plans(struct store *s, const struct config *cfg, struct occurrence_set *set) {
        sqlite3_stmt *st = store_stmt(s, "SELECT id, title, coordinator FROM plan ORDER BY id");
        if (!st)
                return -EIO;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *title = stmt_text(st, 1);
                const struct plan_settings *ps = config_plan(cfg, title);
                const char *coordinator = ps && ps->coordinator ? ps->coordinator : stmt_text(st, 2);
                set->plans = xreallocarray(set->plans, set->n_plans + 1, sizeof(struct plan_info));
                set->plans[set->n_plans++] = (struct plan_info) {
                        .id = sqlite3_column_int64(st, 0),
                        .title = xstrdup(title),
                        .coordinator = coordinator ? xstrdup(coordinator) : NULL,
                        .supervisor = ps && ps->supervisor ? xstrdup(ps->supervisor) : NULL,
                };
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot read plans");
}

static const struct plan_info *plan_of(const struct occurrence_set *set, int64_t id) {
        for (size_t i = 0; i < set->n_plans; i++)
                if (set->plans[i].id == id)
                        return &set->plans[i];
        return NULL;
}

static int compare_by_measure(const void *a, const void *b) {
        const struct occurrence_info *const *x = a, *const *y = b;
        return ((*x)->measure_id > (*y)->measure_id) - ((*x)->measure_id < (*y)->measure_id);
}

/* Give every occurrence the executors of its measure, read in one query. */
static int load_executors(struct store *s, struct occurrence_set *set) {
        json_t *measures = json_array();
        struct occurrence_info **by_measure = xcalloc(set->n_items + 1, sizeof(void *));
        for (size_t i = 0; i < set->n_items; i++) {
                by_measure[i] = &set->items[i];
                json_array_append_new(measures, json_integer(set->items[i].measure_id));
        }
        if (set->n_items > 1)
                qsort(by_measure, set->n_items, sizeof(void *), compare_by_measure);
        _cleanup_free_ char *list = json_dumps(measures, JSON_COMPACT);
        json_decref(measures);

        sqlite3_stmt *st = store_stmt(s, "SELECT x.measure_id, a.code, x.by_agreement FROM assignment x "
                                         "JOIN agency a ON a.id = x.agency_id "
                                         "WHERE x.measure_id IN (SELECT value FROM json_each(?)) "
                                         "ORDER BY x.measure_id, x.position");
        if (!st) {
                free(by_measure);
                return -EIO;
        }
        stmt_bind_text(st, 1, list);
        size_t cursor = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t mid = sqlite3_column_int64(st, 0);
                while (cursor < set->n_items && by_measure[cursor]->measure_id < mid)
                        cursor++;
                for (size_t k = cursor; k < set->n_items && by_measure[k]->measure_id == mid; k++) {
                        struct occurrence_info *o = by_measure[k];
                        o->executors = xreallocarray(o->executors, o->n_executors + 1, sizeof(struct executor));
                        o->executors[o->n_executors++] = (struct executor) {
                                .code = xstrdup(stmt_text(st, 1)), .by_agreement = sqlite3_column_int(st, 2)};
                }
        }
        sqlite3_reset(st);
        free(by_measure);
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot read executors");
}

static char *dup_text(sqlite3_stmt *st, int col) {
        const char *t = stmt_text(st, col);
        return t ? xstrdup(t) : NULL;
}

/* Read the rows of a query over occurrences (OCCURRENCE_COLUMNS or ROUTE_COLUMNS), then their executors. */
static int load_rows(struct store *s, sqlite3_stmt *st, struct occurrence_set *set) {
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                set->items = xreallocarray(set->items, set->n_items + 1, sizeof(struct occurrence_info));
                struct occurrence_info *o = &set->items[set->n_items++];
                *o = (struct occurrence_info) {
                        .id = sqlite3_column_int64(st, 0),
                        .plan = plan_of(set, sqlite3_column_int64(st, 1)),
                        .measure = sqlite3_column_int(st, 2),
                        .measure_name = dup_text(st, 3),
                        .period = dup_text(st, 4),
                        .status = dup_text(st, 7),
                        .report_to = dup_text(st, 8),
                        .measure_id = sqlite3_column_int64(st, 9),
                        .form = dup_text(st, 10),
                };
                date_parse(stmt_text(st, 5), &o->nominal);
                date_parse(stmt_text(st, 6), &o->effective);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return store_error(s, "cannot read occurrences");
        return load_executors(s, set);
}

#define OCCURRENCE_COLUMNS                                                                                   \
        "SELECT o.id, m.plan_id, m.number, m.name, o.period, o.nominal_due, o.effective_due, o.status, "  \
        "m.report_to, m.id, m.form FROM occurrence o JOIN measure m ON m.id = o.measure_id "

/* What routing a message needs and no text: name, period, status and form are NULL. */
#define ROUTE_COLUMNS                                                                                        \
        "SELECT o.id, m.plan_id, m.number, NULL, NULL, o.nominal_due, o.effective_due, NULL, "             \
        "m.report_to, m.id, NULL FROM occurrence o JOIN measure m ON m.id = o.measure_id "

static int load_ids(struct store *s, const struct config *cfg, const int64_t *ids, size_t n, bool routes,
                    struct occurrence_set *ret) {
        *ret = (struct occurrence_set) {0};
        int r = load_plans(s, cfg, ret);
        if (r < 0)
                return r;
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_integer(ids[i]));
        _cleanup_free_ char *list = json_dumps(arr, JSON_COMPACT);
        json_decref(arr);
        sqlite3_stmt *st = routes ? store_stmt(s, ROUTE_COLUMNS "WHERE o.id IN (SELECT value FROM json_each(?)) "
                                                        "ORDER BY o.effective_due, o.id")
                                  : store_stmt(s, OCCURRENCE_COLUMNS "WHERE o.id IN (SELECT value FROM json_each(?)) "
                                                                     "ORDER BY o.effective_due, o.id");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, list);
        return load_rows(s, st, ret);
}

int occurrences_load_ids(struct store *s, const struct config *cfg, const int64_t *ids, size_t n,
                         struct occurrence_set *ret) {
        return load_ids(s, cfg, ids, n, false, ret);
}

int occurrences_load_routes(struct store *s, const struct config *cfg, const int64_t *ids, size_t n,
                            struct occurrence_set *ret) {
        return load_ids(s, cfg, ids, n, true, ret);
}

const struct occurrence_info *occurrence_set_find(const struct occurrence_set *set, int64_t id) {
        for (size_t i = 0; i < set->n_items; i++)
                if (set->items[i].id == id)
                        return &set->items[i];
        return NULL;
}

void occurrence_set_clear(struct occurrence_set *set) {
        for (size_t i = 0; i < set->n_items; i++)
                occurrence_info_free(&set->items[i]);
        free(set->items);
        for (size_t i = 0; i < set->n_plans; i++)
                plan_info_free(&set->plans[i]);
        free(set->plans);
        *set = (struct occurrence_set) {0};
}
