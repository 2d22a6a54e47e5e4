/* merzimctl schedule: the timeline of messages the daemon would send, without sending anything. */
#include "config.h"

#include <stdio.h>

#include "ctl.h"
#include "preview.h"
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

static json_t *channels_json(unsigned channels) {
        json_t *v = json_array();
        if (channels & 1)
                json_array_append_new(v, json_string("email"));
        if (channels & 2)
                json_array_append_new(v, json_string("webhook"));
        return v;
}

static json_t *roles_json(unsigned roles) {
        json_t *v = json_array();
        for (unsigned bit = 1; bit <= ROLE_SUPERVISOR; bit <<= 1)
                if (roles & bit)
                        json_array_append_new(v, json_string(role_name((enum role) bit)));
        return v;
}

static json_t *message_json(const struct config *cfg, const struct message *m) {
        char at[TZ_ISO_MAX], nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
        json_t *items = json_array();
        for (size_t i = 0; i < m->n_items; i++) {
                const struct message_item *it = &m->items[i];
                json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:b}", "plan", it->occ->plan->id, "measure",
                                      it->occ->measure, "period", it->occ->period, "nominal_due",
                                      date_format(it->occ->nominal, nominal), "effective_due",
                                      date_format(it->occ->effective, effective), "stage", it->stage.name,
                                      "by_agreement", it->by_agreement);
                json_t *fwd = json_array();
                for (size_t k = 0; k < it->n_forwarded; k++)
                        json_array_append_new(fwd, json_string(it->forwarded[k].code));
                json_object_set_new(o, "forwarded_for", fwd);
                json_object_set_new(o, "roles", roles_json(it->roles));
                json_object_set_new(o, "days_left", json_integer(it->occ->effective - m->day));
                json_array_append_new(items, o);
        }
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "at", tz_format(m->at, at), "kind", m->kind, "stage", m->stage,
                              "recipient", m->recipient);
        json_object_set_new(o, "channels", channels_json(schedule_channels(cfg, m->recipient)));
        json_object_set_new(o, "items", items);
        json_object_set_new(o, "key", json_string(m->key));
        return o;
}

static void print_table(const struct config *cfg, const struct schedule *sched) {
        struct table *t = table_new((const char *const[]) {"AT", "KIND", "STAGE", "~RECIPIENT", "VIA",
                                                          "~MEASURES (PERIOD)", NULL});
        for (size_t i = 0; i < sched->n_messages; i++) {
                const struct message *m = &sched->messages[i];
                char at[TZ_ISO_MAX];
                tz_format(m->at, at);
                at[16] = 0; /* "YYYY-MM-DDTHH:MM" */
                at[10] = ' ';
                struct buf items = {0};
                for (size_t k = 0; k < m->n_items; k++)
                        buf_printf(&items, "%s%d (%s)", k ? ", " : "", m->items[k].occ->measure, m->items[k].occ->period);
                unsigned ch = schedule_channels(cfg, m->recipient);
                const char *via = ch == 3 ? "e-mail, webhook" : ch == 2 ? "webhook" : ch == 1 ? "e-mail" : "no contact";
                _cleanup_free_ char *list = buf_steal(&items);
                table_add(t, (const char *const[]) {at, m->kind, m->stage, m->recipient, via, list});
        }
        if (table_rows(t))
                table_print(t, stdout, table_default_width());
        printf(plural("%zu message\n", "%zu messages\n", sched->n_messages), sched->n_messages);
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

        struct policy p;
        policy_from_config(ctl->config, &p);
        struct occurrence_set occs;
        struct schedule sched;
        int r = preview_build(ctl->store, ctl->config, ctl->calendar, &p, &o, &occs, &sched);
        if (r >= 0) {
                if (ctl->json) {
                        json_t *arr = json_array();
                        for (size_t k = 0; k < sched.n_messages; k++)
                                json_array_append_new(arr, message_json(ctl->config, &sched.messages[k]));
                        ctl_print_json(arr);
                } else {
                        print_table(ctl->config, &sched);
                }
        }
        schedule_clear(&sched);
        occurrence_set_clear(&occs);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
