/* E-mail delivery against a real SMTP server on loopback: what arrives (headers, encodings, Kazakh and
 * Russian text), that names and addresses cannot inject headers, STARTTLS and SMTPS with the test CA,
 * AUTH, refusals, timeouts and connection reuse. */
#include "config.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <jansson.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "delivery.h"
#include "helpers.h"
#include "mail-text.h"
#include "servers.h"
#include "utf8.h"
#include "util.h"

#define SUBJECT_KK "Еске салу: «Машина жасау саласын дамытудың 2024–2028 жылдарға арналған жол картасы» " \
                   "бойынша 3-іс-шараның мерзімі 2024 жылғы 15 наурызда өтеді"
#define BODY_KK "Құрметті әріптестер!\n" \
                "\n" \
                "Жол картасының 3-іс-шарасы бойынша есеп 2024 жылғы 15 наурызға дейін ұсынылуы тиіс. Бұл жол " \
                "өте ұзын, сондықтан quoted-printable оны жұмсақ үзілістермен бөлуі керек = солай.\n" \
                "Уважаемые коллеги! Срок исполнения мероприятия 3 истекает 15 марта 2024 года.\n" \
                ".a line that starts with a dot\n" \
                "From the merzim daemon   \n" \
                "\tқосымша: ӘҒҚҢӨҰҮҺІ әғқңөұүһі\n"
#define CREATED_AT 1710482400 /* 2024-03-15 06:00:00 UTC */
#define KEY "3f2a9c0d1e7b4a55"
#define HOST "merzim.test.kz"

static char *dir;
static struct test_server smtp;
static struct config *cfg;

static void setup(void) {
        dir = test_mkdtemp();
        cfg = config_new_defaults();
        cfg->timeout_seconds = 10;
        cfg->smtp_tls = SMTP_TLS_NONE;
        free(cfg->smtp_from);
        cfg->smtp_from = xstrdup("merzim <merzim@" HOST ">");
        free(cfg->hostname);
        cfg->hostname = xstrdup(HOST);
}

static void teardown(void) {
        test_server_stop(&smtp);
        config_free(cfg);
        test_rmdir(dir);
        free(dir);
}

TestSuite(mail, .init = setup, .fini = teardown, .timeout = TEST_TIMEOUT(60));

/* Replace a configuration string. */
static void set_string(char **field, const char *value) {
        free(*field);
        *field = value ? xstrdup(value) : NULL;
}

/* Start the SMTP server and point the configuration at it. */
static void start_smtp(const struct smtp_options *o, bool implicit_tls) {
        if (o && (o->starttls || o->require_starttls || o->implicit_tls))
                cr_assert_eq(test_tls_material(dir), 0);
        cr_assert_eq(test_smtp_start(dir, o, &smtp), 0);
        free(cfg->smtp_url);
        cfg->smtp_url = xasprintf("%s://127.0.0.1:%d", implicit_tls ? "smtps" : "smtp", smtp.port);
}

/* A delivery of the Kazakh reminder to address. */
static struct delivery reminder(const char *address, const char *key) {
        return (struct delivery) {
                .id = 1,
                .channel = CHANNEL_EMAIL,
                .address = xstrdup(address),
                .key = xstrdup(key),
                .to_name = xstrdup("Қазақстан Республикасы Өнеркәсіп және құрылыс министрлігі"),
                .subject = xstrdup(SUBJECT_KK),
                .body = xstrdup(BODY_KK),
                .created_at = CREATED_AT,
        };
}

/* Send one delivery on easy (or a handle of its own) with curl_easy_perform; returns mail_setup's result. */
static int send_on(CURL *easy, const struct delivery *d, struct delivery_result *res) {
        CURL *own = easy ? NULL : curl_easy_init();
        struct mail_job *job = NULL;
        int r = mail_setup(easy ? easy : own, cfg, d, &job);
        if (r >= 0) {
                CURLcode code = curl_easy_perform(easy ? easy : own);
                mail_result(job, easy ? easy : own, code, res);
                mail_job_free(job);
        }
        if (own)
                curl_easy_cleanup(own);
        return r;
}

/* Send one delivery on a handle of its own, then free it. */
static void send_one(struct delivery d, struct delivery_result *res) {
        cr_assert_eq(send_on(NULL, &d, res), 0, "mail_setup failed");
        delivery_free(&d);
}

/* Line i (from 0) of the server's log, waiting for it. */
static json_t *log_line(size_t i) {
        char **lines = test_server_log(&smtp, "smtp.jsonl", i + 1, 10000);
        size_t n = 0;
        while (lines[n])
                n++;
        cr_assert_gt(n, i, "the SMTP server logged %zu lines, expected at least %zu", n, i + 1);
        json_error_t error;
        json_t *j = json_loads(lines[i], 0, &error);
        cr_assert_not_null(j, "bad log line %s: %s", lines[i], error.text);
        test_strv_free(lines);
        return j;
}

