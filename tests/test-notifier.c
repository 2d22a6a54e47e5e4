/* The notifier writes a send time's messages a chunk at a time. A job cut short (a crash, a reload)
 * is done again from the database without a second copy of any message, and a message whose every
 * item was settled by someone else while the job ran is not written. */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <sys/stat.h>

#include "calendar.h"
#include "conf.h"
#include "helpers.h"
#include "ledger.h"
#include "log.h"
#include "notifier.h"
#include "planner.h"
#include "policy.h"
#include "render.h"
#include "store.h"
#include "tzone.h"
#include "util.h"

/* 2024-06-27T09:00:00+05:00: the 1-day reminders of measures due on Sunday 30 June (Friday 28th). */
#define NINE 1719460800
#define N 300
#define CHUNK 40

static char *dir, *db;
static struct config *cfg;
static struct calendar *cal;
static struct templates *templates;
static struct policy policy;
static struct store *store;
static struct planner planner;
static struct notifier notifier;

static int64_t q(const char *sql) {
        return test_query_int(db, sql);
}

/* N measures, each with an executor of its own (N one-item messages at one send time); the first due
 * first. */
static void import(const char *first) {
        _cleanup_free_ char *doc = test_burst_roadmap(N, first), *doc_path = test_write(dir, "plan.txt", doc);
        _cleanup_free_ char *conf = xasprintf("%s/merzim.conf", dir), *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "import", doc_path, NULL}, NULL, &out,
                              &err),
                     0, "%s", err);
}

static void setup(void) {
        dir = test_mkdtemp();
        db = xasprintf("%s/state/merzim.db", dir);
        _cleanup_free_ char *state = xasprintf("%s/state", dir);
        cr_assert_eq(mkdir(state, 0700), 0);
        struct buf text = {0};
        buf_printf(&text, "database = \"state/merzim.db\";\ntimezone = \"Asia/Almaty\";\n"
                          "schedule = { catch_up = \"skip\"; };\n"
                          "plans = ( { title = \"Сынақ жол картасы 2024\"; coordinator = \"A0001\"; } );\n"
                          "agencies = (\n");
        /* Every other agency by e-mail, the others by webhook: one outbox row each. */
        for (int i = 1; i <= N; i++)
                if (i % 2)
                        buf_printf(&text, "%s{ code = \"A%04d\"; webhook = { url = \"http://127.0.0.1:9/%d\"; secret = \"s\"; }; }",
                                   i > 1 ? ",\n" : "", i, i);
                else
                        buf_printf(&text, "%s{ code = \"A%04d\"; email = \"a%04d@test.kz\"; }", ",\n", i, i);
        buf_printf(&text, " );\n");
        _cleanup_free_ char *conf = test_write(dir, "merzim.conf", text.data);
        buf_free(&text);
        import("2024 жылғы маусым");

        log_set_max_level(LOG_WARNING); /* not a line per message */
        struct errlist errs = {0};
        cr_assert_geq(config_load(conf, &cfg, &errs), 0);
        cr_assert_geq(calendar_load_builtin(&cal, &errs), 0);
        cr_assert_geq(templates_load(NULL, &templates, &errs), 0);
        errlist_clear(&errs);
        tz_set(cfg->timezone);
        cr_assert_geq(store_open(db, 0, &store), 0);
        policy_from_config(cfg, &policy);
        planner = (struct planner) {.store = store, .policy = &policy, .calendar = cal, .due_shift = cfg->due_shift};
        notifier = (struct notifier) {.store = store, .cfg = cfg, .calendar = cal, .policy = &policy,
                                      .templates = templates, .planner = &planner, .chunk = CHUNK};
        _cleanup_free_ char *fp = policy_fingerprint(&policy, cal, cfg->timezone);
        cr_assert_geq(planner_revision(store, fp, &planner.rev), 0);
        cr_assert_geq(planner_run(&planner, NINE, 100000), 0);
        cr_assert_eq(q("SELECT count(*) FROM date_plan WHERE effective_due = '2024-06-28' AND fresh"), 1,
                     "one plan for the one date of the N occurrences");
}

