/* merzimctl as an operator uses it: the real binary, a real database file, the seed document. */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers.h"
#include "utf8.h"
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

TestSuite(cli, .init = setup, .fini = teardown);

/* Run merzimctl -c CONF ARGS...; returns the exit status. */
#define CTL(out, err, ...) test_run((const char *const[]) {"merzimctl", "-c", conf, __VA_ARGS__, NULL}, NULL, out, err)

static json_t *ctl_json(const char *const *args) {
        const char *argv[32] = {"merzimctl", "-c", conf};
        size_t n = 3;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n++] = "--json";
        argv[n] = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        int status = test_run(argv, NULL, &out, &err);
        cr_assert_eq(status, 0, "merzimctl %s failed: %s", args[0], err);
        json_error_t e;
        json_t *v = json_loads(out, 0, &e);
        cr_assert_not_null(v, "not JSON (%s): %s", e.text, out);
        return v;
}

static void import_seed(void) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", seed, "--coordinator", "ИИДМ"), 0, "%s", err);
}

Test(cli, import_reports_what_it_read) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", seed), 0, "%s", err);
        cr_assert(strstr(out, "33 measures in 9 sections, 47 occurrences, 25 agencies"), "%s", out);
        cr_assert(strstr(out, "2022-06-16 № 104-ө"), "%s", out);
        free(out);
        out = NULL;
        cr_assert_eq(CTL(&out, NULL, "import", seed), 0);
        cr_assert(strstr(out, "imported before: nothing changed"), "%s", out);
}

Test(cli, dry_run_writes_nothing) {
        _cleanup_free_ char *out = NULL;
        cr_assert_eq(CTL(&out, NULL, "import", "--dry-run", seed), 0);
        cr_assert(strstr(out, "dry run: nothing was written"), "%s", out);
        json_t *plans = ctl_json((const char *const[]) {"plans", NULL});
        cr_assert_eq(json_array_size(plans), 0);
        json_decref(plans);
}

Test(cli, an_unreadable_deadline_leaves_its_measure_undated_until_the_coordinator_dates_it) {
        _cleanup_free_ char *text = test_read(seed);
        _cleanup_free_ char *bad_text = test_replace(text, "2023 жылғы наурыз\t|\tИИДМ, \"Атамекен\" ҰКП",
                                                     "2023 жылғы 31 ақпанға дейін\t|\tИИДМ, \"Атамекен\" ҰКП");
        _cleanup_free_ char *bad = test_write(dir, "broken.txt", bad_text);
        _cleanup_free_ char *out = NULL, *err = NULL;

        /* --strict: all or nothing; the error names the file, the line and the text. */
        cr_assert_eq(CTL(&out, &err, "import", "--strict", bad), 1);
        _cleanup_free_ char *where = xasprintf("%s:27:", bad);
        cr_assert(strstr(err, where), "names file and line: %s", err);
        cr_assert(strstr(err, "31 ақпанға"), "quotes the text: %s", err);
        cr_assert(strstr(err, "nothing was imported"), "%s", err);
        json_t *plans = ctl_json((const char *const[]) {"plans", NULL});
        cr_assert_eq(json_array_size(plans), 0);
        json_decref(plans);

        /* By default every measure is imported; exit status 3 tells a script one waits for a date. */
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", bad), 3, "%s", err);
        cr_assert(strstr(err, where) && strstr(err, "31 ақпанға"), "the warning names line and text: %s", err);
        cr_assert(strstr(out, "1 measure is undated"), "%s", out);
        json_t *undated = ctl_json((const char *const[]) {"measures", "--undated", NULL});
        cr_assert_eq(json_array_size(undated), 1);
        json_t *m = json_array_get(undated, 0);
        int number = (int) json_integer_value(json_object_get(m, "number"));
        cr_assert_str_eq(json_string_value(json_object_get(m, "deadline")), "2023 жылғы 31 ақпанға дейін");
        json_decref(undated);
        json_t *st = ctl_json((const char *const[]) {"status", NULL});
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(st, "totals"), "undated")), 1);
        json_decref(st);
        _cleanup_free_ char *num = xasprintf("%d", number);
        json_t *occ = ctl_json((const char *const[]) {"occurrences", "--measure", num, NULL});
        cr_assert_eq(json_array_size(occ), 0, "never reminded while undated");
        json_decref(occ);

        /* The coordinator gives it a date: it is reminded like any other, and kept by the next import. */
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "due", num, "2023-03-04", "--note", "31 February is 3 March"), 0, "%s", err);
        cr_assert(strstr(out, "due 2023-03-04 (effective 2023-03-03"), "a Saturday moves to Friday: %s", out);
        occ = ctl_json((const char *const[]) {"occurrences", "--measure", num, NULL});
        cr_assert_eq(json_array_size(occ), 1);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(occ, 0), "effective_due")), "2023-03-03");
        json_decref(occ);
        undated = ctl_json((const char *const[]) {"measures", "--undated", NULL});
        cr_assert_eq(json_array_size(undated), 0);
        json_decref(undated);
        _cleanup_free_ char *again_text = xasprintf("%s\n", bad_text); /* another document: imported again */
        _cleanup_free_ char *again = test_write(dir, "again.txt", again_text);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", again), 0, "dated now: %s", err);
        occ = ctl_json((const char *const[]) {"occurrences", "--measure", num, NULL});
        cr_assert_eq(json_array_size(occ), 1, "the given date stays while the cell says the same");
        json_decref(occ);

        /* An amended edition that corrects the cell replaces the given date. */
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", seed), 0, "%s", err);
        occ = ctl_json((const char *const[]) {"occurrences", "--measure", num, "--status", "pending", NULL});
        cr_assert_eq(json_array_size(occ), 1);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(occ, 0), "nominal_due")), "2023-03-31");
        json_decref(occ);
}

