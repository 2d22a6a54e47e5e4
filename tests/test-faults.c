/* merzimd under faults: receivers that misbehave, a mail server that refuses one address, storage that
 * is full, read-only, busy or corrupt, and a clock that jumps. Nothing may be lost, sent twice, or
 * marked sent that was not received, and the daemon must come back when the fault goes away. */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "servers.h"
#include "util.h"

static char *dir, *state, *conf, *db, *seed, *log_path;
static struct test_server smtp, http;
static pid_t daemon_pid;
static bool mounted;

/* 2024-06-27T09:00:00+05:00: the 1-day reminders of the seven measures due on Friday 28 June. */
#define NINE 1719460800

static void setup(void) {
        dir = test_mkdtemp();
        state = xasprintf("%s/state", dir);
        mkdir(state, 0700);
        db = xasprintf("%s/merzim.db", state);
        seed = test_seed_path();
        log_path = xasprintf("%s/merzimd.log", dir);
}

static void teardown(void) {
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGKILL);
                waitpid(daemon_pid, NULL, 0);
                daemon_pid = 0;
        }
        if (mounted) {
                umount2(state, MNT_DETACH);
                mounted = false;
        }
        test_server_stop(&smtp);
        test_server_stop(&http);
        test_rmdir(dir);
        free(dir);
        free(state);
        free(conf);
        free(db);
        free(seed);
        free(log_path);
        conf = NULL;
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(120));

static void start_servers(const struct smtp_options *o, const char *script) {
        _cleanup_free_ char *sdir = xasprintf("%s/smtp", dir), *hdir = xasprintf("%s/http", dir);
        mkdir(sdir, 0700);
        mkdir(hdir, 0700);
        struct smtp_options none = {0};
        cr_assert_eq(test_smtp_start(sdir, o ? o : &none, &smtp), 0);
        cr_assert_eq(test_http_start(hdir, script, false, &http), 0);
}

/* The configuration: ЭМ with two addresses, ИИДМ with e-mail and a webhook at hook (a full URL, or a
 * path on the HTTP receiver); schedule replaces the default schedule group (catch-up skipped). */
static void write_config(const char *hook, const char *schedule) {
        _cleanup_free_ char *url = strncmp(hook, "http", 4) == 0 ? xstrdup(hook)
                                                                 : xasprintf("http://127.0.0.1:%d%s", http.port, hook);
        _cleanup_free_ char *text = xasprintf(
                "database = \"state/merzim.db\";\ntimezone = \"Asia/Almaty\";\n%s"
                "delivery = { retry_initial_seconds = 1; retry_max_seconds = 2; max_attempts = %d; timeout_seconds = 2; };\n"
                "smtp = { url = \"smtp://127.0.0.1:%d\"; tls = \"none\"; from = \"merzim <merzim@test.kz>\"; };\n"
                "plans = ( { title = \"Машина жасауды дамытудың 2024 жылға дейінгі жол картасы\"; coordinator = \"ИИДМ\"; } );\n"
                "agencies = ( { code = \"ИИДМ\"; email = \"iidm@test.kz\"; webhook = { url = \"%s\"; secret = \"s\"; }; },\n"
                "  { code = \"ЭМ\"; email = [\"em@test.kz\", \"refused@test.kz\"]; } );\n",
                schedule ? schedule : "schedule = { catch_up = \"skip\"; };\n",
                /* Attempts come every second or two whatever the slowdown: as many more as the waits. */
                8 * test_slowdown(), smtp.port, url);
        free(conf);
        conf = test_write(dir, "merzim.conf", text);
}

static int ctl(const char *const *args, char **err) {
        const char *argv[16] = {"merzimctl", "-c", conf};
        size_t n = 3;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        return test_run(argv, NULL, NULL, err);
}

static void import_seed(void) {
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(ctl((const char *const[]) {"import", seed, NULL}, &err), 0, "%s", err);
}

static int64_t q(const char *sql) {
        return test_query_int(db, sql);
}

static char *daemon_log(void) {
        char *text = NULL;
        if (read_file(log_path, &text, NULL) < 0)
                text = xstrdup("");
        return text;
}

