/* Tests of the deadline language: the forms plans write deadlines in, the spellings they come in, the
 * rules they make and the dated occurrences those expand to. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>

#include "calendar.h"
#include "deadline.h"
#include "utf8.h"
#include "util.h"

/* Parse a phrase that must be understood, failing the test with the parser's message if it is not. */
static struct deadline parse_ok(const char *phrase) {
        struct deadline dl;
        char err[256] = "";
        int r = deadline_parse(phrase, &dl, err, sizeof(err));
        cr_assert_eq(r, 0, "'%s' was not understood: %s", phrase, err);
        return dl;
}

/* The expansion of a rule over years as "period=date period=date ...", for exact comparison. */
static void expansion_text(const struct deadline *dl, int year_from, int year_to, char *out, size_t len) {
        struct deadline_occurrence *occ = NULL;
        int n = deadline_expand(dl, year_from, year_to, &occ);
        cr_assert_geq(n, 0, "expand failed: %d", n);
        out[0] = 0;
        for (int i = 0; i < n; i++) {
                char day[DATE_ISO_MAX];
                size_t used = strlen(out);
                snprintf(out + used, len - used, "%s%s=%s", i ? " " : "", occ[i].period,
                         date_format(occ[i].nominal, day));
        }
        free(occ);
}

/* Assert the kind, the canonical rule and the expansion of a phrase, with years for a rule without any. */
static void check_years(const char *phrase, enum deadline_kind kind, const char *rule, int year_from, int year_to,
                        const char *occurrences) {
        struct deadline dl = parse_ok(phrase);
        char text[64], got[1024];
        cr_assert_eq(dl.kind, kind, "'%s': kind %d, expected %d", phrase, dl.kind, kind);
        deadline_format(&dl, text, sizeof(text));
        cr_assert_str_eq(text, rule, "'%s'", phrase);
        expansion_text(&dl, year_from, year_to, got, sizeof(got));
        cr_assert_str_eq(got, occurrences, "'%s'", phrase);
}

static void check(const char *phrase, enum deadline_kind kind, const char *rule, const char *occurrences) {
        check_years(phrase, kind, rule, 0, 0, occurrences);
}

/* Assert that a phrase is refused with a message that contains the given text. */
static void check_error(const char *phrase, const char *message) {
        struct deadline dl;
        char err[256] = "";
        int r = deadline_parse(phrase, &dl, err, sizeof(err));
        cr_assert_eq(r, -EINVAL, "'%s' was accepted", phrase);
        cr_assert(strstr(err, message), "'%s': message \"%s\" lacks \"%s\"", phrase, err, message);
}

#define ANNUAL_2022_2024_JUNE_30 "2022=2022-06-30 2023=2023-06-30 2024=2024-06-30"
#define QUARTERLY_10_2023                                                                                       \
        "2023-Q1=2023-04-10 2023-Q2=2023-07-10 2023-Q3=2023-10-10 2023-Q4=2024-01-10"
#define QUARTERLY_10_2024                                                                                       \
        "2024-Q1=2024-04-10 2024-Q2=2024-07-10 2024-Q3=2024-10-10 2024-Q4=2025-01-10"

Test(deadline, seed_phrases) {
        check("2022 жылғы маусым", DEADLINE_ONCE, "once 2022-06-30 month", "2022-06=2022-06-30");
        check("2023 жылғы наурыз", DEADLINE_ONCE, "once 2023-03-31 month", "2023-03=2023-03-31");
        check("2022 жылғы желтоқсан", DEADLINE_ONCE, "once 2022-12-31 month", "2022-12=2022-12-31");
        check("2024 жылғы маусым", DEADLINE_ONCE, "once 2024-06-30 month", "2024-06=2024-06-30");
        check("2022 жылғы тамыз", DEADLINE_ONCE, "once 2022-08-31 month", "2022-08=2022-08-31");
        check("2022 жылғы қазан", DEADLINE_ONCE, "once 2022-10-31 month", "2022-10=2022-10-31");
        check("2022 жылғы қараша", DEADLINE_ONCE, "once 2022-11-30 month", "2022-11=2022-11-30");
        check("2022 – 2024 жылдары жыл сайын 30 маусымға қарай", DEADLINE_ANNUAL, "annual 06-30 2022-2024",
              ANNUAL_2022_2024_JUNE_30);
        check("2022 – 2024 жылдары жыл сайын 15 қарашаға қарай", DEADLINE_ANNUAL, "annual 11-15 2022-2024",
              "2022=2022-11-15 2023=2023-11-15 2024=2024-11-15");
        check("2022 – 2024 жылдары жыл сайын 30 қазанға қарай", DEADLINE_ANNUAL, "annual 10-30 2022-2024",
              "2022=2022-10-30 2023=2023-10-30 2024=2024-10-30");
}

Test(deadline, month_of_a_year) {
        static const char *const phrases[] = {"2022 жылғы маусым", "июнь 2022 года", "June 2022",
                                              "в июне 2022 года", "2022 жылғы маусымда", "2022-06",
                                              "Jun 2022", "2022 жылғы маусымына дейін", "by June 2022"};
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++)
                check(phrases[i], DEADLINE_ONCE, "once 2022-06-30 month", "2022-06=2022-06-30");
        struct deadline dl = parse_ok("2024 жылғы ақпан");
        cr_assert_eq(dl.unit, DEADLINE_UNIT_MONTH);
        cr_assert_eq(dl.year, 2024);
        cr_assert_eq(dl.month, 2);
        cr_assert_eq(dl.day, 29);
        check("февраль 2023 года", DEADLINE_ONCE, "once 2023-02-28 month", "2023-02=2023-02-28");
}

Test(deadline, a_date) {
        static const char *const phrases[] = {"2022 жылғы 15 маусымға дейін", "2022 жылғы 15 маусымға қарай",
                                              "до 15 июня 2022 года", "2022-06-15", "15.06.2022",
                                              "by 15 June 2022", "June 15, 2022", "не позднее 15 июня 2022 г.",
                                              "15 маусым 2022, 15.06.2022"};
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++)
                check(phrases[i], DEADLINE_ONCE, "once 2022-06-15 day", "2022-06-15=2022-06-15");
        struct deadline dl = parse_ok("до 15 июня 2022 года");
        cr_assert_eq(dl.unit, DEADLINE_UNIT_DAY);
        cr_assert_eq(dl.year, 2022);
        cr_assert_eq(dl.month, 6);
        cr_assert_eq(dl.day, 15);
        check("2024 жылғы 29 ақпанға дейін", DEADLINE_ONCE, "once 2024-02-29 day", "2024-02-29=2024-02-29");
        check("1.3.2023", DEADLINE_ONCE, "once 2023-03-01 day", "2023-03-01=2023-03-01");
}

Test(deadline, annual_with_a_range) {
        static const char *const phrases[] = {
                "2022 – 2024 жылдары жыл сайын 30 маусымға қарай", "ежегодно, к 30 июня 2022 – 2024 годов",
                "2022 – 2024 годы, ежегодно к 30 июня",            "annually by 30 June 2022-2024",
                "с 2022 по 2024 годы ежегодно к 30 июня",          "every year by 30 June 2022 to 2024",
                "2022-2024 жж. (жыл сайын) 30 маусымға қарай."};
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++)
                check(phrases[i], DEADLINE_ANNUAL, "annual 06-30 2022-2024", ANNUAL_2022_2024_JUNE_30);
        struct deadline dl = parse_ok("annually by 30 June 2022-2024");
        cr_assert_eq(dl.month, 6);
        cr_assert_eq(dl.day, 30);
        cr_assert_eq(dl.year_from, 2022);
        cr_assert_eq(dl.year_to, 2024);
}

Test(deadline, annual_without_a_range) {
        static const char *const phrases[] = {"жыл сайын 30 маусымға қарай", "ежегодно к 30 июня",
                                              "annually by 30 June"};
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++) {
                struct deadline dl = parse_ok(phrases[i]);
                cr_assert_eq(dl.kind, DEADLINE_ANNUAL);
                cr_assert_eq(dl.year_from, 0);
                cr_assert_eq(dl.year_to, 0);
                check_years(phrases[i], DEADLINE_ANNUAL, "annual 06-30", 2025, 2026,
                            "2025=2025-06-30 2026=2026-06-30");
                struct deadline_occurrence *occ = NULL;
                cr_assert_eq(deadline_expand(&dl, 0, 0, &occ), -EDOM);
                cr_assert_eq(deadline_expand(&dl, 2026, 2025, &occ), -EINVAL);
        }
        /* A rule with a range of its own keeps it whatever years are passed. */
        struct deadline dl = parse_ok("2022 – 2024 жылдары жыл сайын 30 маусымға қарай");
        char got[256];
        expansion_text(&dl, 2030, 2031, got, sizeof(got));
        cr_assert_str_eq(got, ANNUAL_2022_2024_JUNE_30);
        /* One year is a range of one year. */
        check("2023 жылы жыл сайын 1 наурызға дейін", DEADLINE_ANNUAL, "annual 03-01 2023-2023",
              "2023=2023-03-01");
}

Test(deadline, annual_29_february) {
        check("2023 – 2024 жылдары жыл сайын 29 ақпанға қарай", DEADLINE_ANNUAL, "annual 02-29 2023-2024",
              "2023=2023-02-28 2024=2024-02-29");
        check_years("ежегодно к 29 февраля", DEADLINE_ANNUAL, "annual 02-29", 2099, 2100,
                    "2099=2099-02-28 2100=2100-02-28");
}

Test(deadline, quarter_and_half_year) {
        static const char *const quarters[] = {"2022 жылғы IV тоқсан", "IV квартал 2022 года", "Q4 2022",
                                               "4th quarter 2022",     "4 тоқсан 2022",        "4-тоқсан 2022 ж.",
                                               "4 квартал 2022",       "2022-Q4",              "fourth quarter 2022",
                                               "Ⅳ квартал 2022",       "4 кв. 2022 г.",        "төртінші тоқсан 2022"};
        for (size_t i = 0; i < ELEMENTSOF(quarters); i++)
                check(quarters[i], DEADLINE_ONCE, "once 2022-12-31 quarter", "2022-Q4=2022-12-31");
        static const char *const halves[] = {"2023 жылғы І жартыжылдық", "I полугодие 2023 года", "H1 2023",
                                             "2023 жылғы I жартыжылдық", "first half of 2023",
                                             "1-ші жартыжылдық 2023",   "2023-H1"};
        for (size_t i = 0; i < ELEMENTSOF(halves); i++)
                check(halves[i], DEADLINE_ONCE, "once 2023-06-30 half", "2023-H1=2023-06-30");
        struct deadline dl = parse_ok("2022 жылғы IV тоқсан");
        cr_assert_eq(dl.unit, DEADLINE_UNIT_QUARTER);
        cr_assert_eq(dl.part, 4);
        check("2022 жылғы І тоқсан", DEADLINE_ONCE, "once 2022-03-31 quarter", "2022-Q1=2022-03-31");
        check("II квартал 2022", DEADLINE_ONCE, "once 2022-06-30 quarter", "2022-Q2=2022-06-30");
        check("ІІІ тоқсан 2022", DEADLINE_ONCE, "once 2022-09-30 quarter", "2022-Q3=2022-09-30");
        check("второе полугодие 2023 года", DEADLINE_ONCE, "once 2023-12-31 half", "2023-H2=2023-12-31");
        check("2023 жылғы ІІ жартыжылдық", DEADLINE_ONCE, "once 2023-12-31 half", "2023-H2=2023-12-31");
}

