/* merzimd's writer thread: the schedule and the records, on a database connection of its own. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "log.h"
#include "notifier.h"
#include "outbox.h"
#include "planner.h"
#include "renderer.h"
#include "store.h"
#include "util.h"
#include "writer.h"

#define PLAN_BATCH 20000   /* occurrences planned per step, so that results are recorded in between */
#define NOTIFY_BATCH 5000  /* occurrences with due stages read at once */
#define WRITER_CACHE_KIB (-1024) /* PRAGMA cache_size of the writer's connection */
#define NOTIFY_CHUNK 128   /* recipients written per step: the first go out while the rest are made */

struct writer {
        pthread_t thread;
        bool running;
        int requests; /* eventfd: the event loop asks (results to record, stop) */
        int news_fd;  /* eventfd: there is news for the event loop */
        pthread_mutex_t lock;
        /* Under lock: */
        struct delivery_outcome *queue;
        size_t n_queue;
        bool stop;
        struct writer_news news;
        bool news_posted;

        /* The thread's own (set up by writer_start before the thread runs): */
        struct store *store;
        struct checkpointer *checkpointer;
        struct renderer *renderer;
        struct writer_setup setup;
        struct planner planner;
        struct notifier notifier;
        sd_event *event;
        sd_event_source *request_source, *watch, *timer, *work;
        char *db_dir, *db_name;
        int64_t data_version;
        bool scheduling; /* work through the schedule at the next step */
        size_t rows[2];   /* outbox rows written since the last news, by channel */
        int inotify_fd;   /* on the database's directory */
        struct delivery_outcome *carried; /* results recorded in the notifier's transaction */
        size_t n_carried;
        const char **carried_states;
        int failures;    /* steps in a row that failed, for back-off */
        unsigned seed;
};

/* The daemon's clock: the real time (to the second, not the coarse clock, which lags the timer by a
 * tick) moved by --now. */
static int64_t writer_now(const struct writer *w) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec + w->setup.offset;
}

/* Tell the event loop there is news (once until it takes it). Called with the lock held. */
static void post_news(struct writer *w) {
        if (!w->news_posted) {
                w->news_posted = true;
                (void) eventfd_write(w->news_fd, 1);
        }
}

static void kick(struct writer *w) {
        sd_event_source_set_enabled(w->work, SD_EVENT_ONESHOT);
}

/* Ranges of ids, "101-164, 170": what a message about many deliveries names. */
static char *id_ranges(const struct delivery_outcome *v, size_t n, enum delivery_channel channel) {
        struct buf b = {0};
        int64_t first = 0, last = 0;
        for (size_t i = 0; i <= n; i++) {
                bool take = i < n && v[i].d.channel == channel && v[i].res.verdict == DELIVERY_SENT;
                if (take && first && v[i].d.id == last + 1) {
                        last = v[i].d.id;
                        continue;
                }
                if (first && (take || i == n)) {
                        buf_printf(&b, "%s%lld", b.len ? ", " : "", (long long) first);
                        if (last != first)
                                buf_printf(&b, "-%lld", (long long) last);
                        first = 0;
                }
                if (take)
                        first = last = v[i].d.id;
        }
        return buf_steal(&b);
}

/* Log what became of deliveries recorded together: an e-mail, a retry or a failure gets a line of its own
 * (the relay's answer with its queue id, the error); webhooks delivered get one message for all of them,
 * with the journal fields of each. */
