/* merzimd's HTTP interface as agencies and the coordinator use it: tokens, the JSON API, one-click
 * confirmation links from real reminders, and a server that survives bad clients. */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "link.h"
#include "servers.h"
#include "util.h"


static char *dir, *conf, *seed, *base;
static struct test_server smtp;
static pid_t daemon_pid;
static int http_port;

static const char em_token[] = "em-token-0123456789abcdef";
static const char iidm_token[] = "iidm-token-0123456789abcdef";
static const char coordinator_token[] = "coordinator-token-0123456789";
static const char link_secret[] = "link-secret-for-tests-0123456789";

static char *sha256_hex(const char *text) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
        char *hex = xmalloc(65);
        for (unsigned i = 0; i < 32; i++)
                sprintf(hex + 2 * i, "%02x", md[i]);
        return hex;
}

/* A port for merzimd's HTTP interface, free now. Taken below the kernel's ephemeral range (32768 and
 * up), where the loopback servers and every client get theirs: one of those cannot take it between
 * this look and merzimd's bind. */
static int free_port(void) {
        unsigned r = (unsigned) getpid() ^ (unsigned) time(NULL);
        for (int i = 0; i < 1000; i++) {
                int port = 20000 + (int) (rand_r(&r) % 12000);
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in a = {.sin_family = AF_INET,
                                        .sin_port = htons((uint16_t) port),
                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                bool ok = bind(fd, (struct sockaddr *) &a, sizeof(a)) == 0;
                close(fd);
                if (ok)
                        return port;
        }
        cr_assert_fail("no free port for merzimd's HTTP interface");
        return 0;
}

static void sleep_ms(int ms) {
        test_sleep_ms(ms);
}

static void write_config(const char *secret) {
        _cleanup_free_ char *h_em = sha256_hex(em_token), *h_iidm = sha256_hex(iidm_token),
                            *h_coord = sha256_hex(coordinator_token);
        _cleanup_free_ char *text = xasprintf(
                "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\nschedule = { catch_up = \"skip\"; };\n"
                "smtp = { url = \"smtp://127.0.0.1:%d\"; tls = \"none\"; from = \"merzim <merzim@test.kz>\"; };\n"
                "http = { enabled = true; listen = \"127.0.0.1:%d\"; public_url = \"%s\"; link_secret = \"%s\";\n"
                "  tokens = ( { agency = \"ЭМ\"; sha256 = \"%s\"; }, { agency = \"ИИДМ\"; sha256 = \"%s\"; },\n"
                "             { coordinator = true; name = \"control\"; sha256 = \"%s\"; } ); };\n"
                "plans = ( { title = \"Машина жасауды дамытудың 2024 жылға дейінгі жол картасы\"; coordinator = \"ИИДМ\"; } );\n"
                "agencies = ( { code = \"ИИДМ\"; email = \"iidm@test.kz\"; },\n"
                "  { code = \"ЭМ\"; email = \"em@test.kz\"; language = \"ru\"; } );\n",
                smtp.port, http_port, base, secret, h_em, h_iidm, h_coord);
        free(conf);
        conf = test_write(dir, "merzim.conf", text);
}

static void setup(void) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        dir = test_mkdtemp();
        seed = test_seed_path();
        http_port = free_port();
        base = xasprintf("http://127.0.0.1:%d", http_port);
        _cleanup_free_ char *sdir = xasprintf("%s/smtp", dir);
        mkdir(sdir, 0700);
        struct smtp_options o = {0};
        cr_assert_eq(test_smtp_start(sdir, &o, &smtp), 0);
        write_config(link_secret);
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "import", seed, NULL}, NULL, NULL, &err), 0,
                     "%s", err);

        _cleanup_free_ char *prog = xasprintf("%s/daemon/merzimd", test_builddir());
        _cleanup_free_ char *log = xasprintf("%s/merzimd.log", dir);
        const char *argv[] = {prog, "-c", conf, "--now", test_before("2024-06-27T09:00:00", 2), NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        char **envp = test_environ(NULL);
        cr_assert_eq(posix_spawn(&daemon_pid, prog, &fa, NULL, (char *const *) argv, envp), 0);
        posix_spawn_file_actions_destroy(&fa);
        free(envp);
}

