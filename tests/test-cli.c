/* merzimctl as an operator uses it: the real binary, a real database file, the seed document. */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "helpers.h"
#include "utf8.h"
#include "util.h"

extern char **environ;

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
        cr_assert(strstr(out, "  read from text:\n"), "%s", out);
        cr_assert_eq(test_figure(out, "measures"), 33, "%s", out);
        cr_assert_eq(test_figure(out, "sections"), 9, "%s", out);
        cr_assert_eq(test_figure(out, "occurrences"), 47, "%s", out);
        cr_assert_eq(test_figure(out, "agencies"), 25, "%s", out);
        cr_assert_eq(test_figure(out, "measures added"), 33, "%s", out);
        cr_assert_eq(test_figure(out, "occurrences rescheduled"), 0, "%s", out);
        cr_assert_eq(test_figure(out, "new agencies"), 25, "%s", out);
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
        /* No plan, no occurrence: in an empty database, or in none at all. */
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        if (access(db, F_OK) < 0)
                return;
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

/* A configuration of thousands of agencies (many times libconfig's read buffer, after a byte-order mark)
 * is read to its end: an agency configured again on its last lines, and a syntax error after it, are
 * named by their lines. */
Test(cli, a_large_config_is_read_to_its_end) {
        enum { N = 3000 };
        struct buf b = {0};
        buf_puts(&b, "\xef\xbb\xbf" "database = \"merzim.db\";\nagencies = (\n");
        for (int i = 1; i <= N; i++)
                buf_printf(&b, "  { code = \"ДЕП%05d\"; name = \"Агенттік %d\"; email = \"a%d@example.kz\"; },\n", i, i, i);
        size_t open_list = b.len;
        buf_puts(&b, "  { code = \"ДЕП00002\"; email = \"again@example.kz\"; }\n);\n");
        _cleanup_free_ char *text = buf_steal(&b);
        _cleanup_free_ char *big = test_write(dir, "big.conf", text);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", big, "plans", NULL}, NULL, &out, &err), 1);
        _cleanup_free_ char *twice = xasprintf("%s:%d: agency ДЕП00002 is configured twice (first on line 4)", big, N + 3);
        cr_assert(strstr(err, twice), "%s", err);

        /* A syntax error on the last line: libconfig's message with that line. */
        text[open_list] = 0;
        _cleanup_free_ char *broken = xasprintf("%s  { code = \"ДЕП%05d\"; email = ; }\n);\n", text, N + 1);
        free(test_write(dir, "big.conf", broken));
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", big, "plans", NULL}, NULL, &out, &err), 1);
        _cleanup_free_ char *last = xasprintf("%s:%d: ", big, N + 3);
        cr_assert(strstr(err, last), "%s", err);

        /* Without either, merzimd finds it correct. */
        text[open_list - 2] = 0; /* the last agency's comma */
        _cleanup_free_ char *good = xasprintf("%s\n);\n", text);
        free(test_write(dir, "big.conf", good));
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimd", "--check-config", "-c", big, NULL}, NULL, &out, &err), 0,
                     "%s", err);
        cr_assert(strstr(out, "configuration OK"), "%s", out);
}

/* Whether two loads of one configuration gave the same: errors, or agencies and plans. */
static void assert_same_load(const char *what, int r1, const struct config *a, const struct errlist *e1, int r2,
                             const struct config *b, const struct errlist *e2) {
        cr_assert_eq(r1, r2, "%s: %d and %d", what, r1, r2);
        cr_assert_eq(e1->n, e2->n, "%s: %zu and %zu errors (%s)", what, e1->n, e2->n, e1->n ? e1->msgs[0] : e2->msgs[0]);
        for (size_t i = 0; i < e1->n; i++)
                cr_assert_str_eq(e1->msgs[i], e2->msgs[i], "%s", what);
        if (r1 < 0)
                return;
        cr_assert_eq(a->n_agencies, b->n_agencies, "%s", what);
        cr_assert_eq(a->n_plans, b->n_plans, "%s", what);
        for (size_t i = 0; i < a->n_agencies; i++) {
                const struct agency_contact *x = &a->agencies[i], *y = &b->agencies[i];
                cr_assert(streq(x->code, y->code) && x->line == y->line && streq(x->language, y->language), "%s", what);
                cr_assert(streq_ptr(x->name, y->name) && streq_ptr(x->webhook_url, y->webhook_url), "%s", what);
                for (size_t k = 0; x->emails[k] || y->emails[k]; k++)
                        cr_assert(streq_ptr(x->emails[k], y->emails[k]), "%s", what);
                for (size_t k = 0; x->aliases[k] || y->aliases[k]; k++)
                        cr_assert(streq_ptr(x->aliases[k], y->aliases[k]), "%s", what);
        }
}

