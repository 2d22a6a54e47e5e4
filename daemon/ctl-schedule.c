/* merzimctl schedule: the timeline of messages the daemon would send, without sending anything. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "i18n.h"
#include "preview.h"
#include "render.h"
#include "table.h"
#include "tzone.h"
#include "util.h"

struct schedule_args {
        const char *from, *to, *agency;
};

enum { OPT_FROM = 0x2000, OPT_TO, OPT_AGENCY };

static int schedule_option(struct ctl *ctl, int opt, const char *arg, void *userdata) {
        struct schedule_args *a = userdata;
        int64_t t;
        switch (opt) {
        case OPT_FROM:
        case OPT_TO:
                if (tz_parse(arg, &t) < 0)
                        return ctl_usage_error(ctl, "%s wants YYYY-MM-DD[THH:MM], not \"%s\"",
                                               opt == OPT_FROM ? "--from" : "--to", arg);
                *(opt == OPT_FROM ? &a->from : &a->to) = arg;
                return 0;
        case OPT_AGENCY:
                a->agency = arg;
                return 0;
        }
        return ctl_usage_error(ctl, "unexpected option");
}

/* The kind of a message in the table, in the user's language (JSON keeps the English word). */
static const char *kind_shown(const char *kind) {
        static const char *const kinds[][2] = {
                /* TRANSLATORS: kinds of message merzimd sends (merzimctl schedule's KIND column): a reminder
                 * before the deadline, on the day itself, an escalation after it was missed, a digest of
                 * several, and a catch-up after the daemon was down. */
                {"reminder", N_("reminder")},     {"due", N_("due today")}, {"escalation", N_("escalation")},
                {"digest", N_("digest")},         {"catch-up", N_("catch-up")},
        };
        for (size_t i = 0; kind && i < ELEMENTSOF(kinds); i++)
                if (streq(kind, kinds[i][0]))
                        return _(kinds[i][1]);
        return kind;
}

/* The table of the messages, from their JSON. */
static void print_table(json_t *messages) {
        struct table *t = table_new((const char *const[]) {N_("AT"), N_("KIND"), N_("STAGE"), "~" N_("RECIPIENT"),
                                                          N_("VIA"), "~" N_("MEASURES (PERIOD)"), NULL});
        size_t i, k;
        json_t *m, *it;
        json_array_foreach(messages, i, m) {
                char at[TZ_ISO_MAX];
                snprintf(at, sizeof(at), "%s", json_string_value(json_object_get(m, "at")));
                at[16] = 0; /* "YYYY-MM-DDTHH:MM" */
                at[10] = ' ';
                _cleanup_free_ char *at_shown = date_text_shown(at);
                struct buf items = {0};
                json_array_foreach(json_object_get(m, "items"), k, it)
                        /* A no-break space: a measure and its period stay on one line of the cell. */
                        buf_printf(&items, "%s%" JSON_INTEGER_FORMAT "\u00a0(%s)", k ? ", " : "",
                                   json_integer_value(json_object_get(it, "measure")),
                                   json_string_value(json_object_get(it, "period")));
                json_t *channels = json_object_get(m, "channels");
                size_t n = json_array_size(channels);
                const char *via = n == 2 ? _("e-mail, webhook")
                                  : n == 0 ? _("no contact")
                                  : streq(json_string_value(json_array_get(channels, 0)), "webhook") ? _("webhook")
                                                                                                      : _("e-mail");
                _cleanup_free_ char *list = buf_steal(&items);
                table_add(t, (const char *const[]) {at_shown, kind_shown(json_string_value(json_object_get(m, "kind"))),
                                                   json_string_value(json_object_get(m, "stage")),
                                                   json_string_value(json_object_get(m, "recipient")), via,
                                                   list ? list : ""});
        }
        if (table_rows(t))
                table_print(t, stdout, table_default_width());
        size_t n = json_array_size(messages);
        printf(plural("%zu message\n", "%zu messages\n", n), n);
        table_free(t);
}

int cmd_schedule(struct ctl *ctl, int argc, char **argv) {
        static const struct option opts[] = {
                {"from", required_argument, NULL, OPT_FROM},
                {"to", required_argument, NULL, OPT_TO},
                {"agency", required_argument, NULL, OPT_AGENCY},
                {},
        };
        struct schedule_args a = {0};
        int i = ctl_parse(ctl, argc, argv, NULL, opts, schedule_option, &a);
        if (i < 0)
                return i == -1 ? EXIT_SUCCESS : -i;
        if (i < argc)
                return ctl_usage_error(ctl, "unexpected argument \"%s\"", argv[i]);
        if (ctl_load_calendar(ctl) < 0 || ctl_open_store(ctl) < 0)
                return EXIT_FAILURE;
        _cleanup_free_ char *agency = NULL;
        if (a.agency) {
                int r = ctl_resolve_agency(ctl, a.agency, &agency);
                if (r >= 0)
                        return r;
        }

        /* Dates are local: --to 2024-07-31 means the end of that day. */
        struct preview_options o = {.now = ctl->now, .agency = agency};
        o.start = ctl->now_arg != NULL || !a.from;
        if (a.from)
                tz_parse(a.from, &o.from);
        else
                o.from = ctl->now;
        if (a.to) {
                tz_parse(a.to, &o.to);
                if (strlen(a.to) == 10)
                        o.to += 86400 - 1;
        } else {
                o.to = o.from + 30 * 86400;
        }
        if (o.to < o.from)
                return ctl_usage_error(ctl, "--to is before --from");

        /* The templates render each message as merzimd would (and fail as they would). */
        struct templates *templates = NULL;
        struct errlist errs = {0};
        int r = templates_load(ctl->config->templates, &templates, &errs);
        for (size_t k = 0; k < errs.n; k++)
                fprintf(stderr, "%s\n", errs.msgs[k]);
        errlist_clear(&errs);
        json_t *messages = NULL;
        if (r >= 0)
                r = preview_run(ctl->store, ctl->config, ctl->calendar, templates, &o, &messages);
        if (r >= 0) {
                if (ctl->json) {
                        ctl_print_json(messages);
                } else {
                        print_table(messages);
                        json_decref(messages);
                }
        }
        templates_free(templates);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