static void log_outcomes(const struct delivery_outcome *v, const char *const *states, size_t n, int r) {
        if (r < 0) {
                log_error_errno(r, "the results of %zu deliveries cannot be recorded: they will be sent again, after a pause", n);
                return;
        }
        size_t n_hooks = 0;
        for (size_t i = 0; i < n; i++) {
                const struct delivery *d = &v[i].d;
                const struct delivery_result *res = &v[i].res;
                if (d->channel == CHANNEL_WEBHOOK && streq(states[i], "sent")) {
                        n_hooks++;
                        continue;
                }
                _cleanup_free_ char *f_outbox = xasprintf("MERZIM_OUTBOX=%lld", (long long) d->id);
                _cleanup_free_ char *f_key = xasprintf("MERZIM_KEY=%s", d->key);
                _cleanup_free_ char *f_agency = xasprintf("MERZIM_AGENCY=%s", d->recipient ? d->recipient : "");
                _cleanup_free_ char *f_id = xasprintf("MERZIM_NOTIFICATION=%lld", (long long) d->notification_id);
                const char *channel = d->channel == CHANNEL_EMAIL ? "e-mail" : "webhook";
                if (streq(states[i], "sent"))
                        log_fields(LOG_INFO, FIELDS(f_outbox, f_key, f_agency, f_id), "%s %lld to %s delivered: %s",
                                   channel, (long long) d->id, d->address, res->reply ? res->reply : "");
                else
                        log_fields(streq(states[i], "failed") ? LOG_ERR : LOG_WARNING, FIELDS(f_outbox, f_key, f_agency, f_id),
                                   "%s %lld to %s %s after attempt %d: %s", channel, (long long) d->id, d->address,
                                   streq(states[i], "failed") ? "FAILED for good" : "will be retried", d->attempts + 1,
                                   res->reply ? res->reply : "no reply");
        }
        if (n_hooks == 0)
                return;
        char **fields = xcalloc(4 * n_hooks, sizeof(char *));
        size_t k = 0;
        const struct delivery_outcome *one = NULL;
        for (size_t i = 0; i < n; i++)
                if (v[i].d.channel == CHANNEL_WEBHOOK && streq(states[i], "sent")) {
                        one = &v[i];
                        fields[k++] = xasprintf("MERZIM_OUTBOX=%lld", (long long) v[i].d.id);
                        fields[k++] = xasprintf("MERZIM_KEY=%s", v[i].d.key);
                        fields[k++] = xasprintf("MERZIM_AGENCY=%s", v[i].d.recipient ? v[i].d.recipient : "");
                        fields[k++] = xasprintf("MERZIM_NOTIFICATION=%lld", (long long) v[i].d.notification_id);
                }
        if (n_hooks == 1)
                log_many(LOG_INFO, fields, k, "webhook %lld to %s delivered: %s", (long long) one->d.id,
                         one->d.address, one->res.reply ? one->res.reply : "");
        else {
                _cleanup_free_ char *ids = id_ranges(v, n, CHANNEL_WEBHOOK);
                log_many(LOG_INFO, fields, k, "%zu webhooks delivered (outbox %s)", n_hooks, ids);
        }
        for (size_t i = 0; i < k; i++)
                free(fields[i]);
        free(fields);
}

/* Write the results of a batch inside the caller's transaction. */
static int record_rows(struct writer *w, struct delivery_outcome *v, size_t n, const char **states) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = outbox_record(w->store, w->setup.cfg, &v[i].d, &v[i].res, v[i].started, v[i].ended,
                                  (unsigned) rand_r(&w->seed), &states[i]);
        return r;
}

/* A batch of results is committed (r >= 0) or not: log it, tell the event loop, free it. */
static void batch_done(struct writer *w, struct delivery_outcome *v, size_t n, const char **states, int r) {
        log_outcomes(v, states, n, r);
        pthread_mutex_lock(&w->lock);
        struct writer_news *news = &w->news;
        news->recorded = xreallocarray(news->recorded, news->n_recorded + n, sizeof(int64_t));
        for (size_t i = 0; i < n; i++) {
                news->recorded[news->n_recorded++] = v[i].d.id;
                if (r >= 0 && streq(states[i], "pending"))
                        news->retried = true;
        }
        if (r < 0)
                news->unrecorded = true;
        post_news(w);
        pthread_mutex_unlock(&w->lock);
        for (size_t i = 0; i < n; i++) {
                delivery_free(&v[i].d);
                delivery_result_clear(&v[i].res);
        }
}

/* Record results handed over, in a transaction of their own (one fsync for all). */
static void record(struct writer *w, struct delivery_outcome *v, size_t n) {
        const char **states = xcalloc(n, sizeof(char *));
        int r = store_begin(w->store);
        if (r >= 0)
                r = record_rows(w, v, n, states);
        if (r >= 0)
                r = store_commit(w->store);
        else
                store_rollback(w->store);
        batch_done(w, v, n, states, r);
        free(states);
}

/* Take the results handed over so far. */
static struct delivery_outcome *take_queue(struct writer *w, size_t *n) {
        pthread_mutex_lock(&w->lock);
        struct delivery_outcome *v = TAKE_PTR(w->queue);
        *n = w->n_queue;
        w->n_queue = 0;
        pthread_mutex_unlock(&w->lock);
        return v;
}

/* notifier's in_transaction: the results handed over while the messages were rendered are recorded
 * under the same commit as the messages. */