Test(faults, a_refused_recipient_does_not_stop_the_others) {
        struct smtp_options o = {.reject_rcpt = "refused@test.kz"};
        start_servers(&o, NULL);
        write_config("/hooks/iidm", NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE address = 'refused@test.kz' AND state = 'failed'",
                                   1, 10000), 1, "the refusal is recorded");
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE address = 'em@test.kz' AND state = 'sent'", 1, 10000),
                     1, "the other address of the same agency still gets it");
        cr_assert_eq(q("SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id "
                       "WHERE o.address = 'refused@test.kz' AND a.code = 550"), 1, "refused once, not retried");
        char **mails = test_server_log(&smtp, "smtp.jsonl", 1, 3000);
        bool got = false;
        for (size_t i = 0; mails[i]; i++)
                got = got || strstr(mails[i], "\"em@test.kz\"");
        test_strv_free(mails);
        cr_assert(got);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, a_hang_an_error_and_a_slow_answer_are_retried_until_delivered_once) {
        /* The webhook first hangs (past the 2 s timeout), then fails with 500, then answers slowly. */
        start_servers(NULL, "{\"/hooks/iidm\": [{\"hang\": true}, 500, {\"delay\": 1.5, \"status\": 200}]}");
        write_config("/hooks/iidm", NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        double before = test_cpu_seconds(daemon_pid);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'", 1, 20000),
                     1);
        double spent = test_cpu_seconds(daemon_pid) - before;
        /* Seconds of waiting for the hang, the back-off and the slow answer: asleep, not spinning. */
        cr_assert_lt(spent, 0.5 * test_slowdown(), "%.2f s of CPU while retrying", spent);
        char **hooks = test_server_log(&http, "http.jsonl", 3, 2000);
        size_t n = 0;
        const char *key = NULL;
        json_t *reqs[8] = {0};
        for (; hooks[n] && n < 8; n++) {
                reqs[n] = json_loads(hooks[n], 0, NULL);
                const char *k = json_string_value(json_object_get(json_object_get(reqs[n], "headers"), "Idempotency-Key"));
                if (!key)
                        key = k;
                cr_assert_str_eq(k, key, "the same notification, the same key");
        }
        cr_assert_eq(n, 3, "hang, 500, then the slow 200: delivered once");
        for (size_t i = 0; i < n; i++)
                json_decref(reqs[i]);
        test_strv_free(hooks);
        cr_assert_eq(q("SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id "
                       "WHERE o.channel = 'webhook' AND a.result = 'retry'"), 2);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, a_refused_connection_is_retried_and_delivered_once_the_address_is_right) {
        start_servers(NULL, NULL);
        /* A port where nothing listens: connection refused. */
        int closed = http.port;
        test_server_stop(&http);
        _cleanup_free_ char *hook = xasprintf("http://127.0.0.1:%d/hooks/iidm", closed);
        write_config(hook, NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id "
                                        "WHERE o.channel = 'webhook' AND a.result = 'retry'", 2, 10000), 2);
        double before = test_cpu_seconds(daemon_pid);
        test_sleep_ms(2500);
        double spent = test_cpu_seconds(daemon_pid) - before;
        cr_assert_lt(spent, 0.3 * test_slowdown(), "%.2f s of CPU in 2.5 s of retrying", spent);
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'"), 0);

        /* The receiver is up on its real address: the administrator corrects the URL and reloads. */
        _cleanup_free_ char *hdir = xasprintf("%s/http2", dir);
        mkdir(hdir, 0700);
        cr_assert_eq(test_http_start(hdir, NULL, false, &http), 0);
        write_config("/hooks/iidm", NULL);
        kill(daemon_pid, SIGHUP);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'", 1, 15000), 1,
                     "what waited is delivered after the fix");
        char **hooks = test_server_log(&http, "http.jsonl", 1, 2000);
        size_t n = 0;
        while (hooks[n])
                n++;
        test_strv_free(hooks);
        cr_assert_eq(n, 1, "delivered once");
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, failed_deliveries_go_out_again_once_fixed_with_outbox_retry) {
        /* ЭМ's second address is refused for good; the endpoint first says 404 (a permanent refusal),
         * then, once fixed, 200. */
        struct smtp_options o = {.reject_rcpt = "refused@test.kz"};
        start_servers(&o, "{\"/hooks/iidm\": [404, 200]}");
        write_config("/hooks/iidm", NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'failed'", 2, 10000), 2);
        char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "status", "--now", "2024-06-27T09:05", NULL},
                              NULL, &out, &err), 0, "%s", err);
        free(err);
        cr_assert(strstr(out, "outbox retry"), "status says how to send them again: %s", out);
        free(out);

        /* The administrator corrects ЭМ's address in the configuration and sends its failed mail again. */
        _cleanup_free_ char *text = test_read(conf), *fixed = test_replace(text, "refused@test.kz", "em-new@test.kz");
        free(test_write(dir, "merzim.conf", fixed));
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "outbox", "retry", "--failed", "--agency",
                                                     "ЭМ", NULL}, NULL, &out, &err), 0, "%s", err);
        cr_assert(strstr(out, "goes to em-new@test.kz instead"), "%s", out);
        free(out);
        free(err);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE address = 'em-new@test.kz' AND state = 'sent'",
                                   1, 10000), 1, "the message went to the corrected address");
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE address = 'refused@test.kz' AND state = 'cancelled'"), 1);

        /* The webhook, by its ID: the endpoint takes it now. */
        int64_t hook = q("SELECT id FROM outbox WHERE channel = 'webhook' AND state = 'failed'");
        cr_assert_gt(hook, 0);
        _cleanup_free_ char *id = xasprintf("%lld", (long long) hook);
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "outbox", "retry", id, NULL}, NULL, &out,
                              &err), 0, "%s", err);
        free(out);
        free(err);
        _cleanup_free_ char *sent = xasprintf("SELECT count(*) FROM outbox WHERE id = %s AND state = 'sent'", id);
        cr_assert_eq(test_wait_for(db, sent, 1, 10000), 1);
        _cleanup_free_ char *attempts = xasprintf("SELECT count(*) FROM attempt WHERE outbox_id = %s", id);
        cr_assert_eq(q(attempts), 2, "both attempts are kept");

        /* Nothing is left failed; a delivered one cannot be sent again. */
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE state = 'failed'"), 0);
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "outbox", "retry", id, NULL}, NULL, NULL,
                              &err), 1);
        cr_assert(strstr(err, "was delivered or cancelled"), "%s", err);
        free(err);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
        char **mails = test_server_log(&smtp, "smtp.jsonl", 1, 2000);
        bool got = false;
        for (size_t i = 0; mails[i]; i++)
                got = got || strstr(mails[i], "\"em-new@test.kz\"");
        test_strv_free(mails);
        cr_assert(got);
}

