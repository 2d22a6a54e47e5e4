/* merzimd's event loop. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/inotify.h>
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
#include "notifier.h"
#include "outbox.h"
#include "planner.h"
#include "render.h"
#include "store.h"
#include "tzone.h"
#include "util.h"

#define PLAN_BATCH 20000   /* occurrences planned per step, so that the loop stays responsive */
#define NOTIFY_BATCH 5000  /* occurrences with due stages read at once */
#define NOTIFY_CHUNK 256   /* messages written per step: the first go out while the rest are written */
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

/* A delivery that is over, waiting to be recorded with the others that ended about the same time: one
 * transaction (one fsync) for many. Until then a crash only means it is sent again, with its key. */
struct finished {
        struct delivery d;
        struct delivery_result res;
        int64_t started, ended;
};

/* Results are recorded RECORD_DELAY_USEC after the first of a batch ends, or at once when RECORD_BATCH
 * are waiting: a fsync per group of deliveries instead of one per delivery. A crash loses at most
 * those results, which are then sent again with their keys, like the deliveries in flight. */
#define RECORD_BATCH 64
#define RECORD_DELAY_USEC (10 * 1000ULL)

struct daemon {
        sd_event *event;
        char *config_path;
        struct setup setup;
        struct store *store;
        struct planner planner;
        struct notifier notifier;
        struct curl_glue *glue; /* webhooks */
        struct mailer *mailer;  /* e-mail, in a thread of its own */
        struct http_server *http; /* when http.enabled; its own thread and database connection */
        sd_event_source *wake, *kick, *db_watch, *stop_timer, *record;
        struct finished *finished;
        size_t n_finished;
        uint64_t status_reported; /* CLOCK_MONOTONIC of the last STATUS= */
        sd_event_source *sig_term, *sig_int, *sig_hup;
        int64_t offset; /* --now: the daemon's clock minus the real one, in seconds */
        struct flight *flights;
        size_t n_flights;
        size_t n_mail_flights; /* of n_flights: e-mails, at most smtp.max_connections */
        bool stopping;
        int64_t data_version;
        char *db_name;
        unsigned seed;
        int failures; /* steps in a row that failed, for back-off */
};

