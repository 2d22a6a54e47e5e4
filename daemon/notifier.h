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
#include "store.h"

struct notifier {
        struct store *store;
        const struct config *cfg;
        const struct calendar *calendar;
        const struct policy *policy;
        const struct templates *templates;
        struct planner *planner;
};

/* Handle up to limit occurrences with a stage due by now, in one transaction. Returns the number of
 * messages written; *more is set if more occurrences are due. */
int notifier_run(struct notifier *n, int64_t now, size_t limit, bool *more);
/* When the next stage of any pending occurrence is due, or INT64_MAX. */
int64_t notifier_next(struct store *s);
