/* merzim-bench: the daemon's own steps, timed in one process that links libmerzim.a.
 *
 *   merzim-bench import CONF FILE     parse and import a roadmap (the work of merzimctl import), timed apart
 *   merzim-bench plan CONF NOW        the planner's pass over every pending occurrence as imported (cold),
 *                                     in the daemon's batches, until done: a plan per due date for the
 *                                     occurrences that went through no stage, one each for the others
 *
 * Each prints "key=value" lines that bench/run reads. CPU time is the thread's (CLOCK_THREAD_CPUTIME_ID),
 * except for the import, whose parts do work in a second thread: there it is the process's.
 * merzimd's own wake-up is measured on the running daemon (bench/run), all its threads together.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "calendar.h"
#include "conf.h"
#include "import.h"
#include "log.h"
#include "planner.h"
#include "policy.h"
#include "render.h"
#include "roadmap.h"
#include "store.h"
#include "tzone.h"
#include "util.h"

#define PLAN_BATCH 20000 /* as in writer.c */

static double now_wall(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double cpu_of(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double now_cpu(void) {
        return cpu_of(CLOCK_THREAD_CPUTIME_ID);
}

/* Both threads of an import (ahead.h). */
static double now_process_cpu(void) {
        return cpu_of(CLOCK_PROCESS_CPUTIME_ID);
}

struct setup {
        struct config *cfg;
        struct calendar *cal;
        struct templates *templates;
        struct policy policy;
        struct store *store;
        struct planner planner;
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
        double t0 = now_wall(), c0 = now_process_cpu();
        struct roadmap *map;
        if (roadmap_parse(text, len, file, NULL, &map, &errs) < 0) {
                for (size_t i = 0; i < errs.n && i < 10; i++)
                        fprintf(stderr, "%s\n", errs.msgs[i]);
                return 1;
        }
        double t1 = now_wall(), c1 = now_process_cpu();
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
        double t2 = now_wall(), c2 = now_process_cpu();
        int r = import_roadmap(store, map, &o, &rep);
        double t3 = now_wall(), c3 = now_process_cpu();
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

int main(int argc, char **argv) {
        log_open("merzim-bench");
        log_set_max_level(LOG_WARNING);
        if (argc == 4 && streq(argv[1], "import"))
                return cmd_import(argv[2], argv[3]);
        if (argc == 4 && streq(argv[1], "plan"))
                return cmd_plan(argv[2], argv[3]);
        fprintf(stderr, "usage: merzim-bench import CONF FILE | plan CONF NOW\n");
        return 2;
}
