/* merzim against a real Postfix relay as strict as a ministry's (Debian's postfix, run by the test from
 * its own configuration directory on loopback): a fully-qualified EHLO, no bare LF, no unauthorised
 * pipelining, a 5 s smtpd_timeout, a refusal at end of data, a per-client connection limit, AUTH only
 * after STARTTLS. Nothing good may be lost or refused, and the relay's log must have no complaint. */
#include "config.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "conf.h"
#include "delivery.h"
#include "helpers.h"
#include "mailer.h"
#include "servers.h"
#include "util.h"

static char *dir, *conf, *db, *seed, *log_path;
static struct test_postfix relay;
static pid_t daemon_pid;

static void setup(void) {
        dir = test_mkdtemp();
        db = xasprintf("%s/merzim.db", dir);
        seed = test_seed_path();
        log_path = xasprintf("%s/merzimd.log", dir);
}

static void teardown(void) {
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGKILL);
                waitpid(daemon_pid, NULL, 0);
                daemon_pid = 0;
        }
        test_postfix_stop(&relay);
        test_rmdir(dir);
        free(dir);
        free(conf);
        free(db);
        free(seed);
        free(log_path);
        conf = NULL;
}

TestSuite(postfix, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(180));

static void start_relay(const struct postfix_options *o) {
        if (!test_postfix_available())
                cr_skip_test("Postfix needs root and the postfix and sasl2-bin packages (scripts/install-deps test)");
        _cleanup_free_ char *rdir = xasprintf("%s/relay", dir);
        cr_assert_eq(test_postfix_start(rdir, o, &relay), 0, "Postfix did not start (see %s/postfix.log)", rdir);
}

/* merzim's configuration: smtp settings left at their defaults but for the relay's address and the
 * sender; ИИДМ coordinates, ПМК supervises, ЭМ has two addresses, and ten more agencies of the plan
 * have one each (the others' messages go to ИИДМ). */
static void write_config(const char *extra) {
        static const char *const others[] = {"\\\"Атамекен\\\" ҰКП", "ҚМО", "СИМ", "Қаржымині", "ҰЭМ", "СІМ",
                                             "МГМДХО", "ЦДИАӨМ", "АТМКА", "\\\"KazakhInvest\\\" АҚ"};
        struct buf agencies = {0};
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                buf_printf(&agencies, "  { code = \"%s\"; email = \"a%02zu@test.kz\"; },\n", others[i], i);
        _cleanup_free_ char *text = xasprintf(
                "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\n"
                "smtp = { url = \"smtp://127.0.0.1:%d\"; from = \"merzim <merzim@test.kz>\"; };\n"
                "plans = ( { title = \"Машина жасауды дамытудың 2024 жылға дейінгі жол картасы\"; "
                "coordinator = \"ИИДМ\"; supervisor = \"ПМК\"; } );\n"
                "agencies = (\n%s"
                "  { code = \"ИИДМ\"; email = \"iidm@test.kz\"; language = \"kk\"; },\n"
                "  { code = \"ЭМ\"; email = [\"em@test.kz\", \"em2@test.kz\"]; language = \"ru\"; },\n"
                "  { code = \"ПМК\"; email = \"pmk@test.kz\"; language = \"ru\"; }\n"
                ");\n%s",
                relay.port, agencies.data, extra ? extra : "");
        buf_free(&agencies);
        free(conf);
        conf = test_write(dir, "merzim.conf", text);
}

static int strcmp_ptr(const char *const *a, const char *const *b) {
        return strcmp(*a, *b);
}

static void ctl(const char *const *args, char **out) {
        const char *argv[24] = {"merzimctl", "-c", conf};
        size_t n = 3;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(test_run(argv, NULL, out, &err), 0, "merzimctl %s: %s", args[0], err);
}

/* The value of a header in a delivered message (first line only), or NULL. Caller frees. */
static char *header(const char *message, const char *name) {
        _cleanup_free_ char *needle = xasprintf("\n%s: ", name);
        const char *p = strstr(message, needle);
        if (!p)
                return NULL;
        p += strlen(needle);
        return xstrndup(p, strcspn(p, "\r\n"));
}

