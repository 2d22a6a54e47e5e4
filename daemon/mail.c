/* E-mail through libcurl's SMTP and MIME API: one message to one recipient, with headers that text from
 * plans and configuration cannot break out of, and what the server's reply means for the delivery. */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "delivery.h"
#include "utf8.h"
#include "util.h"

#define HEADER_LINE_MAX 78  /* RFC 5322: lines SHOULD be at most 78 characters */
#define ENCODED_WORD_BYTES 42 /* UTF-8 bytes per encoded-word: 56 base64 characters, 68 in all */
#define PLAIN_WORD_MAX 60   /* a longer word in plain text could not be folded; it is encoded instead */
#define ADDRESS_MAX 254
#define TOKEN_MAX 255
#define REPLY_MAX 256

struct mail_job {
        curl_mime *mime;
        struct curl_slist *headers;
        struct curl_slist *recipients;
        char *mail_from; /* "<address>" for MAIL FROM */
        char last_reply[REPLY_MAX];
        char error[CURL_ERROR_SIZE];
};

/* Whether an address is one plain mailbox that cannot break out of MAIL FROM, RCPT TO or a header. */
static bool address_valid(const char *a) {
        if (isempty(a) || strlen(a) > ADDRESS_MAX)
                return false;
        const char *at = strrchr(a, '@');
        if (!at || at == a || at[1] == 0)
                return false;
        for (const unsigned char *p = (const unsigned char *) a; *p; p++)
                if (*p <= ' ' || *p >= 0x7f || strchr("<>()[]\\,;:\"", *p))
                        return false;
        return true;
}

/* Whether a key or host name may go into a header or a Message-ID as it is. */
static bool token_valid(const char *s, const char *extra) {
        if (isempty(s) || strlen(s) > TOKEN_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
                    !strchr(extra, *p))
                        return false;
        return true;
}

/* Split the configured sender, "merzim <merzim@host>" or "merzim@host", into name and address. */
static int sender_parse(const char *from, char **ret_name, char **ret_address) {
        _cleanup_free_ char *text = xstrdup(isempty(from) ? "" : from);
        _cleanup_free_ char *name = NULL, *address = NULL;
        char *lt = strrchr(text, '<');
        if (lt) {
                char *gt = strchr(lt, '>');
                if (!gt || !isempty(strstrip(gt + 1)))
                        return -EINVAL;
                address = xstrndup(lt + 1, (size_t) (gt - lt - 1));
                *lt = 0;
                name = xstrdup(strstrip(text));
                size_t n = strlen(name);
                if (n >= 2 && name[0] == '"' && name[n - 1] == '"') {
                        memmove(name, name + 1, n - 2);
                        name[n - 2] = 0;
                }
        } else {
                address = xstrdup(strstrip(text));
        }
        if (!address_valid(address))
                return -EINVAL;
        *ret_name = NULL;
        if (!isempty(name)) {
                *ret_name = name;
                name = NULL;
        }
        *ret_address = address;
        address = NULL;
        return 0;
}

/* Append base64 of n bytes. */
static void base64_append(struct buf *b, const unsigned char *s, size_t n) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (size_t i = 0; i < n; i += 3) {
                uint32_t v = (uint32_t) s[i] << 16;
                if (i + 1 < n)
                        v |= (uint32_t) s[i + 1] << 8;
                if (i + 2 < n)
                        v |= s[i + 2];
                buf_putc(b, alphabet[(v >> 18) & 63]);
                buf_putc(b, alphabet[(v >> 12) & 63]);
                buf_putc(b, i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
                buf_putc(b, i + 2 < n ? alphabet[v & 63] : '=');
        }
}

/* Text for one header line: valid UTF-8, every run of control characters (CR and LF among them) or
 * line separators turned into one space. */
static char *header_text_clean(const char *s) {
        struct buf b = {0};
        const char *end = s + strlen(s);
        bool in_control = false;
        while (s < end) {
                int32_t cp = utf8_decode(&s, end);
                bool control = cp >= 0 && (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029);
                if (control) {
                        if (!in_control)
                                buf_putc(&b, ' ');
                } else {
                        utf8_encode(&b, cp < 0 ? 0xFFFD : (uint32_t) cp);
                }
                in_control = control;
        }
        return buf_steal(&b);
}

/* Whether clean text can stand in a header as it is: printable ASCII that no decoder would take for an
 * encoded-word, in words short enough to fold. */
static bool header_text_plain(const char *s) {
        size_t word = 0;
        if (strstr(s, "=?"))
                return false;
        for (const char *p = s; *p; p++) {
                if (*p < 0x20 || *p > 0x7e)
                        return false;
                word = *p == ' ' ? 0 : word + 1;
                if (word > PLAIN_WORD_MAX)
                        return false;
        }
        return true;
}

