/* The deadline language inside: a phrase as words with meanings (deadline-words.c), read into rules by its
 * grammar (deadline-read.c). Only deadline*.c include this. */
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
/* Read the classified tokens into rules (deadline-read.c). */
int phrase_read(struct phrase *p, const struct deadline_context *ctx, struct deadline_rules *ret);
/* The English name of a month, 1-12. */
const char *phrase_month_name(int month);