Test(cli, measures_of_an_agency) {
        import_seed();
        json_t *m = ctl_json((const char *const[]) {"measures", "--agency", "ИИДМ", NULL});
        cr_assert_eq(json_array_size(m), 23);
        json_t *first = json_array_get(m, 0);
        cr_assert_eq(json_integer_value(json_object_get(first, "number")), 1);
        cr_assert_str_eq(json_string_value(json_object_get(first, "deadline")), "2022 жылғы маусым");
        cr_assert_str_eq(json_string_value(json_object_get(first, "section")),
                         "Жұмыс істеп тұрған кәсіпорындарды шикізатпен қамтамасыз ету");
        json_t *agencies = json_object_get(first, "agencies");
        cr_assert_eq(json_array_size(agencies), 4);
        cr_assert_str_eq(json_string_value(json_array_get(agencies, 0)), "ИИДМ");
        cr_assert_str_eq(json_string_value(json_array_get(agencies, 2)), "\"Атамекен\" ҰКП");
        json_decref(m);

        m = ctl_json((const char *const[]) {"measures", NULL});
        cr_assert_eq(json_array_size(m), 33);
        json_t *m10 = json_array_get(m, 9);
        cr_assert_str_eq(json_string_value(json_object_get(m10, "report_to")), "ИИДМ");
        cr_assert_eq(json_array_size(json_object_get(json_array_get(m, 6), "agencies")), 6);
        cr_assert_eq(json_array_size(json_object_get(json_array_get(m, 20), "agencies")), 6);
        json_decref(m);

        /* An agency may be named without its quotes and case. */
        m = ctl_json((const char *const[]) {"measures", "--agency", "атамекен ҰКП", NULL});
        cr_assert_gt(json_array_size(m), 20);
        json_decref(m);

        _cleanup_free_ char *out = NULL;
        cr_assert_eq(CTL(&out, NULL, "measures", "--agency", "ИИДМ"), 0);
        cr_assert(strstr(out, "23 measures"), "%s", out);
}

Test(cli, tables_fit_in_100_columns) {
        import_seed();
        static const char *const commands[] = {"plans", "measures", "agencies", "occurrences"};
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                _cleanup_free_ char *out = NULL;
                cr_assert_eq(CTL(&out, NULL, commands[i]), 0);
                char *save;
                for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        size_t cols = 0;
                        for (const unsigned char *p = (const unsigned char *) line; *p; p++)
                                cols += (*p & 0xC0) != 0x80;
                        cr_assert_leq(cols, 100, "%s: %zu columns: %s", commands[i], cols, line);
                }
        }
}

