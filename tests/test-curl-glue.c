/* curl_glue: transfers driven by sd-event against the loopback HTTP receiver and SMTP sink. */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "curl-glue.h"
#include "servers.h"
#include "util.h"

#define MAX_REQUESTS 32

/* One transfer a test makes, and what came of it. */
struct request {
        CURL *easy;
        const char *mail; /* SMTP: the message being uploaded */
        size_t mail_sent;
        CURLcode result;
        long status;
        long connects; /* new connections the last attempt opened */
        int done_calls;
};

static char *dir;
static struct test_server http, smtp;
static sd_event *event;
static struct curl_glue *glue;
static struct request requests[MAX_REQUESTS];
static size_t n_requests;
static struct request *finished[MAX_REQUESTS * 4]; /* in the order done was called */
static size_t n_finished;
static bool adding;                    /* inside curl_glue_add, where done must never be called */
static ssize_t logged_at_first_done = -1; /* requests the HTTP receiver had seen when the first finished */

/* A fresh directory for one test's servers. */
static char *make_test_dir(void) {
        const char *tmp = getenv("TMPDIR");
        char *d = xasprintf("%s/merzim-glue-XXXXXX", isempty(tmp) ? "/tmp" : tmp);
        cr_assert_not_null(mkdtemp(d), "mkdtemp %s: %m", d);
        return d;
}

/* Remove one file or directory of the test's tree. */
static int remove_one(const char *path, const struct stat *st _unused_, int flag _unused_, struct FTW *ftw _unused_) {
        return remove(path);
}

/* Each test: libcurl, a fresh directory, an event loop and its glue. */
static void setup(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        dir = make_test_dir();
        cr_assert_eq(sd_event_new(&event), 0);
        cr_assert_eq(curl_glue_new(event, &glue), 0);
}

/* Stop what the test started and remove its files. */
static void teardown(void) {
        curl_glue_free(glue);
        glue = NULL;
        for (size_t i = 0; i < n_requests; i++)
                curl_easy_cleanup(requests[i].easy);
        test_server_stop(&http);
        test_server_stop(&smtp);
        sd_event_unref(event);
        if (dir && !getenv("MERZIM_KEEP_TEST_FILES"))
                nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
        curl_global_cleanup();
}

TestSuite(curl_glue, .init = setup, .fini = teardown);

/* Throw a response body away. */
static size_t discard(char *data _unused_, size_t size, size_t nmemb, void *userdata _unused_) {
        return size * nmemb;
}

/* Give libcurl the next piece of a message. */
static size_t read_mail(char *buffer, size_t size, size_t nitems, void *userdata) {
        struct request *r = userdata;
        size_t left = strlen(r->mail) - r->mail_sent;
        size_t n = size * nitems < left ? size * nitems : left;
        memcpy(buffer, r->mail + r->mail_sent, n);
        r->mail_sent += n;
        return n;
}

/* The lines the HTTP receiver has logged so far. */
static size_t http_logged(void) {
        char **lines = test_server_log(&http, "http.jsonl", 0, 0);
        size_t n = 0;
        while (lines[n])
                n++;
        test_strv_free(lines);
        return n;
}

/* Record how a transfer ended. */
static void record(struct request *r, CURL *easy, CURLcode result) {
        cr_assert(!adding, "done was called from inside curl_glue_add");
        cr_assert_eq(easy, r->easy);
        r->done_calls++;
        r->result = result;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r->status);
        curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &r->connects);
        cr_assert_lt(n_finished, ELEMENTSOF(finished));
        finished[n_finished++] = r;
}

/* done: record, and the first time note how many requests the receiver had seen. */
static void on_done(struct curl_glue *g, CURL *easy, CURLcode result, void *userdata) {
        cr_assert_eq(g, glue);
        record(userdata, easy, result);
        if (n_finished == 1 && http.pid > 0 && logged_at_first_done < 0)
                logged_at_first_done = (ssize_t) http_logged();
}

/* A new transfer; body NULL for GET. */
static struct request *new_request(const char *url, const char *body) {
        cr_assert_lt(n_requests, MAX_REQUESTS);
        struct request *r = &requests[n_requests++];
        r->easy = curl_easy_init();
        cr_assert_not_null(r->easy);
        curl_easy_setopt(r->easy, CURLOPT_URL, url);
        curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, 10000L);
        if (body)
                curl_easy_setopt(r->easy, CURLOPT_COPYPOSTFIELDS, body);
        return r;
}

