/* merzimctl: the operator's command-line tool for merzim. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "i18n.h"
#include "log.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

static const struct command {
        const char *name;
        int (*run)(struct ctl *ctl, int argc, char **argv);
        const char *args;
        const char *summary;
} commands[] = {
        {"import", cmd_import, "FILE [--dry-run] [--strict] [--coordinator CODE] [--years A-B]",
         N_("import a plan from its web page (HTML), Word document (.docx) or text")},
        {"deadline", cmd_deadline, "[--years A-B | --plan ID] PHRASE", N_("show the dates a deadline phrase gives")},
        {"plans", cmd_plans, "", N_("list the plans")},
        {"measures", cmd_measures, "[--agency CODE] [--plan ID] [--undated]", N_("list measures")},
        {"due", cmd_due, "MEASURE DATE [--stage S] [--note TEXT] [--plan ID]", N_("give an undated measure its date")},
        {"event", cmd_event, "MEASURE DATE [--stage S] [--note TEXT] [--plan ID]",
         N_("record the date of the event a measure's deadline counts from")},
        {"agencies", cmd_agencies, "[--plan ID]", N_("list agencies and how many measures each has")},
        {"occurrences", cmd_occurrences,
         "[--status pending|done|waived|overdue] [--agency CODE] [--measure N] [--plan ID]",
         N_("list the dated deadlines")},
        {"done", cmd_done, "MEASURE [--period P] [--note TEXT] [--by WHO] [--at DATE] [--plan ID]",
         N_("mark an occurrence done")},
        {"reopen", cmd_reopen, "MEASURE [--period P] [--note TEXT] [--plan ID]", N_("mark an occurrence pending again")},
        {"waive", cmd_waive, "MEASURE [--period P] --note TEXT [--plan ID]", N_("waive an occurrence, with a reason")},
        {"schedule", cmd_schedule, "[--from DATE] [--to DATE] [--agency CODE] [--now TIME]",
         N_("the messages the daemon would send (default: the next 30 days)")},
        {"ics", cmd_ics, "[--events] [--agency CODE] [--plan ID]",
         N_("the deadlines as an iCalendar feed (RFC 5545), to stdout")},
        {"status", cmd_status, "[--plan ID]", N_("the morning status: agencies worst first, plan totals, the outbox")},
        {"report", cmd_report, "--format csv|json|md [--bom] [--plan ID] [--from DATE] [--to DATE]",
         N_("the execution report: one row per measure and period")},
        {"outbox", cmd_outbox, "retry ID | retry --failed [--agency CODE]",
         N_("send a failed delivery again, once its cause is fixed")},
        {"token", cmd_token, "new AGENCY | new --coordinator [--name NAME] [--feed]",
         N_("make a bearer token for the HTTP interface (--feed: one that only reads the calendar feed)")},
};

static void usage(FILE *f) {
        fprintf(f, _("Usage: merzimctl [-c FILE] COMMAND [OPTIONS]\n\nCommands:\n"));
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                fprintf(f, "  %-12s %s\n  %-12s   %s\n", commands[i].name, commands[i].args, "",
                        _(commands[i].summary));
        fprintf(f, _("\nOptions of every command:\n"
                   "  -c, --config FILE  the configuration (default $MERZIM_CONFIG or %s;\n"
                   "                     without one built-in defaults apply and the database is ./merzim.db)\n"
                   "      --json         print JSON instead of a table\n"
                   "      --now TIME     take TIME (YYYY-MM-DDTHH:MM) as the current time, for tests and demos\n"
                   "  -h, --help         show this help\n"
                   "  -V, --version      show the version (before the command)\n"),
                   CONFIG_DEFAULT_PATH);
}

static void command_usage(const struct ctl *ctl, FILE *f) {
        fprintf(f, _("Usage: merzimctl %s %s\n"), ctl->command, ctl->usage);
}

int ctl_usage_error(struct ctl *ctl, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "merzimctl %s: ", ctl->command);
        vfprintf(stderr, _(fmt), ap);
        fputc('\n', stderr);
        va_end(ap);
        command_usage(ctl, stderr);
        return EXIT_USAGE;
}

enum { OPT_JSON = 0x1000, OPT_NOW };

int ctl_parse(struct ctl *ctl, int argc, char **argv, const char *shortopts, const struct option *longopts,
              ctl_option_fn fn, void *userdata) {
        static const struct option common[] = {
                {"config", required_argument, NULL, 'c'},
                {"json", no_argument, NULL, OPT_JSON},
                {"now", required_argument, NULL, OPT_NOW},
                {"help", no_argument, NULL, 'h'},
        };
        size_t n = 0;
        while (longopts && longopts[n].name)
                n++;
        struct option *all = xcalloc(n + ELEMENTSOF(common) + 1, sizeof(struct option));
        memcpy(all, common, sizeof(common));
        if (n)
                memcpy(all + ELEMENTSOF(common), longopts, n * sizeof(struct option));
        _cleanup_free_ char *shorts = xasprintf(":c:h%s", shortopts ? shortopts : "");

        optind = 0; /* glibc: start over, forgetting the scan of main()'s options */
        opterr = 0;
        int opt, r = 0;
        while (r == 0 && (opt = getopt_long(argc, argv, shorts, all, NULL)) >= 0) {
                switch (opt) {
                case 'c':
                        free(ctl->config_path);
                        ctl->config_path = xstrdup(optarg);
                        break;
                case OPT_JSON:
                        /* What --json prints is the same in every language: its warnings too. */
                        ctl->json = true;
                        i18n_use_english();
                        break;
                case OPT_NOW:
                        /* Checked here, read once the configured time zone is set. */
                        if (tz_parse(optarg, &ctl->now) < 0)
                                r = ctl_usage_error(ctl, "--now wants YYYY-MM-DD[THH:MM[:SS]], not \"%s\"", optarg);
                        ctl->now_arg = optarg;
                        break;
                case 'h':
                        command_usage(ctl, stdout);
                        free(all);
                        return -1;
                case ':':
                        r = ctl_usage_error(ctl, "option %s needs a value", argv[optind - 1]);
                        break;
                case '?':
                        r = ctl_usage_error(ctl, "unknown option %s", argv[optind - 1]);
                        break;
                default:
                        r = fn ? fn(ctl, opt, optarg, userdata) : ctl_usage_error(ctl, "unexpected option");
                }
        }
        free(all);
        return r ? -r : optind;
}