static void teardown(void) {
        notifier_drop(&notifier);
        store_close(store);
        templates_free(templates);
        calendar_free(cal);
        config_free(cfg);
        test_rmdir(dir);
        free(dir);
        free(db);
}

TestSuite(notifier, .init = setup, .fini = teardown);

/* Run the notifier until it has nothing more to do at now; returns the messages written. */
static int run_all(int64_t now) {
        int total = 0;
        bool more = true;
        for (int i = 0; more && i < 10 * N; i++) {
                int r = notifier_run(&notifier, now, 5000, &more);
                cr_assert_geq(r, 0);
                total += r;
        }
        cr_assert(!more);
        return total;
}

Test(render, days_in_words_in_each_language) {
        static const struct {
                int days;
                const char *language, *text;
        } cases[] = {
                {1, "en", "1 day left"},        {7, "en", "7 days left"},       {-1, "en", "1 day overdue"},
                {-2, "en", "2 days overdue"},   {0, "en", "due today"},         {1, "ru", "осталось 1 день"},
                {-2, "ru", "просрочено на 2 дня"}, {-11, "ru", "просрочено на 11 дней"}, {7, "kk", "7 күн қалды"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *text = render_days(cases[i].days, cases[i].language);
                cr_assert_str_eq(text, cases[i].text, "%d %s", cases[i].days, cases[i].language);
        }
}

Test(notifier, a_send_time_is_written_a_chunk_per_step_and_moves_on_with_the_last) {
        bool more = false;
        cr_assert_eq(notifier_run(&notifier, NINE, 5000, &more), CHUNK);
        cr_assert(more);
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE state = 'pending'"), CHUNK,
                     "the first chunk is in the outbox, ready to be sent");
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE planned_rev = 0"), N,
                     "no occurrence moves on before every message is written");
        cr_assert_eq(q("SELECT count(*) FROM stage s JOIN notification_item i ON i.occurrence_id = s.occurrence_id "
                       "AND i.notification_id = s.notification_id WHERE s.state = 'told'"),
                     CHUNK, "the stages the first chunk told are recorded with it, each with its message");
        cr_assert_eq(q("SELECT count(*) FROM stage"), CHUNK);
        run_all(NINE);
        cr_assert_eq(q("SELECT count(*) FROM notification"), N);
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE planned_rev > 0 AND next_stage = 'due' "
                       "AND next_stage_at > 1719460800"),
                     N, "each moves on to its due notice");
        cr_assert_eq(q("SELECT count(*) FROM date_plan WHERE fresh"), 0, "and the date's plan is done with");
        cr_assert_eq(q("SELECT count(*) FROM stage WHERE name = '1d' AND state = 'told' "
                       "AND notification_id IS NOT NULL"),
                     N, "each occurrence records the message that told it");
}

Test(notifier, a_job_cut_short_is_done_again_without_a_second_message) {
        bool more = false;
        cr_assert_eq(notifier_run(&notifier, NINE, 5000, &more), CHUNK);
        cr_assert_eq(notifier_run(&notifier, NINE, 5000, &more), CHUNK);
        /* What a crash or a reload leaves: two chunks written with the stages they told, nothing moved on. */
        notifier_drop(&notifier);
        cr_assert_eq(q("SELECT count(*) FROM stage"), 2 * CHUNK);
        run_all(NINE + 30);
        cr_assert_eq(q("SELECT count(*) FROM notification"), N, "each message once, found again by its key");
        cr_assert_eq(q("SELECT count(*) FROM outbox"), N);
        cr_assert_eq(q("SELECT count(*) FROM outbox WHERE state = 'pending'"), N);
        cr_assert_eq(q("SELECT count(DISTINCT notification_id) FROM stage"), N);
        cr_assert_eq(q("SELECT count(*) FROM stage s JOIN notification_item i ON i.occurrence_id = s.occurrence_id "
                       "AND i.notification_id = s.notification_id"),
                     N, "each stage recorded once, with the message that told it, the first chunks' too");
        cr_assert_eq(q("SELECT count(*) FROM stage WHERE handled_at = 1719460800"), 2 * CHUNK,
                     "the stages recorded before the stop are kept as they were");
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE planned_rev = 0 OR next_stage_at <= 1719460830"), 0);
        cr_assert_eq(run_all(NINE + 60), 0, "and nothing is left to send at this send time");
}

