/* merzimd as it runs for real: the seed imported, a real SMTP server and HTTP receiver on loopback, the
 * daemon a process started with --now just before a send time. */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <jansson.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "servers.h"
#include "util.h"

static char *dir, *conf, *seed;
static struct test_server smtp, http;
static pid_t daemon_pid;

static const char plan_title[] = "Машина жасауды дамытудың 2024 жылға дейінгі жол картасы";

static void setup(void) {
        dir = test_mkdtemp();
        seed = test_seed_path();
        cr_assert_eq(test_tls_material(dir), 0);
}

static void teardown(void) {
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGKILL);
                waitpid(daemon_pid, NULL, 0);
                daemon_pid = 0;
        }
        test_server_stop(&smtp);
        test_server_stop(&http);
        test_rmdir(dir);
        free(dir);
        free(conf);
        free(seed);
        conf = NULL;
}

TestSuite(daemon, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(120));

/* Write the configuration: the servers' ports, ИИДМ with e-mail and a webhook at hook_path, ЭМ with two
 * addresses, ПМК; extra is appended inside the file (e.g. a schedule group). */
static void write_config(const char *hook_path, const char *extra) {
        _cleanup_free_ char *text = xasprintf(
                "database = \"merzim.db\";\n"
                "timezone = \"Asia/Almaty\";\n"
                "delivery = { retry_initial_seconds = 1; retry_max_seconds = 2; max_attempts = 6; "
                "timeout_seconds = 3; max_parallel = 4; };\n"
                "smtp = { url = \"smtp://127.0.0.1:%d\"; tls = \"none\"; from = \"merzim <merzim@test.kz>\"; };\n"
                "plans = ( { title = \"%s\"; coordinator = \"ИИДМ\"; supervisor = \"ПМК\"; } );\n"
                "agencies = (\n"
                "  { code = \"ИИДМ\"; name = \"Индустрия және инфрақұрылымдық даму министрлігі\";\n"
                "    email = [\"iidm@test.kz\"]; language = \"kk\";\n"
                "    webhook = { url = \"http://127.0.0.1:%d%s\"; secret = \"s3cret-iidm\"; }; },\n"
                "  { code = \"ЭМ\"; name = \"Энергетика министрлігі\"; email = [\"em@test.kz\", \"em2@test.kz\"];\n"
                "    language = \"ru\"; },\n"
                "  { code = \"ПМК\"; name = \"Премьер-Министрдің Кеңсесі\"; email = \"pmk@test.kz\"; language = \"ru\"; }\n"
                ");\n%s",
                smtp.port, plan_title, http.port, hook_path, extra ? extra : "");
        free(conf);
        conf = test_write(dir, "merzim.conf", text);
}

static void start_servers(const char *http_script) {
        struct smtp_options o = {0};
        _cleanup_free_ char *sdir = xasprintf("%s/smtp", dir), *hdir = xasprintf("%s/http", dir);
        mkdir(sdir, 0700);
        mkdir(hdir, 0700);
        cr_assert_eq(test_smtp_start(sdir, &o, &smtp), 0);
        cr_assert_eq(test_http_start(hdir, http_script, false, &http), 0);
}

static void ctl(const char *const *args) {
        const char *argv[16] = {"merzimctl", "-c", conf};
        size_t n = 3;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run(argv, NULL, &out, &err), 0, "merzimctl %s: %s", args[0], err);
}

/* Start merzimd with the clock at now; its log goes to dir/merzimd.log. */
static void start_daemon(const char *now, const char *const *env) {
        _cleanup_free_ char *log = xasprintf("%s/merzimd.log", dir);
        daemon_pid = test_daemon_start(conf, now, env, log);
}

/* SIGTERM, and the exit status. */
static int stop_daemon(void) {
        int status = test_daemon_stop(daemon_pid);
        daemon_pid = 0;
        return status;
}

static char *daemon_log(void) {
        _cleanup_free_ char *path = xasprintf("%s/merzimd.log", dir);
        char *text = NULL;
        if (read_file(path, &text, NULL) < 0)
                text = xstrdup("");
        return text;
}

static sqlite3 *open_db(void) {
        _cleanup_free_ char *path = xasprintf("%s/merzim.db", dir);
        sqlite3 *db;
        cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        return db;
}