Test(deadline, quarterly) {
        check_years("тоқсан сайын, есепті тоқсаннан кейінгі айдың 10-на қарай", DEADLINE_QUARTERLY,
                    "quarterly 10", 2023, 2023, QUARTERLY_10_2023);
        check_years("ежеквартально, до 10 числа месяца, следующего за отчетным кварталом", DEADLINE_QUARTERLY,
                    "quarterly 10", 2023, 2023, QUARTERLY_10_2023);
        check_years("quarterly by the 10th of the month after the quarter", DEADLINE_QUARTERLY, "quarterly 10",
                    2023, 2023, QUARTERLY_10_2023);
        check("2023 – 2024 жылдары тоқсан сайын, есепті тоқсаннан кейінгі айдың 10-на қарай", DEADLINE_QUARTERLY,
              "quarterly 10 2023-2024", QUARTERLY_10_2023 " " QUARTERLY_10_2024);
        check("ежеквартально, до 10 числа месяца, следующего за отчетным кварталом, 2023-2024 годов",
              DEADLINE_QUARTERLY, "quarterly 10 2023-2024", QUARTERLY_10_2023 " " QUARTERLY_10_2024);
        check("ежеквартально до 25 числа месяца, следующего за отчётным кварталом, 2023 – 2023 годов",
              DEADLINE_QUARTERLY, "quarterly 25 2023-2023",
              "2023-Q1=2023-04-25 2023-Q2=2023-07-25 2023-Q3=2023-10-25 2023-Q4=2024-01-25");
        struct deadline_occurrence *occ = NULL;
        struct deadline dl = parse_ok("ежеквартально, до 10 числа месяца, следующего за отчетным кварталом");
        cr_assert_eq(dl.day, 10);
        cr_assert_eq(deadline_expand(&dl, 0, 0, &occ), -EDOM);
        check_error("тоқсан сайын, есепті тоқсаннан кейінгі айдың 31-не қарай", "31 April does not exist");
        /* Without a day: the last day of each quarter. */
        check_years("ежеквартально", DEADLINE_QUARTERLY, "quarterly end", 2023, 2023,
                    "2023-Q1=2023-03-31 2023-Q2=2023-06-30 2023-Q3=2023-09-30 2023-Q4=2023-12-31");
}

Test(deadline, continuous) {
        static const char *const phrases[] = {"тұрақты", "постоянно", "continuously", "ongoing", "Тұрақты.",
                                              "на постоянной основе", "(постоянно)", "Ұдайы"};
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++)
                check_years(phrases[i], DEADLINE_CONTINUOUS, "continuous", 2022, 2024, "");
        struct deadline dl = parse_ok("тұрақты");
        struct deadline_occurrence *occ = NULL;
        cr_assert_eq(deadline_expand(&dl, 0, 0, &occ), 0);
        free(occ);
}

Test(deadline, spaces_dashes_case_and_letters) {
        static const char *const phrases[] = {
                "2022\u00a0–\u00a02024 жылдары жыл\u00a0сайын 30\u00a0маусымға қарай",
                "2022\u202f—\u202f2024 жылдары жыл сайын 30 маусымға қарай",
                "2022 - 2024 жылдары жыл сайын 30 маусымға қарай",
                "2022-2024 жылдары жыл сайын 30 маусымға қарай",
                "2022\u20112024 жылдары жыл сайын 30 маусымға қарай",
                "2022 \u2212 2024 жылдары жыл сайын 30 маусымға қарай",
                "  2022   –   2024  жылдары\tжыл сайын 30 маусымға қарай  ",
                "2022 – 2024 ЖЫЛДАРЫ ЖЫЛ САЙЫН 30 МАУСЫМҒА ҚАРАЙ",
                "2022 – 2024 жылдары, жыл сайын, 30 маусымға қарай.",
                "2022 – 2024 жылдары (жыл сайын) 30 маусымға қарай",
                "ЕЖЕГОДНО, К 30 ИЮНЯ 2022 – 2024 ГОДОВ",
        };
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++)
                check(phrases[i], DEADLINE_ANNUAL, "annual 06-30 2022-2024", ANNUAL_2022_2024_JUNE_30);
        /* Roman one in Latin, in Kazakh Cyrillic, and mixed with Latin V. */
        check("2023 жылғы I жартыжылдық", DEADLINE_ONCE, "once 2023-06-30 half", "2023-H1=2023-06-30");
        check("2023 жылғы \u0406 жартыжылдық", DEADLINE_ONCE, "once 2023-06-30 half", "2023-H1=2023-06-30");
        check("\u0406V квартал 2022", DEADLINE_ONCE, "once 2022-12-31 quarter", "2022-Q4=2022-12-31");
        check("iv квартал 2022", DEADLINE_ONCE, "once 2022-12-31 quarter", "2022-Q4=2022-12-31");
        /* A Latin "i" typed inside a Kazakh word. */
        check("2022 жылғы шiлде", DEADLINE_ONCE, "once 2022-07-31 month", "2022-07=2022-07-31");
}

/* One month written in a language, with the month it names. */
struct month_word {
        const char *word;
        int month;
};

Test(deadline, every_month_in_every_language) {
        static const struct month_word words[] = {
                {"қаңтар", 1},     {"ақпан", 2},       {"наурыз", 3},      {"сәуір", 4},     {"мамыр", 5},
                {"маусым", 6},     {"шілде", 7},       {"тамыз", 8},       {"қыркүйек", 9},  {"қазан", 10},
                {"қараша", 11},    {"желтоқсан", 12},  {"қаңтарда", 1},    {"ақпанда", 2},   {"наурызда", 3},
                {"сәуірде", 4},    {"мамырда", 5},     {"маусымнан", 6},   {"шілдеде", 7},   {"тамызда", 8},
                {"қыркүйекте", 9}, {"қазанда", 10},    {"қарашада", 11},   {"желтоқсанда", 12},
                {"январь", 1},     {"февраль", 2},     {"март", 3},        {"апрель", 4},    {"май", 5},
                {"июнь", 6},       {"июль", 7},        {"август", 8},      {"сентябрь", 9},  {"октябрь", 10},
                {"ноябрь", 11},    {"декабрь", 12},    {"в январе", 1},    {"в феврале", 2}, {"в марте", 3},
                {"в апреле", 4},   {"в мае", 5},       {"в июне", 6},      {"в июле", 7},    {"в августе", 8},
                {"в сентябре", 9}, {"в октябре", 10},  {"в ноябре", 11},   {"в декабре", 12},
                {"January", 1},    {"February", 2},    {"March", 3},       {"April", 4},     {"May", 5},
                {"June", 6},       {"July", 7},        {"August", 8},      {"September", 9}, {"October", 10},
                {"November", 11},  {"December", 12},   {"Jan", 1},         {"Feb", 2},       {"Mar", 3},
                {"Apr", 4},        {"Jun", 6},         {"Jul", 7},         {"Aug", 8},       {"Sep", 9},
                {"Sept", 9},       {"Oct", 10},        {"Nov", 11},        {"Dec", 12},
        };
        for (size_t i = 0; i < ELEMENTSOF(words); i++) {
                char phrase[128];
                snprintf(phrase, sizeof(phrase), "%s 2023", words[i].word);
                struct deadline dl = parse_ok(phrase);
                cr_assert_eq(dl.kind, DEADLINE_ONCE, "'%s'", phrase);
                cr_assert_eq(dl.unit, DEADLINE_UNIT_MONTH, "'%s'", phrase);
                cr_assert_eq(dl.month, words[i].month, "'%s': month %d", phrase, dl.month);
                cr_assert_eq(dl.day, date_days_in_month(2023, words[i].month), "'%s'", phrase);
        }
        /* Dates: the Kazakh dative and the Russian genitive of every month. */
        static const struct month_word dates[] = {
                {"2023 жылғы 5 қаңтарға дейін", 1},     {"2023 жылғы 5 ақпанға дейін", 2},
                {"2023 жылғы 5 наурызға дейін", 3},     {"2023 жылғы 5 сәуірге дейін", 4},
                {"2023 жылғы 5 мамырға дейін", 5},      {"2023 жылғы 5 маусымға дейін", 6},
                {"2023 жылғы 5 шілдеге дейін", 7},      {"2023 жылғы 5 тамызға дейін", 8},
                {"2023 жылғы 5 қыркүйекке дейін", 9},   {"2023 жылғы 5 қазанға дейін", 10},
                {"2023 жылғы 5 қарашаға дейін", 11},    {"2023 жылғы 5 желтоқсанға дейін", 12},
                {"до 5 января 2023 года", 1},           {"до 5 февраля 2023 года", 2},
                {"до 5 марта 2023 года", 3},            {"до 5 апреля 2023 года", 4},
                {"до 5 мая 2023 года", 5},              {"до 5 июня 2023 года", 6},
                {"до 5 июля 2023 года", 7},             {"до 5 августа 2023 года", 8},
                {"до 5 сентября 2023 года", 9},         {"до 5 октября 2023 года", 10},
                {"до 5 ноября 2023 года", 11},          {"до 5 декабря 2023 года", 12},
                {"2023 жылғы 5 маусымына дейін", 6},    {"2023 жылғы 5 шілдесіне дейін", 7},
                {"2023 жылғы 5 қыркүйегіне дейін", 9},  {"2023 жылғы 5 маусымдағы", 6},
        };
        for (size_t i = 0; i < ELEMENTSOF(dates); i++) {
                struct deadline dl = parse_ok(dates[i].word);
                cr_assert_eq(dl.unit, DEADLINE_UNIT_DAY, "'%s'", dates[i].word);
                cr_assert_eq(dl.year, 2023, "'%s'", dates[i].word);
                cr_assert_eq(dl.month, dates[i].month, "'%s': month %d", dates[i].word, dl.month);
                cr_assert_eq(dl.day, 5, "'%s'", dates[i].word);
        }
}

Test(deadline, errors) {
        check_error("2022 жылғы 31 маусымға дейін", "31 June 2022 does not exist");
        check_error("31.06.2022", "31 June 2022 does not exist");
        check_error("2023 жылғы 29 ақпанға дейін", "29 February 2023 does not exist");
        check_error("ежегодно к 30 февраля", "30 February does not exist");
        check_error("2024 – 2022 жылдары жыл сайын 30 маусымға қарай", "2024-2022 run backwards");
        check_error("2300 жылғы маусым", "2300 is outside 1900-2199");
        check_error("1899 жылғы маусым", "1899 is outside 1900-2199");
        check_error("2022 – 2200 жылдары жыл сайын 30 маусымға қарай", "2200 is outside");
        check_error("келесі жыл", "'келесі'");
        check_error("asap", "did not understand 'asap'");
        check_error("ASAP", "did not understand 'ASAP' in 'ASAP'");
        check_error("2022 жылғы бір кезде", "did not understand 'бір'");
        check_error("2022 жылғы маусым ✓", "'✓'");
        check_error("", "empty");
        check_error(" \u00a0 ", "empty");
        check_error("—", "empty");
        /* Two dates are two stages: not one rule. */
        check_error("2022 жылғы маусым, 2023 жылғы наурыз", "names 2 deadlines, not one");
        check_error("до 15 июня 2022 года, 20 июня 2022 года", "names 2 deadlines, not one");
        check_error("15 маусым 2022, 16.06.2022", "names 2 deadlines, not one");
        check_error("2022 жылғы IV тоқсан, I тоқсан", "out of order");
        check_error("IV квартал 2022 года 30 июня", "out of order");
        check_error("2022 жылғы \xff маусым", "UTF-8");
        check_error("2022 жылғы \xd0", "UTF-8");
        check_error("2022 жылғы 15", "no month");
        check_error("15 маусымға дейін", "no year");
        check_error("2024 жылға дейін", "could mean by 31 December 2023 (before 2024 begins) or by 31 December 2024");
        check_error("2022 жылғы тоқсан", "'тоқсан' without the number");
        check_error("V квартал 2022", "'V'");
        check_error("Q5 2022", "no quarter 5");
        check_error("III полугодие 2023", "no half-year 3");
        check_error("2022 жылғы маусым, тұрақты", "names 2 deadlines, not one");
        check_error("жыл сайын тоқсан сайын 10-на қарай", "both annual and quarterly");
        check_error("2022 жылғы 30 маусымға қарай кейінгі", "'кейінгі'");
        check_error("2022 жылғы 45 маусым", "no day 45");
        check_error("15.06.22", "'15.06.22'");
        check_error("2022-13-01", "'2022-13-01'");
        check_error("202 жылғы маусым", "'202'");
        check_error("once 2022-06-31 day", "malformed rule");
}