Test(notifier, a_message_settled_while_the_job_runs_is_not_written) {
        bool more = false;
        cr_assert_eq(notifier_run(&notifier, NINE, 5000, &more), CHUNK);
        /* Someone marks an occurrence done through another connection (merzimctl, the HTTP interface):
         * one that no written message lists yet. */
        int64_t id = q("SELECT max(id) FROM occurrence WHERE id NOT IN (SELECT occurrence_id FROM notification_item)");
        cr_assert_gt(id, 0);
        struct store *other;
        cr_assert_geq(store_open(db, 0, &other), 0);
        struct status_change c = {.status = "done", .actor = "test", .done_by = "A0001", .now = NINE + 1};
        cr_assert_eq(ledger_set_status(other, id, &c), 0);
        store_close(other);

        run_all(NINE);
        cr_assert_eq(q("SELECT count(*) FROM notification"), N - 1);
        _cleanup_free_ char *sql = xasprintf("SELECT count(*) FROM notification_item WHERE occurrence_id = %lld",
                                             (long long) id);
        cr_assert_eq(q(sql), 0, "the measure marked done is not reminded of");
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE status = 'pending' "
                       "AND (planned_rev = 0 OR next_stage_at <= 1719460800)"),
                     0);
}

Test(notifier, a_rescheduled_measure_is_planned_again_for_its_new_date) {
        run_all(NINE);
        /* A new edition moves measure 1 from June to July 2024 (Wednesday 31 July). */
        import("2024 жылғы шілде");
        cr_assert_geq(planner_run(&planner, NINE + 60, 100000), 0);
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE effective_due = '2024-07-31' AND planned_rev > 0 "
                       "AND next_stage_at > 1719460800 + 86400"),
                     1, "its next stage is one of the new date, not the due notice of 28 June");
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE effective_due = '2024-06-28' AND next_stage = 'due' "
                       "AND next_stage_at = 1719460800 + 86400"),
                     N - 1, "the others keep theirs");
}

Test(notifier, a_new_policy_revision_plans_every_date_again) {
        int64_t before = planner.rev;
        cr_assert_geq(planner_revision(store, "another policy", &planner.rev), 0);
        cr_assert_eq(planner.rev, before + 1);
        cr_assert_eq(q("SELECT count(*) FROM date_plan WHERE rev = (SELECT value FROM daemon_state "
                       "WHERE key = 'policy_rev')"),
                     0);
        while (planner_run(&planner, NINE, 100) == 100)
                ;
        cr_assert_eq(q("SELECT count(*) FROM date_plan WHERE fresh AND rev = (SELECT value FROM daemon_state "
                       "WHERE key = 'policy_rev')"),
                     1);
        cr_assert_eq(q("SELECT count(*) FROM date_plan"), 1, "no plan of the old revision is left");
        cr_assert_eq(run_all(NINE), N);
}

