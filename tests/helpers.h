/* Helpers for merzim's tests: paths, temporary directories, files, and running programs. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The source and build trees (MERZIM_SRCDIR, MERZIM_BUILDDIR; "." when unset). */
const char *test_srcdir(void);
const char *test_builddir(void);
/* The seed roadmap shipped in examples/. Caller frees. */
char *test_seed_path(void);
/* A new empty directory under $TMPDIR; removed by test_rmdir. Caller frees. */
char *test_mkdtemp(void);
void test_rmdir(const char *dir);
/* Write text to dir/name; returns the path (caller frees). */
char *test_write(const char *dir, const char *name, const char *text);
/* A roadmap "Сынақ жол картасы 2024" of n measures, measure i executed by agency A0001... (four digits)
 * alone, all due in June 2024 but the first, due first (NULL: June 2024 too). Caller frees. */
char *test_burst_roadmap(int n, const char *first);
/* Read a whole file (aborts the test if it can't). */
char *test_read(const char *path);
/* text with the first occurrence of old replaced by new (asserts that old occurs). Caller frees. */
char *test_replace(const char *text, const char *old, const char *new_text);

/* The environment for a program a test starts: env (NULL-terminated "K=V" list, may be NULL), then the
 * tests' own environment without what env sets and without a service manager's NOTIFY_SOCKET,
 * WATCHDOG_* and LISTEN_* (merzimd would talk to the manager of the tests instead of the test). Free the
 * array only. */
char **test_environ(const char *const *env);
/* Run argv (argv[0] is looked up in the build tree's daemon/ if it has no slash) with the environment
 * plus env (NULL-terminated "K=V" list, may be NULL); collect stdout and stderr. Returns the exit status,
 * or 128+signal. */
int test_run(const char *const *argv, const char *const *env, char **out, char **err);
/* A table as merzimctl prints it, read back: an array of rows (the headers first), each an array of
 * its cells' text, the lines of a wrapped cell joined with joiner (" " for text wrapped at spaces).
 * Columns start where the headers of the first line do; a row, where the first column has text. */
json_t *test_table_parse(const char *text, const char *joiner);
/* Count lines of text that contain needle. */
int test_count_lines(const char *text, const char *needle);
/* The number of a summary's figure, the line "  label:   N" (merzimctl import, status), or -1 if no line
 * starts with label and a colon after its indentation. */
long test_figure(const char *text, const char *label);

/* Start merzimd -c conf --now now (NULL: the real time) with extra environment env; its stderr goes to
 * log_path. Returns its pid. */
pid_t test_daemon_start(const char *conf, const char *now, const char *const *env, const char *log_path);
/* SIGTERM and wait; returns the exit status (128+signal if killed). */
int test_daemon_stop(pid_t pid);
/* How many times slower the programs run than usual: $MERZIM_TEST_SLOWDOWN (scripts/valgrind-check sets
 * it), else 1. Waits and CPU limits in the tests are scaled by it. */
int test_slowdown(void);
/* The local time "YYYY-MM-DDTHH:MM:SS" seconds (times the slowdown) before at, for merzimd --now: a
 * daemon started that long before a send time has as long to start, slow or not. Returns a static
 * buffer (one of four, for use in one call). */
const char *test_before(const char *at, int seconds);
/* Criterion time limits: a build for Valgrind (scripts/valgrind-check) scales them. */
#ifndef MERZIM_TEST_TIMEOUT_SCALE
#define MERZIM_TEST_TIMEOUT_SCALE 1
#endif
#define TEST_TIMEOUT(seconds) ((seconds) * MERZIM_TEST_TIMEOUT_SCALE)
/* Sleep ms milliseconds, times the slowdown. */
void test_sleep_ms(int ms);
/* The first column of the first row of sql on the database at path (read-only), or -1. */
int64_t test_query_int(const char *db_path, const char *sql);
/* Run sql (several statements) on the database from outside, as another program would (merzimctl, an
 * older merzim, an operator's sqlite3); the test fails if SQLite refuses it. The file is made if need be. */
void test_exec(const char *db_path, const char *sql);
/* Poll sql every 100 ms until it gives at least want, or ms (times the slowdown) pass; returns the last
 * value. */
int64_t test_wait_for(const char *db_path, const char *sql, int64_t want, int ms);
/* CPU time (user + system) a process has used so far, in seconds, from /proc. */
double test_cpu_seconds(pid_t pid);