static void teardown(void) {
        if (daemon_pid > 0) {
                kill(daemon_pid, SIGTERM);
                waitpid(daemon_pid, NULL, 0);
                daemon_pid = 0;
        }
        test_server_stop(&smtp);
        test_rmdir(dir);
        free(dir);
        free(conf);
        free(seed);
        free(base);
        conf = NULL;
        curl_global_cleanup();
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(60));

static size_t keep(char *data, size_t size, size_t n, void *userdata) {
        buf_append(userdata, data, size * n);
        return size * n;
}

/* One request; returns the HTTP status and the body (caller frees). */
static long request(const char *method, const char *path, const char *token, const char *body, char **out) {
        CURL *c = curl_easy_init();
        _cleanup_free_ char *url = strncmp(path, "http", 4) == 0 ? xstrdup(path) : xasprintf("%s%s", base, path);
        struct buf b = {0};
        struct curl_slist *h = NULL;
        _cleanup_free_ char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
        if (auth)
                h = curl_slist_append(h, auth);
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        long status = 0;
        /* The daemon may still be starting. */
        for (int i = 0; i < 50; i++) {
                CURLcode rc = curl_easy_perform(c);
                if (rc == CURLE_OK)
                        break;
                cr_assert_eq(rc, CURLE_COULDNT_CONNECT, "%s %s: %s", method, path, curl_easy_strerror(rc));
                sleep_ms(100);
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (out)
                *out = buf_steal(&b);
        else
                buf_free(&b);
        return status;
}

static json_t *request_json(const char *method, const char *path, const char *token, const char *body, long want) {
        _cleanup_free_ char *out = NULL;
        long status = request(method, path, token, body, &out);
        cr_assert_eq(status, want, "%s %s: %ld %s", method, path, status, out);
        json_t *v = json_loads(out, 0, NULL);
        cr_assert_not_null(v, "%s %s: not JSON: %s", method, path, out);
        return v;
}

static int64_t query_int(const char *sql) {
        _cleanup_free_ char *path = xasprintf("%s/merzim.db", dir);
        sqlite3 *db;
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
        sqlite3_busy_timeout(db, 5000);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
        int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

/* The id of measure n's occurrence for a period. */
static int64_t occurrence_id(int measure, const char *period) {
        _cleanup_free_ char *sql = xasprintf("SELECT o.id FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                                             "WHERE m.number = %d AND o.period = '%s'", measure, period);
        return query_int(sql);
}

Test(http, health_needs_no_token_the_rest_does) {
        json_t *h = request_json("GET", "/v1/health", NULL, NULL, 200);
        cr_assert_str_eq(json_string_value(json_object_get(h, "status")), "ok");
        json_decref(h);
        json_t *e = request_json("GET", "/v1/occurrences", NULL, NULL, 401);
        cr_assert_not_null(json_object_get(e, "error"));
        json_decref(e);
        e = request_json("GET", "/v1/occurrences", "not-a-token", NULL, 401);
        json_decref(e);
        e = request_json("GET", "/v1/nothing-here", coordinator_token, NULL, 404);
        json_decref(e);
        e = request_json("DELETE", "/v1/occurrences", coordinator_token, NULL, 405);
        json_decref(e);
}

Test(http, an_agency_sees_and_changes_only_its_own_occurrences) {
        json_t *all = request_json("GET", "/v1/occurrences", coordinator_token, NULL, 200);
        cr_assert_eq(json_array_size(all), 47, "the coordinator sees every occurrence");
        json_decref(all);

        /* ЭМ executes measures 9, 10, 11, 31 and 32: 1 + 3 + 1 + 1 + 3 occurrences. */
        json_t *mine = request_json("GET", "/v1/occurrences", em_token, NULL, 200);
        cr_assert_eq(json_array_size(mine), 9);
        size_t i;
        json_t *o;
        json_array_foreach(mine, i, o) {
                bool listed = false;
                size_t k;
                json_t *x;
                json_array_foreach(json_object_get(o, "executors"), k, x)
                        listed = listed || streq(json_string_value(json_object_get(x, "code")), "ЭМ");
                cr_assert(listed, "measure %lld is not ЭМ's", json_integer_value(json_object_get(o, "measure")));
        }
        json_decref(mine);
        json_t *e = request_json("GET", "/v1/occurrences?agency=%D0%98%D0%98%D0%94%D0%9C", em_token, NULL, 403);
        json_decref(e);

        /* Measure 1 is ИИДМ's, not ЭМ's: ЭМ cannot mark it done, and nothing changes. */
        int64_t m1 = occurrence_id(1, "2022-06");
        _cleanup_free_ char *p1 = xasprintf("/v1/occurrences/%lld/done", (long long) m1);
        e = request_json("POST", p1, em_token, NULL, 403);
        json_decref(e);
        _cleanup_free_ char *q1 = xasprintf("SELECT status = 'pending' FROM occurrence WHERE id = %lld", (long long) m1);
        cr_assert_eq(query_int(q1), 1);

        /* Its own measure 10 (2023): done, recorded as ЭМ's, audited. */
        int64_t m10 = occurrence_id(10, "2023");
        _cleanup_free_ char *p10 = xasprintf("/v1/occurrences/%lld/done", (long long) m10);
        json_t *done = request_json("POST", p10, em_token, "{\"note\": \"есеп жіберілді\", \"at\": \"2023-06-29\"}", 200);
        cr_assert_str_eq(json_string_value(json_object_get(done, "status")), "done");
        cr_assert_str_eq(json_string_value(json_object_get(done, "done_by")), "ЭМ");
        cr_assert(json_is_true(json_object_get(done, "changed")));
        json_decref(done);
        _cleanup_free_ char *h10 = xasprintf("SELECT count(*) FROM history WHERE occurrence_id = %lld "
                                             "AND action = 'done' AND actor = 'api (ЭМ)'", (long long) m10);
        cr_assert_eq(query_int(h10), 1);
        _cleanup_free_ char *r10 = xasprintf("/v1/occurrences/%lld/reopen", (long long) m10);
        json_t *reopened = request_json("POST", r10, em_token, NULL, 200);
        cr_assert_str_eq(json_string_value(json_object_get(reopened, "status")), "pending");
        json_decref(reopened);

        e = request_json("POST", "/v1/occurrences/999999/done", coordinator_token, NULL, 404);
        json_decref(e);
        e = request_json("POST", p10, em_token, "{not json", 400);
        json_decref(e);
}

Test(http, bad_clients_get_4xx_and_the_server_goes_on) {
        /* An oversized body is refused. */
        char *big = xmalloc(200 * 1024 + 1);
        memset(big, 'x', 200 * 1024);
        big[200 * 1024] = 0;
        int64_t m10 = occurrence_id(10, "2023");
        _cleanup_free_ char *p10 = xasprintf("/v1/occurrences/%lld/done", (long long) m10);
        _cleanup_free_ char *out = NULL;
        cr_assert_eq(request("POST", p10, em_token, big, &out), 413, "%s", out);
        free(big);
        /* Slow clients that send half a request and wait do not block others. */
        int slow[20];
        for (int i = 0; i < 20; i++) {
                slow[i] = socket(AF_INET, SOCK_STREAM, 0);
                struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t) http_port),
                                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
                cr_assert_eq(connect(slow[i], (struct sockaddr *) &a, sizeof(a)), 0);
                const char half[] = "GET /v1/occurrences HTTP/1.1\r\nHost: x\r\n";
                cr_assert_eq(write(slow[i], half, sizeof(half) - 1), (ssize_t) sizeof(half) - 1);
        }
        json_t *h = request_json("GET", "/v1/health", NULL, NULL, 200);
        json_decref(h);
        for (int i = 0; i < 20; i++)
                close(slow[i]);
        cr_assert_eq(kill(daemon_pid, 0), 0);
}

/* The confirmation link of measure `measure` in the 09:00 reminder to recipient. */
static char *link_in_reminder(const char *recipient, int measure) {
        _cleanup_free_ char *q = xasprintf("SELECT count(*) FROM notification WHERE recipient = '%s' AND stage = '1d'",
                                           recipient);
        for (int i = 0; i < 100 && query_int(q) < 1; i++)
                sleep_ms(100);
        _cleanup_free_ char *path = xasprintf("%s/merzim.db", dir);
        sqlite3 *db;
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db, "SELECT body FROM notification WHERE recipient = ? AND stage = '1d'", -1, &st, NULL);
        sqlite3_bind_text(st, 1, recipient, -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no reminder to %s", recipient);
        const char *body = (const char *) sqlite3_column_text(st, 0);
        /* The link follows the item "N. name". */
        _cleanup_free_ char *item = xasprintf("\n%d. ", measure);
        const char *at = strstr(body, item);
        cr_assert_not_null(at, "no measure %d in: %s", measure, body);
        const char *url = strstr(at, base);
        cr_assert_not_null(url, "no confirmation link in: %s", body);
        size_t n = strcspn(url, " \r\n");
        char *link = xstrndup(url, n);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return link;
}

Test(http, a_confirmation_link_marks_exactly_its_occurrence_done) {
        _cleanup_free_ char *link = link_in_reminder("ЭМ", 32);
        int64_t m32 = occurrence_id(32, "2024");
        _cleanup_free_ char *status = xasprintf("SELECT status FROM occurrence WHERE id = %lld", (long long) m32);
        _cleanup_free_ char *done_q = xasprintf("SELECT status = 'done' AND done_by = 'ЭМ' FROM occurrence WHERE id = %lld",
                                                (long long) m32);

        /* Opening it shows what would be confirmed and changes nothing. */
        _cleanup_free_ char *page = NULL;
        long code = request("GET", link, NULL, NULL, &page);
        cr_assert_eq(code, 200, "GET %s: %ld %s", link, code, page);
        cr_assert(strstr(page, "Есеп тапсырылды") && strstr(page, "Отчёт представлен"), "%s", page);
        cr_assert(strstr(page, "<form method=\"post\">"));
        cr_assert_eq(query_int(done_q), 0, "GET changed the state");

        /* Its button confirms. */
        free(page);
        page = NULL;
        cr_assert_eq(request("POST", link, NULL, "", &page), 200);
        cr_assert(strstr(page, "Рақмет"), "%s", page);
        cr_assert_eq(query_int(done_q), 1);
        cr_assert_eq(query_int("SELECT count(*) FROM occurrence WHERE status = 'done'"), 1, "exactly one occurrence");

        /* The same token turned to another occurrence is refused. */
        int64_t m10 = occurrence_id(10, "2024");
        const char *token = strstr(link, "/confirm/") + 9;
        const char *rest = strchr(token, '.');
        _cleanup_free_ char *forged = xasprintf("%s/confirm/%lld%s", base, (long long) m10, rest);
        free(page);
        page = NULL;
        cr_assert_eq(request("POST", forged, NULL, "", &page), 404);
        cr_assert(strstr(page, "недействительна"), "%s", page);
        _cleanup_free_ char *q10 = xasprintf("SELECT status FROM occurrence WHERE id = %lld", (long long) m10);
        cr_assert_eq(query_int("SELECT count(*) FROM occurrence WHERE status = 'done'"), 1);

        /* An expired link, and one signed with another secret, are refused too. */
        _cleanup_free_ char *old = link_token(link_secret, m10, "ЭМ", 1700000000);
        _cleanup_free_ char *old_url = xasprintf("%s/confirm/%s", base, old);
        cr_assert_eq(request("POST", old_url, NULL, "", NULL), 410);
        _cleanup_free_ char *other = link_token("another-secret-0123456789abcdef", m10, "ЭМ", 2000000000);
        _cleanup_free_ char *other_url = xasprintf("%s/confirm/%s", base, other);
        cr_assert_eq(request("POST", other_url, NULL, "", NULL), 404);
        cr_assert_eq(query_int("SELECT count(*) FROM occurrence WHERE status = 'done'"), 1);
}

Test(http, links_stop_working_when_the_secret_rotates) {
        _cleanup_free_ char *link = link_in_reminder("ЭМ", 10);
        cr_assert_eq(request("GET", link, NULL, NULL, NULL), 200);
        write_config("a-brand-new-link-secret-0123456789");
        kill(daemon_pid, SIGHUP);
        /* The server restarts with the new configuration. */
        long status = 0;
        for (int i = 0; i < 50 && status != 404; i++) {
                sleep_ms(100);
                status = request("GET", link, NULL, NULL, NULL);
        }
        cr_assert_eq(status, 404);
        cr_assert_eq(request("POST", link, NULL, "", NULL), 404);
        cr_assert_eq(query_int("SELECT count(*) FROM occurrence WHERE status = 'done'"), 0);
}

/* The text of the element after marker in html, up to the next '<' (with &amp; undone). */
static char *text_after(const char *html, const char *marker, const char **next) {
        const char *p = strstr(html, marker);
        if (!p)
                return NULL;
        p += strlen(marker);
        size_t n = strcspn(p, "<");
        struct buf b = {0};
        for (size_t i = 0; i < n; i++) {
                if (strncmp(p + i, "&amp;", 5) == 0) {
                        buf_putc(&b, '&');
                        i += 4;
                } else {
                        buf_putc(&b, p[i]);
                }
        }
        if (next)
                *next = p + n;
        return buf_steal(&b);
}

Test(http, the_status_page_in_headless_chromium_shows_what_the_cli_shows) {
        if (access("/usr/bin/chromium", X_OK) < 0)
                cr_skip_test("Debian's chromium is not installed (scripts/install-deps test installs it)");
        /* Two occurrences done, so that the page has more than overdue counts to show. */
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "done", "12", "--at", "2022-12-20", NULL},
                              NULL, NULL, &err), 0, "%s", err);
        json_t *h = request_json("GET", "/v1/health", NULL, NULL, 200);
        json_decref(h);

        _cleanup_free_ char *out = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "status", "--json", "--now",
                                                     "2024-06-27T10:00", NULL}, NULL, &out, NULL), 0);
        json_t *cli = json_loads(out, 0, NULL);
        cr_assert_not_null(cli);

        _cleanup_free_ char *url = xasprintf("%s/status?token=%s", base, coordinator_token);
        _cleanup_free_ char *profile = xasprintf("--user-data-dir=%s/chromium", dir);
        _cleanup_free_ char *shot_path = xasprintf("%s/tests/status-page.png", test_builddir());
        _cleanup_free_ char *shot = xasprintf("--screenshot=%s", shot_path);
        const char *common[] = {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking",
                                "--disable-component-update", "--disable-sync", "--disable-quic"};
        const char *dump[16], *snap[16];
        size_t n = 0;
        for (; n < ELEMENTSOF(common); n++)
                dump[n] = snap[n] = common[n];
        dump[n] = snap[n] = profile;
        dump[n + 1] = "--dump-dom";
        snap[n + 1] = shot;
        snap[n + 2] = "--window-size=1280,1800";
        dump[n + 2] = url;
        snap[n + 3] = url;
        dump[n + 3] = snap[n + 4] = NULL;

        _cleanup_free_ char *dom = NULL, *chrome_err = NULL;
        cr_assert_eq(test_run(dump, NULL, &dom, &chrome_err), 0, "chromium: %s", chrome_err);
        _cleanup_free_ char *total = text_after(dom, "id=\"total-overdue\"><b>", NULL);
        cr_assert_not_null(total, "no overdue total on the page: %.2000s", dom);
        cr_assert_eq(atoll(total), json_integer_value(json_object_get(json_object_get(cli, "totals"), "overdue")),
                     "the page says %s overdue", total);
        _cleanup_free_ char *on_time = text_after(dom, "id=\"total-on-time\"><b>", NULL);
        cr_assert_eq(atoll(on_time), 1, "measure 12 was done on time");

        /* Every agency's overdue count, in the same order as the CLI (worst first). */
        json_t *agencies = json_object_get(cli, "agencies");
        const char *p = dom;
        size_t i;
        json_t *a;
        json_array_foreach(agencies, i, a) {
                const char *next;
                _cleanup_free_ char *code = text_after(p, "<td class=\"agency\">", &next);
                cr_assert_not_null(code, "row %zu missing", i);
                cr_assert_str_eq(code, json_string_value(json_object_get(a, "code")));
                _cleanup_free_ char *overdue = text_after(next, "class=\"n overdue\">", &next);
                cr_assert_eq(atoll(overdue), json_integer_value(json_object_get(a, "overdue")), "%s", code);
                p = next;
        }
        cr_assert_null(strstr(p, "<td class=\"agency\">"), "more agencies on the page than in the CLI");
        json_decref(cli);

        /* And a picture of it, kept in the build directory. */
        _cleanup_free_ char *shot_err = NULL;
        cr_assert_eq(test_run(snap, NULL, NULL, &shot_err), 0, "chromium: %s", shot_err);
        _cleanup_free_ char *png = test_read(shot_path);
        cr_assert(memcmp(png, "\x89PNG", 4) == 0, "the screenshot is not a PNG");

        /* An agency's token does not open the coordinator's page. */
        _cleanup_free_ char *agency_url = xasprintf("/status?token=%s", em_token);
        cr_assert_eq(request("GET", agency_url, NULL, NULL, NULL), 403);
}