Test(faults, a_tls_handshake_failure_is_retried_not_sent) {
        start_servers(NULL, NULL);
        /* https:// to a plain HTTP server: the handshake fails. */
        _cleanup_free_ char *hook = xasprintf("https://127.0.0.1:%d/hooks/iidm", http.port);
        write_config(hook, NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id "
                                        "WHERE o.channel = 'webhook' AND a.result = 'retry'", 2, 10000), 2);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE channel = 'email' AND state = 'sent'", 3,
                                   10000),
                     3, "the e-mails of the same minute went out");
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'"), 0);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

/* Mount a small tmpfs on the state directory; false if this machine does not allow it. */
static bool mount_small_state(void) {
        if (geteuid() != 0 || mount("tmpfs", state, "tmpfs", 0, "size=8m,mode=0700") < 0)
                return false;
        mounted = true;
        return true;
}

/* Fill the file system the database is on, leaving nothing; returns the filler's path. */
static char *fill(void) {
        char *path = xasprintf("%s/filler", state);
        FILE *f = fopen(path, "we");
        cr_assert_not_null(f);
        char block[4096];
        memset(block, 'x', sizeof(block));
        while (fwrite(block, 1, sizeof(block), f) == sizeof(block) && fflush(f) == 0)
                ;
        fclose(f);
        return path;
}

