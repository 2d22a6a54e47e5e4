/* merzimd's event loop: deliveries through curl's multi interface and the mail sessions, a timer for the
 * next retry, signals and systemd's notifications. The schedule and the records are the writer's
 * (writer.c): a thread with a database connection of its own. */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <unistd.h>

#include "curl-glue.h"
#include "daemon.h"
#include "delivery.h"
#include "http.h"
#include "log.h"
#include "mailer.h"
#include "outbox.h"
#include "render.h"
#include "store.h"
#include "tzone.h"
#include "util.h"
#include "writer.h"

#define STOP_GRACE_USEC (5 * 1000000ULL)

/* What a configuration brings; replaced as a whole on reload. */
struct setup {
        struct config *cfg;
        struct calendar *calendar;
        struct templates *templates;
        struct policy policy;
        char *fingerprint;
};

struct flight {
        struct daemon *daemon;
        struct delivery d;
        CURL *easy;
        struct mail_job *mail;
        struct webhook_job *webhook;
        int64_t started;
        struct flight *next;
};

/* Results go to the writer RECORD_DELAY_USEC after the first of a group ends, or at once when
 * RECORD_HANDOFF are waiting; the writer records what it was given in one transaction (one fsync for
 * many). A delivery counts as unrecorded until the writer says it is recorded: no more than RECORD_BATCH
 * are, so that a crash sends again at most those and the deliveries in flight, with their keys.
 * Most of the time far fewer are: the bound is reached only while the writer is in a long transaction
 * (writing the messages of a large send time), and deliveries wait for it. At 64, a burst of 10,000
 * webhooks stopped in every one of the writer's transactions; at 256 it goes on meanwhile, with fewer
 * and larger commits of results, about a fifth faster (bench/BENCHMARKS.notes.md). */
#define RECORD_HANDOFF 32
#define RECORD_BATCH 256
#define RECORD_DELAY_USEC (10 * 1000ULL)

struct daemon {
        sd_event *event;
        char *config_path;
        struct setup setup;
        struct store *store;      /* the event loop's connection: it reads the outbox */
        struct writer *writer;    /* the schedule and the records, in a thread of their own */
        struct curl_glue *glue;   /* webhooks */
        struct mailer *mailer;    /* e-mail, in threads of their own */
        struct http_server *http; /* when http.enabled; its own thread and database connection */
        sd_event_source *retry, *kick, *stop_timer, *record, *news;
        struct delivery_outcome *finished; /* over, not yet handed to the writer */
        size_t n_finished;
        int64_t *recording; /* handed to the writer, not yet recorded */
        size_t n_recording;
        int64_t next_stage; /* when the schedule's next stage is due, as the writer last said */
        int64_t next_retry; /* when the next delivery is due: the retry timer (INT64_MAX: off) */
        bool drained[2];    /* by channel: no row due that is not in flight, as of the last look */
        int64_t hold_until; /* results could not be recorded: no delivery before then (back-off) */
        int hold_failures;  /* such failures in a row */
        uint64_t status_reported; /* CLOCK_MONOTONIC of the last STATUS= */
        uint64_t busy_since;      /* CLOCK_MONOTONIC when deliveries began, 0 when idle */
        sd_event_source *sig_term, *sig_int, *sig_hup;
        int64_t offset; /* --now: the daemon's clock minus the real one, in seconds */
        struct flight *flights;
        size_t n_flights;
        size_t n_mail_flights; /* of n_flights: e-mails, at most smtp.max_connections */
        bool stopping;
        bool ready; /* READY=1 sent: after the writer's first pass through the schedule */
};

/* The daemon's clock: the real time moved by --now. Not time(), which reads the coarse clock: it lags a
 * timer that fires on the second by up to a tick. */
static int64_t daemon_now(const struct daemon *d) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec + d->offset;
}

