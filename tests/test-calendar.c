/* Tests of the working-day calendar: the Kazakhstan calendar as users meet it, and broken files. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <unistd.h>

#include "calendar.h"

static struct calendar *kz;

/* Parse an ISO date that the test itself spells, failing the test on a typo. */
static day_t day(const char *iso) {
        day_t d;
        cr_assert_eq(date_parse(iso, &d), 0, "bad date in test: %s", iso);
        return d;
}

/* Load conf/calendar-kz.conf from the source tree, as `make check` points to it. */
static void load_kz(void) {
        const char *srcdir = getenv("MERZIM_SRCDIR");
        _cleanup_free_ char *path = xasprintf("%s/conf/calendar-kz.conf", srcdir ? srcdir : ".");
        struct errlist errs = {0};
        int r = calendar_load_file(path, &kz, &errs);
        for (size_t i = 0; i < errs.n; i++)
                cr_log_error("%s", errs.msgs[i]);
        cr_assert_eq(r, 0, "loading %s failed: %d", path, r);
        cr_assert_eq(errs.n, 0);
        errlist_clear(&errs);
}

static void free_kz(void) {
        calendar_free(kz);
        kz = NULL;
}

TestSuite(kz, .init = load_kz, .fini = free_kz);

/* Assert that iso is a day off for the reason given in English, or a working day when reason is NULL. */
static void assert_day(const char *iso, bool working, const char *reason_en) {
        day_t d = day(iso);
        cr_expect_eq(calendar_is_working_day(kz, d), working, "%s should be a %s", iso,
                     working ? "working day" : "day off");
        const char *reason = calendar_day_off_reason(kz, d, "en");
        if (reason_en)
                cr_expect(reason && streq(reason, reason_en), "%s: reason \"%s\", want \"%s\"", iso,
                          reason ? reason : "(null)", reason_en);
        else
                cr_expect_null(reason, "%s: reason \"%s\", want none", iso, reason ? reason : "");
}

/* Assert the effective due date of a nominal one. */
static void assert_due(const char *nominal, enum due_shift shift, const char *want) {
        char buf[DATE_ISO_MAX];
        day_t got = calendar_effective_due(kz, day(nominal), shift);
        cr_expect_eq(got, day(want), "%s (%s) -> %s, want %s", nominal, due_shift_to_string(shift),
                     date_format(got, buf), want);
}

/* Days off in a calendar year. */
static int days_off_in(int year) {
        int n = 0;
        for (day_t d = date_from_ymd(year, 1, 1); d < date_from_ymd(year + 1, 1, 1); d++)
                n += !calendar_is_working_day(kz, d);
        return n;
}

Test(kz, name_and_years) {
        int first, last;
        calendar_years(kz, &first, &last);
        cr_expect_str_eq(calendar_name(kz), "Kazakhstan");
        cr_expect_eq(first, 2019);
        cr_expect_eq(last, 2030);
}

Test(kz, weekends_are_days_off_without_a_reason) {
        assert_day("2024-06-28", true, NULL);  /* Friday */
        assert_day("2024-06-29", false, NULL); /* Saturday */
        assert_day("2024-06-30", false, NULL); /* Sunday */
        assert_day("2024-07-01", true, NULL);  /* Monday */
}

Test(kz, preceding_moves_a_due_date_back_to_a_working_day) {
        assert_due("2022-12-31", DUE_SHIFT_PRECEDING, "2022-12-30");
        assert_due("2024-06-30", DUE_SHIFT_PRECEDING, "2024-06-28");
        assert_due("2024-06-27", DUE_SHIFT_PRECEDING, "2024-06-27");
        /* Across Nauryz 2024: 21, 22 March and the Monday 25 March carried from Saturday 23 March. */
        assert_due("2024-03-25", DUE_SHIFT_PRECEDING, "2024-03-20");
}

Test(kz, following_and_none) {
        assert_due("2024-03-23", DUE_SHIFT_FOLLOWING, "2024-03-26");
        assert_due("2022-12-31", DUE_SHIFT_FOLLOWING, "2023-01-04");
        assert_due("2024-06-30", DUE_SHIFT_NONE, "2024-06-30");
        assert_due("2024-06-28", DUE_SHIFT_FOLLOWING, "2024-06-28");
}