static int64_t query_int(const char *sql) {
        _cleanup_free_ char *path = xasprintf("%s/merzim.db", dir);
        return test_query_int(path, sql);
}

/* Wait up to ms for a query to give at least want. */
static int64_t wait_for(const char *sql, int64_t want, int ms) {
        _cleanup_free_ char *path = xasprintf("%s/merzim.db", dir);
        return test_wait_for(path, sql, want, ms);
}

static json_t *line_json(const char *line) {
        json_t *v = json_loads(line, 0, NULL);
        cr_assert_not_null(v, "not JSON: %s", line);
        return v;
}

/* Verify a webhook request's signature as a receiver would: HMAC-SHA256 over "timestamp.body". */
static bool signature_ok(json_t *req, const char *secret) {
        json_t *h = json_object_get(req, "headers");
        const char *ts = json_string_value(json_object_get(h, "X-Merzim-Timestamp"));
        const char *sig = json_string_value(json_object_get(h, "X-Merzim-Signature"));
        const char *body = json_string_value(json_object_get(req, "body"));
        if (!ts || !sig || !body)
                return false;
        _cleanup_free_ char *signed_text = xasprintf("%s.%s", ts, body);
        unsigned char md[64];
        unsigned n = 0;
        HMAC(EVP_sha256(), secret, (int) strlen(secret), (const unsigned char *) signed_text, strlen(signed_text), md, &n);
        char hex[2 * 64 + 8] = "sha256=";
        for (unsigned i = 0; i < n; i++)
                sprintf(hex + 7 + 2 * i, "%02x", md[i]);
        return streq(hex, sig);
}