static void setup_clear(struct setup *s) {
        config_free(s->cfg);
        calendar_free(s->calendar);
        templates_free(s->templates);
        free(s->fingerprint);
        *s = (struct setup) {0};
}

/* Load a configuration and the calendar and templates it names; every problem goes to errs. */
static int setup_load(const char *path, unsigned flags, struct setup *s, struct errlist *errs) {
        *s = (struct setup) {0};
        int r = config_load_flags(path, flags, &s->cfg, errs);
        if (r < 0)
                return r;
        const char *file = s->cfg->path ? s->cfg->path : _("built-in configuration");
        if (tz_check(s->cfg->timezone) < 0) {
                errlist_add(errs, file, 0, _("unknown time zone \"%s\" (see /usr/share/zoneinfo)"), s->cfg->timezone);
                r = -EINVAL;
        }
        int rc = s->cfg->calendar ? calendar_load_file(s->cfg->calendar, &s->calendar, errs)
                                  : calendar_load_builtin(&s->calendar, errs);
        int rt = templates_load(s->cfg->templates, &s->templates, errs);
        if (r < 0 || rc < 0 || rt < 0) {
                setup_clear(s);
                return r < 0 ? r : rc < 0 ? rc : rt;
        }
        policy_from_config(s->cfg, &s->policy);
        s->fingerprint = policy_fingerprint(&s->policy, s->calendar, s->cfg->timezone);
        mail_resolve_helo(s->cfg);
        return 0;
}

int daemon_check_config(const char *config_path) {
        struct setup s;
        struct errlist errs = {0};
        int r = setup_load(config_path, CONFIG_CHECK_ONLY, &s, &errs);
        for (size_t i = 0; i < errs.n; i++)
                fprintf(stderr, "%s\n", errs.msgs[i]);
        if (r >= 0) {
                struct errlist warnings = {0};
                mail_settings_warnings(s.cfg, &warnings);
                for (size_t i = 0; i < warnings.n; i++)
                        fprintf(stderr, _("warning: %s\n"), warnings.msgs[i]);
                errlist_clear(&warnings);
                _cleanup_free_ char *helo = mail_helo_name(s.cfg);
                printf(_("configuration OK: %s (EHLO name %s)\n"), s.cfg->path ? s.cfg->path : _("built-in defaults"),
                       helo);
                setup_clear(&s);
        }
        errlist_clear(&errs);
        return r;
}

/* What the writer works with: the current setup. */
static struct writer_setup writer_setup_of(const struct daemon *d) {
        return (struct writer_setup) {
                .cfg = d->setup.cfg,
                .calendar = d->setup.calendar,
                .policy = &d->setup.policy,
                .templates = d->setup.templates,
                .fingerprint = d->setup.fingerprint,
                .offset = d->offset,
        };
}

/* Deliver what is due, once the events at hand are handled (many deliveries end at once). */
static void kick(struct daemon *d) {
        if (d->kick)
                sd_event_source_set_enabled(d->kick, SD_EVENT_ONESHOT);
}

/* Tell systemd what the daemon is waiting for: when it goes idle, and once a second while it stays busy
 * (counting the outbox costs; a wake-up of a few deliveries reports once, when it is over). */
static void report_status(struct daemon *d, bool force) {
        uint64_t mono = 0;
        sd_event_now(d->event, CLOCK_MONOTONIC, &mono);
        bool idle = d->n_flights == 0 && d->n_finished == 0 && d->n_recording == 0;
        if (!idle && d->busy_since == 0)
                d->busy_since = mono;
        if (idle)
                d->busy_since = 0;
        if (!force && !idle && (mono < d->busy_since + 1000000ULL || mono < d->status_reported + 1000000ULL))
                return;
        d->status_reported = mono;
        int pending = 0, failed = 0;
        outbox_depth(d->store, &pending, &failed);
        int64_t next = d->next_stage < d->next_retry ? d->next_stage : d->next_retry;
        char when[TZ_ISO_MAX] = "nothing scheduled";
        if (next != INT64_MAX)
                tz_format(next, when);
        sd_notifyf(0, "STATUS=next: %s; outbox: %d pending, %d failed; %zu in flight", when, pending, failed,
                   d->n_flights);
}

