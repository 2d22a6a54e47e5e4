/* merzimctl due, event: give an undated measure its date, or record the event its deadline counts from. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "i18n.h"
#include "dating.h"
#include "log.h"
#include "util.h"

struct dating_args {
        int64_t plan;
        const char *stage;
        const char *note;
};

enum { OPT_PLAN = 0x2000, OPT_STAGE, OPT_NOTE };

static int dating_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct dating_args *a = userdata;
        switch (opt) {
        case OPT_PLAN:
                return ctl_parse_plan(ctl, arg, &a->plan);
        case OPT_STAGE:
                a->stage = arg;
                return 0;
        case OPT_NOTE:
                a->note = arg;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

static int dating_command(struct ctl *ctl, int argc, char **argv, enum dating_kind kind) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN},
                {"stage", required_argument, NULL, OPT_STAGE},
                {"note", required_argument, NULL, OPT_NOTE},
                {},
        };
        struct dating_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, dating_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (argc - i != 2)
                return ctl_usage_error(ctl, "give a measure number and a date (YYYY-MM-DD)");
        unsigned long measure;
        if (parse_uint(argv[i], 100000, &measure) < 0 || measure == 0)
                return ctl_usage_error(ctl, "\"%s\" is not a measure number", argv[i]);
        day_t day;
        if (date_parse(argv[i + 1], &day) < 0)
                return ctl_usage_error(ctl, "\"%s\" is not a date (YYYY-MM-DD)", argv[i + 1]);
        if (ctl_load_calendar(ctl) < 0 || ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        struct dating d = {
                .kind = kind,
                .plan_id = a.plan,
                .measure = (int) measure,
                .stage = a.stage,
                .day = day,
                .actor = ctl->actor,
                .note = a.note,
                .now = ctl->now,
                .cal = ctl->calendar,
                .shift = ctl->config->due_shift,
        };
        struct dating_result res;
        if (dating_set(ctl->store, &d, &res) < 0) {
                if (res.ask)
                        log_error("%s (--%s)", res.error, res.ask);
                else if (res.instead)
                        log_error("%s with merzimctl %s", res.error, res.instead);
                else if (*res.error)
                        log_error("%s", res.error);
                return EXIT_FAILURE;
        }
        if (ctl->json) {
                ctl_print_json(json_pack("{s:i, s:s, s:s, s:s, s:b}", "measure", (int) measure, "period", res.period,
                                         "nominal_due", res.nominal, "effective_due", res.effective, "moved",
                                         res.moved));
                return EXIT_SUCCESS;
        }
        _cleanup_free_ char *nominal = date_text_shown(res.nominal), *effective = date_text_shown(res.effective);
        if (streq(res.nominal, res.effective))
                printf(res.moved ? _("measure %lu, period %s: due %s; moved from the date given before\n")
                                 : _("measure %lu, period %s: due %s; merzimd reminds as for any deadline\n"),
                       measure, res.period, nominal);
        else
                printf(res.moved ? _("measure %lu, period %s: due %s (effective %s, a working day); moved from the date "
                                     "given before\n")
                                 : _("measure %lu, period %s: due %s (effective %s, a working day); merzimd reminds as "
                                     "for any deadline\n"),
                       measure, res.period, nominal, effective);
        return EXIT_SUCCESS;
}

int cmd_due(struct ctl *ctl, int argc, char **argv) {
        return dating_command(ctl, argc, argv, DATING_GIVEN);
}

int cmd_event(struct ctl *ctl, int argc, char **argv) {
        return dating_command(ctl, argc, argv, DATING_EVENT);
}