/* Hand a transfer to the glue. */
static void start(struct request *r, curl_glue_done_fn done) {
        adding = true;
        int k = curl_glue_add(glue, r->easy, done, r);
        adding = false;
        cr_assert_eq(k, 0);
}

/* Seconds on a clock, to measure. */
static double clock_seconds(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Run the event loop until n transfers have finished; returns the loop's wake-ups. */
static int run_until_finished(size_t n, double timeout) {
        double deadline = clock_seconds(CLOCK_MONOTONIC) + timeout;
        int wakeups = 0;
        while (n_finished < n) {
                double left = deadline - clock_seconds(CLOCK_MONOTONIC);
                cr_assert_gt(left, 0, "only %zu of %zu transfers finished in %.0f s", n_finished, n, timeout);
                int k = sd_event_run(event, (uint64_t) (left * 1e6));
                cr_assert_geq(k, 0, "sd_event_run: %s", strerror(-k));
                wakeups += k > 0;
        }
        return wakeups;
}

/* Run the event loop until the HTTP receiver has logged n requests. */
static void run_until_logged(size_t n) {
        double deadline = clock_seconds(CLOCK_MONOTONIC) + 10;
        while (http_logged() < n) {
                cr_assert_lt(clock_seconds(CLOCK_MONOTONIC), deadline, "the receiver never saw %zu requests", n);
                cr_assert_geq(sd_event_run(event, 10000), 0);
        }
}

/* The URL of a path on a server. */
static char *url_of(const struct test_server *s, const char *scheme, const char *path) {
        return xasprintf("%s://127.0.0.1:%d%s", scheme, s->port, path);
}

Test(curl_glue, twenty_parallel_posts_complete) {
        cr_assert_eq(test_http_start(dir, "{\"/report\": [{\"delay\": 0.5, \"status\": 200}]}", false, &http), 0);
        _cleanup_free_ char *url = url_of(&http, "http", "/report");
        for (size_t i = 0; i < 20; i++) {
                _cleanup_free_ char *body = xasprintf("{\"measure\": %zu}", i);
                start(new_request(url, body), on_done);
        }
        cr_assert_eq(curl_glue_in_flight(glue), 20);
        cr_assert_eq(n_finished, 0);

        run_until_finished(20, 10);
        cr_assert_eq(curl_glue_in_flight(glue), 0);
        /* Each answer comes 0.5 s after its request: all twenty were sent before the first came back. */
        cr_assert_eq(logged_at_first_done, 20, "the receiver had seen %zd requests", logged_at_first_done);
        for (size_t i = 0; i < 20; i++) {
                cr_assert_eq(requests[i].done_calls, 1);
                cr_assert_eq(requests[i].result, CURLE_OK, "%s", curl_easy_strerror(requests[i].result));
                cr_assert_eq(requests[i].status, 200);
        }

        char **lines = test_server_log(&http, "http.jsonl", 20, 1000);
        bool seen[20] = {false};
        for (size_t i = 0; lines[i]; i++) {
                json_t *v = json_loads(lines[i], 0, NULL);
                cr_assert_not_null(v, "%s", lines[i]);
                json_t *body = json_loads(json_string_value(json_object_get(v, "body")), 0, NULL);
                json_int_t m = json_integer_value(json_object_get(body, "measure"));
                cr_assert(m >= 0 && m < 20 && !seen[m], "%s", lines[i]);
                seen[m] = true;
                json_decref(body);
                json_decref(v);
        }
        test_strv_free(lines);
}

Test(curl_glue, hanging_request_delays_nothing_and_waits_without_spinning) {
        cr_assert_eq(test_http_start(dir, "{\"/hang\": [{\"hang\": true}]}", false, &http), 0);
        _cleanup_free_ char *hang_url = url_of(&http, "http", "/hang");
        _cleanup_free_ char *fast_url = url_of(&http, "http", "/fast");
        struct request *hang = new_request(hang_url, "{\"measure\": 1}");
        curl_easy_setopt(hang->easy, CURLOPT_TIMEOUT_MS, 2000L);
        start(hang, on_done);
        run_until_logged(1);

        for (size_t i = 0; i < 10; i++)
                start(new_request(fast_url, "{\"measure\": 2}"), on_done);
        run_until_finished(10, 10);
        for (size_t i = 0; i < 10; i++) {
                cr_assert_neq(finished[i], hang, "the hanging request finished before the fast ones");
                cr_assert_eq(finished[i]->result, CURLE_OK);
                cr_assert_eq(finished[i]->status, 200);
        }
        cr_assert_eq(curl_glue_in_flight(glue), 1);

        double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID), wall = clock_seconds(CLOCK_MONOTONIC);
        int wakeups = run_until_finished(11, 10);
        cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu;
        wall = clock_seconds(CLOCK_MONOTONIC) - wall;
        cr_log_info("waited %.3f s for the timeout with %.3f s of CPU and %d wake-ups", wall, cpu, wakeups);
        cr_assert_eq(finished[10], hang);
        cr_assert_eq(hang->result, CURLE_OPERATION_TIMEDOUT, "%s", curl_easy_strerror(hang->result));
        cr_assert_lt(cpu, 0.2, "%.3f s of CPU over %.3f s of waiting", cpu, wall);
        cr_assert_lt(wakeups, 20, "%d wake-ups over %.3f s of waiting", wakeups, wall);

        /* Nothing running: the loop sleeps. */
        cr_assert_eq(sd_event_run(event, 300000), 0, "the event loop woke up with nothing to do");
}

