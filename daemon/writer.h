/* merzimd's writer: a thread with a database connection of its own that works through the schedule (plans
 * occurrences, writes each send time's messages to the outbox a chunk at a time) and records the results
 * of deliveries, so that the event loop only delivers and the two overlap on two cores. Changes by
 * others (merzimctl, the HTTP interface) are noticed through inotify on the database's directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "delivery.h"
#include "policy.h"
#include "render.h"

struct writer;

/* A delivery that is over, with its result, waiting to be recorded. Until it is, a crash only means it
 * is sent again, with its key. */
struct delivery_outcome {
        struct delivery d;
        struct delivery_result res;
        int64_t started, ended;
};

/* What the writer did since the event loop last asked. */
struct writer_news {
        int64_t *recorded;   /* outbox rows handed over whose results are now recorded (or could not be) */
        size_t n_recorded;
        size_t written;      /* messages written to the outbox ... */
        size_t rows[2];      /* ... and their outbox rows, by channel (CHANNEL_EMAIL, CHANNEL_WEBHOOK) */
        bool retried;        /* some of the results recorded are retried later */
        bool unrecorded;     /* some results could not be recorded: their rows are due again */
        bool changed;        /* someone else changed the database */
        bool scheduled;      /* the schedule is worked through up to now ... */
        int64_t next;        /* ... and its next stage is due then (INT64_MAX: none) */
        int error;           /* a step failed (negative errno) and is tried again later; 0 if none */
        int64_t retry_in;    /* seconds until then */
};

/* What the writer works with; it must stay as it is while the writer runs. */
struct writer_setup {
        const struct config *cfg;
        const struct calendar *calendar;
        const struct policy *policy;
        const struct templates *templates;
        const char *fingerprint;
        int64_t offset; /* the daemon's clock minus the real one, in seconds */
};

/* Open the writer's own connection to the database (errors are logged). */
int writer_new(const char *database, struct writer **ret);
/* The file descriptor that becomes readable when there is news (writer_take_news). */
int writer_news_fd(const struct writer *w);
/* Start the thread on setup s and have it work through the schedule at once. */
int writer_start(struct writer *w, const struct writer_setup *s);
/* Record these results (the writer takes what they hold). */
void writer_record(struct writer *w, struct delivery_outcome *v, size_t n);
/* Take the news; free it with writer_news_clear. */
void writer_take_news(struct writer *w, struct writer_news *ret);
void writer_news_clear(struct writer_news *n);
/* Stop the thread once the results handed over are recorded; a send time's messages not written yet are
 * written at the next start (by their keys, nothing twice). */
void writer_stop(struct writer *w);
/* Stop, and close the connection. */
void writer_free(struct writer *w);
