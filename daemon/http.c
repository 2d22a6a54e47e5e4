/* merzimd's HTTP interface: the server, requests, authentication and replies. */
#include "config.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "http-guard.h"
#include "http.h"
#include "log.h"

#define MAX_BODY (64 * 1024)
#define HTTP_THREADS 4              /* libmicrohttpd's workers: a slow feed or a locked database stalls one */
#define IDLE_TIMEOUT_SECONDS 30     /* an answer the client stopped reading */
#define CONNECTION_MEMORY (64 * 1024)
#define FDS_RESERVED 128            /* file descriptors kept for the rest of merzimd */
#define BUSY_TIMEOUT_MS 2000        /* a write waits this long for the lock, then 503 */
#define STORE_POOL_MAX (HTTP_THREADS * 2)
#define STREAMS_MAX 16              /* calendar feeds being sent at once */
#define LOG_BURST 10                /* libmicrohttpd's messages logged in a window, the rest counted */
#define LOG_WINDOW_USEC (60 * 1000000ULL)

struct http_server {
        struct MHD_Daemon *mhd;
        const struct config *cfg;
        const struct calendar *calendar;
        int64_t offset;
        struct http_guard *guard;
        pthread_mutex_t lock; /* the pool, the streams and the log window */
        struct store *pool[STORE_POOL_MAX]; /* database connections not in use: one per request at a time */
        size_t n_pool;
        unsigned streams;
        uint64_t log_window;
        unsigned log_count, log_dropped;
};

/* What is known of a request between the calls libmicrohttpd makes for it. */
struct pending_request {
        const char *raw_url; /* as it came, in libmicrohttpd's buffer, before the first call */
        size_t raw_len;      /* its length then, as a C string */
        bool started, nul_in_line;
        struct buf body;
        bool too_big;
        struct guarded_connection *conn;
};

static uint64_t mono_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* A database connection for one request: from the pool, or a new one. */
static struct store *store_take(struct http_server *s) {
        pthread_mutex_lock(&s->lock);
        struct store *st = s->n_pool ? s->pool[--s->n_pool] : NULL;
        pthread_mutex_unlock(&s->lock);
        if (!st && store_open(s->cfg->database, STORE_EXISTING, &st) >= 0)
                store_set_busy_timeout(st, BUSY_TIMEOUT_MS);
        return st;
}

static void store_give(struct http_server *s, struct store *st) {
        if (!st)
                return;
        store_idle(st); /* nothing is left open between requests */
        pthread_mutex_lock(&s->lock);
        if (s->n_pool < STORE_POOL_MAX) {
                s->pool[s->n_pool++] = st;
                st = NULL;
        }
        pthread_mutex_unlock(&s->lock);
        store_close(st);
}

static enum MHD_Result reply(struct http_request *r, unsigned status, const char *type, char *data, size_t len) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(data);
                return MHD_NO;
        }
        if (r->header_name)
                MHD_add_response_header(resp, r->header_name, r->header_value);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        if (status == MHD_HTTP_UNAUTHORIZED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"merzim\"");
        enum MHD_Result ret = MHD_queue_response(r->connection, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

enum MHD_Result http_reply_json(struct http_request *r, unsigned status, json_t *body) {
        char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(body);
        if (!text)
                text = xstrdup("{}");
        return reply(r, status, "application/json; charset=utf-8", text, strlen(text));
}

enum MHD_Result http_reply_error(struct http_request *r, unsigned status, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        return http_reply_json(r, status, json_pack("{s:s, s:i}", "error", msg, "status", (int) status));
}

enum MHD_Result http_reply_busy(struct http_request *r) {
        r->header_name = MHD_HTTP_HEADER_RETRY_AFTER;
        r->header_value = "5";
        return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is busy: try again in a few seconds");
}

enum MHD_Result http_reply_method_not_allowed(struct http_request *r, const char *allow) {
        r->header_name = MHD_HTTP_HEADER_ALLOW;
        r->header_value = allow;
        return http_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "use %s", allow);
}

