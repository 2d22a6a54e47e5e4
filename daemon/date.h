/* Calendar dates as day numbers: days since 1970-01-01 in the proleptic Gregorian calendar. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef int32_t day_t;

#define DATE_ISO_MAX 11 /* "YYYY-MM-DD" and NUL */

day_t date_from_ymd(int year, int month, int day);
void date_to_ymd(day_t d, int *year, int *month, int *day);
bool date_valid(int year, int month, int day);
int date_days_in_month(int year, int month);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int date_weekday(day_t d);
int date_year(day_t d);
/* Parse strict "YYYY-MM-DD"; returns 0 or -EINVAL. */
int date_parse(const char *s, day_t *ret);
/* Write "YYYY-MM-DD" into buf (at least DATE_ISO_MAX bytes); returns buf. */
char *date_format(day_t d, char *buf);
