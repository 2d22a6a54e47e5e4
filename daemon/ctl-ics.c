/* merzimctl ics: the deadlines as an iCalendar feed, for an agency's calendar program: tasks, or with
 * --events all-day events. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "ics.h"
#include "util.h"

struct ics_args {
        int64_t plan;
        const char *agency;
        bool events;
};

enum { OPT_PLAN = 0x2000, OPT_AGENCY, OPT_EVENTS };

static int ics_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct ics_args *a = userdata;
        switch (opt) {
        case OPT_PLAN:
                return ctl_parse_plan(ctl, arg, &a->plan);
        case OPT_AGENCY:
                a->agency = arg;
                return 0;
        case OPT_EVENTS:
                a->events = true;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

int cmd_ics(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN},
                {"agency", required_argument, NULL, OPT_AGENCY},
                {"events", no_argument, NULL, OPT_EVENTS},
                {},
        };
        struct ics_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, ics_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i < argc)
                return ctl_usage_error(ctl, "unexpected argument \"%s\"", argv[i]);
        if (ctl->json)
                return ctl_usage_error(ctl, "--json does not apply to ics: it prints iCalendar");
        if (ctl_load_calendar(ctl) < 0 || ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        _cleanup_free_ char *agency = NULL;
        int r;
        if (a.agency && (r = ctl_resolve_agency(ctl, a.agency, &agency)) >= 0)
                return r;

        struct ics_options o = {.plan = a.plan, .agency = agency, .now = ctl->now, .events = a.events};
        _cleanup_free_ char *text = NULL;
        r = ics_build(ctl->store, ctl->config, ctl->calendar, &o, &text);
        if (r == -ENOENT) {
                fprintf(stderr, _("merzimctl ics: no plan %lld (see merzimctl plans)\n"), (long long) a.plan);
                return EXIT_FAILURE;
        }
        if (r < 0)
                return EXIT_FAILURE;
        if (fputs(text, stdout) < 0 || fflush(stdout) != 0) {
                fprintf(stderr, _("merzimctl ics: cannot write: %s\n"), strerror(errno));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