Test(cli, measure_names_wrap_whole_in_100_columns) {
        import_seed();
        json_t *m = ctl_json((const char *const[]) {"measures", "--agency", "ИИДМ", NULL});
        _cleanup_free_ char *out = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "measures", "--agency", "ИИДМ", NULL},
                              (const char *const[]) {"COLUMNS=100", NULL}, &out, NULL),
                     0);
        cr_assert_null(strstr(out, "…"), "a cell is cut:\n%s", out);
        /* The table without the count after it, read back column by column. */
        char *count = strstr(out, "23 measures\n");
        cr_assert_not_null(count, "%s", out);
        *count = 0;
        json_t *rows = test_table_parse(out, " ");
        cr_assert_eq(json_array_size(rows), 24, "%s", out);
        json_t *header = json_array_get(rows, 0);
        cr_assert_str_eq(json_string_value(json_array_get(header, 1)), "NAME");
        cr_assert_str_eq(json_string_value(json_array_get(header, 3)), "EXECUTORS (* by agreement)", "%s", out);
        size_t i;
        json_t *measure;
        json_array_foreach(m, i, measure) {
                json_t *row = json_array_get(rows, i + 1);
                _cleanup_free_ char *no = xasprintf("%lld", json_integer_value(json_object_get(measure, "number")));
                _cleanup_free_ char *name = utf8_squeeze(json_string_value(json_object_get(measure, "name")));
                _cleanup_free_ char *deadline = utf8_squeeze(json_string_value(json_object_get(measure, "deadline")));
                cr_assert_str_eq(json_string_value(json_array_get(row, 0)), no);
                cr_assert_str_eq(json_string_value(json_array_get(row, 1)), name, "measure %s:\n%s", no, out);
                cr_assert_str_eq(json_string_value(json_array_get(row, 2)), deadline, "measure %s:\n%s", no, out);
        }
        json_decref(rows);
        json_decref(m);
}

Test(cli, one_of_a_thing_is_counted_in_the_singular) {
        import_seed();
        _cleanup_free_ char *out = NULL;
        cr_assert_eq(CTL(&out, NULL, "occurrences", "--measure", "1"), 0);
        cr_assert(strstr(out, "\n1 occurrence\n"), "%s", out);
        free(out), out = NULL;
        cr_assert_eq(CTL(&out, NULL, "occurrences", "--measure", "10"), 0);
        cr_assert(strstr(out, "\n3 occurrences\n"), "%s", out);
        free(out), out = NULL;
        cr_assert_eq(CTL(&out, NULL, "measures", "--agency", "QazTrade АҚ"), 0);
        cr_assert(strstr(out, "\n1 measure\n"), "%s", out);
        free(out), out = NULL;
        cr_assert_eq(CTL(&out, NULL, "schedule", "--from", "2024-03-28", "--to", "2024-03-28", "--agency", "QazTrade АҚ"), 0);
        cr_assert(strstr(out, "\n1 message\n"), "%s", out);
}