Test(faults, a_full_disk_holds_the_messages_back_until_there_is_room) {
        if (!mount_small_state())
                cr_skip_test("needs root to mount a small file system");
        start_servers(NULL, NULL);
        write_config("/hooks/iidm", NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 3), NULL, log_path);
        test_sleep_ms(800);
        _cleanup_free_ char *filler = fill();
        /* Nine o'clock passes with the disk full: an error, nothing queued, nothing marked sent. */
        test_sleep_ms(4000);
        cr_assert_eq(kill(daemon_pid, 0), 0, "the daemon died of a full disk");
        _cleanup_free_ char *log = daemon_log();
        cr_assert(strstr(log, "cannot work through the schedule"), "%s", log);
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE state = 'sent'"), 0);
        /* Room again: the 09:00 messages go out (late, within the grace period), once. */
        unlink(filler);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", 3, 20000), 3);
        cr_assert_eq(q("SELECT count(*) FROM (SELECT recipient FROM notification GROUP BY recipient, scheduled_at "
                       "HAVING count(*) > 1)"), 0, "nothing queued twice");
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, a_read_only_disk_is_a_clear_error_until_it_is_writable) {
        if (!mount_small_state())
                cr_skip_test("needs root to mount a small file system");
        start_servers(NULL, NULL);
        write_config("/hooks/iidm", NULL);
        import_seed();
        /* A file system cannot turn read-only under open files; it can be read-only when merzimd starts. */
        cr_assert_eq(mount("tmpfs", state, "tmpfs", MS_REMOUNT | MS_RDONLY, NULL), 0, "remount read-only: %m");
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 3), NULL, log_path);
        int status;
        waitpid(daemon_pid, &status, 0);
        daemon_pid = 0;
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "merzimd must stop with an error (systemd restarts it)");
        _cleanup_free_ char *log = daemon_log();
        cr_assert(strstr(log, "readonly") || strstr(log, "read-only") || strstr(log, "Read-only"), "%s", log);
        /* Writable again (as after systemd's restart): nothing was written, and the 09:00 messages go out. */
        cr_assert_eq(mount("tmpfs", state, "tmpfs", MS_REMOUNT, NULL), 0, "remount read-write: %m");
        cr_assert_eq(q("SELECT count(*) FROM outbox"), 0, "nothing written");
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 3), NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", 3, 20000), 3);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, a_corrupt_database_is_a_clear_error) {
        start_servers(NULL, NULL);
        write_config("/hooks/iidm", NULL);
        import_seed();
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(ctl((const char *const[]) {"plans", NULL}, &err), 0);
        /* Checkpoint into the main file, then scribble over its header. */
        _cleanup_free_ char *good = xasprintf("%s.good", db);
        _cleanup_free_ char *copy = xasprintf("cp '%s' '%s'", db, good);
        cr_assert_eq(system(copy), 0);
        FILE *f = fopen(db, "r+e");
        cr_assert_not_null(f);
        fwrite("this is not a SQLite database!!!", 1, 32, f);
        fclose(f);
        _cleanup_free_ char *wal = xasprintf("%s-wal", db), *shm = xasprintf("%s-shm", db);
        unlink(wal);
        unlink(shm);
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 3), NULL, log_path);
        int status;
        waitpid(daemon_pid, &status, 0);
        daemon_pid = 0;
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "merzimd must refuse a corrupt database");
        _cleanup_free_ char *log = daemon_log();
        cr_assert(strstr(log, db) && (strstr(log, "not a database") || strstr(log, "malformed")), "%s", log);
        free(err);
        err = NULL;
        cr_assert_eq(ctl((const char *const[]) {"plans", NULL}, &err), 1);
        cr_assert(strstr(err, "not a database") || strstr(err, "malformed"), "%s", err);
        /* The backup back in place: all is well. */
        _cleanup_free_ char *restore = xasprintf("cp '%s' '%s'", good, db);
        cr_assert_eq(system(restore), 0);
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", 3, 10000), 3);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, a_busy_database_makes_them_wait_not_fail) {
        start_servers(NULL, NULL);
        write_config("/hooks/iidm", NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 3), NULL, log_path);
        /* Another process takes the write lock over nine o'clock for four seconds. */
        _cleanup_free_ char *script = xasprintf(
                "import sqlite3, time\n"
                "db = sqlite3.connect('%s', isolation_level=None, timeout=10)\n"
                "db.execute('BEGIN EXCLUSIVE')\n"
                "time.sleep(4)\n"
                "db.execute('COMMIT')\n", db);
        _cleanup_free_ char *py = test_write(dir, "lock.py", script);
        pid_t locker;
        const char *argv[] = {"/usr/bin/python3", py, NULL};
        cr_assert_eq(posix_spawn(&locker, argv[0], NULL, NULL, (char *const *) argv, NULL), 0);
        test_sleep_ms(500);
        /* merzimctl waits for the lock too, and then does its work. */
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(ctl((const char *const[]) {"done", "32", "--period", "2024", NULL}, &err), 0, "%s", err);
        int status;
        waitpid(locker, &status, 0);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", 3, 15000), 3);
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE status = 'done'"), 1);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