char *mail_encode_header(const char *utf8) {
        _cleanup_free_ char *text = header_text_clean(utf8 ? utf8 : "");
        if (header_text_plain(text)) {
                char *plain = text;
                text = NULL;
                return plain;
        }

        struct buf b = {0};
        const char *p = text, *end = text + strlen(text);
        while (p < end) {
                const char *word = p;
                while (p < end) {
                        const char *next = p;
                        utf8_decode(&next, end);
                        if (next - word > ENCODED_WORD_BYTES)
                                break;
                        p = next;
                }
                if (b.len > 0)
                        buf_putc(&b, ' ');
                buf_puts(&b, "=?UTF-8?B?");
                base64_append(&b, (const unsigned char *) word, (size_t) (p - word));
                buf_puts(&b, "?=");
        }
        return buf_steal(&b);
}

/* One header line, "Name: value", folded at spaces so that no line is longer than 78 characters where
 * the value allows it. */
static char *header_fold(const char *name, const char *value) {
        struct buf b = {0};
        buf_printf(&b, "%s:", name);
        size_t line = b.len;
        bool first = true;
        for (const char *p = value;;) {
                const char *space = strchr(p, ' ');
                size_t n = space ? (size_t) (space - p) : strlen(p);
                if (!first && n > 0 && line + 1 + n > HEADER_LINE_MAX) {
                        buf_puts(&b, "\r\n");
                        line = 0;
                }
                buf_putc(&b, ' ');
                buf_append(&b, p, n);
                line += 1 + n;
                first = false;
                if (!space)
                        break;
                p = space + 1;
        }
        return buf_steal(&b);
}

/* A mailbox for From: or To:, the display name quoted if ASCII and encoded if not. */
static char *mailbox_format(const char *name, const char *address) {
        _cleanup_free_ char *clean = header_text_clean(name ? name : "");
        strstrip(clean);
        if (isempty(clean))
                return xasprintf("<%s>", address);
        if (header_text_plain(clean)) {
                struct buf b = {0};
                buf_putc(&b, '"');
                for (const char *p = clean; *p; p++) {
                        if (*p == '"' || *p == '\\')
                                buf_putc(&b, '\\');
                        buf_putc(&b, *p);
                }
                buf_printf(&b, "\" <%s>", address);
                return buf_steal(&b);
        }
        /* RFC 2047 forbids encoded-words inside a quoted string: they stand alone as the phrase. */
        _cleanup_free_ char *encoded = mail_encode_header(clean);
        return xasprintf("%s <%s>", encoded, address);
}

/* The Date: header value for a moment, in RFC 5322 form and UTC. */
static void date_format_rfc5322(int64_t when, char *buf, size_t size) {
        static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        time_t t = (time_t) when;
        struct tm tm;
        if (!gmtime_r(&t, &tm)) {
                t = 0;
                gmtime_r(&t, &tm);
        }
        snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
                 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The body as the MIME part sends it: lines ending in CRLF, malformed UTF-8 replaced. */
static char *body_normalize(const char *s) {
        struct buf b = {0};
        const char *end = s + strlen(s);
        while (s < end) {
                if (*s == '\r' || *s == '\n') {
                        buf_puts(&b, "\r\n");
                        s += (s[0] == '\r' && s + 1 < end && s[1] == '\n') ? 2 : 1;
                        continue;
                }
                int32_t cp = utf8_decode(&s, end);
                utf8_encode(&b, cp < 0 ? 0xFFFD : (uint32_t) cp);
        }
        return buf_steal(&b);
}

/* Whether text is mostly ASCII: quoted-printable keeps such text readable, while Kazakh or Russian
 * text is about a third of the size in base64. */
static bool text_mostly_ascii(const char *s) {
        size_t total = 0, high = 0;
        for (; *s; s++, total++)
                high += (unsigned char) *s >= 0x80;
        return high * 4 <= total;
}

/* Add a header line to the job's list. */
static void header_add(struct mail_job *job, char *line) {
        struct curl_slist *l = curl_slist_append(job->headers, line);
        free(line);
        if (!l)
                abort(); /* out of memory, as xmalloc would */
        job->headers = l;
}

/* Keep the server's last reply line, for the audit: curl hands SMTP replies to the header callback. */
static size_t on_reply_line(char *data, size_t size, size_t n, void *userdata) {
        struct mail_job *job = userdata;
        size_t len = size * n, out = 0;
        if (len < 3 || data[0] < '0' || data[0] > '9')
                return len;
        if (strncmp(data, "221", 3) == 0)
                return len; /* the goodbye to QUIT when curl closes the connection says nothing */
        for (size_t i = 0; i < len && out < sizeof(job->last_reply) - 1; i++) {
                unsigned char c = (unsigned char) data[i];
                if (c == '\r' || c == '\n')
                        break;
                job->last_reply[out++] = (c < 0x20 || c == 0x7f) ? ' ' : (char) c;
        }
        job->last_reply[out] = 0;
        return len;
}

/* Make the easy handle forget everything that points into the job, so that the job can be freed. */
static void mail_detach(CURL *easy) {
        curl_easy_setopt(easy, CURLOPT_MIMEPOST, NULL);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, NULL);
        curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, NULL);
        curl_easy_setopt(easy, CURLOPT_HEADERDATA, NULL);
        curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, NULL);
}

