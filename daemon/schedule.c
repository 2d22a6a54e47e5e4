/* From stages to messages: recipients, routing, and one message per recipient and send time. */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>

#include "schedule.h"
#include "tzone.h"
#include "util.h"

const char *schedule_route(const struct config *cfg, const struct plan_info *plan, const char *code,
                           const char **on_behalf_of) {
        *on_behalf_of = NULL;
        if (agency_contact_reachable(config_agency(cfg, code)))
                return code;
        if (plan->coordinator && agency_contact_reachable(config_agency(cfg, plan->coordinator))) {
                *on_behalf_of = code;
                return plan->coordinator;
        }
        return code;
}

unsigned schedule_channels(const struct config *cfg, const char *code) {
        const struct agency_contact *a = config_agency(cfg, code);
        if (!a)
                return 0;
        return (a->emails && a->emails[0] ? 1u : 0u) | (a->webhook_url ? 2u : 0u);
}

static size_t message_hash(int64_t at, bool catch_up, const char *recipient) {
        uint64_t h = 1469598103934665603ULL ^ (uint64_t) at ^ (catch_up ? 0x9e3779b97f4a7c15ULL : 0);
        for (const char *p = recipient; *p; p++)
                h = (h ^ (unsigned char) *p) * 1099511628211ULL;
        return (size_t) (h ^ (h >> 29));
}

/* The slot of (at, catch_up, recipient) in the index: the one that has its message, or the empty one
 * where it goes. */
static size_t *message_slot(struct schedule *s, int64_t at, bool catch_up, const char *recipient) {
        size_t mask = s->n_slots - 1;
        for (size_t k = message_hash(at, catch_up, recipient) & mask;; k = (k + 1) & mask) {
                size_t *slot = &s->slots[k];
                if (!*slot)
                        return slot;
                const struct message *m = &s->messages[*slot - 1];
                if (m->at == at && m->catch_up == catch_up && streq(m->recipient, recipient))
                        return slot;
        }
}

/* Make room in the index for one more message (rebuilt from the messages when it grows or was dropped). */
static void message_index_reserve(struct schedule *s) {
        if (s->slots && (s->n_messages + 1) * 2 <= s->n_slots)
                return;
        size_t want = 64;
        while (want < (s->n_messages + 1) * 2)
                want *= 2;
        free(s->slots);
        s->slots = xcalloc(want, sizeof(size_t));
        s->n_slots = want;
        for (size_t i = 0; i < s->n_messages; i++) {
                const struct message *m = &s->messages[i];
                *message_slot(s, m->at, m->catch_up, m->recipient) = i + 1;
        }
}

/* The message for recipient at `at` (of the catch-up kind or not), made if there is none. */
static struct message *message_for(struct schedule *s, int64_t at, const char *recipient, bool catch_up) {
        message_index_reserve(s);
        size_t *slot = message_slot(s, at, catch_up, recipient);
        if (*slot)
                return &s->messages[*slot - 1];
        s->messages = xreallocarray(s->messages, s->n_messages + 1, sizeof(struct message));
        struct message *m = &s->messages[s->n_messages++];
        *m = (struct message) {.at = at, .recipient = xstrdup(recipient), .catch_up = catch_up};
        *slot = s->n_messages;
        return m;
}

/* Add one item to a message. The same occurrence and stage (in a catch-up digest: the same occurrence)
 * is one item: the recipient's own roles joined, and the agencies it is forwarded for listed. */
static void message_add(struct message *m, const struct occurrence_info *occ, const struct stage *st,
                        unsigned roles, bool by_agreement, const char *on_behalf_of) {
        struct message_item *it = NULL;
        for (size_t i = 0; i < m->n_items && !it; i++)
                if (m->items[i].occ == occ && (m->catch_up || streq(m->items[i].stage.name, st->name)))
                        it = &m->items[i];
        if (!it) {
                m->items = xreallocarray(m->items, m->n_items + 1, sizeof(struct message_item));
                it = &m->items[m->n_items++];
                *it = (struct message_item) {.occ = occ, .stage = *st, .by_agreement = true};
        } else if (m->catch_up && (st->level > it->stage.level || (st->level == it->stage.level && st->at > it->stage.at))) {
                it->stage = *st; /* a catch-up line shows the latest stage missed */
        }
        if (on_behalf_of) {
                for (size_t k = 0; k < it->n_forwarded; k++)
                        if (streq(it->forwarded[k].code, on_behalf_of)) {
                                it->forwarded[k].by_agreement = it->forwarded[k].by_agreement && by_agreement;
                                return;
                        }
                it->forwarded = xreallocarray(it->forwarded, it->n_forwarded + 1, sizeof(struct forwarded));
                it->forwarded[it->n_forwarded++] = (struct forwarded) {on_behalf_of, by_agreement};
                return;
        }
        it->by_agreement = (it->roles ? it->by_agreement : true) && by_agreement;
        it->roles |= roles;
}

static void tell(struct schedule *s, const struct occurrence_info *occ, const struct stage *st, bool catch_up,
                 int64_t at, const char *code, unsigned roles, bool by_agreement) {
        if (isempty(code))
                return;
        const char *on_behalf_of;
        const char *to = schedule_route(s->cfg, occ->plan, code, &on_behalf_of);
        if (s->want && !s->want(at, to, s->want_data))
                return;
        message_add(message_for(s, at, to, catch_up), occ, st, roles, by_agreement, on_behalf_of);
}

