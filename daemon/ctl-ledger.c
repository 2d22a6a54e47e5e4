/* merzimctl done, reopen, waive: record what happened to a deadline. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "i18n.h"
#include "ledger.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

struct ledger_args {
        int64_t plan;
        const char *period;
        const char *note;
        const char *by;
        const char *at_arg; /* read once the configured time zone is set */
        int64_t at;
};

enum { OPT_PLAN = 0x2000, OPT_PERIOD, OPT_NOTE, OPT_BY, OPT_AT };

static int ledger_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct ledger_args *a = userdata;
        switch (opt) {
        case OPT_PLAN:
                return ctl_parse_plan(ctl, arg, &a->plan);
        case OPT_PERIOD:
                a->period = arg;
                return 0;
        case OPT_NOTE:
        case OPT_BY: {
                /* What is recorded is shown later on terminals and pages: plain text (a note may have lines). */
                int control = utf8_find_control(arg, opt == OPT_NOTE ? "\n\t" : NULL);
                if (control >= 0)
                        return ctl_usage_error(ctl, "%s has a control character (U+%04X): plain text, please",
                                               opt == OPT_NOTE ? "--note" : "--by", (unsigned) control);
                *(opt == OPT_NOTE ? &a->note : &a->by) = arg;
                return 0;
        }
        case OPT_AT:
                if (tz_parse(arg, &a->at) < 0)
                        return ctl_usage_error(ctl, "--at wants YYYY-MM-DD[THH:MM], not \"%s\"", arg);
                a->at_arg = arg;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

/* Parse, find the occurrence and change its status; status is "done", "pending" or "waived". */
static int change(struct ctl *ctl, int argc, char **argv, const char *status, const struct option *opts) {
        struct ledger_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, ledger_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (argc - i != 1)
                return ctl_usage_error(ctl, "give one measure number");
        unsigned long measure;
        if (parse_uint(argv[i], 100000, &measure) < 0 || measure == 0)
                return ctl_usage_error(ctl, "\"%s\" is not a measure number", argv[i]);
        if (streq(status, "waived") && isempty(a.note))
                return ctl_usage_error(ctl, "waiving needs a reason: --note TEXT");
        if (ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        if (a.at_arg)
                tz_parse(a.at_arg, &a.at);
        if (a.at > ctl->now) {
                fprintf(stderr, _("merzimctl %s: --at is in the future\n"), ctl->command);
                return EXIT_FAILURE;
        }

        int64_t id;
        if (ledger_find(ctl->store, a.plan, (int) measure, a.period, &id) < 0)
                return EXIT_FAILURE;
        struct status_change c = {
                .status = status,
                .actor = ctl->actor,
                .done_by = a.by,
                .note = a.note,
                .done_at = a.at,
                .now = ctl->now,
        };
        int r = ledger_set_status(ctl->store, id, &c);
        sqlite3_stmt *st = store_stmt(ctl->store, "SELECT m.number, o.period, o.effective_due, o.status FROM occurrence o "
                                                  "JOIN measure m ON m.id = o.measure_id WHERE o.id = ?");
        if (!st)
                return EXIT_FAILURE;
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
                _cleanup_free_ char *period = utf8_printable(stmt_text(st, 1));
                _cleanup_free_ char *due_iso = utf8_printable(stmt_text(st, 2));
                _cleanup_free_ char *due = date_text_shown(due_iso);
                const char *now = stmt_text(st, 3);
                const char *number = stmt_text(st, 0);
                if (r == -EALREADY)
                        printf(streq(now, "done")     ? _("measure %s, period %s (due %s) is already done; nothing changed\n")
                               : streq(now, "waived") ? _("measure %s, period %s (due %s) is already waived; nothing "
                                                          "changed\n")
                                                      : _("measure %s, period %s (due %s) is already pending; nothing "
                                                          "changed\n"),
                               number, period, due);
                else if (r >= 0)
                        printf(streq(now, "done")     ? _("measure %s, period %s (due %s) is now done\n")
                               : streq(now, "waived") ? _("measure %s, period %s (due %s) is now waived\n")
                                                      : _("measure %s, period %s (due %s) is now pending\n"),
                               number, period, due);
        }
        sqlite3_reset(st);
        return r < 0 && r != -EALREADY ? EXIT_FAILURE : EXIT_SUCCESS;
}

int cmd_done(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN}, {"period", required_argument, NULL, OPT_PERIOD},
                {"note", required_argument, NULL, OPT_NOTE}, {"by", required_argument, NULL, OPT_BY},
                {"at", required_argument, NULL, OPT_AT},     {},
        };
        return change(ctl, argc, argv, "done", opts);
}

int cmd_reopen(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN},
                {"period", required_argument, NULL, OPT_PERIOD},
                {"note", required_argument, NULL, OPT_NOTE},
                {},
        };
        return change(ctl, argc, argv, "pending", opts);
}

int cmd_waive(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"plan", required_argument, NULL, OPT_PLAN},
                {"period", required_argument, NULL, OPT_PERIOD},
                {"note", required_argument, NULL, OPT_NOTE},
                {},
        };
        return change(ctl, argc, argv, "waived", opts);
}
