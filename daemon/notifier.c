/* The step of a wake-up that turns due stages into messages in the outbox. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notifier.h"
#include "occurrences.h"
#include "outbox.h"
#include "schedule.h"
#include "tzone.h"
#include "util.h"

#define MAX_DUE_STAGES 64
#define RENDER_GROUP 32 /* messages rendered between calls of while_rendering */
#define DUE_SLICE 512   /* due occurrences loaded at once to find whom they are told to */
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* A stage of a due occurrence, and the notification that told it: the first message listing it, in the
 * order the messages are written. */
struct due_stage {
        struct stage stage;
        bool missed; /* told in the catch-up digest, if the policy sends one */
        bool told;   /* the first message listing it was met */
        bool recorded; /* its stage row is written (in the transaction under way, or before) */
        int64_t notification;
};

/* What is due for one occurrence at this wake-up. */
struct due {
        int64_t id;
        day_t effective;
        size_t n;                /* stages due by now (most often one: then it is `one`) */
        struct due_stage one;
        struct due_stage *many;  /* all of them, in order, when there are several */
        struct stage next;
        bool has_next;
        bool fresh;        /* on its date's plan (went through no stage yet) */
        int64_t loaded_at; /* the stage's instant as read */
};

static struct due_stage *due_stages(struct due *d) {
        return d->n > 1 ? d->many : &d->one;
}

static void due_free(struct due *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].many);
        free(v);
}

/* The occurrences with a stage due by ?1: those planned on their own (by their next stage's instant,
 * INDEXED BY occurrence_next), and the fresh ones whose date's first stage is due (by date_plan_due,
 * then the occurrences of each such date through occurrence_due). INDEXED BY: without statistics
 * SQLite may walk the whole table or sort every pending occurrence. */
#define DUE_SQL(columns_own, columns_fresh)                                                                 \
        "SELECT " columns_own " FROM occurrence o INDEXED BY occurrence_next "                               \
        "WHERE o.status = 'pending' AND o.next_stage_at IS NOT NULL AND o.next_stage_at <= ?1 "              \
        "UNION ALL SELECT " columns_fresh " FROM date_plan d INDEXED BY date_plan_due "                      \
        "JOIN occurrence o INDEXED BY occurrence_due ON o.status = 'pending' "                               \
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
        if (k > 0 && k < cap)
                v = xreallocarray(v, k, sizeof(*v)); /* held for the whole wake-up: no more than it needs */
        *ret = v;
        *n = k;
        return rc == SQLITE_DONE ? 0 : store_error(nt->store, "cannot read due occurrences");
}

/* Dates whose first stage is due and that have no fresh occurrence left (all told, done or waived):
 * their plan is no longer looked at. Returns 0 or a negative errno. */
