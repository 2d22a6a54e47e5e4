/* Importing roadmaps into a real SQLite file: counts, dates, idempotence, amendments, atomicity. */
#include "config.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "calendar.h"
#include "helpers.h"
#include "import.h"
#include "ledger.h"
#include "roadmap.h"
#include "store.h"
#include "tzone.h"

static char *dir;
static struct store *store;
static struct calendar *cal;

static void setup(void) {
        cr_assert_eq(tz_set("Asia/Almaty"), 0);
        dir = test_mkdtemp();
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        cr_assert_eq(store_open(db, 0, &store), 0);
        struct errlist errs = {0};
        cr_assert_eq(calendar_load_builtin(&cal, &errs), 0, "%s", errs.n ? errs.msgs[0] : "");
}

static void teardown(void) {
        store_close(store);
        calendar_free(cal);
        test_rmdir(dir);
        free(dir);
}

TestSuite(import, .init = setup, .fini = teardown);

/* Import text as a document into a store; returns import_roadmap's result (or -EINVAL if it does not
 * parse). */
static int import_into(struct store *into, const char *text, const char *coordinator, struct import_report *rep) {
        struct roadmap *r;
        struct errlist errs = {0};
        if (roadmap_parse(text, strlen(text), "doc.txt", NULL, &r, &errs) < 0) {
                errlist_clear(&errs);
                return -EINVAL;
        }
        char digest[65];
        import_digest(text, strlen(text), digest);
        struct import_options o = {
                .source_name = "doc.txt",
                .sha256 = digest,
                .actor = "test",
                .coordinator = coordinator,
                .calendar = cal,
                .due_shift = DUE_SHIFT_PRECEDING,
                .now = 1700000000,
        };
        int rr = import_roadmap(into, r, &o, rep);
        roadmap_free(r);
        return rr;
}

static int import_text(const char *text, const char *coordinator, struct import_report *rep) {
        return import_into(store, text, coordinator, rep);
}

static char *seed_text(void) {
        _cleanup_free_ char *path = test_seed_path();
        return test_read(path);
}

static int64_t query_int(const char *sql) {
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(store_db(store), sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
        cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
        int64_t v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return v;
}

static char *query_text_in(struct store *in, const char *sql) {
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(store_db(in), sql, -1, &st, NULL), SQLITE_OK, "%s", sql);
        struct buf b = {0};
        while (sqlite3_step(st) == SQLITE_ROW) {
                for (int i = 0; i < sqlite3_column_count(st); i++) {
                        const char *v = (const char *) sqlite3_column_text(st, i);
                        buf_printf(&b, "%s%s", i ? "|" : "", v ? v : "NULL");
                }
                buf_putc(&b, '\n');
        }
        sqlite3_finalize(st);
        return buf_steal(&b);
}

static char *query_text(const char *sql) {
        return query_text_in(store, sql);
}

/* Everything a database holds, as text, to compare before and after. */
static char *dump_of(struct store *of) {
        static const char *const tables[] = {"plan", "section", "agency", "plan_agency", "measure", "assignment",
                                             "due", "occurrence", "history"};
        struct buf b = {0};
        for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
                _cleanup_free_ char *sql = xasprintf("SELECT * FROM %s ORDER BY 1, 2", tables[i]);
                _cleanup_free_ char *t = query_text_in(of, sql);
                buf_printf(&b, "[%s]\n%s", tables[i], t);
        }
        return buf_steal(&b);
}

static char *dump(void) {
        return dump_of(store);
}