/* Results that cannot be recorded (here a trigger refuses them at once, as a full disk or an I/O error
 * would) are sent again with the same key after a pause that doubles, not in a loop, and recorded as
 * soon as the database takes them again. */
Test(faults, deliveries_whose_results_cannot_be_recorded_go_again_after_a_pause) {
        /* The webhook's first answer takes 1.5 s: it is in flight when recording starts to fail. */
        start_servers(NULL, "{\"/hooks/iidm\": [{\"delay\": 1.5, \"status\": 200}]}");
        write_config("/hooks/iidm", NULL);
        import_seed();
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE channel = 'webhook'", 1, 20000), 1);
        test_exec(db, "CREATE TRIGGER refuse_results BEFORE INSERT ON attempt BEGIN "
                 "SELECT RAISE(ABORT, 'results refused by the test'); END");
        double before = test_cpu_seconds(daemon_pid);
        test_sleep_ms(14000);
        double spent = test_cpu_seconds(daemon_pid) - before;
        char **during = test_server_log(&http, "http.jsonl", 1, 2000);
        size_t n_during = 0;
        while (during[n_during])
                n_during++;
        test_strv_free(during);
        test_exec(db, "DROP TRIGGER refuse_results");
        /* Fourteen seconds of refusals: the first answer, then tries after pauses of 1, 2, 4 and 8 s at most
         * (the pause is merzimd's, doubled by every batch refused, e-mails' too); without the doubling, a
         * try a second: 10 or more. */
        cr_assert(n_during >= 2 && n_during <= 6, "the webhook arrived %zu times in 14 s of refusals", n_during);
        cr_assert_lt(spent, 1.0 * test_slowdown(), "%.2f s of CPU while results were refused", spent);
        _cleanup_free_ char *log = daemon_log();
        cr_assert(strstr(log, "cannot be recorded: they will be sent again, after a pause"), "%s", log);
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'"), 0,
                     "the webhook is not recorded as sent meanwhile");
        /* Taken again: every message recorded as sent (the refused address aside), each webhook with the
         * same key. */
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'", 1, 30000),
                     1);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'pending'", 0, 30000), 0);
        char **hooks = test_server_log(&http, "http.jsonl", 2, 2000);
        size_t n = 0;
        _cleanup_free_ char *key = NULL;
        for (; hooks[n]; n++) {
                json_t *req = json_loads(hooks[n], 0, NULL);
                const char *k = json_string_value(json_object_get(json_object_get(req, "headers"), "Idempotency-Key"));
                cr_assert_not_null(k);
                if (!key)
                        key = xstrdup(k);
                cr_assert_str_eq(k, key, "the same notification, the same key");
                json_decref(req);
        }
        test_strv_free(hooks);
        cr_assert_leq(n, n_during + 2, "the webhook arrived %zu times", n);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
}