enum MHD_Result http_reply_html(struct http_request *r, unsigned status, char *html) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(html), html, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(html);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                                                                 "form-action 'self'; img-src 'self' data:");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        enum MHD_Result ret = MHD_queue_response(r->connection, status, resp);
        MHD_destroy_response(resp);
        return ret;
}

enum MHD_Result http_reply_text(struct http_request *r, unsigned status, const char *content_type, char *text) {
        return reply(r, status, content_type, text, strlen(text));
}

const char *http_arg(struct http_request *r, const char *name) {
        return MHD_lookup_connection_value(r->connection, MHD_GET_ARGUMENT_KIND, name);
}

void html_escape(struct buf *b, const char *text) {
        for (const char *p = text ? text : ""; *p; p++) {
                switch (*p) {
                case '&':
                        buf_puts(b, "&amp;");
                        break;
                case '<':
                        buf_puts(b, "&lt;");
                        break;
                case '>':
                        buf_puts(b, "&gt;");
                        break;
                case '"':
                        buf_puts(b, "&quot;");
                        break;
                case '\'':
                        buf_puts(b, "&#39;");
                        break;
                default:
                        buf_putc(b, *p);
                }
        }
}

bool http_authenticate(struct http_request *r, enum http_access access, enum MHD_Result *result) {
        const char *auth = MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        const char *token = NULL;
        bool in_url = false;
        if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
                token = auth + 7;
        else if (access == HTTP_ACCESS_PAGE && (token = http_arg(r, "token")))
                in_url = true;
        if (isempty(token)) {
                *result = http_reply_error(r, MHD_HTTP_UNAUTHORIZED, "a bearer token is needed");
                return false;
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        char hex[65];
        EVP_Digest(token, strlen(token), md, &n, EVP_sha256(), NULL);
        for (unsigned i = 0; i < 32 && i < n; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
        r->token = config_token(r->cfg, hex);
        if (!r->token) {
                *result = http_reply_error(r, MHD_HTTP_UNAUTHORIZED, "this token is not known");
                return false;
        }
        /* A URL ends up in browser histories, calendar programs and proxy logs: only a token that changes
         * nothing may be in one. */
        if (in_url && !r->token->feed_only) {
                *result = http_reply_error(r, MHD_HTTP_FORBIDDEN,
                                           "this token can change occurrences: it may not be in a URL; make a "
                                           "feed token for subscriptions and pages (merzimctl token new ... --feed)");
                return false;
        }
        if (r->token->feed_only && access != HTTP_ACCESS_PAGE) {
                *result = http_reply_error(r, MHD_HTTP_FORBIDDEN,
                                           "a feed token reads the calendar feed and the status page only");
                return false;
        }
        return true;
}

/* A feed being sent: what was made of it and not yet taken by libmicrohttpd. */
struct stream {
        struct http_server *server;
        http_part_fn next;
        void (*free_source)(void *);
        void *source;
        struct buf made;
        size_t taken;
        bool more;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max) {
        struct stream *st = cls;
        /* What was given goes; what is left moves to the front. */
        if (st->taken) {
                memmove(st->made.data, st->made.data + st->taken, st->made.len - st->taken);
                st->made.len -= st->taken;
                st->taken = 0;
        }
        /* Make parts until there is a block to give, never much more. */
        if (st->more && st->made.len < max) {
                struct store *db = store_take(st->server);
                if (!db)
                        return MHD_CONTENT_READER_END_WITH_ERROR;
                while (st->more && st->made.len < max)
                        st->more = st->next(st->source, db, &st->made);
                store_give(st->server, db);
        }
        size_t n = st->made.len - st->taken;
        if (n == 0)
                return MHD_CONTENT_READER_END_OF_STREAM;
        n = n < max ? n : max;
        memcpy(out, st->made.data + st->taken, n);
        st->taken += n;
        return (ssize_t) n;
}

static void stream_free(void *cls) {
        struct stream *st = cls;
        st->free_source(st->source);
        buf_free(&st->made);
        pthread_mutex_lock(&st->server->lock);
        st->server->streams--;
        pthread_mutex_unlock(&st->server->lock);
        free(st);
}

enum MHD_Result http_reply_parts(struct http_request *r, const char *content_type, http_part_fn next,
                                 void (*free_source)(void *), void *source) {
        struct http_server *s = r->server;
        pthread_mutex_lock(&s->lock);
        bool room = s->streams < STREAMS_MAX;
        s->streams += room;
        pthread_mutex_unlock(&s->lock);
        if (!room) {
                free_source(source);
                return http_reply_busy(r);
        }
        struct stream *st = xcalloc(1, sizeof(*st));
        *st = (struct stream) {.server = s, .next = next, .free_source = free_source, .source = source, .more = true};
        struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, stream_read, st,
                                                                      stream_free);
        if (!resp) {
                stream_free(st);
                return MHD_NO;
        }
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        enum MHD_Result ret = MHD_queue_response(r->connection, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return ret;
}

/* Route a complete request to its handler. */
static enum MHD_Result route(struct http_request *r) {
        if (strncmp(r->url, "/v1/", 4) == 0)
                return api_handle(r);
        if (strncmp(r->url, "/confirm/", 9) == 0)
                return confirm_handle(r, r->url + 9);
        if (streq(r->url, "/status") || streq(r->url, "/"))
                return page_handle(r);
        if (streq(r->url, "/calendar.ics"))
                return feed_handle(r);
        return http_reply_error(r, MHD_HTTP_NOT_FOUND, "no such page");
}

/* The headers that frame a request's body, counted. */
struct framing {
        unsigned content_length, transfer_encoding;
        bool chunked;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
        struct framing *f = cls;
        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
                f->content_length++;
        if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
                f->transfer_encoding++;
                f->chunked = value && strcasecmp(value, "chunked") == 0;
        }
        return MHD_YES;
}

/* What is wrong with the request's framing or address (RFC 9112, section 6), or NULL: a body whose end
 * two parties could see in two places is refused, as it could smuggle a second request past a proxy. */
static const char *framing_problem(struct http_request *r, struct pending_request *p, unsigned *status) {
        struct framing f = {0};
        MHD_get_connection_values(r->connection, MHD_HEADER_KIND, count_framing, &f);
        *status = MHD_HTTP_BAD_REQUEST;
        if ((p->conn && p->conn->nul_in_url) || p->nul_in_line)
                return "a NUL byte (%00) in the address";
        if (f.content_length > 1)
                return "more than one Content-Length";
        if (f.transfer_encoding && f.content_length)
                return "both Transfer-Encoding and Content-Length";
        if (f.transfer_encoding > 1)
                return "more than one Transfer-Encoding";
        if (f.transfer_encoding && !f.chunked) {
                *status = MHD_HTTP_NOT_IMPLEMENTED;
                return "a Transfer-Encoding other than chunked";
        }
        return NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **state) {
        struct http_server *s = cls;
        struct pending_request *p = *state;
        struct http_request r = {
                .connection = connection,
                .server = s,
                .cfg = s->cfg,
                .calendar = s->calendar,
                .url = url,
                .method = method,
                .now = (int64_t) time(NULL) + s->offset,
        };
        if (!p) /* no log callback: cannot be, but then there is nothing to check the address with */
                *state = p = xcalloc(1, sizeof(*p));
        if (!p->started) {
                p->started = true;
                /* A NUL byte sent as it is ends the address as a C string: the request line's address ends
                 * where its version begins, and must not end before. */
                if (p->raw_url && version && *version && p->raw_url + p->raw_len + 1 != version)
                        p->nul_in_line = true;
                const union MHD_ConnectionInfo *ci =
                        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                p->conn = ci ? ci->socket_context : NULL;
                unsigned status;
                const char *problem = framing_problem(&r, p, &status);
                if (problem) {
                        p->too_big = true; /* whatever body follows is not read */
                        r.header_name = MHD_HTTP_HEADER_CONNECTION;
                        r.header_value = "close";
                        return http_reply_error(&r, status, "%s", problem);
                }
                /* Refuse an announced oversized body at once rather than reading it. */
                const char *length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (length && strtoull(length, NULL, 10) > MAX_BODY) {
                        p->too_big = true;
                        return http_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "the body is larger than %d bytes",
                                                MAX_BODY);
                }
                return MHD_YES;
        }
        if (*upload_size) {
                if (p->body.len + *upload_size > MAX_BODY)
                        p->too_big = true;
                else
                        buf_append(&p->body, upload_data, *upload_size);
                *upload_size = 0;
                return MHD_YES;
        }
        /* The request is whole: from here it takes what time it needs. */
        http_guard_request_whole(s->guard, p->conn);
        if (p->too_big)
                return http_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "the body is larger than %d bytes", MAX_BODY);
        r.body = p->body;
        if (!r.body.data)
                buf_puts(&p->body, ""), r.body = p->body;
        r.store = store_take(s);
        if (!r.store)
                return http_reply_error(&r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
        enum MHD_Result ret = route(&r);
        store_give(s, r.store);
        return ret;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **state,
                         enum MHD_RequestTerminationCode code) {
        struct http_server *s = cls;
        struct pending_request *p = *state;
        if (p) {
                /* Kept alive, the connection waits for its next request, with a deadline again. */
                if (code == MHD_REQUEST_TERMINATED_COMPLETED_OK)
                        http_guard_request_answered(s->guard, p->conn);
                buf_free(&p->body);
                free(p);
                *state = NULL;
        }
}