static void flight_free(struct flight *f) {
        mail_job_free(f->mail);
        webhook_job_free(f->webhook);
        if (f->easy)
                curl_easy_cleanup(f->easy);
        delivery_free(&f->d);
        free(f);
}

/* Give the writer the results waiting to be recorded. */
static void hand_over(struct daemon *d) {
        if (d->n_finished == 0)
                return;
        d->recording = xreallocarray(d->recording, d->n_recording + d->n_finished, sizeof(int64_t));
        for (size_t i = 0; i < d->n_finished; i++)
                d->recording[d->n_recording++] = d->finished[i].d.id;
        writer_record(d->writer, d->finished, d->n_finished);
        d->n_finished = 0;
        if (d->record)
                sd_event_source_set_enabled(d->record, SD_EVENT_OFF);
}

static int on_record(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        hand_over(userdata);
        return 0;
}

/* A delivery is over: keep its result for the writer, forget the flight and start the next delivery. */
static void flight_finish(struct flight *f, struct delivery_result *res) {
        struct daemon *d = f->daemon;
        bool mail = f->d.channel == CHANNEL_EMAIL;
        d->finished = xreallocarray(d->finished, d->n_finished + 1, sizeof(struct delivery_outcome));
        /* What was sent is not needed to record it: up to RECORD_BATCH outcomes wait, each without it. */
        delivery_drop_content(&f->d);
        d->finished[d->n_finished++] = (struct delivery_outcome) {
                .d = f->d, .res = *res, .started = f->started, .ended = daemon_now(d)};
        f->d = (struct delivery) {0};
        *res = (struct delivery_result) {0};

        for (struct flight **p = &d->flights; *p; p = &(*p)->next)
                if (*p == f) {
                        *p = f->next;
                        d->n_flights--;
                        if (mail)
                                d->n_mail_flights--;
                        break;
                }
        flight_free(f);
        if (d->stopping && d->n_flights == 0) {
                hand_over(d);
                sd_event_exit(d->event, 0);
                return;
        }
        int on = SD_EVENT_OFF;
        if (d->record)
                sd_event_source_get_enabled(d->record, &on);
        /* At once when nothing else is in flight: no other result is coming to share the commit. */
        if (d->n_finished >= RECORD_HANDOFF || d->n_flights == 0 || !d->record)
                hand_over(d);
        else if (on == SD_EVENT_OFF &&
                 (sd_event_source_set_time_relative(d->record, RECORD_DELAY_USEC) < 0 ||
                  sd_event_source_set_enabled(d->record, SD_EVENT_ONESHOT) < 0))
                hand_over(d);
        kick(d);
}

static void on_delivered(CURL *easy, CURLcode code, void *userdata) {
        struct flight *f = userdata;
        struct delivery_result res = {0};
        if (f->mail)
                mail_result(f->mail, easy, code, &res);
        else
                webhook_result(f->webhook, easy, code, &res);
        flight_finish(f, &res);
        delivery_result_clear(&res);
}

static void on_webhook_done(struct curl_glue *g _unused_, CURL *easy, CURLcode code, void *userdata) {
        on_delivered(easy, code, userdata);
}

/* The outbox rows the daemon is working on: in flight, or over and not yet recorded. */
static int64_t *busy_ids(const struct daemon *d, size_t *ret) {
        int64_t *busy = xcalloc(d->n_flights + d->n_finished + d->n_recording + 1, sizeof(int64_t));
        size_t n = 0;
        for (const struct flight *f = d->flights; f; f = f->next)
                busy[n++] = f->d.id;
        for (size_t i = 0; i < d->n_finished; i++)
                busy[n++] = d->finished[i].d.id;
        for (size_t i = 0; i < d->n_recording; i++)
                busy[n++] = d->recording[i];
        *ret = n;
        return busy;
}

