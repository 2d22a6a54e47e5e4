/* merzimctl and merzimd in Kazakh and Russian: the language follows the locale, the build tree's
 * catalogs (MERZIM_LOCALEDIR, set by make check) translate, --json and the C locale stay English. */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>

#include "helpers.h"
#include "util.h"

static char *dir, *conf, *seed;

static void setup(void) {
        dir = test_mkdtemp();
        conf = test_write(dir, "merzim.conf", "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\n");
        seed = test_seed_path();
}

static void teardown(void) {
        test_rmdir(dir);
        free(dir);
        free(conf);
        free(seed);
}

TestSuite(i18n, .init = setup, .fini = teardown);

/* The environment of a user whose locale is lang ("ru_RU.UTF-8"): make check's LC_ALL=C.UTF-8 is
 * emptied, as it would override LANG. A wide terminal: cells are not wrapped. */
#define LOCALE_ENV(lang) ((const char *const[]) {"LC_ALL=", "LANGUAGE=", "LANG=" lang, "COLUMNS=200", NULL})

/* Run merzimctl -c CONF ARGS... in a locale; returns the exit status. */
#define CTL_IN(lang, out, err, ...) \
        test_run((const char *const[]) {"merzimctl", "-c", conf, __VA_ARGS__, NULL}, LOCALE_ENV(lang), out, err)

static void import_seed(void) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "import", seed, "--coordinator", "ИИДМ",
                                                     NULL},
                              NULL, &out, &err),
                     0, "%s", err);
}

Test(i18n, status_speaks_russian_and_kazakh) {
        import_seed();
        _cleanup_free_ char *ru = NULL, *kk = NULL, *en = NULL;
        cr_assert_eq(CTL_IN("ru_RU.UTF-8", &ru, NULL, "status", "--now", "2024-07-01"), 0);
        /* The headers of the agencies' table, the outbox's figures. */
        cr_assert(strstr(ru, "ОРГАНИЗАЦИЯ"), "%s", ru);
        cr_assert(strstr(ru, "ПРОСРОЧЕНО"), "%s", ru);
        cr_assert(strstr(ru, "По организациям, худшие первыми"), "%s", ru);
        cr_assert(strstr(ru, "Уведомления:\n"), "%s", ru);
        cr_assert_eq(test_figure(ru, "доставлено сегодня"), 0, "%s", ru);
        cr_assert_null(strstr(ru, "AGENCY"), "%s", ru);
        cr_assert_null(strstr(ru, "OVERDUE"), "%s", ru);

        cr_assert_eq(CTL_IN("kk_KZ.UTF-8", &kk, NULL, "status", "--now", "2024-07-01"), 0);
        cr_assert(strstr(kk, "ҰЙЫМ"), "%s", kk);
        cr_assert(strstr(kk, "МЕРЗІМІ ӨТКЕН"), "%s", kk);
        cr_assert(strstr(kk, "Хабарламалар:\n"), "%s", kk);
        cr_assert_eq(test_figure(kk, "жеткізілмеді"), 0, "%s", kk);
        cr_assert_null(strstr(kk, "AGENCY"), "%s", kk);

        /* The same figures in every language: the ministry's row reads alike. */
        cr_assert_eq(CTL_IN("C", &en, NULL, "status", "--now", "2024-07-01"), 0);
        cr_assert(strstr(en, "AGENCY"), "%s", en);
        const char *row_en = strstr(en, "\nИИДМ "), *row_ru = strstr(ru, "\nИИДМ ");
        cr_assert(row_en && row_ru);
        int overdue_en, overdue_ru;
        cr_assert_eq(sscanf(row_en, "\nИИДМ %d", &overdue_en), 1);
        cr_assert_eq(sscanf(row_ru, "\nИИДМ %d", &overdue_ru), 1);
        cr_assert_eq(overdue_ru, overdue_en);
}

