/* The notification policy: stages, send days and times, and who is told. */
#include "config.h"

#include <stdio.h>

#include "policy.h"
#include "tzone.h"
#include "util.h"

static int compare_desc(const void *a, const void *b) {
        return *(const int *) b - *(const int *) a;
}

void policy_from_config(const struct config *c, struct policy *p) {
        *p = (struct policy) {
                .send_minute = c->send_minute,
                .n_reminders = c->n_reminders,
                .due_notice = c->due_notice,
                .escalate_after_days = c->escalate_after_days,
                .escalate_repeat_days = c->escalate_repeat_days,
                .late_after_minutes = c->late_after_minutes,
                .catch_up = c->catch_up,
        };
        memcpy(p->reminders, c->reminders, sizeof(p->reminders));
        if (p->n_reminders > 1)
                qsort(p->reminders, p->n_reminders, sizeof(int), compare_desc);
        /* The same day twice is one reminder. */
        size_t n = 0;
        for (size_t i = 0; i < p->n_reminders; i++)
                if (n == 0 || p->reminders[n - 1] != p->reminders[i])
                        p->reminders[n++] = p->reminders[i];
        p->n_reminders = n;
}

char *policy_fingerprint(const struct policy *p, const struct calendar *cal, const char *zone) {
        struct buf b = {0};
        buf_printf(&b, "send=%d due=%d after=%d repeat=%d tz=%s cal=%s reminders=", p->send_minute, p->due_notice,
                   p->escalate_after_days, p->escalate_repeat_days, zone, calendar_fingerprint(cal));
        for (size_t i = 0; i < p->n_reminders; i++)
                buf_printf(&b, "%d,", p->reminders[i]);
        return buf_steal(&b);
}

static void stage_at(const struct policy *p, struct stage *s) {
        s->at = tz_instant(s->day, p->send_minute / 60, p->send_minute % 60, 0);
}

/* An escalation of level >= 2: a number of days after the deadline, sent on the working day on or
 * before. */
static void escalation_after(const struct policy *p, const struct calendar *cal, day_t due, int level,
                             struct stage *s) {
        int days = p->escalate_after_days + (level - 2) * p->escalate_repeat_days;
        *s = (struct stage) {.level = level, .day = calendar_working_on_or_before(cal, due + days)};
        snprintf(s->name, sizeof(s->name), "+%dd", days);
        stage_at(p, s);
}

size_t policy_stages(const struct policy *p, const struct calendar *cal, day_t due, struct stage *out) {
        size_t n = 0;
        for (size_t i = 0; i < p->n_reminders; i++) {
                struct stage s = {.day = calendar_working_on_or_before(cal, due - p->reminders[i])};
                snprintf(s.name, sizeof(s.name), "%dd", p->reminders[i]);
                out[n++] = s;
        }
        if (p->due_notice)
                out[n++] = (struct stage) {.name = "due", .due_notice = true,
                                           .day = calendar_working_on_or_before(cal, due)};
        /* Of reminders that land on the same send day (or on the due notice's), keep the last: one
         * message, the most urgent words. */
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
                bool later_same_day = i + 1 < n && out[i + 1].day <= out[i].day;
                if (!later_same_day)
                        out[kept++] = out[i];
        }
        n = kept;

        out[n] = (struct stage) {.name = "+1wd", .level = 1, .day = calendar_working_on_or_after(cal, due + 1)};
        n++;
        struct stage second;
        escalation_after(p, cal, due, 2, &second);
        if (second.day > out[n - 1].day)
                out[n++] = second;
        if (p->escalate_repeat_days > 0)
                escalation_after(p, cal, due, 3, &out[n++]);
        for (size_t i = 0; i < n; i++)
                stage_at(p, &out[i]);
        return n;
}

bool policy_next_repeat(const struct policy *p, const struct calendar *cal, day_t due, int after_level,
                        int64_t not_before, struct stage *ret) {
        if (p->escalate_repeat_days <= 0)
                return false;
        int level = after_level < 2 ? 3 : after_level + 1;
        for (;;) {
                escalation_after(p, cal, due, level, ret);
                if (ret->at > not_before)
                        return true;
                /* Jump close to not_before instead of stepping through years of repeats. */
                int64_t behind_days = (not_before - ret->at) / 86400;
                level += behind_days > 2 * p->escalate_repeat_days
                                 ? (int) (behind_days / p->escalate_repeat_days) - 1
                                 : 1;
        }
}

bool policy_next_stage(const struct policy *p, const struct calendar *cal, day_t due, int64_t after, int after_level,
                       struct stage *ret) {
        struct stage stages[POLICY_MAX_STAGES];
        size_t n = policy_stages(p, cal, due, stages);
        for (size_t i = 0; i < n; i++)
                if (stages[i].at > after && (stages[i].level == 0 || stages[i].level > after_level)) {
                        *ret = stages[i];
                        return true;
                }
        int level = stages[n - 1].level > after_level ? stages[n - 1].level : after_level;
        return policy_next_repeat(p, cal, due, level, after, ret);
}

unsigned policy_stage_roles(const struct stage *s) {
        if (s->level == 0)
                return ROLE_EXECUTOR;
        if (s->level == 1)
                return ROLE_LEAD | ROLE_REPORT_TO | ROLE_COORDINATOR;
        return ROLE_COORDINATOR | ROLE_SUPERVISOR;
}

const char *role_name(enum role r) {
        switch (r) {
        case ROLE_EXECUTOR:
                return "executor";
        case ROLE_LEAD:
                return "lead";
        case ROLE_REPORT_TO:
                return "report recipient";
        case ROLE_COORDINATOR:
                return "coordinator";
        case ROLE_SUPERVISOR:
                return "supervisor";
        }
        return "?";
}
