/* The notification policy and the grouping of messages, with a fixed "now". */
#include "config.h"

#include <criterion/criterion.h>

#include "calendar.h"
#include "conf.h"
#include "policy.h"
#include "schedule.h"
#include "tzone.h"

static struct calendar *cal;
static struct config *cfg;
static struct policy pol;

static void setup(void) {
        cr_assert_eq(tz_set("Asia/Almaty"), 0);
        struct errlist errs = {0};
        cr_assert_eq(calendar_load_builtin(&cal, &errs), 0);
        cfg = config_new_defaults();
        policy_from_config(cfg, &pol);
}

static void teardown(void) {
        calendar_free(cal);
        config_free(cfg);
}

TestSuite(policy, .init = setup, .fini = teardown);
TestSuite(schedule, .init = setup, .fini = teardown);

static day_t D(int y, int m, int d) {
        return date_from_ymd(y, m, d);
}

static void assert_stage(const struct stage *s, const char *name, day_t day, int level) {
        char want[DATE_ISO_MAX], got[DATE_ISO_MAX], at[TZ_ISO_MAX];
        cr_assert_str_eq(s->name, name);
        cr_assert_eq(s->day, day, "%s: sent on %s, expected %s", name, date_format(s->day, got), date_format(day, want));
        cr_assert_eq(s->level, level, "%s", name);
        /* 09:00 local time on that day. */
        tz_format(s->at, at);
        cr_assert(strncmp(at + 10, "T09:00:00+0", 11) == 0, "%s at %s", name, at);
        cr_assert(strncmp(at, date_format(day, got), 10) == 0, "%s at %s", name, at);
}

Test(policy, the_default_stages_of_a_deadline_on_friday_28_june_2024) {
        struct stage s[POLICY_MAX_STAGES];
        size_t n = policy_stages(&pol, cal, D(2024, 6, 28), s);
        cr_assert_eq(n, 7);
        assert_stage(&s[0], "30d", D(2024, 5, 29), 0);
        assert_stage(&s[1], "7d", D(2024, 6, 21), 0);
        assert_stage(&s[2], "1d", D(2024, 6, 27), 0);
        assert_stage(&s[3], "due", D(2024, 6, 28), 0);
        cr_assert(s[3].due_notice);
        assert_stage(&s[4], "+1wd", D(2024, 7, 1), 1);
        assert_stage(&s[5], "+7d", D(2024, 7, 5), 2);
        /* 28 June + 37 days is Sunday 4 August: sent on Friday 2 August. */
        assert_stage(&s[6], "+37d", D(2024, 8, 2), 3);
        char at[TZ_ISO_MAX];
        cr_assert_str_eq(tz_format(s[0].at, at), "2024-05-29T09:00:00+05:00");
}

Test(policy, send_days_are_working_days_moved_back) {
        /* Due Monday 25 March 2024 (itself a day off for Nauryz is not possible as an effective date, so
         * take the next working day, Tuesday 26 March). 1 day before is Monday 25 March: a transferred
         * day off; 7 days before is Tuesday 19 March. */
        struct stage s[POLICY_MAX_STAGES];
        size_t n = policy_stages(&pol, cal, D(2024, 3, 26), s);
        cr_assert_gt(n, 3);
        assert_stage(&s[2], "1d", D(2024, 3, 20), 0); /* 25 Mar off, 21-23 Nauryz, 24 Sunday: back to 20 Mar */
        for (size_t i = 0; i < n; i++)
                cr_assert(calendar_is_working_day(cal, s[i].day), "%s on a day off", s[i].name);
}

Test(policy, reminders_that_fall_on_one_day_are_sent_once) {
        cfg->reminders[0] = 3, cfg->reminders[1] = 2, cfg->reminders[2] = 1;
        policy_from_config(cfg, &pol);
        /* Due Monday 1 July 2024: 3 days before is Friday; 2 and 1 days before are the weekend -> Friday. */
        struct stage s[POLICY_MAX_STAGES];
        size_t n = policy_stages(&pol, cal, D(2024, 7, 1), s);
        cr_assert_str_eq(s[0].name, "1d", "only the most urgent of the three Friday reminders is kept");
        assert_stage(&s[0], "1d", D(2024, 6, 28), 0);
        assert_stage(&s[1], "due", D(2024, 7, 1), 0);
        cr_assert_eq(n, 5);
}

