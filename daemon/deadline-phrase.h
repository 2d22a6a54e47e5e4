/* The deadline language inside: a phrase as words with meanings (deadline-words.c), its events
 * (deadline-events.c) and dates (deadline-stages.c), put together into rules (deadline-read.c). Only
 * deadline*.c include this. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "util.h"

#define PHRASE_TOKENS_MAX 160
#define PHRASE_YEAR_MIN 1900
#define PHRASE_YEAR_MAX 2199

/* What a word means in a deadline. */
enum word_class {
        WORD_UNKNOWN,    /* not a word of the language: only an event's words may be such */
        WORD_FILLER,     /* "в", "of", "числа": no meaning of its own */
        WORD_YEAR,       /* "жылғы", "года", "год"; value: enum year_mark */
        WORD_MONTH,      /* value: 1-12 */
        WORD_ORDINAL,    /* "IV", "бірінші", "первом": value numbers the quarter or half-year after it */
        WORD_CARDINAL,   /* "пяти", "екі", "one": value */
        WORD_QUARTER,
        WORD_HALF,
        WORD_MONTH_UNIT, /* "месяц", "ай" */
        WORD_WEEK,
        WORD_DAY_UNIT,   /* "дней", "күн" */
        WORD_WORKING,    /* "рабочих", "жұмыс" */
        WORD_CALENDAR,   /* "календарных", "күнтізбелік" */
        WORD_ANNUAL,
        WORD_QUARTERLY,
        WORD_HALFYEARLY,
        WORD_MONTHLY,
        WORD_CONTINUOUS,
        WORD_AS_NEEDED,  /* "по мере необходимости", "қажеттілігіне қарай" */
        WORD_TIMES,      /* "раз", "рет"; value: the count a word holds itself ("дважды" 2), else 0 */
        WORD_FOLLOWING,  /* "следующего", "кейінгі": the day falls in the month after the period */
        WORD_REPORTING,  /* "отчетным", "есепті": the period the day follows */
        WORD_PERIOD,     /* "кезең", "период": the period a recurring rule names */
        WORD_FROM,       /* "с", "начиная с", "from": the start of a span or a count */
        WORD_FROM_AFTER, /* "бастап": the start of a span, after it */
        WORD_UNTIL,      /* "до", "не позднее", "дейін", "кешіктірмей", "by" */
        WORD_RANGE,      /* "по", "to", "through": between the ends of a span */
        WORD_END,        /* "конца", "соңына", "end" */
        WORD_THROUGHOUT, /* "в течение", "бойы", "ішінде", "within" */
        WORD_THEN,       /* "далее", "әрі қарай", "then": a new stage */
        WORD_AFTER,      /* "после", "кейін", "after": an event's words follow (Russian) or go before (Kazakh) */
        WORD_BEFORE,     /* "бұрын", "before" */
        WORD_EVENT,      /* "по итогам", "кезінде", "upon": an event with no number */
        WORD_AT_LEAST,   /* "не реже", "кемінде", "но", "бірақ": said of a count, nothing to read */
        WORD_MEANS,      /* "арқылы", "посредством": words around it say how a stage is done, not when */
};

enum year_mark {
        YEAR_NAMES,   /* "2025 год", "2023 жылы": the year, or a year in a phrase */
        YEAR_LEADS,   /* "2024 жылғы": the year of what follows */
        YEAR_FOLLOWS, /* "2024 года": the year of what went before */
};

enum token_type { TOK_SKIP, TOK_NUM, TOK_WORD, TOK_DASH, TOK_DOT, TOK_COMMA, TOK_PUNCT, TOK_OTHER, TOK_DATE, TOK_PART };

struct token {
        enum token_type type;
        enum word_class cls;     /* TOK_WORD */
        const char *text;        /* a word normalised (lower case, Roman numerals in Latin), else in src */
        size_t len;
        const char *src;         /* as written, in the squeezed phrase */
        size_t srclen;
        bool spaced;             /* white space before it */
        bool used;               /* taken by a rule */
        int value, digits;       /* a number, a word's value, the part of TOK_PART, the year of TOK_DATE */
        int month, day;          /* TOK_DATE; day 0 for a month */
        enum deadline_unit unit; /* TOK_PART */
};

