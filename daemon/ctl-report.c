/* merzimctl report: the execution report a coordinator sends up, as CSV, JSON or a Markdown table. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "date.h"
#include "report.h"
#include "util.h"

struct report_args {
        int64_t plan;
        const char *from, *to;
        const char *format;
        bool bom;
};

enum { OPT_PLAN = 0x2000, OPT_FROM, OPT_TO, OPT_FORMAT, OPT_BOM };

/* Take the report command's own options: --plan, --from, --to, --format, --bom. */
static int report_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct report_args *a = userdata;
        day_t d;
        switch (opt) {
        case OPT_PLAN:
                return ctl_parse_plan(ctl, arg, &a->plan);
        case OPT_FROM:
        case OPT_TO:
                if (date_parse(arg, &d) < 0)
                        return ctl_usage_error(ctl, "%s wants a date YYYY-MM-DD, not \"%s\"",
                                               opt == OPT_FROM ? "--from" : "--to", arg);
                *(opt == OPT_FROM ? &a->from : &a->to) = arg;
                return 0;
        case OPT_FORMAT:
                if (!streq(arg, "csv") && !streq(arg, "json") && !streq(arg, "md"))
                        return ctl_usage_error(ctl, "--format wants csv, json or md, not \"%s\"", arg);
                a->format = arg;
                return 0;
        case OPT_BOM:
                a->bom = true;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

int cmd_report(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN},     {"from", required_argument, NULL, OPT_FROM},
                {"to", required_argument, NULL, OPT_TO},         {"format", required_argument, NULL, OPT_FORMAT},
                {"bom", no_argument, NULL, OPT_BOM},             {},
        };
        struct report_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, report_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i < argc)
                return ctl_usage_error(ctl, "unexpected argument \"%s\"", argv[i]);
        if (ctl->json && a.format && !streq(a.format, "json"))
                return ctl_usage_error(ctl, "--json and --format %s contradict each other", a.format);
        const char *format = ctl->json ? "json" : a.format;
        if (!format)
                return ctl_usage_error(ctl, "give --format csv, json or md");
        if (a.bom && !streq(format, "csv"))
                return ctl_usage_error(ctl, "--bom applies to --format csv only");
        if (a.from && a.to && strcmp(a.from, a.to) > 0)
                return ctl_usage_error(ctl, "--from %s is after --to %s", a.from, a.to);
        if (ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;

        struct report_options o = {.plan_id = a.plan, .from = a.from, .to = a.to, .now = ctl->now};
        json_t *rows;
        if (report_build(ctl->store, &o, &rows) < 0)
                return EXIT_FAILURE;
        int r = 0;
        if (streq(format, "json")) {
                ctl_print_json(rows);
                rows = NULL;
        } else if (streq(format, "csv")) {
                r = report_write_csv(rows, a.bom, stdout);
        } else {
                r = report_write_md(rows, stdout);
        }
        json_decref(rows);
        if (r >= 0 && fflush(stdout) != 0)
                r = -errno;
        if (r < 0) {
                fprintf(stderr, _("merzimctl report: cannot write the report: %s\n"), strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