static void start_flight(struct daemon *d, struct delivery *del, int64_t now, int64_t real_now) {
        struct flight *f = xcalloc(1, sizeof(*f));
        f->daemon = d;
        f->d = *del;
        f->started = now;
        f->next = d->flights;
        d->flights = f;
        d->n_flights++;
        if (f->d.channel == CHANNEL_EMAIL)
                d->n_mail_flights++;

        /* A webhook's timestamp is the real time, also under --now: receivers check it against their
         * clock to refuse replayed requests. */
        f->easy = curl_easy_init();
        int r = !f->easy ? -ENOMEM
                : f->d.channel == CHANNEL_EMAIL ? mail_setup(f->easy, d->setup.cfg, &f->d, &f->mail)
                                                : webhook_setup(f->easy, d->setup.cfg, &f->d, real_now, &f->webhook);
        if (r >= 0)
                r = f->d.channel == CHANNEL_EMAIL ? mailer_add(d->mailer, f->easy, f->mail, on_delivered, f)
                                                  : curl_glue_add(d->glue, f->easy, on_webhook_done, f);
        if (r < 0) {
                /* A row that cannot even be set up (a bad address) fails for good. */
                struct delivery_result res = {
                        .verdict = r == -EINVAL ? DELIVERY_FAILED : DELIVERY_RETRY,
                        .reply = xasprintf("cannot send: %s", strerror(-r)),
                };
                flight_finish(f, &res);
                delivery_result_clear(&res);
        }
}

/* Room for more deliveries: e-mails up to smtp.max_connections (one per SMTP session), webhooks up to
 * delivery.max_parallel, and no more unrecorded than RECORD_BATCH beyond those in flight. */
static size_t room(const struct daemon *d, enum delivery_channel channel) {
        size_t max = channel == CHANNEL_EMAIL ? (size_t) d->setup.cfg->smtp_max_connections
                                              : (size_t) d->setup.cfg->max_parallel;
        size_t busy = channel == CHANNEL_EMAIL ? d->n_mail_flights : d->n_flights - d->n_mail_flights;
        if (d->stopping || busy >= max)
                return 0;
        /* Every delivery in flight may add to the unrecorded: webhooks count against RECORD_BATCH. */
        size_t unrecorded = d->n_finished + d->n_recording + (d->n_flights - d->n_mail_flights);
        if (channel == CHANNEL_WEBHOOK && unrecorded >= (size_t) RECORD_BATCH + max)
                return 0;
        size_t left = channel == CHANNEL_WEBHOOK ? RECORD_BATCH + max - unrecorded : max - busy;
        return max - busy < left ? max - busy : left;
}

/* Look for due rows again on every channel (rows were added, fell due or came back). */
static void look_again(struct daemon *d) {
        d->drained[CHANNEL_EMAIL] = d->drained[CHANNEL_WEBHOOK] = false;
}

/* Start as many due deliveries as there is room for on each channel. A channel that has fewer due than
 * it has room for is drained: it is looked at again when rows are added to it or fall due (the retry
 * timer, armed for the first of them). */
