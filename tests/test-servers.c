/* The loopback test servers work from C: mail sent and web hooks posted with libcurl arrive and are logged. */
#include "config.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>

#include "servers.h"
#include "util.h"

static char *dir;
static struct test_server server;

/* A fresh directory for one test's server. */
static char *make_test_dir(void) {
        const char *tmp = getenv("TMPDIR");
        char *d = xasprintf("%s/merzim-servers-XXXXXX", isempty(tmp) ? "/tmp" : tmp);
        cr_assert_not_null(mkdtemp(d), "mkdtemp %s: %m", d);
        return d;
}

/* Remove one file or directory of the test's tree. */
static int remove_one(const char *path, const struct stat *st _unused_, int flag _unused_, struct FTW *ftw _unused_) {
        return remove(path);
}

/* Each test: libcurl, a fresh directory with TLS material. */
static void setup(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        dir = make_test_dir();
        cr_assert_eq(test_tls_material(dir), 0);
}

/* Stop what the test started and remove its files. */
static void teardown(void) {
        test_server_stop(&server);
        if (dir && !getenv("MERZIM_KEEP_TEST_FILES"))
                nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
        dir = NULL;
        curl_global_cleanup();
}

TestSuite(servers, .init = setup, .fini = teardown);

/* A message being uploaded by libcurl. */
struct outgoing_mail {
        const char *text;
        size_t sent;
};

/* Give libcurl the next piece of the message. */
static size_t read_mail(char *buffer, size_t size, size_t nitems, void *userdata) {
        struct outgoing_mail *m = userdata;
        size_t left = strlen(m->text) - m->sent;
        size_t n = size * nitems < left ? size * nitems : left;
        memcpy(buffer, m->text + m->sent, n);
        m->sent += n;
        return n;
}

/* Keep a response body. */
static size_t keep_body(char *data, size_t size, size_t nmemb, void *userdata) {
        buf_append(userdata, data, size * nmemb);
        return size * nmemb;
}

static const char message[] =
        "From: merzim <merzim@example.kz>\r\n"
        "To: ministry <minprom@example.kz>\r\n"
        "Subject: Deadline in 3 days: measure 12\r\n"
        "\r\n"
        "The report on measure 12 is due on 2024-07-01.\r\n";

/* Send the test message to a NULL-terminated list of recipients, giving up after timeout_ms. */
static CURLcode send_mail_within(CURL *curl, const char *url, const char *const *rcpts, long timeout_ms) {
        struct outgoing_mail m = {message, 0};
        struct curl_slist *list = NULL;
        for (size_t i = 0; rcpts[i]; i++)
                list = curl_slist_append(list, rcpts[i]);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, "<merzim@example.kz>");
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, list);
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_mail);
        curl_easy_setopt(curl, CURLOPT_READDATA, &m);
        curl_easy_setopt(curl, CURLOPT_INFILESIZE, (long) strlen(message));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        CURLcode c = curl_easy_perform(curl);
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, NULL);
        curl_slist_free_all(list);
        return c;
}

/* Send the test message, with time enough. */
static CURLcode send_mail(CURL *curl, const char *url, const char *const *rcpts) {
        return send_mail_within(curl, url, rcpts, 10000);
}

/* The URL of the running server. */
static char *server_url(const char *scheme, const char *path) {
        return xasprintf("%s://127.0.0.1:%d%s", scheme, server.port, path);
}

/* Line i of a server log, parsed. */
static json_t *log_entry(char **lines, size_t i) {
        for (size_t k = 0; k <= i; k++)
                cr_assert_not_null(lines[k], "the log has only %zu lines", k);
        json_error_t e;
        json_t *v = json_loads(lines[i], 0, &e);
        cr_assert_not_null(v, "log line is not JSON (%s): %s", e.text, lines[i]);
        return v;
}

/* How many lines a server log has. */
static size_t count_lines(char **lines) {
        size_t n = 0;
        while (lines[n])
                n++;
        return n;
}