Test(notifier, a_date_whose_occurrences_were_all_settled_is_not_waited_for) {
        /* Every measure is reported done before its first reminder (30 days ahead, on 29 May). */
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(store_db(store), "SELECT id FROM occurrence", -1, &st, NULL), SQLITE_OK);
        int64_t ids[N];
        int n = 0;
        while (n < N && sqlite3_step(st) == SQLITE_ROW)
                ids[n++] = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        cr_assert_eq(n, N);
        struct status_change c = {.status = "done", .actor = "test", .done_by = "A0001", .now = NINE - 40 * 86400};
        for (int i = 0; i < n; i++)
                cr_assert_eq(ledger_set_status(store, ids[i], &c), 0);
        int64_t first = notifier_next(store);
        cr_assert_lt(first, NINE, "the date's first stage is still on the plan");
        cr_assert_eq(run_all(first), 0, "nothing to send");
        cr_assert_eq(notifier_next(store), INT64_MAX,
                     "and the timer is not armed for a past instant again (merzimd would wake at once, forever)");
}

/* A database of version 2 (before the date plans), as merzimd left it: one occurrence reopened after
 * its 30-day reminder (unplanned, planned_rev 0, with a stage), the others planned on their own. */
/* A database made by an older merzim: the migrations up to `version`, as sql/ has them, then rows. */
static void old_database(const char *path, size_t version, const char *rows) {
        static const char *const files[] = {"001_initial", "002_notifications", "003_date_plans",
                                            "004_plans_as_published"};
        for (size_t v = 0; v < version && v < ELEMENTSOF(files); v++) {
                _cleanup_free_ char *file = xasprintf("%s/sql/%s.sql", test_srcdir(), files[v]);
                _cleanup_free_ char *sql = test_read(file);
                test_exec(path, sql);
        }
        test_exec(path, rows);
}

Test(notifier, a_version_2_database_is_upgraded_without_losing_a_plan) {
        _cleanup_free_ char *old = xasprintf("%s/old.db", dir);
        const char *rows =
                "PRAGMA user_version = 2;"
                "INSERT INTO plan (id, key, title) VALUES (1, 'p', 'P');"
                "INSERT INTO measure (id, plan_id, number, name, form, deadline, rule) VALUES "
                "(1, 1, 1, 'a', 'f', 'd', 'r'), (2, 1, 2, 'b', 'f', 'd', 'r');"
                "INSERT INTO occurrence (id, measure_id, period, nominal_due, effective_due, planned_rev, next_stage, "
                "next_stage_level, next_stage_at) VALUES "
                "(1, 1, '2024', '2024-06-30', '2024-06-28', 0, NULL, NULL, NULL),"
                "(2, 2, '2024', '2024-06-30', '2024-06-28', 1, '1d', 0, 1719460800);"
                "INSERT INTO stage (occurrence_id, name, level, send_at, state, handled_at) VALUES "
                "(1, '30d', 0, 1716955200, 'told', 1716955200);";
        old_database(old, 2, rows);

        struct store *s;
        cr_assert_geq(store_open(old, 0, &s), 0);
        cr_assert_eq(store_schema_version(s), store_schema_latest());
        struct planner p = planner;
        p.store = s;
        p.rev = 1;
        cr_assert_geq(planner_run(&p, NINE - 86400, 100), 0);
        store_close(s);

        char *saved = db;
        db = old;
        cr_assert_eq(q("SELECT planned_rev > 0 AND next_stage = '7d' FROM occurrence WHERE id = 1"), 1,
                     "the reopened occurrence goes on from its last stage, on a plan of its own");
        cr_assert_eq(q("SELECT planned_rev = 1 AND next_stage = '1d' AND next_stage_at = 1719460800 "
                       "FROM occurrence WHERE id = 2"),
                     1, "a plan made before the upgrade stands");
        db = saved;
}

/* Version 5 makes the notification table anew (its key's index by send time and recipient): every
 * notification, and every row that refers to one, comes through. */