static void deliver(struct daemon *d) {
        if (d->stopping)
                return;
        if (d->hold_until > daemon_now(d)) {
                /* Sending what cannot be recorded would only send it again and again. */
                if (d->hold_until < d->next_retry) {
                        d->next_retry = d->hold_until;
                        sd_event_source_set_time(d->retry, (uint64_t) (d->hold_until - d->offset) * 1000000ULL);
                        sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
                }
                report_status(d, false);
                return;
        }
        size_t space[2];
        for (int c = CHANNEL_EMAIL; c <= CHANNEL_WEBHOOK; c++)
                space[c] = d->drained[c] ? 0 : room(d, (enum delivery_channel) c);
        if (space[CHANNEL_EMAIL] + space[CHANNEL_WEBHOOK] > 0) {
                int64_t now = daemon_now(d), next = INT64_MAX;
                size_t n_busy;
                int64_t *busy = busy_ids(d, &n_busy);
                struct delivery *due = NULL;
                size_t n = 0, found[2] = {0, 0};
                int r = outbox_due(d->store, d->setup.cfg, now, busy, n_busy, space, &due, &n, &next);
                free(busy);
                int64_t real_now = (int64_t) time(NULL);
                for (size_t i = 0; i < n; i++) {
                        found[due[i].channel]++;
                        start_flight(d, &due[i], now, real_now);
                }
                free(due);
                if (r < 0)
                        /* Logged by the outbox; the database may be busy for a while: look again soon. */
                        next = now + 1;
                else
                        for (int c = CHANNEL_EMAIL; c <= CHANNEL_WEBHOOK; c++)
                                if (found[c] < space[c])
                                        d->drained[c] = true;
                if (next < d->next_retry) {
                        d->next_retry = next;
                        int64_t real = next - d->offset;
                        sd_event_source_set_time(d->retry, real > 0 ? (uint64_t) real * 1000000ULL : 1);
                        sd_event_source_set_enabled(d->retry, SD_EVENT_ONESHOT);
                }
        }
        report_status(d, false);
}

static int on_kick(sd_event_source *s _unused_, void *userdata) {
        deliver(userdata);
        return 0;
}

static int on_retry(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        struct daemon *d = userdata;
        d->next_retry = INT64_MAX;
        look_again(d);
        deliver(d);
        return 0;
}

/* The writer recorded results, wrote messages, worked through the schedule or saw the database change. */
static int on_news(sd_event_source *s _unused_, int fd _unused_, uint32_t revents _unused_, void *userdata) {
        struct daemon *d = userdata;
        struct writer_news news;
        writer_take_news(d->writer, &news);
        /* Rows recorded are no longer busy (recorded ids come back in the order they were handed over). */
        size_t k = 0;
        for (size_t i = 0; i < d->n_recording; i++) {
                bool done = false;
                for (size_t j = 0; !done && j < news.n_recorded; j++)
                        done = news.recorded[j] == d->recording[i];
                if (!done)
                        d->recording[k++] = d->recording[i];
        }
        d->n_recording = k;
        if (news.scheduled)
                d->next_stage = news.next;
        if (news.error)
                sd_notifyf(0, "STATUS=database error: %s; retrying in %llds", strerror(-news.error),
                           (long long) news.retry_in);
        if (news.rows[CHANNEL_EMAIL])
                d->drained[CHANNEL_EMAIL] = false;
        if (news.rows[CHANNEL_WEBHOOK])
                d->drained[CHANNEL_WEBHOOK] = false;
        if (news.changed || news.retried || news.unrecorded)
                look_again(d);
        if (news.unrecorded) {
                int64_t delay = d->hold_failures < 6 ? 1 << d->hold_failures : 60;
                d->hold_failures++;
                d->hold_until = daemon_now(d) + delay;
        } else if (news.n_recorded)
                d->hold_failures = 0;
        if (news.written || news.n_recorded || news.changed || news.scheduled)
                kick(d);
        if (!d->ready && (news.scheduled || news.error)) {
                /* Ready once the schedule was looked at: the status says what comes next. */
                report_status(d, true);
                sd_notify(0, "READY=1");
                d->ready = true;
        }
        writer_news_clear(&news);
        return 0;
}

/* Serve the HTTP interface if the configuration asks for it; a failure leaves the rest running. */
static void start_http(struct daemon *d) {
        if (d->setup.cfg->http_enabled && http_server_start(d->setup.cfg, d->setup.calendar, d->offset, &d->http) < 0)
                log_error("the HTTP interface is off: merzimd goes on without it");
}