/* The queue id Postfix gave a delivered message: "Received: from ... by relay.merzim.test (Postfix)
 * with ESMTP id QUEUEID". Caller frees. */
static char *queue_id(const char *message) {
        const char *p = strstr(message, "(Postfix) with ESMTP");
        cr_assert_not_null(p, "no Received line of the relay in:\n%s", message);
        p = strstr(p, " id ");
        cr_assert_not_null(p);
        p += 4;
        return xstrndup(p, strspn(p, "0123456789ABCDEF"));
}

/* The relay's log once every session in it has ended (each "connect from" has its "disconnect from").
 * Caller frees. */
static char *settled_log(void) {
        for (int i = 0;; i++) {
                char *log = test_postfix_log(&relay);
                int connects = test_count_lines(log, ": connect from"), disconnects = test_count_lines(log, ": disconnect from");
                if (connects == disconnects || i == 100)
                        return log;
                free(log);
                test_sleep_ms(50);
        }
}

/* Complaints a mail administrator would see about a client in Postfix's log. */
static void assert_no_complaint(const char *log) {
        static const char *const complaints[] = {
                "timeout after", "nested MAIL", "improper command pipelining", "bare <LF>", "too many connections",
                "lost connection", "Helo command rejected", "503 5.5", "non-SMTP command", "Connection rate limit",
        };
        for (size_t i = 0; i < ELEMENTSOF(complaints); i++)
                cr_assert_null(strstr(log, complaints[i]), "the relay complains \"%s\":\n%s", complaints[i], log);
        /* No MAIL command was refused (the session statistics say "mail=1/2" when one was: a 503 after
         * a refusal that the session did not recover from). */
        for (const char *p = strstr(log, " mail="); p; p = strstr(p + 1, " mail=")) {
                size_t digits = strspn(p + 6, "0123456789");
                cr_assert_neq(p[6 + digits], '/', "the relay refused a MAIL command: %.60s\n%s", p, log);
        }
        /* Every session ends with QUIT. */
        int disconnects = test_count_lines(log, "disconnect from");
        cr_assert_gt(disconnects, 0, "%s", log);
        cr_assert_eq(test_count_lines(log, " quit=1"), disconnects, "a session ended without QUIT:\n%s", log);
}

/* Wait until nothing is pending in the outbox (and something is there). */
static void wait_for_outbox(int expected_min, int ms) {
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox", expected_min, ms), expected_min);
        cr_assert_eq(test_wait_for(db, "SELECT count(*) = 0 FROM outbox WHERE state = 'pending'", 1, ms), 1,
                     "deliveries still pending");
}