Test(import, seed_gives_33_measures_47_occurrences_25_agencies) {
        _cleanup_free_ char *text = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(text, "ИИДМ", &rep), 0);
        cr_assert(rep.plan_created);
        cr_assert_eq(rep.n_measures, 33);
        cr_assert_eq(rep.n_sections, 9);
        cr_assert_eq(rep.n_occurrences, 47);
        cr_assert_eq(rep.n_agencies, 25);
        cr_assert_eq(query_int("SELECT count(*) FROM measure"), 33);
        cr_assert_eq(query_int("SELECT count(*) FROM occurrence WHERE status = 'pending'"), 47);
        cr_assert_eq(query_int("SELECT count(*) FROM agency"), 25);
        cr_assert_eq(query_int("SELECT count(*) FROM plan_agency"), 25);
        cr_assert_eq(query_int("SELECT count(DISTINCT x.measure_id) FROM assignment x JOIN agency a ON a.id = x.agency_id "
                               "WHERE a.code = 'ИИДМ'"), 23);
        cr_assert_eq(query_int("SELECT count(*) FROM assignment x JOIN measure m ON m.id = x.measure_id WHERE m.number = 7"), 6);
        cr_assert_eq(query_int("SELECT count(*) FROM assignment x JOIN measure m ON m.id = x.measure_id WHERE m.number = 21"), 6);
        _cleanup_free_ char *plan = query_text("SELECT doc_number, doc_date, year_from, year_to, coordinator FROM plan");
        cr_assert_str_eq(plan, "104-ө|2022-06-16|2019|2024|ИИДМ\n", "the roadmap to 2024 was approved in 2019");
        /* The lead of measure 10 is ЭМ, and "Атамекен" takes part by agreement. */
        _cleanup_free_ char *m10 = query_text("SELECT a.code, x.position, x.by_agreement FROM assignment x "
                                              "JOIN agency a ON a.id = x.agency_id JOIN measure m ON m.id = x.measure_id "
                                              "WHERE m.number = 10 ORDER BY x.position");
        cr_assert_str_eq(m10, "ЭМ|1|0\n\"ҚИЭО\" АҚ|2|1\n\"МГАТО\" АҚ|3|1\n\"PSA\" ЖШС|4|1\n\"Атамекен\" ҰКП|5|1\n");
}

Test(import, seed_dates_are_moved_off_weekends_and_holidays) {
        _cleanup_free_ char *text = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(text, NULL, &rep), 0);
        _cleanup_free_ char *m10 = query_text("SELECT o.period, o.nominal_due, o.effective_due FROM occurrence o "
                                              "JOIN measure m ON m.id = o.measure_id WHERE m.number = 10 ORDER BY 2");
        cr_assert_str_eq(m10, "2022|2022-06-30|2022-06-30\n2023|2023-06-30|2023-06-30\n2024|2024-06-30|2024-06-28\n");
        _cleanup_free_ char *m12 = query_text("SELECT o.period, o.nominal_due, o.effective_due FROM occurrence o "
                                              "JOIN measure m ON m.id = o.measure_id WHERE m.number = 12");
        cr_assert_str_eq(m12, "2022-12|2022-12-31|2022-12-30\n");
        /* Every effective due date is a working day on or before the nominal one. */
        sqlite3_stmt *st;
        sqlite3_prepare_v2(store_db(store), "SELECT nominal_due, effective_due FROM occurrence", -1, &st, NULL);
        while (sqlite3_step(st) == SQLITE_ROW) {
                day_t nominal, effective;
                date_parse((const char *) sqlite3_column_text(st, 0), &nominal);
                date_parse((const char *) sqlite3_column_text(st, 1), &effective);
                cr_assert_leq(effective, nominal);
                cr_assert(calendar_is_working_day(cal, effective));
        }
        sqlite3_finalize(st);
        /* The seven measures whose 2024 deadline falls on Sunday 30 June are due Friday 28 June. */
        _cleanup_free_ char *june = query_text("SELECT group_concat(number, ',') FROM (SELECT m.number FROM occurrence o "
                                               "JOIN measure m ON m.id = o.measure_id "
                                               "WHERE o.effective_due = '2024-06-28' ORDER BY m.number)");
        cr_assert_str_eq(june, "10,21,24,25,26,27,32\n");
}

