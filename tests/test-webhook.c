/* Webhook delivery against a real HTTP receiver on loopback: the signed request as it arrives, what each
 * answer means (2xx, 3xx, 4xx, 408, 429 with Retry-After, 5xx, a hang), and HTTPS with the test CA. */
#include "config.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <time.h>

#include "conf.h"
#include "delivery.h"
#include "helpers.h"
#include "servers.h"
#include "util.h"

#define KEY "5e1d0c2b9a874f36"
#define SECRET "tölem-hook-secret"
#define PAYLOAD "{\"plan\":\"Машина жасау саласын дамытудың 2024–2028 жылдарға арналған жол картасы\"," \
                "\"measure\":3,\"due\":\"2024-03-15\",\"stage\":\"reminder\",\"days_left\":7}"
#define NOW 1710482400

static char *dir;
static struct test_server http;
static struct config *cfg;

static void setup(void) {
        dir = test_mkdtemp();
        cfg = config_new_defaults();
        cfg->timeout_seconds = 10;
}

static void teardown(void) {
        test_server_stop(&http);
        config_free(cfg);
        test_rmdir(dir);
        free(dir);
}

TestSuite(webhook, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(60));

/* Start the receiver with a script of answers. */
static void start_http(const char *script, bool tls) {
        if (tls)
                cr_assert_eq(test_tls_material(dir), 0);
        cr_assert_eq(test_http_start(dir, script, tls, &http), 0);
}

/* A webhook delivery of the reminder to path on the receiver. */
static struct delivery hook(const char *path, bool tls) {
        return (struct delivery) {
                .id = 7,
                .channel = CHANNEL_WEBHOOK,
                .address = xasprintf("%s://127.0.0.1:%d%s", tls ? "https" : "http", http.port, path),
                .key = xstrdup(KEY),
                .payload = xstrdup(PAYLOAD),
                .secret = xstrdup(SECRET),
        };
}

/* Post one delivery with curl_easy_perform on a handle of its own, then free the delivery. */
static void post(struct delivery d, struct delivery_result *res) {
        CURL *easy = curl_easy_init();
        struct webhook_job *job = NULL;
        cr_assert_eq(webhook_setup(easy, cfg, &d, NOW, &job), 0);
        webhook_result(job, easy, curl_easy_perform(easy), res);
        webhook_job_free(job);
        curl_easy_cleanup(easy);
        delivery_free(&d);
}

/* The receiver's log, at least n lines of it, as JSON objects. */
static json_t *requests(size_t n) {
        char **lines = test_server_log(&http, "http.jsonl", n, 10000);
        json_t *a = json_array();
        for (char **p = lines; *p; p++) {
                json_error_t error;
                json_t *j = json_loads(*p, 0, &error);
                cr_assert_not_null(j, "bad log line %s: %s", *p, error.text);
                json_array_append_new(a, j);
        }
        test_strv_free(lines);
        cr_assert_geq(json_array_size(a), n, "the receiver logged %zu requests, expected %zu",
                      json_array_size(a), n);
        return a;
}

/* A header of a logged request (the receiver keeps the names as sent). */
static const char *request_header(json_t *request, const char *name) {
        json_t *v = json_object_get(json_object_get(request, "headers"), name);
        cr_assert(json_is_string(v), "no header %s in %s", name, json_dumps(request, 0));
        return json_string_value(v);
}

/* HMAC-SHA256 of message under key, in hex: computed here with OpenSSL's one-shot HMAC(), apart from
 * webhook.c's EVP_MAC code. */
static char *hmac_hex(const char *key, const char *message) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        cr_assert_not_null(HMAC(EVP_sha256(), key, (int) strlen(key), (const unsigned char *) message,
                                strlen(message), mac, &len));
        struct buf b = {0};
        for (unsigned i = 0; i < len; i++)
                buf_printf(&b, "%02x", mac[i]);
        return buf_steal(&b);
}

Test(webhook, signature_known_answer) {
        /* printf '%s' '1700000000.{"plan":"машина жасау","measure":3}' |
         *         openssl dgst -sha256 -hmac 'tölem-secret' */
        _cleanup_free_ char *s = webhook_signature("tölem-secret", "1700000000",
                                                   "{\"plan\":\"машина жасау\",\"measure\":3}");
        cr_assert_str_eq(s, "sha256=d269e22535c655c2be42f1837bc6d702ee0d4b1697e89df939505f5281e01fd9");
        /* printf '%s' '0.' | openssl dgst -sha256 -hmac 'k' */
        _cleanup_free_ char *empty = webhook_signature("k", "0", "");
        cr_assert_str_eq(empty, "sha256=6b4a4b8b3c40f1e8f53a3d36682e5f99f7ad2ac1df1c93dfe336f329167641e7");
}