/* Number of messages the server has stored. */
static size_t stored_messages(void) {
        size_t n = 0;
        for (;; n++) {
                _cleanup_free_ char *path = xasprintf("%s/mail/%04zu.eml", dir, n + 1);
                if (access(path, F_OK) < 0)
                        return n;
        }
}

/* The raw text of the message the log line names. */
static char *stored_message(json_t *line) {
        const char *file = json_string_value(json_object_get(line, "file"));
        cr_assert_not_null(file);
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        return test_read(path);
}

/* The header section of a raw message (up to the empty line). */
static char *header_section(const char *raw) {
        const char *end = strstr(raw, "\r\n\r\n");
        cr_assert_not_null(end, "no end of headers in:\n%s", raw);
        return xstrndup(raw, (size_t) (end - raw + 2));
}

/* The unfolded value of the first header called name, or NULL. */
static char *header_value(const char *headers, const char *name) {
        size_t n = strlen(name);
        for (const char *p = headers; *p;) {
                const char *eol = strstr(p, "\r\n");
                if (!eol)
                        break;
                if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
                        struct buf b = {0};
                        const char *v = p + n + 1;
                        for (;;) {
                                buf_append(&b, v, (size_t) (eol - v));
                                if (eol[2] != ' ' && eol[2] != '\t')
                                        break;
                                v = eol + 2;
                                eol = strstr(v, "\r\n");
                        }
                        return strstrip(buf_steal(&b));
                }
                p = eol + 2;
        }
        return NULL;
}

/* Decode base64 (no line breaks) into b; false if it is not base64. */
static bool base64_decode(const char *s, size_t n, struct buf *b) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        if (n % 4 != 0)
                return false;
        for (size_t i = 0; i < n; i += 4) {
                uint32_t v = 0;
                int pad = 0;
                for (size_t k = 0; k < 4; k++) {
                        const char *c = s[i + k] == '=' ? NULL : strchr(alphabet, s[i + k]);
                        if (s[i + k] == '=')
                                pad++;
                        else if (!c || !*c || pad)
                                return false;
                        v = v << 6 | (uint32_t) (c ? c - alphabet : 0);
                }
                char out[3] = {(char) (v >> 16), (char) (v >> 8), (char) v};
                buf_append(b, out, (size_t) (3 - pad));
        }
        return true;
}

/* Decode a header value made only of "=?UTF-8?B?...?=" words, checking each word's form on the way:
 * at most 75 characters and whole UTF-8 characters in each. */
static char *decode_encoded_words(const char *value) {
        struct buf b = {0};
        _cleanup_free_ char *copy = xstrdup(value);
        char *save = NULL;
        buf_puts(&b, "");
        for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
                size_t n = strlen(word);
                cr_assert_leq(n, 75, "encoded-word longer than 75 characters: %s", word);
                cr_assert(n > 12 && strncmp(word, "=?UTF-8?B?", 10) == 0 && streq(word + n - 2, "?="),
                          "not an encoded-word: %s", word);
                struct buf one = {0};
                cr_assert(base64_decode(word + 10, n - 12, &one), "bad base64 in %s", word);
                cr_assert(utf8_valid(one.data, one.len, NULL), "encoded-word splits a character: %s", word);
                buf_append(&b, one.data, one.len);
                buf_free(&one);
        }
        return buf_steal(&b);
}

/* Every header line is at most 78 characters. */
static void assert_short_header_lines(const char *headers) {
        for (const char *p = headers; *p;) {
                const char *eol = strstr(p, "\r\n");
                cr_assert_not_null(eol);
                cr_assert_leq(eol - p, 78, "header line of %d characters: %.*s", (int) (eol - p), (int) (eol - p), p);
                p = eol + 2;
        }
}

/* Every line ends in CRLF: no bare CR or LF anywhere (a relay with smtpd_forbid_bare_newline refuses
 * them), and no line longer than 998 characters. */
static void assert_crlf_only(const char *raw) {
        size_t line = 0;
        for (const char *p = raw; *p; p++) {
                if (*p == '\r')
                        cr_assert_eq(p[1], '\n', "a bare CR at %zu", (size_t) (p - raw));
                else if (*p == '\n')
                        cr_assert(p > raw && p[-1] == '\r', "a bare LF at %zu", (size_t) (p - raw));
                line = *p == '\n' ? 0 : line + 1;
                cr_assert_leq(line, 998);
        }
}

/* Parse the stored message with Python's email package (a real MIME parser) and return what it found.
 * Display names are decoded with email.header: the address parser of Python before 3.14 puts a space
 * between adjacent encoded-words, against RFC 2047 6.2 (cpython gh-128110). */