Test(import, the_same_document_again_changes_nothing) {
        _cleanup_free_ char *text = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(text, "ИИДМ", &rep), 0);
        _cleanup_free_ char *before = dump();
        cr_assert_eq(import_text(text, "ИИДМ", &rep), 0);
        cr_assert(rep.unchanged);
        _cleanup_free_ char *after = dump();
        cr_assert_str_eq(before, after);
}

Test(import, an_identical_text_with_other_bytes_changes_no_measure_or_occurrence) {
        _cleanup_free_ char *text = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(text, "ИИДМ", &rep), 0);
        _cleanup_free_ char *before = query_text("SELECT * FROM occurrence ORDER BY id");
        _cleanup_free_ char *history_before = query_text("SELECT count(*) FROM history");
        _cleanup_free_ char *spaced = test_replace(text, "ИИДМ, ҰЭМ, \"Атамекен\" ҰКП  (келісу бойынша), ҚМО",
                                                   "ИИДМ,  ҰЭМ,  \"Атамекен\" ҰКП (келісу бойынша),  ҚМО");
        cr_assert_eq(import_text(spaced, NULL, &rep), 0);
        cr_assert_not(rep.unchanged);
        cr_assert_eq(rep.measures_added + rep.measures_updated + rep.occurrences_added + rep.occurrences_rescheduled, 0);
        _cleanup_free_ char *after = query_text("SELECT * FROM occurrence ORDER BY id");
        _cleanup_free_ char *history_after = query_text("SELECT count(*) FROM history");
        cr_assert_str_eq(before, after);
        cr_assert_str_eq(history_before, history_after);
}

Test(import, an_amended_edition_updates_in_place_and_keeps_statuses) {
        _cleanup_free_ char *text = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(text, "ИИДМ", &rep), 0);

        /* Measure 12 is done and measure 10's 2022 report too. */
        int64_t id12, id10;
        cr_assert_eq(ledger_find(store, 0, 12, NULL, &id12), 0);
        cr_assert_eq(ledger_find(store, 0, 10, "2022", &id10), 0);
        struct status_change done = {.status = "done", .actor = "test", .done_by = "ИИДМ", .now = 1700000000};
        cr_assert_eq(ledger_set_status(store, id12, &done), 0);
        cr_assert_eq(ledger_set_status(store, id10, &done), 0);

        /* The amendment moves measure 12 to March 2023, renames measure 1, drops measure 33 and adds 34. */
        _cleanup_free_ char *a1 = test_replace(text, "2022 жылғы желтоқсан\t|\t\"Самұрық-Қазына\" ҰӘҚ\" АҚ, ИИДМ",
                                               "2023 жылғы наурыз\t|\t\"Самұрық-Қазына\" ҰӘҚ\" АҚ, ИИДМ");
        _cleanup_free_ char *a2 = test_replace(a1, "келісімдер жасау\t|", "келісімдер жасасу\t|");
        const char *m33 = strstr(a2, "33.\t|");
        cr_assert_not_null(m33);
        _cleanup_free_ char *a3 = xasprintf("%.*s34.\t|\tЖаңа іс-шара\t|\tИИДМ-ға ақпарат\t|\t2024 жылғы қазан\t|\tИИДМ\n",
                                            (int) (m33 - a2), a2);
        _cleanup_free_ char *a4 = test_replace(a3, "2022 жылғы 16 маусымдағы№ 104-ө", "2023 жылғы 1 ақпандағы№ 12-ө");

        cr_assert_eq(import_text(a4, NULL, &rep), 0);
        cr_assert_not(rep.plan_created, "the same plan, by its title");
        cr_assert_eq(rep.measures_added, 1);
        cr_assert_eq(rep.measures_withdrawn, 1);
        cr_assert_eq(rep.measures_updated, 2, "measure 1 renamed, measure 12 rescheduled");
        cr_assert_eq(rep.occurrences_rescheduled, 1);
        cr_assert_eq(rep.occurrences_withdrawn, 1);
        cr_assert_eq(query_int("SELECT count(*) FROM plan"), 1);

        _cleanup_free_ char *o12 = query_text("SELECT o.id, o.period, o.nominal_due, o.effective_due, o.status, o.done_by "
                                              "FROM occurrence o JOIN measure m ON m.id = o.measure_id WHERE m.number = 12");
        _cleanup_free_ char *want12 = xasprintf("%lld|2023-03|2023-03-31|2023-03-31|done|ИИДМ\n", (long long) id12);
        cr_assert_str_eq(o12, want12, "the same row, rescheduled, still done");
        _cleanup_free_ char *h12 = xasprintf("SELECT group_concat(action, ',') FROM (SELECT action FROM history "
                                             "WHERE occurrence_id = %lld ORDER BY id)", (long long) id12);
        _cleanup_free_ char *actions = query_text(h12);
        cr_assert_str_eq(actions, "created,done,rescheduled\n");
        _cleanup_free_ char *s10 = xasprintf("SELECT status FROM occurrence WHERE id = %lld", (long long) id10);
        _cleanup_free_ char *st10 = query_text(s10);
        cr_assert_str_eq(st10, "done\n");
        _cleanup_free_ char *o33 = query_text("SELECT m.withdrawn, o.status FROM occurrence o JOIN measure m "
                                              "ON m.id = o.measure_id WHERE m.number = 33");
        cr_assert_str_eq(o33, "1|waived\n");
        _cleanup_free_ char *name1 = query_text("SELECT name FROM measure WHERE number = 1");
        cr_assert(strstr(name1, "келісімдер жасасу"));
        _cleanup_free_ char *edition = query_text("SELECT edition, coordinator FROM plan");
        cr_assert_str_eq(edition, "2023-02-01 № 12-ө|ИИДМ\n", "the coordinator is kept");
        cr_assert_eq(query_int("SELECT count(*) FROM plan_agency"), 24, "АТМКА left with measure 33");
}

