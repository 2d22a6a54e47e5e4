/* merzimctl plans, measures, agencies, occurrences: what merzim knows, as tables or JSON. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "table.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

struct list_args {
        int64_t plan;
        const char *agency;
        const char *status;
        int measure;
};

enum { OPT_PLAN = 0x2000, OPT_AGENCY, OPT_STATUS, OPT_MEASURE };

static int list_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct list_args *a = userdata;
        unsigned long v;
        switch (opt) {
        case OPT_PLAN:
                return ctl_parse_plan(ctl, arg, &a->plan);
        case OPT_AGENCY:
                a->agency = arg;
                return 0;
        case OPT_STATUS:
                if (!streq(arg, "pending") && !streq(arg, "done") && !streq(arg, "waived") && !streq(arg, "overdue"))
                        return ctl_usage_error(ctl, "--status wants pending, done, waived or overdue, not \"%s\"", arg);
                a->status = arg;
                return 0;
        case OPT_MEASURE:
                if (parse_uint(arg, 100000, &v) < 0 || v == 0)
                        return ctl_usage_error(ctl, "--measure wants a measure number, not \"%s\"", arg);
                a->measure = (int) v;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

static const struct option list_options[] = {
        {"plan", required_argument, NULL, OPT_PLAN},
        {"agency", required_argument, NULL, OPT_AGENCY},
        {"status", required_argument, NULL, OPT_STATUS},
        {"measure", required_argument, NULL, OPT_MEASURE},
        {},
};

/* Parse arguments, take no operands, open the store. Returns -1 to go on, or an exit status. */
static int list_setup(struct ctl *ctl, int argc, char **argv, struct list_args *a, const char *const *allowed) {
        int i = ctl_parse(ctl, argc, argv, NULL, list_options, list_option, a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i < argc)
                return ctl_usage_error(ctl, "unexpected argument \"%s\"", argv[i]);
        bool given[] = {a->plan != 0, a->agency != NULL, a->status != NULL, a->measure != 0};
        static const char *const names[] = {"plan", "agency", "status", "measure"};
        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                bool ok = false;
                for (size_t j = 0; allowed[j]; j++)
                        ok = ok || streq(allowed[j], names[k]);
                if (given[k] && !ok)
                        return ctl_usage_error(ctl, "--%s does not apply to %s", names[k], ctl->command);
        }
        if (ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        return -1;
}

/* The coordinator of a plan: the configuration's, else what the import recorded. */
static const char *plan_coordinator(struct ctl *ctl, const char *title, const char *stored) {
        const struct plan_settings *ps = config_plan(ctl->config, title);
        return ps && ps->coordinator ? ps->coordinator : stored;
}