int ctl_load_config(struct ctl *ctl) {
        if (ctl->config)
                return 0;
        struct errlist errs = {0};
        int r = config_load_flags(ctl->config_path, CONFIG_NO_SECRETS, &ctl->config, &errs);
        for (size_t i = 0; i < errs.n; i++)
                fprintf(stderr, "%s\n", errs.msgs[i]);
        errlist_clear(&errs);
        if (r < 0)
                return r;
        r = tz_set(ctl->config->timezone);
        if (r < 0) {
                fprintf(stderr, _("merzimctl: unknown time zone \"%s\" (see /usr/share/zoneinfo)\n"),
                        ctl->config->timezone);
                return r;
        }
        /* --now is local time in the configured zone. */
        if (ctl->now_arg)
                tz_parse(ctl->now_arg, &ctl->now);
        return 0;
}

/* Run as the owner of the database's directory: merzimctl run by root must not leave files in merzimd's
 * state directory that merzimd cannot write, nor write as root where that owner says (a symbolic link
 * planted as the database; store_open refuses one, and a database that is not the directory owner's). */
static int become_database_owner(const char *database) {
        if (geteuid() != 0)
                return 0;
        struct stat st;
        _cleanup_free_ char *dir = path_dirname(database);
        if (stat(dir, &st) < 0 || st.st_uid == 0)
                return 0;
        if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0) {
                int r = -errno;
                fprintf(stderr, _("merzimctl: cannot run as the owner (uid %u) of %s: %s\n"), (unsigned) st.st_uid,
                        dir, strerror(-r));
                return r;
        }
        return 0;
}

int ctl_open_store(struct ctl *ctl) {
        if (ctl->store)
                return 0;
        int r = ctl_load_config(ctl);
        if (r >= 0)
                r = become_database_owner(ctl->config->database);
        if (r < 0)
                return r;
        /* Only an import makes a database: a command that reads one must not leave an empty one behind. */
        return store_open(ctl->config->database, ctl->may_create ? 0 : STORE_EXISTING, &ctl->store);
}

int ctl_load_calendar(struct ctl *ctl) {
        if (ctl->calendar)
                return 0;
        int r = ctl_load_config(ctl);
        if (r < 0)
                return r;
        struct errlist errs = {0};
        if (ctl->config->calendar)
                r = calendar_load_file(ctl->config->calendar, &ctl->calendar, &errs);
        else
                r = calendar_load_builtin(&ctl->calendar, &errs);
        for (size_t i = 0; i < errs.n; i++)
                fprintf(stderr, "%s\n", errs.msgs[i]);
        if (r < 0 && errs.n == 0)
                fprintf(stderr, _("merzimctl: cannot load the calendar %s: %s\n"), ctl->config->calendar,
                        strerror(-r));
        errlist_clear(&errs);
        return r;
}

/* Who runs merzimctl, for the history: "merzimctl (user)", read before privileges are dropped. */
static char *actor_of_process(void) {
        struct passwd *pw = getpwuid(getuid());
        return xasprintf("merzimctl (%s)", pw ? pw->pw_name : "?");
}

void ctl_print_figures(const char *indent, const struct ctl_figure *figures, size_t n) {
        size_t label_width = 0, digits = 1;
        for (size_t i = 0; i < n; i++) {
                size_t w = utf8_width(figures[i].label);
                label_width = w > label_width ? w : label_width;
                int d = snprintf(NULL, 0, "%lld", figures[i].value);
                digits = (size_t) d > digits ? (size_t) d : digits;
        }
        for (size_t i = 0; i < n; i++)
                printf("%s%s:%*s %*lld\n", indent, figures[i].label,
                       (int) (label_width - utf8_width(figures[i].label)), "", (int) digits, figures[i].value);
}