Test(i18n, an_error_in_the_users_language) {
        _cleanup_free_ char *ru = NULL, *kk = NULL, *en = NULL;
        cr_assert_eq(CTL_IN("ru_RU.UTF-8", NULL, &ru, "import", "missing.txt"), 1);
        cr_assert(strstr(ru, "merzimctl import: не удаётся прочитать missing.txt"), "%s", ru);
        cr_assert_eq(CTL_IN("kk_KZ.UTF-8", NULL, &kk, "import", "missing.txt"), 1);
        cr_assert(strstr(kk, "merzimctl import: missing.txt оқу мүмкін емес"), "%s", kk);
        cr_assert_eq(CTL_IN("C", NULL, &en, "import", "missing.txt"), 1);
        cr_assert(strstr(en, "merzimctl import: cannot read missing.txt"), "%s", en);

        /* No database yet, and a wrong option's value. */
        _cleanup_free_ char *no_db = NULL, *bad = NULL;
        cr_assert_eq(CTL_IN("ru_RU.UTF-8", NULL, &no_db, "plans"), 1);
        cr_assert(strstr(no_db, "базы данных нет: сначала импортируйте план"), "%s", no_db);
        cr_assert_eq(CTL_IN("kk_KZ.UTF-8", NULL, &bad, "occurrences", "--status", "late"), 2);
        cr_assert(strstr(bad, "--status: pending, done, waived немесе overdue керек, «late» емес"), "%s", bad);
}

Test(i18n, an_unknown_agency_and_the_usage) {
        import_seed();
        _cleanup_free_ char *err = NULL, *help = NULL;
        cr_assert_eq(CTL_IN("ru_RU.UTF-8", NULL, &err, "measures", "--agency", "НЕТ"), 1);
        cr_assert(strstr(err, "организации «НЕТ» нет (см. merzimctl agencies)"), "%s", err);
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "--help", NULL}, LOCALE_ENV("kk_KZ.UTF-8"), &help,
                              NULL),
                     0);
        cr_assert(strstr(help, "Қолданылуы: merzimctl [-c ФАЙЛ] КОМАНДА"), "%s", help);
        cr_assert(strstr(help, "жоспарлар тізімі"), "the summary of plans: %s", help);
}

/* Russian has three plural forms (1, 2-4, 5-20 and 21 as 1 again), Kazakh one for any number. */
Test(i18n, plurals_take_each_languages_forms) {
        static const struct {
                int n;
                const char *ru, *kk, *en;
        } cases[] = {
                {1, "1 мероприятие\n", "1 іс-шара\n", "1 measure\n"},
                {2, "2 мероприятия\n", "2 іс-шара\n", "2 measures\n"},
                {5, "5 мероприятий\n", "5 іс-шара\n", "5 measures\n"},
                {21, "21 мероприятие\n", "21 іс-шара\n", "21 measures\n"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char name[32];
                snprintf(name, sizeof(name), "plan-%d.txt", cases[i].n);
                _cleanup_free_ char *roadmap = test_burst_roadmap(cases[i].n, NULL);
                _cleanup_free_ char *path = test_write(dir, name, roadmap);
                _cleanup_free_ char *db = xasprintf("database = \"%d.db\";\ntimezone = \"Asia/Almaty\";\n", cases[i].n);
                snprintf(name, sizeof(name), "%d.conf", cases[i].n);
                _cleanup_free_ char *c = test_write(dir, name, db);
                _cleanup_free_ char *err = NULL, *ru = NULL, *kk = NULL, *en = NULL;
                cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", c, "import", path, NULL}, NULL, NULL,
                                      &err),
                             0, "%s", err);
                cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", c, "measures", NULL},
                                      LOCALE_ENV("ru_RU.UTF-8"), &ru, NULL),
                             0);
                cr_assert(strstr(ru, cases[i].ru), "%d: %s", cases[i].n, ru);
                cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", c, "measures", NULL},
                                      LOCALE_ENV("kk_KZ.UTF-8"), &kk, NULL),
                             0);
                cr_assert(strstr(kk, cases[i].kk), "%d: %s", cases[i].n, kk);
                cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", c, "measures", NULL}, LOCALE_ENV("C"),
                                      &en, NULL),
                             0);
                cr_assert(strstr(en, cases[i].en), "%d: %s", cases[i].n, en);
        }
}