Test(http, an_agency_subscribes_to_its_calendar_feed) {
        _cleanup_free_ char *path = xasprintf("/calendar.ics?token=%s", em_token);
        _cleanup_free_ char *ics = NULL;
        cr_assert_eq(request("GET", path, NULL, NULL, &ics), 200);
        cr_assert(strncmp(ics, "BEGIN:VCALENDAR\r\n", 17) == 0, "%.200s", ics);
        /* ЭМ's 9 occurrences, nothing of other agencies'. */
        int todos = 0;
        for (const char *p = ics; (p = strstr(p, "BEGIN:VTODO")); p++)
                todos++;
        cr_assert_eq(todos, 9);
        /* The same deadlines as all-day events, for calendars that ignore tasks (&events=1). */
        _cleanup_free_ char *events_path = xasprintf("%s&events=1", path);
        _cleanup_free_ char *events = NULL;
        cr_assert_eq(request("GET", events_path, NULL, NULL, &events), 200);
        int n_events = 0;
        for (const char *p = events; (p = strstr(p, "BEGIN:VEVENT")); p++)
                n_events++;
        cr_assert_eq(n_events, 9);
        cr_assert_null(strstr(events, "BEGIN:VTODO"), "events only");
        cr_assert_not_null(strstr(events, "\r\nDTSTART;VALUE=DATE:"), "all day");
        cr_assert_eq(request("GET", "/calendar.ics?token=wrong", NULL, NULL, NULL), 401);
}

