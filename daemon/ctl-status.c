/* merzimctl status: the coordinator's morning screen: agencies worst first, plan totals, the outbox. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "i18n.h"
#include "status.h"
#include "table.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

/* At most this many undelivered rows are listed on screen; --json has them all. */
#define STATUS_MAX_PROBLEMS 20

struct status_args {
        int64_t plan;
};

enum { OPT_PLAN = 0x2000 };

/* Take the status command's own option, --plan. */
static int status_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct status_args *a = userdata;
        if (opt == OPT_PLAN)
                return ctl_parse_plan(ctl, arg, &a->plan);
        return ctl_usage_error(ctl, "unexpected option");
}

/* A JSON value as a table cell: numbers as digits, null as NULL (shown "-"). Caller frees. */
static char *cell(json_t *o, const char *key) {
        json_t *v = json_object_get(o, key);
        if (json_is_integer(v))
                return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (json_is_string(v))
                return xstrdup(json_string_value(v));
        return NULL;
}

/* An instant from the status ("2023-07-01T09:00:00+06:00") as "2023-07-01 09:00", the date as the
 * language writes it ("01.07.2023 09:00"). Caller frees. */
static char *short_time(json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        if (!s || strlen(s) < 16)
                return NULL;
        _cleanup_free_ char *t = xstrndup(s, 16);
        t[10] = ' ';
        return date_text_shown(t);
}

/* Add a row: the leading cells, then a tally's figures (waived only if asked). */
static void add_tally_row(struct table *t, json_t *o, const char *const *lead, size_t n_lead, bool waived) {
        static const char *const keys[] = {"overdue", "oldest_overdue", "oldest_overdue_days", "due_soon",
                                           "done_on_time", "done_late", "waived"};
        char *cells[ELEMENTSOF(keys) + 4] = {0};
        size_t n = 0;
        for (size_t k = 0; k < n_lead && k < 4; k++)
                cells[n++] = lead[k] ? xstrdup(lead[k]) : NULL;
        for (size_t k = 0; k < ELEMENTSOF(keys) - !waived; k++) {
                cells[n] = cell(o, keys[k]);
                if (streq(keys[k], "oldest_overdue") && cells[n]) {
                        char *shown = date_text_shown(cells[n]);
                        free(cells[n]);
                        cells[n] = shown;
                }
                n++;
        }
        table_add(t, (const char *const *) cells);
        for (size_t k = 0; k < n; k++)
                free(cells[k]);
}

/* The per-agency table, worst first. */
static void print_agencies(json_t *status) {
        struct table *t = table_new((const char *const[]) {"~" N_("AGENCY"), N_("OVERDUE"), N_("OLDEST DUE"),
                                                          N_("DAYS LATE"), N_("DUE SOON"), N_("DONE ON TIME"),
                                                          N_("DONE LATE"), NULL});
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(status, "agencies"), i, a)
                add_tally_row(t, a, (const char *const[]) {json_string_value(json_object_get(a, "code"))}, 1,
                              false);
        if (table_rows(t))
                table_print(t, stdout, table_default_width());
        else
                printf(_("No agencies: import a plan with merzimctl import FILE\n"));
        table_free(t);
}

/* One row of totals per plan, each occurrence counted once. */
static void print_plans(json_t *status) {
        struct table *t = table_new((const char *const[]) {N_("PLAN"), "~" N_("TITLE"), N_("TOTAL"), N_("OVERDUE"),
                                                          N_("OLDEST DUE"), N_("DAYS LATE"), N_("DUE SOON"),
                                                          N_("DONE ON TIME"), N_("DONE LATE"), N_("WAIVED"), NULL});
        size_t i;
        json_t *p;
        json_array_foreach(json_object_get(status, "plans"), i, p) {
                _cleanup_free_ char *id = cell(p, "id"), *total = cell(p, "occurrences");
                add_tally_row(t, p,
                              (const char *const[]) {id, json_string_value(json_object_get(p, "title")), total},
                              3, true);
        }
        if (table_rows(t))
                table_print(t, stdout, table_default_width());
        table_free(t);
        json_int_t undated = json_integer_value(json_object_get(json_object_get(status, "totals"), "undated"));
        if (undated > 0)
                printf(plural("%lld measure is undated, never reminded until given a date: merzimctl measures "
                              "--undated\n",
                              "%lld measures are undated, never reminded until given a date: merzimctl measures "
                              "--undated\n",
                              (unsigned long) undated),
                       (long long) undated);
}

/* Print a line cut to width columns, with an ellipsis if it had to be cut. */
static void print_fitted(const char *line, size_t width) {
        if (utf8_width(line) <= width) {
                puts(line);
                return;
        }
        size_t cut = utf8_prefix_for_width(line, width - 1);
        printf("%.*s…\n", (int) cut, line);
}

/* Print text indented, wrapped at spaces into lines of at most width columns; at most max_lines, the
 * last cut with an ellipsis if the text goes on. */
