/* The deadline language: the "Орындау мерзімі" / "Срок исполнения" column of a plan, read into a rule,
 * and a rule expanded into dated occurrences. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "date.h"

struct calendar;

enum deadline_kind {
        DEADLINE_CONTINUOUS, /* "тұрақты", "постоянно": tracked, never due */
        DEADLINE_ONCE,       /* one date */
        DEADLINE_ANNUAL,     /* every year by a day of a month */
        DEADLINE_QUARTERLY,  /* every quarter, by a day of the month after the quarter */
        DEADLINE_RELATIVE,   /* a number of days, weeks, months or years before or after an event: dated once
                              * the coordinator records the event's date */
        DEADLINE_EVENT,      /* an event with no number ("по итогам проверки"): dated by hand */
};

/* What a relative deadline counts. */
enum deadline_step {
        DEADLINE_DAYS,
        DEADLINE_WORKING_DAYS,
        DEADLINE_WEEKS,
        DEADLINE_MONTHS,
        DEADLINE_YEARS,
};

/* What a one-off deadline named, which decides the period label of its occurrence. */
enum deadline_unit {
        DEADLINE_UNIT_DAY,     /* "2022 жылғы 15 маусымға дейін"  -> period "2022-06-15" */
        DEADLINE_UNIT_MONTH,   /* "2022 жылғы маусым"              -> period "2022-06" */
        DEADLINE_UNIT_QUARTER, /* "2022 жылғы IV тоқсан"           -> period "2022-Q4" */
        DEADLINE_UNIT_HALF,    /* "2023 жылғы І жартыжылдық"       -> period "2023-H1" */
};

struct deadline {
        enum deadline_kind kind;
        enum deadline_unit unit; /* DEADLINE_ONCE */
        int year;                /* DEADLINE_ONCE: the year of the nominal date's period */
        int month;               /* DEADLINE_ONCE, DEADLINE_ANNUAL: month of the nominal date */
        int day;                 /* every kind but CONTINUOUS: day of month of the nominal date */
        int part;                /* DEADLINE_ONCE with a quarter (1-4) or half (1-2) */
        int year_from, year_to;  /* ANNUAL, QUARTERLY: the range, or 0 and 0 if the phrase has none */
        int amount;              /* RELATIVE: how many steps */
        enum deadline_step step; /* RELATIVE */
        bool before;             /* RELATIVE: before the event, not after it */
        char event[200];         /* RELATIVE, EVENT: the event's words as written ("подписания справки") */
};

/* What a phrase needs from its plan to be read. */
struct deadline_context {
        int year_from, year_to; /* the plan's period, or 0 and 0: a bare month ("март") takes its year from a
                                 * plan of one year */
        bool month_start;       /* a bare month means its first day, not its last, as some plans' acts say */
};

/* A phrase as read: one rule per stage it names ("IV квартал 2024 года, 2025 год" has two). */
#define DEADLINE_RULES_MAX 16
struct deadline_rules {
        size_t n;
        struct deadline rule[DEADLINE_RULES_MAX];
};

/* Read a phrase into its rules. Returns 0, or -EINVAL with a message in err (in English, quoting the
 * phrase as written and naming the word not understood, or both readings of an ambiguous phrase) when it
 * is not a deadline merzim can read. ctx may be NULL. */
int deadline_read(const char *phrase, const struct deadline_context *ctx, struct deadline_rules *ret, char *err,
                  size_t errlen);
/* Read a phrase that must be one rule. */
int deadline_parse(const char *phrase, struct deadline *ret, char *err, size_t errlen);

/* The canonical text of a rule, stored with the measure: "once 2022-06-30 month",
 * "annual 06-30 2022-2024", "annual 06-30", "quarterly 10 2022-2024", "continuous",
 * "relative +5 workdays after «подписания справки»", "event «по итогам проверки»"; deadline_parse reads
 * it back. */
void deadline_format(const struct deadline *dl, char *buf, size_t len);
/* The canonical text of several rules: "RULE; RULE". */
void deadline_format_rules(const struct deadline_rules *r, char *buf, size_t len);

struct deadline_occurrence {
        char period[128]; /* "2022", "2022-Q4", "2022-06", "2022-06-15", "2023-H1"; "STAGE: 2024-03" */
        day_t nominal;
};

/* Expand a rule into its occurrences in date order. year_from..year_to is used when the rule has no
 * range of its own (pass 0, 0 if there is none: then a rule without a range is -EDOM).
 * Returns the count (0 for a continuous, relative or event rule) or a negative errno; *ret is malloc'ed. */
int deadline_expand(const struct deadline *dl, int year_from, int year_to,
                    struct deadline_occurrence **ret);
/* The occurrences of several rules, in the order of the rules. */
int deadline_expand_rules(const struct deadline_rules *r, int year_from, int year_to,
                          struct deadline_occurrence **ret);
/* Whether a rule waits for a date from the coordinator: an event's, or one given by hand. */
bool deadline_waits(const struct deadline *dl);
/* The nominal date of a relative rule once its event happened on day event (working days counted by the
 * calendar). Returns 0, or -EINVAL for a rule that is not relative. */
int deadline_relative_due(const struct deadline *dl, day_t event, const struct calendar *cal, day_t *ret);

/* The month (1-12) a word names in Kazakh, Russian or English, in any case ending
 * ("маусымдағы", "июня", "June"); the word must be folded (utf8_fold). 0 if none. */
int deadline_month_from_word(const char *folded_word);