void schedule_add(struct schedule *s, const struct occurrence_info *occ, const struct stage *st, bool catch_up,
                  int64_t at) {
        unsigned roles = policy_stage_roles(st);
        int64_t when = catch_up ? at : st->at;
        if (roles & ROLE_EXECUTOR)
                for (size_t i = 0; i < occ->n_executors; i++)
                        tell(s, occ, st, catch_up, when, occ->executors[i].code,
                             ROLE_EXECUTOR | (i == 0 ? ROLE_LEAD : 0u), occ->executors[i].by_agreement);
        if ((roles & ROLE_LEAD) && occ->n_executors > 0)
                tell(s, occ, st, catch_up, when, occ->executors[0].code, ROLE_LEAD, false);
        if (roles & ROLE_REPORT_TO)
                tell(s, occ, st, catch_up, when, occ->report_to, ROLE_REPORT_TO, false);
        if (roles & ROLE_COORDINATOR)
                tell(s, occ, st, catch_up, when, occ->plan->coordinator, ROLE_COORDINATOR, false);
        if (roles & ROLE_SUPERVISOR)
                tell(s, occ, st, catch_up, when, occ->plan->supervisor, ROLE_SUPERVISOR, false);
}

static int compare_items(const void *a, const void *b) {
        const struct message_item *x = a, *y = b;
        if (x->occ->effective != y->occ->effective)
                return x->occ->effective < y->occ->effective ? -1 : 1;
        if (x->occ->id != y->occ->id)
                return x->occ->id < y->occ->id ? -1 : 1;
        return strcmp(x->stage.name, y->stage.name);
}

static int compare_forwarded(const void *a, const void *b) {
        return strcmp(((const struct forwarded *) a)->code, ((const struct forwarded *) b)->code);
}

char *message_item_forwarded(const struct message_item *it) {
        if (!it->n_forwarded)
                return NULL;
        struct buf b = {0};
        for (size_t k = 0; k < it->n_forwarded; k++)
                buf_printf(&b, "%s%s", k ? ", " : "", it->forwarded[k].code);
        return buf_steal(&b);
}

static int compare_messages(const void *a, const void *b) {
        const struct message *x = a, *y = b;
        if (x->at != y->at)
                return x->at < y->at ? -1 : 1;
        return strcmp(x->recipient, y->recipient);
}

/* Kind and stage from the items, and the key from everything that makes the message what it is. */
static void message_finish(struct message *m) {
        if (m->n_items > 1)
                qsort(m->items, m->n_items, sizeof(struct message_item), compare_items);
        for (size_t i = 0; i < m->n_items; i++)
                if (m->items[i].n_forwarded > 1)
                        qsort(m->items[i].forwarded, m->items[i].n_forwarded, sizeof(struct forwarded),
                              compare_forwarded);
        bool same_stage = true, all_reminders = true, all_due = true, all_escalations = true;
        for (size_t i = 0; i < m->n_items; i++) {
                const struct stage *st = &m->items[i].stage;
                same_stage = same_stage && streq(st->name, m->items[0].stage.name);
                all_reminders = all_reminders && st->level == 0 && !st->due_notice;
                all_due = all_due && st->due_notice;
                all_escalations = all_escalations && st->level > 0;
        }
        if (m->catch_up) {
                m->kind = "catch-up";
                snprintf(m->stage, sizeof(m->stage), "catch-up");
        } else {
                m->kind = all_reminders ? "reminder" : all_due ? "due" : all_escalations ? "escalation" : "digest";
                snprintf(m->stage, sizeof(m->stage), "%s", same_stage && m->n_items ? m->items[0].stage.name : "mixed");
        }

        struct buf b = {0};
        buf_printf(&b, "%s\n%lld\n%s\n%s\n", m->recipient, (long long) m->at, m->kind, m->stage);
        for (size_t i = 0; i < m->n_items; i++) {
                _cleanup_free_ char *fwd = message_item_forwarded(&m->items[i]);
                buf_printf(&b, "%lld:%s:%u:%s\n", (long long) m->items[i].occ->id, m->items[i].stage.name,
                           m->items[i].roles, fwd ? fwd : "");
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_Digest(b.data, b.len, md, &n, EVP_sha256(), NULL);
        buf_free(&b);
        for (unsigned i = 0; i < 32 && i < n; i++)
                snprintf(m->key + 2 * i, 3, "%02x", md[i]);
}

void schedule_finish(struct schedule *s) {
        for (size_t i = 0; i < s->n_messages; i++) {
                message_finish(&s->messages[i]);
                s->messages[i].day = tz_day(s->messages[i].at, NULL);
        }
        if (s->n_messages > 1)
                qsort(s->messages, s->n_messages, sizeof(struct message), compare_messages);
        /* The order changed: the index is made again if more is added. */
        free(s->slots);
        s->slots = NULL;
        s->n_slots = 0;
}

void message_clear(struct message *m) {
        for (size_t i = 0; i < m->n_items; i++)
                free(m->items[i].forwarded);
        free(m->items);
        free(m->recipient);
        m->items = NULL;
        m->recipient = NULL;
}

void schedule_clear(struct schedule *s) {
        for (size_t i = 0; i < s->n_messages; i++)
                message_clear(&s->messages[i]);
        free(s->messages);
        s->messages = NULL;
        s->n_messages = 0;
        free(s->slots);
        s->slots = NULL;
        s->n_slots = 0;
}

void occurrence_info_free(struct occurrence_info *o) {
        if (!o)
                return;
        free(o->measure_name);
        free(o->form);
        free(o->period);
        free(o->status);
        free(o->report_to);
        for (size_t i = 0; i < o->n_executors; i++)
                free(o->executors[i].code);
        free(o->executors);
}

void plan_info_free(struct plan_info *p) {
        if (!p)
                return;
        free(p->title);
        free(p->coordinator);
        free(p->supervisor);
}