Test(cli, agencies_and_occurrences) {
        import_seed();
        json_t *a = ctl_json((const char *const[]) {"agencies", NULL});
        /* The 25 executors, and БҒМ, which executes nothing but receives measure 23's proposal: merzim
         * writes to it at the first escalation. */
        cr_assert_eq(json_array_size(a), 26);
        size_t k;
        json_t *ag, *iidm = NULL, *bgm = NULL;
        json_array_foreach(a, k, ag) {
                if (streq(json_string_value(json_object_get(ag, "code")), "ИИДМ"))
                        iidm = ag;
                if (streq(json_string_value(json_object_get(ag, "code")), "БҒМ"))
                        bgm = ag;
                if (k > 0) /* most measures first */
                        cr_assert_geq(json_integer_value(json_object_get(json_array_get(a, k - 1), "measures")),
                                      json_integer_value(json_object_get(ag, "measures")));
        }
        cr_assert_not_null(iidm);
        cr_assert_eq(json_integer_value(json_object_get(iidm, "measures")), 23);
        cr_assert_eq(json_integer_value(json_object_get(iidm, "by_agreement")), 0);
        cr_assert(json_is_true(json_object_get(iidm, "coordinator")));
        cr_assert_not_null(bgm);
        cr_assert_eq(json_integer_value(json_object_get(bgm, "measures")), 0);
        cr_assert_eq(json_integer_value(json_object_get(bgm, "reports")), 1);
        json_decref(a);
        _cleanup_free_ char *out = NULL;
        cr_assert_eq(CTL(&out, NULL, "agencies"), 0);
        cr_assert(strstr(out, "БҒМ") && strstr(out, "26 agencies"), "%s", out);

        json_t *o = ctl_json((const char *const[]) {"occurrences", "--measure", "10", NULL});
        cr_assert_eq(json_array_size(o), 3);
        static const char *const nominal[] = {"2022-06-30", "2023-06-30", "2024-06-30"};
        static const char *const effective[] = {"2022-06-30", "2023-06-30", "2024-06-28"};
        for (size_t i = 0; i < 3; i++) {
                json_t *e = json_array_get(o, i);
                cr_assert_str_eq(json_string_value(json_object_get(e, "nominal_due")), nominal[i]);
                cr_assert_str_eq(json_string_value(json_object_get(e, "effective_due")), effective[i]);
                cr_assert_str_eq(json_string_value(json_object_get(e, "status")), "pending");
                cr_assert_eq(json_integer_value(json_object_get(e, "measure")), 10);
        }
        json_decref(o);

        o = ctl_json((const char *const[]) {"occurrences", "--measure", "12", NULL});
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(o, 0), "effective_due")), "2022-12-30");
        json_decref(o);

        /* On 1 July 2023, what is overdue: everything due before, nothing after. */
        o = ctl_json((const char *const[]) {"occurrences", "--status", "overdue", "--now", "2023-07-01T10:00", NULL});
        size_t i;
        json_t *e;
        json_array_foreach(o, i, e) {
                cr_assert_lt(strcmp(json_string_value(json_object_get(e, "effective_due")), "2023-07-01"), 0);
                cr_assert_gt(json_integer_value(json_object_get(e, "overdue_days")), 0);
        }
        /* 14 one-off deadlines of 2022, 8 of 2023 up to June, 7 yearly ones of 2022, 5 of June 2023. */
        cr_assert_eq(json_array_size(o), 34, "got %zu", json_array_size(o));
        json_decref(o);
}

Test(cli, done_reopen_and_waive) {
        import_seed();
        _cleanup_free_ char *out = NULL, *err = NULL;
        /* Measure 10 has three periods: the command asks which. */
        cr_assert_eq(CTL(&out, &err, "done", "10"), 1);
        cr_assert(strstr(err, "--period") && strstr(err, "2023"), "%s", err);
        free(out), free(err), out = err = NULL;

        cr_assert_eq(CTL(&out, &err, "done", "10", "--period", "2023", "--by", "ЭМ", "--note", "есеп жіберілді",
                         "--at", "2023-06-29"), 0, "%s", err);
        cr_assert(strstr(out, "is now done"), "%s", out);
        json_t *o = ctl_json((const char *const[]) {"occurrences", "--status", "done", NULL});
        cr_assert_eq(json_array_size(o), 1);
        json_t *e = json_array_get(o, 0);
        cr_assert_str_eq(json_string_value(json_object_get(e, "period")), "2023");
        cr_assert_str_eq(json_string_value(json_object_get(e, "done_by")), "ЭМ");
        cr_assert_str_eq(json_string_value(json_object_get(e, "done_at")), "2023-06-28T18:00:00Z");
        json_decref(o);

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "10", "--period", "2023"), 0);
        cr_assert(strstr(out, "already done"), "%s", out);

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "reopen", "10", "--period", "2023"), 0, "%s", err);
        o = ctl_json((const char *const[]) {"occurrences", "--status", "done", NULL});
        cr_assert_eq(json_array_size(o), 0);
        json_decref(o);

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "waive", "12"), 2, "a waiver needs a reason");
        cr_assert(strstr(err, "--note"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "waive", "12", "--note", "Үкімет қаулысымен алынып тасталды"), 0, "%s", err);
        o = ctl_json((const char *const[]) {"occurrences", "--status", "waived", NULL});
        cr_assert_eq(json_array_size(o), 1);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(o, 0), "note")),
                         "Үкімет қаулысымен алынып тасталды");
        json_decref(o);

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "99"), 1);
        cr_assert(strstr(err, "no measure 99"), "%s", err);
}