Test(import, a_failure_in_the_middle_writes_nothing) {
        /* The title and deadlines name no year, so the range-less annual deadline of the third measure cannot
         * be expanded: the first two measures must not stay behind. */
        const char *doc = "Жол картасы\n"
                          "№ | Атауы | Нысан | Мерзім | Орындаушылар\n"
                          "Бөлім\n"
                          "1. | Бірінші | ақпарат | тұрақты | ИИДМ\n"
                          "2. | Екінші | ақпарат | тұрақты | ҰЭМ\n"
                          "3. | Үшінші | ақпарат | жыл сайын 30 маусымға қарай | ИИДМ\n";
        struct import_report rep;
        cr_assert_lt(import_text(doc, NULL, &rep), 0);
        cr_assert_eq(query_int("SELECT count(*) FROM plan"), 0);
        cr_assert_eq(query_int("SELECT count(*) FROM measure"), 0);
        cr_assert_eq(query_int("SELECT count(*) FROM agency"), 0);
}

Test(import, a_new_database_gets_the_schema_and_settings) {
        cr_assert_eq(store_schema_version(store), store_schema_latest());
        cr_assert_eq(query_int("PRAGMA foreign_keys"), 1);
        _cleanup_free_ char *mode = query_text("PRAGMA journal_mode");
        cr_assert_str_eq(mode, "wal\n");
}

/* A plan of n measures, each due every year of 2025-2031 on a day of its own, with two of 500 agencies
 * (the second by agreement every third measure): a large import (more than 10,000 occurrences). */
