/* E-mail through libcurl's SMTP: one message to one recipient, on a session that may be reused. The
 * relay's replies are followed line by line (its greeting, what EHLO offers, the answer to the message)
 * so that merzim never sends without the credentials it was given, records the relay's own answer to
 * each message, and knows a session the relay had already closed from a refusal of the message. */
#include "config.h"

#include <netdb.h>
#include <stdio.h>
#include <strings.h>
#include <unistd.h>

#include "delivery.h"
#include "mail-text.h"
#include "util.h"

#define REPLY_MAX 256

/* Why a message was not sent although a username is configured. */
enum auth_missing {
        AUTH_FINE,
        AUTH_NOT_OFFERED,         /* the relay offers no AUTH at all */
        AUTH_ONLY_AFTER_STARTTLS, /* it offers STARTTLS, and AUTH after it, but smtp.tls is "none" */
};

struct mail_job {
        char *text; /* the whole message, and how much of it curl has read */
        size_t len, offset;
        struct curl_slist *recipients;
        char *mail_from; /* "<address>" for MAIL FROM */
        char *url;       /* smtp.url with the EHLO name as its path */
        bool need_auth;  /* a username is configured: never send without AUTH */
        bool starttls;   /* curl upgrades the session if the relay offers STARTTLS */
        /* What the relay said during this transfer. */
        bool greeted, tls_started, in_ehlo, ehlo_auth, ehlo_starttls;
        enum auth_missing auth_missing;
        bool data_started; /* the relay said 354: the message went out */
        long last_code;
        char last_reply[REPLY_MAX];
        char answer[REPLY_MAX]; /* the relay's answer to the message itself, with its queue id */
        char error[CURL_ERROR_SIZE];
};

/* Whether a name is fully qualified: it has a dot, and is not localhost under another name. */
static bool fqdn(const char *name) {
        return name && strchr(name, '.') && name[strlen(name) - 1] != '.' && strncasecmp(name, "localhost", 9) != 0;
}

/* The path of smtp.url (decoded), or NULL if it has none. libcurl takes it as the EHLO name. */
static char *url_path(const char *url) {
        CURLU *u = curl_url();
        char *path = NULL, *copy = NULL;
        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK && path && path[0] == '/' &&
            path[1])
                copy = xstrdup(path + 1);
        curl_free(path);
        curl_url_cleanup(u);
        return copy;
}

char *mail_helo_name(const struct config *cfg) {
        if (!isempty(cfg->smtp_helo_name))
                return xstrdup(cfg->smtp_helo_name);
        char *path = url_path(cfg->smtp_url ? cfg->smtp_url : "");
        if (path)
                return path;
        _cleanup_free_ char *name = NULL, *address = NULL;
        if (mail_sender_parse(cfg->smtp_from, &name, &address) < 0)
                return xstrdup("localhost");
        return xstrdup(strrchr(address, '@') + 1);
}

int mail_resolve_helo(struct config *cfg) {
        _cleanup_free_ char *path = url_path(cfg->smtp_url ? cfg->smtp_url : "");
        if (!isempty(cfg->smtp_helo_name) || path)
                return 0;
        char host[256] = "";
        if (gethostname(host, sizeof(host) - 1) < 0)
                return -errno;
        if (fqdn(host)) {
                cfg->smtp_helo_name = xstrdup(host);
                return 0;
        }
        /* The name the resolver gives the host (/etc/hosts, DNS): "mx1" may be "mx1.example.kz". */
        struct addrinfo hints = {.ai_flags = AI_CANONNAME, .ai_socktype = SOCK_STREAM}, *ai = NULL;
        if (getaddrinfo(host, NULL, &hints, &ai) == 0 && ai && fqdn(ai->ai_canonname))
                cfg->smtp_helo_name = xstrdup(ai->ai_canonname);
        if (ai)
                freeaddrinfo(ai);
        return 0;
}