/* The MIME message: headers in the top-level list, one text/plain part in quoted-printable or base64. */
static int mail_build(struct mail_job *job, CURL *easy, const struct delivery *d, const char *from_name,
                      const char *from_address, const char *host) {
        char date[64];
        _cleanup_free_ char *from = mailbox_format(from_name, from_address);
        _cleanup_free_ char *to = mailbox_format(d->to_name, d->address);
        _cleanup_free_ char *subject = mail_encode_header(d->subject ? d->subject : "");
        _cleanup_free_ char *body = body_normalize(d->body ? d->body : "");

        date_format_rfc5322(d->created_at, date, sizeof(date));
        header_add(job, xasprintf("Date: %s", date));
        header_add(job, header_fold("From", from));
        header_add(job, header_fold("To", to));
        header_add(job, header_fold("Subject", subject));
        header_add(job, xasprintf("Message-ID: <%s@%s>", d->key, host));
        header_add(job, xstrdup("MIME-Version: 1.0"));
        header_add(job, xstrdup("Auto-Submitted: auto-generated"));
        header_add(job, xasprintf("X-Merzim-Key: %s", d->key));

        job->mime = curl_mime_init(easy);
        if (!job->mime)
                return -ENOMEM;
        curl_mimepart *part = curl_mime_addpart(job->mime);
        if (!part)
                return -ENOMEM;
        if (curl_mime_data(part, body, CURL_ZERO_TERMINATED) != CURLE_OK || /* curl copies it */
            curl_mime_type(part, "text/plain; charset=UTF-8") != CURLE_OK ||
            curl_mime_encoder(part, text_mostly_ascii(body) ? "quoted-printable" : "base64") != CURLE_OK)
                return -ENOMEM;
        return 0;
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
                c = curl_easy_setopt(easy, CURLOPT_URL, cfg->smtp_url);
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
        /* curl waits for the reply to QUIT when it closes a connection after a failure, and that wait
         * obeys only this limit (120 s by default): no reply may take longer than the whole transfer. */
        if (!c && cfg->timeout_seconds > 0)
                c = curl_easy_setopt(easy, CURLOPT_SERVER_RESPONSE_TIMEOUT, (long) cfg->timeout_seconds);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_MAIL_FROM, job->mail_from);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_MAIL_RCPT, job->recipients);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, job->headers);
        if (!c)
                c = curl_easy_setopt(easy, CURLOPT_MIMEPOST, job->mime);
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
        if (!address_valid(d->address) || !token_valid(d->key, "._-"))
                return -EINVAL;
        r = sender_parse(cfg->smtp_from, &from_name, &from_address);
        if (r < 0)
                return r;
        host = !isempty(cfg->hostname) ? cfg->hostname : strrchr(from_address, '@') + 1;
        if (!token_valid(host, ".-"))
                return -EINVAL;

        struct mail_job *job = xcalloc(1, sizeof(*job));
        job->mail_from = xasprintf("<%s>", from_address);
        _cleanup_free_ char *rcpt = xasprintf("<%s>", d->address);
        job->recipients = curl_slist_append(NULL, rcpt);
        r = job->recipients ? mail_build(job, easy, d, from_name, from_address, host) : -ENOMEM;
        if (r >= 0)
                r = mail_options(job, easy, cfg);
        if (r < 0) {
                mail_detach(easy);
                mail_job_free(job);
                return r;
        }
        *ret = job;
        return 0;
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
                ret->reply = last ? xstrdup(last) : xasprintf("%ld", reply_code);
        } else if (code == CURLE_LOGIN_DENIED || (refused && reply_needs_operator(reply_code))) {
                /* The server turned down merzim's credentials or plain text, not this message: keep it
                 * for when the settings are fixed. */
                ret->reply = xasprintf("%s (check the smtp settings): %s", last ? last : "login refused", error);
        } else if (refused) {
                ret->verdict = reply_code >= 500 ? DELIVERY_FAILED : DELIVERY_RETRY;
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
        curl_mime_free(job->mime);
        curl_slist_free_all(job->headers);
        curl_slist_free_all(job->recipients);
        free(job->mail_from);
        free(job);
}