Test(postfix, a_strict_relay_takes_every_message_of_two_batches_with_default_settings) {
        start_relay(&(struct postfix_options) {.refuse_at_end_of_data = "em2@test.kz", .connection_limit = 4});
        write_config(NULL);
        ctl((const char *const[]) {"import", seed, NULL}, NULL);

        /* The first batch at start (catch-up digests and what was missed), the second at 09:00: longer
         * after it than the relay's 5 s smtpd_timeout. */
        daemon_pid = test_daemon_start(conf, test_before("2024-06-27T09:00:00", 9), NULL, log_path);
        wait_for_outbox(1, 20000);
        int64_t first = test_query_int(db, "SELECT count(*) FROM outbox");
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM notification WHERE scheduled_at = 1719460800", 1, 20000), 1);
        wait_for_outbox((int) first + 1, 20000);
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;

        /* Every e-mail is delivered at its first attempt, but those to the address refused at end of
         * data, which fail for good, with the relay's 550: no sequence error, no dead session. */
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM outbox WHERE address <> 'em2@test.kz' AND state <> 'sent'"), 0);
        cr_assert_gt(test_query_int(db, "SELECT count(*) FROM outbox WHERE address = 'em2@test.kz'"), 1);
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM outbox WHERE address = 'em2@test.kz' "
                                        "AND (state <> 'failed' OR attempts <> 1)"), 0);
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM attempt a JOIN outbox o ON o.id = a.outbox_id "
                                        "WHERE o.address = 'em2@test.kz' AND (a.code <> 550 OR a.reply NOT LIKE "
                                        "'550 5.7.1 %refused at end of data')"), 0);
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM outbox WHERE attempts <> 1"), 0);
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM attempt"), test_query_int(db, "SELECT count(*) FROM outbox"));

        /* Each delivered message's recorded reply is the relay's answer to it: its queue id is the one
         * in the Received line of the message with that key in the Maildir. */
        int64_t sent = test_query_int(db, "SELECT count(*) FROM outbox WHERE state = 'sent'");
        char **mails = test_postfix_delivered(&relay, (size_t) sent, 30000);
        size_t n = 0;
        while (mails[n])
                n++;
        cr_assert_eq((int64_t) n, sent, "delivered %zu, recorded %lld", n, (long long) sent);
        sqlite3 *h;
        cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(h, "SELECT o.reply, n.key, o.address FROM outbox o JOIN notification n "
                                           "ON n.id = o.notification_id WHERE o.state = 'sent'", -1, &st, NULL),
                     SQLITE_OK);
        size_t matched = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *reply = (const char *) sqlite3_column_text(st, 0);
                const char *key = (const char *) sqlite3_column_text(st, 1);
                const char *address = (const char *) sqlite3_column_text(st, 2);
                cr_assert(strncmp(reply, "250 2.0.0 Ok: queued as ", 24) == 0, "recorded reply \"%s\"", reply);
                const char *qid = reply + 24;
                bool found = false;
                for (size_t i = 0; i < n && !found; i++) {
                        _cleanup_free_ char *id = queue_id(mails[i]), *k = header(mails[i], "X-Merzim-Key"),
                                            *to = header(mails[i], "Delivered-To");
                        if (streq(id, qid)) {
                                cr_assert_str_eq(k, key, "queue id %s is another message's", qid);
                                cr_assert_str_eq(to, address);
                                found = true;
                        }
                }
                cr_assert(found, "no delivered message has queue id %s", qid);
                matched++;
        }
        sqlite3_finalize(st);
        sqlite3_close(h);
        cr_assert_eq((int64_t) matched, sent);
        test_strv_free(mails);

        /* The relay saw a fully-qualified EHLO, and nothing it would complain about; the sessions of the
         * first batch were closed with QUIT before its timeout, and new ones opened for the second. */
        _cleanup_free_ char *log = settled_log();
        assert_no_complaint(log);
        cr_assert_gt(test_count_lines(log, "connect from"), 2, "%s", log);
        cr_assert_eq(test_count_lines(log, "reject: END-OF-MESSAGE"),
                     test_query_int(db, "SELECT count(*) FROM outbox WHERE address = 'em2@test.kz'"));
}

/* The items of a message as "measure period stage" lines, sorted: from the preview's JSON. */
static char *preview_items(json_t *message) {
        size_t i, n = json_array_size(json_object_get(message, "items"));
        char **lines = xcalloc(n + 1, sizeof(char *));
        json_t *it;
        json_array_foreach(json_object_get(message, "items"), i, it)
                lines[i] = xasprintf("%" JSON_INTEGER_FORMAT " %s %s\n", json_integer_value(json_object_get(it, "measure")),
                                     json_string_value(json_object_get(it, "period")),
                                     json_string_value(json_object_get(it, "stage")));
        qsort(lines, n, sizeof(char *), (int (*)(const void *, const void *)) strcmp_ptr);
        struct buf b = {0};
        buf_puts(&b, "");
        for (i = 0; i < n; i++) {
                buf_puts(&b, lines[i]);
                free(lines[i]);
        }
        free(lines);
        return buf_steal(&b);
}

