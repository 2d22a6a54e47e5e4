/* Dates as day numbers, and the time zone of the installation. */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>

#include "date.h"
#include "tzone.h"

Test(date, round_trip_over_centuries) {
        for (day_t d = date_from_ymd(1899, 1, 1); d < date_from_ymd(2201, 1, 1); d++) {
                int y, m, dd;
                date_to_ymd(d, &y, &m, &dd);
                cr_assert_eq(date_from_ymd(y, m, dd), d);
        }
        cr_assert_eq(date_from_ymd(1970, 1, 1), 0);
}

Test(date, weekdays_and_month_lengths) {
        cr_assert_eq(date_weekday(date_from_ymd(2024, 6, 30)), 7, "30 June 2024 was a Sunday");
        cr_assert_eq(date_weekday(date_from_ymd(2022, 12, 31)), 6, "31 December 2022 was a Saturday");
        cr_assert_eq(date_weekday(date_from_ymd(2024, 7, 1)), 1);
        cr_assert_eq(date_days_in_month(2024, 2), 29);
        cr_assert_eq(date_days_in_month(2023, 2), 28);
        cr_assert_eq(date_days_in_month(2100, 2), 28);
        cr_assert_eq(date_days_in_month(2000, 2), 29);
        cr_assert_not(date_valid(2022, 6, 31));
}

Test(date, parse_and_format) {
        day_t d;
        char buf[DATE_ISO_MAX];
        cr_assert_eq(date_parse("2024-06-28", &d), 0);
        cr_assert_str_eq(date_format(d, buf), "2024-06-28");
        cr_assert_lt(date_parse("2024-06-31", &d), 0);
        cr_assert_lt(date_parse("2024-6-1", &d), 0);
        cr_assert_lt(date_parse("2024-06-01x", &d), 0);
        cr_assert_lt(date_parse("", &d), 0);
}

Test(tzone, almaty_moved_to_utc_plus_5_on_1_march_2024) {
        cr_assert_eq(tz_set("Asia/Almaty"), 0);
        char buf[TZ_ISO_MAX];
        /* A deadline ends at 23:59:59 local time on its effective date. */
        int64_t end_2023 = tz_end_of_day(date_from_ymd(2023, 6, 30));
        int64_t end_2024 = tz_end_of_day(date_from_ymd(2024, 6, 28));
        cr_assert_str_eq(tz_format_utc(end_2023, buf), "2023-06-30T17:59:59Z");
        cr_assert_str_eq(tz_format(end_2023, buf), "2023-06-30T23:59:59+06:00");
        cr_assert_str_eq(tz_format_utc(end_2024, buf), "2024-06-28T18:59:59Z");
        cr_assert_str_eq(tz_format(end_2024, buf), "2024-06-28T23:59:59+05:00");
        int64_t nine = tz_instant(date_from_ymd(2024, 6, 27), 9, 0, 0);
        cr_assert_str_eq(tz_format(nine, buf), "2024-06-27T09:00:00+05:00");
        int sod;
        cr_assert_eq(tz_day(nine, &sod), date_from_ymd(2024, 6, 27));
        cr_assert_eq(sod, 9 * 3600);
}

Test(tzone, parse_local_and_offsets) {
        cr_assert_eq(tz_set("Asia/Almaty"), 0);
        int64_t t;
        char buf[TZ_ISO_MAX];
        cr_assert_eq(tz_parse("2024-06-01T08:00", &t), 0);
        cr_assert_str_eq(tz_format_utc(t, buf), "2024-06-01T03:00:00Z");
        cr_assert_eq(tz_parse("2024-06-01T08:00:00Z", &t), 0);
        cr_assert_str_eq(tz_format_utc(t, buf), "2024-06-01T08:00:00Z");
        cr_assert_eq(tz_parse("2024-06-01T08:00+03:00", &t), 0);
        cr_assert_str_eq(tz_format_utc(t, buf), "2024-06-01T05:00:00Z");
        cr_assert_eq(tz_parse("2024-06-01", &t), 0);
        cr_assert_str_eq(tz_format(t, buf), "2024-06-01T00:00:00+05:00");
        cr_assert_lt(tz_parse("2024-06-01T25:00", &t), 0);
        cr_assert_lt(tz_parse("yesterday", &t), 0);
        cr_assert_eq(tz_set("Mars/Olympus_Mons"), -ENOENT);
}