Test(notifier, a_version_4_database_keeps_its_notifications_and_what_refers_to_them) {
        _cleanup_free_ char *old = xasprintf("%s/old.db", dir);
        const char *rows =
                "PRAGMA user_version = 4;"
                "INSERT INTO plan (id, key, title) VALUES (1, 'p', 'P');"
                "INSERT INTO measure (id, plan_id, number, name, form, deadline, rule) VALUES (1, 1, 1, 'a', 'f', 'd', 'r');"
                "INSERT INTO occurrence (id, measure_id, period, nominal_due, effective_due) VALUES "
                "(1, 1, '2024', '2024-06-30', '2024-06-28');"
                "INSERT INTO notification (id, key, plan_id, recipient, kind, stage, scheduled_at, created_at, language, "
                "subject, body, payload) VALUES "
                "(7, 'k7', 1, 'A0002', 'reminder', '30d', 1716955200, 1716955200, 'kk', 's', 'b', '{}'),"
                "(9, 'k9', 1, 'A0003', 'reminder', '30d', 1716955200, 1716955200, 'ru', 's', 'b', '{}');"
                "INSERT INTO notification_item VALUES (7, 1, '30d', 'executor', NULL), (9, 1, '30d', 'lead', NULL);"
                "INSERT INTO outbox (id, notification_id, channel, address, state, next_attempt_at) VALUES "
                "(3, 7, 'email', 'a@test.kz', 'sent', 0), (4, 9, 'webhook', 'http://127.0.0.1:9/', 'pending', 0);"
                "INSERT INTO attempt (outbox_id, started_at, finished_at, result) VALUES (3, 1, 2, 'sent');"
                "INSERT INTO stage (occurrence_id, name, level, send_at, state, handled_at, notification_id) VALUES "
                "(1, '30d', 0, 1716955200, 'told', 1716955200, 7);";
        old_database(old, 4, rows);

        struct store *s;
        cr_assert_geq(store_open(old, 0, &s), 0);
        cr_assert_eq(store_schema_version(s), store_schema_latest());
        store_close(s);
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM notification WHERE id IN (7, 9)"), 2);
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM notification_item"), 2);
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM outbox WHERE notification_id IN (7, 9)"), 2,
                     "no outbox row went with the old table");
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM attempt"), 1);
        cr_assert_eq(test_query_int(old, "SELECT notification_id FROM stage"), 7,
                     "the stage still names the message that told it");
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM pragma_foreign_key_list('outbox') WHERE \"table\" = 'notification'"), 1);
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM pragma_index_list('notification') WHERE \"unique\""), 1);
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM pragma_index_info('notification_message')"), 3,
                     "one unique index: send time, recipient and key");
}

/* A database whose rows refer to rows that are not there (written by hand, or by a tool without foreign
 * keys) is not migrated: the error names the file and the tables, and the database stays as it was. */
Test(notifier, a_database_with_a_broken_reference_is_left_unmigrated_with_an_error_saying_where) {
        _cleanup_free_ char *old = xasprintf("%s/broken.db", dir);
        old_database(old, 4,
                     "PRAGMA user_version = 4;"
                     "INSERT INTO outbox (id, notification_id, channel, address, next_attempt_at) "
                     "VALUES (5, 99, 'email', 'a@test.kz', 0);");
        _cleanup_free_ char *text = xasprintf("database = \"%s\";\ntimezone = \"Asia/Almaty\";\n", old);
        _cleanup_free_ char *conf = test_write(dir, "broken.conf", text), *out = NULL, *err = NULL;
        cr_assert_neq(test_run((const char *const[]) {"merzimctl", "-c", conf, "status", NULL}, NULL, &out, &err), 0);
        cr_assert(strstr(err, old) && strstr(err, "row 5 of table outbox refers to a row of notification"),
                  "the error names the file, the row and the tables: %s", err);
        cr_assert_eq(test_query_int(old, "PRAGMA user_version"), 4, "no migration applied");
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM outbox"), 1);
        cr_assert_eq(test_query_int(old, "SELECT count(*) FROM pragma_index_list('notification') "
                                         "WHERE origin = 'u'"),
                     1, "the table as version 4 made it, its key unique");
}