static json_t *python_parse(json_t *line) {
        static const char script[] =
                "import email, email.policy, json, sys\n"
                "from email.header import decode_header, make_header\n"
                "from email.utils import parseaddr\n"
                "with open(sys.argv[1], 'rb') as f:\n"
                "    data = f.read()\n"
                "msg = email.message_from_bytes(data, policy=email.policy.default)\n"
                "raw = email.message_from_bytes(data, policy=email.policy.compat32)\n"
                "def mailbox(name):\n"
                "    value = raw[name].replace('\\r', '').replace('\\n', '')\n"
                "    return parseaddr(str(make_header(decode_header(value))))\n"
                "body = msg.get_body(preferencelist=('plain',))\n"
                "to, frm = mailbox('To'), mailbox('From')\n"
                "defects = [str(d) for part in msg.walk() for d in part.defects]\n"
                "print(json.dumps({\n"
                "    'top_type': msg.get_content_type(), 'multipart': msg.is_multipart(),\n"
                "    'subject': str(msg['Subject']),\n"
                "    'to_count': len(msg['To'].addresses), 'to_name': to[0], 'to_addr': to[1],\n"
                "    'to_addr_parsed': msg['To'].addresses[0].addr_spec,\n"
                "    'from_name': frm[0], 'from_addr': frm[1],\n"
                "    'date': int(msg['Date'].datetime.timestamp()),\n"
                "    'message_id': str(msg['Message-ID']),\n"
                "    'keys': [k.lower() for k in msg.keys()],\n"
                "    'mime_version': str(msg['MIME-Version']),\n"
                "    'content_type': body.get_content_type(), 'charset': body.get_content_charset(),\n"
                "    'cte': str(body['Content-Transfer-Encoding']),\n"
                "    'body': body.get_content().replace('\\r\\n', '\\n'),\n"
                "    'defects': defects,\n"
                "}))\n";
        const char *file = json_string_value(json_object_get(line, "file"));
        _cleanup_free_ char *path = xasprintf("%s/%s", dir, file);
        _cleanup_free_ char *out = NULL, *err = NULL;
        const char *argv[] = {"/usr/bin/python3", "-c", script, path, NULL};
        int status = test_run(argv, NULL, &out, &err);
        cr_assert_eq(status, 0, "python could not parse %s: %s", path, err);
        json_error_t error;
        json_t *j = json_loads(out, 0, &error);
        cr_assert_not_null(j, "python printed %s", out);
        return j;
}

/* A string member of a JSON object. */
static const char *member(json_t *o, const char *name) {
        json_t *v = json_object_get(o, name);
        cr_assert(json_is_string(v), "no string \"%s\"", name);
        return json_string_value(v);
}

Test(mail, encode_header_plain_ascii) {
        _cleanup_free_ char *s = mail_encode_header("Deadline reminder: measure 3");
        cr_assert_str_eq(s, "Deadline reminder: measure 3");
}

Test(mail, encode_header_kazakh) {
        _cleanup_free_ char *s = mail_encode_header(SUBJECT_KK);
        cr_assert_eq(strncmp(s, "=?UTF-8?B?", 10), 0, "%s", s);
        cr_assert_null(strpbrk(s, "\r\n"));
        _cleanup_free_ char *back = decode_encoded_words(s);
        cr_assert_str_eq(back, SUBJECT_KK);
}

Test(mail, encode_header_no_line_breaks) {
        _cleanup_free_ char *plain = mail_encode_header("Report\r\nBcc: x@y\n\rnow");
        cr_assert_str_eq(plain, "Report Bcc: x@y now");
        _cleanup_free_ char *encoded = mail_encode_header("Есеп\r\nBcc: x@y");
        cr_assert_null(strpbrk(encoded, "\r\n"));
        _cleanup_free_ char *back = decode_encoded_words(encoded);
        cr_assert_str_eq(back, "Есеп Bcc: x@y");
}

Test(mail, encode_header_lookalikes_and_bad_bytes) {
        /* Text that a reader would take for an encoded-word is encoded itself. */
        _cleanup_free_ char *s = mail_encode_header("=?UTF-8?B?SGk=?=");
        _cleanup_free_ char *back = decode_encoded_words(s);
        cr_assert_str_eq(back, "=?UTF-8?B?SGk=?=");
        /* Malformed UTF-8 becomes U+FFFD rather than an invalid encoded-word. */
        _cleanup_free_ char *bad = mail_encode_header("a\xff" "b");
        _cleanup_free_ char *bad_back = decode_encoded_words(bad);
        cr_assert_str_eq(bad_back, "a\xef\xbf\xbd" "b");
        _cleanup_free_ char *empty = mail_encode_header("");
        cr_assert_str_eq(empty, "");
}