/* The first sight of a request, its address as it came: the start of what libmicrohttpd keeps of it. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *connection) {
        struct pending_request *p = xcalloc(1, sizeof(*p));
        p->raw_url = uri;
        p->raw_len = strlen(uri);
        return p;
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
        struct http_server *s = cls;
        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *ci = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
                *socket_context = ci ? http_guard_opened(s->guard, ci->connect_fd) : NULL;
        } else {
                http_guard_closed(s->guard, *socket_context);
                *socket_context = NULL;
        }
}

static int hex_digit(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode %XX in a path or query argument in place, as libmicrohttpd would, except %00: a C string would
 * end there (/v1/occurrences/6/done%00x would be /done), so it is kept as written and the request is
 * marked, to be refused. */
static size_t unescape(void *cls, struct MHD_Connection *connection, char *text) {
        char *w = text;
        for (const char *p = text; *p;) {
                int hi = p[0] == '%' ? hex_digit(p[1]) : -1, lo = hi >= 0 ? hex_digit(p[2]) : -1;
                if (lo < 0) {
                        *w++ = *p++;
                        continue;
                }
                if (hi == 0 && lo == 0) {
                        const union MHD_ConnectionInfo *ci =
                                MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                        struct guarded_connection *c = ci ? ci->socket_context : NULL;
                        if (c)
                                c->nul_in_url = true;
                        memmove(w, p, 3);
                        w += 3;
                } else {
                        *w++ = (char) (hi * 16 + lo);
                }
                p += 3;
        }
        *w = 0;
        return (size_t) (w - text);
}