Test(kz, nauryz_on_a_saturday_makes_monday_a_day_off) {
        assert_day("2024-03-21", false, "Nauryz");
        assert_day("2024-03-22", false, "Nauryz");
        assert_day("2024-03-23", false, "Nauryz");
        assert_day("2024-03-24", false, NULL);
        assert_day("2024-03-25", false, "Nauryz");
        assert_day("2024-03-26", true, NULL);
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-03-25"), "kk"), "Наурыз мейрамы");
}

Test(kz, holidays_on_a_weekend_move_in_order_past_other_holidays) {
        /* 2026: 21 (Sat) and 22 (Sun) March move past 23 March (Mon, itself Nauryz) to 24 and 25. */
        assert_day("2026-03-23", false, "Nauryz");
        assert_day("2026-03-24", false, "Nauryz");
        assert_day("2026-03-25", false, "Nauryz");
        assert_day("2026-03-26", true, NULL);
        /* 2022: Defender of the Fatherland Day (Sat 7 May) moves past Victory Day (Mon 9 May). */
        assert_day("2022-05-09", false, "Victory Day");
        assert_day("2022-05-10", false, "Defender of the Fatherland Day");
        assert_day("2022-05-11", true, NULL);
        /* 2023: New Year's Day (Sun 1 January) moves past 2 January to Tuesday 3 January. */
        assert_day("2023-01-02", false, "New Year");
        assert_day("2023-01-03", false, "New Year");
        assert_day("2023-01-04", true, NULL);
}

Test(kz, religious_holidays_are_not_carried_from_a_weekend) {
        assert_day("2024-06-16", false, "Kurban Ait"); /* Sunday */
        assert_day("2024-06-17", true, NULL);
        assert_day("2022-07-09", false, "Kurban Ait"); /* Saturday */
        assert_day("2022-07-11", true, NULL);
        assert_day("2025-06-06", false, "Kurban Ait"); /* Friday */
        assert_day("2023-01-07", false, "Orthodox Christmas"); /* Saturday */
        assert_day("2023-01-09", true, NULL);
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-06-16"), "kk"), "Құрбан айт");
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-06-16"), "ru"), "Курбан айт");
}

Test(kz, republic_day_is_a_day_off_from_2022) {
        assert_day("2021-10-25", true, NULL); /* Monday */
        assert_day("2022-10-25", false, "Republic Day");
        assert_day("2023-10-25", false, "Republic Day");
        assert_day("2026-10-25", false, "Republic Day"); /* Sunday */
        assert_day("2026-10-26", false, "Republic Day");
}

Test(kz, first_president_day_and_17_december_until_2021) {
        assert_day("2021-12-01", false, "First President Day");
        assert_day("2022-12-01", true, NULL);
        assert_day("2023-12-01", true, NULL);
        assert_day("2019-12-02", false, "First President Day"); /* carried from Sunday 1 December */
        assert_day("2021-12-16", false, "Independence Day");
        assert_day("2021-12-17", false, "Independence Day");
        assert_day("2024-12-17", true, NULL);
        /* 17 December 2022 (a Saturday) was no longer a holiday, so nothing moved to Monday 19. */
        assert_day("2022-12-16", false, "Independence Day");
        assert_day("2022-12-19", true, NULL);
}

Test(kz, decreed_transfers_swap_a_weekend_and_a_working_day) {
        assert_day("2024-05-04", true, NULL);
        assert_day("2024-05-08", false, "Transferred day off");
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-05-08"), "ru"), "Перенесённый выходной день");
        assert_due("2024-05-05", DUE_SHIFT_PRECEDING, "2024-05-04");
        assert_due("2024-05-09", DUE_SHIFT_PRECEDING, "2024-05-06");
        assert_day("2023-07-01", true, NULL);
        assert_day("2023-07-07", false, "Transferred day off");
        assert_day("2022-10-22", true, NULL);
        assert_day("2022-10-24", false, "Transferred day off");
        assert_day("2025-01-05", true, NULL); /* a working Sunday */
        assert_day("2025-01-03", false, "Transferred day off");
        /* 2020: the Monday carried from Victory Day (Sat 9 May) was moved to Friday 8 May. */
        assert_day("2020-05-08", false, "Transferred day off");
        assert_day("2020-05-11", true, NULL);
}