Test(daemon, the_digests_of_27_june_2024_go_out_at_nine) {
        start_servers(NULL);
        write_config("/hooks/iidm", NULL);
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon(test_before("2024-06-27T09:00:00", 3), NULL);

        /* At start, every stage missed on a first start goes into one catch-up digest per recipient. */
        cr_assert_eq(wait_for("SELECT count(*) FROM notification WHERE kind = 'catch-up'", 3, 5000), 3);
        cr_assert_eq(query_int("SELECT count(*) FROM (SELECT recipient FROM notification WHERE kind = 'catch-up' "
                               "GROUP BY recipient HAVING count(*) > 1)"), 0, "one catch-up digest per recipient");

        /* At 09:00 local (04:00 UTC) the 1-day reminders: one message per recipient. */
        const int64_t nine = 1719460800; /* 2024-06-27T09:00:00+05:00 */
        _cleanup_free_ char *q = xasprintf("SELECT count(*) FROM notification WHERE scheduled_at = %lld", (long long) nine);
        cr_assert_geq(wait_for(q, 2, 8000), 2);
        cr_assert_eq(query_int("SELECT count(*) FROM (SELECT recipient FROM notification WHERE scheduled_at = 1719460800 "
                               "GROUP BY recipient HAVING count(*) > 1)"), 0, "one message per recipient and time");
        /* ЭМ, lead of measures 10 and 32, gets one reminder listing both, on both of its addresses. */
        cr_assert_eq(query_int("SELECT count(*) FROM notification_item i JOIN notification n ON n.id = i.notification_id "
                               "JOIN occurrence o ON o.id = i.occurrence_id JOIN measure m ON m.id = o.measure_id "
                               "WHERE n.recipient = 'ЭМ' AND n.scheduled_at = 1719460800 AND n.stage = '1d' "
                               "AND m.number IN (10, 32) AND o.period = '2024'"), 2);
        /* Everything queued is delivered: e-mails and the webhook. */
        cr_assert_eq(wait_for("SELECT count(*) = (SELECT count(*) FROM outbox) FROM outbox WHERE state = 'sent'", 1, 10000),
                     1, "not all delivered");
        int64_t rows = query_int("SELECT count(*) FROM outbox");
        char **mails = test_server_log(&smtp, "smtp.jsonl", (size_t) rows - 2, 5000);
        size_t n_mails = 0;
        while (mails[n_mails])
                n_mails++;
        int64_t emails = query_int("SELECT count(*) FROM outbox WHERE channel = 'email'");
        cr_assert_eq((int64_t) n_mails, emails, "every e-mail row arrived once");

        /* The message to ЭМ is in Russian, UTF-8, with its Message-ID. */
        sqlite3 *db = open_db();
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "SELECT key, subject FROM notification WHERE recipient = 'ЭМ' AND stage = '1d'", -1, &st, NULL);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        _cleanup_free_ char *key = xstrdup((const char *) sqlite3_column_text(st, 0));
        cr_assert(strstr((const char *) sqlite3_column_text(st, 1), "Приближается срок"), "%s", sqlite3_column_text(st, 1));
        sqlite3_finalize(st);
        sqlite3_close(db);
        int found = 0;
        for (size_t i = 0; mails[i]; i++) {
                json_t *m = line_json(mails[i]);
                _cleanup_free_ char *path = xasprintf("%s/smtp/%s", dir, json_string_value(json_object_get(m, "file")));
                _cleanup_free_ char *eml = test_read(path);
                _cleanup_free_ char *mid = xasprintf("Message-ID: <%s@", key);
                if (strstr(eml, mid)) {
                        found++;
                        cr_assert(strstr(eml, "Subject: =?UTF-8?"), "an encoded UTF-8 subject");
                        cr_assert(strstr(eml, "charset=UTF-8") || strstr(eml, "charset=utf-8"));
                        cr_assert(strstr(eml, "Date: "));
                }
                json_decref(m);
        }
        test_strv_free(mails);
        cr_assert_eq(found, 2, "em@ and em2@ got the same message, with one Message-ID");

        /* The webhook to ИИДМ is signed, and carries the notification's key. */
        char **hooks = test_server_log(&http, "http.jsonl", 2, 5000);
        int verified = 0;
        for (size_t i = 0; hooks[i]; i++) {
                json_t *req = line_json(hooks[i]);
                cr_assert(signature_ok(req, "s3cret-iidm"), "bad signature: %s", hooks[i]);
                /* The timestamp is the real time, though merzimd runs in 2024 (--now): a receiver's replay
                 * check (docs/WEBHOOKS.md) compares it with its own clock. */
                const char *ts = json_string_value(json_object_get(json_object_get(req, "headers"), "X-Merzim-Timestamp"));
                long long t = ts ? atoll(ts) : 0;
                cr_assert_lt(llabs(t - (long long) time(NULL)), 300, "X-Merzim-Timestamp %s is not now", ts);
                const char *idem = json_string_value(json_object_get(json_object_get(req, "headers"), "Idempotency-Key"));
                _cleanup_free_ char *qk = xasprintf("SELECT count(*) FROM notification WHERE key = '%s' AND recipient = 'ИИДМ'",
                                                    idem ? idem : "");
                cr_assert_eq(query_int(qk), 1, "the Idempotency-Key is a notification's key");
                json_t *body = json_loads(json_string_value(json_object_get(req, "body")), 0, NULL);
                cr_assert_not_null(body);
                cr_assert_not_null(json_object_get(body, "items"));
                cr_assert_not_null(json_object_get(body, "recipients"));
                json_decref(body);
                json_decref(req);
                verified++;
        }
        test_strv_free(hooks);
        cr_assert_geq(verified, 2, "the catch-up digest and the 09:00 message");
        cr_assert_eq(stop_daemon(), 0);
        _cleanup_free_ char *log = daemon_log();
        cr_assert_null(strstr(log, "s3cret-iidm"), "a secret in the log");
}

