/* The installation's time zone (one per merzim; Kazakhstan has one since 1 March 2024), through the
 * system tz database. Instants are Unix seconds; dates are day numbers in that zone. */
#pragma once

#include <stdint.h>
#include <time.h>

#include "date.h"

/* Make zone ("Asia/Almaty") the zone of this process. Returns -ENOENT if the tz database lacks it. */
int tz_set(const char *zone);
const char *tz_get(void);
/* Whether the tz database has zone, without changing anything: 0 or -ENOENT/-EINVAL. */
int tz_check(const char *zone);
/* The instant of a local wall-clock time on day d. */
int64_t tz_instant(day_t d, int hour, int minute, int second);
/* The instant a deadline on day d ends: 23:59:59 local time. */
int64_t tz_end_of_day(day_t d);
/* The local day of an instant, and optionally its time of day in seconds. */
day_t tz_day(int64_t t, int *seconds_of_day);
/* ISO 8601 with the offset: "2024-06-27T09:00:00+05:00" (buf of TZ_ISO_MAX). */
#define TZ_ISO_MAX 32
char *tz_format(int64_t t, char *buf);
/* UTC ISO 8601: "2024-06-27T04:00:00Z". */
char *tz_format_utc(int64_t t, char *buf);
/* Parse a local time "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" or with an offset/Z; returns 0 or -EINVAL. */
int tz_parse(const char *s, int64_t *ret);