/* The agencies read a slice at a time give what libconfig's tree of the whole file gives, whatever the
 * list holds: comments and strings with parentheses and commas, an element that is not a group, a
 * syntax error inside the list or after it, the list inside a group, more agencies than one slice, white
 * space libconfig takes or refuses. */
Test(cli, agencies_read_in_slices_are_those_of_the_whole_file) {
        static const char *const lists[] = {
                "agencies = ( { code = \"A\"; email = \"a@example.kz\"; } );\n",
                "agencies = (\n  # a comment ( with , a list )\n  { code = \"A,)\"; name = \"(\\\"x\\\", y)\"; email = \"a@example.kz\"; }, // ) ,\n"
                "  /* ) , ( */ { code = \"B\"; aliases = [\"b1\", \"b2\"]; webhook = { url = \"http://h/b\"; secret = \"s\"; }; }\n);\n",
                "agencies = ( { code = \"A\"; }, \"not a group\", { code = \"C\"; language = \"de\"; } );\n",
                "agencies = ( { code = \"A\"; }, { code = ; } );\n",
                "agencies = ( { code = \"A\"; } );\ntimezone = ;\n",
                "agencies : ( { code = \"A\"; language = \"ru\"; } )\nlanguage = \"kk\";\n",
                "agencies = ();\n",
                "agencies = ( { code = \"A\"; }, );\n",
                "agencies = ( { code = \"A\"; } \n",
                "smtp = { agencies = ( 1 ); };\nagencies = ( { code = \"A\"; } );\n",
                "agencies = ( { code = \"A\"; } );\nagencies = ( { code = \"B\"; } );\n",
                /* A vertical tab is a syntax error to libconfig (found by fuzz-config); a form feed is space. */
                "agencies = (\v{ code = \"A\"; } );\n",
                "agencies =\v( { code = \"A\"; } );\n",
                "agencies = ( { code = \"A\"; },\v{ code = \"B\"; } );\n",
                "agencies = (\f{ code = \"A\"; }\f,\f{ code = \"B\"; } );\n",
        };
        for (size_t i = 0; i < ELEMENTSOF(lists) + 1; i++) {
                _cleanup_free_ char *text = NULL;
                if (i < ELEMENTSOF(lists))
                        text = xasprintf("database = \"x.db\";\n%s", lists[i]);
                else {
                        /* 700 agencies: three slices, an unknown language in the last. */
                        struct buf b = {0};
                        buf_puts(&b, "database = \"x.db\";\nagencies = (\n");
                        for (int k = 1; k <= 700; k++)
                                buf_printf(&b, "  { code = \"D%d\"; email = \"d%d@example.kz\"; language = \"%s\"; }%s\n", k, k,
                                           k == 650 ? "xx" : "kk", k < 700 ? "," : "");
                        buf_puts(&b, ");\n");
                        text = buf_steal(&b);
                }
                _cleanup_free_ char *path = test_write(dir, "slices.conf", text);
                struct config *a = NULL, *b = NULL;
                struct errlist e1 = {0}, e2 = {0};
                int r1 = config_load_flags(path, CONFIG_NO_SECRETS, &a, &e1);
                int r2 = config_load_flags(path, CONFIG_NO_SECRETS | CONFIG_WHOLE, &b, &e2);
                assert_same_load(text, r1, a, &e1, r2, b, &e2);
                if (i == ELEMENTSOF(lists)) {
                        _cleanup_free_ char *where = xasprintf("%s:652: ", path);
                        cr_assert(e1.n == 1 && strstr(e1.msgs[0], where), "%s", e1.n ? e1.msgs[0] : "no error");
                }
                config_free(a);
                config_free(b);
                errlist_clear(&e1);
                errlist_clear(&e2);
        }
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

/* A deadline counted from an event: undated until the event is recorded, then dated on the working-day
 * calendar and reminded and escalated like any other, as the schedule preview (the daemon's own
 * computation) shows. */
Test(cli, a_deadline_counted_from_an_event_is_reminded_once_the_event_is_recorded) {
        _cleanup_free_ char *text = test_read(seed);
        /* Measure 12's deadline becomes one counted from an event, as company plans write them. */
        _cleanup_free_ char *relative = test_replace(text, "|\t2022 жылғы желтоқсан\t|",
                                                     "|\tв течение 5 рабочих дней после подписания справки\t|");
        _cleanup_free_ char *doc = test_write(dir, "relative.txt", relative);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", "--coordinator", "ИИДМ", doc), 3, "waits for its event: %s", err);
        cr_assert(strstr(err, "measure 12 is undated") && strstr(err, "подписания справки") &&
                          strstr(err, "merzimctl event"), "%s", err);
        json_t *occ = ctl_json((const char *const[]) {"occurrences", "--measure", "12", NULL});
        cr_assert_eq(json_array_size(occ), 0, "no date before the event");
        json_decref(occ);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "due", "12", "2024-07-01"), 1, "a date by hand is not for a counted deadline");
        cr_assert(strstr(err, "merzimctl event"), "%s", err);

        /* Signed on Wednesday 26 June 2024: five working days later is Wednesday 3 July. */
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "event", "12", "2024-06-26", "--note", "справка подписана"), 0, "%s", err);
        cr_assert(strstr(out, "due 2024-07-03"), "%s", out);
        occ = ctl_json((const char *const[]) {"occurrences", "--measure", "12", NULL});
        cr_assert_eq(json_array_size(occ), 1);
        cr_assert_str_eq(json_string_value(json_object_get(json_array_get(occ, 0), "effective_due")), "2024-07-03");
        json_decref(occ);

        /* The preview: the 1-day reminder, the due notice and the escalations of measure 12. */
        json_t *all = ctl_json((const char *const[]) {"schedule", "--from", "2024-06-01", "--to", "2024-07-31", NULL});
        size_t i, k;
        json_t *m, *it;
        bool reminder = false, due = false, escalation = false;
        json_array_foreach(all, i, m) {
                json_array_foreach(json_object_get(m, "items"), k, it) {
                        if (json_integer_value(json_object_get(it, "measure")) != 12)
                                continue;
                        const char *stage = json_string_value(json_object_get(it, "stage"));
                        cr_assert_str_eq(json_string_value(json_object_get(it, "effective_due")), "2024-07-03");
                        reminder = reminder || streq(stage, "1d");
                        due = due || streq(stage, "due");
                        escalation = escalation || streq(stage, "+1wd");
                }
        }
        cr_assert(reminder && due && escalation, "reminded %d, due %d, escalated %d", reminder, due, escalation);
        json_decref(all);

        /* The next import keeps the event's date while the cell says the same. */
        _cleanup_free_ char *again_text = xasprintf("%s\n", relative);
        _cleanup_free_ char *again = test_write(dir, "again.txt", again_text);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", again), 0, "dated by its event: %s", err);
        occ = ctl_json((const char *const[]) {"occurrences", "--measure", "12", NULL});
        cr_assert_eq(json_array_size(occ), 1);
        json_decref(occ);
}