Test(servers, smtp_plain_message_is_stored_and_logged) {
        cr_assert_eq(test_smtp_start(dir, NULL, &server), 0);
        CURL *curl = curl_easy_init();
        _cleanup_free_ char *url = server_url("smtp", "");
        cr_assert_eq(send_mail(curl, url, (const char *[]) {"<minprom@example.kz>", "<akimat@example.kz>", NULL}),
                     CURLE_OK);
        curl_easy_cleanup(curl);

        char **lines = test_server_log(&server, "smtp.jsonl", 1, 5000);
        json_t *m = log_entry(lines, 0);
        cr_assert_eq(json_integer_value(json_object_get(m, "n")), 1);
        cr_assert_eq(json_integer_value(json_object_get(m, "connection")), 1);
        cr_assert_str_eq(json_string_value(json_object_get(m, "mail_from")), "merzim@example.kz");
        json_t *rcpts = json_object_get(m, "rcpt_tos");
        cr_assert_eq(json_array_size(rcpts), 2);
        cr_assert_str_eq(json_string_value(json_array_get(rcpts, 1)), "akimat@example.kz");
        cr_assert(json_is_false(json_object_get(m, "tls")));
        cr_assert(json_is_null(json_object_get(m, "auth")));
        cr_assert_eq(json_integer_value(json_object_get(m, "size")), (json_int_t) strlen(message));

        _cleanup_free_ char *eml_path = xasprintf("%s/%s", dir, json_string_value(json_object_get(m, "file")));
        _cleanup_free_ char *eml = NULL;
        cr_assert_eq(read_file(eml_path, &eml, NULL), 0, "no stored message %s", eml_path);
        cr_assert(strstr(eml, "Subject: Deadline in 3 days: measure 12"), "%s", eml);
        json_decref(m);
        test_strv_free(lines);
}

Test(servers, smtp_connection_is_reused_by_one_handle) {
        cr_assert_eq(test_smtp_start(dir, NULL, &server), 0);
        CURL *curl = curl_easy_init();
        _cleanup_free_ char *url = server_url("smtp", "");
        const char *rcpts[] = {"<minprom@example.kz>", NULL};
        cr_assert_eq(send_mail(curl, url, rcpts), CURLE_OK);
        cr_assert_eq(send_mail(curl, url, rcpts), CURLE_OK);
        curl_easy_cleanup(curl);
        curl = curl_easy_init();
        cr_assert_eq(send_mail(curl, url, rcpts), CURLE_OK);
        curl_easy_cleanup(curl);

        char **lines = test_server_log(&server, "smtp.jsonl", 3, 5000);
        json_t *a = log_entry(lines, 0), *b = log_entry(lines, 1), *c = log_entry(lines, 2);
        cr_assert_eq(json_integer_value(json_object_get(a, "connection")), 1);
        cr_assert_eq(json_integer_value(json_object_get(b, "connection")), 1, "%s", lines[1]);
        cr_assert_eq(json_integer_value(json_object_get(c, "connection")), 2, "%s", lines[2]);
        cr_assert_str_eq(json_string_value(json_object_get(c, "file")), "mail/0003.eml");
        json_decref(a);
        json_decref(b);
        json_decref(c);
        test_strv_free(lines);
}