Test(mail, kazakh_message_arrives_whole) {
        struct delivery_result res = {0};
        start_smtp(NULL, false);
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "verdict %d: %s", res.verdict, res.reply);
        cr_assert_eq(res.code, 250);
        cr_assert_eq(strncmp(res.reply, "250", 3), 0, "reply %s", res.reply);
        delivery_result_clear(&res);

        json_t *line = log_line(0);
        cr_assert_str_eq(member(line, "mail_from"), "merzim@" HOST);
        json_t *rcpts = json_object_get(line, "rcpt_tos");
        cr_assert_eq(json_array_size(rcpts), 1);
        cr_assert_str_eq(json_string_value(json_array_get(rcpts, 0)), "plan@industry.gov.kz");

        /* The raw headers, as merzim wrote them. */
        _cleanup_free_ char *raw = stored_message(line);
        _cleanup_free_ char *headers = header_section(raw);
        cr_assert_not_null(strstr(headers, "\r\nSubject: =?UTF-8?B?"), "%s", headers);
        assert_short_header_lines(headers);
        _cleanup_free_ char *subject = header_value(headers, "Subject");
        _cleanup_free_ char *decoded = decode_encoded_words(subject);
        cr_assert_str_eq(decoded, SUBJECT_KK);
        _cleanup_free_ char *message_id = header_value(headers, "Message-ID");
        cr_assert_str_eq(message_id, "<" KEY "@" HOST ">");
        _cleanup_free_ char *date = header_value(headers, "Date");
        cr_assert_str_eq(date, "Fri, 15 Mar 2024 06:00:00 +0000");
        _cleanup_free_ char *key = header_value(headers, "X-Merzim-Key");
        cr_assert_str_eq(key, KEY);
        _cleanup_free_ char *auto_submitted = header_value(headers, "Auto-Submitted");
        cr_assert_str_eq(auto_submitted, "auto-generated");
        _cleanup_free_ char *from = header_value(headers, "From");
        cr_assert_str_eq(from, "\"merzim\" <merzim@" HOST ">");

        /* And as a real parser reads them. */
        json_t *parsed = python_parse(line);
        cr_assert_str_eq(member(parsed, "subject"), SUBJECT_KK);
        cr_assert_str_eq(member(parsed, "to_name"), "Қазақстан Республикасы Өнеркәсіп және құрылыс министрлігі");
        cr_assert_str_eq(member(parsed, "to_addr"), "plan@industry.gov.kz");
        cr_assert_str_eq(member(parsed, "to_addr_parsed"), "plan@industry.gov.kz");
        cr_assert_str_eq(member(parsed, "from_name"), "merzim");
        cr_assert_str_eq(member(parsed, "from_addr"), "merzim@" HOST);
        cr_assert_eq(json_integer_value(json_object_get(parsed, "date")), CREATED_AT);
        cr_assert_str_eq(member(parsed, "message_id"), "<" KEY "@" HOST ">");
        cr_assert_str_eq(member(parsed, "mime_version"), "1.0");
        /* One text/plain part, as merzim.conf(5) says: no multipart around it. */
        cr_assert_str_eq(member(parsed, "top_type"), "text/plain");
        cr_assert(json_is_false(json_object_get(parsed, "multipart")));
        _cleanup_free_ char *content_type = header_value(headers, "Content-Type");
        cr_assert_str_eq(content_type, "text/plain; charset=UTF-8");
        assert_crlf_only(raw);
        cr_assert_str_eq(member(parsed, "content_type"), "text/plain");
        cr_assert_str_eq(member(parsed, "charset"), "utf-8");
        cr_assert_str_eq(member(parsed, "cte"), "base64");
        cr_assert_str_eq(member(parsed, "body"), BODY_KK);
        cr_assert_eq(json_array_size(json_object_get(parsed, "defects")), 0, "defects: %s",
                     json_dumps(json_object_get(parsed, "defects"), 0));
        json_decref(parsed);
        json_decref(line);
}