static int record_with_messages(void *userdata) {
        struct writer *w = userdata;
        w->carried = take_queue(w, &w->n_carried);
        if (w->n_carried == 0)
                return 0;
        w->carried_states = xcalloc(w->n_carried, sizeof(char *));
        return record_rows(w, w->carried, w->n_carried, w->carried_states);
}

/* notifier's while_rendering: results waiting are recorded now rather than with the chunk. */
static void record_while_rendering(void *userdata) {
        struct writer *w = userdata;
        size_t n;
        struct delivery_outcome *v = take_queue(w, &n);
        if (n > 0)
                record(w, v, n);
        free(v);
}

/* After a step of the notifier: the results it carried are recorded if it committed, else they are
 * tried again in a transaction of their own. */
static void carried_done(struct writer *w, int r) {
        struct delivery_outcome *v = TAKE_PTR(w->carried);
        const char **states = TAKE_PTR(w->carried_states);
        size_t n = w->n_carried;
        w->n_carried = 0;
        if (n > 0 && r >= 0)
                batch_done(w, v, n, states, r);
        else if (n > 0)
                record(w, v, n);
        free(v);
        free(states);
}

/* notifier's written: count the new outbox rows by channel, as the configuration gives them (the event
 * loop looks for due rows only on the channels that have new ones). */
static void count_rows(const struct message *m, int64_t notification_id _unused_, void *userdata) {
        struct writer *w = userdata;
        const struct agency_contact *a = config_agency(w->setup.cfg, m->recipient);
        for (size_t i = 0; a && a->emails && a->emails[i]; i++)
                w->rows[CHANNEL_EMAIL]++;
        if (a && a->webhook_url)
                w->rows[CHANNEL_WEBHOOK]++;
}

/* Arm the timer for the next stage due (or leave it off with none). */
static int64_t arm(struct writer *w) {
        int64_t next = notifier_next(w->store);
        if (next == INT64_MAX) {
                sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
                return next;
        }
        int64_t real = next - w->setup.offset;
        sd_event_source_set_time(w->timer, real > 0 ? (uint64_t) real * 1000000ULL : 1);
        sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
        return next;
}

/* One step through the schedule: plan a batch, or write a chunk of a send time's messages. */
static void schedule_step(struct writer *w) {
        int64_t now = writer_now(w);
        bool more = false;
        size_t written = 0;
        int r = planner_run(&w->planner, now, PLAN_BATCH);
        if (r >= 0 && r == PLAN_BATCH)
                more = true;
        else if (r >= 0) {
                r = notifier_run(&w->notifier, now, NOTIFY_BATCH, &more);
                carried_done(w, r);
                if (r > 0)
                        written = (size_t) r;
        }
        if (r < 0) {
                /* Never give up on the database: it may be busy, full or read-only for a while. */
                int64_t delay = w->failures < 8 ? 1 << w->failures : 300;
                w->failures++;
                log_error_errno(r, "cannot work through the schedule (%s); trying again in %llds", strerror(-r),
                                (long long) delay);
                w->scheduling = false;
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                sd_event_source_set_time(w->timer, (uint64_t) (ts.tv_sec + delay) * 1000000ULL);
                sd_event_source_set_enabled(w->timer, SD_EVENT_ONESHOT);
                pthread_mutex_lock(&w->lock);
                w->news.error = r;
                w->news.retry_in = delay;
                post_news(w);
                pthread_mutex_unlock(&w->lock);
                return;
        }
        w->failures = 0;
        int64_t next = INT64_MAX;
        if (!more) {
                w->scheduling = false;
                next = arm(w);
        }
        if (written == 0 && more)
                return;
        pthread_mutex_lock(&w->lock);
        w->news.written += written;
        w->news.rows[CHANNEL_EMAIL] += w->rows[CHANNEL_EMAIL];
        w->news.rows[CHANNEL_WEBHOOK] += w->rows[CHANNEL_WEBHOOK];
        w->rows[CHANNEL_EMAIL] = w->rows[CHANNEL_WEBHOOK] = 0;
        if (!more) {
                w->news.scheduled = true;
                w->news.next = next;
                w->news.error = 0;
        }
        post_news(w);
        pthread_mutex_unlock(&w->lock);
}

static void look_at_changes(struct writer *w);

/* The thread's step: results first (the event loop holds their rows until they are recorded), then the
 * schedule. */