void mail_settings_warnings(const struct config *cfg, struct errlist *warnings) {
        const char *file = cfg->path ? cfg->path : _("built-in configuration");
        if (!isempty(cfg->smtp_username) && cfg->smtp_tls == SMTP_TLS_NONE && cfg->smtp_url &&
            strncmp(cfg->smtp_url, "smtps://", 8) != 0)
                errlist_add(warnings, file, 0,
                            _("smtp.username is set but smtp.tls is \"none\": the password would cross the network in "
                            "clear, and a relay that offers AUTH only after STARTTLS gets nothing from merzim; set "
                            "tls = \"starttls\""));
        _cleanup_free_ char *helo = mail_helo_name(cfg);
        if (!fqdn(helo) && helo[0] != '[')
                errlist_add(warnings, file, 0,
                            _("the EHLO name \"%s\" is not a fully-qualified domain name, which many relays refuse; "
                            "set smtp.helo_name"), helo);
}

/* smtp.url with the EHLO name as its path, which is where libcurl takes it from. */
static char *url_with_helo(const struct config *cfg) {
        _cleanup_free_ char *helo = mail_helo_name(cfg);
        CURLU *u = curl_url();
        char *url = NULL, *copy = NULL;
        _cleanup_free_ char *path = xasprintf("/%s", helo);
        if (u && curl_url_set(u, CURLUPART_URL, cfg->smtp_url, 0) == CURLUE_OK &&
            curl_url_set(u, CURLUPART_PATH, path, CURLU_URLENCODE) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK)
                copy = xstrdup(url);
        curl_free(url);
        curl_url_cleanup(u);
        return copy;
}

/* CURLOPT_READFUNCTION: the message, as much as curl asks for. */
static size_t on_read(char *buffer, size_t size, size_t n, void *userdata) {
        struct mail_job *job = userdata;
        size_t room = size * n, left = job->len - job->offset;
        size_t take = left < room ? left : room;
        memcpy(buffer, job->text + job->offset, take);
        job->offset += take;
        return take;
}

/* Whether an EHLO line ("250-AUTH PLAIN LOGIN") names the keyword. */
static bool ehlo_keyword(const char *line, size_t len, const char *keyword) {
        size_t k = strlen(keyword);
        return len >= 4 + k && strncasecmp(line + 4, keyword, k) == 0 &&
               (len == 4 + k || line[4 + k] == ' ' || line[4 + k] == '=' || line[4 + k] == '\r' || line[4 + k] == '\n');
}

/* Copy a reply line for the audit: one line, no control characters. */
static void reply_copy(char *dst, const char *data, size_t len) {
        size_t out = 0;
        for (size_t i = 0; i < len && out < REPLY_MAX - 1; i++) {
                unsigned char c = (unsigned char) data[i];
                if (c == '\r' || c == '\n')
                        break;
                dst[out++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
        }
        dst[out] = 0;
}

/* CURLOPT_HEADERFUNCTION: curl hands every reply line of the relay here, in order. On a new session the
 * first reply is the greeting (220), then EHLO's; a second 220 is the go-ahead for TLS, and EHLO is
 * asked again. With a username configured, an EHLO reply that offers no AUTH (and no STARTTLS that curl
 * will use) stops the transfer before MAIL FROM: returning less than len makes curl give up. */
static size_t on_reply_line(char *data, size_t size, size_t n, void *userdata) {
        struct mail_job *job = userdata;
        size_t len = size * n;
        if (len < 3 || data[0] < '0' || data[0] > '9' || data[1] < '0' || data[1] > '9' || data[2] < '0' ||
            data[2] > '9')
                return len;
        long code = (data[0] - '0') * 100 + (data[1] - '0') * 10 + (data[2] - '0');
        if (job->in_ehlo) {
                job->ehlo_auth = job->ehlo_auth || ehlo_keyword(data, len, "AUTH");
                job->ehlo_starttls = job->ehlo_starttls || ehlo_keyword(data, len, "STARTTLS");
        }
        if (len > 3 && data[3] == '-')
                return len; /* more lines of this reply follow */
        if (code == 221)
                return len; /* the goodbye to QUIT when curl closes the session says nothing */
        job->last_code = code;
        reply_copy(job->last_reply, data, len);

        if (job->in_ehlo) {
                job->in_ehlo = code >= 500; /* EHLO refused: curl asks HELO next */
                if (code / 100 == 2 && job->need_auth && !job->ehlo_auth &&
                    !(job->ehlo_starttls && job->starttls && !job->tls_started)) {
                        job->auth_missing = job->ehlo_starttls ? AUTH_ONLY_AFTER_STARTTLS : AUTH_NOT_OFFERED;
                        return 0;
                }
        } else if (code == 220) {
                job->tls_started = job->greeted;
                job->greeted = true;
                job->in_ehlo = true;
                job->ehlo_auth = job->ehlo_starttls = false;
        } else if (code == 354) {
                job->data_started = true;
        } else if (job->data_started && !job->answer[0]) {
                reply_copy(job->answer, data, len);
        }
        return len;
}

/* Make the easy handle forget everything that points into the job, so that the job can be freed. */
static void mail_detach(CURL *easy) {
        curl_easy_setopt(easy, CURLOPT_READFUNCTION, NULL);
        curl_easy_setopt(easy, CURLOPT_READDATA, NULL);
        curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, NULL);
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, NULL);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, NULL);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
}