Test(mail, english_message_in_quoted_printable) {
        static const char body[] =
                "Dear colleagues,\n"
                "\n"
                "The report on measure 3 of the roadmap is due on 15 March 2024; this line is long enough that "
                "quoted-printable has to break it, and it has an = sign.\n"
                ".\n"
                "..two dots\n"
                "Kazakh names stay whole: Қазақстан.\n";
        struct delivery_result res = {0};
        start_smtp(NULL, false);
        struct delivery d = reminder("plan@industry.gov.kz", KEY);
        set_string(&d.to_name, "Ministry of Industry and Construction");
        set_string(&d.subject, "Reminder: measure 3 is due on 15 March 2024");
        set_string(&d.body, body);
        send_one(d, &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        delivery_result_clear(&res);

        json_t *line = log_line(0);
        _cleanup_free_ char *raw = stored_message(line);
        _cleanup_free_ char *headers = header_section(raw);
        assert_short_header_lines(headers);
        cr_assert_not_null(strstr(headers, "\r\nSubject: Reminder: measure 3 is due on 15 March 2024\r\n"), "%s",
                           headers);
        cr_assert_not_null(strstr(headers, "\r\nTo: \"Ministry of Industry and Construction\" "
                                           "<plan@industry.gov.kz>\r\n"), "%s", headers);
        json_t *parsed = python_parse(line);
        cr_assert_str_eq(member(parsed, "cte"), "quoted-printable");
        cr_assert_str_eq(member(parsed, "body"), body);
        cr_assert_str_eq(member(parsed, "to_name"), "Ministry of Industry and Construction");
        json_decref(parsed);
        json_decref(line);
}

Test(mail, names_and_subjects_cannot_inject_headers) {
        struct delivery_result res = {0};
        start_smtp(NULL, false);
        set_string(&cfg->smtp_from, "Evil\r\nBcc: x@y <merzim@" HOST ">");
        struct delivery d = reminder("plan@industry.gov.kz", KEY);
        set_string(&d.to_name, "Evil\r\nBcc: x@y");
        set_string(&d.subject, "Report\r\nBcc: x@y\r\n\r\nforged body");
        send_one(d, &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        delivery_result_clear(&res);

        json_t *line = log_line(0);
        json_t *rcpts = json_object_get(line, "rcpt_tos");
        cr_assert_eq(json_array_size(rcpts), 1);
        cr_assert_str_eq(json_string_value(json_array_get(rcpts, 0)), "plan@industry.gov.kz");
        _cleanup_free_ char *raw = stored_message(line);
        _cleanup_free_ char *headers = header_section(raw);
        cr_assert_null(strcasestr(headers, "\nBcc:"), "%s", headers);
        cr_assert_neq(strncasecmp(raw, "Bcc:", 4), 0, "%s", raw);

        json_t *parsed = python_parse(line);
        json_t *keys = json_object_get(parsed, "keys");
        for (size_t i = 0; i < json_array_size(keys); i++)
                cr_assert_str_neq(json_string_value(json_array_get(keys, i)), "bcc");
        cr_assert_eq(json_integer_value(json_object_get(parsed, "to_count")), 1);
        cr_assert_str_eq(member(parsed, "to_name"), "Evil Bcc: x@y");
        cr_assert_str_eq(member(parsed, "from_name"), "Evil Bcc: x@y");
        cr_assert_str_eq(member(parsed, "subject"), "Report Bcc: x@y forged body");
        cr_assert_str_eq(member(parsed, "body"), BODY_KK);
        json_decref(parsed);
        json_decref(line);
}

Test(mail, bad_addresses_are_refused) {
        static const char *const bad[] = {
                "plan@industry.gov.kz\r\nRCPT TO:<x@y>", "plan@industry.gov.kz\n", "plan @industry.gov.kz",
                "<plan@industry.gov.kz>", "plan>@industry.gov.kz", "plan.industry.gov.kz", "plan@",
                "@industry.gov.kz", "", "a@b,c@d",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct delivery d = reminder(bad[i], KEY);
                CURL *easy = curl_easy_init();
                struct mail_job *job = NULL;
                cr_assert_eq(mail_setup(easy, cfg, &d, &job), -EINVAL, "accepted \"%s\"", bad[i]);
                cr_assert_null(job);
                curl_easy_cleanup(easy);
                delivery_free(&d);
        }
        /* A key or sender that would break the Message-ID or MAIL FROM is refused too. */
        struct delivery d = reminder("plan@industry.gov.kz", "k>\r\nBcc: x@y");
        CURL *easy = curl_easy_init();
        struct mail_job *job = NULL;
        cr_assert_eq(mail_setup(easy, cfg, &d, &job), -EINVAL);
        set_string(&d.key, KEY);
        set_string(&cfg->smtp_from, "merzim <merzim@" HOST ">\r\nBcc: x@y");
        cr_assert_eq(mail_setup(easy, cfg, &d, &job), -EINVAL);
        curl_easy_cleanup(easy);
        delivery_free(&d);
}

Test(mail, starttls_with_the_test_ca) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.starttls = true, .require_starttls = true}, false);
        cfg->smtp_tls = SMTP_TLS_STARTTLS;
        cfg->smtp_ca_file = xasprintf("%s/ca.pem", dir);
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        cr_assert_eq(res.code, 250);
        delivery_result_clear(&res);
        json_t *line = log_line(0);
        cr_assert(json_is_true(json_object_get(line, "tls")));
        json_decref(line);
}