void ctl_print_json(json_t *v) {
        _cleanup_free_ char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(v);
        if (!s)
                return;
        /* jansson escapes C0 controls in strings (a raw line end is its indentation); DEL, C1 controls and
         * the bidirectional ones it writes as they are, and they can only be inside strings, where \uXXXX
         * means the same. */
        struct buf b = {0};
        const char *p = s, *end = s + strlen(s);
        while (p < end) {
                const char *start = p;
                int32_t c = utf8_decode(&p, end);
                if (c >= 0 && c != '\n' && unicode_is_control((uint32_t) c))
                        buf_printf(&b, "\\u%04x", (unsigned) c);
                else
                        buf_append(&b, start, (size_t) (p - start));
        }
        puts(b.data);
        buf_free(&b);
}

int ctl_parse_years(const char *s, int *from, int *to) {
        char tail;
        if (sscanf(s, "%d-%d%c", from, to, &tail) != 2 || *from < 1900 || *to > 2199 || *from > *to)
                return -EINVAL;
        return 0;
}

int ctl_parse_plan(struct ctl *ctl, const char *arg, int64_t *ret) {
        unsigned long v;
        if (parse_uint(arg, INT32_MAX, &v) < 0 || v == 0)
                return ctl_usage_error(ctl, "--plan wants a plan number (see merzimctl plans), not \"%s\"", arg);
        *ret = (int64_t) v;
        return 0;
}

int ctl_resolve_agency(struct ctl *ctl, const char *arg, char **ret) {
        sqlite3_stmt *st = store_stmt(ctl->store, "SELECT code FROM agency ORDER BY code");
        if (!st)
                return EXIT_FAILURE;
        _cleanup_free_ char *want = utf8_fold(arg);
        struct buf want_bare = {0}, candidates = {0};
        for (const char *p = want; *p; p++)
                if (!strchr("\"'«»", *p))
                        buf_putc(&want_bare, *p);
        char *found = NULL;
        int n = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *code = stmt_text(st, 0);
                if (streq(code, arg)) {
                        free(found);
                        found = xstrdup(code);
                        n = 1;
                        break;
                }
                _cleanup_free_ char *f = utf8_fold(code);
                struct buf bare = {0};
                for (const char *p = f; *p; p++)
                        if (!strchr("\"'«»", *p))
                                buf_putc(&bare, *p);
                if (want_bare.data && bare.data && streq(bare.data, want_bare.data)) {
                        buf_printf(&candidates, "%s%s", n ? ", " : "", code);
                        if (!n++)
                                found = xstrdup(code);
                }
                buf_free(&bare);
        }
        sqlite3_reset(st);
        buf_free(&want_bare);
        _cleanup_free_ char *list = buf_steal(&candidates);
        if (n == 1) {
                *ret = found;
                return -1;
        }
        free(found);
        /* An agency that only the configuration knows (a supervisor, say) is taken as written. */
        if (n == 0 && ctl->config && config_agency(ctl->config, arg)) {
                *ret = xstrdup(arg);
                return -1;
        }
        if (n == 0)
                fprintf(stderr, _("merzimctl %s: no agency \"%s\" (see merzimctl agencies)\n"), ctl->command, arg);
        else
                fprintf(stderr, _("merzimctl %s: \"%s\" could be any of: %s\n"), ctl->command, arg, list);
        return EXIT_FAILURE;
}

int main(int argc, char **argv) {
        i18n_init();
        log_open("merzimctl");
        struct ctl ctl = {.now = (int64_t) time(NULL)};
        /* The database and reports hold what agencies reported: not for other users to read; the group
         * (operators, merzim) shares the database. */
        umask(0007);

        /* Options before the command: -c FILE, -h. */
        static const struct option opts[] = {
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        opterr = 0;
        int opt;
        while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) >= 0) {
                switch (opt) {
                case 'c':
                        ctl.config_path = xstrdup(optarg);
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_SUCCESS;
                case 'V':
                        puts(PACKAGE_STRING);
                        return EXIT_SUCCESS;
                default:
                        fprintf(stderr, _("merzimctl: unknown option %s\n"), argv[optind - 1]);
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, _("merzimctl: no command given\n"));
                usage(stderr);
                return EXIT_USAGE;
        }

        const struct command *cmd = NULL;
        for (size_t i = 0; i < ELEMENTSOF(commands); i++)
                if (streq(argv[optind], commands[i].name))
                        cmd = &commands[i];
        if (!cmd) {
                fprintf(stderr, _("merzimctl: unknown command \"%s\"\n"), argv[optind]);
                usage(stderr);
                return EXIT_USAGE;
        }
        ctl.command = cmd->name;
        ctl.usage = cmd->args;
        ctl.may_create = cmd->run == cmd_import;
        ctl.actor = actor_of_process();
        int r = cmd->run(&ctl, argc - optind, argv + optind);

        store_close(ctl.store);
        calendar_free(ctl.calendar);
        config_free(ctl.config);
        free(ctl.config_path);
        free(ctl.actor);
        return r;
}