static int retire_dates(struct notifier *nt, int64_t now) {
        sqlite3_stmt *st = store_stmt(nt->store, "UPDATE date_plan SET fresh = 0 WHERE fresh AND first_at <= ? "
                                                 "AND NOT EXISTS (SELECT 1 FROM occurrence INDEXED BY occurrence_due "
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
                struct due_stage ds = {.stage = d->next, .missed = now - d->next.at > late};
                if (d->n == 1) {
                        d->many = xcalloc(2, sizeof(*d->many));
                        d->many[0] = d->one;
                } else if (d->n > 1)
                        d->many = xreallocarray(d->many, d->n + 1, sizeof(*d->many));
                if (d->n == 0)
                        d->one = ds;
                else
                        d->many[d->n] = ds;
                d->n++;
                d->has_next = policy_next_stage(nt->policy, nt->calendar, d->effective, ds.stage.at, ds.stage.level,
                                                &d->next);
                if (d->has_next && d->next.level >= 3 && d->next.at < now - late)
                        d->has_next = policy_next_repeat(nt->policy, nt->calendar, d->effective, d->next.level - 1,
                                                         now - late, &d->next);
        }
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

/* A message of a wake-up before it is made: its recipient at a send instant (its catch-up digest at the
 * same instant, if any, goes with it). A wake-up's dests are in the order its messages are written. */
struct dest {
        int64_t at;
        char *recipient;
};

/* A due occurrence that a dest tells of. */
struct dest_due {
        uint32_t dest;
        uint32_t due;
};

/* A due occurrence of a group, by its id. */
struct due_ref {
        int64_t id;
        uint32_t due;
};

/* A group of dests whose messages are made, rendered and written together (a chunk): only its
 * occurrences and messages are in memory, whatever the size of the wake-up. */
struct group {
        size_t from, to;              /* its dests */
        const struct dest *dests;     /* the job's */
        struct occurrence_set occs;
        struct schedule sched;
        struct rendered *out;         /* each message rendered */
        struct due_ref *by_occ;       /* its due occurrences by occurrence id */
        size_t n_due;
};

/* A wake-up's work under way: its messages are written a group at a time, each in a transaction of its
 * own, so that the first go out while the rest are still being made. A stage is recorded as told with
 * the group of the first message that lists it; the due occurrences move on with the last group: if the
 * work stops before (a crash, a reload, an error), the next wake-up does it again from the database, and
 * the messages and stages already written are found by their keys. */
struct notifier_job {
        int64_t now;
        struct due *due;
        size_t n_due;
        struct dest *dests;
        size_t n_dests;
        struct dest_due *links; /* by dest, then due */
        size_t n_links;
        size_t next;    /* the first dest not written yet */
        size_t written; /* messages written so far */
        bool more;      /* occurrences were left due for the next job */
        int64_t data_version; /* of the database when the job was read */
        bool recheck;         /* someone else wrote since: look whether each message is still wanted */
        struct renderer *renderer; /* rendering the next group ahead, if any */
        struct group *ahead;
        /* A wake-up of one slice of due occurrences (most are a handful): read whole by the first pass and
         * kept for its group, if that is all of it, rather than read twice. */
        struct occurrence_set kept;
        bool has_kept;
};

static void group_free(struct group *g) {
        if (!g)
                return;
        for (size_t i = 0; g->out && i < g->sched.n_messages; i++)
                rendered_clear(&g->out[i]);
        free(g->out);
        free(g->by_occ);
        schedule_clear(&g->sched);
        occurrence_set_clear(&g->occs);
        free(g);
}

/* Wait for the group rendered ahead, and forget it. */
static void drop_ahead(struct notifier_job *job) {
        if (!job->ahead)
                return;
        renderer_wait(job->renderer);
        group_free(TAKE_PTR(job->ahead));
}

static void job_free(struct notifier_job *job) {
        if (!job)
                return;
        drop_ahead(job);
        due_free(job->due, job->n_due);
        for (size_t i = 0; i < job->n_dests; i++)
                free(job->dests[i].recipient);
        free(job->dests);
        free(job->links);
        occurrence_set_clear(&job->kept);
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

static int compare_dest(int64_t at, const char *recipient, const struct dest *d) {
        if (at != d->at)
                return at < d->at ? -1 : 1;
        return strcmp(recipient, d->recipient);
}

/* The group's schedule makes only the messages of its own dests. */
static bool group_wants(int64_t at, const char *recipient, void *userdata) {
        const struct group *g = userdata;
        size_t lo = g->from, hi = g->to;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = compare_dest(at, recipient, &g->dests[mid]);
                if (c == 0)
                        return true;
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return false;
}

static int compare_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return (x > y) - (x < y);
}

static size_t unique_u32(uint32_t *v, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (k == 0 || v[k - 1] != v[i])
                        v[k++] = v[i];
        return k;
}

static int compare_due_ref(const void *a, const void *b) {
        const struct due_ref *x = a, *y = b;
        return (x->id > y->id) - (x->id < y->id);
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

/* Tell each due occurrence (due[idx[0..n)]) of its stages, with the occurrences as loaded, into sched;
 * *current (if set) is the index of the one being told. */
static void tell_due(struct notifier *nt, struct notifier_job *job, const uint32_t *idx, size_t n,
                     const struct occurrence_set *occs, struct schedule *sched, uint32_t *current) {
        /* The loaded occurrences by id, for a binary search per due occurrence. */
        const struct occurrence_info **by_id = xcalloc(occs->n_items + 1, sizeof(*by_id));
        for (size_t i = 0; i < occs->n_items; i++)
                by_id[i] = &occs->items[i];
        if (occs->n_items > 1)
                qsort(by_id, occs->n_items, sizeof(*by_id), compare_by_id);
        for (size_t i = 0; i < n; i++) {
                struct due *d = &job->due[idx[i]];
                const struct occurrence_info *occ = find_by_id(by_id, occs->n_items, d->id);
                struct due_stage *ds = due_stages(d);
                if (current)
                        *current = idx[i];
                for (size_t k = 0; occ && k < d->n; k++) {
                        if (!ds[k].missed)
                                schedule_add(sched, occ, &ds[k].stage, false, 0);
                        else if (nt->policy->catch_up == CATCH_UP_DIGEST)
                                schedule_add(sched, occ, &ds[k].stage, true, job->now);
                }
        }
        free(by_id);
}

/* Load the occurrences due[idx[0..n)]: all a message says of them, or (routes) only whom it goes to. */
static int load_due_occurrences(struct notifier *nt, const struct notifier_job *job, const uint32_t *idx, size_t n,
                                bool routes, struct occurrence_set *ret) {
        int64_t *ids = xcalloc(n + 1, sizeof(int64_t));
        for (size_t i = 0; i < n; i++)
                ids[i] = job->due[idx[i]].id;
        int r = routes ? occurrences_load_routes(nt->store, nt->cfg, ids, n, ret)
                       : occurrences_load_ids(nt->store, nt->cfg, ids, n, ret);
        free(ids);
        return r;
}

/* Make the messages of the group of dests from `from` on: the chunk's worth (all with no chunk). */
static int group_make(struct notifier *nt, struct notifier_job *job, size_t from, struct group **ret) {
        size_t chunk = nt->chunk > 0 ? nt->chunk : job->n_dests;
        struct group *g = xcalloc(1, sizeof(*g));
        *g = (struct group) {.from = from, .to = from + MIN(chunk, job->n_dests - from), .dests = job->dests};
        /* The due occurrences the group's dests tell of, in the job's order. */
        size_t lo = 0, hi = job->n_links;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (job->links[mid].dest < from)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (end < job->n_links && job->links[end].dest < g->to)
                end++;
        uint32_t *idx = xcalloc(end - lo + 1, sizeof(*idx));
        size_t n = 0;
        for (size_t i = lo; i < end; i++)
                idx[n++] = job->links[i].due;
        if (n > 1)
                qsort(idx, n, sizeof(*idx), compare_u32);
        n = unique_u32(idx, n);
        int r = 0;
        if (job->has_kept && from == 0 && g->to == job->n_dests)
                g->occs = job->kept;
        else {
                occurrence_set_clear(&job->kept);
                r = load_due_occurrences(nt, job, idx, n, false, &g->occs);
        }
        job->kept = (struct occurrence_set) {0};
        job->has_kept = false;
        if (r < 0) {
                free(idx);
                group_free(g);
                return r;
        }
        g->sched = (struct schedule) {.cfg = nt->cfg, .want = group_wants, .want_data = g};
        tell_due(nt, job, idx, n, &g->occs, &g->sched, NULL);
        g->by_occ = xcalloc(n + 1, sizeof(*g->by_occ));
        for (size_t i = 0; i < n; i++)
                g->by_occ[i] = (struct due_ref) {job->due[idx[i]].id, idx[i]};
        g->n_due = n;
        if (n > 1)
                qsort(g->by_occ, n, sizeof(*g->by_occ), compare_due_ref);
        free(idx);
        schedule_finish(&g->sched);
        g->out = xcalloc(g->sched.n_messages + 1, sizeof(struct rendered));
        *ret = g;
        return 0;
}

/* Note the due stages message m tells of, if no message before it did: the notification (0 if m was not
 * written) recorded as the one that told them. As before groups, the first message in the order they are
 * written: for a stage on time, the first listing it; for missed stages, the first catch-up digest
 * listing the occurrence. */
static void note_told(struct notifier_job *job, const struct group *g, const struct message *m, int64_t id) {
        for (size_t i = 0; i < m->n_items; i++) {
                const struct message_item *it = &m->items[i];
                const struct due_ref key = {.id = it->occ->id};
                const struct due_ref *ref = bsearch(&key, g->by_occ, g->n_due, sizeof(key), compare_due_ref);
                if (!ref)
                        continue;
                struct due *d = &job->due[ref->due];
                struct due_stage *ds = due_stages(d);
                for (size_t k = 0; k < d->n; k++) {
                        if (ds[k].told || ds[k].missed != m->catch_up)
                                continue;
                        if (!m->catch_up && !streq(ds[k].stage.name, it->stage.name))
                                continue;
                        ds[k].told = true;
                        ds[k].notification = id;
                }
        }
}

/* Write the stage rows of d not written yet: with told_only, those a message of the group told (the
 * first message listing a stage tells it for good, so its row goes with that message's group); without,
 * all that are left, with the last group. The occurrence itself moves on only with the last group: until
 * then a wake-up that stops is done again whole, makes the same messages and finds the rows written
 * (INSERT OR IGNORE). Recording as the messages go shortens the last group's transaction, during which
 * no result can be recorded and deliveries wait for room (RECORD_BATCH in daemon.c). */
static int record_stages(struct notifier *nt, const struct notifier_job *job, struct due *d, bool told_only) {
        struct due_stage *ds = due_stages(d);
        int r = 0;
        for (size_t k = 0; r >= 0 && k < d->n; k++) {
                if (ds[k].recorded || (told_only && !ds[k].told))
                        continue;
                r = planner_record_stage(nt->planner, d->id, &ds[k].stage, ds[k].missed ? "missed" : "told",
                                         ds[k].notification, job->now);
                ds[k].recorded = r >= 0;
        }
        return r;
}

/* Render a group's messages here (none was rendered ahead), letting the writer record results between
 * groups of them. */
static void render_here(struct notifier *nt, struct notifier_job *job, struct group *g) {
        for (size_t i = 0; i < g->sched.n_messages; i++) {
                if (nt->while_rendering && i > 0 && i % RENDER_GROUP == 0)
                        nt->while_rendering(nt->in_transaction_data);
                render_message(nt->templates, nt->cfg, &g->sched.messages[i], job->now, &g->out[i]);
        }
}

/* Write the next group of messages with the stages they told and, with the last, move every due
 * occurrence on: one transaction.
 * The messages are made and rendered before it begins, so that the database is locked only for the rows;
 * the next group is rendered in the renderer's thread meanwhile. Returns the number of messages written. */
static int job_step(struct notifier *nt, struct notifier_job *job) {
        if (!job->recheck && job->written > 0 && store_data_version(nt->store) != job->data_version)
                job->recheck = true;
        struct group *g = NULL;
        int r = 0;
        if (job->ahead) {
                renderer_wait(job->renderer);
                g = TAKE_PTR(job->ahead);
        } else {
                r = group_make(nt, job, job->next, &g);
                if (r < 0)
                        return r;
                render_here(nt, job, g);
        }
        if (nt->renderer && g->to < job->n_dests) {
                r = group_make(nt, job, g->to, &job->ahead);
                if (r < 0) {
                        group_free(g);
                        return r;
                }
                job->renderer = nt->renderer;
                renderer_start(nt->renderer, nt->templates, nt->cfg, job->ahead->sched.messages,
                               job->ahead->sched.n_messages, job->now, job->ahead->out);
        }
        const struct schedule *sched = &g->sched;
        int64_t *ids = xcalloc(sched->n_messages + 1, sizeof(int64_t));
        int *rows = xcalloc(sched->n_messages + 1, sizeof(int));
        r = store_begin(nt->store);
        if (r >= 0 && nt->in_transaction)
                r = nt->in_transaction(nt->in_transaction_data);
        for (size_t i = 0; r >= 0 && i < sched->n_messages; i++) {
                if (job->recheck && all_settled(nt, &sched->messages[i]))
                        ids[i] = 0;
                else
                        r = outbox_add(nt->store, nt->cfg, &sched->messages[i], &g->out[i], job->now, &ids[i],
                                       &rows[i]);
                note_told(job, g, &sched->messages[i], ids[i]);
        }
        for (size_t i = 0; r >= 0 && i < g->n_due; i++)
                r = record_stages(nt, job, &job->due[g->by_occ[i].due], true);
        bool last = g->to == job->n_dests;
        for (size_t i = 0; r >= 0 && last && i < job->n_due; i++) {
                r = record_stages(nt, job, &job->due[i], false);
                if (r >= 0)
                        r = move_on(nt, &job->due[i]);
        }
        if (r >= 0 && last)
                r = retire_dates(nt, job->now);
        if (r >= 0)
                r = store_commit(nt->store);
        else
                store_rollback(nt->store);
        if (r >= 0) {
                for (size_t i = 0; i < sched->n_messages; i++)
                        if (ids[i]) {
                                log_message(&sched->messages[i], ids[i], rows[i]);
                                if (nt->written)
                                        nt->written(&sched->messages[i], ids[i], nt->written_data);
                        } else
                                log_info("a %s for %s is not sent: what it lists was settled meanwhile",
                                         sched->messages[i].kind, sched->messages[i].recipient);
                job->next = g->to;
                job->written += sched->n_messages;
                r = (int) sched->n_messages;
        }
        free(ids);
        free(rows);
        group_free(g);
        return r;
}

/* A recipient at a send instant that a due occurrence is told of (the first pass of job_start). */
struct told_to {
        int64_t at;
        char *recipient;
        uint32_t due;
};

struct first_pass {
        struct told_to *v;
        size_t n, cap;
        uint32_t due; /* the due occurrence being told */
};

static bool note_dest(int64_t at, const char *recipient, void *userdata) {
        struct first_pass *p = userdata;
        if (p->n == p->cap) {
                p->cap = p->cap ? 2 * p->cap : 64;
                p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
        }
        p->v[p->n++] = (struct told_to) {at, xstrdup(recipient), p->due};
        return false; /* nothing is made in this pass */
}

static int compare_told_to(const void *a, const void *b) {
        const struct told_to *x = a, *y = b;
        int c = compare_dest(x->at, x->recipient, &(const struct dest) {y->at, y->recipient});
        return c ? c : (x->due > y->due) - (x->due < y->due);
}

/* The first pass over a wake-up's due occurrences, a slice of them loaded at a time: who is told at
 * which instant (the dests, in the order the messages are written), and of which occurrences. */
static int find_dests(struct notifier *nt, struct notifier_job *job) {
        struct first_pass p = {0};
        int r = 0;
        bool one_slice = job->n_due <= DUE_SLICE;
        for (size_t from = 0; r >= 0 && from < job->n_due; from += DUE_SLICE) {
                size_t n = MIN(DUE_SLICE, job->n_due - from);
                uint32_t *idx = xcalloc(n, sizeof(*idx));
                for (size_t i = 0; i < n; i++)
                        idx[i] = (uint32_t) (from + i);
                struct occurrence_set occs = {0};
                r = load_due_occurrences(nt, job, idx, n, !one_slice, &occs);
                if (r >= 0) {
                        struct schedule sched = {.cfg = nt->cfg, .want = note_dest, .want_data = &p};
                        tell_due(nt, job, idx, n, &occs, &sched, &p.due);
                        schedule_clear(&sched);
                }
                if (r >= 0 && one_slice) {
                        job->kept = occs;
                        job->has_kept = true;
                } else
                        occurrence_set_clear(&occs);
                free(idx);
        }
        if (p.n > 1)
                qsort(p.v, p.n, sizeof(*p.v), compare_told_to);
        /* As many dests and links as there are tells at most: made to size, held for the whole wake-up. */
        job->dests = xcalloc(p.n + 1, sizeof(*job->dests));
        job->links = xcalloc(p.n + 1, sizeof(*job->links));
        for (size_t i = 0; r >= 0 && i < p.n; i++) {
                struct told_to *t = &p.v[i];
                if (job->n_dests == 0 || compare_dest(t->at, t->recipient, &job->dests[job->n_dests - 1]) != 0)
                        job->dests[job->n_dests++] = (struct dest) {t->at, TAKE_PTR(t->recipient)};
                uint32_t dest = (uint32_t) (job->n_dests - 1);
                const struct dest_due *last = job->n_links ? &job->links[job->n_links - 1] : NULL;
                if (!last || last->dest != dest || last->due != t->due)
                        job->links[job->n_links++] = (struct dest_due) {dest, t->due};
        }
        if (job->n_dests > 0)
                job->dests = xreallocarray(job->dests, job->n_dests, sizeof(*job->dests));
        if (job->n_links > 0)
                job->links = xreallocarray(job->links, job->n_links, sizeof(*job->links));
        for (size_t i = 0; i < p.n; i++)
                free(p.v[i].recipient);
        free(p.v);
        return r;
}

/* Read what is due and who is told of it: a new job, or NULL with nothing due. */
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
        for (size_t i = 0; i < job->n_due; i++)
                collect_stages(nt, &job->due[i], now);
        r = find_dests(nt, job);
        if (r < 0) {
                job_free(job);
                return r;
        }
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
        int r = job_step(nt, job);
        if (r < 0 || job->next == job->n_dests) {
                *more = r >= 0 && job->more;
                notifier_drop(nt);
                return r;
        }
        *more = true;
        return r;
}

int64_t notifier_next(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "SELECT min(at) FROM (SELECT min(next_stage_at) AS at FROM occurrence "
                                         "INDEXED BY occurrence_next WHERE status = 'pending' AND next_stage_at IS NOT NULL "
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