Test(deadline, errors_without_a_buffer) {
        struct deadline dl;
        char tiny[8];
        cr_assert_eq(deadline_parse("asap", &dl, NULL, 0), -EINVAL);
        cr_assert_eq(deadline_parse(NULL, &dl, tiny, sizeof(tiny)), -EINVAL);
        cr_assert_eq(deadline_parse("келесі жыл", &dl, tiny, sizeof(tiny)), -EINVAL);
        cr_assert_eq(strlen(tiny), sizeof(tiny) - 1);
}

Test(deadline, canonical_text_reads_back) {
        static const char *const phrases[] = {
                "2022 жылғы маусым",   "2022 жылғы 15 маусымға дейін", "2022 жылғы IV тоқсан",
                "H1 2023",             "2022 – 2024 жылдары жыл сайын 30 маусымға қарай",
                "ежегодно к 30 июня",  "quarterly by the 10th of the month after the quarter",
                "2023 – 2024 жылдары тоқсан сайын, есепті тоқсаннан кейінгі айдың 10-на қарай", "тұрақты",
        };
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++) {
                struct deadline dl = parse_ok(phrases[i]);
                char text[64], again[64];
                deadline_format(&dl, text, sizeof(text));
                struct deadline back = parse_ok(text);
                deadline_format(&back, again, sizeof(again));
                cr_assert_str_eq(again, text);
                cr_assert_eq(memcmp(&dl, &back, sizeof(dl)), 0, "'%s' read back differs", text);
        }
}

Test(deadline, expand_checks_its_arguments) {
        struct deadline_occurrence *occ = NULL;
        struct deadline once = parse_ok("2022 жылғы 15 маусымға дейін");
        cr_assert_eq(deadline_expand(&once, 2030, 2020, &occ), 1); /* a one-off rule needs no years */
        cr_assert_str_eq(occ[0].period, "2022-06-15");
        cr_assert_eq(occ[0].nominal, date_from_ymd(2022, 6, 15));
        free(occ);
        struct deadline quarterly = parse_ok("ежеквартально до 10 числа месяца, следующего за отчетным кварталом");
        cr_assert_eq(deadline_expand(&quarterly, 2024, 2023, &occ), -EINVAL);
        cr_assert_eq(deadline_expand(&quarterly, 0, 0, &occ), -EDOM);
        int n = deadline_expand(&quarterly, 2022, 2024, &occ);
        cr_assert_eq(n, 12);
        for (int i = 1; i < n; i++)
                cr_assert_lt(occ[i - 1].nominal, occ[i].nominal);
        cr_assert_str_eq(occ[11].period, "2024-Q4");
        cr_assert_eq(occ[11].nominal, date_from_ymd(2025, 1, 10));
        free(occ);
}

/* ---- The language of real plans: several rules per cell, read in a plan's context. ---- */

/* What a phrase reads into in a plan of years from..to (0, 0: none): "RULES | period=date ...", or
 * "refused: MESSAGE". */
static void read_text(const char *phrase, int from, int to, bool month_start, char *out, size_t len) {
        struct deadline_context ctx = {.year_from = from, .year_to = to, .month_start = month_start};
        struct deadline_rules rules;
        char err[512] = "";
        if (deadline_read(phrase, &ctx, &rules, err, sizeof(err)) < 0) {
                cr_assert(!isempty(err), "'%s': refused without a message", phrase);
                snprintf(out, len, "refused: %s", err);
                return;
        }
        deadline_format_rules(&rules, out, len);
        struct deadline_occurrence *occ = NULL;
        int n = deadline_expand_rules(&rules, from, to, &occ);
        cr_assert_geq(n, 0, "'%s': expand failed: %d", phrase, n);
        size_t used = strlen(out);
        snprintf(out + used, len - used, " |");
        for (int i = 0; i < n; i++) {
                char day[DATE_ISO_MAX];
                used = strlen(out);
                snprintf(out + used, len - used, " %s=%s", occ[i].period, date_format(occ[i].nominal, day));
        }
        free(occ);
}

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Assert the rules and occurrences of a phrase in a plan of years from..to. */
static void check_read(const char *phrase, int from, int to, const char *expected) {
        char got[4096];
        read_text(phrase, from, to, false, got, sizeof(got));
        cr_assert_str_eq(got, expected, "'%s'", phrase);
}

/* Assert that a phrase is refused in a plan of years from..to, with a message holding each given text. */
static void check_refused(const char *phrase, int from, int to, const char *message, const char *also) {
        char got[4096];
        read_text(phrase, from, to, false, got, sizeof(got));
        cr_assert(starts_with(got, "refused: "), "'%s' was read: %s", phrase, got);
        cr_assert(strstr(got, message), "'%s': \"%s\" lacks \"%s\"", phrase, got, message);
        cr_assert(!also || strstr(got, also), "'%s': \"%s\" lacks \"%s\"", phrase, got, also);
}

Test(deadline, bare_month_takes_the_year_of_a_one_year_plan) {
        check_read("март", 2022, 2022, "once 2022-03-31 month | 2022-03=2022-03-31");
        check_read("наурыз", 2022, 2022, "once 2022-03-31 month | 2022-03=2022-03-31");
        check_read("январь", 2022, 2022, "once 2022-01-31 month | 2022-01=2022-01-31");
        check_read("ақпан", 2024, 2024, "once 2024-02-29 month | 2024-02=2024-02-29");
        check_read("15 июня", 2022, 2022, "once 2022-06-15 day | 2022-06-15=2022-06-15");
        check_read("Январь Февраль Апрель", 2003, 2003,
                   "once 2003-01-31 month; once 2003-02-28 month; once 2003-04-30 month | "
                   "2003-01=2003-01-31 2003-02=2003-02-28 2003-04=2003-04-30");
        /* The plan's act may say that a month means its first day. */
        char got[256];
        read_text("март", 2022, 2022, true, got, sizeof(got));
        cr_assert_str_eq(got, "once 2022-03-01 month | 2022-03=2022-03-01");
        read_text("қаңтар", 2022, 2022, true, got, sizeof(got));
        cr_assert_str_eq(got, "once 2022-01-01 month | 2022-01=2022-01-01");
        read_text("2022 жылғы наурыз", 2022, 2022, true, got, sizeof(got)); /* not bare: the last day */
        cr_assert_str_eq(got, "once 2022-03-31 month | 2022-03=2022-03-31");
        /* No year to take. */
        check_refused("март", 2022, 2024, "no year in 'март', and the plan is for 2022-2024", NULL);
        check_refused("наурыз", 0, 0, "no year in 'наурыз'", NULL);
}

Test(deadline, spans_of_quarters_and_half_years) {
        check_read("I – III кварталы 2024 года", 0, 0, "once 2024-09-30 quarter from 2024-Q1 | 2024-Q1/2024-Q3=2024-09-30");
        check_read("2024 жылғы ІІ – IV тоқсандар", 0, 0,
                   "once 2024-12-31 quarter from 2024-Q2 | 2024-Q2/2024-Q4=2024-12-31");
        check_read("2023 жылғы ІІ тоқсан – 2024 жылғы І тоқсан", 0, 0,
                   "once 2024-03-31 quarter from 2023-Q2 | 2023-Q2/2024-Q1=2024-03-31");
        check_read("2022 жылғы ІІ тоқсан –2023 жылғы IV тоқсан", 0, 0,
                   "once 2023-12-31 quarter from 2022-Q2 | 2022-Q2/2023-Q4=2023-12-31");
        check_read("ІІ-ІІІ квартал 1998 года", 0, 0, "once 1998-09-30 quarter from 1998-Q2 | 1998-Q2/1998-Q3=1998-09-30");
        check_read("1998 жылдың 2-3 тоқсаны", 0, 0, "once 1998-09-30 quarter from 1998-Q2 | 1998-Q2/1998-Q3=1998-09-30");
        check_read("I – II полугодие 2024 года", 0, 0, "once 2024-12-31 half from 2024-H1 | 2024-H1/2024-H2=2024-12-31");
        check_refused("III – I кварталы 2024 года", 0, 0, "ends before it begins", NULL);
}

Test(deadline, several_stages_in_one_cell) {
        check_read("III квартал 2023 года I – II кварталы 2024 года", 0, 0,
                   "once 2023-09-30 quarter; once 2024-06-30 quarter from 2024-Q1 | "
                   "2023-Q3=2023-09-30 2024-Q1/2024-Q2=2024-06-30");
        check_read("2023 жылғы IV тоқсан 2024 жылғы І – ІІ тоқсандар", 0, 0,
                   "once 2023-12-31 quarter; once 2024-06-30 quarter from 2024-Q1 | "
                   "2023-Q4=2023-12-31 2024-Q1/2024-Q2=2024-06-30");
        check_read("IV квартал 2024 года, 2025 год", 0, 0,
                   "once 2024-12-31 quarter; once 2025-12-31 year | 2024-Q4=2024-12-31 2025=2025-12-31");
        check_read("2021 жылғы IV тоқсан, 2022 жыл", 0, 0,
                   "once 2021-12-31 quarter; once 2022-12-31 year | 2021-Q4=2021-12-31 2022=2022-12-31");
        check_refused("ІІІ, ІҮ кварталы 1998 года", 0, 0, "one deadline at the end of the last period",
                      "or one at the end of each");
        check_read("IV квартал 2003 года 2004 года", 0, 0,
                   "once 2003-12-31 quarter; once 2004-12-31 year | 2003-Q4=2003-12-31 2004=2004-12-31");
        check_read("Февраль, в течение года", 2000, 2000,
                   "once 2000-02-29 month; once 2000-12-31 year | 2000-02=2000-02-29 2000=2000-12-31");
        check_read("В течение года Июнь 1998 года", 1998, 1998,
                   "once 1998-12-31 year; once 1998-06-30 month | 1998=1998-12-31 1998-06=1998-06-30");
        check_read("Первый квартал 2005 года, далее - постоянно", 0, 0,
                   "once 2005-03-31 quarter; continuous | 2005-Q1=2005-03-31");
        check_read("2025 год и далее", 0, 0, "continuous |");
        check_read("до 1 июля 2025 года, далее – ежегодно до 1 июля", 2024, 2027,
                   "once 2025-07-01 day; annual 07-01 2026-2027 | 2025-07-01=2025-07-01 2026=2026-07-01 "
                   "2027=2027-07-01");
        check_read("2025 год (I этап), 2026 год (II этап)", 0, 0,
                   "once 2025-12-31 year; once 2026-12-31 year | 2025=2025-12-31 2026=2026-12-31");
        check_read("жыл сайын, 20 қаңтарға және 20 шілдеге дейін", 2024, 2024,
                   "annual 01-20; annual 07-20 | 2024=2024-01-20 2024-07=2024-07-20");
        check_read("до 1 декабря 2024 года, далее ежегодно", 2024, 2026,
                   "annual 12-01 2024-2026 | 2024=2024-12-01 2025=2025-12-01 2026=2026-12-01");
        check_read("22-23 февраля 1-2 марта", 2003, 2003,
                   "once 2003-02-23 day from 2003-02-22; once 2003-03-02 day from 2003-03-01 | "
                   "2003-02-22/2003-02-23=2003-02-23 2003-03-01/2003-03-02=2003-03-02");
        /* The same date said twice is one stage. */
        check_read("15 маусым 2022, 15.06.2022", 0, 0, "once 2022-06-15 day | 2022-06-15=2022-06-15");
        /* A stage that takes its year from an earlier one cannot be due before it. */
        check_refused("2023 жылғы IV тоқсан, I тоқсан", 0, 0, "out of order", NULL);
}

