/* An iCalendar feed (RFC 5545) of the deadlines, for agencies' calendar programs: one VTODO per
 * occurrence, due (DUE;VALUE=DATE) on its effective due date, with an alarm for each message merzimd
 * sends before it, and a VTIMEZONE of the configured zone made from the system tz database. merzimctl
 * prints it whole; the daemon serves the same feed a part at a time, so that a feed of 20,000 measures
 * is never held in memory as text.
 *
 * UIDs outlive re-imports: "occurrence-HASH-MEASURE-PERIOD@merzim", HASH naming the plan by its title
 * (as editions of a plan are matched), or "occurrence-HASH-MEASURE@merzim" for a measure with a single
 * deadline, which follows its measure to a new date as the import keeps its row and history. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "store.h"
#include "util.h"

struct ics_options {
        int64_t plan;         /* only this plan; 0: every plan */
        const char *agency;   /* only the measures this agency executes (its code as stored); NULL: all */
        const char *language; /* "kk", "ru" or "en"; NULL: the agency's, else the configuration's */
        int64_t now;          /* DTSTAMP; what is overdue; which alarms are still to come */
        /* Each occurrence as an all-day VEVENT (DTSTART;VALUE=DATE the effective due date, DTEND the day
         * after) instead of a VTODO, for calendars that ignore tasks: UIDs "due-HASH-MEASURE[-PERIOD]@merzim",
         * as stable as the tasks' (another component, another UID). */
        bool events;
};

/* The calendar of the occurrences of measures still in their plans, as CRLF-terminated text (caller
 * frees). Needs the process time zone set to the configured one (tz_set). Returns 0, -ENOENT if the
 * plan does not exist, or another negative errno (logged). */
int ics_build(struct store *s, const struct config *cfg, const struct calendar *cal, const struct ics_options *o,
              char **ret);

/* The same feed a part at a time: open reads which occurrences it has, in order (cfg and cal must
 * outlive the feed); each call to next reads the next one from s and appends its part (the header, an
 * occurrence, the end), and says whether there is more. Memory is a few bytes per occurrence. */
struct ics_feed;
int ics_feed_open(struct store *s, const struct config *cfg, const struct calendar *cal, const struct ics_options *o,
                  struct ics_feed **ret);
bool ics_feed_next(struct ics_feed *f, struct store *s, struct buf *out);
void ics_feed_free(struct ics_feed *f);

/* Append text as a TEXT value: backslash, semicolon, comma and line ends escaped, other control
 * characters (C0, DEL, C1, the bidirectional controls) and invalid UTF-8 dropped. */
void ics_escape_text(struct buf *b, const char *text);
/* Append one content line folded at 75 octets, never inside a UTF-8 character, with CRLF line ends. */
void ics_put_line(struct buf *b, const char *line);