Test(curl_glue, free_aborts_every_transfer_in_flight_once) {
        cr_assert_eq(test_http_start(dir, "{\"/hang\": [{\"hang\": true}]}", false, &http), 0);
        _cleanup_free_ char *url = url_of(&http, "http", "/hang");
        for (size_t i = 0; i < 5; i++)
                start(new_request(url, "{}"), on_done);
        run_until_logged(5);
        start(new_request(url, "{}"), on_done); /* added but never run */
        cr_assert_eq(curl_glue_in_flight(glue), 6);
        cr_assert_eq(n_finished, 0);

        curl_glue_free(glue);
        glue = NULL;
        cr_assert_eq(n_finished, 6);
        for (size_t i = 0; i < 6; i++) {
                cr_assert_eq(requests[i].done_calls, 1);
                cr_assert_eq(requests[i].result, CURLE_ABORTED_BY_CALLBACK);
        }
}

Test(curl_glue, done_comes_from_the_event_loop_even_for_instant_failures) {
        /* A bound socket that does not listen: connecting to it is refused at once. */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(a);
        cr_assert_eq(bind(fd, (struct sockaddr *) &a, sizeof(a)), 0);
        cr_assert_eq(getsockname(fd, (struct sockaddr *) &a, &len), 0);
        _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/", ntohs(a.sin_port));

        struct request *r = new_request(url, "{}");
        start(r, on_done);
        cr_assert_eq(n_finished, 0);
        cr_assert_eq(curl_glue_in_flight(glue), 1);
        run_until_finished(1, 10);
        cr_assert_eq(r->result, CURLE_COULDNT_CONNECT, "%s", curl_easy_strerror(r->result));
        cr_assert_eq(curl_glue_in_flight(glue), 0);
        close(fd);
}

/* done that tries again, with the same handle, while the receiver answers 500. */
static void on_done_retry(struct curl_glue *g, CURL *easy, CURLcode result, void *userdata) {
        struct request *r = userdata;
        char *tag = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tag);
        cr_assert_str_eq(tag, "the caller's own", "CURLOPT_PRIVATE was not given back");
        record(r, easy, result);
        if (result == CURLE_OK && r->status == 500 && r->done_calls < 5)
                cr_assert_eq(curl_glue_add(g, easy, on_done_retry, r), 0);
}

Test(curl_glue, done_can_retry_with_the_same_handle_on_the_same_connection) {
        cr_assert_eq(test_http_start(dir, "{\"/flaky\": [500, 500, 200]}", false, &http), 0);
        _cleanup_free_ char *url = url_of(&http, "http", "/flaky");
        struct request *r = new_request(url, "{\"measure\": 7}");
        curl_easy_setopt(r->easy, CURLOPT_PRIVATE, "the caller's own");
        start(r, on_done_retry);
        run_until_finished(3, 10);
        cr_assert_eq(r->done_calls, 3);
        cr_assert_eq(r->status, 200);
        cr_assert_eq(r->connects, 0, "the retry opened a new connection");
        cr_assert_eq(curl_glue_in_flight(glue), 0);
}

