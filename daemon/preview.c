/* The timeline of messages the daemon would send over a window of time. */
#include "config.h"

#include <stdio.h>

#include "preview.h"
#include "util.h"

struct handled {
        int64_t occurrence_id;
        char name[STAGE_NAME_MAX];
};

static int compare_handled(const void *a, const void *b) {
        const struct handled *x = a, *y = b;
        if (x->occurrence_id != y->occurrence_id)
                return x->occurrence_id < y->occurrence_id ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Stages the daemon has already sent or written off: the preview leaves them out. */
static int load_handled(struct store *s, struct handled **ret, size_t *n) {
        sqlite3_stmt *st = store_stmt(s, "SELECT occurrence_id, name FROM stage");
        if (!st)
                return -EIO;
        struct handled *v = NULL;
        size_t k = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                v = xreallocarray(v, k + 1, sizeof(*v));
                v[k].occurrence_id = sqlite3_column_int64(st, 0);
                snprintf(v[k].name, sizeof(v[k].name), "%s", stmt_text(st, 1));
                k++;
        }
        sqlite3_reset(st);
        if (k)
                qsort(v, k, sizeof(*v), compare_handled);
        *ret = v;
        *n = k;
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot read the stages");
}

/* Put one stage of one occurrence on the timeline, as the daemon would treat it. */
static void place(struct schedule *sched, const struct policy *p, const struct preview_options *o,
                  const struct occurrence_info *occ, const struct stage *st) {
        if (o->start && st->at < o->now) {
                if (o->now - st->at > (int64_t) p->late_after_minutes * 60) {
                        if (p->catch_up == CATCH_UP_DIGEST && o->now >= o->from && o->now <= o->to)
                                schedule_add(sched, occ, st, true, o->now);
                        return;
                }
                /* Late, but within the grace: it goes out as soon as the daemon starts. */
                struct stage now = *st;
                now.at = o->now;
                if (o->now >= o->from && o->now <= o->to)
                        schedule_add(sched, occ, &now, false, 0);
                return;
        }
        if (st->at >= o->from && st->at <= o->to)
                schedule_add(sched, occ, st, false, 0);
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

int preview_build(struct store *s, const struct config *cfg, const struct calendar *cal, const struct policy *p,
                  const struct preview_options *o, struct occurrence_set *occs, struct schedule *sched) {
        *sched = (struct schedule) {.cfg = cfg};
        int r = occurrences_load_pending(s, cfg, occs);
        struct handled *handled = NULL;
        size_t n_handled = 0;
        if (r >= 0)
                r = load_handled(s, &handled, &n_handled);
        if (r < 0) {
                free(handled);
                return r;
        }

        for (size_t i = 0; i < occs->n_items; i++) {
                const struct occurrence_info *occ = &occs->items[i];
                struct stage stages[POLICY_MAX_STAGES];
                size_t n = policy_stages(p, cal, occ->effective, stages);
                struct stage repeat = stages[n - 1];
                for (;;) {
                        for (size_t k = 0; k < n; k++) {
                                struct handled key = {.occurrence_id = occ->id};
                                memcpy(key.name, stages[k].name, sizeof(key.name));
                                if (!n_handled ||
                                    !bsearch(&key, handled, n_handled, sizeof(key), compare_handled))
                                        place(sched, p, o, occ, &stages[k]);
                        }
                        /* Repeat escalations go on until the end of the window; those long before it are
                         * skipped over. */
                        int64_t start = o->start && o->now < o->from ? o->now : o->from;
                        int64_t not_before = repeat.at > start - 1 ? repeat.at : start - 1;
                        if (repeat.at > o->to ||
                            !policy_next_repeat(p, cal, occ->effective, repeat.level, not_before, &repeat))
                                break;
                        if (repeat.at > o->to)
                                break;
                        stages[0] = repeat;
                        n = 1;
                }
        }
        free(handled);
        schedule_finish(sched);

        if (o->agency) {
                size_t kept = 0;
                for (size_t i = 0; i < sched->n_messages; i++) {
                        if (concerns(&sched->messages[i], o->agency)) {
                                sched->messages[kept++] = sched->messages[i];
                        } else {
                                message_clear(&sched->messages[i]);
                        }
                }
                sched->n_messages = kept;
        }
        return 0;
}