static char *large_plan(int n) {
        static const char *const months[] = {"қаңтарға", "ақпанға", "наурызға", "сәуірге", "мамырға", "маусымға",
                                             "шілдеге", "тамызға", "қыркүйекке", "қазанға", "қарашаға", "желтоқсанға"};
        struct buf b = {0};
        buf_puts(&b, "Үкіметтің 2024 жылғы 1 наурыздағы № 901-ө өкімі\n\n"
                     "Үлкен жол картасы: 2025 – 2031 жылдарға арналған жоспар\n"
                     "№ | Атауы | Аяқталу нысаны | Орындау мерзімі | Жауапты орындаушылар\n");
        for (int i = 1; i <= n; i++) {
                if (i % 500 == 1)
                        buf_printf(&b, "%d-бөлім\n", i / 500 + 1);
                buf_printf(&b, "%d. | Шара %d | ДЕП%04d-ге ақпарат | 2025 – 2031 жылдары жыл сайын %d %s қарай | "
                           "ДЕП%04d, ДЕП%04d%s\n", i, i, i % 500, i % 28 + 1, months[i % 12], i % 500, (i * 7 + 1) % 500,
                           i % 3 ? "" : " (келісу бойынша)");
        }
        return buf_steal(&b);
}

static void assert_settings_back(struct store *s, const char *db) {
        _cleanup_free_ char *mode = query_text_in(s, "PRAGMA journal_mode");
        cr_assert_str_eq(mode, "wal\n", "the database is back in WAL mode");
        _cleanup_free_ char *fk = query_text_in(s, "PRAGMA foreign_keys");
        cr_assert_str_eq(fk, "1\n", "foreign keys are checked again");
        _cleanup_free_ char *journal = xasprintf("%s-journal", db);
        cr_assert_neq(access(journal, F_OK), 0, "no rollback journal is left");
}

Test(import, a_large_plan_is_written_alike_with_or_without_another_process_on_the_database,
     .timeout = TEST_TIMEOUT(120)) {
        _cleanup_free_ char *text = large_plan(6000);
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        struct import_report rep;
        cr_assert_eq(import_text(text, NULL, &rep), 0);
        cr_assert_eq(rep.n_measures, 6000);
        cr_assert_eq(rep.n_occurrences, 6000 * 7);
        cr_assert_eq(rep.occurrences_added, 6000 * 7);
        cr_assert_eq(rep.n_agencies, 500);
        cr_assert_eq(query_int("SELECT count(*) FROM history WHERE action = 'created'"), 6000 * 7);
        cr_assert_eq(query_int("SELECT count(*) FROM assignment WHERE by_agreement"), 2000);
        _cleanup_free_ char *m4999 = query_text("SELECT o.period, o.nominal_due, o.effective_due FROM occurrence o "
                                                "JOIN measure m ON m.id = o.measure_id WHERE m.number = 4999 "
                                                "ORDER BY o.nominal_due LIMIT 2");
        cr_assert_str_eq(m4999, "2025|2025-08-16|2025-08-15\n2026|2026-08-16|2026-08-14\n",
                         "16 August, on a Saturday in 2025 and a Sunday in 2026");
        _cleanup_free_ char *violations = query_text("PRAGMA foreign_key_check");
        cr_assert_str_eq(violations, "", "every reference is to a row that is there");
        _cleanup_free_ char *integrity = query_text("PRAGMA integrity_check");
        cr_assert_str_eq(integrity, "ok\n");
        assert_settings_back(store, db);

        /* The same plan into a database merzimd (here: another connection) has open. */
        _cleanup_free_ char *db2 = xasprintf("%s/other.db", dir);
        struct store *other;
        cr_assert_eq(store_open(db2, 0, &other), 0);
        sqlite3 *daemon;
        cr_assert_eq(sqlite3_open(db2, &daemon), SQLITE_OK);
        cr_assert_eq(sqlite3_exec(daemon, "SELECT count(*) FROM plan", NULL, NULL, NULL), SQLITE_OK);
        cr_assert_eq(import_into(other, text, NULL, &rep), 0);
        _cleanup_free_ char *first = dump(), *second = dump_of(other);
        cr_assert(streq(first, second), "the same rows either way");
        assert_settings_back(other, db2);
        sqlite3_close(daemon);
        store_close(other);

        /* The same plan again changes nothing. */
        cr_assert_eq(import_text(text, NULL, &rep), 0);
        cr_assert(rep.unchanged);
        _cleanup_free_ char *again = dump();
        cr_assert(streq(first, again));
        assert_settings_back(store, db);
}

