/* merzimd's HTTP interface (libmicrohttpd, off by default, on loopback unless configured otherwise):
 * the JSON API for agencies and the coordinator, one-click confirmation pages, the coordinator's
 * status page, and calendar feeds. It runs in libmicrohttpd's pool of threads, each request with a
 * database connection of its own (read-only requests never wait for a writer: the database is in WAL
 * mode; a write waits 2 s for the lock, then gets 503); what it changes, the event loop picks up like
 * any change by merzimctl. Slow clients are cut (http-guard.h), calendar feeds are sent a part at a time
 * as the client reads them. */
#pragma once

#include <jansson.h>
#include <microhttpd.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "store.h"
#include "util.h"

struct http_server;

/* Start serving cfg->http_listen. cfg and cal must outlive the server (stop it before replacing them).
 * clock_offset is added to the real time, for --now. */
int http_server_start(const struct config *cfg, const struct calendar *cal, int64_t clock_offset,
                      struct http_server **ret);
void http_server_stop(struct http_server *s);

/* What a handler gets: the server's state and the request. */
struct http_request {
        struct MHD_Connection *connection;
        struct http_server *server;
        const struct config *cfg;
        const struct calendar *calendar;
        struct store *store;
        const char *url;
        const char *method;
        struct buf body;
        int64_t now;
        const struct api_token *token; /* who is asking, once authenticated */
        const char *header_name, *header_value; /* one more header for the reply, if any */
};

/* Replies; each returns what the access handler must return. */
enum MHD_Result http_reply_json(struct http_request *r, unsigned status, json_t *body);
enum MHD_Result http_reply_error(struct http_request *r, unsigned status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* 503 with Retry-After: the database stayed locked by a writer for longer than a request waits. */
enum MHD_Result http_reply_busy(struct http_request *r);
/* 405 with the Allow header RFC 9110 asks for, e.g. "GET, HEAD". */
enum MHD_Result http_reply_method_not_allowed(struct http_request *r, const char *allow);
enum MHD_Result http_reply_html(struct http_request *r, unsigned status, char *html);
enum MHD_Result http_reply_text(struct http_request *r, unsigned status, const char *content_type, char *text);
/* 200 with a body made a part at a time as the client reads it: next appends the next part to out (with
 * a database connection lent for the while) and says whether more follow; free_source frees source once
 * the answer is over. At most 16 at once, then 503. */
typedef bool (*http_part_fn)(void *source, struct store *s, struct buf *out);
enum MHD_Result http_reply_parts(struct http_request *r, const char *content_type, http_part_fn next,
                                 void (*free_source)(void *), void *source);
/* What a request does, for the tokens it takes. */
enum http_access {
        HTTP_ACCESS_API,  /* the JSON API: a full token, in the Authorization header only */
        HTTP_ACCESS_PAGE, /* the calendar feed and the status page: also a feed token, also in ?token= */
};
/* Authenticate with "Authorization: Bearer TOKEN", or ?token= for a page; a token in a URL must be a
 * feed token, and a feed token is good for pages only. On failure the reply is queued and *result set.
 * Returns true if the request may go on. */
bool http_authenticate(struct http_request *r, enum http_access access, enum MHD_Result *result);
/* A query argument, or NULL. */
const char *http_arg(struct http_request *r, const char *name);
/* Append text to b with &, <, >, " and ' escaped for HTML. */
void html_escape(struct buf *b, const char *text);

/* The handlers (api.c, confirm.c, page.c). */
enum MHD_Result api_handle(struct http_request *r);
enum MHD_Result confirm_handle(struct http_request *r, const char *token);
enum MHD_Result page_handle(struct http_request *r);
enum MHD_Result feed_handle(struct http_request *r);