Test(kz, yearly_totals_match_the_published_calendars) {
        /* 119 days off in 2019 (egov.kz); 246 working days and 119 days off in 2026 (Ministry of Labour). */
        cr_expect_eq(days_off_in(2019), 119);
        cr_expect_eq(days_off_in(2026), 119);
}

Test(kz, outside_the_years_weekends_and_fixed_holidays_apply) {
        assert_day("2031-03-24", false, "Nauryz"); /* in the margin year */
        assert_day("2031-03-25", false, "Nauryz");
        assert_day("2040-10-25", false, "Republic Day");
        assert_day("2040-12-16", false, "Independence Day"); /* Sunday */
        assert_day("2040-12-17", false, "Independence Day");
        assert_day("2040-12-18", true, NULL);
        assert_day("2010-12-17", false, "Independence Day");
        assert_day("2010-10-25", true, NULL);
        assert_due("2041-01-01", DUE_SHIFT_PRECEDING, "2040-12-31");
        assert_due("2013-01-01", DUE_SHIFT_FOLLOWING, "2013-01-03");
}

Test(kz, reasons_in_every_language_and_none_on_working_days) {
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-05-09"), "kk"), "Жеңіс күні");
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-05-09"), "ru"), "День Победы");
        cr_expect_str_eq(calendar_day_off_reason(kz, day("2024-05-09"), "en"), "Victory Day");
        cr_expect_null(calendar_day_off_reason(kz, day("2024-05-10"), "kk"));
}

Test(kz, the_builtin_calendar_is_the_file) {
        struct calendar *builtin = NULL;
        struct errlist errs = {0};
        cr_assert_eq(calendar_load_builtin(&builtin, &errs), 0);
        cr_assert_eq(errs.n, 0);
        cr_expect_str_eq(calendar_name(builtin), "Kazakhstan");
        for (day_t d = date_from_ymd(2017, 1, 1); d < date_from_ymd(2033, 1, 1); d++)
                if (calendar_is_working_day(builtin, d) != calendar_is_working_day(kz, d)) {
                        char buf[DATE_ISO_MAX];
                        cr_expect_fail("the built-in calendar differs on %s", date_format(d, buf));
                        break;
                }
        calendar_free(builtin);
}

Test(due_shift, names) {
        enum due_shift s;
        cr_expect_eq(due_shift_from_string("preceding", &s), 0);
        cr_expect_eq(s, DUE_SHIFT_PRECEDING);
        cr_expect_eq(due_shift_from_string("following", &s), 0);
        cr_expect_eq(s, DUE_SHIFT_FOLLOWING);
        cr_expect_eq(due_shift_from_string("none", &s), 0);
        cr_expect_eq(s, DUE_SHIFT_NONE);
        cr_expect_eq(due_shift_from_string("Preceding", &s), -EINVAL);
        cr_expect_eq(due_shift_from_string("", &s), -EINVAL);
        cr_expect_str_eq(due_shift_to_string(DUE_SHIFT_FOLLOWING), "following");
}

/* Write text to a new temporary file; returns its path, to unlink and free. */
static char *write_temp(const char *text) {
        const char *dir = getenv("TMPDIR");
        char *path = xasprintf("%s/test-calendar-XXXXXX", dir ? dir : "/tmp");
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        FILE *f = fdopen(fd, "w");
        cr_assert_not_null(f);
        fputs(text, f);
        cr_assert_eq(fclose(f), 0);
        return path;
}

/* Whether errs holds exactly "path:line: message". */
static bool has_error(const struct errlist *errs, const char *path, int line, const char *message) {
        _cleanup_free_ char *want = xasprintf("%s:%d: %s", path, line, message);
        for (size_t i = 0; i < errs->n; i++)
                if (streq(errs->msgs[i], want))
                        return true;
        return false;
}

/* Print what a loader said, to see why a test failed. */
static void log_errors(const struct errlist *errs) {
        for (size_t i = 0; i < errs->n; i++)
                cr_log_info("%s", errs->msgs[i]);
}

