/* The messages the daemon would send over a window of time, worked out without sending anything by the
 * daemon's own code: its planner and notifier run on a copy of the database in memory, at each instant
 * it would wake up. What the preview lists is what merzimd writes to its outbox, catch-up digests, stage
 * labels and keys included. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "render.h"
#include "store.h"

struct preview_options {
        int64_t from, to;  /* the window */
        int64_t now;       /* the daemon starts at this instant ... */
        bool start;        /* ... and catches up on what it missed before it (else: it has always run) */
        const char *agency; /* only messages to or on behalf of this agency */
};

/* The messages in the window, in the order merzimd would write them, as a JSON array of objects: at,
 * kind, stage, recipient, channels, items (plan, measure, period, nominal_due, effective_due, stage,
 * by_agreement, forwarded_for, roles, days_left) and key. Nothing in s changes. */
int preview_run(struct store *s, const struct config *cfg, const struct calendar *cal, const struct templates *t,
                const struct preview_options *o, json_t **ret);