Test(curl_glue, connections_are_shared_between_handles) {
        struct smtp_options o = {0};
        cr_assert_eq(test_http_start(dir, NULL, false, &http), 0);
        cr_assert_eq(test_smtp_start(dir, &o, &smtp), 0);
        _cleanup_free_ char *http_url = url_of(&http, "http", "/hook");
        _cleanup_free_ char *smtp_url = url_of(&smtp, "smtp", "");
        struct curl_slist *rcpts = curl_slist_append(NULL, "<minprom@example.kz>");

        for (size_t i = 0; i < 2; i++) {
                struct request *h = new_request(http_url, "{}");
                start(h, on_done);
                struct request *m = new_request(smtp_url, NULL);
                m->mail = "Subject: Deadline\r\n\r\nMeasure 12 is due.\r\n";
                curl_easy_setopt(m->easy, CURLOPT_MAIL_FROM, "<merzim@example.kz>");
                curl_easy_setopt(m->easy, CURLOPT_MAIL_RCPT, rcpts);
                curl_easy_setopt(m->easy, CURLOPT_UPLOAD, 1L);
                curl_easy_setopt(m->easy, CURLOPT_READFUNCTION, read_mail);
                curl_easy_setopt(m->easy, CURLOPT_READDATA, m);
                start(m, on_done);
                run_until_finished(2 * (i + 1), 10);
                cr_assert_eq(h->result, CURLE_OK);
                cr_assert_eq(m->result, CURLE_OK, "%s", curl_easy_strerror(m->result));
                cr_assert_eq(h->connects, i == 0 ? 1 : 0, "HTTP transfer %zu", i);
                cr_assert_eq(m->connects, i == 0 ? 1 : 0, "SMTP transfer %zu", i);
        }

        char **lines = test_server_log(&smtp, "smtp.jsonl", 2, 5000);
        for (size_t i = 0; i < 2; i++) {
                cr_assert_not_null(lines[i]);
                json_t *v = json_loads(lines[i], 0, NULL);
                cr_assert_eq(json_integer_value(json_object_get(v, "connection")), 1, "%s", lines[i]);
                json_decref(v);
        }
        test_strv_free(lines);
        /* The handles must not outlive the recipient list they point at. */
        for (size_t i = 0; i < n_requests; i++)
                curl_easy_setopt(requests[i].easy, CURLOPT_MAIL_RCPT, NULL);
        curl_slist_free_all(rcpts);
}

Test(curl_glue, max_host_connections_queues_transfers_on_one_connection) {
        cr_assert_eq(test_http_start(dir, NULL, false, &http), 0);
        _cleanup_free_ char *url = url_of(&http, "http", "/queue");
        curl_glue_set_max_host_connections(glue, 1);
        for (size_t i = 0; i < 5; i++)
                start(new_request(url, "{}"), on_done);
        run_until_finished(5, 10);
        long connects = 0;
        for (size_t i = 0; i < 5; i++) {
                cr_assert_eq(requests[i].result, CURLE_OK);
                connects += requests[i].connects;
        }
        cr_assert_eq(connects, 1);
}

Test(curl_glue, connections_are_kept_for_the_next_round_of_transfers) {
        /* merzimd keeps up to twice max_parallel connections: the connections a round of deliveries
         * opened are all there for the next, not just four (libcurl's own limit follows the transfers
         * still running, which a lull between rounds brings down to none). */
        cr_assert_eq(test_http_start(dir, "{\"/slow\": [{\"delay\": 0.3, \"status\": 200}]}", false, &http), 0);
        _cleanup_free_ char *url = url_of(&http, "http", "/slow");
        curl_glue_keep_connections(glue, 16);
        for (size_t i = 0; i < 8; i++)
                start(new_request(url, "{}"), on_done);
        run_until_finished(8, 10);
        long first = 0, second = 0;
        for (size_t i = 0; i < 8; i++)
                first += requests[i].connects;
        cr_assert_eq(first, 8, "eight transfers at once need eight connections");
        for (size_t i = 0; i < 8; i++)
                start(new_request(url, "{}"), on_done);
        run_until_finished(16, 10);
        for (size_t i = 8; i < 16; i++) {
                cr_assert_eq(requests[i].result, CURLE_OK);
                second += requests[i].connects;
        }
        cr_assert_eq(second, 0, "the second round opened %ld new connections", second);
}