Test(deadline, month_or_date_with_a_range_of_years_is_yearly) {
        static const char *const november[] = {"ноябрь, 2023–2025 годы", "ноябрь 2023–2025 годы",
                                               "2023 – 2025 жылдар, қараша"};
        for (size_t i = 0; i < ELEMENTSOF(november); i++)
                check_read(november[i], 0, 0,
                           "annual 11-30 2023-2025 | 2023=2023-11-30 2024=2024-11-30 2025=2025-11-30");
        static const char *const may[] = {"15 мая, 2024–2027 годы", "2024 – 2027 жылдар, 15 мамыр"};
        for (size_t i = 0; i < ELEMENTSOF(may); i++)
                check_read(may[i], 0, 0,
                           "annual 05-15 2024-2027 | 2024=2024-05-15 2025=2025-05-15 2026=2026-05-15 2027=2027-05-15");
        check_read("3 квартал 2001-2003 годы", 0, 0,
                   "annual 09-30 2001-2003 | 2001=2001-09-30 2002=2002-09-30 2003=2003-09-30");
        check_refused("I – II кварталы 2023–2024 годов", 0, 0, "a span within each year of 2023-2024",
                      "one span across them");
}

Test(deadline, yearly_without_a_day) {
        static const char *const end_of_year[] = {"ежегодно", "жыл сайын", "Ежегодно", "Еже- годно", "раз в год"};
        for (size_t i = 0; i < ELEMENTSOF(end_of_year); i++)
                check_read(end_of_year[i], 2023, 2024, "annual 12-31 | 2023=2023-12-31 2024=2024-12-31");
        static const char *const november[] = {"ежегодно, ноябрь", "жыл сайын, қараша", "Ноябрь Ежегодно"};
        for (size_t i = 0; i < ELEMENTSOF(november); i++)
                check_read(november[i], 2023, 2024, "annual 11-30 | 2023=2023-11-30 2024=2024-11-30");
        static const char *const third_quarter[] = {"III квартал ежегодно", "ІІІ- тоқсан, жыл сайын",
                                                    "Еже- годно в третьем квар- тале"};
        for (size_t i = 0; i < ELEMENTSOF(third_quarter); i++)
                check_read(third_quarter[i], 2023, 2024, "annual 09-30 | 2023=2023-09-30 2024=2024-09-30");
        check_read("Ежегодно 2001-2003 годы", 0, 0, "annual 12-31 2001-2003 | 2001=2001-12-31 2002=2002-12-31 2003=2003-12-31");
        check_read("Июнь-июль 2001г. 1 квартал ежегодно 2002-2003 годы", 0, 0,
                   "once 2001-07-31 month from 2001-06; annual 03-31 2002-2003 | 2001-06/2001-07=2001-07-31 "
                   "2002=2002-03-31 2003=2003-03-31");
        check_refused("3 квартал 2001 года ежегодно 2002-2003 годы", 0, 0, "each year by the same quarter or month",
                      "or by the end of each year");
        check_read("Июнь, декабрь ежегодно", 2024, 2024, "annual 06-30; annual 12-31 | 2024=2024-06-30 2024-12=2024-12-31");
        check_read("Ежегодно, к 1 февраля, начиная с 2025 года", 2024, 2026,
                   "annual 02-01 2025-2026 | 2025=2025-02-01 2026=2026-02-01");
        check_read("2024 жылдан бастап жыл сайын 1 ақпанға дейін", 2023, 2025,
                   "annual 02-01 2024-2025 | 2024=2024-02-01 2025=2025-02-01");
        check_refused("ежегодно, начиная с 2025 года", 0, 0, "the plan's last year is not known", NULL);
        check_read("ежегодно, до 10 числа месяца, следующего за отчетным годом", 2023, 2024,
                   "annual 01-10 after | 2023=2024-01-10 2024=2025-01-10");
}

#define QUARTER_ENDS_2024 "2024-Q1=2024-03-31 2024-Q2=2024-06-30 2024-Q3=2024-09-30 2024-Q4=2024-12-31"
#define HALF_ENDS_2024 "2024-H1=2024-06-30 2024-H2=2024-12-31"

Test(deadline, monthly_with_a_misspelt_month) {
        /* "айдың" typed "айдын", as an Akmola plan of 2004 has it. */
        char right[4096], typed[4096];
        read_text("2004 жыл әр айдың 15-іне дейін", 2004, 2005, false, right, sizeof(right));
        read_text("2004 жыл әр айдын 15-іне дейін", 2004, 2005, false, typed, sizeof(typed));
        cr_assert(starts_with(right, "monthly 15 2004-2004 |"), "%s", right);
        cr_assert_str_eq(typed, right);
}

Test(deadline, quarterly_half_yearly_and_monthly) {
        static const char *const quarterly[] = {"ежеквартально", "тоқсан сайын", "Тоқсанына 1 рет",
                                                "Не реже 1 раза в квартал", "Еже- квар- тально"};
        for (size_t i = 0; i < ELEMENTSOF(quarterly); i++)
                check_read(quarterly[i], 2024, 2024, "quarterly end | " QUARTER_ENDS_2024);
        static const char *const half[] = {"1 раз в полугодие", "жарты жылда 1 рет",
                                           "по мере необходимости, но не реже 1 раза в полугодие",
                                           "қажеттілігіне қарай, бірақ жарты жылда кемінде 1 рет"};
        for (size_t i = 0; i < ELEMENTSOF(half); i++)
                check_read(half[i], 2024, 2024, "halfyearly end | " HALF_ENDS_2024);
        static const char *const twentieth[] = {"тоқсан сайын есепті кезеңнен кейінгі айдың 20-сына",
                                                "тоқсан сайын есепті кезеңнен кейінгі айдың 20-күніне",
                                                "тоқсан сайын есепті кезеңнен кейінгі айдың 20-на қарай"};
        for (size_t i = 0; i < ELEMENTSOF(twentieth); i++)
                check_read(twentieth[i], 2024, 2024,
                           "quarterly 20 | 2024-Q1=2024-04-20 2024-Q2=2024-07-20 2024-Q3=2024-10-20 2024-Q4=2025-01-20");
        check_read("До 10 числа месяца, следу- ющего за от- четным полу- годием и годом", 2024, 2024,
                   "halfyearly 10 | 2024-H1=2024-07-10 2024-H2=2025-01-10");
        check_read("1 раз в полугодие 2001-2002 годы", 0, 0,
                   "halfyearly end 2001-2002 | 2001-H1=2001-06-30 2001-H2=2001-12-31 2002-H1=2002-06-30 "
                   "2002-H2=2002-12-31");
        check_read("Еже- месяч- но до 25 числа", 2024, 2024,
                   "monthly 25 | 2024-01=2024-01-25 2024-02=2024-02-25 2024-03=2024-03-25 2024-04=2024-04-25 "
                   "2024-05=2024-05-25 2024-06=2024-06-25 2024-07=2024-07-25 2024-08=2024-08-25 2024-09=2024-09-25 "
                   "2024-10=2024-10-25 2024-11=2024-11-25 2024-12=2024-12-25");
        static const char *const monthly[] = {"ежемесячно", "ай сайын", "1 раз в месяц"};
        for (size_t i = 0; i < ELEMENTSOF(monthly); i++) {
                char got[1024];
                read_text(monthly[i], 2024, 2024, false, got, sizeof(got));
                cr_assert(starts_with(got, "monthly end | 2024-01=2024-01-31 2024-02=2024-02-29 "), "'%s': %s",
                          monthly[i], got);
        }
        char got[1024];
        read_text("ежемесячно, до 5 числа месяца, следующего за отчетным", 2024, 2024, false, got, sizeof(got));
        cr_assert(starts_with(got, "monthly 5 after | 2024-01=2024-02-05 "), "%s", got);
        cr_assert(strstr(got, " 2024-12=2025-01-05"), "%s", got);
        read_text("не позднее 10 числа месяца, следующего за отчетным", 2024, 2024, false, got, sizeof(got));
        cr_assert(starts_with(got, "monthly 10 after | 2024-01=2024-02-10 "), "%s", got);
        check_refused("ежеквартально до 25 числа", 2024, 2024, "day 25 of the last month of each quarter",
                      "or of the month after it");
        check_refused("Раз в три года", 2024, 2026, "once every 3 years: merzim has no such rule", NULL);
        check_refused("Два раза в год", 2024, 2026, "by the end of each of 2 parts of the year",
                      "or on 2 dates the plan does not give");
        check_refused("жылына 2 рет", 2024, 2026, "by the end of each of 2 parts of the year", NULL);
        /* Twice a year on the dates it names. */
        check_read("2 раза в год (июнь, декабрь)", 2024, 2024, "annual 06-30; annual 12-31 | 2024=2024-06-30 2024-12=2024-12-31");
        check_refused("2 раза в год (июнь)", 2024, 2024, "by the end of each of 2 parts of the year", NULL);
        check_refused("2 раза в неделю (понедельник, четверг)", 2024, 2024, "weekly", NULL);
}

Test(deadline, throughout_a_range_is_due_at_its_end) {
        static const char *const range[] = {"в течение 2023–2025 годов", "2023 – 2025 жылдар бойы", "2023-2025 годы"};
        for (size_t i = 0; i < ELEMENTSOF(range); i++)
                check_read(range[i], 0, 0, "once 2025-12-31 year from 2023 | 2023/2025=2025-12-31");
        static const char *const year[] = {"в течение 2024 года", "2024 жыл бойы", "2024 жыл"};
        for (size_t i = 0; i < ELEMENTSOF(year); i++)
                check_read(year[i], 0, 0, "once 2024-12-31 year | 2024=2024-12-31");
        /* "The year" is the plan's when it has one. */
        static const char *const the_year[] = {"В течение года", "Жыл бойына", "До конца года", "Жыл ішінде"};
        for (size_t i = 0; i < ELEMENTSOF(the_year); i++) {
                check_read(the_year[i], 1998, 1998, "once 1998-12-31 year | 1998=1998-12-31");
                check_refused(the_year[i], 2006, 2008, "within each year of 2006-2008", "by the end of 2006");
        }
}