Test(daemon, an_endpoint_that_fails_three_times_gets_the_message_once_more) {
        start_servers("{\"/hooks/flaky\": [500, 500, 500, 200]}");
        write_config("/hooks/flaky", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon(test_before("2024-06-27T09:00:00", 2), NULL);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'", 1, 20000), 1);
        test_sleep_ms(2500); /* would a fifth request come? */
        char **hooks = test_server_log(&http, "http.jsonl", 4, 1000);
        size_t n = 0;
        const char *first_key = NULL;
        json_t *reqs[8] = {0};
        for (; hooks[n] && n < 8; n++) {
                reqs[n] = line_json(hooks[n]);
                const char *k = json_string_value(json_object_get(json_object_get(reqs[n], "headers"), "Idempotency-Key"));
                if (!first_key)
                        first_key = k;
                cr_assert_str_eq(k, first_key, "every retry carries the same Idempotency-Key");
        }
        cr_assert_eq(n, 4, "three failures and one success, no more");
        cr_assert_eq(query_int("SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id WHERE o.channel = 'webhook'"), 4);
        cr_assert_eq(query_int("SELECT count(*) FROM attempt WHERE result = 'retry' AND code = 500"), 3);
        for (size_t i = 0; i < n; i++)
                json_decref(reqs[i]);
        test_strv_free(hooks);
        cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, a_dead_endpoint_does_not_delay_the_others) {
        start_servers("{\"/hooks/dead\": [{\"hang\": true}]}");
        write_config("/hooks/dead", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon(test_before("2024-06-27T09:00:00", 2), NULL);
        /* All e-mails of 09:00 are delivered while the webhook still hangs (its timeout is 3 s). */
        cr_assert_eq(wait_for("SELECT count(*) > 0 AND count(*) = count(CASE WHEN state = 'sent' THEN 1 END) "
                              "FROM outbox WHERE channel = 'email'", 1, 8000), 1);
        cr_assert_eq(query_int("SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id "
                               "WHERE o.channel = 'webhook'"), 0, "the webhook has not even timed out yet");
        cr_assert_eq(query_int("SELECT max(sent_at - 1719460800) FROM outbox WHERE channel = 'email'") <= 1, 1,
                     "e-mails went out within a second of 09:00");
        /* Then the webhook times out and is retried, not failed. */
        cr_assert_eq(wait_for("SELECT count(*) FROM attempt WHERE result = 'retry'", 1, 8000), 1);
        cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, sighup_with_a_broken_config_keeps_the_old_one) {
        start_servers(NULL);
        write_config("/hooks/iidm", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon("2024-06-27T08:00", NULL);
        test_sleep_ms(500);
        _cleanup_free_ char *good = test_read(conf);
        _cleanup_free_ char *broken = xasprintf("%s\nschedule = { send_time = \"25:99\"; };\nbogus = 1;\n", good);
        free(test_write(dir, "merzim.conf", broken));
        kill(daemon_pid, SIGHUP);
        test_sleep_ms(700);
        cr_assert_eq(kill(daemon_pid, 0), 0, "the daemon died on a bad configuration");
        _cleanup_free_ char *log = daemon_log();
        cr_assert(strstr(log, "keeping the one in use"), "%s", log);
        cr_assert(strstr(log, "merzim.conf:"), "errors name the file and line: %s", log);

        /* A good change is taken. */
        _cleanup_free_ char *changed = xasprintf("%s\nlanguage = \"ru\";\n", good);
        free(test_write(dir, "merzim.conf", changed));
        kill(daemon_pid, SIGHUP);
        test_sleep_ms(700);
        free(log);
        log = daemon_log();
        cr_assert(strstr(log, "configuration reloaded"), "%s", log);
        cr_assert_eq(stop_daemon(), 0);
}

/* A templates directory with the shipped templates, the Kazakh body made of depth nested sections. */
static char *deep_templates(int depth) {
        _cleanup_free_ char *tdir = xasprintf("%s/templates", dir);
        mkdir(tdir, 0700);
        static const char *const langs[] = {"kk", "ru", "en"};
        for (size_t i = 0; i < ELEMENTSOF(langs); i++) {
                _cleanup_free_ char *name = xasprintf("message.%s.txt", langs[i]);
                _cleanup_free_ char *src = xasprintf("%s/conf/templates/%s", test_srcdir(), name);
                _cleanup_free_ char *text = test_read(src);
                if (streq(langs[i], "kk")) {
                        struct buf b = {0};
                        buf_puts(&b, "Subject: {{count}}\n\n");
                        for (int k = 0; k < depth; k++)
                                buf_puts(&b, "{{#a}}");
                        free(text);
                        text = buf_steal(&b);
                }
                free(test_write(tdir, name, text));
        }
        return xstrdup(tdir);
}

Test(daemon, a_template_nested_60000_deep_is_refused_and_a_reload_with_it_keeps_running) {
        start_servers(NULL);
        write_config("/hooks/iidm", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon("2024-06-27T08:00", NULL);
        _cleanup_free_ char *good = test_read(conf);
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *started = daemon_log();
                if (strstr(started, "started"))
                        break;
                test_sleep_ms(100);
        }

        _cleanup_free_ char *tdir = deep_templates(60000);
        _cleanup_free_ char *deep = xasprintf("%s\ntemplates = \"%s\";\n", good, tdir);
        free(test_write(dir, "merzim.conf", deep));
        _cleanup_free_ char *out = NULL, *err = NULL;
        int status = test_run((const char *const[]) {"merzimd", "--check-config", "-c", conf, NULL}, NULL, &out, &err);
        cr_assert_eq(status, 1, "merzimd --check-config: status %d: %s", status, err);
        _cleanup_free_ char *where = xasprintf("%s/message.kk.txt:3: ", tdir);
        cr_assert(strstr(err, where) && strstr(err, "nested more than 16 deep"), "%s", err);

        kill(daemon_pid, SIGHUP);
        test_sleep_ms(1000);
        cr_assert_eq(kill(daemon_pid, 0), 0, "the daemon died on a deeply nested template");
        _cleanup_free_ char *log = daemon_log();
        cr_assert(strstr(log, "keeping the one in use"), "%s", log);
        cr_assert(strstr(log, where), "the error names the file and line: %s", log);
        cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, the_database_merzimd_creates_is_not_for_others) {
        /* Started by hand, outside its unit, from a shell whose umask (022) lets others read new files. */
        start_servers(NULL);
        write_config("/hooks/iidm", NULL);
        mode_t old = umask(022);
        start_daemon("2024-06-27T08:00", NULL);
        umask(old);
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *log = daemon_log();
                if (strstr(log, "started"))
                        break;
                test_sleep_ms(100);
        }
        cr_assert_eq(stop_daemon(), 0);
        static const char *const files[] = {"merzim.db", "merzim.db-wal", "merzim.db-shm"};
        int seen = 0;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", dir, files[i]);
                struct stat st;
                if (stat(path, &st) < 0)
                        continue;
                seen++;
                cr_expect_eq(st.st_mode & 0007, 0, "%s is %o: others may read it", files[i], st.st_mode & 0777);
        }
        cr_assert_gt(seen, 0, "merzimd created no database");
}

/* merzimd --check-config -c conf: its exit status and stderr. */
static int check_config(char **err) {
        return test_run((const char *const[]) {"merzimd", "--check-config", "-c", conf, NULL}, NULL, NULL, err);
}

Test(daemon, check_config_warns_of_secrets_others_may_read) {
        _cleanup_free_ char *secret = test_write(dir, "link-secret", "a-link-secret-of-32-characters-xx\n");
        _cleanup_free_ char *extra = xasprintf("http = { link_secret_file = \"%s\"; };\n", secret);
        write_config("/hooks/iidm", extra);
        cr_assert_eq(chmod(conf, 0600), 0);
        static const struct {
                mode_t mode;
                const char *who;
        } modes[] = {{0644, "may be read by everyone"}, {0640, "may be read by its group"}, {0600, NULL}};
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                cr_assert_eq(chmod(secret, modes[i].mode), 0);
                _cleanup_free_ char *err = NULL;
                cr_assert_eq(check_config(&err), 0, "%s", err);
                if (modes[i].who)
                        cr_expect(strstr(err, "link_secret_file") && strstr(err, modes[i].who), "%o: %s", modes[i].mode,
                                  err);
                else
                        cr_expect_null(strstr(err, "may be read"), "%o: %s", modes[i].mode, err);
        }
        /* A password in merzim.conf itself, which operators (the group) read. */
        _cleanup_free_ char *text = test_read(conf);
        _cleanup_free_ char *inline_password = test_replace(text, "tls = \"none\";", "tls = \"none\"; password = \"hunter2\";");
        free(test_write(dir, "merzim.conf", inline_password));
        cr_assert_eq(chmod(conf, 0640), 0);
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(check_config(&err), 0, "%s", err);
        _cleanup_free_ char *where = xasprintf("%s:4: \"password\" is written here, and its group may read", conf);
        cr_assert(strstr(err, where), "%s", err);
        cr_assert_null(strstr(err, "hunter2"), "the warning shows the secret: %s", err);
        cr_assert_eq(chmod(conf, 0600), 0);
        free(err), err = NULL;
        cr_assert_eq(check_config(&err), 0, "%s", err);
        cr_assert_null(strstr(err, "is written here"), "%s", err);
}