/* Run sql on the test's database: what could be there whatever refused it on the way in. */
static void db_exec(const char *sql) {
        _cleanup_free_ char *path = xasprintf("%s/merzim.db", dir);
        sqlite3 *db;
        cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        char *e = NULL;
        cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &e), SQLITE_OK, "%s: %s", sql, e);
        sqlite3_close(db);
}

/* text with CRLF line ends as LF. Caller frees. */
static char *without_crlf(const char *text) {
        struct buf b = {0};
        for (const char *p = text; *p; p++)
                if (!(p[0] == '\r' && p[1] == '\n'))
                        buf_putc(&b, *p);
        return buf_steal(&b);
}

/* The first byte offset in text of something a terminal would act on: a C0 control other than a line
 * end, DEL, a C1 control or a bidirectional control; -1 if there is none. */
static long first_control(const char *text) {
        const char *p = text, *end = text + strlen(text);
        while (p < end) {
                const char *start = p;
                int32_t c = utf8_decode(&p, end);
                if (c >= 0 && c != '\n' && unicode_is_control((uint32_t) c))
                        return start - text;
        }
        return -1;
}

Test(cli, no_control_character_from_the_database_reaches_the_terminal) {
        import_seed();
        /* A note with an OSC title and a screen clear (the reviewer's), a C1 CSI, a right-to-left override,
         * in every kind of text merzimctl shows. */
        static const char hostile[] = "'x' || char(27) || ']0;pwned' || char(7) || char(27) || '[2J' || char(0x9B) || "
                                      "'31m' || char(0x202E) || 'gnp.exe' || char(127)";
        _cleanup_free_ char *sql = xasprintf(
                "UPDATE occurrence SET status = 'done', done_at = '2022-06-19T19:00:00Z', done_by = %s, note = %s "
                "WHERE id IN (SELECT o.id FROM occurrence o JOIN measure m ON m.id = o.measure_id WHERE m.number = 1);"
                "UPDATE measure SET name = %s, form = %s WHERE number IN (1, 2);"
                "UPDATE agency SET code = %s WHERE code = 'ИИДМ';"
                "UPDATE plan SET title = %s, edition = %s;"
                "UPDATE occurrence SET status = 'waived', note = %s WHERE id IN (SELECT o.id FROM occurrence o "
                "JOIN measure m ON m.id = o.measure_id WHERE m.number = 2);",
                hostile, hostile, hostile, hostile, hostile, hostile, hostile, hostile);
        db_exec(sql);
        static const char *const commands[][6] = {
                {"occurrences"}, {"occurrences", "--json"}, {"measures"}, {"measures", "--json"}, {"agencies"},
                {"agencies", "--json"}, {"plans"}, {"plans", "--json"}, {"status"}, {"status", "--json"},
                {"report", "--format", "md"}, {"report", "--format", "csv"}, {"report", "--format", "json"},
                {"schedule", "--from", "2022-01-01", "--to", "2022-12-31"},
                {"schedule", "--json", "--from", "2022-01-01", "--to", "2022-12-31"}, {"ics"},
        };
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                const char *argv[10] = {"merzimctl", "-c", conf};
                size_t n = 3;
                for (size_t k = 0; k < 6 && commands[i][k]; k++)
                        argv[n++] = commands[i][k];
                argv[n] = NULL;
                _cleanup_free_ char *out = NULL, *err = NULL;
                cr_assert_eq(test_run(argv, NULL, &out, &err), 0, "merzimctl %s %s: %s", commands[i][0],
                             commands[i][1] ? commands[i][1] : "", err);
                /* The calendar and the CSV end their lines with CRLF, as their standards say. */
                bool crlf = streq(commands[i][0], "ics") || (commands[i][2] && streq(commands[i][2], "csv"));
                _cleanup_free_ char *text = crlf ? without_crlf(out) : xstrdup(out);
                long at = first_control(text);
                cr_expect_eq(at, -1, "merzimctl %s %s printed a control character at %ld: %.40s", commands[i][0],
                             commands[i][1] ? commands[i][1] : "", at, at >= 0 ? text + at : "");
                cr_expect(strstr(out, "pwned") || streq(commands[i][0], "schedule") || streq(commands[i][0], "ics"),
                          "merzimctl %s does not show the text at all:\n%s", commands[i][0], out);
                at = first_control(err);
                cr_expect_eq(at, -1, "merzimctl %s wrote a control character to stderr: %.40s", commands[i][0],
                             at >= 0 ? err + at : "");
        }
}