Test(deadline, span_of_dates_is_due_on_its_last_day) {
        check_read("с 1 по 15 ноября 2024 года", 0, 0, "once 2024-11-15 day from 2024-11-01 | 2024-11-01/2024-11-15=2024-11-15");
        check_read("2024 жылғы 1 – 15 қараша", 0, 0, "once 2024-11-15 day from 2024-11-01 | 2024-11-01/2024-11-15=2024-11-15");
        check_read("2024 жылғы 1 қазаннан бастап 15 қарашаға дейін", 0, 0,
                   "once 2024-11-15 day from 2024-10-01 | 2024-10-01/2024-11-15=2024-11-15");
        check_read("1998 жылғы 29 маусымнан 20 шілдеге дейін", 0, 0,
                   "once 1998-07-20 day from 1998-06-29 | 1998-06-29/1998-07-20=1998-07-20");
        check_read("С 20 июня по 20 июля 1998 года", 0, 0,
                   "once 1998-07-20 day from 1998-06-20 | 1998-06-20/1998-07-20=1998-07-20");
        check_read("24-26 октября 1998 г.", 0, 0, "once 1998-10-26 day from 1998-10-24 | 1998-10-24/1998-10-26=1998-10-26");
        check_read("Ноябрь 1998- март 1999 г.", 0, 0, "once 1999-03-31 month from 1998-11 | 1998-11/1999-03=1999-03-31");
        check_read("Май - август 1998 года", 0, 0, "once 1998-08-31 month from 1998-05 | 1998-05/1998-08=1998-08-31");
        check_read("1998 жылдың мамыр-тамыз айлары", 0, 0,
                   "once 1998-08-31 month from 1998-05 | 1998-05/1998-08=1998-08-31");
        /* Notes in parentheses and words that say how a stage is done are not dates. */
        check_read("декабрь 2024 года (проект), март 2025 года (закон)", 0, 0,
                   "once 2024-12-31 month; once 2025-03-31 month | 2024-12=2024-12-31 2025-03=2025-03-31");
        check_refused("(проект)", 0, 0, "did not understand 'проект' in '(проект)'", NULL);
        check_read("2021 жылғы 1 қыркүйектен бастап 15 қазан аралығындағы кезеңде интернет желісі арқылы онлайн "
                   "режимінде, 2021 жылғы 1 – 30 қазан аралығында планшеттерді пайдалану арқылы",
                   0, 0,
                   "once 2021-10-15 day from 2021-09-01; once 2021-10-30 day from 2021-10-01 | "
                   "2021-09-01/2021-10-15=2021-10-15 2021-10-01/2021-10-30=2021-10-30");
        /* "Starting from" with no end is tracked from then on. */
        check_read("Начиная с пер- вого квар- тала 2005 года", 0, 0, "continuous |");
}

Test(deadline, not_later_than) {
        check_read("не позднее 15 декабря 2024 года", 0, 0, "once 2024-12-15 day | 2024-12-15=2024-12-15");
        check_read("2024 жылғы 15 желтоқсаннан кешіктірмей", 0, 0, "once 2024-12-15 day | 2024-12-15=2024-12-15");
        check_read("не позднее IV квартала 2024 года", 0, 0, "once 2024-12-31 quarter | 2024-Q4=2024-12-31");
        check_read("2024 жылғы IV тоқсаннан кешіктірмей", 0, 0, "once 2024-12-31 quarter | 2024-Q4=2024-12-31");
        check_read("не позднее декабря 2024 года", 0, 0, "once 2024-12-31 month | 2024-12=2024-12-31");
        check_read("2024 жылғы желтоқсаннан кешіктірмей", 0, 0, "once 2024-12-31 month | 2024-12=2024-12-31");
}

Test(deadline, as_needed_alone_is_continuous) {
        static const char *const phrases[] = {"по мере необходимости", "қажеттілігіне қарай", "при необходимости",
                                              "Посто- янно", "Постоян- но"};
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++)
                check_read(phrases[i], 2024, 2024, "continuous |");
}

Test(deadline, numerals_as_printed) {
        static const char *const fourth[] = {"\u0406V квартал 2024 года", "ІУ- тоқсан 2024ж.", "2024 жылдың ІҮ тоқсаны",
                                             "IV квартал 2024 года", "4-тоқсан 2024", "төртінші тоқсан 2024",
                                             "в четвертом квартале 2024 года", "2024 ж. 4-тоқсаны"};
        for (size_t i = 0; i < ELEMENTSOF(fourth); i++)
                check_read(fourth[i], 0, 0, "once 2024-12-31 quarter | 2024-Q4=2024-12-31");
        static const char *const second[] = {"I\u0406 квартал 2024", "второй квартал 2024 года", "1998 жыл ІІ тоқсан"};
        for (size_t i = 0; i < ELEMENTSOF(second); i++)
                check_read(second[i], 2024, 2024, strstr(second[i], "1998") ? "once 1998-06-30 quarter | 1998-Q2=1998-06-30" :
                                                                            "once 2024-06-30 quarter | 2024-Q2=2024-06-30");
        static const char *const first_half[] = {"бірінші жартыжылдық 2024 жыл", "2024 жылғы бірінші жартыжылдық",
                                                 "1 полугодие 2024 года", "первое полугодие 2024 года"};
        for (size_t i = 0; i < ELEMENTSOF(first_half); i++)
                check_read(first_half[i], 0, 0, "once 2024-06-30 half | 2024-H1=2024-06-30");
        check_read("2 полугодие 2001года", 0, 0, "once 2001-12-31 half | 2001-H2=2001-12-31");
        check_read("1.01.1999г.", 0, 0, "once 1999-01-01 day | 1999-01-01=1999-01-01");
}

Test(deadline, a_long_month_name_one_letter_off) {
        check_read("яварь-май", 2003, 2003, "once 2003-05-31 month from 2003-01 | 2003-01/2003-05=2003-05-31");
        check_read("сентябь 2024", 0, 0, "once 2024-09-30 month | 2024-09=2024-09-30");
        check_read("2024 жылғы желтоксан", 0, 0, "once 2024-12-31 month | 2024-12=2024-12-31");
        /* Short names are too near other words and each other ("июнь", "июль"). */
        check_refused("июпь 2024", 0, 0, "did not understand 'июпь'", NULL);
        check_refused("қазақ 2024", 0, 0, "did not understand 'қазақ'", NULL);
}

Test(deadline, line_wrap_hyphens_are_joined_when_the_word_is_known) {
        check_read("Еже- годно в первом квар- тале", 2024, 2024, "annual 03-31 | 2024=2024-03-31");
        /* "Постоянно", within a month after each act: the count is the deadline. */
        check_read("Посто- янно, в те- чении месяца после приня- тия НПА или изме- нений в него", 2024, 2024,
                   "relative +1 months after «принятия НПА или изменений в него» |");
        /* A capital after the hyphen is not a wrapped word. */
        check_refused("Посто- Янно", 2024, 2024, "did not understand 'Посто'", NULL);
}

Test(deadline, relative_to_an_event) {
        check_read("в течение 5 рабочих дней после подписания справки", 0, 0,
                   "relative +5 workdays after «подписания справки» |");
        check_read("талдау аяқталғанға дейін 10 жұмыс күні бұрын", 0, 0,
                   "relative -10 workdays before «талдау аяқталғанға» |");
        check_read("жоспар бекітілген күннен бастап 3 жұмыс күні ішінде", 0, 0,
                   "relative +3 workdays after «жоспар бекітілген» |");
        check_read("в течение года со дня вступления в силу закона", 0, 0,
                   "relative +1 years after «вступления в силу закона» |");
        check_read("В те- чение 15 дней после прове- дения меро- прия- тия", 0, 0,
                   "relative +15 days after «проведения мероприятия» |");
        check_read("При получении кредитов в течение трех месяцев", 0, 0,
                   "relative +3 months after «получении кредитов» |");
        check_read("за 10 календарных дней до начала сессии", 0, 0, "relative -10 days before «начала сессии» |");
        check_read("не позднее 2 недель после утверждения бюджета", 0, 0,
                   "relative +2 weeks after «утверждения бюджета» |");
        check_read("через месяц после принятия закона", 0, 0, "relative +1 months after «принятия закона» |");
        check_refused("в течение 5 рабочих дней", 0, 0, "counts from no event", NULL);

        /* Dated by the working-day calendar once the event is recorded: 8 March 2024 is a holiday. */
        struct calendar *kz = NULL;
        struct errlist errs = {0};
        cr_assert_eq(calendar_load_builtin(&kz, &errs), 0);
        struct deadline dl = parse_ok("в течение 5 рабочих дней после подписания справки");
        cr_assert(deadline_waits(&dl));
        day_t due;
        cr_assert_eq(deadline_relative_due(&dl, date_from_ymd(2024, 3, 6), kz, &due), 0);
        cr_assert_eq(due, date_from_ymd(2024, 3, 14));
        dl = parse_ok("талдау аяқталғанға дейін 10 жұмыс күні бұрын");
        cr_assert_eq(deadline_relative_due(&dl, date_from_ymd(2024, 3, 22), kz, &due), 0);
        cr_assert_eq(due, date_from_ymd(2024, 3, 6)); /* back over 8 March and two weekends */
        dl = parse_ok("в течение года со дня вступления в силу закона");
        cr_assert_eq(deadline_relative_due(&dl, date_from_ymd(2024, 2, 29), kz, &due), 0);
        cr_assert_eq(due, date_from_ymd(2025, 2, 28));
        struct deadline once = parse_ok("2024 жылғы маусым");
        cr_assert_eq(deadline_relative_due(&once, date_from_ymd(2024, 2, 29), kz, &due), -EINVAL);
        calendar_free(kz);
}

Test(deadline, events_without_a_number_wait_for_a_date) {
        static const char *const events[] = {
                "по итогам проверки", "шығу кезінде", "Арнайы жоспар бойынша", "Согласно графику МВД РК",
                "по итогам вступления в силу поправок в Налоговый кодекс Республики Казахстан",
                "Қазақстан Республикасының Салық кодексіне түзетулердің күшіне ену қорытындылары бойынша"};
        for (size_t i = 0; i < ELEMENTSOF(events); i++) {
                char expected[512];
                snprintf(expected, sizeof(expected), "event «%s» |", events[i]);
                check_read(events[i], 2024, 2024, expected);
                struct deadline dl = parse_ok(events[i]);
                cr_assert(deadline_waits(&dl));
                cr_assert_str_eq(dl.event, events[i]);
        }
        check_read("по отдельному графику", 2024, 2024, "event «по отдельному графику» |");
        /* A recurrence dated by an event has no date of its own. */
        check_read("Еже- годно, по итогам года", 2024, 2024, "event «Ежегодно, по итогам года» |");
        /* A plan of the work keeps the recurrence's dates; a schedule not given makes them unknown. */
        check_read("Ежеквартально согласно плану", 2024, 2024, "quarterly end | " QUARTER_ENDS_2024);
        check_refused("Ежегод- но, по графику", 2024, 2024, "by the end of each period",
                      "or on the dates of a schedule the plan does not give");
        /* A year or a range beside an event is the period of the work. */
        check_read("2004-2005 годы согласно плану", 2004, 2005, "event «согласно плану» |");
        check_read("май 2004 года, далее согласно плану", 2004, 2005,
                   "once 2004-05-31 month; event «согласно плану» | 2004-05=2004-05-31");
        /* In parentheses after a date, it is a remark on how the work is done: the date stands (a
         * Karaganda plan of 2002). An event's own words in them still make an event. */
        check_read("В течение года (согласно плану)", 2002, 2002, "once 2002-12-31 year | 2002=2002-12-31");
        check_read("В течение года (по согласов.с международ. организациями)", 2002, 2002,
                   "once 2002-12-31 year | 2002=2002-12-31");
        check_read("2002 г. (согласно плану)", 2002, 2002, "once 2002-12-31 year | 2002=2002-12-31");
        check_read("2025 год (после принятия закона)", 2025, 2025, "event «после принятия закона» |");
        check_read("(согласно плану)", 2002, 2002, "event «согласно плану» |");
}

