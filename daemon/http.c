/* merzimd's HTTP interface: the server, requests, authentication and replies. */
#include "config.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

#include "http.h"
#include "log.h"

#define MAX_BODY (64 * 1024)
#define CONNECTION_TIMEOUT_SECONDS 15
#define CONNECTION_LIMIT 256
#define CONNECTION_MEMORY (64 * 1024)

struct http_server {
        struct MHD_Daemon *mhd;
        const struct config *cfg;
        const struct calendar *calendar;
        struct store *store; /* used only in libmicrohttpd's thread */
        int64_t offset;
};

/* What is known of a request between the calls libmicrohttpd makes for it. */
struct pending_request {
        struct buf body;
        bool too_big;
};

static enum MHD_Result reply(struct http_request *r, unsigned status, const char *type, char *data, size_t len) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(data);
                return MHD_NO;
        }
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

bool http_authenticate(struct http_request *r, bool allow_query_token, enum MHD_Result *result) {
        const char *auth = MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        const char *token = NULL;
        if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
                token = auth + 7;
        else if (allow_query_token)
                token = http_arg(r, "token");
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
        return true;
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
        return http_reply_error(r, MHD_HTTP_NOT_FOUND, "no such page: %s", r->url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **state) {
        struct http_server *s = cls;
        struct pending_request *p = *state;
        struct http_request r = {
                .connection = connection,
                .cfg = s->cfg,
                .calendar = s->calendar,
                .store = s->store,
                .url = url,
                .method = method,
                .now = (int64_t) time(NULL) + s->offset,
        };
        if (!p) {
                p = xcalloc(1, sizeof(*p));
                *state = p;
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
        if (p->too_big)
                return http_reply_error(&r, MHD_HTTP_CONTENT_TOO_LARGE, "the body is larger than %d bytes", MAX_BODY);
        r.body = p->body;
        if (!r.body.data)
                buf_puts(&p->body, ""), r.body = p->body;
        return route(&r);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **state,
                         enum MHD_RequestTerminationCode code) {
        struct pending_request *p = *state;
        if (p) {
                buf_free(&p->body);
                free(p);
                *state = NULL;
        }
}

_printf_(2, 0) static void on_mhd_error(void *cls, const char *fmt, va_list ap) {
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
        int r = store_open(cfg->database, 0, &s->store);
        if (r < 0) {
                free(s);
                return r;
        }
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO;
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        uint16_t port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *) &ss)->sin6_port
                                                       : ((struct sockaddr_in *) &ss)->sin_port);
        /* The logger first: libmicrohttpd warns of any option given before it. */
        s->mhd = MHD_start_daemon(flags, port, NULL, NULL, on_request, s,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, s,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &ss,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) CONNECTION_TIMEOUT_SECONDS,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) CONNECTION_LIMIT,
                                  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) 64,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) CONNECTION_MEMORY,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                                  MHD_OPTION_END);
        if (!s->mhd) {
                store_close(s->store);
                free(s);
                return log_error_errno(-EADDRNOTAVAIL, "http: cannot listen on %s", cfg->http_listen);
        }
        log_info("http: listening on %s (links point to %s)", cfg->http_listen, cfg->http_public_url);
        *ret = s;
        return 0;
}

void http_server_stop(struct http_server *s) {
        if (!s)
                return;
        MHD_stop_daemon(s->mhd);
        store_close(s->store);
        free(s);
}
