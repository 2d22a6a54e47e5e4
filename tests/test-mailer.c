/* E-mail sessions (mailer.c) against a real SMTP server on loopback: a slow answer holds only its own
 * session, a session the relay closed is replaced at once without costing the message, idle sessions
 * are closed, and stopping aborts what is in flight. */
#include "config.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <time.h>

#include "conf.h"
#include "delivery.h"
#include "helpers.h"
#include "mailer.h"
#include "servers.h"
#include "util.h"

static char *dir;
static struct test_server smtp;
static struct config *cfg;
static sd_event *event;

static void setup(void) {
        dir = test_mkdtemp();
        cfg = config_new_defaults();
        cfg->timeout_seconds = 10;
        cfg->smtp_tls = SMTP_TLS_NONE;
        free(cfg->smtp_from);
        cfg->smtp_from = xstrdup("merzim <merzim@merzim.test.kz>");
        cr_assert_geq(sd_event_new(&event), 0);
}

static void teardown(void) {
        sd_event_unref(event);
        test_server_stop(&smtp);
        config_free(cfg);
        test_rmdir(dir);
        free(dir);
}

TestSuite(mailer, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(60));

static void start_smtp(const struct smtp_options *o) {
        cr_assert_eq(test_smtp_start(dir, o, &smtp), 0);
        free(cfg->smtp_url);
        cfg->smtp_url = xasprintf("smtp://127.0.0.1:%d", smtp.port);
}

/* One message handed to the mailer, and what came of it. */
struct sent {
        CURL *easy;
        struct mail_job *job;
        struct delivery d;
        bool done;
        struct delivery_result res;
        double at; /* seconds after the test's start when it was done */
};

static struct timespec t0;

static double elapsed(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) (t.tv_sec - t0.tv_sec) + (double) (t.tv_nsec - t0.tv_nsec) / 1e9;
}

static void on_done(CURL *easy, CURLcode code, void *userdata) {
        struct sent *s = userdata;
        mail_result(s->job, easy, code, &s->res);
        s->done = true;
        s->at = elapsed();
}

/* Set up one message to address and hand it to the mailer. */
static void hand_over(struct mailer *m, struct sent *s, const char *address, const char *key) {
        *s = (struct sent) {
                .easy = curl_easy_init(),
                .d = {.id = 1, .channel = CHANNEL_EMAIL, .address = xstrdup(address), .key = xstrdup(key),
                      .to_name = xstrdup("Test"), .subject = xstrdup("Test"), .body = xstrdup("Hello\n"),
                      .created_at = 1710482400},
        };
        cr_assert_eq(mail_setup(s->easy, cfg, &s->d, &s->job), 0);
        cr_assert_eq(mailer_add(m, s->easy, s->job, on_done, s), 0);
}

static void sent_clear(struct sent *s) {
        curl_easy_cleanup(s->easy);
        mail_job_free(s->job);
        delivery_free(&s->d);
        delivery_result_clear(&s->res);
}

/* Run the event loop until the first n messages are done, or seconds pass. */
static void run_until_done(struct sent *v, size_t n, double seconds) {
        double until = elapsed() + seconds;
        for (;;) {
                size_t k = 0;
                while (k < n && v[k].done)
                        k++;
                if (k == n || elapsed() > until)
                        return;
                sd_event_run(event, 50 * 1000);
        }
}

/* The server's log lines that are messages, as JSON. */
static json_t *received(size_t min) {
        char **lines = test_server_log(&smtp, "smtp.jsonl", min, 5000);
        json_t *arr = json_array();
        for (size_t i = 0; lines[i]; i++)
                json_array_append_new(arr, json_loads(lines[i], 0, NULL));
        test_strv_free(lines);
        return arr;
}

Test(mailer, a_slow_answer_holds_only_its_own_session) {
        /* The relay takes 3 s to answer the message to slow@ (content scanning does this). */
        double slow = 3.0 * test_slowdown();
        start_smtp(&(struct smtp_options) {.delay = slow, .delay_rcpt = "slow@test.kz"});
        cfg->timeout_seconds = 10 * test_slowdown();
        struct mailer *m;
        cr_assert_eq(mailer_new(event, 4, 3, &m), 0);
        struct sent v[7];
        clock_gettime(CLOCK_MONOTONIC, &t0);
        hand_over(m, &v[0], "slow@test.kz", "slow0001");
        for (int i = 1; i < 7; i++) {
                _cleanup_free_ char *address = xasprintf("a%d@test.kz", i), *key = xasprintf("fast%04d", i);
                hand_over(m, &v[i], address, key);
        }
        run_until_done(v + 1, 6, 10);
        for (int i = 1; i < 7; i++) {
                cr_assert(v[i].done && v[i].res.verdict == DELIVERY_SENT, "message %d: %s", i, v[i].res.reply);
                cr_assert_lt(v[i].at, slow - 1.0, "message %d waited %.1f s for the slow one", i, v[i].at);
        }
        cr_assert_not(v[0].done, "the slow answer came early");
        run_until_done(v, 1, 10 * test_slowdown());
        cr_assert_eq(v[0].res.verdict, DELIVERY_SENT, "%s", v[0].res.reply);
        cr_assert_geq(v[0].at, slow - 0.1);
        mailer_free(m);
        for (int i = 0; i < 7; i++)
                sent_clear(&v[i]);
}