/* libmicrohttpd's messages, at most LOG_BURST a minute: a flood of refused connections must not flood
 * the journal too. */
_printf_(2, 0) static void on_mhd_error(void *cls, const char *fmt, va_list ap) {
        struct http_server *s = cls;
        uint64_t now = mono_usec();
        pthread_mutex_lock(&s->lock);
        unsigned dropped = 0;
        if (now >= s->log_window + LOG_WINDOW_USEC) {
                dropped = s->log_dropped;
                s->log_window = now;
                s->log_count = s->log_dropped = 0;
        }
        bool show = s->log_count < LOG_BURST;
        if (show)
                s->log_count++;
        else
                s->log_dropped++;
        pthread_mutex_unlock(&s->lock);
        if (dropped)
                log_warning("http: %u more messages like these in the last minute were not logged", dropped);
        if (!show)
                return;
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        size_t n = strlen(msg);
        while (n > 0 && msg[n - 1] == '\n')
                msg[--n] = 0;
        log_warning("http: %s", msg);
}

/* "ADDRESS:PORT" (IPv4 or [IPv6]) as a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss) {
        const char *colon = strrchr(listen, ':');
        if (!colon)
                return -EINVAL;
        _cleanup_free_ char *host = xstrndup(listen, (size_t) (colon - listen));
        unsigned long port;
        if (parse_uint(colon + 1, 65535, &port) < 0)
                return -EINVAL;
        memset(ss, 0, sizeof(*ss));
        size_t n = strlen(host);
        if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
                host[n - 1] = 0;
                struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) ss;
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t) port);
                return inet_pton(AF_INET6, host + 1, &a6->sin6_addr) == 1 ? 0 : -EINVAL;
        }
        struct sockaddr_in *a4 = (struct sockaddr_in *) ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t) port);
        return inet_pton(AF_INET, host, &a4->sin_addr) == 1 ? 0 : -EINVAL;
}

/* How many connections the process can hold: the configured number, or what its file descriptors allow
 * (raised to the hard limit where it may be). */