static int on_work(sd_event_source *s _unused_, void *userdata) {
        struct writer *w = userdata;
        pthread_mutex_lock(&w->lock);
        bool stop = w->stop;
        pthread_mutex_unlock(&w->lock);
        size_t n;
        struct delivery_outcome *v = take_queue(w, &n);
        if (n > 0)
                record(w, v, n);
        free(v);
        if (stop) {
                sd_event_exit(w->event, 0);
                return 0;
        }
        if (w->scheduling)
                schedule_step(w);
        if (w->scheduling)
                kick(w);
        look_at_changes(w);
        return 0;
}

static int on_request(sd_event_source *s _unused_, int fd, uint32_t revents _unused_, void *userdata) {
        (void) eventfd_read(fd, &(eventfd_t) {0});
        kick(userdata);
        return 0;
}

static int on_timer(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        struct writer *w = userdata;
        w->scheduling = true;
        kick(w);
        return 0;
}

/* Read what inotify saw in the database's directory: if it touched the database and another connection
 * committed since (merzimctl, the HTTP interface), take it into account now. The writer's own commits
 * do not change its data version; it reads their events right after them, so that they do not wake it
 * again. */
static void look_at_changes(struct writer *w) {
        bool touched = false;
        for (;;) {
                char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                ssize_t n = read(w->inotify_fd, events, sizeof(events));
                if (n <= 0)
                        break;
                for (char *p = events; p < events + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        if (ev->len > 0 && strncmp(ev->name, w->db_name, strlen(w->db_name)) == 0)
                                touched = true;
                        p += sizeof(*ev) + ev->len;
                }
        }
        if (!touched)
                return;
        int64_t v = store_data_version(w->store);
        if (v == w->data_version)
                return;
        w->data_version = v;
        log_debug("the database changed: looking at the schedule again");
        w->scheduling = true;
        kick(w);
        pthread_mutex_lock(&w->lock);
        w->news.changed = true;
        post_news(w);
        pthread_mutex_unlock(&w->lock);
}

static int on_db_change(sd_event_source *s _unused_, int fd _unused_, uint32_t revents _unused_, void *userdata) {
        look_at_changes(userdata);
        return 0;
}

static void *writer_main(void *userdata) {
        struct writer *w = userdata;
        int r = sd_event_loop(w->event);
        if (r < 0)
                log_error_errno(r, "the writer stopped: %s", strerror(-r));
        return NULL;
}

int writer_new(const char *database, struct writer **ret) {
        struct writer *w = xcalloc(1, sizeof(*w));
        w->requests = w->news_fd = w->inotify_fd = -1;
        int r = store_open(database, 0, &w->store);
        if (r < 0) {
                free(w);
                return r;
        }
        /* A burst's writes go to the ends of the outbox's tables and a key index: 1 MiB of page cache
         * holds what they touch (SQLite's default, 2 MiB, adds a megabyte to the burst's peak). */
        store_set_cache_size(w->store, WRITER_CACHE_KIB);
        pthread_mutex_init(&w->lock, NULL);
        w->requests = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        w->news_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->requests < 0 || w->news_fd < 0)
                r = log_error_errno(-errno, "cannot make an eventfd: %m");
        if (r >= 0)
                r = checkpointer_start(w->store, &w->checkpointer);
        if (r >= 0)
                r = renderer_new(&w->renderer);
        if (r < 0) {
                writer_free(w);
                return r;
        }
        w->db_dir = path_dirname(database);
        w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->inotify_fd < 0 ||
            inotify_add_watch(w->inotify_fd, w->db_dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
                r = log_error_errno(-errno, "cannot watch %s: %m", w->db_dir);
                writer_free(w);
                return r;
        }
        const char *base = strrchr(database, '/');
        w->db_name = xstrdup(base ? base + 1 : database);
        w->seed = (unsigned) time(NULL) ^ (unsigned) getpid();
        *ret = w;
        return 0;
}

int writer_news_fd(const struct writer *w) {
        return w->news_fd;
}