/* Say how merzimd will introduce itself to the mail relay, and warn about settings a relay may refuse. */
static void report_mail_settings(const struct daemon *d) {
        struct errlist warnings = {0};
        mail_settings_warnings(d->setup.cfg, &warnings);
        for (size_t i = 0; i < warnings.n; i++)
                log_warning("%s", warnings.msgs[i]);
        errlist_clear(&warnings);
        _cleanup_free_ char *helo = mail_helo_name(d->setup.cfg);
        log_info("e-mail goes through %s as %s: at most %d sessions, each closed after %d s idle",
                 d->setup.cfg->smtp_url, helo, d->setup.cfg->smtp_max_connections, d->setup.cfg->smtp_idle_seconds);
}

static void reload(struct daemon *d) {
        uint64_t mono = 0;
        sd_event_now(d->event, CLOCK_MONOTONIC, &mono);
        sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
                   (unsigned long long) mono);
        struct setup fresh;
        struct errlist errs = {0};
        int r = setup_load(d->config_path, 0, &fresh, &errs);
        for (size_t i = 0; i < errs.n; i++)
                log_error("%s", errs.msgs[i]);
        errlist_clear(&errs);
        if (r < 0) {
                log_error("the new configuration has errors: keeping the one in use");
        } else {
                /* The HTTP thread and the writer read the configuration: stop them before the old one
                 * goes (the writer records what it was given first). */
                http_server_stop(d->http);
                d->http = NULL;
                hand_over(d);
                writer_stop(d->writer);
                struct writer_news news;
                writer_take_news(d->writer, &news);
                writer_news_clear(&news);
                d->n_recording = 0;
                setup_clear(&d->setup);
                d->setup = fresh;
                tz_set(d->setup.cfg->timezone);
                malloc_trim(0);
                struct writer_setup ws = writer_setup_of(d);
                r = writer_start(d->writer, &ws);
                if (r < 0)
                        log_error_errno(r, "the schedule cannot be worked through with the new configuration: %s",
                                        strerror(-r));
                curl_glue_keep_connections(d->glue, 2L * d->setup.cfg->max_parallel);
                look_again(d);
                mailer_configure(d->mailer, d->setup.cfg->smtp_max_connections, d->setup.cfg->smtp_idle_seconds);
                report_mail_settings(d);
                start_http(d);
                log_info("configuration reloaded from %s", d->setup.cfg->path ? d->setup.cfg->path : "defaults");
        }
        sd_notify(0, "READY=1");
        kick(d);
}

static int on_stop_timeout(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        struct daemon *d = userdata;
        log_warning(plural("%zu delivery still in flight at shutdown: it will be retried after the restart",
                           "%zu deliveries still in flight at shutdown: they will be retried after the restart",
                           d->n_flights),
                    d->n_flights);
        sd_event_exit(d->event, 0);
        return 0;
}

static void stop(struct daemon *d) {
        if (d->stopping)
                return;
        d->stopping = true;
        sd_notify(0, "STOPPING=1\nSTATUS=stopping: waiting for deliveries in flight");
        sd_event_source_set_enabled(d->retry, SD_EVENT_OFF);
        if (d->n_flights == 0) {
                sd_event_exit(d->event, 0);
                return;
        }
        log_info(plural("stopping once %zu delivery in flight is done", "stopping once %zu deliveries in flight are done",
                        d->n_flights),
                 d->n_flights);
        uint64_t limit = (uint64_t) d->setup.cfg->timeout_seconds * 1000000ULL + STOP_GRACE_USEC;
        sd_event_add_time_relative(d->event, &d->stop_timer, CLOCK_MONOTONIC, limit, 0, on_stop_timeout, d);
}

static int on_signal(sd_event_source *s _unused_, const struct signalfd_siginfo *si, void *userdata) {
        struct daemon *d = userdata;
        if (si->ssi_signo == SIGHUP)
                reload(d);
        else
                stop(d);
        return 0;
}