int cmd_plans(struct ctl *ctl, int argc, char **argv) {
        struct list_args a = {0};
        int r = list_setup(ctl, argc, argv, &a, (const char *const[]) {NULL});
        if (r >= 0)
                return r;
        sqlite3_stmt *st = store_stmt(ctl->store,
                "SELECT p.id, p.title, p.edition, p.year_from, p.year_to, p.coordinator, "
                "(SELECT count(*) FROM measure m WHERE m.plan_id = p.id AND NOT m.withdrawn), "
                "(SELECT count(*) FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                " WHERE m.plan_id = p.id AND NOT m.withdrawn), "
                "(SELECT count(*) FROM plan_agency pa WHERE pa.plan_id = p.id), p.source_name, p.imported_at "
                "FROM plan p ORDER BY p.id");
        if (!st)
                return EXIT_FAILURE;
        json_t *arr = json_array();
        struct table *t = table_new((const char *const[]) {"ID", "~TITLE", "~EDITION", "YEARS", "MEASURES",
                                                          "OCCURRENCES", "AGENCIES", "COORDINATOR", NULL});
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *coord = plan_coordinator(ctl, stmt_text(st, 1), stmt_text(st, 5));
                json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:i, s:i, s:s?, s:i, s:i, s:i, s:s?, s:s?}",
                        "id", sqlite3_column_int64(st, 0), "title", stmt_text(st, 1), "edition", stmt_text(st, 2),
                        "year_from", sqlite3_column_int(st, 3), "year_to", sqlite3_column_int(st, 4),
                        "coordinator", coord, "measures", sqlite3_column_int(st, 6),
                        "occurrences", sqlite3_column_int(st, 7), "agencies", sqlite3_column_int(st, 8),
                        "source", stmt_text(st, 9), "imported_at", stmt_text(st, 10)));
                _cleanup_free_ char *years = xasprintf("%d–%d", sqlite3_column_int(st, 3), sqlite3_column_int(st, 4));
                table_add(t, (const char *const[]) {stmt_text(st, 0), stmt_text(st, 1), stmt_text(st, 2), years,
                                                   stmt_text(st, 6), stmt_text(st, 7), stmt_text(st, 8), coord});
        }
        sqlite3_reset(st);
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                if (table_rows(t))
                        table_print(t, stdout, table_default_width());
                else
                        printf("No plans yet: import one with merzimctl import FILE\n");
        }
        table_free(t);
        return EXIT_SUCCESS;
}

/* The executors of a measure in listed order, as JSON codes, and as text with "*" for by agreement. */
static int measure_executors(struct ctl *ctl, int64_t measure_id, json_t **codes, char **text) {
        sqlite3_stmt *st = store_stmt(ctl->store, "SELECT a.code, x.by_agreement FROM assignment x "
                                                  "JOIN agency a ON a.id = x.agency_id WHERE x.measure_id = ? "
                                                  "ORDER BY x.position");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, measure_id);
        *codes = json_array();
        struct buf b = {0};
        while (sqlite3_step(st) == SQLITE_ROW) {
                json_array_append_new(*codes, json_string(stmt_text(st, 0)));
                buf_printf(&b, "%s%s%s", b.len ? ", " : "", stmt_text(st, 0), sqlite3_column_int(st, 1) ? "*" : "");
        }
        sqlite3_reset(st);
        *text = buf_steal(&b);
        return 0;
}

int cmd_measures(struct ctl *ctl, int argc, char **argv) {
        struct list_args a = {0};
        int r = list_setup(ctl, argc, argv, &a, (const char *const[]) {"plan", "agency", NULL});
        if (r >= 0)
                return r;
        _cleanup_free_ char *agency = NULL;
        if (a.agency && (r = ctl_resolve_agency(ctl, a.agency, &agency)) >= 0)
                return r;

        sqlite3_stmt *st = store_stmt(ctl->store,
                "SELECT m.id, m.plan_id, m.number, m.name, s.title, m.deadline, m.rule, m.form, m.report_to "
                "FROM measure m LEFT JOIN section s ON s.id = m.section_id "
                "WHERE NOT m.withdrawn AND (?1 = 0 OR m.plan_id = ?1) AND (?2 IS NULL OR EXISTS "
                " (SELECT 1 FROM assignment x JOIN agency g ON g.id = x.agency_id "
                "  WHERE x.measure_id = m.id AND g.code = ?2)) "
                "ORDER BY m.plan_id, m.number");
        if (!st)
                return EXIT_FAILURE;
        sqlite3_bind_int64(st, 1, a.plan);
        stmt_bind_text(st, 2, agency);

        /* Collect rows first: the executors query uses the same connection. */
        json_t *arr = json_array();
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(arr, json_pack("{s:I, s:I, s:i, s:s, s:s?, s:s, s:s, s:s, s:s?}",
                        "id", sqlite3_column_int64(st, 0), "plan", sqlite3_column_int64(st, 1),
                        "number", sqlite3_column_int(st, 2), "name", stmt_text(st, 3), "section", stmt_text(st, 4),
                        "deadline", stmt_text(st, 5), "rule", stmt_text(st, 6), "form", stmt_text(st, 7),
                        "report_to", stmt_text(st, 8)));
        sqlite3_reset(st);

        struct table *t = table_new((const char *const[]) {"NO", "~NAME", "~DEADLINE", "~EXECUTORS (* by agreement)",
                                                          "REPORT TO", NULL});
        size_t i;
        json_t *m;
        json_array_foreach(arr, i, m) {
                json_t *codes;
                _cleanup_free_ char *text = NULL;
                if (measure_executors(ctl, json_integer_value(json_object_get(m, "id")), &codes, &text) < 0) {
                        json_decref(arr);
                        table_free(t);
                        return EXIT_FAILURE;
                }
                json_object_set_new(m, "agencies", codes);
                json_object_del(m, "id");
                _cleanup_free_ char *no = xasprintf("%lld", json_integer_value(json_object_get(m, "number")));
                table_add(t, (const char *const[]) {no, json_string_value(json_object_get(m, "name")),
                                                   json_string_value(json_object_get(m, "deadline")), text,
                                                   json_string_value(json_object_get(m, "report_to"))});
        }
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                table_print(t, stdout, table_default_width());
                printf(plural("%zu measure\n", "%zu measures\n", table_rows(t)), table_rows(t));
        }
        table_free(t);
        return EXIT_SUCCESS;
}