Test(deadline, ambiguous_phrases_are_refused_with_both_readings) {
        check_refused("до 2024 года", 0, 0, "by 31 December 2023 (before 2024 begins)", "or by 31 December 2024");
        check_refused("2024 жылға дейін", 0, 0, "by 31 December 2023", "by 31 December 2024");
        check_refused("by 2024", 0, 0, "by 31 December 2023", "by 31 December 2024");
        check_read("до конца 2024 года", 0, 0, "once 2024-12-31 year | 2024=2024-12-31");
        check_read("2024 жылдың соңына дейін", 0, 0, "once 2024-12-31 year | 2024=2024-12-31");
}

Test(deadline, errors_quote_the_phrase_as_written) {
        check_refused("Ежегодно, КРОМЕ января", 2024, 2024, "did not understand 'КРОМЕ' in 'Ежегодно, КРОМЕ января'", NULL);
        check_refused("2022  жылғы маусым ✓", 0, 0, "did not understand '✓' in '2022  жылғы маусым ✓'", NULL);
        check_refused("Январь-февраль явврь-май", 2003, 2003, "did not understand 'явврь'", NULL);
        check_refused("ІV   КВАРТАЛ 2024 ГОДА ИЛИ ПОЗЖЕ", 0, 0, "'ИЛИ' in 'ІV   КВАРТАЛ 2024 ГОДА ИЛИ ПОЗЖЕ'", NULL);
}

Test(deadline, canonical_rules_read_back) {
        static const char *const phrases[] = {
                "I – III кварталы 2024 года",       "IV квартал 2024 года, 2025 год",
                "ноябрь, 2023–2025 годы",           "в течение 2023–2025 годов",
                "ежегодно, до 10 числа месяца, следующего за отчетным годом",
                "ежеквартально",                    "1 раз в полугодие 2001-2005 годы",
                "До 10 числа месяца, следующего за отчетным полугодием",
                "Еже- месяч- но до 25 числа",      "ежемесячно, до 5 числа месяца, следующего за отчетным",
                "ежемесячно",                       "с 1 по 15 ноября 2024 года",
                "Ноябрь 1998- март 1999 г.",        "Первый квартал 2005 года, далее - постоянно",
                "в течение 5 рабочих дней после подписания акта «А»; справки",
                "талдау аяқталғанға дейін 10 жұмыс күні бұрын",
                "по итогам проекта «Не стань дропом!»", "Июнь-июль 2001г. 1 квартал ежегодно 2002-2005 годы",
        };
        for (size_t i = 0; i < ELEMENTSOF(phrases); i++) {
                struct deadline_rules rules, back;
                char err[512], text[2048], again[2048];
                cr_assert_eq(deadline_read(phrases[i], NULL, &rules, err, sizeof(err)), 0, "'%s': %s", phrases[i], err);
                deadline_format_rules(&rules, text, sizeof(text));
                cr_assert_eq(deadline_read(text, NULL, &back, err, sizeof(err)), 0, "'%s' -> '%s': %s", phrases[i], text,
                             err);
                deadline_format_rules(&back, again, sizeof(again));
                cr_assert_str_eq(again, text, "'%s'", phrases[i]);
                cr_assert_eq(back.n, rules.n);
                for (size_t k = 0; k < rules.n; k++) {
                        cr_assert_eq(back.rule[k].kind, rules.rule[k].kind, "'%s'", text);
                        cr_assert_str_eq(back.rule[k].event, rules.rule[k].event, "'%s'", text);
                        cr_assert_eq(back.rule[k].from_year, rules.rule[k].from_year, "'%s'", text);
                        cr_assert_eq(back.rule[k].from_month, rules.rule[k].from_month, "'%s'", text);
                }
        }
        /* The longest rules there can be fit the room callers give them, and read back. */
        struct deadline_rules most = {.n = DEADLINE_RULES_MAX}, back;
        for (size_t k = 0; k < most.n; k++) {
                most.rule[k] = (struct deadline) {.kind = DEADLINE_RELATIVE, .amount = 3660,
                                                  .step = DEADLINE_WORKING_DAYS, .before = true};
                memset(most.rule[k].event, 'x', sizeof(most.rule[k].event) - 1);
                most.rule[k].event[0] = (char) ('a' + k);
        }
        char longest[DEADLINE_RULES_TEXT_MAX], most_again[DEADLINE_RULES_TEXT_MAX], why[256];
        deadline_format_rules(&most, longest, sizeof(longest));
        cr_assert_lt(strlen(longest) + 1, sizeof(longest));
        cr_assert_eq(deadline_read(longest, NULL, &back, why, sizeof(why)), 0, "%s", why);
        deadline_format_rules(&back, most_again, sizeof(most_again));
        cr_assert_str_eq(most_again, longest);
        static const char *const malformed[] = {"once 2022-06-31 day", "once 2022-06-15 month",
                                                "annual 02-30", "once 2024-09-30 quarter from 2024-Q4"};
        for (size_t i = 0; i < ELEMENTSOF(malformed); i++) {
                struct deadline_rules rules;
                char err[256];
                cr_assert_eq(deadline_read(malformed[i], NULL, &rules, err, sizeof(err)), -EINVAL, "'%s' was read",
                             malformed[i]);
        }
}

/* An example of the README's deadline table and what it reads into in a plan for 2024. */
struct example {
        const char *phrase, *expected;
};