Test(mail, starttls_with_an_untrusted_certificate_is_retried) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.starttls = true, .require_starttls = true}, false);
        cfg->smtp_tls = SMTP_TLS_STARTTLS;
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_not_null(strstr(res.reply, "certificate not trusted"), "%s", res.reply);
        delivery_result_clear(&res);
        cr_assert_eq(stored_messages(), 0);
}

Test(mail, plain_text_to_a_server_that_requires_starttls_is_retried) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.starttls = true, .require_starttls = true}, false);
        cfg->smtp_tls = SMTP_TLS_NONE;
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 530, "code %ld: %s", res.code, res.reply);
        delivery_result_clear(&res);
        cr_assert_eq(stored_messages(), 0);
}

Test(mail, smtps_with_the_test_ca) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.implicit_tls = true}, true);
        cfg->smtp_tls = SMTP_TLS_STARTTLS;
        cfg->smtp_ca_file = xasprintf("%s/ca.pem", dir);
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        delivery_result_clear(&res);
        json_t *line = log_line(0);
        cr_assert(json_is_true(json_object_get(line, "tls")));
        json_decref(line);

        /* Without the CA, the same server is not trusted. */
        set_string(&cfg->smtp_ca_file, NULL);
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_not_null(strstr(res.reply, "certificate not trusted"), "%s", res.reply);
        delivery_result_clear(&res);
}

/* Collect what curl sends, to see which AUTH mechanism it chose. */
static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *userdata) {
        (void) easy;
        if (type == CURLINFO_HEADER_OUT)
                buf_append(userdata, data, size);
        return 0;
}

Test(mail, auth_plain) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.auth = "merzim:Құпия-s3cret"}, false);
        set_string(&cfg->smtp_username, "merzim");
        set_string(&cfg->smtp_password, "Құпия-s3cret");

        struct delivery d = reminder("plan@industry.gov.kz", KEY);
        struct buf sent = {0};
        CURL *easy = curl_easy_init();
        struct mail_job *job = NULL;
        cr_assert_eq(mail_setup(easy, cfg, &d, &job), 0);
        curl_easy_setopt(easy, CURLOPT_DEBUGFUNCTION, on_debug);
        curl_easy_setopt(easy, CURLOPT_DEBUGDATA, &sent);
        curl_easy_setopt(easy, CURLOPT_VERBOSE, 1L);
        mail_result(job, easy, curl_easy_perform(easy), &res);
        mail_job_free(job);
        curl_easy_cleanup(easy);
        delivery_free(&d);

        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        cr_assert_not_null(strstr(sent.data, "AUTH PLAIN"), "curl said:\n%s", sent.data);
        buf_free(&sent);
        delivery_result_clear(&res);
        json_t *line = log_line(0);
        cr_assert_str_eq(member(line, "auth"), "merzim");
        json_decref(line);
}

Test(mail, wrong_or_missing_credentials_are_retried) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.auth = "merzim:s3cret"}, false);
        set_string(&cfg->smtp_username, "merzim");
        set_string(&cfg->smtp_password, "wrong");
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 535, "code %ld: %s", res.code, res.reply);
        cr_assert_not_null(strstr(res.reply, "check the smtp settings"), "%s", res.reply);
        cr_assert_null(strstr(res.reply, "wrong"), "the password is in the reply: %s", res.reply);
        delivery_result_clear(&res);

        set_string(&cfg->smtp_username, NULL);
        set_string(&cfg->smtp_password, NULL);
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 530, "code %ld: %s", res.code, res.reply);
        delivery_result_clear(&res);
        cr_assert_eq(stored_messages(), 0);
}

Test(mail, refused_recipient_fails_and_the_next_one_is_sent) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.reject_rcpt = "gone@old-ministry.gov.kz"}, false);

        /* Both on one easy handle, reset between them, as a daemon may reuse it. */
        CURL *easy = curl_easy_init();
        struct delivery gone = reminder("gone@old-ministry.gov.kz", "aaaa0001");
        cr_assert_eq(send_on(easy, &gone, &res), 0);
        cr_assert_eq(res.verdict, DELIVERY_FAILED, "%s", res.reply);
        cr_assert_eq(res.code, 550);
        cr_assert_eq(strncmp(res.reply, "550", 3), 0, "%s", res.reply);
        delivery_result_clear(&res);
        delivery_free(&gone);

        curl_easy_reset(easy);
        struct delivery next = reminder("plan@industry.gov.kz", "aaaa0002");
        cr_assert_eq(send_on(easy, &next, &res), 0);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        cr_assert_eq(res.code, 250);
        delivery_result_clear(&res);
        delivery_free(&next);
        curl_easy_cleanup(easy);

        json_t *refused = log_line(0), *sent = log_line(1);
        cr_assert_str_eq(member(refused, "refused"), "gone@old-ministry.gov.kz");
        cr_assert_str_eq(json_string_value(json_array_get(json_object_get(sent, "rcpt_tos"), 0)),
                         "plan@industry.gov.kz");
        json_decref(refused);
        json_decref(sent);
        cr_assert_eq(stored_messages(), 1);
}