Test(policy, repeats_every_30_days_and_next_stage) {
        struct stage r;
        cr_assert(policy_next_repeat(&pol, cal, D(2024, 6, 28), 3, 0, &r));
        cr_assert_str_eq(r.name, "+67d");
        cr_assert_eq(r.level, 4);
        /* Years later, the next repeat is the first after now, not a backlog. */
        int64_t later = tz_instant(D(2026, 11, 24), 12, 0, 0);
        cr_assert(policy_next_repeat(&pol, cal, D(2024, 6, 28), 3, later, &r));
        cr_assert_gt(r.at, later);
        cr_assert_lt(r.at, later + 31 * 86400);
        cr_assert(calendar_is_working_day(cal, r.day));

        struct stage n;
        cr_assert(policy_next_stage(&pol, cal, D(2024, 6, 28), INT64_MIN, 0, &n));
        cr_assert_str_eq(n.name, "30d");
        int64_t after_due = tz_instant(D(2024, 6, 28), 9, 0, 0);
        cr_assert(policy_next_stage(&pol, cal, D(2024, 6, 28), after_due, 0, &n));
        cr_assert_str_eq(n.name, "+1wd");

        cfg->escalate_repeat_days = 0;
        policy_from_config(cfg, &pol);
        cr_assert_not(policy_next_repeat(&pol, cal, D(2024, 6, 28), 2, 0, &r), "no repeats configured");
}

Test(policy, who_is_told_at_each_stage) {
        struct stage s[POLICY_MAX_STAGES];
        policy_stages(&pol, cal, D(2024, 6, 28), s);
        cr_assert_eq(policy_stage_roles(&s[0]), ROLE_EXECUTOR);
        cr_assert_eq(policy_stage_roles(&s[3]), ROLE_EXECUTOR);
        cr_assert_eq(policy_stage_roles(&s[4]), ROLE_LEAD | ROLE_REPORT_TO | ROLE_COORDINATOR);
        cr_assert_eq(policy_stage_roles(&s[5]), ROLE_COORDINATOR | ROLE_SUPERVISOR);
        cr_assert_eq(policy_stage_roles(&s[6]), ROLE_COORDINATOR | ROLE_SUPERVISOR);
}

/* A small world: plan coordinated by ИИДМ (with e-mail), supervised by ПМК; two measures. */
static struct plan_info plan = {.id = 1, .title = "Жол картасы", .coordinator = "ИИДМ", .supervisor = "ПМК"};
static struct executor ex10[] = {{"ЭМ", false}, {"\"Атамекен\" ҰКП", true}};
static struct executor ex26[] = {{"ИИДМ", false}, {"\"Атамекен\" ҰКП", true}};

static void contacts(void) {
        config_free(cfg);
        cfg = config_new_defaults();
        cfg->agencies = xcalloc(3, sizeof(struct agency_contact));
        const char *codes[] = {"ИИДМ", "ЭМ", "ПМК"};
        for (size_t i = 0; i < 3; i++) {
                cfg->agencies[i].code = xstrdup(codes[i]);
                cfg->agencies[i].emails = xcalloc(2, sizeof(char *));
                cfg->agencies[i].emails[0] = xasprintf("a%zu@example.kz", i);
                cfg->agencies[i].language = xstrdup("kk");
        }
        cfg->n_agencies = 3;
}