Test(http, starting_logs_no_warning_from_libmicrohttpd) {
        json_t *h = request_json("GET", "/v1/health", NULL, NULL, 200);
        json_decref(h);
        _cleanup_free_ char *log_path = xasprintf("%s/merzimd.log", dir);
        _cleanup_free_ char *log = test_read(log_path);
        cr_assert(strstr(log, "http: listening on"), "%s", log);
        /* The logger is given first, so that libmicrohttpd's own messages go through merzimd's log. */
        cr_assert_null(strstr(log, "EXTERNAL_LOGGER"), "%s", log);
}

Test(http, secrets_never_appear_in_logs_or_merzimctl_output) {
        /* Exercise everything that logs: deliveries, a reload, API calls with good and bad tokens. */
        _cleanup_free_ char *link = link_in_reminder("ЭМ", 10);
        cr_assert_eq(request("GET", link, NULL, NULL, NULL), 200);
        json_t *v = request_json("GET", "/v1/occurrences", em_token, NULL, 200);
        json_decref(v);
        cr_assert_eq(request("GET", "/v1/occurrences", "wrong-token-0123456789", NULL, NULL), 401);
        kill(daemon_pid, SIGHUP);
        sleep_ms(500);
        kill(daemon_pid, SIGTERM);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = 0;

        static const char *const commands[][4] = {
                {"plans"}, {"agencies", "--json"}, {"status", "--json"}, {"schedule", "--json"}, {"measures"},
        };
        struct buf all = {0};
        _cleanup_free_ char *log_path = xasprintf("%s/merzimd.log", dir);
        _cleanup_free_ char *log = test_read(log_path);
        buf_puts(&all, log);
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                const char *argv[8] = {"merzimctl", "-c", conf};
                size_t n = 3;
                for (size_t k = 0; k < 4 && commands[i][k]; k++)
                        argv[n++] = commands[i][k];
                argv[n] = NULL;
                _cleanup_free_ char *out = NULL, *err = NULL;
                test_run(argv, NULL, &out, &err);
                buf_puts(&all, out);
                buf_puts(&all, err);
        }
        cr_assert_gt(all.len, 1000, "there was output to search");
        static const char *const secrets[] = {link_secret, em_token, iidm_token, coordinator_token,
                                              "wrong-token-0123456789"};
        for (size_t i = 0; i < ELEMENTSOF(secrets); i++)
                cr_assert_null(strstr(all.data, secrets[i]), "a secret in the logs or output: %s", secrets[i]);
        buf_free(&all);
}