Test(mailer, a_session_the_relay_closed_is_replaced_at_once) {
        /* The relay answers 421 and closes when a session comes back for a second message: as Postfix
         * does when its smtpd_timeout ran out just as merzim reused the session. */
        start_smtp(&(struct smtp_options) {.close_reused = true});
        struct mailer *m;
        cr_assert_eq(mailer_new(event, 1, 30, &m), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct sent v[2];
        hand_over(m, &v[0], "plan@test.kz", "lost0001");
        run_until_done(v, 1, 10);
        cr_assert_eq(v[0].res.verdict, DELIVERY_SENT, "%s", v[0].res.reply);
        cr_assert_eq(mailer_open_sessions(m), 1);
        hand_over(m, &v[1], "plan@test.kz", "lost0002");
        run_until_done(v + 1, 1, 10);
        /* The message went out on a new session, and the lost one is not its result. */
        cr_assert_eq(v[1].res.verdict, DELIVERY_SENT, "%s", v[1].res.reply);
        cr_assert_str_eq(v[1].res.reply, "250 OK queued as 0002");
        json_t *log = received(3);
        cr_assert_eq(json_array_size(log), 3);
        cr_assert_eq(json_integer_value(json_object_get(json_array_get(log, 1), "closed")), 1);
        cr_assert_eq(json_integer_value(json_object_get(json_array_get(log, 2), "connection")), 2);
        json_decref(log);
        mailer_free(m);
        for (int i = 0; i < 2; i++)
                sent_clear(&v[i]);
}

Test(mailer, an_idle_session_is_closed_and_the_next_message_opens_one) {
        start_smtp(NULL);
        struct mailer *m;
        cr_assert_eq(mailer_new(event, 2, test_slowdown(), &m), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct sent v[3];
        hand_over(m, &v[0], "plan@test.kz", "idle0001");
        run_until_done(v, 1, 10);
        hand_over(m, &v[1], "plan@test.kz", "idle0002");
        run_until_done(v + 1, 1, 10);
        cr_assert_eq(mailer_open_sessions(m), 1, "the session is kept between close messages");
        test_sleep_ms(1600);
        cr_assert_eq(mailer_open_sessions(m), 0, "an idle session is closed after smtp.idle_seconds");
        hand_over(m, &v[2], "plan@test.kz", "idle0003");
        run_until_done(v + 2, 1, 10);
        for (int i = 0; i < 3; i++)
                cr_assert_eq(v[i].res.verdict, DELIVERY_SENT, "%s", v[i].res.reply);
        json_t *log = received(3);
        int64_t c[3];
        for (size_t i = 0; i < 3; i++)
                c[i] = json_integer_value(json_object_get(json_array_get(log, i), "connection"));
        cr_assert_eq(c[0], c[1]);
        cr_assert_neq(c[1], c[2]);
        json_decref(log);
        mailer_free(m);
        for (int i = 0; i < 3; i++)
                sent_clear(&v[i]);
}

Test(mailer, stopping_aborts_what_is_in_flight) {
        start_smtp(&(struct smtp_options) {.delay = 20});
        struct mailer *m;
        cr_assert_eq(mailer_new(event, 1, 3, &m), 0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        struct sent v[2];
        hand_over(m, &v[0], "plan@test.kz", "stop0001");
        hand_over(m, &v[1], "plan@test.kz", "stop0002"); /* waits for the only session */
        test_sleep_ms(500);
        mailer_free(m);
        cr_assert(v[0].done && v[1].done, "every transfer is handed back");
        cr_assert_lt(elapsed(), 3.5 * test_slowdown(), "stopping took %.1f s", elapsed());
        for (int i = 0; i < 2; i++) {
                cr_assert_eq(v[i].res.verdict, DELIVERY_RETRY, "%s", v[i].res.reply);
                sent_clear(&v[i]);
        }
}