Test(webhook, signed_post_arrives) {
        struct delivery_result res = {0};
        start_http("{\"/merzim\": [{\"status\": 202, \"body\": \"accepted\\n#42\"}]}", false);
        post(hook("/merzim", false), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        cr_assert_eq(res.code, 202);
        cr_assert_str_eq(res.reply, "HTTP 202: accepted #42");
        cr_assert_eq(res.retry_after, 0);
        delivery_result_clear(&res);

        json_t *log = requests(1);
        cr_assert_eq(json_array_size(log), 1);
        json_t *r = json_array_get(log, 0);
        cr_assert_str_eq(json_string_value(json_object_get(r, "method")), "POST");
        cr_assert_str_eq(json_string_value(json_object_get(r, "path")), "/merzim");
        const char *body = json_string_value(json_object_get(r, "body"));
        cr_assert_str_eq(body, PAYLOAD);
        cr_assert_str_eq(request_header(r, "Content-Type"), "application/json; charset=utf-8");
        cr_assert_str_eq(request_header(r, "User-Agent"), "merzim/" PACKAGE_VERSION);
        cr_assert_str_eq(request_header(r, "Idempotency-Key"), KEY);
        const char *timestamp = request_header(r, "X-Merzim-Timestamp");
        cr_assert_str_eq(timestamp, "1710482400");

        /* The receiver's side: recompute the signature from what arrived. */
        _cleanup_free_ char *signed_text = xasprintf("%s.%s", timestamp, body);
        _cleanup_free_ char *mac = hmac_hex(SECRET, signed_text);
        _cleanup_free_ char *expected = xasprintf("sha256=%s", mac);
        cr_assert_str_eq(request_header(r, "X-Merzim-Signature"), expected);

        /* The secret itself went nowhere. */
        _cleanup_free_ char *all = json_dumps(r, JSON_ENSURE_ASCII);
        _cleanup_free_ char *all_utf8 = json_dumps(r, 0);
        cr_assert_null(strstr(all_utf8, SECRET));
        cr_assert_null(strstr(all, "hook-secret"));
        cr_assert_null(json_object_get(json_object_get(r, "headers"), "Expect"));
        json_decref(log);
}

Test(webhook, answers_and_verdicts) {
        static const struct {
                const char *path;
                enum delivery_verdict verdict;
                long code;
                int64_t retry_after;
        } cases[] = {
                {"/ok", DELIVERY_SENT, 200, 0},
                {"/no-content", DELIVERY_SENT, 204, 0},
                {"/error", DELIVERY_RETRY, 500, 0},
                {"/unavailable", DELIVERY_RETRY, 503, 0},
                {"/busy", DELIVERY_RETRY, 429, 2},
                {"/request-timeout", DELIVERY_RETRY, 408, 0},
                {"/missing", DELIVERY_FAILED, 404, 0},
                {"/bad", DELIVERY_FAILED, 400, 0},
                {"/gone", DELIVERY_FAILED, 410, 0},
                {"/moved", DELIVERY_FAILED, 301, 0},
        };
        start_http("{\"/error\": [500], \"/unavailable\": [503], \"/busy\": [{\"status\": 429, \"retry_after\": 2}],"
                   " \"/request-timeout\": [408], \"/missing\": [404], \"/bad\": [400], \"/gone\": [410],"
                   " \"/no-content\": [204], \"/moved\": [301]}",
                   false);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct delivery_result res = {0};
                post(hook(cases[i].path, false), &res);
                cr_assert_eq(res.verdict, cases[i].verdict, "%s: verdict %d: %s", cases[i].path, res.verdict,
                             res.reply);
                cr_assert_eq(res.code, cases[i].code, "%s: code %ld", cases[i].path, res.code);
                cr_assert_eq(res.retry_after, cases[i].retry_after, "%s: retry_after %lld", cases[i].path,
                             (long long) res.retry_after);
                _cleanup_free_ char *prefix = xasprintf("HTTP %ld", cases[i].code);
                cr_assert_eq(strncmp(res.reply, prefix, strlen(prefix)), 0, "%s: reply %s", cases[i].path,
                             res.reply);
                delivery_result_clear(&res);
        }
        /* One request each: the redirect was not followed. */
        json_t *log = requests(ELEMENTSOF(cases));
        cr_assert_eq(json_array_size(log), ELEMENTSOF(cases));
        json_decref(log);
}

Test(webhook, retry_then_success) {
        start_http("{\"/flaky\": [500, {\"status\": 429, \"retry_after\": 2}, 200]}", false);
        static const enum delivery_verdict verdicts[] = {DELIVERY_RETRY, DELIVERY_RETRY, DELIVERY_SENT,
                                                         DELIVERY_SENT};
        for (size_t i = 0; i < ELEMENTSOF(verdicts); i++) {
                struct delivery_result res = {0};
                post(hook("/flaky", false), &res);
                cr_assert_eq(res.verdict, verdicts[i], "attempt %zu: %s", i + 1, res.reply);
                delivery_result_clear(&res);
        }
        /* Every attempt carries the same idempotency key, so the receiver can drop repeats. */
        json_t *log = requests(ELEMENTSOF(verdicts));
        for (size_t i = 0; i < json_array_size(log); i++)
                cr_assert_str_eq(request_header(json_array_get(log, i), "Idempotency-Key"), KEY);
        json_decref(log);
}