Test(cli, occurrences_show_the_local_day_done_as_report_does) {
        import_seed();
        /* Done on 20 June 2022 in Almaty: 2022-06-19T19:00:00Z in the database. */
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "1", "--at", "2022-06-20", "--by", "ИИДМ"), 0, "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "occurrences", "--measure", "1"), 0);
        cr_assert(strstr(out, "2022-06-20 by ИИДМ"), "%s", out);
        cr_assert_null(strstr(out, "2022-06-19"), "the UTC day: %s", out);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "report", "--format", "csv"), 0);
        cr_assert(strstr(out, ",2022-06-20,ИИДМ,"), "%s", out);
}

Test(cli, a_note_or_reporter_with_a_control_character_is_refused) {
        import_seed();
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "12", "--note", "ok\x1b]0;pwned\x07"), 2);
        cr_assert(strstr(err, "--note has a control character (U+001B)"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "12", "--by", "\xe2\x80\xae" "ЭМ"), 2);
        cr_assert(strstr(err, "--by has a control character (U+202E)"), "%s", err);
        json_t *o = ctl_json((const char *const[]) {"occurrences", "--status", "done", NULL});
        cr_assert_eq(json_array_size(o), 0, "nothing was recorded");
        json_decref(o);
}

/* The modes of the database's files that exist, as "merzim.db 660 ...". */
static void assert_not_for_others(const char *state) {
        static const char *const files[] = {"merzim.db", "merzim.db-wal", "merzim.db-shm"};
        int seen = 0;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", state, files[i]);
                struct stat st;
                if (stat(path, &st) < 0)
                        continue;
                seen++;
                cr_expect_eq(st.st_mode & 0007, 0, "%s is %o: others may read it", files[i], st.st_mode & 0777);
        }
        cr_assert_gt(seen, 0, "no database in %s", state);
}

