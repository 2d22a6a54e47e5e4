/* The coordinator's morning status: per agency what is overdue, what falls due soon and what was done on
 * time or late; totals per plan; and the deliveries the outbox has not managed. One JSON object, so that
 * merzimctl status and the daemon's status page show the same figures. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "conf.h"
#include "date.h"
#include "store.h"

/* "Due soon" means pending with the effective due date from today to today + this many days. */
#define STATUS_DUE_SOON_DAYS 30

/* Work out the status at instant now (dates are local days in the process's time zone) for plan_id, or
 * every plan if 0. cfg (may be NULL) gives agencies' full names. *ret gets an object:
 *   now, today, plan, due_soon_days,
 *   agencies: [{code, name, occurrences, pending, overdue, oldest_overdue, oldest_overdue_days, due_soon,
 *               done, done_on_time, done_late, waived}], worst first (an occurrence counts for each of
 *               its executors),
 *   plans: [{id, title, the same counts, undated}], totals: {the same counts, each occurrence once, undated
 *   (measures that wait for a date: undated, and none given yet)},
 *   outbox: {delivered_today (since local midnight), delivered_7_days (the 7 x 24 hours before now),
 *            pending, retrying, failed, problems: [{id, state, agency, kind, stage, channel, address,
 *            attempts, last_error, last_attempt_at, next_attempt_at}]}.
 * Returns 0 or a negative errno (logged). */
int status_build(struct store *s, const struct config *cfg, int64_t plan_id, int64_t now, json_t **ret);

/* How many days late an occurrence is on day today: done, the local day of done_at (an instant as the
 * store keeps it, may be NULL) after the effective due date; pending, today after it; 0 if not late.
 * Returns -1 when it does not apply (waived, or done at an unknown time). */
int status_days_late(const char *status, day_t effective_due, const char *done_at, day_t today);