/* The same plan as a Markdown table: "| … |" rows, a delimiter row under the header. */
static char *as_markdown(const char *text) {
        struct buf b = {0};
        bool header = true;
        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");
                if (memchr(p, '|', n)) {
                        buf_printf(&b, "| %.*s |\n", (int) n, p);
                        if (header)
                                buf_puts(&b, "|---|---|---|---|---|\n");
                        header = false;
                } else {
                        buf_printf(&b, "%.*s\n", (int) n, p);
                }
                p += n + (p[n] != 0);
        }
        return buf_steal(&b);
}

/* Every measure of a large plan as the plan says: its executors in order (by agreement marked "*"),
 * its form and its seven dates. A plan this large is read and written with work done ahead in a second
 * thread (ahead.h): the executors' cells split, the rules and dates prepared. */
static void assert_large_plan_written(int n) {
        _cleanup_free_ char *got = query_text(
                "SELECT m.number, (SELECT group_concat(code, ',') FROM (SELECT g.code || "
                "CASE WHEN a.by_agreement THEN '*' ELSE '' END AS code FROM assignment a JOIN agency g "
                "ON g.id = a.agency_id WHERE a.measure_id = m.id ORDER BY a.position)), m.form, "
                "(SELECT count(*) || ' ' || min(nominal_due) || ' ' || max(nominal_due) FROM occurrence o "
                "WHERE o.measure_id = m.id) FROM measure m ORDER BY m.number");
        struct buf want = {0};
        for (int i = 1; i <= n; i++) {
                int a = i % 500, b = (i * 7 + 1) % 500, month = i % 12 + 1, day = i % 28 + 1;
                buf_printf(&want, "%d|ДЕП%04d", i, a);
                if (b != a)
                        buf_printf(&want, ",ДЕП%04d%s", b, i % 3 ? "" : "*");
                buf_printf(&want, "|ДЕП%04d-ге ақпарат|7 2025-%02d-%02d 2031-%02d-%02d\n", a, month, day, month, day);
        }
        _cleanup_free_ char *expected = buf_steal(&want);
        /* The first measure that differs, rather than two texts of 6,000 lines. */
        const char *g = got, *e = expected;
        for (int line = 1; *g || *e; line++) {
                size_t gl = strcspn(g, "\n"), el = strcspn(e, "\n");
                cr_assert(gl == el && memcmp(g, e, gl) == 0, "measure %d: written %.*s, the plan says %.*s", line,
                          (int) gl, g, (int) el, e);
                g += gl + (g[gl] != 0);
                e += el + (e[el] != 0);
        }
}

Test(import, every_measure_of_a_large_plan_is_written_as_the_plan_says, .timeout = TEST_TIMEOUT(120)) {
        _cleanup_free_ char *text = large_plan(6000);
        struct import_report rep;
        cr_assert_eq(import_text(text, NULL, &rep), 0);
        assert_large_plan_written(6000);
}

Test(import, every_measure_of_a_large_markdown_plan_is_written_as_the_plan_says, .timeout = TEST_TIMEOUT(120)) {
        _cleanup_free_ char *text = large_plan(6000);
        _cleanup_free_ char *md = as_markdown(text);
        struct import_report rep;
        cr_assert_eq(import_text(md, NULL, &rep), 0);
        cr_assert_eq(rep.n_measures, 6000);
        assert_large_plan_written(6000);
}

