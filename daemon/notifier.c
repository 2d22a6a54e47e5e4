/* The step of a wake-up that turns due stages into messages in the outbox. */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "notifier.h"
#include "occurrences.h"
#include "outbox.h"
#include "schedule.h"
#include "tzone.h"
#include "util.h"

#define MAX_DUE_STAGES 64
#define RENDER_GROUP 32 /* messages rendered between calls of while_rendering */

/* What is due for one occurrence at this wake-up. */
struct due {
        int64_t id;
        day_t effective;
        struct stage *stages; /* due by now, in order (most often one) */
        bool *missed;
        size_t n;
        struct stage next;
        bool has_next;
        bool fresh;        /* on its date's plan (went through no stage yet) */
        int64_t loaded_at; /* the stage's instant as read */
};

static void due_free(struct due *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].stages);
                free(v[i].missed);
        }
        free(v);
}

/* The occurrences with a stage due by ?1: those planned on their own (by their next stage's instant,
 * INDEXED BY occurrence_next), and the fresh ones whose date's first stage is due (by date_plan_due,
 * then the occurrences of each such date through occurrence_status). INDEXED BY: without statistics
 * SQLite prefers the status index, which means reading and sorting every pending occurrence. */
#define DUE_SQL(columns_own, columns_fresh)                                                                 \
        "SELECT " columns_own " FROM occurrence o INDEXED BY occurrence_next "                               \
        "WHERE o.status = 'pending' AND o.next_stage_at <= ?1 "                                              \
        "UNION ALL SELECT " columns_fresh " FROM date_plan d INDEXED BY date_plan_due "                      \
        "JOIN occurrence o INDEXED BY occurrence_status ON o.status = 'pending' "                            \
        "AND o.effective_due = d.effective_due AND o.planned_rev = 0 WHERE d.fresh AND d.first_at <= ?1 "

/* Read the occurrences with a stage due by now: about limit of them, but never splitting those due at
 * one instant, which make one message per recipient. *more is set if some were left for later. */
static int load_due(struct notifier *nt, int64_t now, size_t limit, struct due **ret, size_t *n, bool *more) {
        sqlite3_stmt *st = store_stmt(nt->store, DUE_SQL("o.next_stage_at AS at", "d.first_at")
                                                 "ORDER BY at LIMIT 1 OFFSET ?2");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, now);
        stmt_bind_int(st, 2, (int64_t) limit);
        int64_t cut = now;
        *more = sqlite3_step(st) == SQLITE_ROW;
        if (*more)
                cut = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);

        st = store_stmt(nt->store, DUE_SQL("o.id, o.effective_due, o.next_stage, o.next_stage_level, "
                                           "o.next_stage_at AS at, 0",
                                           "o.id, o.effective_due, d.first_stage, d.first_level, d.first_at, 1")
                                   "ORDER BY at, 1");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, cut);
        struct due *v = NULL;
        size_t k = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (k == cap) {
                        cap = cap ? 2 * cap : 64;
                        v = xreallocarray(v, cap, sizeof(*v));
                }
                struct due *d = &v[k++];
                *d = (struct due) {.id = sqlite3_column_int64(st, 0), .has_next = true};
                date_parse(stmt_text(st, 1), &d->effective);
                snprintf(d->next.name, sizeof(d->next.name), "%s", stmt_text(st, 2));
                d->next.level = sqlite3_column_int(st, 3);
                d->next.due_notice = streq(d->next.name, "due");
                d->next.at = sqlite3_column_int64(st, 4);
                d->fresh = sqlite3_column_int(st, 5) != 0;
                d->loaded_at = d->next.at;
                d->next.day = tz_day(d->next.at, NULL);
        }
        sqlite3_reset(st);
        *ret = v;
        *n = k;
        return rc == SQLITE_DONE ? 0 : store_error(nt->store, "cannot read due occurrences");
}

/* Dates whose first stage is due and that have no fresh occurrence left (all told, done or waived):
 * their plan is no longer looked at. Returns 0 or a negative errno. */