/* The same from what merzimd recorded it sent under a key. */
static char *sent_items(sqlite3 *h, const char *key) {
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(h, "SELECT m.number || ' ' || o.period || ' ' || i.stage || char(10) AS line "
                                           "FROM notification n JOIN notification_item i ON i.notification_id = n.id "
                                           "JOIN occurrence o ON o.id = i.occurrence_id JOIN measure m ON m.id = o.measure_id "
                                           "WHERE n.key = ? ORDER BY line", -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        struct buf b = {0};
        buf_puts(&b, "");
        while (sqlite3_step(st) == SQLITE_ROW)
                buf_puts(&b, (const char *) sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return buf_steal(&b);
}

/* merzimctl schedule --json at the instant at (a start of merzimd) against what merzimd then sends: the
 * same messages, with the same keys, items and stages, and every e-mail of them at the relay. */
static void preview_is_what_arrives(const char *at, const char *to, size_t *delivered_before) {
        _cleanup_free_ char *out = NULL;
        ctl((const char *const[]) {"schedule", "--json", "--now", at, "--from", at, "--to", to, NULL}, &out);
        json_t *preview = json_loads(out, 0, NULL);
        cr_assert(json_is_array(preview) && json_array_size(preview) > 0, "%s", out);

        daemon_pid = test_daemon_start(conf, at, NULL, log_path);
        size_t e_mails = 0, i;
        json_t *m;
        json_array_foreach(preview, i, m) {
                const char *recipient = json_string_value(json_object_get(m, "recipient"));
                e_mails += streq(recipient, "ЭМ") ? 2 : json_array_size(json_object_get(m, "channels"));
        }
        cr_assert_geq(test_wait_for(db, "SELECT count(*) FROM outbox WHERE state = 'sent'",
                                    (int64_t) (*delivered_before + e_mails), 30000),
                      (int64_t) (*delivered_before + e_mails));
        test_sleep_ms(500); /* would more come? */
        cr_assert_eq(test_daemon_stop(daemon_pid), 0);
        daemon_pid = 0;

        /* merzimd sent exactly the previewed messages at this start. */
        sqlite3 *h;
        cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        char **mails = test_postfix_delivered(&relay, *delivered_before + e_mails, 30000);
        size_t n_mails = 0;
        while (mails[n_mails])
                n_mails++;
        cr_assert_eq(n_mails, *delivered_before + e_mails, "the relay got %zu e-mails, %zu expected", n_mails,
                     *delivered_before + e_mails);
        json_array_foreach(preview, i, m) {
                const char *key = json_string_value(json_object_get(m, "key"));
                _cleanup_free_ char *want = preview_items(m), *got = sent_items(h, key);
                cr_assert_str_eq(got, want, "message %s to %s: merzimd sent other items than the preview lists", key,
                                 json_string_value(json_object_get(m, "recipient")));
                size_t arrived = 0;
                for (size_t k = 0; k < n_mails; k++) {
                        _cleanup_free_ char *mk = header(mails[k], "X-Merzim-Key");
                        arrived += mk && streq(mk, key);
                }
                cr_assert_eq(arrived, streq(json_string_value(json_object_get(m, "recipient")), "ЭМ") ? 2u : 1u,
                             "message %s arrived %zu times", key, arrived);
        }
        /* And nothing else. */
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(h, "SELECT count(*) FROM outbox", -1, &st, NULL), SQLITE_OK);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
        cr_assert_eq((size_t) sqlite3_column_int64(st, 0), *delivered_before + e_mails, "merzimd sent more than previewed");
        sqlite3_finalize(st);
        sqlite3_close(h);
        test_strv_free(mails);
        *delivered_before += e_mails;
        json_decref(preview);
}

Test(postfix, schedule_json_lists_exactly_what_arrives_at_a_catch_up) {
        start_relay(NULL);
        write_config(NULL);
        ctl((const char *const[]) {"import", seed, NULL}, NULL);
        size_t delivered = 0;
        /* A first start with two years of deadlines behind: catch-up digests, and the day's messages
         * that are an hour late. */
        preview_is_what_arrives("2024-06-20T10:00:00", "2024-06-20T10:01", &delivered);
        /* Then two months of downtime: digests again, with escalations that went on meanwhile. */
        preview_is_what_arrives("2024-08-20T10:00:00", "2024-08-20T10:01", &delivered);
}

/* Send deliveries to addresses through a mailer of sessions sessions; returns their results. */
static void send_all(struct config *cfg, int sessions, const char *const *addresses, size_t n,
                     struct delivery_result *results);

Test(postfix, a_refusal_at_end_of_data_costs_only_its_own_message) {
        start_relay(&(struct postfix_options) {.refuse_at_end_of_data = "refused@test.kz"});
        struct config *cfg = config_new_defaults();
        free(cfg->smtp_url);
        cfg->smtp_url = xasprintf("smtp://127.0.0.1:%d", relay.port);
        free(cfg->smtp_from);
        cfg->smtp_from = xstrdup("merzim <merzim@test.kz>");
        cfg->smtp_tls = SMTP_TLS_NONE;
        /* One session: the messages after the refused one come back to it. */
        static const char *const to[] = {"refused@test.kz", "first@test.kz", "refused@test.kz", "second@test.kz"};
        struct delivery_result res[ELEMENTSOF(to)];
        send_all(cfg, 1, to, ELEMENTSOF(to), res);
        for (size_t i = 0; i < ELEMENTSOF(to); i++) {
                bool refused = strncmp(to[i], "refused", 7) == 0;
                cr_assert_eq(res[i].verdict, refused ? DELIVERY_FAILED : DELIVERY_SENT, "%s: %s", to[i], res[i].reply);
                cr_assert_eq(res[i].code, refused ? 550 : 250, "%s: %s", to[i], res[i].reply);
                delivery_result_clear(&res[i]);
        }
        config_free(cfg);
        char **mails = test_postfix_delivered(&relay, 2, 30000);
        cr_assert(mails[0] && mails[1] && !mails[2]);
        test_strv_free(mails);
        _cleanup_free_ char *log = settled_log();
        assert_no_complaint(log);
}

Test(postfix, no_more_sessions_than_the_relay_allows_a_client) {
        start_relay(&(struct postfix_options) {.connection_limit = 2});
        struct config *cfg = config_new_defaults();
        free(cfg->smtp_url);
        cfg->smtp_url = xasprintf("smtp://127.0.0.1:%d", relay.port);
        free(cfg->smtp_from);
        cfg->smtp_from = xstrdup("merzim <merzim@test.kz>");
        cfg->smtp_tls = SMTP_TLS_NONE;
        const char *to[12];
        char names[12][32];
        for (size_t i = 0; i < ELEMENTSOF(to); i++) {
                snprintf(names[i], sizeof(names[i]), "a%02zu@test.kz", i);
                to[i] = names[i];
        }
        struct delivery_result res[ELEMENTSOF(to)];
        send_all(cfg, 2, to, ELEMENTSOF(to), res);
        for (size_t i = 0; i < ELEMENTSOF(to); i++) {
                cr_assert_eq(res[i].verdict, DELIVERY_SENT, "%s: %s", to[i], res[i].reply);
                delivery_result_clear(&res[i]);
        }
        config_free(cfg);
        _cleanup_free_ char *log = settled_log();
        assert_no_complaint(log);
}

Test(postfix, credentials_go_only_after_starttls_or_nothing_is_sent) {
        start_relay(&(struct postfix_options) {.auth = "merzim:s3cret-merzim"});
        struct config *cfg = config_new_defaults();
        free(cfg->smtp_url);
        cfg->smtp_url = xasprintf("smtp://127.0.0.1:%d", relay.auth_port);
        free(cfg->smtp_from);
        cfg->smtp_from = xstrdup("merzim <merzim@test.kz>");
        cfg->smtp_username = xstrdup("merzim");
        cfg->smtp_password = xstrdup("s3cret-merzim");
        cfg->smtp_ca_file = xasprintf("%s/ca.pem", relay.dir);
        static const char *const to[] = {"plan@test.kz"};
        struct delivery_result res;

        /* tls = "none": the relay offers AUTH only after STARTTLS; merzim sends nothing, and says why. */
        cfg->smtp_tls = SMTP_TLS_NONE;
        send_all(cfg, 1, to, 1, &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_not_null(strstr(res.reply, "only after STARTTLS"), "%s", res.reply);
        delivery_result_clear(&res);
        _cleanup_free_ char *log = settled_log();
        cr_assert_null(strstr(log, "mail=1"), "a MAIL went out without AUTH:\n%s", log);
        cr_assert_null(strstr(log, "Access denied"), "%s", log);

        /* A wrong password is the settings' fault, not the message's: kept for later. */
        cfg->smtp_tls = SMTP_TLS_STARTTLS;
        free(cfg->smtp_password);
        cfg->smtp_password = xstrdup("wrong");
        send_all(cfg, 1, to, 1, &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 535, "%s", res.reply);
        delivery_result_clear(&res);

        /* With STARTTLS (the test CA) and the right password: delivered, authenticated. */
        free(cfg->smtp_password);
        cfg->smtp_password = xstrdup("s3cret-merzim");
        send_all(cfg, 1, to, 1, &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        char **mails = test_postfix_delivered(&relay, 1, 30000);
        cr_assert_not_null(mails[0]);
        cr_assert_null(mails[1]);
        cr_assert_not_null(strstr(mails[0], "with ESMTPSA id"), "not sent over TLS with AUTH:\n%s", mails[0]);
        _cleanup_free_ char *id = queue_id(mails[0]);
        cr_assert_str_eq(res.reply + 24, id);
        delivery_result_clear(&res);
        test_strv_free(mails);
        config_free(cfg);
}

/* One message handed to the mailer. */
struct sent {
        CURL *easy;
        struct mail_job *job;
        struct delivery d;
        struct delivery_result *res;
        bool done;
};

static void on_done(CURL *easy, CURLcode code, void *userdata) {
        struct sent *s = userdata;
        mail_result(s->job, easy, code, s->res);
        s->done = true;
}

static void send_all(struct config *cfg, int sessions, const char *const *addresses, size_t n,
                     struct delivery_result *results) {
        sd_event *event;
        cr_assert_geq(sd_event_new(&event), 0);
        struct mailer *m;
        cr_assert_eq(mailer_new(event, sessions, cfg->smtp_idle_seconds, &m), 0);
        struct sent *v = xcalloc(n, sizeof(*v));
        for (size_t i = 0; i < n; i++) {
                v[i] = (struct sent) {
                        .easy = curl_easy_init(),
                        .d = {.id = (int64_t) i + 1, .channel = CHANNEL_EMAIL, .address = xstrdup(addresses[i]),
                              .key = xasprintf("postfix%04zu", i), .to_name = xstrdup("Министрлік"),
                              .subject = xstrdup("Еске салу"), .body = xstrdup("Есеп 28 маусымға дейін.\n"),
                              .created_at = 1719460800},
                        .res = &results[i],
                };
                cr_assert_eq(mail_setup(v[i].easy, cfg, &v[i].d, &v[i].job), 0);
                cr_assert_eq(mailer_add(m, v[i].easy, v[i].job, on_done, &v[i]), 0);
        }
        for (int waited = 0; waited < 600; waited++) {
                size_t done = 0;
                for (size_t i = 0; i < n; i++)
                        done += v[i].done;
                if (done == n)
                        break;
                sd_event_run(event, 100 * 1000);
        }
        mailer_free(m); /* closes the sessions with QUIT */
        for (size_t i = 0; i < n; i++) {
                cr_assert(v[i].done, "message %zu is not done", i);
                curl_easy_cleanup(v[i].easy);
                mail_job_free(v[i].job);
                delivery_free(&v[i].d);
        }
        free(v);
        sd_event_unref(event);
}
