/* merzimctl plans, measures, agencies, occurrences: what merzim knows, as tables or JSON. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "i18n.h"
#include "table.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

struct list_args {
        int64_t plan;
        const char *agency;
        const char *status;
        int measure;
        bool undated;
};

enum { OPT_PLAN = 0x2000, OPT_AGENCY, OPT_STATUS, OPT_MEASURE, OPT_UNDATED };

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
        case OPT_UNDATED:
                a->undated = true;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

static const struct option list_options[] = {
        {"plan", required_argument, NULL, OPT_PLAN},
        {"agency", required_argument, NULL, OPT_AGENCY},
        {"status", required_argument, NULL, OPT_STATUS},
        {"measure", required_argument, NULL, OPT_MEASURE},
        {"undated", no_argument, NULL, OPT_UNDATED},
        {},
};

/* Parse arguments, take no operands, open the store. Returns -1 to go on, or an exit status. */
static int list_setup(struct ctl *ctl, int argc, char **argv, struct list_args *a, const char *const *allowed) {
        int i = ctl_parse(ctl, argc, argv, NULL, list_options, list_option, a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i < argc)
                return ctl_usage_error(ctl, "unexpected argument \"%s\"", argv[i]);
        bool given[] = {a->plan != 0, a->agency != NULL, a->status != NULL, a->measure != 0, a->undated};
        static const char *const names[] = {"plan", "agency", "status", "measure", "undated"};
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
        struct table *t = table_new((const char *const[]) {N_("ID"), "~" N_("TITLE"), "~" N_("EDITION"), N_("YEARS"),
                                                          N_("MEASURES"), N_("OCCURRENCES"), N_("AGENCIES"),
                                                          N_("COORDINATOR"), NULL});
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *coord = plan_coordinator(ctl, stmt_text(st, 1), stmt_text(st, 5));
                json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:i, s:i, s:s?, s:i, s:i, s:i, s:s?, s:s?}",
                        "id", sqlite3_column_int64(st, 0), "title", stmt_text(st, 1), "edition", stmt_text(st, 2),
                        "year_from", sqlite3_column_int(st, 3), "year_to", sqlite3_column_int(st, 4),
                        "coordinator", coord, "measures", sqlite3_column_int(st, 6),
                        "occurrences", sqlite3_column_int(st, 7), "agencies", sqlite3_column_int(st, 8),
                        "source", stmt_text(st, 9), "imported_at", stmt_text(st, 10)));
                _cleanup_free_ char *years = xasprintf("%d–%d", sqlite3_column_int(st, 3), sqlite3_column_int(st, 4));
                _cleanup_free_ char *edition = date_text_shown(stmt_text(st, 2));
                table_add(t, (const char *const[]) {stmt_text(st, 0), stmt_text(st, 1), edition, years,
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
                        printf(_("No plans yet: import one with merzimctl import FILE\n"));
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
        int r = list_setup(ctl, argc, argv, &a, (const char *const[]) {"plan", "agency", "undated", NULL});
        if (r >= 0)
                return r;
        _cleanup_free_ char *agency = NULL;
        if (a.agency && (r = ctl_resolve_agency(ctl, a.agency, &agency)) >= 0)
                return r;

        /* Undated: a deadline gives no date by itself, and none was given it yet. */
        sqlite3_stmt *st = store_stmt(ctl->store,
                "SELECT m.id, m.plan_id, m.number, m.name, s.title, m.deadline, m.rule, m.form, m.report_to, "
                "coalesce(m.label, m.number), "
                "(SELECT x.waits FROM due x WHERE x.measure_id = m.id AND x.waits IS NOT NULL "
                " AND x.given_date IS NULL AND x.event_date IS NULL ORDER BY x.position LIMIT 1), m.source_line "
                "FROM measure m LEFT JOIN section s ON s.id = m.section_id "
                "WHERE NOT m.withdrawn AND (?1 = 0 OR m.plan_id = ?1) AND (?2 IS NULL OR EXISTS "
                " (SELECT 1 FROM assignment x JOIN agency g ON g.id = x.agency_id "
                "  WHERE x.measure_id = m.id AND g.code = ?2)) "
                "AND (NOT ?3 OR EXISTS (SELECT 1 FROM due x WHERE x.measure_id = m.id AND x.waits IS NOT NULL "
                " AND x.given_date IS NULL AND x.event_date IS NULL)) "
                "ORDER BY m.plan_id, m.number");
        if (!st)
                return EXIT_FAILURE;
        sqlite3_bind_int64(st, 1, a.plan);
        stmt_bind_text(st, 2, agency);
        sqlite3_bind_int(st, 3, a.undated);

        /* Collect rows first: the executors query uses the same connection. */
        json_t *arr = json_array();
        while (sqlite3_step(st) == SQLITE_ROW) {
                json_t *m = json_pack("{s:I, s:I, s:i, s:s, s:s, s:s?, s:s, s:s, s:s, s:s?, s:s?}",
                        "id", sqlite3_column_int64(st, 0), "plan", sqlite3_column_int64(st, 1),
                        "number", sqlite3_column_int(st, 2), "label", stmt_text(st, 9), "name", stmt_text(st, 3),
                        "section", stmt_text(st, 4), "deadline", stmt_text(st, 5), "rule", stmt_text(st, 6),
                        "form", stmt_text(st, 7), "report_to", stmt_text(st, 8), "undated", stmt_text(st, 10));
                if (sqlite3_column_type(st, 11) == SQLITE_INTEGER && sqlite3_column_int(st, 11) > 0)
                        json_object_set_new(m, "line", json_integer(sqlite3_column_int(st, 11)));
                json_array_append_new(arr, m);
        }
        sqlite3_reset(st);

        struct table *t = table_new((const char *const[]) {N_("NO"), "~" N_("NAME"), "~" N_("DEADLINE"),
                                                          "~" N_("EXECUTORS (* by agreement)"), N_("REPORT TO"), NULL});
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
                /* The number as the document writes it, when merzim numbers the measures otherwise. */
                long long number = json_integer_value(json_object_get(m, "number"));
                const char *label = json_string_value(json_object_get(m, "label"));
                _cleanup_free_ char *no = label && atoll(label) != number ? xasprintf("%lld (%s)", number, label)
                                                                          : xasprintf("%lld", number);
                const char *undated = json_string_value(json_object_get(m, "undated"));
                _cleanup_free_ char *deadline = undated ? xasprintf(_("%s [undated]"),
                                                                    json_string_value(json_object_get(m, "deadline")))
                                                        : xstrdup(json_string_value(json_object_get(m, "deadline")));
                table_add(t, (const char *const[]) {no, json_string_value(json_object_get(m, "name")), deadline,
                                                   text, json_string_value(json_object_get(m, "report_to"))});
        }
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                table_print(t, stdout, table_default_width());
                size_t n = table_rows(t);
                if (a.undated)
                        printf(plural("%zu measure undated: give it a date with merzimctl due, or the event's with "
                                      "merzimctl event\n",
                                      "%zu measures undated: give each a date with merzimctl due, or the event's with "
                                      "merzimctl event\n",
                                      n),
                               n);
                else
                        printf(plural("%zu measure\n", "%zu measures\n", n), n);
        }
        table_free(t);
        return EXIT_SUCCESS;
}