Test(cli, deadline_command) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "deadline", "2022 – 2024 жылдары жыл сайын 30 маусымға қарай"), 0, "%s", err);
        cr_assert_eq(test_count_lines(out, "\t"), 3);
        cr_assert(strstr(out, "2022-06-30\t2022-06-30\t2022\n"), "%s", out);
        cr_assert(strstr(out, "2024-06-30\t2024-06-28\t2024\tSunday\n"), "%s", out);

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "deadline", "тұрақты"), 0);
        cr_assert_str_eq(out, "continuous\tno date: tracked, never due\n", "a continuous measure has no dates");

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "deadline", "жыл сайын 30 маусымға қарай"), 1);
        cr_assert(strstr(err, "--years"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "deadline", "--years", "2025-2026", "жыл сайын 30 маусымға қарай"), 0);
        cr_assert_str_eq(out, "2025-06-30\t2025-06-30\t2025\n2026-06-30\t2026-06-30\t2026\n");

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "deadline", "2022 жылғы 31 маусымға дейін"), 1);
        cr_assert(strstr(err, "2022 жылғы 31 маусымға дейін"), "names the phrase: %s", err);
        cr_assert_str_eq(out, "");

        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "deadline", "2022 жылғы IV тоқсан"), 0);
        cr_assert_str_eq(out, "2022-12-31\t2022-12-30\t2022-Q4\tSaturday\n");
}

Test(cli, usage_errors_exit_2) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "frobnicate", NULL}, NULL, &out, &err), 2);
        cr_assert(strstr(err, "unknown command \"frobnicate\"") && strstr(err, "Usage:"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "occurrences", "--status", "late"), 2);
        cr_assert(strstr(err, "--status wants") && strstr(err, "Usage: merzimctl occurrences"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "measures", "--bogus"), 2);
        cr_assert(strstr(err, "unknown option --bogus"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "import"), 2);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", NULL}, NULL, &out, &err), 2);
}

Test(cli, a_bad_config_is_reported_with_its_line) {
        _cleanup_free_ char *bad = test_write(dir, "bad.conf", "database = \"x.db\";\n\neffective_due = \"sideways\";\n"
                                                              "colour = \"blue\";\n");
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", bad, "plans", NULL}, NULL, &out, &err), 1);
        _cleanup_free_ char *l3 = xasprintf("%s:3:", bad), *l4 = xasprintf("%s:4:", bad);
        cr_assert(strstr(err, l3) && strstr(err, "sideways"), "%s", err);
        cr_assert(strstr(err, l4) && strstr(err, "colour"), "%s", err);
}

Test(cli, without_a_config_the_database_is_in_the_working_directory) {
        /* With no file at the default config path, merzimctl uses built-in defaults and ./merzim.db. */
        _cleanup_free_ char *script = xasprintf("cd '%s' && '%s/daemon/merzimctl' import '%s' >/dev/null && test -s merzim.db",
                                                dir, test_builddir(), seed);
        cr_assert_eq(test_run((const char *const[]) {"/bin/sh", "-c", script, NULL},
                              (const char *const[]) {"MERZIM_CONFIG=none", NULL}, NULL, NULL), 0);
        /* A file MERZIM_CONFIG names must be there: a typo is not silently the defaults. */
        _cleanup_free_ char *env = xasprintf("MERZIM_CONFIG=%s/absent.conf", dir);
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "plans", NULL}, (const char *const[]) {env, NULL},
                              NULL, &err), 1);
        cr_assert(strstr(err, "absent.conf") && strstr(err, "cannot open"), "%s", err);
}