static int retire_dates(struct notifier *nt, int64_t now) {
        sqlite3_stmt *st = store_stmt(nt->store, "UPDATE date_plan SET fresh = 0 WHERE fresh AND first_at <= ? "
                                                 "AND NOT EXISTS (SELECT 1 FROM occurrence INDEXED BY occurrence_status "
                                                 "WHERE status = 'pending' AND effective_due = date_plan.effective_due "
                                                 "AND planned_rev = 0)");
        if (st)
                stmt_bind_int(st, 1, now);
        return store_step_done(nt->store, st, "cannot retire date plans");
}

/* Whether a date's first stage is due with nothing left to tell: a look without the write lock. */
static bool dates_to_retire(struct notifier *nt, int64_t now) {
        sqlite3_stmt *st = store_stmt(nt->store, "SELECT 1 FROM date_plan INDEXED BY date_plan_due "
                                                 "WHERE fresh AND first_at <= ? LIMIT 1");
        if (!st)
                return false;
        stmt_bind_int(st, 1, now);
        bool any = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        return any;
}

/* Every stage of d due by now, in order; repeats missed long ago are skipped over to the latest. */
static void collect_stages(struct notifier *nt, struct due *d, int64_t now) {
        int64_t late = (int64_t) nt->policy->late_after_minutes * 60;
        while (d->has_next && d->next.at <= now && d->n < MAX_DUE_STAGES) {
                struct stage cur = d->next;
                d->stages = xreallocarray(d->stages, d->n + 1, sizeof(*d->stages));
                d->missed = xreallocarray(d->missed, d->n + 1, sizeof(*d->missed));
                d->missed[d->n] = now - cur.at > late;
                d->stages[d->n++] = cur;
                d->has_next = policy_next_stage(nt->policy, nt->calendar, d->effective, cur.at, cur.level, &d->next);
                if (d->has_next && d->next.level >= 3 && d->next.at < now - late)
                        d->has_next = policy_next_repeat(nt->policy, nt->calendar, d->effective, d->next.level - 1,
                                                         now - late, &d->next);
        }
}

/* Every item of every message, sorted by occurrence, kind of message and stage, then message order:
 * which notification told an occurrence of a stage, found without going through every message for
 * every occurrence (a wake-up may write thousands of messages). */
struct item_ref {
        int64_t occurrence_id;
        bool catch_up;
        const char *stage;
        size_t message;
};

static int compare_item_refs(const void *a, const void *b) {
        const struct item_ref *x = a, *y = b;
        if (x->occurrence_id != y->occurrence_id)
                return x->occurrence_id < y->occurrence_id ? -1 : 1;
        if (x->catch_up != y->catch_up)
                return x->catch_up ? 1 : -1;
        int c = strcmp(x->stage, y->stage);
        if (c)
                return c;
        return (x->message > y->message) - (x->message < y->message);
}

static struct item_ref *item_refs(const struct schedule *sched, size_t *ret) {
        size_t n = 0;
        for (size_t i = 0; i < sched->n_messages; i++)
                n += sched->messages[i].n_items;
        struct item_ref *v = xcalloc(n + 1, sizeof(*v));
        size_t k = 0;
        for (size_t i = 0; i < sched->n_messages; i++) {
                const struct message *m = &sched->messages[i];
                for (size_t j = 0; j < m->n_items; j++)
                        v[k++] = (struct item_ref) {m->items[j].occ->id, m->catch_up, m->items[j].stage.name, i};
        }
        if (n > 1)
                qsort(v, n, sizeof(*v), compare_item_refs);
        *ret = n;
        return v;
}

/* The notification that tells occ of stage st (or, for a missed stage, its catch-up digest): the first
 * such message in the schedule's order. */
