/* The messages the daemon would send over a window of time, by the daemon's own planner and notifier on
 * a copy of the database. */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "notifier.h"
#include "planner.h"
#include "policy.h"
#include "preview.h"
#include "tzone.h"
#include "util.h"

#define PLAN_BATCH 20000    /* as merzimd */
#define NOTIFY_BATCH 5000
#define MAX_WAKEUPS 1000000 /* a bound, should a plan never move on */

/* What the preview gathers as the notifier writes. */
struct gather {
        const struct config *cfg;
        const char *agency;
        bool on; /* the wake-up is in the window */
        json_t *messages;
};

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

/* A message as `merzimctl schedule --json` shows it. */
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

/* Whether a message concerns the agency: to it, or meant for it. */
static bool concerns(const struct message *m, const char *agency) {
        if (streq(m->recipient, agency))
                return true;
        for (size_t i = 0; i < m->n_items; i++)
                for (size_t k = 0; k < m->items[i].n_forwarded; k++)
                        if (streq(m->items[i].forwarded[k].code, agency))
                                return true;
        return false;
}

/* The notifier wrote a message (in the copy). */
static void on_written(const struct message *m, int64_t notification_id _unused_, void *userdata) {
        struct gather *g = userdata;
        if (g->on && (!g->agency || concerns(m, g->agency)))
                json_array_append_new(g->messages, message_json(g->cfg, m));
}

/* One wake-up of merzimd at t: plan what needs planning, then write every message due by t. */
static int wake_up(struct planner *pl, struct notifier *nt, int64_t t) {
        int r;
        do
                r = planner_run(pl, t, PLAN_BATCH);
        while (r == PLAN_BATCH);
        bool more = r >= 0;
        while (r >= 0 && more)
                r = notifier_run(nt, t, NOTIFY_BATCH, &more);
        notifier_drop(nt);
        return r < 0 ? r : 0;
}

/* Run merzimd's steps on the copy over the window. */
static int simulate(struct store *copy, const struct config *cfg, const struct calendar *cal,
                    const struct templates *t, const struct preview_options *o, struct gather *g) {
        struct policy policy;
        policy_from_config(cfg, &policy);
        _cleanup_free_ char *fingerprint = policy_fingerprint(&policy, cal, cfg->timezone);
        struct planner pl = {.store = copy, .policy = &policy, .calendar = cal, .due_shift = cfg->due_shift};
        int r = planner_revision(copy, fingerprint, &pl.rev);
        if (r < 0)
                return r;
        struct notifier nt = {.store = copy, .cfg = cfg, .calendar = cal, .policy = &policy, .templates = t,
                              .planner = &pl, .written = on_written, .written_data = g};

        if (!o->start) {
                /* As if merzimd had always run: every stage before the window went out in its time. */
                struct policy before = policy;
                before.catch_up = CATCH_UP_SKIP;
                before.late_after_minutes = 0;
                nt.policy = &before;
                r = wake_up(&pl, &nt, o->from - 1);
                nt.policy = &policy;
                if (r < 0)
                        return r;
        }
        int64_t at = o->start ? o->now : notifier_next(copy);
        for (size_t i = 0; i < MAX_WAKEUPS && at <= o->to; i++) {
                g->on = at >= o->from;
                r = wake_up(&pl, &nt, at);
                if (r < 0)
                        return r;
                int64_t next = notifier_next(copy);
                if (next == INT64_MAX)
                        break;
                at = next > at ? next : at + 1;
        }
        return 0;
}

int preview_run(struct store *s, const struct config *cfg, const struct calendar *cal, const struct templates *t,
                const struct preview_options *o, json_t **ret) {
        struct store *copy;
        int r = store_open_copy(s, &copy);
        if (r < 0)
                return r;
        struct gather g = {.cfg = cfg, .agency = o->agency, .messages = json_array()};
        /* merzimd's steps log every message they write, and warn about those that have no channel: the
         * preview's are not news. Errors still show. */
        int level = log_get_max_level();
        log_set_max_level(level < LOG_ERR ? level : LOG_ERR);
        r = simulate(copy, cfg, cal, t, o, &g);
        log_set_max_level(level);
        store_close(copy);
        if (r < 0) {
                json_decref(g.messages);
                return r;
        }
        *ret = g.messages;
        return 0;
}