static const struct example readme_examples[] = {
        {"2022 жылғы маусым",
         "once 2022-06-30 month | 2022-06=2022-06-30"},
        {"июнь 2022 года",
         "once 2022-06-30 month | 2022-06=2022-06-30"},
        {"June 2022",
         "once 2022-06-30 month | 2022-06=2022-06-30"},
        {"наурыз",
         "once 2024-03-31 month | 2024-03=2024-03-31"},
        {"март",
         "once 2024-03-31 month | 2024-03=2024-03-31"},
        {"2022 жылғы 15 маусымға дейін",
         "once 2022-06-15 day | 2022-06-15=2022-06-15"},
        {"до 15 июня 2022 года",
         "once 2022-06-15 day | 2022-06-15=2022-06-15"},
        {"15.06.2022",
         "once 2022-06-15 day | 2022-06-15=2022-06-15"},
        {"2022-06-15",
         "once 2022-06-15 day | 2022-06-15=2022-06-15"},
        {"2024 жылғы 15 желтоқсаннан кешіктірмей",
         "once 2024-12-15 day | 2024-12-15=2024-12-15"},
        {"не позднее 15 декабря 2024 года",
         "once 2024-12-15 day | 2024-12-15=2024-12-15"},
        {"2024 жылғы IV тоқсаннан кешіктірмей",
         "once 2024-12-31 quarter | 2024-Q4=2024-12-31"},
        {"не позднее IV квартала 2024 года",
         "once 2024-12-31 quarter | 2024-Q4=2024-12-31"},
        {"2022 жылғы IV тоқсан",
         "once 2022-12-31 quarter | 2022-Q4=2022-12-31"},
        {"IV квартал 2022 года",
         "once 2022-12-31 quarter | 2022-Q4=2022-12-31"},
        {"2022 ж. 4-тоқсаны",
         "once 2022-12-31 quarter | 2022-Q4=2022-12-31"},
        {"Q4 2022",
         "once 2022-12-31 quarter | 2022-Q4=2022-12-31"},
        {"2023 жылғы бірінші жартыжылдық",
         "once 2023-06-30 half | 2023-H1=2023-06-30"},
        {"I полугодие 2023 года",
         "once 2023-06-30 half | 2023-H1=2023-06-30"},
        {"2025 жыл",
         "once 2025-12-31 year | 2025=2025-12-31"},
        {"2025 год",
         "once 2025-12-31 year | 2025=2025-12-31"},
        {"в течение 2025 года",
         "once 2025-12-31 year | 2025=2025-12-31"},
        {"2024 жылғы ІІ – IV тоқсандар",
         "once 2024-12-31 quarter from 2024-Q2 | 2024-Q2/2024-Q4=2024-12-31"},
        {"I – III кварталы 2024 года",
         "once 2024-09-30 quarter from 2024-Q1 | 2024-Q1/2024-Q3=2024-09-30"},
        {"2023 жылғы ІІ тоқсан – 2024 жылғы І тоқсан",
         "once 2024-03-31 quarter from 2023-Q2 | 2023-Q2/2024-Q1=2024-03-31"},
        {"1998 жылдың мамыр-тамыз айлары",
         "once 1998-08-31 month from 1998-05 | 1998-05/1998-08=1998-08-31"},
        {"Май – август 1998 года",
         "once 1998-08-31 month from 1998-05 | 1998-05/1998-08=1998-08-31"},
        {"2024 жылғы 1 – 15 қараша",
         "once 2024-11-15 day from 2024-11-01 | 2024-11-01/2024-11-15=2024-11-15"},
        {"2024 жылғы 1 қазаннан бастап 15 қарашаға дейін",
         "once 2024-11-15 day from 2024-10-01 | 2024-10-01/2024-11-15=2024-11-15"},
        {"с 1 по 15 ноября 2024 года",
         "once 2024-11-15 day from 2024-11-01 | 2024-11-01/2024-11-15=2024-11-15"},
        {"2023 – 2025 жылдар бойы",
         "once 2025-12-31 year from 2023 | 2023/2025=2025-12-31"},
        {"в течение 2023–2025 годов",
         "once 2025-12-31 year from 2023 | 2023/2025=2025-12-31"},
        {"2023–2025 годы",
         "once 2025-12-31 year from 2023 | 2023/2025=2025-12-31"},
        {"жыл бойы",
         "once 2024-12-31 year | 2024=2024-12-31"},
        {"жыл ішінде",
         "once 2024-12-31 year | 2024=2024-12-31"},
        {"в течение года",
         "once 2024-12-31 year | 2024=2024-12-31"},
        {"до конца года",
         "once 2024-12-31 year | 2024=2024-12-31"},
        {"2023 жылғы IV тоқсан 2024 жылғы І – ІІ тоқсандар",
         "once 2023-12-31 quarter; once 2024-06-30 quarter from 2024-Q1 | 2023-Q4=2023-12-31 2024-Q1/2024-Q2=2024-06-30"},
        {"2021 жылғы IV тоқсан, 2022 жыл",
         "once 2021-12-31 quarter; once 2022-12-31 year | 2021-Q4=2021-12-31 2022=2022-12-31"},
        {"III квартал 2023 года I – II кварталы 2024 года",
         "once 2023-09-30 quarter; once 2024-06-30 quarter from 2024-Q1 | 2023-Q3=2023-09-30 2024-Q1/2024-Q2=2024-06-30"},
        {"IV квартал 2024 года, 2025 год",
         "once 2024-12-31 quarter; once 2025-12-31 year | 2024-Q4=2024-12-31 2025=2025-12-31"},
        {"2023 – 2025 жылдар, қараша",
         "annual 11-30 2023-2025 | 2023=2023-11-30 2024=2024-11-30 2025=2025-11-30"},
        {"2024 – 2027 жылдар, 15 мамыр",
         "annual 05-15 2024-2027 | 2024=2024-05-15 2025=2025-05-15 2026=2026-05-15 2027=2027-05-15"},
        {"ноябрь, 2023–2025 годы",
         "annual 11-30 2023-2025 | 2023=2023-11-30 2024=2024-11-30 2025=2025-11-30"},
        {"15 мая, 2024–2027 годы",
         "annual 05-15 2024-2027 | 2024=2024-05-15 2025=2025-05-15 2026=2026-05-15 2027=2027-05-15"},
        {"2022 – 2024 жылдары жыл сайын 30 маусымға қарай",
         "annual 06-30 2022-2024 | 2022=2022-06-30 2023=2023-06-30 2024=2024-06-30"},
        {"ежегодно, к 30 июня 2022 – 2024 годов",
         "annual 06-30 2022-2024 | 2022=2022-06-30 2023=2023-06-30 2024=2024-06-30"},
        {"annually by 30 June 2022-2024",
         "annual 06-30 2022-2024 | 2022=2022-06-30 2023=2023-06-30 2024=2024-06-30"},
        {"жыл сайын",
         "annual 12-31 | 2024=2024-12-31"},
        {"ежегодно",
         "annual 12-31 | 2024=2024-12-31"},
        {"жыл сайын, қараша",
         "annual 11-30 | 2024=2024-11-30"},
        {"ежегодно, ноябрь",
         "annual 11-30 | 2024=2024-11-30"},
        {"ІІІ тоқсан, жыл сайын",
         "annual 09-30 | 2024=2024-09-30"},
        {"III квартал ежегодно",
         "annual 09-30 | 2024=2024-09-30"},
        {"тоқсан сайын",
         "quarterly end | 2024-Q1=2024-03-31 2024-Q2=2024-06-30 2024-Q3=2024-09-30 2024-Q4=2024-12-31"},
        {"тоқсанына 1 рет",
         "quarterly end | 2024-Q1=2024-03-31 2024-Q2=2024-06-30 2024-Q3=2024-09-30 2024-Q4=2024-12-31"},
        {"ежеквартально",
         "quarterly end | 2024-Q1=2024-03-31 2024-Q2=2024-06-30 2024-Q3=2024-09-30 2024-Q4=2024-12-31"},
        {"не реже 1 раза в квартал",
         "quarterly end | 2024-Q1=2024-03-31 2024-Q2=2024-06-30 2024-Q3=2024-09-30 2024-Q4=2024-12-31"},
        {"тоқсан сайын, есепті тоқсаннан кейінгі айдың 10-на қарай",
         "quarterly 10 | 2024-Q1=2024-04-10 2024-Q2=2024-07-10 2024-Q3=2024-10-10 2024-Q4=2025-01-10"},
        {"ежеквартально, до 10 числа месяца, следующего за отчетным кварталом",
         "quarterly 10 | 2024-Q1=2024-04-10 2024-Q2=2024-07-10 2024-Q3=2024-10-10 2024-Q4=2025-01-10"},
        {"жарты жылда 1 рет",
         "halfyearly end | 2024-H1=2024-06-30 2024-H2=2024-12-31"},
        {"қажеттілігіне қарай, бірақ жарты жылда кемінде 1 рет",
         "halfyearly end | 2024-H1=2024-06-30 2024-H2=2024-12-31"},
        {"1 раз в полугодие",
         "halfyearly end | 2024-H1=2024-06-30 2024-H2=2024-12-31"},
        {"по мере необходимости, но не реже 1 раза в полугодие",
         "halfyearly end | 2024-H1=2024-06-30 2024-H2=2024-12-31"},
        {"ай сайын",
         "monthly end | 2024-01=2024-01-31 2024-02=2024-02-29 2024-03=2024-03-31 2024-04=2024-04-30 2024-05=2024-05-31 2024-06=2024-06-30 2024-07=2024-07-31 2024-08=2024-08-31 2024-09=2024-09-30 2024-10=2024-10-31 2024-11=2024-11-30 2024-12=2024-12-31"},
        {"ежемесячно",
         "monthly end | 2024-01=2024-01-31 2024-02=2024-02-29 2024-03=2024-03-31 2024-04=2024-04-30 2024-05=2024-05-31 2024-06=2024-06-30 2024-07=2024-07-31 2024-08=2024-08-31 2024-09=2024-09-30 2024-10=2024-10-31 2024-11=2024-11-30 2024-12=2024-12-31"},
        {"ежемесячно до 25 числа",
         "monthly 25 | 2024-01=2024-01-25 2024-02=2024-02-25 2024-03=2024-03-25 2024-04=2024-04-25 2024-05=2024-05-25 2024-06=2024-06-25 2024-07=2024-07-25 2024-08=2024-08-25 2024-09=2024-09-25 2024-10=2024-10-25 2024-11=2024-11-25 2024-12=2024-12-25"},
        {"тұрақты",
         "continuous |"},
        {"қажеттілігіне қарай",
         "continuous |"},
        {"постоянно",
         "continuous |"},
        {"по мере необходимости",
         "continuous |"},
        {"жоспар бекітілген күннен бастап 3 жұмыс күні ішінде",
         "relative +3 workdays after «жоспар бекітілген» |"},
        {"талдау аяқталғанға дейін 10 жұмыс күні бұрын",
         "relative -10 workdays before «талдау аяқталғанға» |"},
        {"в течение 5 рабочих дней после подписания справки",
         "relative +5 workdays after «подписания справки» |"},
        {"в течение года со дня вступления в силу закона",
         "relative +1 years after «вступления в силу закона» |"},
        {"шығу кезінде",
         "event «шығу кезінде» |"},
        {"Арнайы жоспар бойынша",
         "event «Арнайы жоспар бойынша» |"},
        {"по итогам проверки",
         "event «по итогам проверки» |"},
        {"ежегодно, по итогам года",
         "event «ежегодно, по итогам года» |"},

};