Test(i18n, dates_as_people_write_them_and_json_as_it_was) {
        import_seed();
        /* Measure 10: every year by 30 June; 30 June 2024 is a Sunday, so 28 June is the working day. */
        _cleanup_free_ char *ru = NULL, *kk = NULL, *en = NULL, *json = NULL;
        cr_assert_eq(CTL_IN("ru_RU.UTF-8", &ru, NULL, "occurrences", "--measure", "10", "--now", "2024-07-01"), 0);
        cr_assert(strstr(ru, "30.06.2024"), "%s", ru);
        cr_assert(strstr(ru, "28.06.2024"), "%s", ru);
        cr_assert_null(strstr(ru, "2024-06-30"), "%s", ru);
        cr_assert(strstr(ru, "на исполнении"), "the status too: %s", ru);
        cr_assert(strstr(ru, "просрочено на 3 дня"), "%s", ru);
        cr_assert(strstr(ru, "3 срока\n"), "%s", ru);
        cr_assert_eq(CTL_IN("kk_KZ.UTF-8", &kk, NULL, "occurrences", "--measure", "10", "--now", "2024-07-01"), 0);
        cr_assert(strstr(kk, "28.06.2024"), "%s", kk);
        cr_assert(strstr(kk, "3 күн кешіктірілді"), "%s", kk);
        cr_assert_eq(CTL_IN("C", &en, NULL, "occurrences", "--measure", "10", "--now", "2024-07-01"), 0);
        cr_assert(strstr(en, "2024-06-28"), "ISO in English: %s", en);

        /* --json is the same in every language: keys, statuses and ISO dates. */
        cr_assert_eq(CTL_IN("ru_RU.UTF-8", &json, NULL, "occurrences", "--measure", "10", "--now", "2024-07-01",
                            "--json"),
                     0);
        json_error_t e;
        json_t *v = json_loads(json, 0, &e);
        cr_assert_not_null(v, "not JSON (%s): %s", e.text, json);
        json_t *last = json_array_get(v, 2);
        cr_assert_str_eq(json_string_value(json_object_get(last, "effective_due")), "2024-06-28");
        cr_assert_str_eq(json_string_value(json_object_get(last, "nominal_due")), "2024-06-30");
        cr_assert_str_eq(json_string_value(json_object_get(last, "status")), "pending");
        json_decref(v);
}

Test(i18n, the_c_locale_and_languages_order) {
        import_seed();
        _cleanup_free_ char *c = NULL, *all = NULL, *language = NULL;
        /* LANG=C: English, whatever the catalogs. */
        cr_assert_eq(CTL_IN("C", &c, NULL, "plans"), 0);
        cr_assert(strstr(c, "TITLE"), "%s", c);
        cr_assert(strstr(c, "2022-06-16 № 104-ө"), "%s", c);
        /* LC_ALL=C overrides LANG. */
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "plans", NULL},
                              (const char *const[]) {"LC_ALL=C", "LANG=ru_RU.UTF-8", "COLUMNS=200", NULL}, &all, NULL),
                     0);
        cr_assert(strstr(all, "TITLE"), "%s", all);
        /* LANGUAGE picks the language of the messages within a locale. */
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "plans", NULL},
                              (const char *const[]) {"LC_ALL=", "LANG=kk_KZ.UTF-8", "LANGUAGE=ru", "COLUMNS=200", NULL}, &language,
                              NULL),
                     0);
        cr_assert(strstr(language, "НАЗВАНИЕ"), "%s", language);
        cr_assert(strstr(language, "16.06.2022 № 104-ө"), "%s", language);
}

Test(i18n, merzimd_checks_its_configuration_in_russian) {
        _cleanup_free_ char *bad = test_write(dir, "bad.conf", "timezone = \"Mars/Olympus\";\nlanguage = \"de\";\n");
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimd", "-c", bad, "--check-config", NULL},
                              LOCALE_ENV("ru_RU.UTF-8"), &out, &err),
                     1, "%s", out);
        cr_assert(strstr(err, "неизвестный часовой пояс «Mars/Olympus»"), "%s", err);
        cr_assert(strstr(err, "язык «de» — не kk, ru и не en"), "%s", err);
        free(out);
        free(err);
        cr_assert_eq(test_run((const char *const[]) {"merzimd", "-c", conf, "--check-config", NULL},
                              LOCALE_ENV("kk_KZ.UTF-8"), &out, &err),
                     0, "%s", err);
        cr_assert(strstr(out, "конфигурация дұрыс: "), "%s", out);
}