Test(faults, clock_jumps_skip_nothing_and_send_nothing_twice) {
        start_servers(NULL, NULL);
        write_config("/hooks/iidm", "schedule = { catch_up = \"digest\"; };\n");
        import_seed();
        /* 27 June, 09:00: the 1-day reminders. */
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 2), NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM notification WHERE scheduled_at = 1719460800", 2, 8000), 2);
        test_sleep_ms(1500);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        int64_t at_nine = q("SELECT count(*) FROM notification WHERE scheduled_at = 1719460800");

        /* The clock jumps back a day: nothing of 27 June goes out again. */
        daemon_pid = test_daemon_start(conf, test_before("2024-06-26T09:00:00", 2), NULL, log_path);
        test_sleep_ms(3000);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        cr_assert_eq(q("SELECT count(*) FROM notification WHERE scheduled_at = 1719460800"), at_nine);
        cr_assert_eq(q("SELECT count(*) FROM notification WHERE scheduled_at > 1719460800"), 0);

        /* It jumps forward past 28 June and 1 July: the due notices and first escalations are not
         * skipped, they come in one catch-up digest per recipient; 27 June is not sent again. */
        daemon_pid = test_daemon_start(conf, "2024-07-03T10:00", NULL, log_path);
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM notification WHERE kind = 'catch-up'", 1, 8000), 1);
        test_sleep_ms(1000);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;
        cr_assert_eq(q("SELECT count(*) FROM notification WHERE scheduled_at = 1719460800"), at_nine);
        cr_assert_eq(q("SELECT count(*) FROM stage WHERE name IN ('due', '+1wd') AND state = 'missed' "
                       "AND notification_id IS NOT NULL AND occurrence_id IN (SELECT o.id FROM occurrence o "
                       "JOIN measure m ON m.id = o.measure_id WHERE m.number = 10 AND o.period = '2024')"), 2,
                     "measure 10's due notice and first escalation are in a catch-up digest");
        cr_assert_eq(q("SELECT count(*) FROM (SELECT occurrence_id, name FROM stage GROUP BY 1, 2 HAVING count(*) > 1)"), 0);
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Keep this test the last of the suite by name: with Criterion 2.4.1, a test that sorts after one with a
 * .timeout of its own makes the runner leak 48 bytes, which LeakSanitizer reports (scripts/check). */