/* Set the transfer's options; any failure means this libcurl cannot do what the configuration asks. */
static int mail_options(struct mail_job *job, CURL *easy, const struct config *cfg) {
        long use_ssl = cfg->smtp_tls == SMTP_TLS_STARTTLS ? (long) CURLUSESSL_ALL
                       : cfg->smtp_tls == SMTP_TLS_TRY    ? (long) CURLUSESSL_TRY
                                                          : (long) CURLUSESSL_NONE;
        CURLcode c = CURLE_OK;

        job->error[0] = 0;
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job->error);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_URL, job->url);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_USE_SSL, use_ssl);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, cfg->smtp_verify ? 1L : 0L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, cfg->smtp_verify ? 2L : 0L);
        if (!c && !isempty(cfg->smtp_ca_file))
                c = curl_easy_setopt(easy, CURLOPT_CAINFO, cfg->smtp_ca_file);
        if (!c && !isempty(cfg->smtp_username)) {
                c = curl_easy_setopt(easy, CURLOPT_USERNAME, cfg->smtp_username);
                if (!c)
                        c = curl_easy_setopt(easy, CURLOPT_PASSWORD, cfg->smtp_password ? cfg->smtp_password : "");
        }
        if (!c && cfg->timeout_seconds > 0)
                c = curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long) cfg->timeout_seconds);
        /* curl waits for the reply to QUIT when it closes a session, and that wait obeys only this limit
         * (120 s by default): no reply may take longer than the whole transfer. */
        if (!c && cfg->timeout_seconds > 0)
                c = curl_easy_setopt(easy, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long) cfg->timeout_seconds);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_MAIL_FROM, job->mail_from);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, job->recipients);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, (curl_off_t) job->len);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_READDATA, job);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_reply_line);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_HEADERDATA, job);
        if (c == CURLE_OUT_OF_MEMORY)
                return -ENOMEM;
        return c == CURLE_OK ? 0 : -EOPNOTSUPP;
}

int mail_setup(CURL *easy, const struct config *cfg, const struct delivery *d, struct mail_job **ret) {
        _cleanup_free_ char *from_name = NULL, *from_address = NULL;
        const char *host;
        int r;

        if (!easy || !cfg || !d || !ret || isempty(cfg->smtp_url))
                return -EINVAL;
        if (!mail_address_valid(d->address) || !mail_token_valid(d->key, "._-"))
                return -EINVAL;
        r = mail_sender_parse(cfg->smtp_from, &from_name, &from_address);
        if (r < 0)
                return r;
        host = !isempty(cfg->hostname) ? cfg->hostname : strrchr(from_address, '@') + 1;
        if (!mail_token_valid(host, ".-"))
                return -EINVAL;

        struct mail_job *job = xcalloc(1, sizeof(*job));
        job->text = mail_text(&(struct mail_fields) {
                .from_name = from_name, .from_address = from_address,
                .to_name = d->to_name, .to_address = d->address,
                .subject = d->subject, .body = d->body,
                .key = d->key, .host = host, .date = d->created_at,
        });
        job->len = strlen(job->text);
        job->mail_from = xasprintf("<%s>", from_address);
        job->url = url_with_helo(cfg);
        job->need_auth = !isempty(cfg->smtp_username);
        job->starttls = cfg->smtp_tls != SMTP_TLS_NONE && strncmp(cfg->smtp_url, "smtps://", 8) != 0;
        _cleanup_free_ char *rcpt = xasprintf("<%s>", d->address);
        job->recipients = curl_slist_append(NULL, rcpt);
        r = !job->recipients ? -ENOMEM : !job->url ? -EINVAL : mail_options(job, easy, cfg);
        if (r < 0) {
                mail_detach(easy);
                mail_job_free(job);
                return r;
        }
        *ret = job;
        return 0;
}

