/* The step of a wake-up that turns due stages into messages in the outbox: on time, they go out as
 * scheduled; missed (the daemon was not running), they go into one catch-up digest per recipient or
 * are skipped, as the policy says; either way each occurrence moves on to its next stage. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "planner.h"
#include "policy.h"
#include "render.h"
#include "renderer.h"
#include "store.h"

struct notifier {
        struct store *store;
        const struct config *cfg;
        const struct calendar *calendar;
        const struct policy *policy;
        const struct templates *templates;
        struct planner *planner;
        /* Recipients (at one send instant each: a message, and its catch-up digest if any) whose messages are
         * made and written per step and transaction; 0: all of a wake-up's at once. Only a step's messages
         * and the occurrences they list are in memory, with a short record of each due occurrence. */
        size_t chunk;
        struct notifier_job *job; /* the wake-up under way, if its messages are not all written */
        /* If set, called for each message once it is in the outbox (its transaction committed), with its
         * notification's id: the preview collects what the daemon would send this way. */
        void (*written)(const struct message *m, int64_t notification_id, void *userdata);
        void *written_data;
        /* If set, called in each step's transaction before its rows are written (merzimd's writer records
         * delivery results there, under the same commit); a negative errno rolls the step back. */
        int (*in_transaction)(void *userdata);
        /* If set, called between groups of messages rendered, outside any transaction (merzimd's writer
         * records the results waiting there, so that deliveries need not wait for a whole chunk). */
        void (*while_rendering)(void *userdata);
        void *in_transaction_data; /* for both */
        /* If set, each chunk's successor is rendered there while the chunk is written. */
        struct renderer *renderer;
};

/* One step: read up to limit occurrences with a stage due by now (never splitting those due at one
 * instant), find whom each is told to, and write their messages, a chunk of recipients per step; with the last chunk, in the same transaction,
 * the occurrences move on to their next stage. Returns the number of messages written; *more is set if
 * there is more to do (the rest of the chunks, or more occurrences due). */
int notifier_run(struct notifier *n, int64_t now, size_t limit, bool *more);
/* Forget the wake-up under way (the configuration changed, or merzimd stops): what was written stays
 * in the outbox; the rest is worked out again from the database at the next step. */
void notifier_drop(struct notifier *n);
/* When the next stage of any pending occurrence is due, or INT64_MAX. */
int64_t notifier_next(struct store *s);
