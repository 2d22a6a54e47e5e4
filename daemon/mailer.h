/* E-mail has a thread of its own. libcurl's SMTP code waits for the server's answer to the end of a
 * message (and to QUIT) without going back to the event loop, so a slow mail server would stall the
 * schedule and every webhook. The thread runs its own sd-event loop and curl multi handle; transfers
 * are handed to it whole and handed back whole, so no easy handle is ever used by two threads. One
 * thread for all e-mail, never a thread per message. */
#pragma once

#include <curl/curl.h>
#include <stddef.h>
#include <systemd/sd-event.h>

struct mailer;

/* Called in the thread of the event loop given to mailer_new, once per transfer. */
typedef void (*mailer_done_fn)(CURL *easy, CURLcode result, void *userdata);

/* Start the mail thread; results come back through event. curl_global_init must have been called. */
int mailer_new(sd_event *event, struct mailer **ret);
/* Hand over a transfer set up on easy; done is called when it is over. */
int mailer_add(struct mailer *m, CURL *easy, mailer_done_fn done, void *userdata);
/* Stop the thread: transfers still running are aborted (CURLE_ABORTED_BY_CALLBACK) and every done is
 * called before this returns. */
void mailer_free(struct mailer *m);