/* The examples in the README's table "The deadline language", one per line. */
static char **readme_table(size_t *n) {
        const char *srcdir = getenv("MERZIM_SRCDIR");
        _cleanup_free_ char *path = xasprintf("%s/README.md", srcdir ? srcdir : ".");
        _cleanup_free_ char *text = NULL;
        cr_assert_eq(read_file(path, &text, NULL), 0, "cannot read %s", path);
        char *start = strstr(text, "## The deadline language"), *end = start ? strstr(start, "\n## ") : NULL;
        cr_assert(start && end, "README.md has no section \"The deadline language\"");
        *end = 0;
        char **examples = NULL, *save = NULL;
        *n = 0;
        for (char *line = strtok_r(start, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (strncmp(line, "| ", 2) != 0 || strncmp(line, "| form ", 7) == 0)
                        continue;
                char *cell = strchr(line + 1, '|'), *stop = cell ? strchr(cell + 1, '|') : NULL;
                cr_assert(stop, "README.md: a row without an examples column: %s", line);
                *stop = 0;
                for (char *ex = cell + 1; ex;) {
                        char *dot = strstr(ex, " · ");
                        if (dot)
                                *dot = 0;
                        examples = xreallocarray(examples, *n + 1, sizeof(char *));
                        examples[(*n)++] = xstrdup(strstrip(ex));
                        ex = dot ? dot + strlen(" · ") : NULL;
                }
        }
        return examples;
}

Test(deadline, readme_examples) {
        size_t n;
        char **table = readme_table(&n);
        cr_assert_eq(n, ELEMENTSOF(readme_examples), "the README's table has %zu examples, the test %zu", n,
                     ELEMENTSOF(readme_examples));
        for (size_t i = 0; i < n; i++) {
                const struct example *e = NULL;
                for (size_t k = 0; k < ELEMENTSOF(readme_examples) && !e; k++)
                        if (streq(readme_examples[k].phrase, table[i]))
                                e = &readme_examples[k];
                cr_assert(e, "the README's example '%s' is not in the test", table[i]);
                check_read(e->phrase, 2024, 2024, e->expected);
                free(table[i]);
        }
        free(table);
}

/* ---- The deadline cells of real plans (tests/corpus/DEADLINES.tsv), as people read them. ---- */

/* The period of each corpus plan as its title states it (tests/corpus/SOURCES), by the number that
 * starts its file name; 0, 0 for a plan without one. */
static const struct {
        const char *prefix;
        int year_from, year_to;
} corpus_years[] = {
        {"01-", 2022, 2022}, {"02-", 2005, 2007}, {"03-", 2006, 2008}, {"04-", 0, 0},       {"05-", 2005, 2007},
        {"06-", 0, 0},       {"07-", 2003, 2004}, {"08-", 1998, 1998}, {"09-", 1998, 1998}, {"10-", 2001, 2005},
        {"11-", 2003, 2003}, {"12-", 2003, 2006}, {"13-", 2000, 2000}, {"14-", 2004, 2006}, {"15-", 2004, 2005},
        {"16-", 2005, 2005}, {"17-", 2002, 2002}, {"18-", 2002, 2005}, {"19-", 2004, 2004}, {"20-", 2005, 2007},
        {"21-", 1998, 1999}, {"22-", 2004, 2005},
};

/* Cells people read that merzim refuses, and why: each must be refused, never dated otherwise. */
static const struct {
        const char *phrase, *why;
} corpus_refused[] = {
        {"В течение го", "the cell is cut off; 'го' is no word"},
        {"2 раза в неделю (понедельник, четверг)", "merzim has no weekly rule"},
        {"Январь-март июль-сентябрь ежеквартально, последняя среда квартала",
         "merzim has no rule for the last Wednesday of each quarter"},
};

/* Cells whose readers disagree, and the reading merzim keeps: each must read so. */
static const struct {
        const char *file, *phrase, *reading, *why;
} corpus_disagreed[] = {
        {"17-", "С 1 квартала 2002 г.", "continuous",
         "plan 17's reader was unsure ('?'); plan 02's read \"Начиная с первого квартала 2005 года\" as continuous"},
        {"19-", "По мере необходимости", "continuous",
         "plan 19's reader wrote an event; merzim tracks what is done as needed and reminds of it never, as it "
         "would an event nobody dates"},
        {"19-", "В течение года", "once 2004-12-31",
         "plan 19's reader was unsure whether 2003 (its act's year) or 2004 (its title's); merzim takes the "
         "title's year, the plan's period"},
};

/* What a reading names, as sorted lines: "once DATE", "recurring MM-DD" (MM-last for a month's last
 * day), "monthly DD", "continuous", "event", "relative N STEP after"; the words of its events apart. */
struct named {
        char items[512][48];
        size_t n;
        char words[4][256];
        size_t n_words;
};

static void name_item(struct named *v, const char *fmt, ...) _printf_(2, 3);
static void name_item(struct named *v, const char *fmt, ...) {
        char item[48];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(item, sizeof(item), fmt, ap);
        va_end(ap);
        for (size_t k = 0; k < v->n; k++)
                if (streq(v->items[k], item))
                        return;
        cr_assert_lt(v->n, ELEMENTSOF(v->items));
        snprintf(v->items[v->n++], sizeof(v->items[0]), "%s", item);
}

static int compare_items(const void *a, const void *b) {
        return strcmp(a, b);
}

/* The items as one line, in order. */
static void named_text(struct named *v, char *out, size_t len) {
        qsort(v->items, v->n, sizeof(v->items[0]), compare_items);
        out[0] = 0;
        for (size_t k = 0; k < v->n; k++) {
                size_t used = strlen(out);
                snprintf(out + used, len - used, "%s%s", k ? "; " : "", v->items[k]);
        }
}

/* "MM-DD", or "MM-last" for the last day of a month (of February in any year). */
static void month_day(int month, int day, char *out, size_t len) {
        if (day == date_days_in_month(2001, month) || (month == 2 && day == 29))
                snprintf(out, len, "%02d-last", month);
        else
                snprintf(out, len, "%02d-%02d", month, day);
}

/* What the rules merzim read name: one-off dates and recurrences over their own years as dates,
 * recurrences over the plan's years as days of the year, monthly ones as their day. */
static void name_rules(const struct deadline_rules *rules, struct named *v) {
        static const char *const steps[] = {"days", "workdays", "weeks", "months", "years"};
        for (size_t i = 0; i < rules->n; i++) {
                const struct deadline *dl = &rules->rule[i];
                if (dl->kind == DEADLINE_CONTINUOUS) {
                        name_item(v, "continuous");
                } else if (dl->kind == DEADLINE_EVENT || dl->kind == DEADLINE_RELATIVE) {
                        if (dl->kind == DEADLINE_EVENT)
                                name_item(v, "event");
                        else
                                name_item(v, "relative %d %s %s", dl->amount, steps[dl->step],
                                          dl->before ? "before" : "after");
                        cr_assert_lt(v->n_words, ELEMENTSOF(v->words));
                        snprintf(v->words[v->n_words++], sizeof(v->words[0]), "%s", dl->event);
                } else if (dl->kind == DEADLINE_MONTHLY) {
                        if (dl->day)
                                name_item(v, "monthly %d", dl->day);
                        else
                                name_item(v, "monthly last");
                } else {
                        bool own = dl->kind == DEADLINE_ONCE || dl->year_from;
                        struct deadline_occurrence *occ = NULL;
                        int n = deadline_expand(dl, own ? 0 : 2001, own ? 0 : 2001, &occ);
                        cr_assert_geq(n, 1);
                        for (int k = 0; k < n; k++) {
                                int y, m, d;
                                char text[DATE_ISO_MAX], md[12];
                                date_to_ymd(occ[k].nominal, &y, &m, &d);
                                month_day(m, d, md, sizeof(md));
                                if (own)
                                        name_item(v, "once %s", date_format(occ[k].nominal, text));
                                else
                                        name_item(v, "recurring %s", md);
                        }
                        free(occ);
                }
        }
}

/* What a reading of DEADLINES.tsv names; false if it uses a form merzim has no rule for. */
static bool name_reading(const char *reading, struct named *v) {
        _cleanup_free_ char *copy = xstrdup(reading);
        char *save = NULL;
        for (char *item = strtok_r(copy, ";", &save); item; item = strtok_r(NULL, ";", &save)) {
                item = strstrip(item);
                char words[256] = "", step[32], kind[16];
                int amount, month, day;
                if (strncmp(item, "once ", 5) == 0) {
                        name_item(v, "%s", item);
                } else if (streq(item, "continuous")) {
                        name_item(v, "continuous");
                } else if (strncmp(item, "event: ", 7) == 0) {
                        name_item(v, "event");
                        snprintf(v->words[v->n_words++], sizeof(v->words[0]), "%s", item + 7);
                } else if (sscanf(item, "relative: %d %15s %31s after %255[^\n]", &amount, kind, step, words) == 4) {
                        bool working = streq(kind, "working");
                        name_item(v, "relative %d %s after", amount,
                                  working ? "workdays" : strncmp(step, "day", 3) == 0 ? "days" : step);
                        snprintf(v->words[v->n_words++], sizeof(v->words[0]), "%s", words);
                } else if (strncmp(item, "monthly ", 8) == 0) {
                        name_item(v, "%s", item);
                } else if (sscanf(item, "%15s %2d-", kind, &month) == 2 &&
                           (streq(kind, "annual") || streq(kind, "semiannual") || streq(kind, "quarterly"))) {
                        for (char *p = strchr(item, ' ') + 1; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
                                char md[12];
                                if (sscanf(p, "%2d-%2d", &month, &day) == 2)
                                        month_day(month, day, md, sizeof(md));
                                else if (sscanf(p, "%2d-last", &month) == 1)
                                        month_day(month, date_days_in_month(2001, month), md, sizeof(md));
                                else
                                        return false;
                                name_item(v, "recurring %s", md);
                        }
                } else {
                        return false;
                }
        }
        return true;
}

/* Whether the words of an event as read hold those of a reading, in any case and ending. */
static bool event_words_match(const char *read, const char *expected) {
        _cleanup_free_ char *have = utf8_fold(read), *want = utf8_fold(expected);
        char *save = NULL;
        /* Quotes inside an event are shown as “ ”, inside its « »: words are matched without them. */
        for (char *w = strtok_r(want, " «»“”\"", &save); w; w = strtok_r(NULL, " «»“”\"", &save)) {
                const char *end = w + strlen(w), *c = w;
                size_t chars = 0;
                while (c < end && utf8_decode(&c, end) >= 0)
                        chars++;
                if (chars >= 5) { /* the stem: all but the last two letters */
                        c = w;
                        for (size_t k = 0; k < chars - 2; k++)
                                utf8_decode(&c, end);
                        w[c - w] = 0;
                }
                if (!strstr(have, w))
                        return false;
        }
        return true;
}

/* Read a phrase of a corpus plan into what it names; false if refused (err says why). */
static bool corpus_read(const char *phrase, int from, int to, bool month_start, struct named *got, char *err,
                        size_t errlen) {
        struct deadline_context ctx = {.year_from = from, .year_to = to, .month_start = month_start};
        struct deadline_rules rules;
        if (deadline_read(phrase, &ctx, &rules, err, errlen) < 0)
                return false;
        *got = (struct named) {0};
        name_rules(&rules, got);
        return true;
}

/* An ambiguity the plan's setting decides: "ambiguous: once FIRST | once LAST" of a bare month, read as
 * the first day when the plan's act says so (bare_month = "first") and as the last otherwise. */
static bool decided_by_the_plan(const char *phrase, const char *reading, int from, int to) {
        char first[16], last[16], text[256], err[256];
        struct named got;
        if (sscanf(reading, "ambiguous: once %10s | once %10s", first, last) != 2 || strchr(reading, ';'))
                return false;
        char want_first[32], want_last[32];
        snprintf(want_first, sizeof(want_first), "once %s", first);
        snprintf(want_last, sizeof(want_last), "once %s", last);
        if (!corpus_read(phrase, from, to, true, &got, err, sizeof(err)))
                return false;
        named_text(&got, text, sizeof(text));
        if (!streq(text, want_first))
                return false;
        if (!corpus_read(phrase, from, to, false, &got, err, sizeof(err)))
                return false;
        named_text(&got, text, sizeof(text));
        return streq(text, want_last);
}

Test(deadline, corpus_cells_read_as_people_read_them) {
        const char *srcdir = getenv("MERZIM_SRCDIR");
        _cleanup_free_ char *path = xasprintf("%s/tests/corpus/DEADLINES.tsv", srcdir ? srcdir : ".");
        _cleanup_free_ char *text = NULL;
        cr_assert_eq(read_file(path, &text, NULL), 0, "cannot read %s", path);
        struct buf wrong = {0};
        int total = 0, dated = 0, refused = 0, by_plan = 0, known = 0;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *field[5] = {line}, *at = line;
                size_t n = 1;
                while (n < ELEMENTSOF(field) && (at = strchr(at, '\t'))) {
                        *at++ = 0;
                        field[n++] = at;
                }
                if (n < 4 || streq(field[0], "file"))
                        continue;
                const char *file = field[0], *phrase = field[2], *reading = field[3];
                int from = 0, to = 0;
                for (size_t k = 0; k < ELEMENTSOF(corpus_years); k++)
                        if (strncmp(file, corpus_years[k].prefix, 3) == 0)
                                from = corpus_years[k].year_from, to = corpus_years[k].year_to;
                total++;
                struct named got, want = {0};
                char err[512], have[8192], expected[8192];
                bool read = corpus_read(phrase, from, to, false, &got, err, sizeof(err));
                if (read)
                        named_text(&got, have, sizeof(have));
                bool listed = false;
                for (size_t k = 0; k < ELEMENTSOF(corpus_refused); k++)
                        listed = listed || streq(phrase, corpus_refused[k].phrase);
                for (size_t k = 0; k < ELEMENTSOF(corpus_disagreed); k++)
                        if (strncmp(file, corpus_disagreed[k].file, 3) == 0 &&
                            streq(phrase, corpus_disagreed[k].phrase))
                                reading = corpus_disagreed[k].reading;
                if (reading[0] == '?' || strncmp(reading, "ambiguous:", 10) == 0) {
                        /* An event gives no date either: the coordinator is asked for one. */
                        if (!read || streq(have, "event"))
                                refused++;
                        else if (decided_by_the_plan(phrase, reading, from, to))
                                by_plan++;
                        else
                                buf_printf(&wrong, "%s: '%s' should be refused (%s) but reads as: %s\n", file, phrase,
                                           reading, have);
                        continue;
                }
                if (listed) {
                        if (read)
                                buf_printf(&wrong, "%s: '%s' now reads (%s): take it off corpus_refused\n", file, phrase,
                                           have);
                        known++;
                        continue;
                }
                if (!name_reading(reading, &want)) {
                        buf_printf(&wrong, "%s: '%s': the reading '%s' has a form merzim has no rule for\n", file,
                                   phrase, reading);
                        continue;
                }
                if (!read) {
                        buf_printf(&wrong, "%s: '%s' is refused (%s); people read: %s\n", file, phrase, err, reading);
                        continue;
                }
                named_text(&want, expected, sizeof(expected));
                bool words = true;
                for (size_t k = 0; k < want.n_words; k++) {
                        bool found = false;
                        for (size_t j = 0; j < got.n_words && !found; j++)
                                found = event_words_match(got.words[j], want.words[k]);
                        words = words && found;
                }
                if (!streq(have, expected) || !words)
                        buf_printf(&wrong, "%s: '%s' reads as\n    %s\n  people read\n    %s\n", file, phrase, have,
                                   expected);
                else
                        dated++;
        }
        fprintf(stderr, "DEADLINES.tsv: %d cells: %d read as people read them, %d refused as ambiguous, %d "
                        "decided by the plan's bare_month, %d refused for want of a rule (corpus_refused)\n",
                total, dated, refused, by_plan, known);
        cr_assert(total > 100, "DEADLINES.tsv has only %d cells", total);
        cr_assert(wrong.len == 0, "%s", wrong.data);
        buf_free(&wrong);
}

/* "до июня 2022 года" is read by some as "by 31 May" and by others as "by 30 June": refused with both, while
 * "не позднее июня" closes June and a date after "до" is that day. */
Test(deadline, until_a_month_is_refused_with_both_readings) {
        struct deadline dl;
        char err[512];
        cr_assert_lt(deadline_parse("до июня 2022 года", &dl, err, sizeof(err)), 0);
        cr_assert(strstr(err, "31 May 2022") && strstr(err, "30 June 2022"), "%s", err);
        cr_assert_lt(deadline_parse("к июню 2022 года", &dl, err, sizeof(err)), 0);
        cr_assert_eq(deadline_parse("не позднее июня 2022 года", &dl, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(dl.day, 30);
        cr_assert_eq(deadline_parse("до 15 июня 2022 года", &dl, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(dl.day, 15);
}