int cmd_agencies(struct ctl *ctl, int argc, char **argv) {
        struct list_args a = {0};
        int r = list_setup(ctl, argc, argv, &a, (const char *const[]) {"plan", NULL});
        if (r >= 0)
                return r;
        sqlite3_stmt *st = store_stmt(ctl->store,
                "SELECT g.code, g.name, count(m.id), count(CASE WHEN x.position = 1 THEN 1 END), "
                "count(CASE WHEN x.by_agreement THEN 1 END) "
                "FROM agency g JOIN assignment x ON x.agency_id = g.id "
                "JOIN measure m ON m.id = x.measure_id AND NOT m.withdrawn AND (?1 = 0 OR m.plan_id = ?1) "
                "GROUP BY g.id ORDER BY count(m.id) DESC, g.code");
        if (!st)
                return EXIT_FAILURE;
        sqlite3_bind_int64(st, 1, a.plan);
        json_t *arr = json_array();
        struct table *t = table_new((const char *const[]) {"~CODE", "~NAME", "MEASURES", "LEAD", "BY AGREEMENT",
                                                          "CONTACT", NULL});
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *code = stmt_text(st, 0);
                const struct agency_contact *c = config_agency(ctl->config, code);
                const char *name = c && c->name ? c->name : stmt_text(st, 1);
                const char *contact = !c ? "not configured"
                                      : agency_contact_reachable(c) ? (c->webhook_url && c->emails[0] ? "e-mail, webhook"
                                                                       : c->webhook_url             ? "webhook"
                                                                                                     : "e-mail")
                                                                   : "none";
                json_array_append_new(arr, json_pack("{s:s, s:s?, s:i, s:i, s:i, s:b}", "code", code, "name", name,
                                                     "measures", sqlite3_column_int(st, 2), "lead",
                                                     sqlite3_column_int(st, 3), "by_agreement",
                                                     sqlite3_column_int(st, 4), "reachable",
                                                     agency_contact_reachable(c)));
                table_add(t, (const char *const[]) {code, name, stmt_text(st, 2), stmt_text(st, 3), stmt_text(st, 4),
                                                   contact});
        }
        sqlite3_reset(st);
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                table_print(t, stdout, table_default_width());
                printf(plural("%zu agency\n", "%zu agencies\n", table_rows(t)), table_rows(t));
        }
        table_free(t);
        return EXIT_SUCCESS;
}