int writer_start(struct writer *w, const struct writer_setup *s) {
        w->setup = *s;
        int r = planner_revision(w->store, s->fingerprint, &w->planner.rev);
        if (r < 0)
                return r;
        w->planner = (struct planner) {
                .store = w->store,
                .policy = s->policy,
                .calendar = s->calendar,
                .due_shift = s->cfg->due_shift,
                .rev = w->planner.rev,
        };
        w->notifier = (struct notifier) {
                .store = w->store,
                .cfg = s->cfg,
                .calendar = s->calendar,
                .policy = s->policy,
                .templates = s->templates,
                .planner = &w->planner,
                .chunk = NOTIFY_CHUNK,
                .renderer = w->renderer,
                .in_transaction = record_with_messages,
                .written = count_rows,
                .written_data = w,
                .while_rendering = record_while_rendering,
                .in_transaction_data = w,
        };
        w->data_version = store_data_version(w->store);
        w->stop = false;
        w->scheduling = true;
        w->failures = 0;
        if ((r = sd_event_new(&w->event)) < 0 ||
            (r = sd_event_add_io(w->event, &w->request_source, w->requests, EPOLLIN, on_request, w)) < 0 ||
            (r = sd_event_add_time(w->event, &w->timer, CLOCK_REALTIME, 0, 1000, on_timer, w)) < 0 ||
            (r = sd_event_add_defer(w->event, &w->work, on_work, w)) < 0 ||
            (r = sd_event_add_io(w->event, &w->watch, w->inotify_fd, EPOLLIN, on_db_change, w)) < 0) {
                log_error_errno(r, "cannot set up the writer's event loop: %s", strerror(-r));
                writer_stop(w);
                return r;
        }
        sd_event_source_set_enabled(w->timer, SD_EVENT_OFF);
        /* Lower numbers go first: what others ask for before the step. */
        sd_event_source_set_priority(w->work, SD_EVENT_PRIORITY_IDLE);
        kick(w);
        r = -pthread_create(&w->thread, NULL, writer_main, w);
        if (r < 0) {
                log_error_errno(r, "cannot start the writer thread: %m");
                writer_stop(w);
                return r;
        }
        pthread_setname_np(w->thread, "merzimd-writer");
        w->running = true;
        return 0;
}

void writer_record(struct writer *w, struct delivery_outcome *v, size_t n) {
        if (n == 0)
                return;
        pthread_mutex_lock(&w->lock);
        w->queue = xreallocarray(w->queue, w->n_queue + n, sizeof(*v));
        memcpy(w->queue + w->n_queue, v, n * sizeof(*v));
        w->n_queue += n;
        pthread_mutex_unlock(&w->lock);
        (void) eventfd_write(w->requests, 1);
}

void writer_take_news(struct writer *w, struct writer_news *ret) {
        (void) eventfd_read(w->news_fd, &(eventfd_t) {0});
        pthread_mutex_lock(&w->lock);
        *ret = w->news;
        w->news = (struct writer_news) {0};
        w->news_posted = false;
        pthread_mutex_unlock(&w->lock);
}

void writer_news_clear(struct writer_news *n) {
        free(n->recorded);
        *n = (struct writer_news) {0};
}

void writer_stop(struct writer *w) {
        if (w->running) {
                pthread_mutex_lock(&w->lock);
                w->stop = true;
                pthread_mutex_unlock(&w->lock);
                (void) eventfd_write(w->requests, 1);
                pthread_join(w->thread, NULL);
                w->running = false;
        }
        /* Results handed over after the thread stopped (or if it never ran) are recorded here. */
        size_t n;
        struct delivery_outcome *v = take_queue(w, &n);
        if (n > 0 && w->setup.cfg)
                record(w, v, n);
        else
                for (size_t i = 0; i < n; i++) {
                        delivery_free(&v[i].d);
                        delivery_result_clear(&v[i].res);
                }
        free(v);
        notifier_drop(&w->notifier);
        w->request_source = sd_event_source_disable_unref(w->request_source);
        w->timer = sd_event_source_disable_unref(w->timer);
        w->work = sd_event_source_disable_unref(w->work);
        w->watch = sd_event_source_disable_unref(w->watch);
        w->event = sd_event_unref(w->event);
}

void writer_free(struct writer *w) {
        if (!w)
                return;
        writer_stop(w);
        checkpointer_stop(w->checkpointer);
        renderer_free(w->renderer);
        store_close(w->store);
        writer_news_clear(&w->news);
        if (w->requests >= 0)
                close(w->requests);
        if (w->news_fd >= 0)
                close(w->news_fd);
        if (w->inotify_fd >= 0)
                close(w->inotify_fd);
        pthread_mutex_destroy(&w->lock);
        free(w->db_dir);
        free(w->db_name);
        free(w);
}