Test(errors, every_problem_is_reported_with_file_line_and_text) {
        static const char text[] =
                "name = \"Broken\";\n"                                                       /* 1 */
                "years = [2024, 2025];\n"                                                    /* 2 */
                "weekend = [\"sat\", \"sun\"];\n"                                            /* 3 */
                "colour = \"red\";\n"                                                        /* 4 */
                "holidays = (\n"                                                             /* 5 */
                "  { date = \"02-30\"; kk = \"a\"; ru = \"b\"; en = \"c\"; },\n"             /* 6 */
                "  { date = \"05-09\"; kk = \"a\"; ru = \"b\"; en = \"Victory Day\";\n"      /* 7 */
                "    colour = 1; },\n"                                                       /* 8 */
                "  { date = \"01-01\"; kk = \"a\"; ru = \"b\"; }\n"                          /* 9 */
                ");\n"                                                                       /* 10 */
                "movable = (\n"                                                              /* 11 */
                "  { date = \"2031-06-16\"; kk = \"a\"; ru = \"b\"; en = \"c\"; }\n"         /* 12 */
                ");\n"                                                                       /* 13 */
                "transfers = (\n"                                                            /* 14 */
                "  { work = \"2024-05-06\"; off = \"2024-05-08\"; },\n"                      /* 15 */
                "  { work = \"2024-05-04\"; off = \"2024-05-05\"; },\n"                      /* 16 */
                "  { work = \"2024-05-09\"; off = \"2024-05-10\"; },\n"                      /* 17 */
                "  { work = \"2024-13-01\"; off = \"2024-05-10\"; }\n"                       /* 18 */
                ");\n";                                                                      /* 19 */
        _cleanup_free_ char *path = write_temp(text);
        struct calendar *cal = (struct calendar *) 1;
        struct errlist errs = {0};
        int r = calendar_load_file(path, &cal, &errs);
        unlink(path);
        log_errors(&errs);
        cr_expect_eq(r, -EINVAL);
        cr_expect_null(cal);
        cr_expect(has_error(&errs, path, 4, "unknown setting \"colour\" in the calendar"));
        cr_expect(has_error(&errs, path, 6, "invalid date \"02-30\" in holidays (want MM-DD)"));
        cr_expect(has_error(&errs, path, 8, "unknown setting \"colour\" in holidays"));
        cr_expect(has_error(&errs, path, 9, "\"en\" is missing in holidays"));
        cr_expect(has_error(&errs, path, 12, "date \"2031-06-16\" in movable is outside years 2024..2025"));
        cr_expect(has_error(&errs, path, 15, "work day \"2024-05-06\" in transfers is not a weekend day"));
        cr_expect(has_error(&errs, path, 16, "off day \"2024-05-05\" in transfers is not a working day"));
        cr_expect(has_error(&errs, path, 17,
                            "work day \"2024-05-09\" in transfers is a holiday (Victory Day) and cannot become a "
                            "working day"));
        cr_expect(has_error(&errs, path, 18, "invalid date \"2024-13-01\" in transfers"));
        cr_expect_eq(errs.n, 9);
        errlist_clear(&errs);
}

Test(errors, a_syntax_error_names_file_and_line) {
        _cleanup_free_ char *path = write_temp("name = \"Broken\";\nyears = [2024, 2025]\nweekend = ;\n");
        struct calendar *cal = NULL;
        struct errlist errs = {0};
        cr_expect_eq(calendar_load_file(path, &cal, &errs), -EINVAL);
        unlink(path);
        log_errors(&errs);
        cr_expect_null(cal);
        cr_assert_eq(errs.n, 1);
        _cleanup_free_ char *prefix = xasprintf("%s:3: ", path);
        cr_expect(strncmp(errs.msgs[0], prefix, strlen(prefix)) == 0, "got \"%s\"", errs.msgs[0]);
        errlist_clear(&errs);
}

