/* merzimctl deadline: show the dates a deadline phrase gives, as the importer would read it. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "deadline.h"
#include "i18n.h"
#include "utf8.h"
#include "util.h"

struct deadline_args {
        int year_from, year_to;
        const char *plan;
};

enum { OPT_YEARS = 0x2000, OPT_PLAN };

static int deadline_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct deadline_args *a = userdata;
        if (opt == OPT_YEARS) {
                if (ctl_parse_years(arg, &a->year_from, &a->year_to) < 0)
                        return ctl_usage_error(ctl, "--years wants FIRST-LAST, e.g. 2022-2024, not \"%s\"", arg);
                return 0;
        }
        if (opt == OPT_PLAN) {
                a->plan = arg;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

/* The years of a plan's period, for phrases that name none. Returns an exit status. */
static int plan_years(struct ctl *ctl, const char *arg, int *from, int *to) {
        int64_t id;
        int r = ctl_parse_plan(ctl, arg, &id);
        if (r)
                return r;
        if (ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        sqlite3_stmt *st = store_stmt(ctl->store, "SELECT year_from, year_to FROM plan WHERE id = ?");
        if (!st)
                return EXIT_FAILURE;
        sqlite3_bind_int64(st, 1, id);
        bool found = sqlite3_step(st) == SQLITE_ROW;
        if (found) {
                *from = sqlite3_column_int(st, 0);
                *to = sqlite3_column_int(st, 1);
        }
        sqlite3_reset(st);
        if (!found) {
                fprintf(stderr, _("merzimctl deadline: there is no plan %s (see merzimctl plans)\n"), arg);
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}

static const char *weekday_name(day_t d) {
        static const char *const names[] = {N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
                                            N_("Friday"),  N_("Saturday"), N_("Sunday")};
        return names[date_weekday(d) - 1];
}

int cmd_deadline(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"years", required_argument, NULL, OPT_YEARS},
                {"plan", required_argument, NULL, OPT_PLAN},
                {},
        };
        struct deadline_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, deadline_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (argc - i != 1)
                return ctl_usage_error(ctl, "give one deadline phrase, in quotes");
        const char *phrase = argv[i];

        if (a.plan && !a.year_from) {
                int r = plan_years(ctl, a.plan, &a.year_from, &a.year_to);
                if (r != EXIT_SUCCESS)
                        return r;
        }
        struct deadline_rules rules;
        struct deadline_context dctx = {.year_from = a.year_from, .year_to = a.year_to};
        char err[512];
        if (deadline_read(phrase, &dctx, &rules, err, sizeof(err)) < 0) {
                fprintf(stderr, _("merzimctl deadline: cannot read \"%s\": %s\n"), phrase, err);
                return EXIT_FAILURE;
        }
        if (ctl_load_calendar(ctl) < 0)
                return EXIT_FAILURE;

        struct deadline_occurrence *occ;
        int n = deadline_expand_rules(&rules, a.year_from, a.year_to, &occ);
        if (n == -EDOM) {
                fprintf(stderr, _("merzimctl deadline: \"%s\" names no years; give --years FIRST-LAST or --plan ID\n"),
                        phrase);
                return EXIT_FAILURE;
        }
        if (n < 0) {
                fprintf(stderr, "merzimctl deadline: \"%s\": %s\n", phrase, strerror(-n));
                return EXIT_FAILURE;
        }
        char rule[DEADLINE_RULES_TEXT_MAX];
        deadline_format_rules(&rules, rule, sizeof(rule));
        json_t *arr = ctl->json ? json_array() : NULL;
        for (int k = 0; k < n; k++) {
                day_t eff = calendar_effective_due(ctl->calendar, occ[k].nominal, ctl->config->due_shift);
                char nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
                date_format(occ[k].nominal, nominal);
                date_format(eff, effective);
                const char *why = NULL;
                if (eff != occ[k].nominal) {
                        why = calendar_day_off_reason(ctl->calendar, occ[k].nominal, "en");
                        if (!why)
                                why = weekday_name(occ[k].nominal);
                }
                if (arr)
                        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "period", occ[k].period,
                                                             "nominal_due", nominal, "effective_due", effective,
                                                             "rule", rule, "moved_because", why));
                else {
                        /* A weekday in the user's language; a holiday's name as the calendar gives it. */
                        _cleanup_free_ char *why_shown = why ? utf8_printable(_(why)) : NULL;
                        char nominal_shown[DATE_SHOWN_MAX], effective_shown[DATE_SHOWN_MAX];
                        printf("%s\t%s\t%s%s%s\n", date_shown(occ[k].nominal, nominal_shown),
                               date_shown(eff, effective_shown), occ[k].period, why ? "\t" : "", why ? why_shown : "");
                }
        }
        /* The rules that give no date of their own: say what each waits for. */
        for (size_t k = 0; k < rules.n; k++) {
                const struct deadline *dl = &rules.rule[k];
                if (dl->kind != DEADLINE_RELATIVE && dl->kind != DEADLINE_EVENT && dl->kind != DEADLINE_CONTINUOUS)
                        continue;
                char one[DEADLINE_RULES_TEXT_MAX];
                deadline_format(dl, one, sizeof(one));
                if (arr) {
                        json_array_append_new(arr, json_pack("{s:s, s:s?}", "rule", one, "waits_for",
                                                             deadline_waits(dl) ? dl->event : NULL));
                        continue;
                }
                if (dl->kind == DEADLINE_RELATIVE)
                        printf(_("%s\tno date until the event «%s» is recorded (merzimctl event)\n"), one, dl->event);
                else if (dl->kind == DEADLINE_EVENT)
                        printf(_("%s\tno date: given by hand when «%s» happens (merzimctl due)\n"), one, dl->event);
                else
                        printf(_("%s\tno date: tracked, never due\n"), one);
        }
        if (arr)
                ctl_print_json(arr);
        free(occ);
        return EXIT_SUCCESS;
}
