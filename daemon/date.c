/* Calendar dates as day numbers: days since 1970-01-01 in the proleptic Gregorian calendar. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "date.h"

/* The civil-from-days algorithms count eras of 400 years, so they hold for any year. */
day_t date_from_ymd(int year, int month, int day) {
        int y = year - (month <= 2);
        int era = (y >= 0 ? y : y - 399) / 400;
        int yoe = y - era * 400;
        int mp = (month + 9) % 12;
        int doy = (153 * mp + 2) / 5 + day - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return (day_t) (era * 146097 + doe - 719468);
}

void date_to_ymd(day_t d, int *year, int *month, int *day) {
        int z = d + 719468;
        int era = (z >= 0 ? z : z - 146096) / 146097;
        int doe = z - era * 146097;
        int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        int mp = (5 * doy + 2) / 153;
        int dd = doy - (153 * mp + 2) / 5 + 1;
        int mm = mp < 10 ? mp + 3 : mp - 9;
        if (year)
                *year = yoe + era * 400 + (mm <= 2);
        if (month)
                *month = mm;
        if (day)
                *day = dd;
}

static bool leap(int year) {
        return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int date_days_in_month(int year, int month) {
        static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (month < 1 || month > 12)
                return 0;
        return month == 2 && leap(year) ? 29 : days[month - 1];
}

bool date_valid(int year, int month, int day) {
        return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
               day <= date_days_in_month(year, month);
}

int date_weekday(day_t d) {
        /* 1970-01-01 was a Thursday (4). */
        int w = (int) ((d % 7 + 7) % 7); /* 0 = Thursday */
        return (w + 3) % 7 + 1;
}

int date_year(day_t d) {
        int y;
        date_to_ymd(d, &y, NULL, NULL);
        return y;
}

int date_parse(const char *s, day_t *ret) {
        int v[3] = {0, 0, 0};
        static const int widths[3] = {4, 2, 2};
        const char *p = s;
        for (int f = 0; f < 3; f++) {
                for (int i = 0; i < widths[f]; i++, p++) {
                        if (*p < '0' || *p > '9')
                                return -EINVAL;
                        v[f] = v[f] * 10 + (*p - '0');
                }
                if (f < 2 && *p++ != '-')
                        return -EINVAL;
        }
        if (*p != 0 || !date_valid(v[0], v[1], v[2]))
                return -EINVAL;
        *ret = date_from_ymd(v[0], v[1], v[2]);
        return 0;
}

char *date_format(day_t d, char *buf) {
        int y, m, dd;
        date_to_ymd(d, &y, &m, &dd);
        if (y >= 0 && y <= 9999) { /* the usual case, without snprintf: an import formats a million dates */
                buf[0] = (char) ('0' + y / 1000), buf[1] = (char) ('0' + y / 100 % 10);
                buf[2] = (char) ('0' + y / 10 % 10), buf[3] = (char) ('0' + y % 10), buf[4] = '-';
                buf[5] = (char) ('0' + m / 10), buf[6] = (char) ('0' + m % 10), buf[7] = '-';
                buf[8] = (char) ('0' + dd / 10), buf[9] = (char) ('0' + dd % 10), buf[10] = 0;
                return buf;
        }
        char tmp[48];
        snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, dd);
        memcpy(buf, tmp, DATE_ISO_MAX - 1);
        buf[DATE_ISO_MAX - 1] = 0;
        return buf;
}