/* What merzimctl agencies knows of one agency. */
struct agency_row {
        char *code, *name;
        int measures, lead, by_agreement, reports;
        bool coordinator, supervisor, group;
};

/* The row of code, added if there is none. */
static struct agency_row *agency_row(struct agency_row **rows, size_t *n, const char *code) {
        for (size_t i = 0; i < *n; i++)
                if (streq((*rows)[i].code, code))
                        return &(*rows)[i];
        *rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
        struct agency_row *r = &(*rows)[(*n)++];
        *r = (struct agency_row) {.code = xstrdup(code)};
        return r;
}

static int compare_agency_rows(const void *a, const void *b) {
        const struct agency_row *x = a, *y = b;
        if (x->measures != y->measures)
                return y->measures - x->measures;
        if (x->reports != y->reports)
                return y->reports - x->reports;
        return strcmp(x->code, y->code);
}

/* Every agency merzim may write to about a plan: executors, report recipients (an agency that only
 * receives reports executes nothing), coordinators and supervisors. */
static int agency_rows(struct ctl *ctl, int64_t plan, struct agency_row **ret, size_t *n) {
        *ret = NULL;
        *n = 0;
        sqlite3_stmt *st = store_stmt(ctl->store,
                "SELECT g.code, g.name, count(m.id), count(CASE WHEN x.position = 1 THEN 1 END), "
                "count(CASE WHEN x.by_agreement THEN 1 END), g.kind "
                "FROM agency g JOIN assignment x ON x.agency_id = g.id "
                "JOIN measure m ON m.id = x.measure_id AND NOT m.withdrawn AND (?1 = 0 OR m.plan_id = ?1) "
                "GROUP BY g.id");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, plan);
        while (sqlite3_step(st) == SQLITE_ROW) {
                struct agency_row *r = agency_row(ret, n, stmt_text(st, 0));
                r->name = stmt_text(st, 1) ? xstrdup(stmt_text(st, 1)) : NULL;
                r->measures = sqlite3_column_int(st, 2);
                r->lead = sqlite3_column_int(st, 3);
                r->by_agreement = sqlite3_column_int(st, 4);
                r->group = streq_ptr(stmt_text(st, 5), "group");
        }
        sqlite3_reset(st);
        st = store_stmt(ctl->store, "SELECT report_to, count(*) FROM measure WHERE report_to IS NOT NULL "
                                    "AND NOT withdrawn AND (?1 = 0 OR plan_id = ?1) GROUP BY report_to");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, plan);
        while (sqlite3_step(st) == SQLITE_ROW)
                agency_row(ret, n, stmt_text(st, 0))->reports = sqlite3_column_int(st, 1);
        sqlite3_reset(st);
        st = store_stmt(ctl->store, "SELECT title, coordinator FROM plan WHERE ?1 = 0 OR id = ?1");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, plan);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const struct plan_settings *ps = config_plan(ctl->config, stmt_text(st, 0));
                const char *coordinator = ps && ps->coordinator ? ps->coordinator : stmt_text(st, 1);
                if (!isempty(coordinator))
                        agency_row(ret, n, coordinator)->coordinator = true;
                if (ps && !isempty(ps->supervisor))
                        agency_row(ret, n, ps->supervisor)->supervisor = true;
        }
        sqlite3_reset(st);
        if (*n > 1)
                qsort(*ret, *n, sizeof(**ret), compare_agency_rows);
        return 0;
}

