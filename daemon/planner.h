/* Working out each pending occurrence's next stage ahead of time, so that a wake-up of the daemon
 * only reads the few occurrences that are due (an index on the next send time). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "policy.h"
#include "store.h"

struct planner {
        struct store *store;
        const struct policy *policy;
        const struct calendar *calendar;
        enum due_shift due_shift;
        int64_t rev; /* the policy revision: occurrences planned under an older one are planned again */
};

/* The policy revision for this policy: the stored one if the fingerprint is the same, else the next
 * (which makes every pending occurrence be planned again). */
int planner_revision(struct store *s, const char *fingerprint, int64_t *ret);
/* Plan up to limit occurrences whose plan is out of date, in one transaction. Returns how many were
 * planned (limit means: there may be more), or a negative errno. */
int planner_run(struct planner *pl, int64_t now, size_t limit);
/* Record that stage st of occurrence id was handled: "told" (in notification_id) or "missed". Runs
 * inside the caller's transaction. */
int planner_record_stage(struct planner *pl, int64_t id, const struct stage *st, const char *state,
                         int64_t notification_id, int64_t now);
/* Set an occurrence's next stage (NULL: none), as planned under the planner's revision. */
int planner_set_next(struct planner *pl, int64_t id, const struct stage *next);
