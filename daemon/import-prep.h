/* What writing a measure needs that depends on the plan alone: its deadlines' rules as text and its
 * dated occurrences. A large import prepares them in a thread, ahead of the writer (ahead.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "date.h"
#include "deadline.h"
#include "import.h"
#include "roadmap.h"

/* The dates given to a measure's undated deadlines, kept while the cell says the same. */
struct kept_dates {
        char given[DATE_ISO_MAX], event[DATE_ISO_MAX]; /* "" if none */
};

/* An occurrence a measure's deadlines give, with its dates as stored. */
struct wanted {
        struct deadline_occurrence d;
        char nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
};

struct measure_prep {
        char *rule;       /* the deadline as understood (measure.rule) */
        char **due_rules; /* each deadline's rules (due.rule) */
        bool dated;       /* want is known: no deadline waits for a date given to it (kept_dates) */
        struct wanted *want;
        int n_want;       /* or a negative errno: deadline bad_due gives no dates */
        size_t bad_due;
};

struct preparer;

/* Prepare the plan's measures; in a thread for a plan of many. */
struct preparer *preparer_start(const struct roadmap *r, const struct import_options *o);
/* Measure i's preparation, made now if the thread has not. Measures are asked for in order, and one is
 * the caller's until it calls preparer_done for it: the thread may free it a window later. */
struct measure_prep *preparer_get(struct preparer *p, size_t i);
/* Measure i is written: what its preparation holds may be freed (now, or by the thread). */
void preparer_done(struct preparer *p, size_t i);
void preparer_stop(struct preparer *p);

/* A measure's occurrences with the dates kept for its undated deadlines (kept: by deadline, or NULL). */
int prep_wanted(const struct preparer *p, const struct roadmap_measure *m, const struct kept_dates *kept,
                struct wanted **ret, size_t *bad_due);
