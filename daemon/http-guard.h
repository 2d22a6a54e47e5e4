/* The slow-client guard of merzimd's HTTP interface. libmicrohttpd's own timeout is for idleness: a
 * client that sends a byte of its headers every few seconds is never idle and holds its connection for
 * ever, and a few hundred such clients hold them all. The guard gives every connection a deadline
 * for a whole request (headers and body): HTTP_GUARD_SECONDS after it opened, or after the answer to
 * its previous request; when more than half of the connections are taken, HTTP_GUARD_BUSY_SECONDS. A
 * connection past its deadline is shut down, which libmicrohttpd then closes. A request that has
 * arrived whole has no deadline: its answer may take as long as it needs to be read. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define HTTP_GUARD_SECONDS 10
#define HTTP_GUARD_BUSY_SECONDS 2

/* What the guard knows of a connection: libmicrohttpd's socket context. */
struct guarded_connection {
        struct guarded_connection *prev, *next; /* among those waiting for a whole request */
        uint64_t since;                         /* CLOCK_MONOTONIC, µs, since it has been waiting */
        int fd;
        bool waiting, cut;
        bool nul_in_url; /* for http.c: the request's address had a %00 */
};

struct http_guard;

/* Start the guard's thread; connection_limit is what libmicrohttpd allows in all. */
int http_guard_new(unsigned connection_limit, struct http_guard **ret);
/* Stop it: after libmicrohttpd has stopped, when no connection is left. */
void http_guard_free(struct http_guard *g);

/* A connection opened (the request deadline starts) or closed (the guard forgets it). */
struct guarded_connection *http_guard_opened(struct http_guard *g, int fd);
void http_guard_closed(struct http_guard *g, struct guarded_connection *c);
/* A request arrived whole (no deadline until it is answered), and it was answered (the next one has). */
void http_guard_request_whole(struct http_guard *g, struct guarded_connection *c);
void http_guard_request_answered(struct http_guard *g, struct guarded_connection *c);
/* How many connections were cut for being too slow, since the start. */
uint64_t http_guard_cut_count(struct http_guard *g);