static void print_wrapped(const char *text, size_t indent, size_t width, int max_lines) {
        size_t room = width > indent + 20 ? width - indent : 20;
        for (int n = 1; *text; n++) {
                if (utf8_width(text) <= room || n == max_lines) {
                        printf("%*s", (int) indent, "");
                        print_fitted(text, room);
                        return;
                }
                size_t cut = utf8_prefix_for_width(text, room);
                size_t at = cut;
                while (at > cut / 2 && text[at] != ' ')
                        at--;
                if (text[at] != ' ')
                        at = cut;
                printf("%*s%.*s\n", (int) indent, "", (int) at, text);
                text += at;
                while (*text == ' ')
                        text++;
        }
}

/* The deliveries that did not go: what, to whom, how often tried, when next, and on a line of its own
 * the last error, the part an operator acts on. */
static void print_outbox(json_t *status) {
        json_t *outbox = json_object_get(status, "outbox"), *problems = json_object_get(outbox, "problems");
        size_t width = table_default_width();
        printf(_("Outbox:\n"));
        const struct ctl_figure figures[] = {
                {_("delivered today"), json_integer_value(json_object_get(outbox, "delivered_today"))},
                {_("delivered in the last 7 days"), json_integer_value(json_object_get(outbox, "delivered_7_days"))},
                {_("waiting for a first try"), json_integer_value(json_object_get(outbox, "pending"))},
                {_("being retried"), json_integer_value(json_object_get(outbox, "retrying"))},
                {_("failed"), json_integer_value(json_object_get(outbox, "failed"))},
        };
        ctl_print_figures("  ", figures, ELEMENTSOF(figures));
        /* The state of each delivery shown, padded to the longest. */
        const char *failed = _("failed"), *retrying = _("being retried");
        size_t state_width = utf8_width(failed) > utf8_width(retrying) ? utf8_width(failed) : utf8_width(retrying);
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p) {
                if (i == STATUS_MAX_PROBLEMS) {
                        size_t more = json_array_size(problems) - STATUS_MAX_PROBLEMS;
                        printf(plural("... and %zu more delivery (merzimctl status --json lists them all)\n",
                                      "... and %zu more deliveries (merzimctl status --json lists them all)\n", more),
                               more);
                        break;
                }
                long long attempts = json_integer_value(json_object_get(p, "attempts"));
                _cleanup_free_ char *next = short_time(p, "next_attempt_at");
                const char *state = streq_ptr(json_string_value(json_object_get(p, "state")), "failed") ? failed
                                                                                                       : retrying;
                long long id = json_integer_value(json_object_get(p, "id"));
                const char *agency = json_string_value(json_object_get(p, "agency"));
                const char *stage = json_string_value(json_object_get(p, "stage"));
                const char *channel = streq_ptr(json_string_value(json_object_get(p, "channel")), "webhook")
                                              ? _("webhook")
                                              : _("e-mail");
                const char *address = json_string_value(json_object_get(p, "address"));
                _cleanup_free_ char *delivery =
                        next ? xasprintf(plural("#%lld %s %s, %lld attempt, next %s, %s %s",
                                                "#%lld %s %s, %lld attempts, next %s, %s %s", (unsigned long) attempts),
                                         id, agency, stage, attempts, next, channel, address)
                             : xasprintf(plural("#%lld %s %s, %lld attempt, %s %s", "#%lld %s %s, %lld attempts, %s %s",
                                                (unsigned long) attempts),
                                         id, agency, stage, attempts, channel, address);
                _cleanup_free_ char *what = xasprintf("%s%*s %s", state, (int) (state_width - utf8_width(state)), "",
                                                      delivery);
                _cleanup_free_ char *what_shown = utf8_printable(what);
                print_fitted(what_shown, width);
                const char *error = json_string_value(json_object_get(p, "last_error"));
                _cleanup_free_ char *squeezed = utf8_squeeze(error ? error : _("(no error recorded)"));
                _cleanup_free_ char *error_shown = utf8_printable(squeezed);
                print_wrapped(error_shown, 10, width, 3);
        }
        if (json_integer_value(json_object_get(outbox, "failed")) > 0)
                printf(_("To send a failed delivery again once its cause is fixed: merzimctl outbox retry #ID, or "
                         "--failed\n"));
}

int cmd_status(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN},
                {},
        };
        struct status_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, status_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i < argc)
                return ctl_usage_error(ctl, "unexpected argument \"%s\"", argv[i]);
        if (ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;

        json_t *status;
        if (status_build(ctl->store, ctl->config, a.plan, ctl->now, &status) < 0)
                return EXIT_FAILURE;
        if (ctl->json) {
                ctl_print_json(status);
                return EXIT_SUCCESS;
        }
        _cleanup_free_ char *now = short_time(status, "now");
        printf(_("Status at %s (%s)\n"), now, tz_get());
        printf(plural("Due soon: within %d day\n\n", "Due soon: within %d days\n\n", STATUS_DUE_SOON_DAYS),
               STATUS_DUE_SOON_DAYS);
        printf(_("By agency, worst first (an occurrence counts for each of its executors):\n"));
        print_agencies(status);
        printf(_("\nBy plan:\n"));
        print_plans(status);
        printf("\n");
        print_outbox(status);
        json_decref(status);
        return EXIT_SUCCESS;
}