Test(notifier, a_new_due_date_rule_moves_every_pending_occurrence_with_a_history_row) {
        /* The administrator changes effective_due to "following": 30 June 2024, a Sunday, is then due on
         * Monday 1 July, not Friday 28 June. */
        planner.due_shift = DUE_SHIFT_FOLLOWING;
        cr_assert_geq(planner_revision(store, "following", &planner.rev), 0);
        while (planner_run(&planner, NINE, 100) == 100)
                ;
        cr_assert_eq(q("SELECT count(*) FROM occurrence WHERE effective_due = '2024-07-01'"), N);
        cr_assert_eq(q("SELECT count(*) FROM history WHERE action = 'rescheduled' AND actor = 'merzimd' "
                       "AND note = 'effective due 2024-06-28 -> 2024-07-01 (calendar changed)'"),
                     N, "each move is in the occurrence's history");
        cr_assert_eq(q("SELECT count(*) FROM date_plan"), 1, "the old date's plan is gone");
        cr_assert_eq(run_all(NINE), 0, "nothing is due on Thursday 27 June any more");
        cr_assert_eq(run_all(NINE + 86400), N, "the 1-day reminders go out on Friday 28 June");
        cr_assert_eq(q("SELECT count(*) FROM notification WHERE stage = '1d' AND scheduled_at = 1719460800 + 86400"), N);
}

Test(notifier, messages_rendered_ahead_in_a_thread_are_those_of_their_recipients) {
        /* merzimd renders each chunk's successor in a thread of its own while the chunk is written. */
        struct renderer *renderer;
        cr_assert_eq(renderer_new(&renderer), 0);
        notifier.renderer = renderer;
        cr_assert_eq(run_all(NINE), N);
        notifier_drop(&notifier);
        renderer_free(renderer);
        notifier.renderer = NULL;

        sqlite3 *sdb;
        cr_assert_eq(sqlite3_open_v2(db, &sdb, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(sdb, "SELECT key, recipient, body, payload FROM notification", -1, &st, NULL),
                     SQLITE_OK);
        int n = 0, by_hook = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
                const char *key = (const char *) sqlite3_column_text(st, 0);
                const char *recipient = (const char *) sqlite3_column_text(st, 1);
                const char *body = (const char *) sqlite3_column_text(st, 2);
                const char *text = (const char *) sqlite3_column_text(st, 3);
                /* Only what the recipient's channel carries is rendered and kept: the webhook's JSON or
                 * the e-mail's text. */
                if (atoi(recipient + 1) % 2) {
                        json_t *payload = json_loads(text, 0, NULL);
                        cr_assert_not_null(payload, "the webhook to %s: %s", recipient, text);
                        cr_assert_str_eq(json_string_value(json_object_get(payload, "key")), key);
                        cr_assert_str_eq(json_string_value(json_object_get(
                                                 json_array_get(json_object_get(payload, "recipients"), 0), "code")),
                                         recipient);
                        json_decref(payload);
                        cr_assert_str_empty(body, "no e-mail text for %s, which has only a webhook", recipient);
                        by_hook++;
                } else {
                        cr_assert(strstr(body, recipient), "the message to %s says: %s", recipient, body);
                        cr_assert_str_empty(text, "no webhook JSON for %s, which has only e-mail", recipient);
                }
                n++;
        }
        cr_assert_eq(by_hook, N / 2);
        sqlite3_finalize(st);
        sqlite3_close(sdb);
        cr_assert_eq(n, N);
}

/* notifier's in_transaction for the test: a row written with each step's messages. */
static int note_step(void *userdata) {
        int *calls = userdata;
        _cleanup_free_ char *key = xasprintf("test step %d", ++*calls);
        sqlite3_stmt *st = store_stmt(store, "INSERT INTO daemon_state (key, value) VALUES (?, 1)");
        stmt_bind_text(st, 1, key);
        return store_step_done(store, st, "test");
}