Test(daemon, ready_and_stopping_arrive_on_the_notify_socket) {
        start_servers(NULL);
        write_config("/hooks/iidm", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        _cleanup_free_ char *path = xasprintf("%s/notify.sock", dir);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        cr_assert_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        struct timeval tv = {5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        _cleanup_free_ char *env = xasprintf("NOTIFY_SOCKET=%s", path);
        start_daemon("2024-06-27T08:00", (const char *const[]) {env, NULL});

        struct buf got = {0};
        char msg[4096];
        for (int i = 0; i < 10 && !(got.data && strstr(got.data, "READY=1")); i++) {
                ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
                cr_assert_gt(n, 0, "no notification from merzimd");
                msg[n] = 0;
                buf_printf(&got, "%s\n", msg);
        }
        cr_assert(strstr(got.data, "READY=1"), "%s", got.data);
        cr_assert(strstr(got.data, "STATUS=next: 2024-06-27T09:00:00+05:00"), "%s", got.data);
        kill(daemon_pid, SIGTERM);
        bool stopping = false;
        for (int i = 0; i < 10 && !stopping; i++) {
                ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
                if (n <= 0)
                        break;
                msg[n] = 0;
                stopping = strstr(msg, "STOPPING=1") != NULL;
        }
        cr_assert(stopping);
        int status;
        waitpid(daemon_pid, &status, 0);
        daemon_pid = 0;
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        buf_free(&got);
        close(fd);
}

Test(daemon, merzimctl_changes_take_effect_without_a_restart) {
        start_servers(NULL);
        write_config("/hooks/iidm", "schedule = { catch_up = \"skip\"; };\n");
        /* The daemon starts on an empty database; the plan is imported while it runs. */
        start_daemon(test_before("2024-06-27T09:00:00", 4), NULL);
        test_sleep_ms(300);
        ctl((const char *const[]) {"import", seed, NULL});
        /* Measure 10's 2024 report comes in before nine. */
        ctl((const char *const[]) {"done", "10", "--period", "2024", "--by", "ЭМ", NULL});
        cr_assert_geq(wait_for("SELECT count(*) FROM notification WHERE scheduled_at = 1719460800", 2, 8000), 2,
                      "the imported plan's reminders went out");
        cr_assert_eq(query_int("SELECT count(*) FROM notification_item i JOIN occurrence o ON o.id = i.occurrence_id "
                               "JOIN measure m ON m.id = o.measure_id WHERE m.number = 10 AND o.period = '2024'"), 0,
                     "nothing about a measure marked done");
        cr_assert_gt(query_int("SELECT count(*) FROM notification_item i JOIN occurrence o ON o.id = i.occurrence_id "
                               "JOIN measure m ON m.id = o.measure_id WHERE m.number = 32 AND o.period = '2024'"), 0);
        cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, kill_9_in_a_burst_loses_nothing) {
        enum { N = 60 };
        struct smtp_options o = {.delay = 0.05};
        _cleanup_free_ char *sdir = xasprintf("%s/smtp", dir), *hdir = xasprintf("%s/http", dir);
        mkdir(sdir, 0700);
        mkdir(hdir, 0700);
        cr_assert_eq(test_smtp_start(sdir, &o, &smtp), 0);
        cr_assert_eq(test_http_start(hdir, NULL, false, &http), 0);
        struct buf agencies = {0};
        for (int i = 1; i <= N; i++)
                buf_printf(&agencies, "%s{ code = \"A%04d\"; email = \"a%03d@test.kz\"; }", i > 1 ? ",\n" : "", i, i);
        _cleanup_free_ char *text = xasprintf(
                "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\nschedule = { catch_up = \"skip\"; };\n"
                "delivery = { retry_initial_seconds = 1; retry_max_seconds = 1; max_parallel = 4; timeout_seconds = 5; };\n"
                "smtp = { url = \"smtp://127.0.0.1:%d\"; tls = \"none\"; from = \"merzim <merzim@test.kz>\"; };\n"
                "plans = ( { title = \"Сынақ жол картасы 2024\"; coordinator = \"A0001\"; } );\nagencies = ( %s );\n",
                smtp.port, agencies.data);
        buf_free(&agencies);
        conf = test_write(dir, "merzim.conf", text);
        _cleanup_free_ char *doc = test_burst_roadmap(N, NULL), *doc_path = test_write(dir, "burst.txt", doc);
        ctl((const char *const[]) {"import", doc_path, NULL});

        /* 28 June is a Friday: the 1-day reminders of 60 agencies go out at 09:00 on the 27th. */
        start_daemon(test_before("2024-06-27T09:00:00", 1), NULL);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox", N, 5000), N);
        wait_for("SELECT count(*) FROM outbox WHERE state = 'sent'", 10, 5000);
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = 0;
        int64_t sent_before = query_int("SELECT count(*) FROM outbox WHERE state = 'sent'");
        cr_assert_lt(sent_before, N, "the burst was over before the kill");

        start_daemon("2024-06-27T09:00:10", NULL);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox WHERE state = 'sent'", N, 20000), N);
        cr_assert_eq(stop_daemon(), 0);

        /* Every message arrived; a duplicate only of one that was in flight at the kill, with the same key. */
        char **mails = test_server_log(&smtp, "smtp.jsonl", N, 2000);
        int received[N + 1] = {0};
        size_t total = 0;
        for (; mails[total]; total++) {
                json_t *m = line_json(mails[total]);
                const char *rcpt = json_string_value(json_array_get(json_object_get(m, "rcpt_tos"), 0));
                int k = 0;
                cr_assert(rcpt && sscanf(rcpt, "a%d@", &k) == 1 && k >= 1 && k <= N, "%s", mails[total]);
                received[k]++;
                json_decref(m);
        }
        test_strv_free(mails);
        int duplicates = 0;
        for (int k = 1; k <= N; k++) {
                cr_assert_geq(received[k], 1, "a%03d got nothing", k);
                duplicates += received[k] - 1;
        }
        cr_assert_leq(duplicates, 4, "only the deliveries in flight (max_parallel = 4) may come twice");
}

Test(daemon, a_slow_mail_server_does_not_delay_webhooks) {
        /* libcurl waits for an SMTP server's answer to a message without returning to the event loop:
         * e-mail runs in a thread of its own so that webhooks and the schedule go on. */
        struct smtp_options o = {.delay = 2.5}; /* within the 3 s timeout */
        _cleanup_free_ char *sdir = xasprintf("%s/smtp", dir), *hdir = xasprintf("%s/http", dir);
        mkdir(sdir, 0700);
        mkdir(hdir, 0700);
        cr_assert_eq(test_smtp_start(sdir, &o, &smtp), 0);
        /* The webhook answers after half a second: while the mail server is still thinking. */
        cr_assert_eq(test_http_start(hdir, "{\"/hooks/iidm\": [{\"delay\": 0.5, \"status\": 200}]}", false, &http), 0);
        write_config("/hooks/iidm", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon(test_before("2024-06-27T09:00:00", 1), NULL);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox WHERE channel = 'webhook' AND state = 'sent'", 1, 5000), 1);
        cr_assert_eq(query_int("SELECT count(*) FROM outbox WHERE channel = 'email' AND state = 'sent'"), 0,
                     "the e-mails are still waiting for the slow server");
        cr_assert_leq(query_int("SELECT sent_at - 1719460800 FROM outbox WHERE channel = 'webhook'"), 1);
        cr_assert_eq(wait_for("SELECT count(*) = (SELECT count(*) FROM outbox) FROM outbox WHERE state = 'sent'", 1, 20000), 1);
        cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, a_slow_answer_to_one_e_mail_does_not_hold_the_others) {
        /* The relay scans the message to em@ for 2.5 s before it answers (within the 3 s timeout): the
         * other e-mails of 09:00 go out on sessions of their own meanwhile, and the slow one is delivered
         * at its first attempt. */
        struct smtp_options o = {.delay = 2.5, .delay_rcpt = "em@test.kz"};
        _cleanup_free_ char *sdir = xasprintf("%s/smtp", dir), *hdir = xasprintf("%s/http", dir);
        mkdir(sdir, 0700);
        mkdir(hdir, 0700);
        cr_assert_eq(test_smtp_start(sdir, &o, &smtp), 0);
        cr_assert_eq(test_http_start(hdir, NULL, false, &http), 0);
        write_config("/hooks/iidm", "schedule = { catch_up = \"skip\"; };\n");
        ctl((const char *const[]) {"import", seed, NULL});
        start_daemon(test_before("2024-06-27T09:00:00", 1), NULL);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox WHERE channel = 'email' AND address <> 'em@test.kz' "
                              "AND state = 'sent'", 2, 5000), 2);
        cr_assert_eq(query_int("SELECT count(*) FROM outbox WHERE address = 'em@test.kz' AND state = 'sent'"), 0,
                     "the slow answer has not come yet");
        cr_assert_leq(query_int("SELECT max(sent_at) - 1719460800 FROM outbox WHERE channel = 'email' AND state = 'sent'"),
                      1);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox WHERE address = 'em@test.kz' AND state = 'sent'", 1, 10000), 1);
        cr_assert_eq(query_int("SELECT count(*) FROM attempt"), query_int("SELECT count(*) FROM outbox"),
                     "one attempt each");
        cr_assert_eq(stop_daemon(), 0);
}

Test(daemon, webhooks_delivered_together_are_logged_in_one_line) {
        /* A line per delivery is 10,000 lines for a send time of 10,000 agencies: webhooks delivered
         * together are one message (with each delivery's journal fields); e-mails, retries and failures
         * keep a line each. */
        enum { N = 40 };
        _cleanup_free_ char *hdir = xasprintf("%s/http", dir);
        mkdir(hdir, 0700);
        cr_assert_eq(test_http_start(hdir, NULL, false, &http), 0);
        struct buf agencies = {0};
        for (int i = 1; i <= N; i++)
                buf_printf(&agencies, "%s{ code = \"A%04d\"; webhook = { url = \"http://127.0.0.1:%d/h/%d\"; secret = \"s\"; }; }",
                           i > 1 ? ",\n" : "", i, http.port, i);
        _cleanup_free_ char *text = xasprintf(
                "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\nschedule = { catch_up = \"skip\"; };\n"
                "delivery = { max_parallel = 8; };\n"
                "plans = ( { title = \"Сынақ жол картасы 2024\"; coordinator = \"A0001\"; } );\nagencies = ( %s );\n",
                agencies.data);
        buf_free(&agencies);
        conf = test_write(dir, "merzim.conf", text);
        _cleanup_free_ char *doc = test_burst_roadmap(N, NULL), *doc_path = test_write(dir, "burst.txt", doc);
        ctl((const char *const[]) {"import", doc_path, NULL});
        start_daemon(test_before("2024-06-27T09:00:00", 1), NULL);
        cr_assert_eq(wait_for("SELECT count(*) FROM outbox WHERE state = 'sent'", N, 10000), N);
        cr_assert_eq(stop_daemon(), 0);

        _cleanup_free_ char *log = daemon_log();
        int lines = 0, named = 0;
        for (const char *p = strstr(log, " webhooks delivered (outbox "); p; p = strstr(p + 1, " webhooks delivered (outbox ")) {
                lines++;
                /* "(outbox 3-7, 9, 12-40)": every delivery is named. */
                for (const char *q = p + strlen(" webhooks delivered (outbox "); *q && *q != ')';) {
                        long a = strtol(q, (char **) &q, 10), b = a;
                        if (*q == '-')
                                b = strtol(q + 1, (char **) &q, 10);
                        named += (int) (b - a + 1);
                        while (*q == ',' || *q == ' ')
                                q++;
                }
        }
        cr_assert_gt(lines, 0, "%s", log);
        cr_assert_lt(lines, N / 2, "%d lines for %d deliveries", lines, N);
        int single = 0;
        for (const char *p = strstr(log, "merzimd: webhook "); p; p = strstr(p + 1, "merzimd: webhook "))
                single++;
        cr_assert_eq(named + single, N, "every delivery named once: %d in groups, %d alone\n%s", named, single, log);
}