/* Say at start which agencies cannot be reached, so that the administrator can add them. The executors
 * come from the plans' lists of agencies (kept by merzimctl import): reading every assignment of every
 * measure was most of the start-up. */
static void report_contacts(struct daemon *d) {
        const struct config *cfg = d->setup.cfg;
        sqlite3_stmt *st = store_stmt(d->store,
                "SELECT a.code FROM plan_agency p JOIN agency a ON a.id = p.agency_id "
                "UNION SELECT report_to FROM measure WHERE report_to IS NOT NULL AND NOT withdrawn "
                "ORDER BY 1");
        if (!st)
                return;
        struct buf list = {0};
        int unreachable = 0;
        while (sqlite3_step(st) == SQLITE_ROW)
                if (!agency_contact_reachable(config_agency(cfg, stmt_text(st, 0)))) {
                        buf_printf(&list, "%s%s", list.len ? ", " : "", stmt_text(st, 0));
                        unreachable++;
                }
        sqlite3_reset(st);
        st = store_stmt(d->store, "SELECT id, title, coordinator FROM plan ORDER BY id");
        if (!st)
                return;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const struct plan_settings *ps = config_plan(cfg, stmt_text(st, 1));
                const char *coordinator = ps && ps->coordinator ? ps->coordinator : stmt_text(st, 2);
                if (!coordinator)
                        log_warning("plan %s \"%s\" has no coordinator: escalations have no one to go to; name one in "
                                    "plans = ( { title = \"...\"; coordinator = \"...\"; } )",
                                    stmt_text(st, 0), stmt_text(st, 1));
                else if (!agency_contact_reachable(config_agency(cfg, coordinator)))
                        log_warning("the coordinator %s of plan %s has no e-mail or webhook: messages for agencies "
                                    "without contact cannot be sent", coordinator, stmt_text(st, 0));
        }
        sqlite3_reset(st);
        if (unreachable)
                log_notice(plural("%d agency has no e-mail or webhook; its messages go to its plan's coordinator, "
                                  "marked as meant for it: %s",
                                  "%d agencies have no e-mail or webhook; their messages go to their plan's "
                                  "coordinator, marked as meant for them: %s",
                                  (unsigned long) unreachable),
                           unreachable, list.data);
        buf_free(&list);
}