static int64_t daemon_now(const struct daemon *d) {
        return (int64_t) time(NULL) + d->offset;
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

/* Point the planner and the notifier at the current setup. */
static int adopt_setup(struct daemon *d) {
        struct setup *s = &d->setup;
        tz_set(s->cfg->timezone);
        notifier_drop(&d->notifier);
        d->planner = (struct planner) {
                .store = d->store,
                .policy = &s->policy,
                .calendar = s->calendar,
                .due_shift = s->cfg->due_shift,
        };
        d->notifier = (struct notifier) {
                .store = d->store,
                .cfg = s->cfg,
                .calendar = s->calendar,
                .policy = &s->policy,
                .templates = s->templates,
                .planner = &d->planner,
                .chunk = NOTIFY_CHUNK,
        };
        return planner_revision(d->store, s->fingerprint, &d->planner.rev);
}

static void kick(struct daemon *d) {
        if (d->kick)
                sd_event_source_set_enabled(d->kick, SD_EVENT_ONESHOT);
}

/* Tell systemd what the daemon is waiting for: at most once a second while it is busy (counting the
 * outbox costs), and always when it goes idle. */
static void report_status(struct daemon *d, int64_t next) {
        uint64_t mono = 0;
        sd_event_now(d->event, CLOCK_MONOTONIC, &mono);
        bool idle = d->n_flights == 0 && d->n_finished == 0;
        if (!idle && mono < d->status_reported + 1000000ULL)
                return;
        d->status_reported = mono;
        int pending = 0, failed = 0;
        outbox_depth(d->store, &pending, &failed);
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

static void log_result(const struct finished *fin, const char *state, int r) {
        const struct delivery *d = &fin->d;
        const struct delivery_result *res = &fin->res;
        _cleanup_free_ char *f_outbox = xasprintf("MERZIM_OUTBOX=%lld", (long long) d->id);
        _cleanup_free_ char *f_key = xasprintf("MERZIM_KEY=%s", d->key);
        _cleanup_free_ char *f_agency = xasprintf("MERZIM_AGENCY=%s", d->agency ? d->agency : "");
        const char *channel = d->channel == CHANNEL_EMAIL ? "e-mail" : "webhook";
        if (r < 0)
                log_error_errno(r, "delivery %lld: cannot record its result; it will be sent again", (long long) d->id);
        else if (streq(state, "sent"))
                log_fields(LOG_INFO, FIELDS(f_outbox, f_key, f_agency), "%s %lld to %s delivered: %s", channel,
                           (long long) d->id, d->address, res->reply ? res->reply : "");
        else
                log_fields(streq(state, "failed") ? LOG_ERR : LOG_WARNING, FIELDS(f_outbox, f_key, f_agency),
                           "%s %lld to %s %s after attempt %d: %s", channel, (long long) d->id, d->address,
                           streq(state, "failed") ? "FAILED for good" : "will be retried", d->attempts + 1,
                           res->reply ? res->reply : "no reply");
}

/* Record every delivery that is over, in one transaction. */
static void record_finished(struct daemon *d) {
        if (d->n_finished == 0)
                return;
        const char **states = xcalloc(d->n_finished, sizeof(char *));
        int r = store_begin(d->store);
        for (size_t i = 0; r >= 0 && i < d->n_finished; i++) {
                struct finished *fin = &d->finished[i];
                r = outbox_record(d->store, d->setup.cfg, &fin->d, &fin->res, fin->started, fin->ended,
                                  (unsigned) rand_r(&d->seed), &states[i]);
        }
        if (r >= 0)
                r = store_commit(d->store);
        else
                store_rollback(d->store);
        for (size_t i = 0; i < d->n_finished; i++) {
                log_result(&d->finished[i], states[i] ? states[i] : "?", r);
                delivery_free(&d->finished[i].d);
                delivery_result_clear(&d->finished[i].res);
        }
        free(states);
        d->n_finished = 0;
}

static int on_record(sd_event_source *s, uint64_t usec, void *userdata) {
        struct daemon *d = userdata;
        record_finished(d);
        if (d->stopping && d->n_flights == 0)
                sd_event_exit(d->event, 0);
        else
                kick(d);
        return 0;
}

/* A delivery is over: keep its result for the next batch to record, forget the flight and start the
 * next delivery at once. */
static void flight_finish(struct flight *f, struct delivery_result *res) {
        struct daemon *d = f->daemon;
        bool mail = f->d.channel == CHANNEL_EMAIL;
        d->finished = xreallocarray(d->finished, d->n_finished + 1, sizeof(struct finished));
        d->finished[d->n_finished++] = (struct finished) {
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
        if (!d->record || d->n_finished >= RECORD_BATCH || (d->stopping && d->n_flights == 0)) {
                on_record(NULL, 0, d);
                return;
        }
        int on = SD_EVENT_OFF;
        sd_event_source_get_enabled(d->record, &on);
        if (on == SD_EVENT_OFF &&
            (sd_event_source_set_time_relative(d->record, RECORD_DELAY_USEC) < 0 ||
             sd_event_source_set_enabled(d->record, SD_EVENT_ONESHOT) < 0)) {
                on_record(NULL, 0, d);
                return;
        }
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

static void on_webhook_done(struct curl_glue *g, CURL *easy, CURLcode code, void *userdata) {
        on_delivered(easy, code, userdata);
}

/* The outbox rows the daemon is working on: in flight, or over and not yet recorded. */
static int64_t *busy_ids(const struct daemon *d, size_t *ret) {
        int64_t *busy = xcalloc(d->n_flights + d->n_finished + 1, sizeof(int64_t));
        size_t n = 0;
        for (const struct flight *f = d->flights; f; f = f->next)
                busy[n++] = f->d.id;
        for (size_t i = 0; i < d->n_finished; i++)
                busy[n++] = d->finished[i].d.id;
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
 * delivery.max_parallel. */
static size_t room(const struct daemon *d, enum delivery_channel channel) {
        size_t max = channel == CHANNEL_EMAIL ? (size_t) d->setup.cfg->smtp_max_connections
                                              : (size_t) d->setup.cfg->max_parallel;
        size_t busy = channel == CHANNEL_EMAIL ? d->n_mail_flights : d->n_flights - d->n_mail_flights;
        return d->stopping || busy >= max ? 0 : max - busy;
}

/* The channels with room for more deliveries, as outbox channel bits. */
static unsigned open_channels(const struct daemon *d) {
        return (room(d, CHANNEL_EMAIL) ? OUTBOX_EMAIL : 0u) | (room(d, CHANNEL_WEBHOOK) ? OUTBOX_WEBHOOK : 0u);
}

/* Start as many due deliveries as there is room for on each channel. */
static int dispatch(struct daemon *d, int64_t now) {
        unsigned channels = open_channels(d);
        if (!channels)
                return 0;
        size_t n_busy;
        int64_t *busy = busy_ids(d, &n_busy);
        struct delivery *due = NULL;
        size_t n = 0;
        int r = outbox_due(d->store, d->setup.cfg, now, busy, n_busy, channels,
                           room(d, CHANNEL_EMAIL) + room(d, CHANNEL_WEBHOOK), &due, &n);
        free(busy);
        int64_t real_now = (int64_t) time(NULL);
        for (size_t i = 0; i < n; i++) {
                /* Rows beyond a channel's room wait for the next dispatch. */
                if (r >= 0 && room(d, due[i].channel) > 0)
                        start_flight(d, &due[i], now, real_now);
                else
                        delivery_free(&due[i]);
        }
        free(due);
        return r;
}

/* Arm the one timer for the next due stage or retry (or sleep with none). */
static int64_t arm(struct daemon *d) {
        int64_t next = notifier_next(d->store);
        unsigned channels = open_channels(d);
        if (channels) {
                size_t n_busy;
                int64_t *busy = busy_ids(d, &n_busy);
                int64_t retry = outbox_next_attempt(d->store, busy, n_busy, channels);
                free(busy);
                if (retry < next)
                        next = retry;
        }
        if (next == INT64_MAX || d->stopping) {
                sd_event_source_set_enabled(d->wake, SD_EVENT_OFF);
                return next;
        }
        int64_t real = next - d->offset;
        sd_event_source_set_time(d->wake, real > 0 ? (uint64_t) real * 1000000ULL : 1);
        sd_event_source_set_enabled(d->wake, SD_EVENT_ONESHOT);
        return next;
}

/* One step of work: plan, turn due stages into messages, start deliveries, and sleep until the next. */
static void run_once(struct daemon *d) {
        if (d->stopping)
                return;
        int64_t now = daemon_now(d);
        bool more = false;
        int r = planner_run(&d->planner, now, PLAN_BATCH);
        if (r >= 0 && r == PLAN_BATCH)
                more = true;
        else if (r >= 0)
                r = notifier_run(&d->notifier, now, NOTIFY_BATCH, &more);
        if (r >= 0)
                r = dispatch(d, now);
        if (r < 0) {
                /* Never give up on the database: it may be busy, full or read-only for a while. */
                int64_t delay = d->failures < 8 ? 1 << d->failures : 300;
                d->failures++;
                log_error_errno(r, "cannot work through the schedule (%s); trying again in %llds", strerror(-r),
                                (long long) delay);
                sd_event_source_set_time(d->wake, (uint64_t) (time(NULL) + delay) * 1000000ULL);
                sd_event_source_set_enabled(d->wake, SD_EVENT_ONESHOT);
                sd_notifyf(0, "STATUS=database error: %s; retrying in %llds", strerror(-r), (long long) delay);
                return;
        }
        d->failures = 0;
        if (more)
                kick(d);
        report_status(d, arm(d));
}

static int on_wake(sd_event_source *s, uint64_t usec, void *userdata) {
        run_once(userdata);
        return 0;
}

static int on_kick(sd_event_source *s, void *userdata) {
        run_once(userdata);
        return 0;
}

/* merzimctl (or anyone) changed the database: take it into account now. */
static int on_db_change(sd_event_source *s, const struct inotify_event *ev, void *userdata) {
        struct daemon *d = userdata;
        if (ev->len == 0 || strncmp(ev->name, d->db_name, strlen(d->db_name)) != 0)
                return 0;
        int64_t v = store_data_version(d->store);
        if (v != d->data_version) {
                d->data_version = v;
                log_debug("the database changed: looking at the schedule again");
                kick(d);
        }
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
                /* The HTTP thread reads the configuration: stop it before the old one goes. */
                http_server_stop(d->http);
                d->http = NULL;
                setup_clear(&d->setup);
                d->setup = fresh;
                r = adopt_setup(d);
                mailer_configure(d->mailer, d->setup.cfg->smtp_max_connections, d->setup.cfg->smtp_idle_seconds);
                report_mail_settings(d);
                start_http(d);
                log_info("configuration reloaded from %s", d->setup.cfg->path ? d->setup.cfg->path : "defaults");
        }
        sd_notify(0, "READY=1");
        kick(d);
}

static int on_stop_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
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
        sd_event_source_set_enabled(d->wake, SD_EVENT_OFF);
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

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        struct daemon *d = userdata;
        if (si->ssi_signo == SIGHUP)
                reload(d);
        else
                stop(d);
        return 0;
}

/* Say at start which agencies cannot be reached, so that the administrator can add them. */
static void report_contacts(struct daemon *d) {
        const struct config *cfg = d->setup.cfg;
        sqlite3_stmt *st = store_stmt(d->store,
                "SELECT DISTINCT a.code FROM agency a JOIN assignment x ON x.agency_id = a.id "
                "JOIN measure m ON m.id = x.measure_id WHERE NOT m.withdrawn "
                "UNION SELECT DISTINCT report_to FROM measure WHERE report_to IS NOT NULL AND NOT withdrawn "
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
        _cleanup_free_ char *dir = NULL;
        d->config_path = o->config_path ? xstrdup(o->config_path) : NULL;
        d->seed = (unsigned) time(NULL) ^ (unsigned) getpid();

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

        r = store_open(d->setup.cfg->database, 0, &d->store);
        if (r < 0)
                goto fail;
        r = adopt_setup(d);
        if (r < 0)
                goto fail;
        d->data_version = store_data_version(d->store);
        dir = path_dirname(d->setup.cfg->database);
        const char *base = strrchr(d->setup.cfg->database, '/');
        d->db_name = xstrdup(base ? base + 1 : d->setup.cfg->database);

        if ((r = sd_event_default(&d->event)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sig_term, SIGTERM, on_signal, d)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sig_int, SIGINT, on_signal, d)) < 0 ||
            (r = sd_event_add_signal(d->event, &d->sig_hup, SIGHUP, on_signal, d)) < 0 ||
            (r = sd_event_add_time(d->event, &d->wake, CLOCK_REALTIME, 0, 1000, on_wake, d)) < 0 ||
            (r = sd_event_add_defer(d->event, &d->kick, on_kick, d)) < 0 ||
            (r = sd_event_add_time_relative(d->event, &d->record, CLOCK_MONOTONIC, RECORD_DELAY_USEC, 1000,
                                            on_record, d)) < 0 ||
            (r = sd_event_add_inotify(d->event, &d->db_watch, dir, IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO,
                                      on_db_change, d)) < 0 ||
            (r = sd_event_set_watchdog(d->event, true)) < 0 || (r = curl_glue_new(d->event, &d->glue)) < 0 ||
            (r = mailer_new(d->event, d->setup.cfg->smtp_max_connections, d->setup.cfg->smtp_idle_seconds,
                                &d->mailer)) < 0) {
                log_error_errno(r, "cannot set up the event loop: %s", strerror(-r));
                goto fail;
        }
        sd_event_source_set_enabled(d->wake, SD_EVENT_OFF);
        sd_event_source_set_enabled(d->kick, SD_EVENT_OFF);
        sd_event_source_set_enabled(d->record, SD_EVENT_OFF);
        /* Lower numbers go first: signals before deliveries before the schedule. */
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
        d->offset = t - (int64_t) time(NULL);
}

int daemon_run(struct daemon *d) {
        char now[TZ_ISO_MAX];
        log_info("merzimd %s started: database %s, time zone %s, clock %s%s", PACKAGE_VERSION,
                 d->setup.cfg->database, d->setup.cfg->timezone, tz_format(daemon_now(d), now),
                 d->offset ? " (set with --now)" : "");
        start_http(d);
        run_once(d);
        sd_notify(0, "READY=1");
        int r = sd_event_loop(d->event);
        log_info("merzimd stopped");
        return r;
}

void daemon_free(struct daemon *d) {
        if (!d)
                return;
        http_server_stop(d->http);
        /* Deliveries still in flight are aborted and recorded before the store closes. */
        mailer_free(d->mailer);
        curl_glue_free(d->glue);
        record_finished(d);
        free(d->finished);
        notifier_drop(&d->notifier);
        sd_event_source_unref(d->record);
        sd_event_source_unref(d->wake);
        sd_event_source_unref(d->kick);
        sd_event_source_unref(d->db_watch);
        sd_event_source_unref(d->stop_timer);
        sd_event_source_unref(d->sig_term);
        sd_event_source_unref(d->sig_int);
        sd_event_source_unref(d->sig_hup);
        sd_event_unref(d->event);
        store_close(d->store);
        setup_clear(&d->setup);
        free(d->config_path);
        free(d->db_name);
        free(d);
}