Test(cli, the_database_merzimctl_creates_is_not_for_others) {
        /* Whatever the umask of the shell (the tests run with 022). */
        import_seed();
        assert_not_for_others(dir);
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        struct stat st;
        cr_assert_eq(stat(db, &st), 0);
        cr_assert_eq(st.st_mode & 0777, 0660, "%o: the group (operators) reads and writes it", st.st_mode & 0777);
}

Test(cli, commands_that_read_refuse_a_missing_database_and_create_none) {
        static const char *const commands[][4] = {{"status"}, {"plans"}, {"occurrences"}, {"report", "--format", "csv"},
                                                  {"done", "12"}, {"ics"}};
        for (size_t i = 0; i < ELEMENTSOF(commands); i++) {
                _cleanup_free_ char *script = xasprintf("cd '%s' && exec '%s/daemon/merzimctl' %s %s %s", dir,
                                                        test_builddir(), commands[i][0],
                                                        commands[i][1] ? commands[i][1] : "",
                                                        commands[i][2] ? commands[i][2] : "");
                _cleanup_free_ char *out = NULL, *err = NULL;
                int status = test_run((const char *const[]) {"/bin/sh", "-c", script, NULL},
                                      (const char *const[]) {"MERZIM_CONFIG=none", NULL}, &out, &err);
                cr_expect_eq(status, 1, "merzimctl %s: status %d", commands[i][0], status);
                cr_expect(strstr(err, "merzim.db: there is no database: import a roadmap first"), "merzimctl %s: %s",
                          commands[i][0], err);
                _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
                cr_assert_neq(access(db, F_OK), 0, "merzimctl %s created an empty %s", commands[i][0], db);
        }
}

Test(cli, a_database_that_is_a_symbolic_link_is_refused) {
        import_seed();
        /* Someone who may write the database's directory puts a link there instead of it: to a file of
         * someone else's (root's, an operator's), which whoever runs merzimctl would write. */
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir), *real = xasprintf("%s/real.db", dir);
        cr_assert_eq(rename(db, real), 0);
        cr_assert_eq(symlink(real, db), 0);
        struct stat before, after;
        cr_assert_eq(stat(real, &before), 0);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "12"), 1);
        cr_assert(strstr(err, "merzim.db is a symbolic link"), "%s", err);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", seed), 1);
        cr_assert(strstr(err, "symbolic link"), "%s", err);
        cr_assert_eq(stat(real, &after), 0);
        cr_assert(before.st_size == after.st_size && before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
                  before.st_mtim.tv_nsec == after.st_mtim.tv_nsec, "the link's target was written");

        /* The same for its write-ahead log. */
        cr_assert_eq(unlink(db), 0);
        cr_assert_eq(rename(real, db), 0);
        _cleanup_free_ char *wal = xasprintf("%s/merzim.db-wal", dir), *victim = test_write(dir, "victim", "victim\n");
        unlink(wal);
        cr_assert_eq(symlink(victim, wal), 0);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "12"), 1);
        cr_assert(strstr(err, "merzim.db-wal is a symbolic link"), "%s", err);
        _cleanup_free_ char *text = test_read(victim);
        cr_assert_str_eq(text, "victim\n");
}