void mail_job_rewind(struct mail_job *job) {
        job->offset = 0;
        job->greeted = job->tls_started = job->in_ehlo = job->ehlo_auth = job->ehlo_starttls = false;
        job->auth_missing = AUTH_FINE;
        job->data_started = false;
        job->last_code = 0;
        job->last_reply[0] = job->answer[0] = job->error[0] = 0;
}

bool mail_session_lost(struct mail_job *job, CURL *easy, CURLcode code) {
        long connects = 0;
        if (code == CURLE_OK || !job || job->data_started || job->greeted)
                return false;
        if (curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects) != CURLE_OK || connects > 0)
                return false;
        /* A session reused after the relay gave up on it: "421 ... timeout exceeded", "503 ... nested MAIL
         * command" (a refusal the session did not recover from), or no answer at all. */
        return job->last_code == 421 || job->last_code == 503 || code == CURLE_SEND_ERROR ||
               code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING;
}

/* Whether a refusal is about the sender's own setup (credentials, TLS) rather than this message. */
static bool reply_needs_operator(long code) {
        return code == 530 || code == 534 || code == 535 || code == 538;
}

void mail_result(struct mail_job *job, CURL *easy, CURLcode code, struct delivery_result *ret) {
        long reply_code = 0;
        _cleanup_free_ char *error = job && job->error[0]
                                             ? xasprintf("%s: %s", curl_easy_strerror(code), job->error)
                                             : xstrdup(curl_easy_strerror(code));
        const char *last = job && job->last_reply[0] ? job->last_reply : NULL;

        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply_code);
        bool refused = code != CURLE_OK && reply_code >= 400 && reply_code < 600;
        *ret = (struct delivery_result) {
                .verdict = DELIVERY_RETRY,
                .code = code == CURLE_OK || refused ? reply_code : 0,
        };

        if (code == CURLE_OK) {
                ret->verdict = DELIVERY_SENT;
                ret->reply = job && job->answer[0] ? xstrdup(job->answer)
                             : last                ? xstrdup(last)
                                                   : xasprintf("%ld", reply_code);
        } else if (job && job->auth_missing != AUTH_FINE) {
                ret->code = 0;
                ret->reply = xstrdup(job->auth_missing == AUTH_ONLY_AFTER_STARTTLS
                                             ? "not sent: the relay offers AUTH only after STARTTLS and smtp.tls is "
                                               "\"none\", and merzim never sends without the configured username "
                                               "(set smtp.tls = \"starttls\")"
                                             : "not sent: the relay offers no AUTH, and merzim never sends without "
                                               "the configured username (check smtp.url, smtp.tls and the relay)");
        } else if (code == CURLE_LOGIN_DENIED || (refused && reply_needs_operator(reply_code))) {
                /* The server turned down merzim's credentials or plain text, not this message: keep it
                 * for when the settings are fixed. */
                ret->reply = xasprintf("%s (check the smtp settings): %s", last ? last : "login refused", error);
        } else if (refused) {
                /* 503 is a command out of sequence: the session's fault, never the message's. */
                ret->verdict = reply_code >= 500 && reply_code != 503 ? DELIVERY_FAILED : DELIVERY_RETRY;
                ret->reply = last ? xstrdup(last) : xasprintf("%ld %s", reply_code, error);
        } else if (code == CURLE_SSL_CACERT_BADFILE) {
                ret->reply = xasprintf("the CA file cannot be used (check smtp ca_file): %s", error);
        } else if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_ISSUER_ERROR ||
                   code == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
                /* Retrying will not help until someone fixes the CA file or the server's certificate,
                 * but the message itself is fine: keep it. */
                ret->reply = xasprintf("certificate not trusted (check smtp ca_file and the server's "
                                       "certificate): %s", error);
        } else {
                ret->reply = xstrdup(error); /* no connection, TLS failure, timeout: try again later */
        }
        mail_detach(easy);
}

void mail_job_free(struct mail_job *job) {
        if (!job)
                return;
        free(job->text);
        curl_slist_free_all(job->recipients);
        free(job->mail_from);
        free(job->url);
        free(job);
}
