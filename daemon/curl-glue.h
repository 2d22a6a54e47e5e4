/* libcurl's multi interface driven by sd-event: every transfer runs in the daemon's one event loop,
 * with no threads and no polling (sockets are watched with epoll, curl's timeouts by one timer). */
#pragma once

#include <curl/curl.h>
#include <stddef.h>
#include <systemd/sd-event.h>

struct curl_glue;

/* Called once when a transfer has finished, from the event loop; the caller owns easy again. */
typedef void (*curl_glue_done_fn)(struct curl_glue *g, CURL *easy, CURLcode result, void *userdata);

/* Transfers on event; connections are kept and reused between transfers to the same server. */
int curl_glue_new(sd_event *event, struct curl_glue **ret);

/* Start a transfer; done is called exactly once when it finishes (from the event loop, never from inside
 * curl_glue_add); the caller then owns the easy handle again (curl_easy_cleanup or reuse). While the
 * transfer runs its CURLOPT_PRIVATE belongs to the glue (the caller's value is put back before done).
 * done may add transfers (the same handle too) but must not free the glue. */
int curl_glue_add(struct curl_glue *g, CURL *easy, curl_glue_done_fn done, void *userdata);

/* Transfers still running. */
size_t curl_glue_in_flight(const struct curl_glue *g);

/* Keep up to n connections open between transfers, for the next transfer to the same server (libcurl's
 * default follows the transfers running, so that a lull closes the connections a burst had opened). */
void curl_glue_keep_connections(struct curl_glue *g, long n);

/* At most n connections to one host at a time (0: no limit, the default); transfers beyond wait. */
void curl_glue_set_max_host_connections(struct curl_glue *g, long n);

/* Abort everything still running (done is called with CURLE_ABORTED_BY_CALLBACK), then free. */
void curl_glue_free(struct curl_glue *g);
