/* merzim-bench: the daemon's own steps, timed in one process that links libmerzim.a.
 *
 *   merzim-bench import CONF FILE     parse and import a roadmap (the work of merzimctl import), timed apart
 *   merzim-bench plan CONF NOW        the planner's pass over every pending occurrence as imported (cold),
 *                                     in the daemon's batches, until done: a plan per due date for the
 *                                     occurrences that went through no stage, one each for the others
 *   merzim-bench wake CONF            one wake-up of the daemon at the next send time: planner_run (nothing
 *                                     left to plan), notifier_run, outbox_due, then arming the next timer
 *                                     (notifier_next, outbox_next_attempt) and the status (outbox_depth)
 *
 * Each prints "key=value" lines that bench/run reads. CPU time is the thread's (CLOCK_THREAD_CPUTIME_ID);
 * instructions come from perf_event_open when the machine lets us count them (else "instructions=n/a").
 */
#include "config.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "conf.h"
#include "import.h"
#include "log.h"
#include "notifier.h"
#include "outbox.h"
#include "planner.h"
#include "policy.h"
#include "render.h"
#include "roadmap.h"
#include "store.h"
#include "tzone.h"
#include "util.h"

#define PLAN_BATCH 20000  /* as in daemon.c */
#define NOTIFY_BATCH 5000 /* as in daemon.c */