/* Run one transfer through multi until it is done; returns its result code. */
static CURLcode multi_run(CURLM *multi, CURL *easy) {
        int running = 1;
        cr_assert_eq(curl_multi_add_handle(multi, easy), CURLM_OK);
        while (running) {
                cr_assert_eq(curl_multi_perform(multi, &running), CURLM_OK);
                if (running)
                        cr_assert_eq(curl_multi_poll(multi, NULL, 0, 1000, NULL), CURLM_OK);
        }
        int left;
        CURLMsg *m = curl_multi_info_read(multi, &left);
        cr_assert(m && m->msg == CURLMSG_DONE && m->easy_handle == easy);
        CURLcode code = m->data.result;
        curl_multi_remove_handle(multi, easy);
        return code;
}

Test(mail, one_connection_for_two_deliveries_through_a_multi_handle) {
        start_smtp(NULL, false);
        CURLM *multi = curl_multi_init();
        static const char *const keys[] = {"bbbb0001", "bbbb0002"};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                struct delivery d = reminder(i == 0 ? "plan@industry.gov.kz" : "plan@economy.gov.kz", keys[i]);
                struct delivery_result res = {0};
                struct mail_job *job = NULL;
                CURL *easy = curl_easy_init();
                cr_assert_eq(mail_setup(easy, cfg, &d, &job), 0);
                mail_result(job, easy, multi_run(multi, easy), &res);
                /* The easy handle goes first here: the job no longer belongs to it after mail_result. */
                curl_easy_cleanup(easy);
                mail_job_free(job);
                cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
                delivery_result_clear(&res);
                delivery_free(&d);
        }
        curl_multi_cleanup(multi);

        json_t *first = log_line(0), *second = log_line(1);
        cr_assert_eq(json_integer_value(json_object_get(first, "connection")),
                     json_integer_value(json_object_get(second, "connection")));
        _cleanup_free_ char *raw = stored_message(second);
        _cleanup_free_ char *headers = header_section(raw);
        _cleanup_free_ char *message_id = header_value(headers, "Message-ID");
        cr_assert_str_eq(message_id, "<bbbb0002@" HOST ">");
        json_decref(first);
        json_decref(second);
}

Test(mail, slow_server_times_out_and_is_retried) {
        struct delivery_result res = {0};
        start_smtp(&(struct smtp_options) {.delay = 5}, false);
        cfg->timeout_seconds = 1;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 0);
        cr_assert_not_null(strcasestr(res.reply, "timeout"), "%s", res.reply);
        cr_assert_lt(t1.tv_sec - t0.tv_sec, 4);
        delivery_result_clear(&res);
}

Test(mail, no_server_is_retried) {
        struct delivery_result res = {0};
        start_smtp(NULL, false);
        test_server_stop(&smtp); /* the port is free now, and nothing listens on it */
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_eq(res.code, 0);
        cr_assert(!isempty(res.reply));
        delivery_result_clear(&res);
}

Test(mail, the_relay_answer_to_each_message_is_recorded) {
        start_smtp(NULL, false);
        CURL *easy = curl_easy_init();
        for (int i = 1; i <= 2; i++) {
                struct delivery_result res = {0};
                _cleanup_free_ char *key = xasprintf("cccc000%d", i);
                struct delivery d = reminder("plan@industry.gov.kz", key);
                cr_assert_eq(send_on(easy, &d, &res), 0);
                /* The answer to the message itself, with the relay's queue id: not an earlier line. */
                _cleanup_free_ char *want = xasprintf("250 OK queued as %04d", i);
                cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
                cr_assert_str_eq(res.reply, want);
                delivery_result_clear(&res);
                delivery_free(&d);
                curl_easy_reset(easy);
        }
        curl_easy_cleanup(easy);
        json_t *first = log_line(0), *second = log_line(1);
        cr_assert_eq(json_integer_value(json_object_get(first, "connection")),
                     json_integer_value(json_object_get(second, "connection")), "one session for both");
        json_decref(first);
        json_decref(second);
}