int cmd_agencies(struct ctl *ctl, int argc, char **argv) {
        struct list_args a = {0};
        int r = list_setup(ctl, argc, argv, &a, (const char *const[]) {"plan", NULL});
        if (r >= 0)
                return r;
        struct agency_row *rows;
        size_t n;
        if (agency_rows(ctl, a.plan, &rows, &n) < 0)
                return EXIT_FAILURE;
        json_t *arr = json_array();
        struct table *t = table_new((const char *const[]) {"~" N_("CODE"), "~" N_("NAME"), N_("MEASURES"), N_("LEAD"),
                                                          N_("BY AGREEMENT"), N_("REPORTS"), "~" N_("ALSO"),
                                                          N_("CONTACT"), NULL});
        bool any_group = false;
        for (size_t i = 0; i < n; i++) {
                struct agency_row *row = &rows[i];
                const struct agency_contact *c = config_agency(ctl->config, row->code);
                const char *name = c && c->name ? c->name : row->name;
                const char *contact = !c ? _("not configured")
                                      : agency_contact_reachable(c) ? (c->webhook_url && c->emails[0] ? _("e-mail, webhook")
                                                                       : c->webhook_url             ? _("webhook")
                                                                                                     : _("e-mail"))
                                                                   : _("none");
                const char *also = row->coordinator && row->supervisor ? _("coordinator, supervisor")
                                   : row->coordinator                  ? _("coordinator")
                                   : row->supervisor                   ? _("supervisor")
                                                                       : "";
                /* A spelling or a group the configuration maps to one of its agencies. */
                const char *maps_to = c && !streq(c->code, row->code) ? c->code : NULL;
                json_array_append_new(arr, json_pack("{s:s, s:s?, s:i, s:i, s:i, s:i, s:b, s:b, s:b, s:s, s:s?}",
                                                     "code", row->code, "name", name, "measures", row->measures,
                                                     "lead", row->lead, "by_agreement", row->by_agreement, "reports",
                                                     row->reports, "coordinator", row->coordinator, "supervisor",
                                                     row->supervisor, "reachable", agency_contact_reachable(c), "kind",
                                                     row->group ? "group" : "agency", "configured_as", maps_to));
                any_group = any_group || (row->group && !maps_to);
                _cleanup_free_ char *shown = row->group ? xasprintf(_("%s (group)"), row->code) : xstrdup(row->code);
                /* TRANSLATORS: how an agency is reached (e-mail, webhook), as the agency it is configured as. */
                _cleanup_free_ char *reach = maps_to ? xasprintf(_("%s, as %s"), contact, maps_to) : xstrdup(contact);
                char measures[16], lead[16], agreement[16], reports[16];
                snprintf(measures, sizeof(measures), "%d", row->measures);
                snprintf(lead, sizeof(lead), "%d", row->lead);
                snprintf(agreement, sizeof(agreement), "%d", row->by_agreement);
                snprintf(reports, sizeof(reports), "%d", row->reports);
                table_add(t, (const char *const[]) {shown, name ? name : "", measures, lead, agreement, reports,
                                                   also, reach});
                free(row->code);
                free(row->name);
        }
        free(rows);
        if (ctl->json)
                ctl_print_json(arr);
        else {
                json_decref(arr);
                table_print(t, stdout, table_default_width());
                printf(plural("%zu agency\n", "%zu agencies\n", table_rows(t)), table_rows(t));
                if (any_group)
                        printf(_("A group's messages go to the coordinator until an agency lists it among its aliases "
                                 "in merzim.conf.\n"));
        }
        table_free(t);
        return EXIT_SUCCESS;
}