Test(notifier, what_in_transaction_writes_commits_with_each_chunk) {
        /* merzimd's writer records delivery results there: under the commit of the chunk's messages. */
        int calls = 0;
        notifier.in_transaction = note_step;
        notifier.in_transaction_data = &calls;
        bool more = false;
        cr_assert_eq(notifier_run(&notifier, NINE, 5000, &more), CHUNK);
        cr_assert_eq(q("SELECT count(*) FROM daemon_state WHERE key LIKE 'test step %'"), 1);
        run_all(NINE);
        cr_assert_eq(calls, (N + CHUNK - 1) / CHUNK, "once per chunk");
        cr_assert_eq(q("SELECT count(*) FROM daemon_state WHERE key LIKE 'test step %'"), calls);
}

/* Rows of a query as text, a line per row, columns joined by '|'. */
static char *dump(const char *path, const char *sql) {
        sqlite3 *d;
        cr_assert_eq(sqlite3_open_v2(path, &d, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_prepare_v2(d, sql, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(d));
        struct buf b = {0};
        while (sqlite3_step(st) == SQLITE_ROW) {
                for (int i = 0; i < sqlite3_column_count(st); i++) {
                        const char *t = (const char *) sqlite3_column_text(st, i);
                        buf_printf(&b, "%s%s", i ? "|" : "", t ? t : "NULL");
                }
                buf_puts(&b, "\n");
        }
        sqlite3_finalize(st);
        sqlite3_close(d);
        return buf_steal(&b);
}

/* What a wake-up wrote: every message (key, recipient, kind, stage, items with their roles and the
 * agencies they are forwarded for), and every stage of every occurrence with the key of the message
 * recorded as the one that told it. */
#define WRITTEN_MESSAGES                                                                                     \
        "SELECT n.key, n.recipient, n.kind, n.stage, n.scheduled_at, group_concat(i.occurrence_id || ':' || " \
        "i.stage || ':' || i.role || ':' || coalesce(i.on_behalf_of, ''), ' ') FROM notification n "          \
        "JOIN notification_item i ON i.notification_id = n.id GROUP BY n.id ORDER BY n.key"
#define TOLD_STAGES                                                                                          \
        "SELECT s.occurrence_id, s.name, s.state, s.send_at, n.key FROM stage s "                           \
        "LEFT JOIN notification n ON n.id = s.notification_id ORDER BY s.occurrence_id, s.name"

/* A plan whose measures are each told to three agencies, one of them without a contact (its items go
 * to the coordinator, A0001, on its behalf): messages of many items, an occurrence in several. */
static char *shared_roadmap(int n) {
        struct buf b = {0};
        buf_puts(&b, "Сынақ жол картасы 2024\nР/с №\t|\tАтауы\t|\tАяқталу нысаны\t|\tОрындау мерзімі\t|\tЖауапты орындаушылар\n"
                     "Бөлім\n");
        for (int i = 1; i <= n; i++)
                buf_printf(&b, "%d.\t|\tІс-шара %d\t|\tақпарат\t|\t2024 жылғы маусым\t|\tA%04d, A%04d%s, B%03d\n", i, i,
                           2 + i % 7, 10 + i % 5, i % 3 ? "" : " (келісу бойынша)", i % 4);
        return buf_steal(&b);
}

Test(notifier, a_wake_up_written_a_group_of_recipients_at_a_time_is_the_one_written_at_once) {
        _cleanup_free_ char *doc = shared_roadmap(60), *doc_path = test_write(dir, "shared.txt", doc);
        _cleanup_free_ char *conf = xasprintf("%s/merzim.conf", dir), *out = NULL, *err = NULL;
        cr_assert_eq(test_run((const char *const[]) {"merzimctl", "-c", conf, "import", doc_path, NULL}, NULL, &out,
                              &err),
                     0, "%s", err);
        cr_assert_geq(planner_run(&planner, NINE, 100000), 0);

        /* The same database twice: one written at once, one three recipients at a time. */
        _cleanup_free_ char *whole_db = xasprintf("%s/state/whole.db", dir);
        sqlite3 *d;
        sqlite3_stmt *st;
        cr_assert_eq(sqlite3_open(db, &d), SQLITE_OK);
        cr_assert_eq(sqlite3_prepare_v2(d, "VACUUM INTO ?", -1, &st, NULL), SQLITE_OK);
        sqlite3_bind_text(st, 1, whole_db, -1, SQLITE_STATIC);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE, "%s", sqlite3_errmsg(d));
        sqlite3_finalize(st);
        sqlite3_close(d);
        struct store *whole_store;
        cr_assert_geq(store_open(whole_db, 0, &whole_store), 0);
        struct planner whole_planner = planner;
        whole_planner.store = whole_store;
        struct notifier whole = notifier;
        whole.store = whole_store;
        whole.planner = &whole_planner;
        whole.chunk = 0;
        notifier.chunk = 3;

        /* On time at nine; then, two days later with the due notices missed, in catch-up digests. */
        const int64_t times[] = {NINE, NINE + 2 * 86400};
        for (size_t t = 0; t < ELEMENTSOF(times); t++) {
                if (t == 1)
                        policy.catch_up = CATCH_UP_DIGEST;
                int grouped = run_all(times[t]);
                bool more = false;
                int at_once = notifier_run(&whole, times[t], 5000, &more);
                cr_assert(!more);
                cr_assert_gt(grouped, 3 * 3, "%d messages: more than three groups", grouped);
                cr_assert_eq(at_once, grouped);
        }
        notifier_drop(&whole);
        store_close(whole_store);

        cr_assert_gt(q("SELECT count(*) FROM notification WHERE kind = 'catch-up'"), 3);
        cr_assert_gt(q("SELECT max(c) FROM (SELECT count(*) AS c FROM notification_item GROUP BY notification_id)"), 1,
                     "messages of several items");
        cr_assert_gt(q("SELECT count(*) FROM notification_item WHERE on_behalf_of IS NOT NULL"), 0,
                     "items forwarded to the coordinator");
        cr_assert_eq(q("SELECT count(*) FROM (SELECT 1 FROM notification GROUP BY recipient, scheduled_at, "
                       "kind = 'catch-up' HAVING count(*) > 1)"),
                     0, "one message per recipient and send time");
        _cleanup_free_ char *grouped_messages = dump(db, WRITTEN_MESSAGES), *whole_messages = dump(whole_db, WRITTEN_MESSAGES);
        cr_assert_str_eq(grouped_messages, whole_messages);
        _cleanup_free_ char *grouped_stages = dump(db, TOLD_STAGES), *whole_stages = dump(whole_db, TOLD_STAGES);
        cr_assert_str_eq(grouped_stages, whole_stages);
        cr_assert_eq(q("SELECT count(*) FROM stage WHERE notification_id IS NULL AND (state = 'told' "
                       "OR handled_at = 1719460800 + 2 * 86400)"),
                     0, "every stage told, on time or in a catch-up digest, records the message that told it");
        cr_assert_gt(q("SELECT count(*) FROM stage WHERE state = 'missed' AND notification_id IS NOT NULL"), 0);
        cr_assert_eq(q("SELECT count(*) FROM stage s JOIN notification n ON n.id = s.notification_id "
                       "WHERE s.state = 'told' AND n.recipient <> (SELECT min(m.recipient) FROM notification_item i "
                       "JOIN notification m ON m.id = i.notification_id WHERE i.occurrence_id = s.occurrence_id "
                       "AND i.stage = s.name AND m.kind <> 'catch-up')"),
                     0, "the message recorded is the first written that lists the stage");
}