static int64_t notification_of(const struct item_ref *refs, size_t n_refs, const int64_t *ids, int64_t occurrence_id,
                               const struct stage *st, bool missed) {
        /* The first ref not below (occurrence, missed, stage) or, for a catch-up, (occurrence, true, ""). */
        struct item_ref key = {occurrence_id, missed, missed ? "" : st->name, 0};
        size_t lo = 0, hi = n_refs;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (compare_item_refs(&refs[mid], &key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t best = SIZE_MAX;
        for (size_t i = lo; i < n_refs && refs[i].occurrence_id == occurrence_id && refs[i].catch_up == missed; i++) {
                if (!missed) {
                        if (streq(refs[i].stage, st->name))
                                best = refs[i].message;
                        break;
                }
                if (refs[i].message < best)
                        best = refs[i].message;
        }
        return best == SIZE_MAX ? 0 : ids[best];
}

static void log_message(const struct message *m, int64_t id, int rows) {
        _cleanup_free_ char *f_id = xasprintf("MERZIM_NOTIFICATION=%lld", (long long) id);
        _cleanup_free_ char *f_agency = xasprintf("MERZIM_AGENCY=%s", m->recipient);
        _cleanup_free_ char *f_plan = xasprintf("MERZIM_PLAN=%lld", (long long) (m->n_items ? m->items[0].occ->plan->id : 0));
        _cleanup_free_ char *f_measure = xasprintf("MERZIM_MEASURE=%d", m->n_items ? m->items[0].occ->measure : 0);
        if (rows == 0)
                log_fields(LOG_WARNING, FIELDS(f_id, f_agency, f_plan, f_measure),
                           plural("notification %lld (%s, %s, %zu item) for %s: no e-mail or webhook to send it to",
                                  "notification %lld (%s, %s, %zu items) for %s: no e-mail or webhook to send it to",
                                  m->n_items),
                           (long long) id, m->kind, m->stage, m->n_items, m->recipient);
        else
                log_fields(LOG_INFO, FIELDS(f_id, f_agency, f_plan, f_measure),
                           plural("notification %lld (%s, %s, %zu item) for %s queued for delivery (outbox rows: %d)",
                                  "notification %lld (%s, %s, %zu items) for %s queued for delivery (outbox rows: %d)",
                                  m->n_items),
                           (long long) id, m->kind, m->stage, m->n_items, m->recipient, rows);
}

/* A wake-up's work under way: its messages are written a chunk at a time, each chunk in a transaction
 * of its own, so that the first go out while the rest are still being written. The due occurrences
 * move on with the last chunk: if the work stops before (a crash, a reload, an error), the next wake-up
 * does it again from the database, and the messages already written are found by their keys. */
struct notifier_job {
        int64_t now;
        struct due *due;
        size_t n_due;
        struct occurrence_set occs;
        struct schedule sched;
        int64_t *ids; /* the notification of each message, once written */
        int *rows;    /* outbox rows each message got */
        struct item_ref *refs;
        size_t n_refs;
        size_t written; /* messages written so far */
        bool more;      /* occurrences were left due for the next job */
        int64_t data_version; /* of the database when the job was read */
        bool recheck;         /* someone else wrote since: look whether each message is still wanted */
        struct renderer *renderer;  /* rendering the next chunk ahead, if any */
        struct rendered *ahead;     /* the messages from ahead_from on, rendered there */
        size_t ahead_from, ahead_n;
};

/* Wait for the chunk rendered ahead, and forget it. */
static void drop_ahead(struct notifier_job *job) {
        if (!job->ahead)
                return;
        renderer_wait(job->renderer);
        for (size_t i = 0; i < job->ahead_n; i++)
                rendered_clear(&job->ahead[i]);
        free(TAKE_PTR(job->ahead));
}

static void job_free(struct notifier_job *job) {
        if (!job)
                return;
        drop_ahead(job);
        schedule_clear(&job->sched);
        occurrence_set_clear(&job->occs);
        due_free(job->due, job->n_due);
        free(job->ids);
        free(job->rows);
        free(job->refs);
        free(job);
}

void notifier_drop(struct notifier *nt) {
        job_free(nt->job);
        nt->job = NULL;
}

/* Whether every occurrence a message lists was settled (marked done or waived, by merzimctl or the
 * HTTP interface) after the job read them: then the message is not written. */
static bool all_settled(struct notifier *nt, const struct message *m) {
        sqlite3_stmt *st = store_stmt(nt->store, "SELECT status = 'pending' FROM occurrence WHERE id = ?");
        if (!st)
                return false;
        bool settled = true;
        for (size_t i = 0; settled && i < m->n_items; i++) {
                stmt_bind_int(st, 1, m->items[i].occ->id);
                settled = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0;
                sqlite3_reset(st);
        }
        return settled;
}

/* Move a due occurrence on to its next stage, unless it changed since it was read (marked done, or
 * planned again after a new import): then what happened to it stands. */
static int move_on(struct notifier *nt, const struct due *d) {
        sqlite3_stmt *q = d->fresh ? store_stmt(nt->store, "UPDATE occurrence SET next_stage = ?, next_stage_level = ?, "
                                                           "next_stage_at = ?, planned_rev = ? "
                                                           "WHERE id = ? AND status = 'pending' AND planned_rev = 0")
                                   : store_stmt(nt->store, "UPDATE occurrence SET next_stage = ?, next_stage_level = ?, "
                                                           "next_stage_at = ?, planned_rev = ? "
                                                           "WHERE id = ? AND status = 'pending' AND next_stage_at = ?");
        if (!q)
                return -EIO;
        if (d->has_next) {
                stmt_bind_text(q, 1, d->next.name);
                stmt_bind_int(q, 2, d->next.level);
                stmt_bind_int(q, 3, d->next.at);
        }
        stmt_bind_int(q, 4, nt->planner->rev);
        stmt_bind_int(q, 5, d->id);
        if (!d->fresh)
                stmt_bind_int(q, 6, d->loaded_at);
        return store_step_done(nt->store, q, "cannot move an occurrence on");
}

/* Write the next chunk of messages and, with the last, move every due occurrence on: one transaction.
 * The messages are rendered before it begins, so that the database is locked only for the rows.
 * Returns the number of messages written. */
static int job_step(struct notifier *nt, struct notifier_job *job, size_t chunk) {
        const struct schedule *sched = &job->sched;
        size_t from = job->written, to = sched->n_messages;
        if (chunk > 0 && to - from > chunk)
                to = from + chunk;
        if (!job->recheck && from > 0 && store_data_version(nt->store) != job->data_version)
                job->recheck = true;
        struct rendered *out = NULL;
        if (job->ahead && job->ahead_from == from && job->ahead_n == to - from) {
                renderer_wait(job->renderer);
                out = TAKE_PTR(job->ahead);
        } else {
                drop_ahead(job);
                out = xcalloc(to - from + 1, sizeof(*out));
                for (size_t i = from; i < to; i++) {
                        if (nt->while_rendering && i > from && (i - from) % RENDER_GROUP == 0)
                                nt->while_rendering(nt->in_transaction_data);
                        render_message(nt->templates, nt->cfg, &sched->messages[i], job->now, &out[i - from]);
                }
        }
        /* The next chunk is rendered while this one is written. */
        if (nt->renderer && to < sched->n_messages) {
                size_t next = chunk > 0 && sched->n_messages - to > chunk ? chunk : sched->n_messages - to;
                job->renderer = nt->renderer;
                job->ahead = xcalloc(next + 1, sizeof(struct rendered));
                job->ahead_from = to;
                job->ahead_n = next;
                renderer_start(nt->renderer, nt->templates, nt->cfg, &sched->messages[to], next, job->now, job->ahead);
        }
        int r = store_begin(nt->store);
        if (r >= 0 && nt->in_transaction)
                r = nt->in_transaction(nt->in_transaction_data);
        for (size_t i = from; r >= 0 && i < to; i++) {
                if (job->recheck && all_settled(nt, &sched->messages[i])) {
                        job->ids[i] = 0;
                        continue;
                }
                r = outbox_add(nt->store, nt->cfg, &sched->messages[i], &out[i - from], job->now, &job->ids[i],
                               &job->rows[i]);
        }
        for (size_t i = from; i < to; i++)
                rendered_clear(&out[i - from]);
        free(out);
        bool last = to == sched->n_messages;
        for (size_t i = 0; r >= 0 && last && i < job->n_due; i++) {
                const struct due *d = &job->due[i];
                for (size_t k = 0; r >= 0 && k < d->n; k++)
                        r = planner_record_stage(nt->planner, d->id, &d->stages[k], d->missed[k] ? "missed" : "told",
                                                 notification_of(job->refs, job->n_refs, job->ids, d->id,
                                                                 &d->stages[k], d->missed[k]),
                                                 job->now);
                if (r >= 0)
                        r = move_on(nt, d);
        }
        if (r >= 0 && last)
                r = retire_dates(nt, job->now);
        if (r >= 0)
                r = store_commit(nt->store);
        else
                store_rollback(nt->store);
        if (r < 0)
                return r;
        for (size_t i = from; i < to; i++)
                if (job->ids[i]) {
                        log_message(&sched->messages[i], job->ids[i], job->rows[i]);
                        if (nt->written)
                                nt->written(&sched->messages[i], job->ids[i], nt->written_data);
                } else
                        log_info("a %s for %s is not sent: what it lists was settled meanwhile",
                                 sched->messages[i].kind, sched->messages[i].recipient);
        job->written = to;
        return (int) (to - from);
}

static int compare_by_id(const void *a, const void *b) {
        const struct occurrence_info *const *x = a, *const *y = b;
        return ((*x)->id > (*y)->id) - ((*x)->id < (*y)->id);
}

static const struct occurrence_info *find_by_id(const struct occurrence_info **by_id, size_t n, int64_t id) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (by_id[mid]->id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && by_id[lo]->id == id ? by_id[lo] : NULL;
}

/* Read what is due and work out the messages: a new job, or NULL with nothing due. */
static int job_start(struct notifier *nt, int64_t now, size_t limit, struct notifier_job **ret) {
        struct notifier_job *job = xcalloc(1, sizeof(*job));
        job->now = now;
        job->data_version = store_data_version(nt->store);
        int r = load_due(nt, now, limit, &job->due, &job->n_due, &job->more);
        if (r < 0 || job->n_due == 0) {
                job_free(job);
                *ret = NULL;
                /* The fresh occurrences of a date may all have been settled before its first stage. */
                if (r >= 0 && dates_to_retire(nt, now))
                        r = retire_dates(nt, now);
                return r;
        }

        int64_t *ids = xcalloc(job->n_due, sizeof(int64_t));
        for (size_t i = 0; i < job->n_due; i++)
                ids[i] = job->due[i].id;
        r = occurrences_load_ids(nt->store, nt->cfg, ids, job->n_due, &job->occs);
        free(ids);
        if (r < 0) {
                job_free(job);
                return r;
        }

        /* The loaded occurrences by id, for a binary search per due occurrence. */
        const struct occurrence_info **by_id = xcalloc(job->occs.n_items + 1, sizeof(*by_id));
        for (size_t i = 0; i < job->occs.n_items; i++)
                by_id[i] = &job->occs.items[i];
        if (job->occs.n_items > 1)
                qsort(by_id, job->occs.n_items, sizeof(*by_id), compare_by_id);

        job->sched = (struct schedule) {.cfg = nt->cfg};
        for (size_t i = 0; i < job->n_due; i++) {
                struct due *d = &job->due[i];
                collect_stages(nt, d, now);
                const struct occurrence_info *occ = find_by_id(by_id, job->occs.n_items, d->id);
                for (size_t k = 0; occ && k < d->n; k++) {
                        if (!d->missed[k])
                                schedule_add(&job->sched, occ, &d->stages[k], false, 0);
                        else if (nt->policy->catch_up == CATCH_UP_DIGEST)
                                schedule_add(&job->sched, occ, &d->stages[k], true, now);
                }
        }
        free(by_id);
        schedule_finish(&job->sched);
        job->ids = xcalloc(job->sched.n_messages + 1, sizeof(int64_t));
        job->rows = xcalloc(job->sched.n_messages + 1, sizeof(int));
        job->refs = item_refs(&job->sched, &job->n_refs);
        *ret = job;
        return 0;
}

int notifier_run(struct notifier *nt, int64_t now, size_t limit, bool *more) {
        *more = false;
        if (!nt->job) {
                int r = job_start(nt, now, limit, &nt->job);
                if (r < 0 || !nt->job)
                        return r;
        }
        struct notifier_job *job = nt->job;
        int r = job_step(nt, job, nt->chunk);
        if (r < 0 || job->written == job->sched.n_messages) {
                *more = r >= 0 && job->more;
                notifier_drop(nt);
                return r;
        }
        *more = true;
        return r;
}

int64_t notifier_next(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "SELECT min(at) FROM (SELECT min(next_stage_at) AS at FROM occurrence "
                                         "INDEXED BY occurrence_next WHERE status = 'pending' "
                                         "UNION ALL SELECT min(first_at) FROM date_plan INDEXED BY date_plan_due "
                                         "WHERE fresh)");
        if (!st)
                return INT64_MAX;
        int64_t v = INT64_MAX;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
                v = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return v;
}