/* An occurrence's status in the table, in the user's language (JSON keeps "pending", "done", "waived"). */
static const char *occurrence_status_shown(const char *status) {
        if (streq(status, "pending"))
                /* TRANSLATORS: the STATUS of an occurrence not done yet (merzimctl occurrences). */
                return _("pending");
        if (streq(status, "done"))
                return _("done");
        if (streq(status, "waived"))
                return _("waived");
        return status;
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
        struct table *t = table_new((const char *const[]) {N_("PLAN"), N_("MEASURE"), N_("PERIOD"), N_("NOMINAL"),
                                                          N_("EFFECTIVE"), N_("STATUS"), "~" N_("DAYS"), "~" N_("LEAD"),
                                                          "~" N_("DONE"), NULL});
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *status = stmt_text(st, 5);
                int late = (int) sqlite3_column_double(st, 9);
                bool pending = streq(status, "pending");
                /* TRANSLATORS: the DAYS cell of a pending occurrence: how many days late it is. */
                _cleanup_free_ char *days = !pending  ? NULL
                                            : late > 0 ? xasprintf(plural("%d overdue", "%d overdue", (unsigned long) late), late)
                                                       /* TRANSLATORS: the DAYS cell: how many days are left. */
                                                       : xasprintf(plural("%d left", "%d left", (unsigned long) -late), -late);
                /* The day it was done in the plan's time zone, as report shows it (it is kept in UTC). */
                char done_on[DATE_SHOWN_MAX] = "";
                int64_t done_at;
                if (stmt_text(st, 6) && tz_parse(stmt_text(st, 6), &done_at) >= 0)
                        date_shown(tz_day(done_at, NULL), done_on);
                _cleanup_free_ char *done = !stmt_text(st, 6) ? (stmt_text(st, 8) ? xstrdup(stmt_text(st, 8)) : NULL)
                                            /* TRANSLATORS: the DONE cell: the day it was done and by whom. */
                                            : stmt_text(st, 7) ? xasprintf(_("%s by %s"), done_on, stmt_text(st, 7))
                                                               : xstrdup(done_on);
                _cleanup_free_ char *nominal = date_text_shown(stmt_text(st, 3));
                _cleanup_free_ char *effective = date_text_shown(stmt_text(st, 4));
                json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?}", "plan",
                                      sqlite3_column_int64(st, 0), "measure", sqlite3_column_int(st, 1), "period",
                                      stmt_text(st, 2), "nominal_due", stmt_text(st, 3), "effective_due",
                                      stmt_text(st, 4), "status", status, "done_at", stmt_text(st, 6), "done_by",
                                      stmt_text(st, 7), "note", stmt_text(st, 8));
                json_object_set_new(o, "overdue_days", pending && late > 0 ? json_integer(late) : json_null());
                json_array_append_new(arr, o);
                table_add(t, (const char *const[]) {stmt_text(st, 0), stmt_text(st, 1), stmt_text(st, 2), nominal,
                                                   effective, occurrence_status_shown(status), days, stmt_text(st, 10),
                                                   done});
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