/* The schedule preview of the example: June 2024, when seven measures are due on Friday 28 June. */
Test(cli, schedule_preview_of_june_2024) {
        import_seed();
        json_t *all = ctl_json((const char *const[]) {"schedule", "--from", "2024-05-01", "--to", "2024-07-31", NULL});
        static const int june[] = {10, 21, 24, 25, 26, 27, 32};
        static const struct {
                const char *at, *stage, *kind;
        } want[] = {
                {"2024-05-29T09:00:00+05:00", "30d", "reminder"}, {"2024-06-21T09:00:00+05:00", "7d", "reminder"},
                {"2024-06-27T09:00:00+05:00", "1d", "reminder"},  {"2024-06-28T09:00:00+05:00", "due", "due"},
                {"2024-07-01T09:00:00+05:00", "+1wd", "escalation"}, {"2024-07-05T09:00:00+05:00", "+7d", "escalation"},
        };
        for (size_t w = 0; w < ELEMENTSOF(want); w++) {
                /* Which of the seven measures are told at this time and stage, to anyone. */
                bool seen[ELEMENTSOF(june)] = {false};
                size_t i, k;
                json_t *m, *it;
                json_array_foreach(all, i, m) {
                        if (!streq(json_string_value(json_object_get(m, "at")), want[w].at))
                                continue;
                        json_array_foreach(json_object_get(m, "items"), k, it) {
                                if (!streq(json_string_value(json_object_get(it, "stage")), want[w].stage))
                                        continue;
                                cr_assert_str_eq(json_string_value(json_object_get(it, "effective_due")), "2024-06-28");
                                for (size_t j = 0; j < ELEMENTSOF(june); j++)
                                        seen[j] = seen[j] || json_integer_value(json_object_get(it, "measure")) == june[j];
                        }
                }
                for (size_t j = 0; j < ELEMENTSOF(june); j++)
                        cr_assert(seen[j], "measure %d has no %s at %s", june[j], want[w].stage, want[w].at);
        }
        /* Measure 10's lead ЭМ gets exactly the four reminders and due notices, and the first escalation. */
        size_t i, k;
        json_t *m, *it;
        int em = 0;
        json_array_foreach(all, i, m) {
                if (!streq(json_string_value(json_object_get(m, "recipient")), "ЭМ"))
                        continue;
                json_array_foreach(json_object_get(m, "items"), k, it)
                        em += json_integer_value(json_object_get(it, "measure")) == 10;
        }
        cr_assert_eq(em, 5);
        json_decref(all);

        /* Marked done, measure 10 (2024) is not escalated; the other six still are. */
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "10", "--period", "2024", "--at", "2024-06-27"), 0, "%s", err);
        all = ctl_json((const char *const[]) {"schedule", "--from", "2024-06-28T12:00", "--to", "2024-07-31", NULL});
        int escalated = 0;
        json_array_foreach(all, i, m) {
                json_array_foreach(json_object_get(m, "items"), k, it) {
                        bool m10 = json_integer_value(json_object_get(it, "measure")) == 10 &&
                                   streq(json_string_value(json_object_get(it, "period")), "2024");
                        cr_assert_not(m10, "measure 10 (2024) is done: nothing more about it");
                        escalated += streq(json_string_value(json_object_get(it, "effective_due")), "2024-06-28") &&
                                     streq(json_string_value(json_object_get(it, "stage")), "+7d");
                }
        }
        cr_assert_geq(escalated, 6);
        json_decref(all);
}

Test(cli, no_message_on_a_weekend_or_holiday) {
        import_seed();
        json_t *all = ctl_json((const char *const[]) {"schedule", "--from", "2022-01-01", "--to", "2025-12-31", NULL});
        cr_assert_gt(json_array_size(all), 100);
        /* The weekday of each send date, by Zeller-free arithmetic in the test: 2022-01-01 was a Saturday. */
        size_t i;
        json_t *m;
        json_array_foreach(all, i, m) {
                const char *at = json_string_value(json_object_get(m, "at"));
                int y, mo, d;
                cr_assert_eq(sscanf(at, "%d-%d-%d", &y, &mo, &d), 3);
                static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
                int yy = mo < 3 ? y - 1 : y;
                int dow = (yy + yy / 4 - yy / 100 + yy / 400 + t[mo - 1] + d) % 7; /* 0 = Sunday */
                /* Weekend days the Government made working days (conf/calendar-kz.conf). */
                static const char *const decreed[] = {"2022-03-05", "2022-08-27", "2022-10-22", "2023-07-01",
                                                      "2024-05-04", "2025-01-05"};
                bool decreed_working = false;
                for (size_t k = 0; k < ELEMENTSOF(decreed); k++)
                        decreed_working = decreed_working || strncmp(at, decreed[k], 10) == 0;
                if (!decreed_working)
                        cr_assert(dow != 0 && dow != 6, "a message on a weekend: %s", at);
                static const char *const holidays[] = {"-01-01", "-01-02", "-01-07", "-03-08", "-03-21", "-03-22",
                                                       "-03-23", "-05-01", "-05-07", "-05-09", "-07-06", "-08-30",
                                                       "-10-25", "-12-16"};
                for (size_t h = 0; h < ELEMENTSOF(holidays); h++)
                        cr_assert(strncmp(at + 4, holidays[h], 6) != 0, "a message on a public holiday: %s", at);
                cr_assert(strncmp(at + 10, "T09:00:00+0", 11) == 0, "not at 09:00 local: %s", at);
        }
        json_decref(all);
}