static double now_wall(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double now_cpu(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* A counter of instructions retired by this thread in user and kernel mode, or -1. */
static int instructions_open(void) {
        struct perf_event_attr pe = {
                .type = PERF_TYPE_HARDWARE,
                .size = sizeof(pe),
                .config = PERF_COUNT_HW_INSTRUCTIONS,
                .disabled = 1,
                .exclude_hv = 1,
        };
        int fd = (int) syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
        if (fd < 0) {
                pe.exclude_kernel = 1;
                fd = (int) syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
        }
        return fd;
}

static long long instructions_read(int fd) {
        long long v = -1;
        if (fd < 0 || read(fd, &v, sizeof(v)) != sizeof(v))
                return -1;
        return v;
}

struct setup {
        struct config *cfg;
        struct calendar *cal;
        struct templates *templates;
        struct policy policy;
        struct store *store;
        struct planner planner;
        struct notifier notifier;
};

static void setup_open(const char *conf, struct setup *s) {
        struct errlist errs = {0};
        *s = (struct setup) {0};
        if (config_load(conf, &s->cfg, &errs) < 0 || calendar_load_builtin(&s->cal, &errs) < 0 ||
            templates_load(NULL, &s->templates, &errs) < 0) {
                for (size_t i = 0; i < errs.n; i++)
                        fprintf(stderr, "%s\n", errs.msgs[i]);
                exit(1);
        }
        tz_set(s->cfg->timezone);
        if (store_open(s->cfg->database, 0, &s->store) < 0)
                exit(1);
        policy_from_config(s->cfg, &s->policy);
        s->planner = (struct planner) {
                .store = s->store,
                .policy = &s->policy,
                .calendar = s->cal,
                .due_shift = s->cfg->due_shift,
        };
        s->notifier = (struct notifier) {
                .store = s->store,
                .cfg = s->cfg,
                .calendar = s->cal,
                .policy = &s->policy,
                .templates = s->templates,
                .planner = &s->planner,
        };
        _cleanup_free_ char *fp = policy_fingerprint(&s->policy, s->cal, s->cfg->timezone);
        if (planner_revision(s->store, fp, &s->planner.rev) < 0)
                exit(1);
}

static void setup_close(struct setup *s) {
        store_close(s->store);
        templates_free(s->templates);
        calendar_free(s->cal);
        config_free(s->cfg);
}

static int cmd_import(const char *conf, const char *file) {
        struct errlist errs = {0};
        struct config *cfg;
        struct calendar *cal;
        if (config_load(conf, &cfg, &errs) < 0 || calendar_load_builtin(&cal, &errs) < 0)
                return 1;
        tz_set(cfg->timezone);
        char *text;
        size_t len;
        if (read_file(file, &text, &len) < 0)
                return 1;
        double t0 = now_wall(), c0 = now_cpu();
        struct roadmap *map;
        if (roadmap_parse(text, len, file, NULL, &map, &errs) < 0) {
                for (size_t i = 0; i < errs.n && i < 10; i++)
                        fprintf(stderr, "%s\n", errs.msgs[i]);
                return 1;
        }
        double t1 = now_wall(), c1 = now_cpu();
        struct store *store;
        if (store_open(cfg->database, 0, &store) < 0)
                return 1;
        char digest[65];
        import_digest(text, len, digest);
        struct import_options o = {
                .source_name = file,
                .sha256 = digest,
                .actor = "merzim-bench",
                .calendar = cal,
                .due_shift = cfg->due_shift,
                .now = time(NULL),
        };
        struct import_report rep;
        double t2 = now_wall(), c2 = now_cpu();
        int r = import_roadmap(store, map, &o, &rep);
        double t3 = now_wall(), c3 = now_cpu();
        if (r < 0)
                return 1;
        printf("measures=%d\noccurrences=%d\nparse_seconds=%.3f\nparse_cpu_seconds=%.3f\nimport_seconds=%.3f\n"
               "import_cpu_seconds=%.3f\n",
               rep.n_measures, rep.n_occurrences, t1 - t0, c1 - c0, t3 - t2, c3 - c2);
        roadmap_free(map);
        store_close(store);
        free(text);
        calendar_free(cal);
        config_free(cfg);
        return 0;
}

static int cmd_plan(const char *conf, const char *now_text) {
        struct setup s;
        setup_open(conf, &s);
        int64_t now;
        if (tz_parse(now_text, &now) < 0)
                return 1;
        double w0 = now_wall(), c0 = now_cpu();
        int steps = 0, r;
        do {
                r = planner_run(&s.planner, now, PLAN_BATCH);
                if (r < 0)
                        return 1;
                steps++;
        } while (r == PLAN_BATCH);
        double w1 = now_wall(), c1 = now_cpu();
        /* What the pass left: occurrences on a plan of their own, fresh ones on their date's, and dates. */
        sqlite3_stmt *st = store_stmt(s.store, "SELECT (SELECT count(*) FROM occurrence WHERE status = 'pending' "
                                               "AND planned_rev > 0), (SELECT count(*) FROM occurrence WHERE "
                                               "status = 'pending' AND planned_rev = 0), (SELECT count(*) FROM date_plan)");
        if (!st || sqlite3_step(st) != SQLITE_ROW)
                return 1;
        printf("own=%lld\nfresh=%lld\ndates=%lld\nsteps=%d\nplan_seconds=%.3f\nplan_cpu_seconds=%.3f\n",
               (long long) sqlite3_column_int64(st, 0), (long long) sqlite3_column_int64(st, 1),
               (long long) sqlite3_column_int64(st, 2), steps, w1 - w0, c1 - c0);
        sqlite3_reset(st);
        setup_close(&s);
        return 0;
}

struct wake_result {
        int planned, messages;
        size_t deliveries;
        int64_t next;
};

/* The daemon's run_once() at the send time, less the start of transfers: plan (nothing is left to),
 * turn the due stages into messages, read the deliveries to start, then what arm() and
 * report_status() read. Not inlined, for callgrind --toggle-collect=wake_step. */
static __attribute__((noinline)) void wake_step(struct setup *s, int64_t at, struct wake_result *w) {
        bool more = false;
        w->planned = planner_run(&s->planner, at, PLAN_BATCH);
        w->messages = notifier_run(&s->notifier, at, NOTIFY_BATCH, &more);
        struct delivery *deliveries = NULL;
        outbox_due(s->store, s->cfg, at, NULL, 0, OUTBOX_ALL, (size_t) s->cfg->max_parallel, &deliveries, &w->deliveries);
        int64_t next = notifier_next(s->store);
        int64_t retry = outbox_next_attempt(s->store, NULL, 0, OUTBOX_ALL);
        int pending = 0, failed = 0;
        outbox_depth(s->store, &pending, &failed);
        w->next = next < retry ? next : retry;
        for (size_t i = 0; i < w->deliveries; i++)
                delivery_free(&deliveries[i]);
        free(deliveries);
}

static long long count_rows(struct setup *s, const char *sql, int64_t at) {
        sqlite3_stmt *st = store_stmt(s->store, sql);
        if (!st)
                return -1;
        if (sqlite3_bind_parameter_count(st) > 0)
                stmt_bind_int(st, 1, at);
        long long v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_reset(st);
        return v;
}

static int cmd_wake(const char *conf) {
        struct setup s;
        setup_open(conf, &s);
        int64_t at = notifier_next(s.store);
        if (at == INT64_MAX)
                return 1;
        /* Counted before (not timed); BENCH_NO_COUNT=1 skips it, e.g. under valgrind. */
        bool counts = !getenv("BENCH_NO_COUNT");
        long long due = counts ? count_rows(&s, "SELECT (SELECT count(*) FROM occurrence INDEXED BY occurrence_next "
                                                "WHERE status = 'pending' AND next_stage_at <= ?1) + (SELECT count(*) "
                                                "FROM date_plan d JOIN occurrence o ON o.status = 'pending' "
                                                "AND o.effective_due = d.effective_due AND o.planned_rev = 0 "
                                                "WHERE d.fresh AND d.first_at <= ?1)", at) : -1;
        long long pending = counts ? count_rows(&s, "SELECT count(*) FROM occurrence WHERE status = 'pending'", at) : -1;
        char when[TZ_ISO_MAX];
        tz_format(at, when);

        int fd = instructions_open();
        ioctl(fd, PERF_EVENT_IOC_RESET, 0);
        ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
        double w0 = now_wall(), c0 = now_cpu();
        struct wake_result w = {0};
        wake_step(&s, at, &w);
        double w1 = now_wall(), c1 = now_cpu();
        ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
        long long ins = instructions_read(fd);
        char next_text[TZ_ISO_MAX];
        tz_format(w.next, next_text);
        printf("pending=%lld\nat=%s\ndue=%lld\nplanned=%d\nmessages=%d\ndeliveries=%zu\nnext=%s\n"
               "wake_ms=%.3f\nwake_cpu_ms=%.3f\n",
               pending, when, due, w.planned, w.messages, w.deliveries, next_text, (w1 - w0) * 1e3, (c1 - c0) * 1e3);
        if (ins >= 0)
                printf("instructions=%lld\n", ins);
        else
                printf("instructions=n/a\n");
        setup_close(&s);
        return 0;
}

int main(int argc, char **argv) {
        log_open("merzim-bench");
        log_set_max_level(LOG_WARNING);
        if (argc == 4 && streq(argv[1], "import"))
                return cmd_import(argv[2], argv[3]);
        if (argc == 4 && streq(argv[1], "plan"))
                return cmd_plan(argv[2], argv[3]);
        if (argc == 3 && streq(argv[1], "wake"))
                return cmd_wake(argv[2]);
        fprintf(stderr, "usage: merzim-bench import CONF FILE | plan CONF NOW | wake CONF\n");
        return 2;
}
