/* Loading occurrences with what messages about them need: the measure, its executors in order, the
 * report recipient, and the plan with its coordinator and supervisor (from the configuration when it
 * names them). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "schedule.h"
#include "store.h"

struct occurrence_set {
        struct plan_info *plans;
        size_t n_plans;
        struct occurrence_info *items;
        size_t n_items;
};

/* The occurrences with these ids (any status). */
int occurrences_load_ids(struct store *s, const struct config *cfg, const int64_t *ids, size_t n,
                         struct occurrence_set *ret);
/* The same with only what routing their messages needs: plans, executors and report recipients, no
 * names, periods, statuses or forms (NULL). */
int occurrences_load_routes(struct store *s, const struct config *cfg, const int64_t *ids, size_t n,
                            struct occurrence_set *ret);
const struct occurrence_info *occurrence_set_find(const struct occurrence_set *set, int64_t id);
void occurrence_set_clear(struct occurrence_set *set);
