/* The deadline language: the "Орындау мерзімі" / "Срок исполнения" column of a plan, read into a rule,
 * and a rule expanded into dated occurrences. */
#pragma once

#include <stddef.h>

#include "date.h"

enum deadline_kind {
        DEADLINE_CONTINUOUS, /* "тұрақты", "постоянно": tracked, never due */
        DEADLINE_ONCE,       /* one date */
        DEADLINE_ANNUAL,     /* every year by a day of a month */
        DEADLINE_QUARTERLY,  /* every quarter, by a day of the month after the quarter */
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
};

/* Parse a phrase. Returns 0, or -EINVAL with a message in err (in English, naming what was not
 * understood) when the phrase is not a deadline merzim can read. */
int deadline_parse(const char *phrase, struct deadline *ret, char *err, size_t errlen);

/* The canonical text of a rule, stored with the measure: "once 2022-06-30 month",
 * "annual 06-30 2022-2024", "annual 06-30", "quarterly 10 2022-2024", "continuous". */
void deadline_format(const struct deadline *dl, char *buf, size_t len);

struct deadline_occurrence {
        char period[128]; /* "2022", "2022-Q4", "2022-06", "2022-06-15", "2023-H1"; "STAGE: 2024-03" */
        day_t nominal;
};

/* Expand a rule into its occurrences in date order. year_from..year_to is used when the rule has no
 * range of its own (pass 0, 0 if there is none: then a rule without a range is -EDOM).
 * Returns the count (0 for a continuous rule) or a negative errno; *ret is malloc'ed. */
int deadline_expand(const struct deadline *dl, int year_from, int year_to,
                    struct deadline_occurrence **ret);

/* The month (1-12) a word names in Kazakh, Russian or English, in any case ending
 * ("маусымдағы", "июня", "June"); the word must be folded (utf8_fold). 0 if none. */
int deadline_month_from_word(const char *folded_word);
