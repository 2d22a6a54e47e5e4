/* The notification policy: which stages an occurrence goes through (reminders, the due notice,
 * escalations), on which working days and at what time, and who is told at each. Pure: time is a
 * parameter, the calendar and the policy are given. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "conf.h"
#include "date.h"

#define POLICY_MAX_STAGES (CONFIG_MAX_REMINDERS + 4)
#define STAGE_NAME_MAX 16

struct policy {
        int send_minute;                     /* local minutes after midnight */
        int reminders[CONFIG_MAX_REMINDERS]; /* days before the due date, largest first */
        size_t n_reminders;
        bool due_notice;
        int escalate_after_days;
        int escalate_repeat_days; /* 0: no repeats */
        int late_after_minutes;
        enum catch_up_policy catch_up;
};

/* Escalation levels: 0 is a reminder or the due notice; 1 the first working day after the deadline;
 * 2 escalate_after_days after it; 3, 4, ... every escalate_repeat_days after that. */
struct stage {
        char name[STAGE_NAME_MAX]; /* "30d", "7d", "1d", "due", "+1wd", "+7d", "+37d" */
        int level;
        bool due_notice;
        day_t day;  /* the send day: a working day */
        int64_t at; /* the send instant: send_minute local time on that day */
};

/* Who is told, as a set of roles. */
enum role {
        ROLE_EXECUTOR = 1 << 0,
        ROLE_LEAD = 1 << 1,
        ROLE_REPORT_TO = 1 << 2,
        ROLE_COORDINATOR = 1 << 3,
        ROLE_SUPERVISOR = 1 << 4,
};

void policy_from_config(const struct config *c, struct policy *p);
/* A text that changes whenever anything that decides send times changes (for re-planning). */
char *policy_fingerprint(const struct policy *p, const struct calendar *cal, const char *zone);

/* The stages of an occurrence due (effective) on due, in send order, up to and including the first
 * repeat escalation. Needs the process time zone set (tz_set). Returns the count. */
size_t policy_stages(const struct policy *p, const struct calendar *cal, day_t due, struct stage *out);
/* The repeat escalation that follows level after_level, or the first one sent after the instant
 * not_before, whichever is later. Returns false if the policy has no repeats. */
bool policy_next_repeat(const struct policy *p, const struct calendar *cal, day_t due, int after_level,
                        int64_t not_before, struct stage *ret);
/* The first stage of an occurrence due on due that comes after the instant after (INT64_MIN: the
 * first of all) and after escalation level after_level; false if there is none (no repeats). */
bool policy_next_stage(const struct policy *p, const struct calendar *cal, day_t due, int64_t after, int after_level,
                       struct stage *ret);
/* The roles told at a stage. */
unsigned policy_stage_roles(const struct stage *s);
/* The role names, "lead, report recipient" (English, for the record). */
const char *role_name(enum role r);