Test(schedule, one_message_per_recipient_and_send_time) {
        contacts();
        struct occurrence_info o10 = {.id = 10, .plan = &plan, .measure = 10, .effective = D(2024, 6, 28),
                                      .report_to = "ИИДМ", .executors = ex10, .n_executors = 2};
        struct occurrence_info o26 = {.id = 26, .plan = &plan, .measure = 26, .effective = D(2024, 6, 28),
                                      .executors = ex26, .n_executors = 2};
        struct stage s[POLICY_MAX_STAGES];
        policy_stages(&pol, cal, D(2024, 6, 28), s);
        struct schedule sched = {.cfg = cfg};
        schedule_add(&sched, &o10, &s[1], false, 0); /* 7d */
        schedule_add(&sched, &o26, &s[1], false, 0);
        schedule_finish(&sched);
        /* ЭМ (10), ИИДМ (26) and, for "Атамекен" which has no contact, the coordinator ИИДМ (10 and 26). */
        cr_assert_eq(sched.n_messages, 2);
        const struct message *iidm = streq(sched.messages[0].recipient, "ИИДМ") ? &sched.messages[0] : &sched.messages[1];
        const struct message *em = iidm == &sched.messages[0] ? &sched.messages[1] : &sched.messages[0];
        cr_assert_str_eq(em->recipient, "ЭМ");
        cr_assert_eq(em->n_items, 1);
        cr_assert_str_eq(em->kind, "reminder");
        cr_assert_str_eq(em->stage, "7d");
        cr_assert(em->items[0].roles & ROLE_LEAD);
        cr_assert_eq(iidm->n_items, 2, "26 (its own, and forwarded for Атамекен), 10 (forwarded for Атамекен)");
        for (size_t i = 0; i < iidm->n_items; i++) {
                const struct message_item *it = &iidm->items[i];
                cr_assert_eq(it->n_forwarded, 1);
                cr_assert_str_eq(it->forwarded[0].code, "\"Атамекен\" ҰКП");
                cr_assert(it->forwarded[0].by_agreement);
                cr_assert_eq(it->roles, it->occ->id == 26 ? (unsigned) (ROLE_EXECUTOR | ROLE_LEAD) : 0u);
        }
        char key[65];
        memcpy(key, em->key, sizeof(key));
        schedule_clear(&sched);

        /* The same stage again gives the same key: the receiver can drop a duplicate. */
        schedule_add(&sched, &o10, &s[1], false, 0);
        schedule_finish(&sched);
        for (size_t i = 0; i < sched.n_messages; i++)
                if (streq(sched.messages[i].recipient, "ЭМ"))
                        cr_assert_str_eq(sched.messages[i].key, key);
        schedule_clear(&sched);
}

Test(schedule, escalations_and_catch_up) {
        contacts();
        struct occurrence_info o10 = {.id = 10, .plan = &plan, .measure = 10, .effective = D(2024, 6, 28),
                                      .report_to = "ИИДМ", .executors = ex10, .n_executors = 2};
        struct stage s[POLICY_MAX_STAGES];
        policy_stages(&pol, cal, D(2024, 6, 28), s);
        struct schedule sched = {.cfg = cfg};
        schedule_add(&sched, &o10, &s[4], false, 0); /* +1wd: lead ЭМ, report recipient and coordinator ИИДМ */
        schedule_add(&sched, &o10, &s[5], false, 0); /* +7d: coordinator ИИДМ, supervisor ПМК */
        schedule_finish(&sched);
        cr_assert_eq(sched.n_messages, 4);
        cr_assert_str_eq(sched.messages[0].kind, "escalation");
        for (size_t i = 0; i < sched.n_messages; i++)
                if (streq(sched.messages[i].recipient, "ИИДМ") && streq(sched.messages[i].stage, "+1wd"))
                        cr_assert_eq(sched.messages[i].items[0].roles, ROLE_REPORT_TO | ROLE_COORDINATOR,
                                     "one item with both roles");
        schedule_clear(&sched);

        /* After downtime every missed stage of an occurrence is one line of one catch-up digest. */
        int64_t now = tz_instant(D(2024, 8, 20), 10, 0, 0);
        for (size_t i = 0; i < 6; i++)
                schedule_add(&sched, &o10, &s[i], true, now);
        schedule_finish(&sched);
        cr_assert_eq(sched.n_messages, 3, "one each to ЭМ, ИИДМ, ПМК");
        for (size_t i = 0; i < sched.n_messages; i++) {
                const struct message *m = &sched.messages[i];
                cr_assert_str_eq(m->kind, "catch-up");
                cr_assert_eq(m->at, now);
                /* One line for the occurrence; ИИДМ's also says it is forwarded for "Атамекен". */
                cr_assert_eq(m->n_items, 1, "%s", m->recipient);
                cr_assert_str_eq(m->items[0].stage.name, streq(m->recipient, "ЭМ") ? "+1wd" : "+7d",
                                 "the line shows the latest stage missed");
                cr_assert_eq(m->items[0].n_forwarded, streq(m->recipient, "ИИДМ") ? 1u : 0u);
        }
        schedule_clear(&sched);
}