static unsigned connection_limit(const struct config *cfg) {
        unsigned want = (unsigned) cfg->http_max_connections;
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return want;
        rlim_t need = (rlim_t) want + FDS_RESERVED;
        if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
                struct rlimit raised = {.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max, .rlim_max = rl.rlim_max};
                if (setrlimit(RLIMIT_NOFILE, &raised) >= 0)
                        rl = raised;
        }
        if (rl.rlim_cur >= need)
                return want;
        unsigned can = rl.rlim_cur > 2 * FDS_RESERVED ? (unsigned) (rl.rlim_cur - FDS_RESERVED) : FDS_RESERVED;
        log_notice("http: %u connections at most, not %u: merzimd may open %llu files (LimitNOFILE=)", can, want,
                   (unsigned long long) rl.rlim_cur);
        return can;
}

int http_server_start(const struct config *cfg, const struct calendar *cal, int64_t clock_offset,
                      struct http_server **ret) {
        struct sockaddr_storage ss;
        if (parse_listen(cfg->http_listen, &ss) < 0)
                return log_error_errno(-EINVAL, "http: cannot listen on \"%s\": not IPv4:PORT or [IPv6]:PORT",
                                       cfg->http_listen);
        struct http_server *s = xcalloc(1, sizeof(*s));
        s->cfg = cfg;
        s->calendar = cal;
        s->offset = clock_offset;
        pthread_mutex_init(&s->lock, NULL);
        /* One connection first: a database that cannot be opened is said at once. */
        struct store *first = store_take(s);
        unsigned limit = connection_limit(cfg);
        if (!first || http_guard_new(limit, &s->guard) < 0) {
                store_close(first);
                pthread_mutex_destroy(&s->lock);
                free(s);
                return -EIO;
        }
        store_give(s, first);
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        uint16_t port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                       : ((struct sockaddr_in *) &ss)->sin_port);
        /* The logger first: libmicrohttpd logs what the options after it do. */
        s->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, s,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, s,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
                                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned) HTTP_THREADS,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) IDLE_TIMEOUT_SECONDS,
                                  MHD_OPTION_CONNECTION_LIMIT, limit,
                                  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) cfg->http_max_connections_per_address,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY,
                                  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 1024,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
                                  MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
                                  MHD_OPTION_URI_LOG_CALLBACK, on_request_line, s,
                                  MHD_OPTION_STRICT_FOR_CLIENT, (int) 1,
                                  MHD_OPTION_END);
        if (!s->mhd) {
                http_server_stop(s);
                return log_error_errno(-EADDRNOTAVAIL, "http: cannot listen on %s", cfg->http_listen);
        }
        log_info("http: listening on %s (links point to %s), %u connections at most", cfg->http_listen,
                 cfg->http_public_url, limit);
        *ret = s;
        return 0;
}

void http_server_stop(struct http_server *s) {
        if (!s)
                return;
        if (s->mhd)
                MHD_stop_daemon(s->mhd);
        if (s->log_dropped)
                log_warning("http: %u more messages like these in the last minute were not logged", s->log_dropped);
        http_guard_free(s->guard);
        for (size_t i = 0; i < s->n_pool; i++)
                store_close(s->pool[i]);
        pthread_mutex_destroy(&s->lock);
        free(s);
}
