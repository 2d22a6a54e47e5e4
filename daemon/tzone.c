/* The installation's time zone, through the system tz database. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tzone.h"
#include "util.h"

static char zone_name[128] = "UTC";

int tz_check(const char *zone) {
        if (isempty(zone) || strlen(zone) >= sizeof(zone_name) || zone[0] == '/' || strstr(zone, ".."))
                return -EINVAL;
        const char *dir = getenv("TZDIR");
        _cleanup_free_ char *path = xasprintf("%s/%s", dir ? dir : "/usr/share/zoneinfo", zone);
        if (!streq(zone, "UTC") && access(path, R_OK) < 0)
                return -ENOENT;
        return 0;
}

int tz_set(const char *zone) {
        int r = tz_check(zone);
        if (r < 0)
                return r;
        _cleanup_free_ char *value = xasprintf(":%s", zone);
        setenv("TZ", value, 1);
        tzset();
        snprintf(zone_name, sizeof(zone_name), "%s", zone);
        return 0;
}

const char *tz_get(void) {
        return zone_name;
}

int64_t tz_instant(day_t d, int hour, int minute, int second) {
        int y, m, dd;
        date_to_ymd(d, &y, &m, &dd);
        struct tm tm = {
                .tm_year = y - 1900,
                .tm_mon = m - 1,
                .tm_mday = dd,
                .tm_hour = hour,
                .tm_min = minute,
                .tm_sec = second,
                .tm_isdst = -1,
        };
        return (int64_t) mktime(&tm);
}

int64_t tz_end_of_day(day_t d) {
        return tz_instant(d, 23, 59, 59);
}

day_t tz_day(int64_t t, int *seconds_of_day) {
        time_t tt = (time_t) t;
        struct tm tm;
        localtime_r(&tt, &tm);
        if (seconds_of_day)
                *seconds_of_day = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
        return date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

char *tz_format(int64_t t, char *buf) {
        time_t tt = (time_t) t;
        struct tm tm;
        localtime_r(&tt, &tm);
        /* strftime's %z is "+0500"; ISO 8601 wants "+05:00". */
        size_t n = strftime(buf, TZ_ISO_MAX - 1, "%Y-%m-%dT%H:%M:%S%z", &tm);
        if (n >= 5) {
                memmove(buf + n - 1, buf + n - 2, 3);
                buf[n - 2] = ':';
        }
        return buf;
}

char *tz_format_utc(int64_t t, char *buf) {
        time_t tt = (time_t) t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(buf, TZ_ISO_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return buf;
}

/* Read exactly n digits. */
static int digits(const char **p, int n, int *ret) {
        int v = 0;
        for (int i = 0; i < n; i++, (*p)++) {
                if (**p < '0' || **p > '9')
                        return -EINVAL;
                v = v * 10 + (**p - '0');
        }
        *ret = v;
        return 0;
}

int tz_parse(const char *s, int64_t *ret) {
        char date[DATE_ISO_MAX];
        if (strlen(s) < 10)
                return -EINVAL;
        memcpy(date, s, 10);
        date[10] = 0;
        day_t d;
        if (date_parse(date, &d) < 0)
                return -EINVAL;

        const char *p = s + 10;
        int h = 0, m = 0, sec = 0;
        if (*p == 'T' || *p == ' ') {
                p++;
                if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &m) < 0)
                        return -EINVAL;
                if (*p == ':') {
                        p++;
                        if (digits(&p, 2, &sec) < 0)
                                return -EINVAL;
                }
                if (h > 23 || m > 59 || sec > 59)
                        return -EINVAL;
        }
        if (*p == 0) {
                *ret = tz_instant(d, h, m, sec);
                return 0;
        }
        int off = 0;
        if (*p == 'Z') {
                p++;
        } else if (*p == '+' || *p == '-') {
                int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
                if (digits(&p, 2, &oh) < 0)
                        return -EINVAL;
                if (*p == ':')
                        p++;
                if (*p && digits(&p, 2, &om) < 0)
                        return -EINVAL;
                off = sign * (oh * 3600 + om * 60);
        } else {
                return -EINVAL;
        }
        if (*p != 0)
                return -EINVAL;
        *ret = (int64_t) d * 86400 + h * 3600 + m * 60 + sec - off;
        return 0;
}
