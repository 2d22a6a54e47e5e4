/* The execution report a coordinator sends up: one row per occurrence (a measure in one period), with
 * its executors, dates, status, lateness and the reminders and escalations delivered about it; written
 * as JSON, CSV (RFC 4180) or a Markdown table. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

struct report_options {
        int64_t plan_id;        /* 0: every plan */
        const char *from, *to;  /* effective due dates "YYYY-MM-DD", inclusive; NULL: open */
        int64_t now;            /* for the lateness of what is still pending */
};

/* The rows, ordered by plan, measure number and due date, as an array of objects: plan, measure, period,
 * name, executors ([{code, by_agreement}], lead first), nominal_due, effective_due, status, done_at (the
 * local date), done_by, days_late (null for waived), reminders_sent and escalations_sent (how many
 * distinct stages, reminders "30d", "7d", "1d", "due" and escalations "+1wd", "+7d"..., reached at
 * least one recipient: a message listing the occurrence at that stage was delivered on some channel).
 * Returns 0 or a negative errno (logged). */
int report_build(struct store *s, const struct report_options *o, json_t **ret);

/* Write the rows as CSV with a header row, CRLF line ends, and a UTF-8 byte order mark first if bom. A
 * text cell that a spreadsheet would run as a formula (=, +, -, @, tab or CR first) gets an apostrophe
 * first; control characters are shown as escapes ("\x1B"). */
int report_write_csv(json_t *rows, bool bom, FILE *f);
/* Write the rows as a Markdown table: HTML's <, > and & as entities, Markdown's | \ ` * _ [ ] escaped with a
 * backslash, control characters as escapes. */
int report_write_md(json_t *rows, FILE *f);
