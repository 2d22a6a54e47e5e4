/* The timeline of messages the daemon would send over a window of time, worked out without sending
 * by the policy and schedule code the daemon runs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "occurrences.h"
#include "policy.h"
#include "schedule.h"
#include "store.h"

struct preview_options {
        int64_t from, to;  /* the window */
        int64_t now;       /* the daemon starts at this instant ... */
        bool start;        /* ... and catches up on what it missed before it (else: it has always run) */
        const char *agency; /* only messages to or on behalf of this agency */
};

/* Fill sched with the messages in the window; they point into occs, which the caller clears after. */
int preview_build(struct store *s, const struct config *cfg, const struct calendar *cal, const struct policy *p,
                  const struct preview_options *o, struct occurrence_set *occs, struct schedule *sched);