Test(webhook, retry_after_as_a_date) {
        /* Retry-After may be an HTTP-date rather than seconds. */
        char date[64];
        time_t when = time(NULL) + 120;
        struct tm tm;
        gmtime_r(&when, &tm);
        strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        _cleanup_free_ char *script = xasprintf("{\"/later\": [{\"status\": 503, \"retry_after\": \"%s\"}]}", date);
        start_http(script, false);
        struct delivery_result res = {0};
        post(hook("/later", false), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert(res.retry_after >= 100 && res.retry_after <= 121, "retry_after %lld",
                  (long long) res.retry_after);
        delivery_result_clear(&res);
}

Test(webhook, hang_times_out_and_is_retried) {
        start_http("{\"/hang\": [{\"hang\": true}]}", false);
        cfg->timeout_seconds = 1;
        struct delivery_result res = {0};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        post(hook("/hang", false), &res);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 0);
        cr_assert_not_null(strcasestr(res.reply, "timeout"), "%s", res.reply);
        cr_assert_lt(t1.tv_sec - t0.tv_sec, 4);
        delivery_result_clear(&res);
}

Test(webhook, long_response_is_cut_for_the_audit) {
        struct buf body = {0};
        for (int i = 0; i < 400; i++)
                buf_puts(&body, "қате ");
        _cleanup_free_ char *script = xasprintf("{\"/long\": [{\"status\": 422, \"body\": \"%s\"}]}", body.data);
        buf_free(&body);
        start_http(script, false);
        struct delivery_result res = {0};
        post(hook("/long", false), &res);
        cr_assert_eq(res.verdict, DELIVERY_FAILED, "%s", res.reply);
        cr_assert_leq(strlen(res.reply), 512 + 32, "reply of %zu bytes", strlen(res.reply));
        cr_assert_eq(strncmp(res.reply, "HTTP 422: қате қате", strlen("HTTP 422: қате қате")), 0, "%s", res.reply);
        delivery_result_clear(&res);
}

Test(webhook, https_with_the_test_ca) {
        start_http(NULL, true);
        cfg->webhook_ca_file = xasprintf("%s/ca.pem", dir);
        struct delivery_result res = {0};
        post(hook("/secure", true), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        cr_assert_eq(res.code, 200);
        delivery_result_clear(&res);
        json_t *log = requests(1);
        cr_assert_str_eq(request_header(json_array_get(log, 0), "Idempotency-Key"), KEY);
        json_decref(log);
}

Test(webhook, https_with_an_untrusted_certificate_is_retried) {
        start_http(NULL, true);
        struct delivery_result res = {0};
        post(hook("/secure", true), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 0);
        cr_assert_not_null(strstr(res.reply, "certificate not trusted"), "%s", res.reply);
        delivery_result_clear(&res);
        /* Nothing was posted: the request never left the TLS handshake. */
        json_t *log = requests(0);
        cr_assert_eq(json_array_size(log), 0);
        json_decref(log);

        /* With verification off (for a test endpoint only), the same server is accepted. */
        cfg->webhook_verify = false;
        post(hook("/secure", true), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        delivery_result_clear(&res);
}

Test(webhook, no_server_is_retried) {
        start_http(NULL, false);
        struct delivery d = hook("/merzim", false);
        test_server_stop(&http); /* nothing listens on the port now */
        struct delivery_result res = {0};
        post(d, &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 0);
        delivery_result_clear(&res);
}

Test(webhook, bad_endpoints_and_keys_are_refused) {
        static const char *const bad[] = {
                "ftp://hooks.example.kz/merzim", "file:///etc/passwd", "https://hooks.example.kz/a b",
                "https://hooks.example.kz/\r\nX-Injected: 1", "hooks.example.kz/merzim", "", "https://",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct delivery d = {.channel = CHANNEL_WEBHOOK, .address = xstrdup(bad[i]), .key = xstrdup(KEY),
                                     .payload = xstrdup("{}"), .secret = xstrdup(SECRET)};
                CURL *easy = curl_easy_init();
                struct webhook_job *job = NULL;
                cr_assert_eq(webhook_setup(easy, cfg, &d, NOW, &job), -EINVAL, "accepted \"%s\"", bad[i]);
                cr_assert_null(job);
                curl_easy_cleanup(easy);
                delivery_free(&d);
        }
        struct delivery d = {.channel = CHANNEL_WEBHOOK, .address = xstrdup("https://hooks.example.kz/merzim"),
                             .key = xstrdup("k\r\nX-Injected: 1"), .payload = xstrdup("{}"),
                             .secret = xstrdup(SECRET)};
        CURL *easy = curl_easy_init();
        struct webhook_job *job = NULL;
        cr_assert_eq(webhook_setup(easy, cfg, &d, NOW, &job), -EINVAL);
        curl_easy_cleanup(easy);
        delivery_free(&d);
}