Test(import, a_large_import_that_fails_late_writes_nothing, .timeout = TEST_TIMEOUT(120)) {
        _cleanup_free_ char *seed = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(seed, NULL, &rep), 0);
        _cleanup_free_ char *before = dump();
        /* The database refuses the last measure's last occurrence, long after the first rows were written. */
        cr_assert_eq(sqlite3_exec(store_db(store), "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.occurrence "
                                  "WHEN NEW.period = '2031' AND (SELECT number FROM measure WHERE id = NEW.measure_id) = 6000 "
                                  "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
                                  NULL, NULL, NULL), SQLITE_OK);
        _cleanup_free_ char *text = large_plan(6000);
        cr_assert_lt(import_text(text, NULL, &rep), 0);
        _cleanup_free_ char *after = dump();
        cr_assert(streq(before, after), "the database is as it was");
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        assert_settings_back(store, db);
}

Test(import, a_large_import_killed_midway_leaves_the_database_as_it_was, .timeout = TEST_TIMEOUT(120)) {
        _cleanup_free_ char *seed = seed_text();
        struct import_report rep;
        cr_assert_eq(import_text(seed, NULL, &rep), 0);
        _cleanup_free_ char *before = dump();
        _cleanup_free_ char *text = large_plan(30000);
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        _cleanup_free_ char *journal = xasprintf("%s-journal", db);
        /* Alone on the database, the import writes through a rollback journal: killed while it exists. */
        store_close(store);
        store = NULL;
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                struct store *child;
                if (store_open(db, 0, &child) < 0)
                        _exit(2);
                _exit(import_into(child, text, NULL, &rep) < 0 ? 1 : 0);
        }
        /* Killed once it has written pages of its own into the database (more than its cache holds while
         * indexes are built): the journal must undo them. */
        struct stat st;
        cr_assert_eq(stat(db, &st), 0);
        off_t size = st.st_size;
        bool seen = false;
        for (int i = 0; i < 60000 * test_slowdown() && !seen; i++) {
                seen = access(journal, F_OK) == 0 && stat(db, &st) == 0 && st.st_size > size + (1 << 20);
                if (!seen)
                        usleep(1000);
        }
        kill(pid, SIGKILL);
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(seen, "the import wrote into the database beside a rollback journal");
        cr_assert(WIFSIGNALED(status), "the import was killed before it ended");

        cr_assert_eq(store_open(db, 0, &store), 0);
        _cleanup_free_ char *after = dump();
        cr_assert(streq(before, after), "the database is as it was before the import");
        _cleanup_free_ char *integrity = query_text("PRAGMA integrity_check");
        cr_assert_str_eq(integrity, "ok\n");
        assert_settings_back(store, db);
}

Test(import, a_store_opened_during_a_large_import_waits_for_it, .timeout = TEST_TIMEOUT(120)) {
        _cleanup_free_ char *text = large_plan(6000);
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        _cleanup_free_ char *journal = xasprintf("%s-journal", db);
        store_close(store);
        store = NULL;
        pid_t pid = fork();
        cr_assert_geq(pid, 0);
        if (pid == 0) {
                struct store *child;
                struct import_report rep;
                if (store_open(db, 0, &child) < 0)
                        _exit(2);
                int r = import_into(child, text, NULL, &rep);
                store_close(child);
                _exit(r < 0 ? 1 : 0);
        }
        /* merzimd or merzimctl started meanwhile: SQLite refuses WAL mode at once while the import holds
         * the database in rollback-journal mode; the store waits for it as for any lock. */
        bool seen = false;
        for (int i = 0; i < 60000 * test_slowdown() && !seen; i++) {
                seen = access(journal, F_OK) == 0;
                if (!seen)
                        usleep(1000);
        }
        int opened = seen ? store_open(db, 0, &store) : -1;
        int status;
        cr_assert_eq(waitpid(pid, &status, 0), pid);
        cr_assert(seen, "the import wrote through a rollback journal");
        cr_assert_eq(opened, 0, "opened once the import was done");
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the import went through");
        cr_assert_eq(query_int("SELECT count(*) FROM measure"), 6000);
        assert_settings_back(store, db);
}
