/* Dates for undated deadlines: one the coordinator gives by hand (merzimctl due), or the date of the event
 * a relative deadline counts from (merzimctl event). The occurrence they give is reminded and escalated
 * like any other; the next import keeps it as long as the deadline's cell says the same. */
#pragma once

#include <stdint.h>

#include "calendar.h"
#include "deadline.h"
#include "store.h"

/* The occurrence of an undated deadline: on the date given (given, ISO), or counted by its relative rule
 * from the event's date (event, ISO). Returns 1 with *ret filled, 0 if neither gives one. */
int dating_occurrence(const char *stage, const struct deadline *rules, size_t n_rules, const char *given,
                      const char *event, const struct calendar *cal, struct deadline_occurrence *ret);
/* The canonical text of a deadline's rules: "RULE; RULE", or "undated" if it has none. */
void dating_format_rules(const struct deadline *rules, size_t n, char *buf, size_t len);

enum dating_kind {
        DATING_GIVEN, /* the coordinator gives the deadline itself */
        DATING_EVENT, /* the coordinator records the event a relative deadline counts from */
};

struct dating {
        enum dating_kind kind;
        int64_t plan_id; /* 0: the only plan with this measure */
        int measure;     /* its number */
        const char *stage; /* which deadline of a measure with several; NULL: the only undated one */
        day_t day;       /* the date given, or the event's */
        const char *actor, *note;
        int64_t now;
        const struct calendar *cal;
        enum due_shift shift;
};

/* What dating_set did, for the caller to say. */
struct dating_result {
        char period[128];
        char nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
        bool moved; /* an occurrence given before was moved, not created */
};

/* Give a measure's undated deadline its date, in one transaction with a history row. Problems are logged
 * in words a user can act on; returns 0, -ENOENT (no such measure or deadline), -EINVAL (the deadline
 * is not one this kind of date applies to), -EUCLEAN (ambiguous) or a negative errno. */
int dating_set(struct store *s, const struct dating *d, struct dating_result *ret);