Test(cli, as_root_it_writes_as_the_owner_of_the_state_directory) {
        if (geteuid() != 0)
                cr_skip_test("needs root");
        /* merzimd's state directory belongs to its own user; an administrator runs merzimctl as root. */
        _cleanup_free_ char *state = xasprintf("%s/state", dir);
        cr_assert_eq(mkdir(state, 0750), 0);
        cr_assert_eq(chown(dir, 65534, 65534), 0);
        cr_assert_eq(chown(state, 65534, 65534), 0);
        _cleanup_free_ char *text = xasprintf("database = \"%s/merzim.db\";\n", state);
        _cleanup_free_ char *owned = test_write(dir, "owned.conf", text);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", owned, "import", seed, NULL}, NULL, &out, &err), 0,
                     "%s", err);
        static const char *const files[] = {"merzim.db", "merzim.db-wal", "merzim.db-shm"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", state, files[i]);
                struct stat st;
                if (stat(path, &st) < 0)
                        continue;
                cr_assert_eq(st.st_uid, 65534u, "%s belongs to uid %u, not to the state directory's owner", files[i],
                             (unsigned) st.st_uid);
        }
        /* The history still names who ran it. */
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", owned, "done", "12", NULL}, NULL, &out, &err), 0,
                     "%s", err);
}

Test(cli, the_configuration_maps_spellings_and_groups_to_its_agencies) {
        /* The seed's ҚМО (local executive bodies, a group) and Қаржымині reach configured agencies. */
        free(conf);
        conf = test_write(dir, "merzim.conf",
                          "database = \"merzim.db\";\n"
                          "agencies = (\n"
                          "  { code = \"Облыс әкімдіктері\"; aliases = [\"ҚМО\", \"жергілікті атқарушы органдар\"];\n"
                          "    email = \"akimats@example.kz\"; },\n"
                          "  { code = \"ҚАРЖЫМИНІ\"; email = \"minfin@example.kz\"; }\n"
                          ");\n");
        import_seed();
        json_t *a = ctl_json((const char *const[]) {"agencies", NULL});
        size_t i;
        json_t *g;
        bool seen_group = false, seen_spelling = false;
        json_array_foreach(a, i, g) {
                const char *code = json_string_value(json_object_get(g, "code"));
                if (streq(code, "ҚМО")) {
                        seen_group = true;
                        cr_assert_str_eq(json_string_value(json_object_get(g, "kind")), "group");
                        cr_assert_str_eq(json_string_value(json_object_get(g, "configured_as")), "Облыс әкімдіктері");
                        cr_assert(json_is_true(json_object_get(g, "reachable")));
                } else if (streq(code, "Қаржымині")) {
                        seen_spelling = true;
                        cr_assert_str_eq(json_string_value(json_object_get(g, "configured_as")), "ҚАРЖЫМИНІ",
                                         "case does not matter");
                        cr_assert(json_is_true(json_object_get(g, "reachable")));
                } else if (streq(code, "ИИДМ")) {
                        cr_assert(json_is_false(json_object_get(g, "reachable")));
                }
        }
        cr_assert(seen_group && seen_spelling);
        json_decref(a);

        /* One alias for two agencies cannot route a plan's executor: an error naming both. */
        free(conf);
        conf = test_write(dir, "merzim.conf",
                          "database = \"merzim.db\";\n"
                          "agencies = (\n"
                          "  { code = \"Облыс әкімдіктері\"; aliases = [\"ҚМО\"]; email = \"a@example.kz\"; },\n"
                          "  { code = \"Аудан әкімдіктері\"; aliases = [\"«ҚМО»\"]; email = \"b@example.kz\"; }\n"
                          ");\n");
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "plans"), 1);
        cr_assert(strstr(err, "merzim.conf:4:") && strstr(err, "Аудан әкімдіктері") && strstr(err, "Облыс әкімдіктері"),
                  "%s", err);
}