Test(mail, ehlo_gives_the_whole_fully_qualified_name) {
        start_smtp(NULL, false);
        struct delivery_result res = {0};
        /* Without a setting, the domain of smtp.from (libcurl alone would send the host name cut at its
         * first dot). */
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        delivery_result_clear(&res);
        set_string(&cfg->smtp_helo_name, "mx1.mail.merzim.test.kz");
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_SENT, "%s", res.reply);
        delivery_result_clear(&res);
        json_t *first = log_line(0), *second = log_line(1);
        cr_assert_str_eq(member(first, "helo"), HOST);
        cr_assert_str_eq(member(second, "helo"), "mx1.mail.merzim.test.kz");
        json_decref(first);
        json_decref(second);

        /* smtp.helo_name wins over the machine's name; without it the machine's fully-qualified name
         * or the sender's domain is used, never a bare host name. */
        _cleanup_free_ char *name = mail_helo_name(cfg);
        cr_assert_str_eq(name, "mx1.mail.merzim.test.kz");
        set_string(&cfg->smtp_helo_name, NULL);
        cr_assert_eq(mail_resolve_helo(cfg), 0);
        _cleanup_free_ char *resolved = mail_helo_name(cfg);
        cr_assert(strchr(resolved, '.'), "EHLO %s is not fully qualified", resolved);
}

Test(mail, a_username_is_never_left_unused) {
        /* The relay offers no AUTH: merzim sends nothing rather than send without its credentials. */
        start_smtp(NULL, false);
        set_string(&cfg->smtp_username, "merzim");
        set_string(&cfg->smtp_password, "s3cret");
        struct delivery_result res = {0};
        send_one(reminder("plan@industry.gov.kz", KEY), &res);
        cr_assert_eq(res.verdict, DELIVERY_RETRY, "%s", res.reply);
        cr_assert_not_null(strstr(res.reply, "offers no AUTH"), "%s", res.reply);
        cr_assert_null(strstr(res.reply, "s3cret"));
        delivery_result_clear(&res);
        test_sleep_ms(300);
        cr_assert_eq(stored_messages(), 0);

        /* --check-config and the daemon's log say so before anything is sent. */
        cfg->smtp_tls = SMTP_TLS_NONE;
        struct errlist warnings = {0};
        mail_settings_warnings(cfg, &warnings);
        cr_assert_eq(warnings.n, 1);
        cr_assert_not_null(strstr(warnings.msgs[0], "smtp.tls is \"none\""), "%s", warnings.msgs[0]);
        errlist_clear(&warnings);
        cfg->smtp_tls = SMTP_TLS_STARTTLS;
        mail_settings_warnings(cfg, &warnings);
        cr_assert_eq(warnings.n, 0, "%s", warnings.n ? warnings.msgs[0] : "");
        errlist_clear(&warnings);
}

Test(mail, quoted_printable_keeps_lines_short_and_decodes_back) {
        static const char text[] =
                "A line of exactly seventy-six characters, no more and no less, for the test.\r\n"
                "Trailing spaces must survive:   \r\n"
                "Tab at the end\t\r\n"
                "= signs = everywhere ========================================================== and more\r\n"
                "Қазақша мәтін ұзын жолда: ӘҒҚҢӨҰҮҺІ әғқңөұүһі ӘҒҚҢӨҰҮҺІ әғқңөұүһі ӘҒҚҢӨҰҮҺІ\r\n"
                "\r\n"
                "end\r\n";
        _cleanup_free_ char *qp = mail_quoted_printable(text);
        assert_crlf_only(qp);
        for (const char *p = qp; *p;) {
                const char *eol = strstr(p, "\r\n");
                cr_assert_not_null(eol);
                cr_assert_leq(eol - p, 76, "a line of %d characters: %.*s", (int) (eol - p), (int) (eol - p), p);
                cr_assert(eol == p || (eol[-1] != ' ' && eol[-1] != '\t'), "whitespace at the end of a line");
                p = eol + 2;
        }
        /* Python's decoder gives the text back. */
        _cleanup_free_ char *path = test_write(dir, "qp.txt", qp);
        const char *argv[] = {"/usr/bin/python3", "-c",
                              "import quopri, sys; sys.stdout.buffer.write(quopri.decodestring(open(sys.argv[1], 'rb').read()))",
                              path, NULL};
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run(argv, NULL, &out, &err), 0, "%s", err);
        cr_assert_str_eq(out, text);
}

Test(mail, check_config_warns_about_credentials_without_tls_and_names_the_ehlo) {
        _cleanup_free_ char *conf = test_write(dir, "merzim.conf",
                "database = \"merzim.db\";\n"
                "smtp = { url = \"smtp://relay.example.kz:587\"; tls = \"none\"; from = \"merzim <merzim@example.kz>\";\n"
                "         username = \"merzim\"; password = \"s3cret\"; helo_name = \"mx1.mail.example.kz\"; };\n");
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimd", "--check-config", "-c", conf, NULL}, NULL, &out, &err), 0,
                     "%s", err);
        cr_assert(strstr(out, "configuration OK") && strstr(out, "EHLO name mx1.mail.example.kz"), "%s", out);
        cr_assert(strstr(err, "warning: ") && strstr(err, "smtp.username is set but smtp.tls is \"none\""), "%s", err);
        cr_assert_null(strstr(err, "s3cret"));
}
