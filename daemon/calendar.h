/* The working-day calendar of a plan: weekends, public holidays, the weekend-transfer rule and
 * government-decreed day transfers, loaded from a libconfig file (conf/calendar-kz.conf). */
#pragma once

#include <stdbool.h>

#include "date.h"
#include "util.h"

struct calendar;

/* How a nominal due date that is not a working day becomes the effective due date. */
enum due_shift {
        DUE_SHIFT_PRECEDING, /* the working day before: the rule for documents in Kazakhstan */
        DUE_SHIFT_FOLLOWING,
        DUE_SHIFT_NONE,
};

/* Load a calendar file. Every problem found is added to errs as "file:line: message"; returns 0,
 * or -EINVAL when errs got anything (and *ret is NULL), or a negative errno when the file can't be read. */
int calendar_load_file(const char *path, struct calendar **ret, struct errlist *errs);
/* The same from text in memory; name is used in messages in place of a file name. */
int calendar_load_string(const char *text, const char *name, struct calendar **ret, struct errlist *errs);
/* The calendar built into merzim: a copy of conf/calendar-kz.conf. */
int calendar_load_builtin(struct calendar **ret, struct errlist *errs);
void calendar_free(struct calendar *cal);

const char *calendar_name(const struct calendar *cal);
/* A digest of the calendar's text: it changes when the calendar does. */
const char *calendar_fingerprint(const struct calendar *cal);
/* The first and last year for which the file lists holidays. Outside it only weekends and fixed-date
 * holidays apply. */
void calendar_years(const struct calendar *cal, int *first, int *last);

bool calendar_is_working_day(const struct calendar *cal, day_t d);
/* The name of the holiday or transferred day off on d in a language ("kk", "ru", "en"), or NULL. */
const char *calendar_day_off_reason(const struct calendar *cal, day_t d, const char *lang);
/* The latest working day <= d. */
day_t calendar_working_on_or_before(const struct calendar *cal, day_t d);
/* The earliest working day >= d. */
day_t calendar_working_on_or_after(const struct calendar *cal, day_t d);
day_t calendar_effective_due(const struct calendar *cal, day_t nominal, enum due_shift shift);

int due_shift_from_string(const char *s, enum due_shift *ret);
const char *due_shift_to_string(enum due_shift shift);
