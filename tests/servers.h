/* Real servers on loopback for merzim's tests: an SMTP server (Debian's python3-aiosmtpd) and an HTTP
 * receiver (Python's http.server), started and stopped by the tests, recording what they receive. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct test_server {
        pid_t pid;
        int port;
        char *dir; /* the server's directory: its log, stored messages, certificate */
};

/* TLS material for tests, made once per directory with the openssl command: dir/ca.pem (a test CA),
 * dir/server.pem and dir/server.key (for 127.0.0.1 and localhost, signed by that CA). Returns 0. */
int test_tls_material(const char *dir);

struct smtp_options {
        const char *reject_rcpt; /* answer 550 to RCPT TO this address */
        bool starttls;           /* offer STARTTLS with dir/server.pem */
        bool require_starttls;   /* refuse MAIL before STARTTLS */
        bool implicit_tls;       /* SMTPS: TLS from the first byte */
        const char *auth;        /* "user:password": require AUTH PLAIN/LOGIN with these */
        double delay;            /* seconds to wait before answering DATA */
        const char *delay_rcpt;  /* only for messages to this address (NULL: every message) */
        bool close_reused;       /* answer a session's second MAIL with 421 and close it, logged as
                                  * {"closed":3} */
};

/* Start the SMTP server on 127.0.0.1 (a free port) in dir. Each message received is stored as
 * dir/mail/NNNN.eml, and one JSON line is appended to dir/smtp.jsonl:
 * {"n":1,"connection":3,"helo":"merzim.test.kz","mail_from":"...","rcpt_tos":["..."],"tls":false,"auth":null,"size":1234,
 *  "file":"mail/0001.eml"}; "connection" numbers TCP connections, to see reuse.
 * Refused recipients are logged as {"refused":"addr","connection":3}. */
int test_smtp_start(const char *dir, const struct smtp_options *o, struct test_server *ret);

/* Start the HTTP receiver on 127.0.0.1 (a free port) in dir. script is NULL or JSON text mapping
 * a path to a list of responses, used in order with the last one repeated, e.g.
 *   {"/a": [500, 500, 500, 200], "/b": [{"status": 429, "retry_after": 2}, 200],
 *    "/slow": [{"delay": 30, "status": 200}], "/hang": [{"hang": true}]}
 * (a response is a status or an object with status, retry_after (seconds, sent as Retry-After),
 * delay (seconds before answering), hang (never answer), body). Paths not in the script get 200.
 * tls makes it HTTPS with dir/server.pem. Every request is appended as one JSON line to dir/http.jsonl:
 * {"n":1,"t":1700000000.123,"method":"POST","path":"/a","headers":{"Content-Type":"..."},
 *  "body":"...","status":500} (logged when received, with the status it is answered with). */
int test_http_start(const char *dir, const char *script, bool tls, struct test_server *ret);

/* Stop a server (SIGTERM, then wait) and free its fields; the directory stays. */
void test_server_stop(struct test_server *s);

/* The lines of dir/NAME (smtp.jsonl or http.jsonl) as a NULL-terminated array; caller frees each and the
 * array. Waits up to timeout_ms for at least min_lines lines to appear. */
char **test_server_log(const struct test_server *s, const char *name, size_t min_lines, int timeout_ms);
void test_strv_free(char **v);

/* A real Postfix (Debian's package) run from its own configuration directory as a strict relay on
 * loopback: HELO required and fully qualified, bare LF refused, no pipelining before it is offered,
 * smtpd_timeout short. Everything to @test.kz is delivered into one Maildir, dir/mail/all/new/; the
 * relay logs to dir/maillog. It needs root (Postfix's master runs as root, its daemons as the user
 * postfix, which must be able to enter the parent of dir: it is made world-searchable). */
struct postfix_options {
        int timeout_seconds;               /* smtpd_timeout; 0: 5 s */
        const char *refuse_at_end_of_data; /* refuse messages to this address after DATA with 550 */
        int connection_limit;              /* smtpd_client_connection_count_limit; 0: Postfix's 50 */
        const char *auth;                  /* "user:password" in a Cyrus SASL sasldb: AUTH PLAIN and
                                            * LOGIN on auth_port, offered only after STARTTLS */
};

struct test_postfix {
        char *dir;
        int port;      /* the strict relay, no TLS */
        int auth_port; /* the same relay with STARTTLS (dir/server.pem, signed by dir/ca.pem), relaying
                        * only for clients that authenticated */
};

/* Whether Postfix can run here (root, and the postfix package installed); tests skip without it. */
bool test_postfix_available(void);
/* Configure Postfix in dir (created if needed) and start it. */
int test_postfix_start(const char *dir, const struct postfix_options *o, struct test_postfix *ret);
/* postfix stop, and wait for its processes to go; the directory stays. */
void test_postfix_stop(struct test_postfix *p);
/* The relay's log so far. Caller frees. */
char *test_postfix_log(const struct test_postfix *p);
/* The messages delivered, oldest first (each file's text); waits up to timeout_ms for at least min. */
char **test_postfix_delivered(const struct test_postfix *p, size_t min, int timeout_ms);
