/* The record of what was done: marking occurrences done, reopened or waived, with an audit row each. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct status_change {
        const char *status;  /* "done", "pending" (reopen) or "waived" */
        const char *actor;   /* who made the change, for the history */
        const char *done_by; /* the agency or person who reported it done; NULL if not known */
        const char *note;
        int64_t done_at; /* when it was done (done only) */
        int64_t now;
        bool unless_waived; /* refuse (-EPERM) to change a waived occurrence: only the coordinator may */
};

/* One row of an occurrence's history: who did what when, the status before and after. */
struct history_row {
        int64_t occurrence_id;
        const char *at;                     /* UTC, ISO 8601 */
        const char *actor, *action, *note;  /* note may be NULL */
        const char *old_status, *new_status; /* old_status NULL for "created" */
};

/* Write a history row, within the caller's transaction: 0 or a negative errno (logged). */
int ledger_history_add(struct store *s, const struct history_row *h);

/* Find the occurrence of a measure for a period. plan_id 0 means any plan; period NULL means the only
 * occurrence (or the only pending one). Problems are logged in words a user can act on; returns 0,
 * -ENOENT, or -EUCLEAN when the choice is ambiguous. */
int ledger_find(struct store *s, int64_t plan_id, int measure, const char *period, int64_t *ret);

/* Change an occurrence's status in one transaction with its history row (who, when, from what to what).
 * Returns 0, -EALREADY if it already had that status (nothing written), -EPERM if it is waived and
 * c->unless_waived, or a negative errno. */
int ledger_set_status(struct store *s, int64_t occurrence_id, const struct status_change *c);
