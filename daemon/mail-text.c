/* The text of an e-mail as merzim sends it: headers that text from plans and the configuration cannot
 * break out of, and one text/plain part in UTF-8 (base64, or quoted-printable for mostly ASCII text). */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "mail-text.h"
#include "utf8.h"
#include "util.h"

#define HEADER_LINE_MAX 78  /* RFC 5322: lines SHOULD be at most 78 characters */
#define ENCODED_WORD_BYTES 42 /* UTF-8 bytes per encoded-word: 56 base64 characters, 68 in all */
#define PLAIN_WORD_MAX 60   /* a longer word in plain text could not be folded; it is encoded instead */
#define ADDRESS_MAX 254
#define TOKEN_MAX 255
#define BODY_LINE_MAX 76    /* RFC 2045: encoded lines are at most 76 characters */

/* Whether an address is one plain mailbox that cannot break out of MAIL FROM, RCPT TO or a header. */
bool mail_address_valid(const char *a) {
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
bool mail_token_valid(const char *s, const char *extra) {
        if (isempty(s) || strlen(s) > TOKEN_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
                    !strchr(extra, *p))
                        return false;
        return true;
}

/* Split the configured sender, "merzim <merzim@host>" or "merzim@host", into name and address. */
int mail_sender_parse(const char *from, char **ret_name, char **ret_address) {
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
        if (!mail_address_valid(address))
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

/* The body as it is sent: every line ending in CRLF (the last one too), malformed UTF-8 replaced. */
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
        if (b.len > 0 && b.data[b.len - 1] != '\n')
                buf_puts(&b, "\r\n");
        buf_puts(&b, "");
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

/* Text as base64 in lines of 76 characters. */
static char *base64_lines(const char *s) {
        struct buf b = {0};
        buf_puts(&b, "");
        size_t n = strlen(s), per_line = BODY_LINE_MAX / 4 * 3;
        for (size_t i = 0; i < n; i += per_line) {
                base64_append(&b, (const unsigned char *) s + i, n - i < per_line ? n - i : per_line);
                buf_puts(&b, "\r\n");
        }
        return buf_steal(&b);
}

char *mail_quoted_printable(const char *text) {
        static const char hex[] = "0123456789ABCDEF";
        struct buf b = {0};
        buf_puts(&b, "");
        for (const char *line = text; *line;) {
                const char *eol = strstr(line, "\r\n");
                size_t len = eol ? (size_t) (eol - line) : strlen(line);
                size_t column = 0;
                for (size_t i = 0; i < len; i++) {
                        unsigned char c = (unsigned char) line[i];
                        bool last = i + 1 == len;
                        /* Spaces stay, except at the end of a line, where transports may drop them. */
                        bool literal = (c == ' ' || c == '\t') ? !last : (c >= 33 && c <= 126 && c != '=');
                        size_t width = literal ? 1 : 3;
                        /* A soft line break ("=") ends every line but the last piece of an input line. */
                        if (column + width > (last ? BODY_LINE_MAX : BODY_LINE_MAX - 1)) {
                                buf_puts(&b, "=\r\n");
                                column = 0;
                        }
                        if (literal) {
                                buf_putc(&b, (char) c);
                        } else {
                                buf_putc(&b, '=');
                                buf_putc(&b, hex[c >> 4]);
                                buf_putc(&b, hex[c & 15]);
                        }
                        column += width;
                }
                buf_puts(&b, "\r\n");
                line = eol ? eol + 2 : line + len;
        }
        return buf_steal(&b);
}

/* Append one header line (folded where the value allows) and its CRLF. */
static void header_put(struct buf *b, const char *name, const char *value) {
        _cleanup_free_ char *line = header_fold(name, value);
        buf_puts(b, line);
        buf_puts(b, "\r\n");
}

char *mail_text(const struct mail_fields *f) {
        char date[64];
        _cleanup_free_ char *from = mailbox_format(f->from_name, f->from_address);
        _cleanup_free_ char *to = mailbox_format(f->to_name, f->to_address);
        _cleanup_free_ char *subject = mail_encode_header(f->subject ? f->subject : "");
        _cleanup_free_ char *body = body_normalize(f->body ? f->body : "");
        bool qp = text_mostly_ascii(body);
        _cleanup_free_ char *encoded = qp ? mail_quoted_printable(body) : base64_lines(body);

        struct buf b = {0};
        date_format_rfc5322(f->date, date, sizeof(date));
        buf_printf(&b, "Date: %s\r\n", date);
        header_put(&b, "From", from);
        header_put(&b, "To", to);
        header_put(&b, "Subject", subject);
        buf_printf(&b, "Message-ID: <%s@%s>\r\n", f->key, f->host);
        buf_puts(&b, "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=UTF-8\r\n");
        buf_printf(&b, "Content-Transfer-Encoding: %s\r\n", qp ? "quoted-printable" : "base64");
        buf_puts(&b, "Auto-Submitted: auto-generated\r\n");
        buf_printf(&b, "X-Merzim-Key: %s\r\n", f->key);
        buf_puts(&b, "\r\n");
        buf_puts(&b, encoded);
        return buf_steal(&b);
}