Test(servers, smtp_required_starttls_with_the_test_ca) {
        struct smtp_options o = {.starttls = true, .require_starttls = true};
        cr_assert_eq(test_smtp_start(dir, &o, &server), 0);
        _cleanup_free_ char *url = server_url("smtp", "");
        _cleanup_free_ char *ca = xasprintf("%s/ca.pem", dir);
        const char *rcpts[] = {"<minprom@example.kz>", NULL};

        CURL *curl = curl_easy_init();
        cr_assert_neq(send_mail(curl, url, rcpts), CURLE_OK, "mail without STARTTLS was accepted");
        curl_easy_cleanup(curl);

        curl = curl_easy_init();
        curl_easy_setopt(curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
        CURLcode c = send_mail(curl, url, rcpts);
        cr_assert_eq(c, CURLE_OK, "%s", curl_easy_strerror(c));
        curl_easy_cleanup(curl);

        char **lines = test_server_log(&server, "smtp.jsonl", 1, 5000);
        cr_assert_eq(count_lines(lines), 1);
        json_t *m = log_entry(lines, 0);
        cr_assert(json_is_true(json_object_get(m, "tls")), "%s", lines[0]);
        cr_assert_eq(json_integer_value(json_object_get(m, "connection")), 2);
        json_decref(m);
        test_strv_free(lines);
}

Test(servers, smtps_implicit_tls) {
        struct smtp_options o = {.implicit_tls = true};
        cr_assert_eq(test_smtp_start(dir, &o, &server), 0);
        _cleanup_free_ char *url = server_url("smtps", "");
        _cleanup_free_ char *ca = xasprintf("%s/ca.pem", dir);
        CURL *curl = curl_easy_init();
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
        CURLcode c = send_mail(curl, url, (const char *[]) {"<minprom@example.kz>", NULL});
        cr_assert_eq(c, CURLE_OK, "%s", curl_easy_strerror(c));
        curl_easy_cleanup(curl);

        char **lines = test_server_log(&server, "smtp.jsonl", 1, 5000);
        json_t *m = log_entry(lines, 0);
        cr_assert(json_is_true(json_object_get(m, "tls")), "%s", lines[0]);
        json_decref(m);
        test_strv_free(lines);
}

Test(servers, smtp_auth_over_starttls) {
        struct smtp_options o = {.starttls = true, .auth = "merzim:Qwerty-2024"};
        cr_assert_eq(test_smtp_start(dir, &o, &server), 0);
        _cleanup_free_ char *url = server_url("smtp", "");
        _cleanup_free_ char *ca = xasprintf("%s/ca.pem", dir);
        const char *rcpts[] = {"<minprom@example.kz>", NULL};
        const char *mechanisms[] = {"AUTH=PLAIN", "AUTH=LOGIN"};

        for (size_t i = 0; i < ELEMENTSOF(mechanisms); i++) {
                CURL *curl = curl_easy_init();
                curl_easy_setopt(curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
                curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
                curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, mechanisms[i]);
                curl_easy_setopt(curl, CURLOPT_USERNAME, "merzim");
                curl_easy_setopt(curl, CURLOPT_PASSWORD, "wrong");
                cr_assert_eq(send_mail(curl, url, rcpts), CURLE_LOGIN_DENIED);
                curl_easy_cleanup(curl);

                curl = curl_easy_init();
                curl_easy_setopt(curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
                curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
                curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, mechanisms[i]);
                curl_easy_setopt(curl, CURLOPT_USERNAME, "merzim");
                curl_easy_setopt(curl, CURLOPT_PASSWORD, "Qwerty-2024");
                CURLcode c = send_mail(curl, url, rcpts);
                cr_assert_eq(c, CURLE_OK, "%s: %s", mechanisms[i], curl_easy_strerror(c));
                curl_easy_cleanup(curl);
        }

        char **lines = test_server_log(&server, "smtp.jsonl", 2, 5000);
        cr_assert_eq(count_lines(lines), 2);
        for (size_t i = 0; i < 2; i++) {
                json_t *m = log_entry(lines, i);
                cr_assert_str_eq(json_string_value(json_object_get(m, "auth")), "merzim", "%s", lines[i]);
                cr_assert(json_is_true(json_object_get(m, "tls")), "%s", lines[i]);
                json_decref(m);
        }
        test_strv_free(lines);
}

Test(servers, smtp_one_refused_recipient_of_two) {
        struct smtp_options o = {.reject_rcpt = "closed@example.kz"};
        cr_assert_eq(test_smtp_start(dir, &o, &server), 0);
        _cleanup_free_ char *url = server_url("smtp", "");
        const char *rcpts[] = {"<minprom@example.kz>", "<closed@example.kz>", NULL};

        CURL *curl = curl_easy_init();
        cr_assert_neq(send_mail(curl, url, rcpts), CURLE_OK, "a refused recipient went unnoticed");
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
        CURLcode c = send_mail(curl, url, rcpts);
        cr_assert_eq(c, CURLE_OK, "%s", curl_easy_strerror(c));
        curl_easy_cleanup(curl);

        char **lines = test_server_log(&server, "smtp.jsonl", 3, 5000);
        cr_assert_eq(count_lines(lines), 3);
        json_t *first = log_entry(lines, 0), *second = log_entry(lines, 1), *m = log_entry(lines, 2);
        cr_assert_str_eq(json_string_value(json_object_get(first, "refused")), "closed@example.kz");
        cr_assert_str_eq(json_string_value(json_object_get(second, "refused")), "closed@example.kz");
        json_t *accepted = json_object_get(m, "rcpt_tos");
        cr_assert_eq(json_array_size(accepted), 1, "%s", lines[2]);
        cr_assert_str_eq(json_string_value(json_array_get(accepted, 0)), "minprom@example.kz");
        cr_assert_eq(json_integer_value(json_object_get(m, "n")), 1);
        json_decref(first);
        json_decref(second);
        json_decref(m);
        test_strv_free(lines);
}

Test(servers, smtp_delay_before_answering_data) {
        struct smtp_options o = {.delay = 1};
        cr_assert_eq(test_smtp_start(dir, &o, &server), 0);
        _cleanup_free_ char *url = server_url("smtp", "");
        const char *rcpts[] = {"<minprom@example.kz>", NULL};

        CURL *curl = curl_easy_init();
        cr_assert_eq(send_mail(curl, url, rcpts), CURLE_OK);
        double seconds = 0;
        curl_easy_getinfo(curl, CURLINFO_TOTAL_TIME, &seconds);
        cr_assert_geq(seconds, 0.95);
        curl_easy_cleanup(curl);

        curl = curl_easy_init();
        cr_assert_eq(send_mail_within(curl, url, rcpts, 300), CURLE_OPERATION_TIMEDOUT);
        curl_easy_cleanup(curl);
}

Test(servers, http_script_is_followed_and_logged) {
        cr_assert_eq(test_http_start(dir, "{\"/hook\": [500, 200]}", false, &server), 0);
        _cleanup_free_ char *url = server_url("http", "/hook");
        struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
        const char *body = "{\"measure\": 12, \"text\": \"Мерзім өтті\"}";
        long statuses[3];

        CURL *curl = curl_easy_init();
        for (size_t i = 0; i < ELEMENTSOF(statuses); i++) {
                struct buf response = {0};
                curl_easy_setopt(curl, CURLOPT_URL, url);
                curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
                curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
                curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
                curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
                cr_assert_eq(curl_easy_perform(curl), CURLE_OK);
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &statuses[i]);
                buf_free(&response);
        }
        long connects = -1;
        curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
        curl_easy_cleanup(curl);
        curl_slist_free_all(headers);
        cr_assert_eq(statuses[0], 500);
        cr_assert_eq(statuses[1], 200);
        cr_assert_eq(statuses[2], 200, "the last response is repeated");
        cr_assert_eq(connects, 0, "the connection was not kept alive");

        char **lines = test_server_log(&server, "http.jsonl", 3, 5000);
        cr_assert_eq(count_lines(lines), 3);
        for (size_t i = 0; i < 3; i++) {
                json_t *r = log_entry(lines, i);
                cr_assert_eq(json_integer_value(json_object_get(r, "n")), (json_int_t) i + 1);
                cr_assert_eq(json_integer_value(json_object_get(r, "status")), statuses[i]);
                cr_assert_str_eq(json_string_value(json_object_get(r, "method")), "POST");
                cr_assert_str_eq(json_string_value(json_object_get(r, "path")), "/hook");
                cr_assert_str_eq(json_string_value(json_object_get(r, "body")), body);
                json_t *h = json_object_get(r, "headers");
                cr_assert_str_eq(json_string_value(json_object_get(h, "Content-Type")), "application/json");
                cr_assert_gt(json_real_value(json_object_get(r, "t")), 1.7e9);
                json_decref(r);
        }
        test_strv_free(lines);
}