int cmd_occurrences(struct ctl *ctl, int argc, char **argv) {
        struct list_args a = {0};
        int r = list_setup(ctl, argc, argv, &a, (const char *const[]) {"plan", "agency", "status", "measure", NULL});
        if (r >= 0)
                return r;
        _cleanup_free_ char *agency = NULL;
        if (a.agency && (r = ctl_resolve_agency(ctl, a.agency, &agency)) >= 0)
                return r;

        char today[DATE_ISO_MAX];
        date_format(tz_day(ctl->now, NULL), today);
        bool overdue = a.status && streq(a.status, "overdue");
        sqlite3_stmt *st = store_stmt(ctl->store,
                "SELECT m.plan_id, m.number, o.period, o.nominal_due, o.effective_due, o.status, o.done_at, "
                "o.done_by, o.note, julianday(?5) - julianday(o.effective_due), "
                "(SELECT g.code FROM assignment x JOIN agency g ON g.id = x.agency_id "
                " WHERE x.measure_id = m.id ORDER BY x.position LIMIT 1) "
                "FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                "WHERE NOT m.withdrawn AND (?1 = 0 OR m.plan_id = ?1) AND (?2 IS NULL OR o.status = ?2) "
                "AND (?3 = 0 OR m.number = ?3) AND (NOT ?6 OR o.effective_due < ?5) "
                "AND (?4 IS NULL OR EXISTS (SELECT 1 FROM assignment x JOIN agency g ON g.id = x.agency_id "
                " WHERE x.measure_id = m.id AND g.code = ?4)) "
                "ORDER BY o.effective_due, m.plan_id, m.number");
        if (!st)
                return EXIT_FAILURE;
        sqlite3_bind_int64(st, 1, a.plan);
        stmt_bind_text(st, 2, overdue ? "pending" : a.status);
        sqlite3_bind_int(st, 3, a.measure);
        stmt_bind_text(st, 4, agency);
        stmt_bind_text(st, 5, today);
        sqlite3_bind_int(st, 6, overdue);

        json_t *arr = json_array();
        struct table *t = table_new((const char *const[]) {"PLAN", "MEASURE", "PERIOD", "NOMINAL", "EFFECTIVE",
                                                          "STATUS", "~DAYS", "~LEAD", "~DONE", NULL});
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *status = stmt_text(st, 5);
                int late = (int) sqlite3_column_double(st, 9);
                bool pending = streq(status, "pending");
                _cleanup_free_ char *days = !pending  ? NULL
                                            : late > 0 ? xasprintf("%d overdue", late)
                                                       : xasprintf("%d left", -late);
                _cleanup_free_ char *done = stmt_text(st, 6)
                        ? xasprintf("%.10s%s%s", stmt_text(st, 6), stmt_text(st, 7) ? " by " : "",
                                    stmt_text(st, 7) ? stmt_text(st, 7) : "")
                        : (stmt_text(st, 8) ? xstrdup(stmt_text(st, 8)) : NULL);
                json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?}", "plan",
                                      sqlite3_column_int64(st, 0), "measure", sqlite3_column_int(st, 1), "period",
                                      stmt_text(st, 2), "nominal_due", stmt_text(st, 3), "effective_due",
                                      stmt_text(st, 4), "status", status, "done_at", stmt_text(st, 6), "done_by",
                                      stmt_text(st, 7), "note", stmt_text(st, 8));
                json_object_set_new(o, "overdue_days", pending && late > 0 ? json_integer(late) : json_null());
                json_array_append_new(arr, o);
                table_add(t, (const char *const[]) {stmt_text(st, 0), stmt_text(st, 1), stmt_text(st, 2),
                                                   stmt_text(st, 3), stmt_text(st, 4), status, days,
                                                   stmt_text(st, 10), done});
        }
        sqlite3_reset(st);
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                table_print(t, stdout, table_default_width());
                printf(plural("%zu occurrence\n", "%zu occurrences\n", table_rows(t)), table_rows(t));
        }
        table_free(t);
        return EXIT_SUCCESS;
}