Test(cli, as_root_a_planted_link_or_a_database_of_another_owner_is_refused) {
        if (geteuid() != 0)
                cr_skip_test("needs root");
        /* merzimd's state directory belongs to its user (65534 here), who plants a link to a file of root's. */
        cr_assert_eq(chmod(dir, 0755), 0);
        _cleanup_free_ char *state = xasprintf("%s/state", dir);
        cr_assert_eq(mkdir(state, 0750), 0);
        cr_assert_eq(chown(state, 65534, 65534), 0);
        _cleanup_free_ char *victim = test_write(dir, "root-only", "root's\n");
        cr_assert_eq(chmod(victim, 0600), 0);
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", state);
        cr_assert_eq(symlink(victim, db), 0);
        cr_assert_eq(lchown(db, 65534, 65534), 0);
        _cleanup_free_ char *text = xasprintf("database = \"%s\";\n", db);
        _cleanup_free_ char *owned = test_write(dir, "owned.conf", text);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", owned, "import", seed, NULL}, NULL, &out, &err), 1);
        cr_assert(strstr(err, "symbolic link"), "%s", err);
        _cleanup_free_ char *after = test_read(victim);
        cr_assert_str_eq(after, "root's\n", "root's file was written through the link");

        /* A database root made there, not the directory owner's, is refused too. */
        cr_assert_eq(unlink(db), 0);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", owned, "import", seed, NULL}, NULL, &out, &err), 0,
                     "%s", err);
        cr_assert_eq(chown(db, 0, 0), 0);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", owned, "status", NULL}, NULL, &out, &err), 1);
        cr_assert(strstr(err, "belongs to uid 0, not to the owner (uid 65534)"), "%s", err);
}

/* Run merzimctl as user 65532 with the supplementary group gid (an operator), with the configuration
 * conf. Returns the exit status. */
static int as_operator(unsigned gid, const char *config, const char *const *args, char **out, char **err) {
        _cleanup_free_ char *ctl = xasprintf("%s/daemon/merzimctl", test_builddir());
        _cleanup_free_ char *groups = xasprintf("--groups=%u", gid);
        const char *argv[16] = {"/usr/bin/setpriv", "--reuid=65532", "--regid=65532", groups, ctl, "-c", config};
        size_t n = 7;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        return test_run(argv, NULL, out, err);
}

/* Start merzimd as the service's user and group, with its log in dir/merzimd.log. */
static pid_t start_service(unsigned uid, unsigned gid, const char *config) {
        _cleanup_free_ char *merzimd = xasprintf("%s/daemon/merzimd", test_builddir());
        _cleanup_free_ char *log = xasprintf("%s/merzimd.log", dir);
        _cleanup_free_ char *u = xasprintf("--reuid=%u", uid), *g = xasprintf("--regid=%u", gid),
                            *groups = xasprintf("--groups=%u", gid);
        const char *argv[] = {"/usr/bin/setpriv", u, g, groups, merzimd, "-c", config, "--now", "2024-06-27T08:00", NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        pid_t pid;
        cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *) argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        return pid;
}

/* SIGTERM the service; asserts it stops cleanly. */
static void stop_service(pid_t pid) {
        kill(pid, SIGTERM);
        int status;
        waitpid(pid, &status, 0);
        _cleanup_free_ char *log_path = xasprintf("%s/merzimd.log", dir);
        _cleanup_free_ char *log = test_read(log_path);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "merzimd ended with %d:\n%s", status, log);
}