struct phrase {
        const char *phrase; /* as given, for messages */
        char *err;
        size_t errlen;
        char *src;          /* the phrase with its white space squeezed: tokens point into it */
        char *words;        /* the normalised words */
        struct token tokens[PHRASE_TOKENS_MAX];
        size_t n;
};

/* Put the reason a phrase is not understood where the caller asked for it; returns -EINVAL. */
int phrase_fail(struct phrase *p, const char *fmt, ...) _printf_(2, 3);
/* Say that the word at a token (or tokens first..last) was not understood, quoting it as written. */
int phrase_fail_word(struct phrase *p, const struct token *first, const struct token *last);
/* Split a phrase into numbers and words with their meanings. Returns 0 or -EINVAL with a message. */
int phrase_lex(struct phrase *p, const char *phrase, char *err, size_t errlen);
void phrase_done(struct phrase *p);
/* The index of the next token that still counts after i, or p->n. */
size_t phrase_next(const struct phrase *p, size_t i);
/* The next token after i that counts and is not taken by a rule, or p->n. */
size_t phrase_next_free(const struct phrase *p, size_t i);
/* Mark tokens a..b (inclusive) as taken by a rule. */
void phrase_take(struct phrase *p, size_t a, size_t b);

static inline bool is_word(const struct token *t, enum word_class cls) {
        return t->type == TOK_WORD && t->cls == cls;
}

/* A moment a phrase names: a year or a range of years, a quarter or half-year, a month, a day. */
struct point {
        int year, year_to; /* year_to: the last year of a range, or 0 */
        int part;
        enum deadline_unit part_unit;
        int month, day;
        bool leads;    /* its year was written before what it dates: "2024 жылғы IV тоқсан" */
        bool the_year; /* "в течение года", "жыл бойы": the plan's one year */
        size_t at;     /* its first token, to keep rules in the order they are written */
};

/* One stage of a cell: a point, a span between two points, or an open start ("начиная с"). */
struct stage {
        struct point from, to;
        bool span, open;
        bool bare; /* its year is the plan's: "март" */
};

/* What the date words of a phrase named, as they are walked through. */
struct dates {
        struct stage stage[DEADLINE_RULES_MAX];
        size_t n;
        struct point cur, start;
        bool has_cur, has_start, pending, in_from, from_after;
        bool recurs;                    /* every: ANNUAL, QUARTERLY, HALFYEARLY or MONTHLY */
        enum deadline_kind every;
        const struct token *every_word; /* what made it recur, for messages */
        const struct token *following, *reporting, *after, *month_unit, *period;
        const struct token *bare[5];    /* the first period word without a number, by unit */
        const struct token *continuous;
        const struct token *then;      /* "далее": what follows goes on from the stage before */
        const struct token *part_list; /* "ІІІ, ІҮ кварталы": one deadline or one each? */
        bool as_needed, until, end, throughout;
        bool until_start; /* "до", "к", "дейін", "қарай": before the period begins, or by its end? */
        bool borrowed; /* a stage took its year from another */
        int times;     /* "2 раза в год (июнь, декабрь)": how many dates a year the stages must name */
        int named;     /* words and numbers that carry meaning */
};

/* A rule and where the words that made it begin, to order the rules of a cell as written. */
struct placed {
        struct deadline rule;
        size_t at;
};

/* "day", "month", "quarter", "half-year", "year" by enum deadline_unit. */
extern const char *const phrase_period_names[5];
/* The months of a period. */
int phrase_months_of(enum deadline_unit unit);

/* Read the events of a phrase into rules, taking their words (deadline-events.c). */
int phrase_read_events(struct phrase *p, struct placed *out, size_t *n_out);
/* Copy the words of tokens first..last as written: line-wrap hyphens joined, guillemets as quotes. */
void phrase_event_text(const struct phrase *p, size_t first, size_t last, char *out, size_t len);
/* Walk the tokens no event took, noting what they name in stages, and the recurrence they make
 * (deadline-stages.c). */
int phrase_read_dates(struct phrase *p, struct dates *d);
/* Read the classified tokens into rules (deadline-read.c). */
int phrase_read(struct phrase *p, const struct deadline_context *ctx, struct deadline_rules *ret);
/* The English name of a month, 1-12. */
const char *phrase_month_name(int month);