Test(errors, bad_years_and_weekend) {
        static const char text[] =
                "name = \"Broken\";\n"
                "years = [2030, 2019];\n"
                "weekend = [\"sat\", \"sunday\", \"sat\"];\n"
                "holidays = ();\n";
        struct calendar *cal = NULL;
        struct errlist errs = {0};
        cr_expect_eq(calendar_load_string(text, "test.conf", &cal, &errs), -EINVAL);
        log_errors(&errs);
        cr_expect(has_error(&errs, "test.conf", 2,
                            "years [2030, 2019] must be in order and span less than 200 years"));
        cr_expect(has_error(&errs, "test.conf", 3,
                            "invalid day \"sunday\" in weekend (mon tue wed thu fri sat sun)"));
        cr_expect(has_error(&errs, "test.conf", 3, "day \"sat\" is listed twice in weekend"));
        cr_expect_eq(errs.n, 3);
        errlist_clear(&errs);
}

Test(errors, a_missing_file_is_an_errno) {
        struct calendar *cal = NULL;
        struct errlist errs = {0};
        cr_expect_eq(calendar_load_file("/nonexistent/calendar.conf", &cal, &errs), -ENOENT);
        cr_expect_null(cal);
        cr_expect_eq(errs.n, 1);
        errlist_clear(&errs);
}

Test(errors, a_small_valid_calendar_from_a_string) {
        static const char text[] =
                "name = \"Test\";\n"
                "years = [2024, 2024];\n"
                "weekend = [\"fri\", \"sat\"];\n"
                "holidays = ( { date = \"06-01\"; kk = \"a\"; ru = \"b\"; en = \"c\"; } );\n";
        struct calendar *cal = NULL;
        struct errlist errs = {0};
        cr_assert_eq(calendar_load_string(text, "test.conf", &cal, &errs), 0);
        /* 1 June 2024 is a Saturday, a weekend day here: Sunday 2 June is the day off instead. */
        cr_expect(calendar_is_working_day(cal, day("2024-06-02")) == false);
        cr_expect_str_eq(calendar_day_off_reason(cal, day("2024-06-02"), "en"), "c");
        cr_expect(calendar_is_working_day(cal, day("2024-06-03")));
        cr_expect(calendar_is_working_day(cal, day("2024-06-09")));
        cr_expect_eq(calendar_effective_due(cal, day("2024-06-08"), DUE_SHIFT_PRECEDING), day("2024-06-06"));
        calendar_free(cal);
}

/* Whether some message of errs starts with prefix and contains text. */
static bool has_error_like(const struct errlist *errs, const char *prefix, const char *text) {
        for (size_t i = 0; i < errs->n; i++)
                if (strncmp(errs->msgs[i], prefix, strlen(prefix)) == 0 && strstr(errs->msgs[i], text))
                        return true;
        return false;
}

/* A calendar includes nothing: with a byte order mark, white space or none before @include. The file
 * named is a directory, which libconfig 1.5 cannot read without ending the process: were it read, the
 * test would not get to its assertions. */
Test(errors, an_include_is_refused_before_the_included_file_is_read) {
        static const char *const texts[] = {
                "\xef\xbb\xbf@include \"/tmp\"\nname = \"x\";\n",
                "name = \"x\";\n\xef\xbb\xbf@include \"/tmp\"\n",
                "name = \"x\";\n \t\xef\xbb\xbf \r@include \"/tmp\"\n",
                "name = \"x\";\n@INCLUDE \"/tmp\"\n",
        };
        static const int lines[] = {1, 2, 2, 2};
        for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
                struct calendar *cal = NULL;
                struct errlist errs = {0};
                cr_expect_eq(calendar_load_string(texts[i], "cal.conf", &cal, &errs), -EINVAL, "text %zu", i);
                cr_expect_null(cal);
                _cleanup_free_ char *prefix = xasprintf("cal.conf:%d: ", lines[i]);
                cr_expect(has_error_like(&errs, prefix, "@include is not allowed"), "text %zu: %s", i,
                          errs.n ? errs.msgs[0] : "no error");
                errlist_clear(&errs);
        }
}

Test(errors, a_calendar_file_is_bounded_in_size) {
        /* /dev/zero never ends: a limit, not the memory, stops the read. */
        struct calendar *cal = NULL;
        struct errlist errs = {0};
        cr_expect_eq(calendar_load_file("/dev/zero", &cal, &errs), -EFBIG);
        cr_expect_null(cal);
        cr_expect(has_error_like(&errs, "/dev/zero: ", "larger than"), "%s", errs.n ? errs.msgs[0] : "no error");
        errlist_clear(&errs);
}