int daemon_new(const struct daemon_options *o, struct daemon **ret) {
        struct daemon *d = xcalloc(1, sizeof(*d));
        d->config_path = o->config_path ? xstrdup(o->config_path) : NULL;
        d->next_stage = d->next_retry = INT64_MAX;

        /* Blocked first: a stop asked for while the configuration loads waits for the loop, which
         * stops cleanly, instead of killing the process. */
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        struct errlist errs = {0};
        int r = setup_load(d->config_path, 0, &d->setup, &errs);
        for (size_t i = 0; i < errs.n; i++)
                log_error("%s", errs.msgs[i]);
        errlist_clear(&errs);
        if (r < 0)
                goto fail;
        tz_set(d->setup.cfg->timezone);
        /* Reading a large configuration takes many times what it leaves (libconfig's tree of it): give
         * that back. */
        malloc_trim(0);

        r = store_open(d->setup.cfg->database, 0, &d->store);
        if (r < 0)
                goto fail;
        /* The event loop only reads the rows it delivers: a small page cache is enough. */
        store_set_cache_size(d->store, -256);
        r = writer_new(d->setup.cfg->database, &d->writer);
        if (r < 0)
                goto fail;

        if ((r = sd_event_default(&d->event)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sig_term, SIGTERM, on_signal, d)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sig_int, SIGINT, on_signal, d)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sig_hup, SIGHUP, on_signal, d)) < 0 ||
            (r = sd_event_add_time(d->event, &d->retry, CLOCK_REALTIME, 0, 1000, on_retry, d)) < 0 ||
            (r = sd_event_add_defer(d->event, &d->kick, on_kick, d)) < 0 ||
            (r = sd_event_add_time_relative(d->event, &d->record, CLOCK_MONOTONIC, RECORD_DELAY_USEC, 1000,
                                            on_record, d)) < 0 ||
            (r = sd_event_add_io(d->event, &d->news, writer_news_fd(d->writer), EPOLLIN, on_news, d)) < 0 ||
            (r = sd_event_set_watchdog(d->event, true)) < 0 || (r = curl_glue_new(d->event, &d->glue)) < 0 ||
            (r = mailer_new(d->event, d->setup.cfg->smtp_max_connections, d->setup.cfg->smtp_idle_seconds,
                                &d->mailer)) < 0) {
                log_error_errno(r, "cannot set up the event loop: %s", strerror(-r));
                goto fail;
        }
        /* Connections to receivers are kept between deliveries (a send time's messages to one endpoint go
         * out over max_parallel connections, not one each). */
        curl_glue_keep_connections(d->glue, 2L * d->setup.cfg->max_parallel);
        sd_event_source_set_enabled(d->retry, SD_EVENT_OFF);
        sd_event_source_set_enabled(d->kick, SD_EVENT_OFF);
        sd_event_source_set_enabled(d->record, SD_EVENT_OFF);
        /* Lower numbers go first: signals, the writer's news and transfers before starting deliveries. */
        sd_event_source_set_priority(d->kick, SD_EVENT_PRIORITY_IDLE);

        report_contacts(d);
        report_mail_settings(d);
        *ret = d;
        return 0;

fail:
        daemon_free(d);
        return r;
}

void daemon_set_clock(struct daemon *d, int64_t t) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        d->offset = t - (int64_t) ts.tv_sec;
}

int daemon_run(struct daemon *d) {
        char now[TZ_ISO_MAX], real[TZ_ISO_MAX];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (d->offset)
                log_info("merzimd %s started: database %s, time zone %s, clock %s (set with --now; real time %s)",
                         PACKAGE_VERSION, d->setup.cfg->database, d->setup.cfg->timezone,
                         tz_format(ts.tv_sec + d->offset, now), tz_format_utc(ts.tv_sec, real));
        else
                log_info("merzimd %s started: database %s, time zone %s, clock %s", PACKAGE_VERSION,
                         d->setup.cfg->database, d->setup.cfg->timezone, tz_format(ts.tv_sec, now));
        start_http(d);
        struct writer_setup ws = writer_setup_of(d);
        int r = writer_start(d->writer, &ws);
        if (r < 0)
                return r;
        /* Deliveries left due by the last run go out while the writer works through the schedule. */
        kick(d);
        r = sd_event_loop(d->event);
        log_info("merzimd stopped");
        return r;
}

void daemon_free(struct daemon *d) {
        if (!d)
                return;
        http_server_stop(d->http);
        /* Deliveries still in flight are aborted, then recorded with the others before the store closes. */
        d->stopping = true;
        mailer_free(d->mailer);
        curl_glue_free(d->glue);
        if (d->writer) {
                hand_over(d);
                writer_free(d->writer);
        }
        for (size_t i = 0; i < d->n_finished; i++) {
                delivery_free(&d->finished[i].d);
                delivery_result_clear(&d->finished[i].res);
        }
        free(d->finished);
        free(d->recording);
        sd_event_source_unref(d->record);
        sd_event_source_unref(d->retry);
        sd_event_source_unref(d->kick);
        sd_event_source_unref(d->news);
        sd_event_source_unref(d->stop_timer);
        sd_event_source_unref(d->sig_term);
        sd_event_source_unref(d->sig_int);
        sd_event_source_unref(d->sig_hup);
        sd_event_unref(d->event);
        store_close(d->store);
        setup_clear(&d->setup);
        free(d->config_path);
        free(d);
}