Test(faults, kill_9_twenty_times_in_a_5000_message_burst, .timeout = TEST_TIMEOUT(400)) {
        /* A delivery is in flight until its result is recorded: merzimd records results in groups, 10 ms
         * after the first ends, and lets at most 256 wait (RECORD_BATCH in daemon.c). */
        enum { N = 5000, KILLS = 20, PARALLEL = 16, UNRECORDED = 256 };
        _cleanup_free_ char *hdir = xasprintf("%s/http", dir);
        mkdir(hdir, 0700);
        cr_assert_eq(test_http_start(hdir, NULL, false, &http), 0);
        struct buf agencies = {0};
        for (int i = 1; i <= N; i++)
                buf_printf(&agencies, "%s{ code = \"A%04d\"; webhook = { url = \"http://127.0.0.1:%d/h/%04d\"; secret = \"s\"; }; }",
                           i > 1 ? ",\n" : "", i, http.port, i);
        _cleanup_free_ char *text = xasprintf(
                "database = \"state/merzim.db\";\ntimezone = \"Asia/Almaty\";\nschedule = { catch_up = \"skip\"; };\n"
                "delivery = { retry_initial_seconds = 1; retry_max_seconds = 2; max_parallel = %d; timeout_seconds = 10; };\n"
                "plans = ( { title = \"Сынақ жол картасы 2024\"; coordinator = \"A0001\"; } );\nagencies = ( %s );\n",
                PARALLEL, agencies.data);
        buf_free(&agencies);
        conf = test_write(dir, "merzim.conf", text);
        _cleanup_free_ char *doc = test_burst_roadmap(N, NULL), *doc_path = test_write(dir, "burst.txt", doc);
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(ctl((const char *const[]) {"import", doc_path, NULL}, &err), 0, "%s", err);

        /* 30 June 2024 is a Sunday: the 1-day reminders of all 5,000 go out on Thursday 27 June at 09:00. */
        unsigned moments = (unsigned) time(NULL);
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 1), NULL, log_path);
        for (int k = 0; k < KILLS; k++) {
                test_sleep_ms(150 + (int) (rand_r(&moments) % 350));
                kill(daemon_pid, SIGKILL);
                waitpid(daemon_pid, NULL, 0);
                char now[32];
                snprintf(now, sizeof(now), "2024-06-27T09:%02d:00", 1 + k);
                daemon_pid = test_daemon_start(conf, now, NULL, log_path);
        }
        int64_t sent = test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'sent'", N, 240000);
        cr_assert_eq(sent, N, "after %d kills, %lld of %d delivered (moments seed %u)", KILLS, (long long) sent, N, moments);
        int status = test_daemon_stop(daemon_pid);
        daemon_pid = 0;
        cr_assert_eq(status, 0, "merzimd exited with %d on SIGTERM", status);
        cr_assert_eq(q("SELECT count(*) FROM notification"), N, "each notification made once");
        /* A stage is recorded with the group of messages that told it, before the wake-up's last group:
         * a wake-up killed between groups and done again records each stage once, as told by the message
         * that lists it, and moves every occurrence on. */
        cr_assert_eq(q("SELECT count(*) FROM stage s JOIN notification_item i ON i.occurrence_id = s.occurrence_id "
                       "AND i.stage = s.name AND i.notification_id = s.notification_id WHERE s.state = 'told'"),
                     N, "each 1-day reminder recorded as told by its own notification");
        cr_assert_eq(q("SELECT count(*) FROM stage WHERE state = 'told'"), N);
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE next_stage IS NOT '1d' AND next_stage_at > "
                       "strftime('%s', '2024-06-27T04:00:00')"),
                     N, "every occurrence moved on past its 1-day reminder");

        /* What the receiver got: every key at least once; repeats only of deliveries in flight at a kill. */
        char **lines = test_server_log(&http, "http.jsonl", N, 10000);
        size_t total = 0;
        char **keys = NULL;
        for (; lines[total]; total++) {
                json_t *req = json_loads(lines[total], 0, NULL);
                const char *k = json_string_value(json_object_get(json_object_get(req, "headers"), "Idempotency-Key"));
                keys = xreallocarray(keys, total + 1, sizeof(char *));
                keys[total] = xstrdup(k ? k : "");
                json_decref(req);
        }
        test_strv_free(lines);
        qsort(keys, total, sizeof(char *), compare_strings);
        size_t unique = 0;
        for (size_t i = 0; i < total; i++)
                unique += i == 0 || !streq(keys[i], keys[i - 1]);
        cr_assert_eq(unique, (size_t) N, "%zu keys received for %d notifications", unique, N);
        cr_log_info("kill -9 x%d: %zu deliveries for %d notifications (%zu repeats)", KILLS, total, N, total - unique);
        cr_assert_leq(total - unique, (size_t) KILLS * (PARALLEL + UNRECORDED),
                      "%zu duplicates: more than the deliveries in flight at %d kills", total - unique, KILLS);
        /* No row is marked sent whose notification did not arrive. */
        sqlite3 *sdb;
        cr_assert_eq(sqlite3_open_v2(db, &sdb, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(sdb, "SELECT n.key FROM outbox o JOIN notification n ON n.id = o.notification_id "
                                "WHERE o.state = 'sent'", -1, &st, NULL);
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *key = (const char *) sqlite3_column_text(st, 0);
                size_t lo = 0, hi = total;
                while (lo < hi) {
                        size_t mid = (lo + hi) / 2;
                        if (strcmp(keys[mid], key) < 0)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                cr_assert(lo < total && streq(keys[lo], key), "marked sent, never received: %s", key);
        }
        sqlite3_finalize(st);
        sqlite3_close(sdb);
        for (size_t i = 0; i < total; i++)
                free(keys[i]);
        free(keys);
}
