/* E-mail sessions, each in a thread of its own. libcurl's SMTP code waits for the relay's answer to the
 * end of a message (and to QUIT) without going back to any event loop, so one thread driving every
 * session through a multi handle would let one slow answer stall all the others until they time out.
 * Here each SMTP session (up to smtp.max_connections) is a thread with its own connection, kept
 * between messages and closed with QUIT once it has been idle smtp.idle_seconds, after any failure, and
 * at exit. A message that fails because the relay had already closed a reused session goes again at
 * once on a new one. Transfers are handed to a session whole and handed back whole, so no easy handle
 * is ever used by two threads at once. */
#pragma once

#include <curl/curl.h>
#include <stddef.h>
#include <systemd/sd-event.h>

struct mailer;
struct mail_job;

/* Called in the thread of the event loop given to mailer_new, once per transfer. */
typedef void (*mailer_done_fn)(CURL *easy, CURLcode result, void *userdata);

/* Start the sessions; results come back through event. curl_global_init must have been called. */
int mailer_new(sd_event *event, int max_connections, int idle_seconds, struct mailer **ret);
/* New limits (after a reload): more sessions start at once; sessions beyond the new maximum finish
 * their message, then close. */
int mailer_configure(struct mailer *m, int max_connections, int idle_seconds);
/* Hand over a transfer set up on easy by mail_setup (job); done is called when it is over. */
int mailer_add(struct mailer *m, CURL *easy, struct mail_job *job, mailer_done_fn done, void *userdata);
/* Sessions with a connection open, for tests and the status line. */
size_t mailer_open_sessions(struct mailer *m);
/* Stop: transfers still running are aborted (CURLE_ABORTED_BY_CALLBACK, within a second), those not
 * started are handed back the same way, open sessions are closed with QUIT, and every done is called
 * before this returns. */
void mailer_free(struct mailer *m);