Test(cli, an_operator_in_the_group_runs_every_command_with_the_daemon_running) {
        if (geteuid() != 0 || access("/usr/bin/setpriv", X_OK) < 0)
                cr_skip_test("needs root and setpriv");
        /* The service: user 65534, group 65533; its state directory 2770, as tmpfiles.d makes it. */
        enum { SERVICE_UID = 65534, GROUP = 65533 };
        cr_assert_eq(chmod(dir, 0755), 0);
        _cleanup_free_ char *state = xasprintf("%s/state", dir);
        cr_assert_eq(mkdir(state, 0700), 0);
        cr_assert_eq(chown(state, SERVICE_UID, GROUP), 0);
        cr_assert_eq(chmod(state, 02770), 0);
        _cleanup_free_ char *text = xasprintf("database = \"%s/merzim.db\";\ntimezone = \"Asia/Almaty\";\n", state);
        _cleanup_free_ char *shared = test_write(dir, "shared.conf", text);
        cr_assert_eq(chmod(shared, 0644), 0);
        /* Root imports: it works as the directory's owner. */
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", shared, "import", seed, NULL}, NULL, &out, &err), 0,
                     "%s", err);
        pid_t pid = start_service(SERVICE_UID, GROUP, shared);
        test_sleep_ms(1500);

        /* An operator (another user, in the group) reads and writes. */
        static const char *const reads[][4] = {{"status"}, {"plans"}, {"measures"}, {"occurrences"},
                                               {"report", "--format", "csv"}, {"schedule"}, {"ics"}, {"agencies"}};
        for (size_t i = 0; i < ELEMENTSOF(reads); i++) {
                free(out), free(err), out = err = NULL;
                cr_expect_eq(as_operator(GROUP, shared, reads[i], &out, &err), 0, "merzimctl %s as an operator: %s",
                             reads[i][0], err);
        }
        static const char *const writes[][5] = {{"done", "12", "--by", "ИИДМ"}, {"waive", "13", "--note", "жоқ"},
                                                {"reopen", "12"}};
        for (size_t i = 0; i < ELEMENTSOF(writes); i++) {
                free(out), free(err), out = err = NULL;
                cr_expect_eq(as_operator(GROUP, shared, writes[i], &out, &err), 0, "merzimctl %s as an operator: %s",
                             writes[i][0], err);
        }
        stop_service(pid);
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", state);
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM occurrence WHERE status = 'waived'"), 1);
        cr_assert_eq(test_query_int(db, "SELECT count(*) FROM history WHERE action = 'reopened' "
                                        "AND actor LIKE 'merzimctl (%'"), 1, "the operator's change is on record");

        /* With the daemon stopped, the write-ahead log an operator makes is the group's, and the daemon
         * starts on it and writes. */
        free(out), free(err), out = err = NULL;
        cr_assert_eq(as_operator(GROUP, shared, (const char *const[]) {"done", "14", NULL}, &out, &err), 0, "%s", err);
        assert_not_for_others(state);
        static const char *const files[] = {"merzim.db", "merzim.db-wal", "merzim.db-shm"};
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = xasprintf("%s/%s", state, files[i]);
                struct stat st;
                if (stat(path, &st) == 0)
                        cr_expect_eq(st.st_gid, (gid_t) GROUP, "%s is group %u's", files[i], (unsigned) st.st_gid);
        }
        pid = start_service(SERVICE_UID, GROUP, shared);
        _cleanup_free_ char *log_path = xasprintf("%s/merzimd.log", dir);
        for (int i = 0; i < 100; i++) {
                _cleanup_free_ char *log = test_read(log_path);
                if (test_count_lines(log, " started: ") == 2)
                        break;
                test_sleep_ms(100);
        }
        test_sleep_ms(500);
        stop_service(pid);
        _cleanup_free_ char *log = test_read(log_path);
        cr_assert_eq(test_count_lines(log, " started: "), 2, "%s", log);
        cr_assert_null(strstr(log, "cannot"), "%s", log);
        cr_assert_null(strstr(log, "unable"), "%s", log);
}

Test(cli, token_new_feed_makes_a_token_that_only_reads_the_feed) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "token", "new", "ЭМ", "--feed"), 0, "%s", err);
        cr_assert(strstr(out, "changes"), "%s", out);
        const char *line = strstr(out, "{ agency = \"ЭМ\"; feed = true; sha256 = \"");
        cr_assert_not_null(line, "%s", out);
        /* The line it prints is what merzim.conf takes. */
        _cleanup_free_ char *entry = xstrndup(line, strcspn(line, "\n") - 1); /* without its list's comma */
        _cleanup_free_ char *text = xasprintf("database = \"merzim.db\";\nhttp = { tokens = ( %s ); };\n", entry);
        _cleanup_free_ char *with_token = test_write(dir, "token.conf", text);
        free(out), free(err), out = err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimd", "--check-config", "-c", with_token, NULL}, NULL, &out,
                              &err), 0, "%s\n%s", text, err);
        json_t *t = ctl_json((const char *const[]) {"token", "new", "--coordinator", "--feed", NULL});
        cr_assert(json_is_true(json_object_get(t, "feed")));
        cr_assert(json_is_true(json_object_get(t, "coordinator")));
        json_decref(t);
}