Test(servers, https_retry_after_body_and_unscripted_paths) {
        cr_assert_eq(test_http_start(dir, "{\"/busy\": [{\"status\": 429, \"retry_after\": 7, \"body\": \"later\"}]}",
                                     true, &server), 0);
        _cleanup_free_ char *ca = xasprintf("%s/ca.pem", dir);
        _cleanup_free_ char *busy = xasprintf("https://localhost:%d/busy", server.port);
        _cleanup_free_ char *other = server_url("https", "/other?x=1");
        struct buf response = {0};
        long status = 0;
        curl_off_t retry_after = 0;

        CURL *curl = curl_easy_init();
        curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(curl, CURLOPT_URL, busy);
        CURLcode c = curl_easy_perform(curl);
        cr_assert_eq(c, CURLE_OK, "%s", curl_easy_strerror(c));
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after);
        cr_assert_eq(status, 429);
        cr_assert_eq(retry_after, 7);
        cr_assert_str_eq(response.data, "later");

        curl_easy_setopt(curl, CURLOPT_URL, other);
        cr_assert_eq(curl_easy_perform(curl), CURLE_OK);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        cr_assert_eq(status, 200);
        curl_easy_cleanup(curl);
        buf_free(&response);

        char **lines = test_server_log(&server, "http.jsonl", 2, 5000);
        json_t *r = log_entry(lines, 1);
        cr_assert_str_eq(json_string_value(json_object_get(r, "method")), "GET");
        cr_assert_str_eq(json_string_value(json_object_get(r, "path")), "/other?x=1");
        cr_assert_eq(json_integer_value(json_object_get(r, "status")), 200);
        json_decref(r);
        test_strv_free(lines);
}

Test(servers, http_hang_is_logged_and_never_answered) {
        cr_assert_eq(test_http_start(dir, "{\"/hang\": [{\"hang\": true}]}", false, &server), 0);
        _cleanup_free_ char *url = server_url("http", "/hang");
        CURL *curl = curl_easy_init();
        curl_easy_setopt(curl, CURLOPT_URL, url);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "x");
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 300L);
        cr_assert_eq(curl_easy_perform(curl), CURLE_OPERATION_TIMEDOUT);
        curl_easy_cleanup(curl);

        char **lines = test_server_log(&server, "http.jsonl", 1, 5000);
        json_t *r = log_entry(lines, 0);
        cr_assert(json_is_null(json_object_get(r, "status")), "%s", lines[0]);
        json_decref(r);
        test_strv_free(lines);
}

Test(servers, a_server_that_cannot_start_fails_clearly) {
        cr_assert_lt(test_http_start(dir, "{not json", false, &server), 0);
        cr_assert_eq(server.pid, 0);
}
