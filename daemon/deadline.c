/* The deadline language: the "Орындау мерзімі" / "Срок исполнения" column of a plan, read into a rule,
 * and a rule expanded into dated occurrences. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "calendar.h"
#include "deadline.h"
#include "utf8.h"
#include "util.h"

#define YEAR_MIN 1900
#define YEAR_MAX 2199
#define TOKENS_MAX 64

/* What a word means in a deadline. */
enum word_class {
        WORD_UNKNOWN,
        WORD_FILLER,     /* "жылғы", "года", "by": no meaning of its own */
        WORD_MONTH,      /* value: 1-12 */
        WORD_ORDINAL,    /* "IV", "бірінші", "first": value numbers the quarter or half-year after it */
        WORD_QUARTER,
        WORD_HALF,
        WORD_ANNUAL,
        WORD_QUARTERLY,
        WORD_MONTHLY,    /* understood, but not a rule merzim has */
        WORD_CONTINUOUS,
        WORD_AFTER,      /* "кейінгі айдың", "следующего", "after": only in a quarterly rule */
        WORD_RANGE,      /* "по", "to" between two years */
};

enum token_type { TOK_SKIP, TOK_NUM, TOK_WORD, TOK_DASH, TOK_DOT, TOK_PUNCT, TOK_DATE, TOK_PART };

struct token {
        enum token_type type;
        enum word_class cls;     /* TOK_WORD */
        const char *text;        /* in the folded phrase, or for a word in its normalised copy */
        size_t len;
        bool spaced;             /* white space before it */
        int value, digits;       /* a number, a word's value, the quarter of TOK_PART, the year of TOK_DATE */
        int month, day;          /* TOK_DATE; day 0 for a month */
        enum deadline_unit unit; /* TOK_PART */
};

struct parser {
        const char *phrase; /* as given, for messages */
        char *err;
        size_t errlen;
        struct token tokens[TOKENS_MAX];
        size_t n;
};

/* What a phrase named, before it is decided which rule that makes. */
struct reading {
        int year, year_to; /* year_to: the end of a range, or 0 */
        int month, day, part;
        enum deadline_unit part_unit;
        bool annual, quarterly, continuous;
        int named;                      /* numbers and words that carry meaning */
        const struct token *bare_period; /* "тоқсан" or "полугодие" without a number */
        const struct token *after;       /* a word of a quarterly rule */
};

struct lexeme {
        enum word_class cls;
        const char *const *endings; /* what may follow the last word's stem; NULL: nothing */
        const char *words;
};

static const char *const kk_endings[] = {
        "", "ға", "ге", "қа", "ке", "на", "не", "да", "де", "та", "те", "нда", "нде", "дан", "ден", "тан",
        "тен", "нан", "нен", "ның", "нің", "дың", "дің", "тың", "тің", "ды", "ді", "ты", "ті", "ны", "ні",
        "ы", "і", "сы", "сі", "ына", "іне", "сына", "сіне", "ында", "інде", "сында", "сінде", "ынан",
        "інен", "сынан", "сінен", "ының", "інің", "сының", "сінің", "ын", "ін", "сын", "сін", "дағы",
        "дегі", "тағы", "тегі", "ндағы", "ндегі", "ындағы", "індегі", "сындағы", "сіндегі", NULL};
static const char *const ru_soft[] = {"ь", "я", "е", "ю", "ем", "ём", NULL};
static const char *const ru_hard[] = {"", "а", "е", "у", "ом", "ем", "ы", "ов", NULL};
static const char *const ru_may[] = {"й", "я", "е", "ю", "ем", NULL};
static const char *const ru_neuter[] = {"е", "я", "ю", "ем", "и", "й", NULL};
static const char *const ru_adjective[] = {"ый", "ий", "ой", "ая", "яя", "ое", "ее", "ого", "его", "ому",
                                           "ему", "ым", "им", "ом", "ем", "ую", "юю", "ых", "их", NULL};
static const char *const ru_third[] = {"ий", "ье", "ья", "ьего", "ьей", "ьем", "ьему", "ью", "ьим", NULL};
static const char *const en_plural[] = {"", "s", NULL};

/* What may be glued to a number: "10th", "10-на", "1-ші", "10-го", "2022г". */
static const char *const number_suffixes[] = {
        "th", "st", "nd", "rd", "ші", "шы", "інші", "ыншы", "нші", "ншы", "на", "ына", "іне", "не", "ға",
        "ге", "қа", "ке", "ы", "і", "сы", "сі", "да", "де", "нда", "нде", "ында", "інде", "дағы", "дегі",
        "ндағы", "ндегі", "ж", "жж", "г", "гг", "го", "ого", "его", "е", "й", "я", "ое", "ой", "ый", "ий",
        "ая", "ю", "му", NULL};

/* The words of the language by meaning. Alternatives are separated by spaces and the words of a phrase
 * by '_'; for months and ordinals an alternative's place is its value ("-" holds a place) and '|' joins
 * spellings of one value. A phrase comes before its first word alone. */
static const struct lexeme lexicon[] = {
        {WORD_ANNUAL, NULL, "жыл_сайын every_year each_year каждый_год каждого_года"},
        {WORD_ANNUAL, NULL, "ежегодно annually annual yearly"},
        {WORD_QUARTERLY, NULL, "тоқсан_сайын every_quarter each_quarter каждый_квартал каждого_квартала"},
        {WORD_QUARTERLY, NULL, "ежеквартально quarterly"},
        {WORD_MONTHLY, NULL, "ай_сайын every_month each_month ежемесячно monthly"},
        {WORD_CONTINUOUS, NULL, "на_постоянной_основе тұрақты_негізде тұрақты_түрде тұрақты үнемі постоянно"},
        {WORD_CONTINUOUS, NULL, "continuously continuous ongoing permanently"},
        {WORD_FILLER, NULL, "не_позднее no_later_than not_later_than"},
        {WORD_HALF, kk_endings, "жарты_жыл жартыжылдық жартыжылдығ"},
        {WORD_HALF, ru_neuter, "полугоди"},
        {WORD_HALF, NULL, "half_year half"},
        {WORD_QUARTER, kk_endings, "тоқсан"},
        {WORD_QUARTER, ru_hard, "квартал"},
        {WORD_QUARTER, en_plural, "quarter"},
        {WORD_QUARTER, NULL, "кв"},

        {WORD_MONTH, kk_endings,
         "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек|қыркүйег қазан қараша желтоқсан"},
        {WORD_MONTH, ru_soft, "январ феврал - апрел - июн июл - сентябр октябр ноябр декабр"},
        {WORD_MONTH, ru_hard, "- - март - - - - август"},
        {WORD_MONTH, ru_may, "- - - - ма"},
        {WORD_MONTH, NULL, "янв фев|февр - апр - - - авг сен|сент окт ноя|нояб дек"},
        {WORD_MONTH, NULL, "january february march april may june july august september october november"},
        {WORD_MONTH, NULL, "- - - - - - - - - - - december"},
        {WORD_MONTH, NULL, "jan feb mar apr - jun jul aug sep|sept oct nov dec"},

        {WORD_ORDINAL, NULL, "i ii iii iv"}, /* Roman numerals, in whichever letters, are read as Latin */
        {WORD_ORDINAL, NULL, "бірінші екінші үшінші төртінші"},
        {WORD_ORDINAL, ru_adjective, "перв втор - четверт|четвёрт"},
        {WORD_ORDINAL, ru_third, "- - трет"},
        {WORD_ORDINAL, NULL, "first second third fourth"},

        {WORD_AFTER, kk_endings, "ай"},
        {WORD_AFTER, ru_hard, "месяц"},
        {WORD_AFTER, ru_adjective, "следующ отчетн отчётн"},
        {WORD_AFTER, NULL, "кейінгі кейін есепті есептік за month after following reporting"},

        {WORD_RANGE, NULL, "по to through"},

        {WORD_FILLER, kk_endings, "жыл жылдар"},
        {WORD_FILLER, ru_hard, "год конц"},
        {WORD_FILLER, ru_neuter, "числ"},
        {WORD_FILLER, en_plural, "year"},
        {WORD_FILLER, NULL, "жылғы ж жж дейін дейінгі қарай кешіктірмей ішінде аралығында соңына соңында"},
        {WORD_FILLER, NULL, "г гг до к ко в во с числа число конец"},
        {WORD_FILLER, NULL, "by in of the on until till due day end from"},
};

static const char *const month_names[] = {"January", "February", "March",     "April",   "May",     "June",
                                          "July",    "August",   "September", "October", "November",
                                          "December"};

static int fail(struct parser *p, const char *fmt, ...) _printf_(2, 3);

/* Put the reason a phrase is not understood where the caller asked for it. */
static int fail(struct parser *p, const char *fmt, ...) {
        if (p->err && p->errlen > 0) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(p->err, p->errlen, fmt, ap);
                va_end(ap);
                /* Cut short by errlen: do not end in half a character. */
                size_t len = strlen(p->err), start = len;
                while (start > 0 && ((unsigned char) p->err[start - 1] & 0xC0) == 0x80)
                        start--;
                if (n >= (int) p->errlen && start > 0 && (unsigned char) p->err[start - 1] >= 0xC0) {
                        unsigned char lead = (unsigned char) p->err[start - 1];
                        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                        if (len - (start - 1) < need)
                                p->err[start - 1] = 0;
                }
        }
        return -EINVAL;
}

/* Say that a word or a group of tokens was not understood, quoting it. */
static int fail_unknown(struct parser *p, const struct token *first, const struct token *last) {
        int len = first->type == TOK_WORD ? (int) first->len : (int) (last->text + last->len - first->text);
        return fail(p, "did not understand '%.*s' in '%s'", len, first->text, p->phrase);
}

/* Whether a code point can stand for a Roman digit: Latin, Cyrillic and the Unicode numerals. */
static const char *roman_digits(uint32_t c) {
        static const char *const numerals[] = {"i", "ii", "iii", "iv", "v"};
        if (c == 'i' || c == 0x0456 || c == 0x04CF)
                return "i";
        if (c == 'v')
                return "v";
        if (c >= 0x2160 && c <= 0x2164)
                return numerals[c - 0x2160];
        if (c >= 0x2170 && c <= 0x2174)
                return numerals[c - 0x2170];
        return NULL;
}

/* The Cyrillic letter a Latin lookalike in a Cyrillic word stands for, or 0. */
static uint32_t cyrillic_lookalike(uint32_t c) {
        static const char latin[] = "aceikopxy";
        static const uint32_t cyrillic[] = {0x430, 0x441, 0x435, 0x456, 0x43A, 0x43E, 0x440, 0x445, 0x443};
        const char *at = c < 0x80 && c ? strchr(latin, (int) c) : NULL;
        return at ? cyrillic[at - latin] : 0;
}

/* Whether a code point belongs to a word. */
static bool is_word_char(uint32_t c) {
        return unicode_is_letter(c) || roman_digits(c);
}

/* Copy the word at *s into out: a Roman numeral as Latin "iv", Latin lookalikes in Cyrillic words as
 * Cyrillic. Returns the end of the copy. */
static char *normalize_word(const char **s, const char *end, char *out) {
        const char *start = *s, *p = *s;
        bool cyrillic = false, roman = true;
        int32_t c;
        while (p < end) {
                const char *at = p;
                c = utf8_decode(&p, end);
                if (c < 0 || !is_word_char((uint32_t) c)) {
                        p = at;
                        break;
                }
                cyrillic = cyrillic || (c >= 0x400 && c < 0x530);
                roman = roman && roman_digits((uint32_t) c);
        }
        *s = p;
        for (const char *q = start; q < p;) {
                const char *at = q;
                c = utf8_decode(&q, p);
                uint32_t cy = cyrillic ? cyrillic_lookalike((uint32_t) c) : 0;
                if (roman) {
                        const char *digits = roman_digits((uint32_t) c);
                        memcpy(out, digits, strlen(digits));
                        out += strlen(digits);
                } else if (cy) {
                        *out++ = (char) (0xC0 | (cy >> 6));
                        *out++ = (char) (0x80 | (cy & 0x3F));
                } else {
                        memcpy(out, at, (size_t) (q - at));
                        out += q - at;
                }
        }
        return out;
}

/* Split the folded phrase into numbers, words, dashes and punctuation. */
static int tokenize(struct parser *p, const char *folded, char *words) {
        const char *s = folded, *end = folded + strlen(folded);
        bool spaced = false;
        while (s < end) {
                const char *start = s;
                int32_t c = utf8_decode(&s, end);
                if (c == ' ') {
                        spaced = true;
                        continue;
                }
                if (p->n >= TOKENS_MAX)
                        return fail(p, "the deadline '%s' is too long", p->phrase);
                struct token *t = &p->tokens[p->n++];
                *t = (struct token) {.text = start, .len = (size_t) (s - start), .spaced = spaced};
                spaced = false;
                if (c >= '0' && c <= '9') {
                        t->type = TOK_NUM;
                        for (s = start; s < end && *s >= '0' && *s <= '9'; s++)
                                if (++t->digits <= 4)
                                        t->value = t->value * 10 + (*s - '0');
                        t->len = (size_t) (s - start);
                        if (t->digits > 4)
                                return fail_unknown(p, t, t);
                } else if (is_word_char((uint32_t) c)) {
                        s = start;
                        t->type = TOK_WORD;
                        t->text = words;
                        words = normalize_word(&s, end, words);
                        t->len = (size_t) (words - t->text);
                } else if (c == '-') {
                        t->type = TOK_DASH;
                } else if (c == '.') {
                        t->type = TOK_DOT;
                } else if (c < 0x80 ? strchr(",;:()[]*\"'", c) != NULL
                                    : (c == 0xAB || c == 0xBB || (c >= 0x2018 && c <= 0x201F))) {
                        t->type = TOK_PUNCT;
                } else {
                        return fail(p, "did not understand '%.*s' in '%s'", (int) t->len, start, p->phrase);
                }
        }
        return 0;
}

/* Whether count tokens from i exist with no space between them. */
static bool glued(const struct parser *p, size_t i, size_t count) {
        if (i + count > p->n)
                return false;
        for (size_t k = 1; k < count; k++)
                if (p->tokens[i + k].spaced)
                        return false;
        return true;
}

/* Whether s[0..len) is one of a NULL-terminated list of strings. */
static bool text_in(const char *s, size_t len, const char *const *list) {
        for (; list && *list; list++)
                if (strlen(*list) == len && memcmp(*list, s, len) == 0)
                        return true;
        return false;
}

/* Make count tokens from i one date written in digits, "2022-06-15", "15.06.2022" or "2022-06". */
static int make_date(struct parser *p, size_t i, size_t count, int year, int month, int day) {
        struct token *t = &p->tokens[i];
        if (year < YEAR_MIN || year > YEAR_MAX)
                return fail(p, "the year %d is outside %d-%d in '%s'", year, YEAR_MIN, YEAR_MAX, p->phrase);
        if (month < 1 || month > 12 || (count > 3 && day < 1))
                return fail_unknown(p, t, t + count - 1);
        if (day && !date_valid(year, month, day))
                return fail(p, "%d %s %d does not exist", day, month_names[month - 1], year);
        for (size_t k = 1; k < count; k++)
                t[k].type = TOK_SKIP;
        t->type = TOK_DATE;
        t->value = year, t->month = month, t->day = day;
        return 0;
}

/* Read what is glued to a number: a date in digits, or an ordinal or case suffix. */
static int glue_number(struct parser *p, size_t i) {
        struct token *t = &p->tokens[i];
        if (glued(p, i, 3) && t[1].type == TOK_DOT && t[2].type == TOK_NUM) {
                if (glued(p, i, 5) && t[3].type == TOK_DOT && t[4].type == TOK_NUM && t->digits <= 2 &&
                    t[2].digits <= 2 && t[4].digits == 4)
                        return make_date(p, i, 5, t[4].value, t[2].value, t->value);
                struct token *last = t + 2;
                while (glued(p, (size_t) (last - p->tokens), 2) &&
                       (last[1].type == TOK_NUM || last[1].type == TOK_DOT))
                        last++;
                return fail_unknown(p, t, last);
        }
        if (t->digits == 4 && glued(p, i, 3) && t[1].type == TOK_DASH && t[2].type == TOK_NUM &&
            t[2].digits <= 2) {
                if (glued(p, i, 5) && t[3].type == TOK_DASH && t[4].type == TOK_NUM && t[4].digits <= 2)
                        return make_date(p, i, 5, t->value, t[2].value, t[4].value);
                return make_date(p, i, 3, t->value, t[2].value, 0);
        }
        if (glued(p, i, 2) && t[1].type == TOK_WORD && text_in(t[1].text, t[1].len, number_suffixes)) {
                t[1].type = TOK_SKIP;
        } else if (glued(p, i, 3) && t[1].type == TOK_DASH && t[2].type == TOK_WORD) {
                t[1].type = TOK_SKIP; /* "4-тоқсан": the dash marks an ordinal */
                if (text_in(t[2].text, t[2].len, number_suffixes))
                        t[2].type = TOK_SKIP;
        }
        return 0;
}

/* Join what is written without spaces: dates in digits, "10-на", "Q4", "H1", "half-year". */
static int glue(struct parser *p) {
        for (size_t i = 0; i < p->n; i++) {
                struct token *t = &p->tokens[i];
                int r;
                if (t->type == TOK_NUM && (r = glue_number(p, i)) < 0)
                        return r;
                if (t->type == TOK_WORD && t->len == 1 && (*t->text == 'q' || *t->text == 'h') &&
                    glued(p, i, 2) && t[1].type == TOK_NUM) {
                        t->type = TOK_PART;
                        t->unit = *t->text == 'q' ? DEADLINE_UNIT_QUARTER : DEADLINE_UNIT_HALF;
                        t->value = t[1].value;
                        t[1].type = TOK_SKIP;
                } else if (t->type == TOK_WORD && glued(p, i, 3) && t[1].type == TOK_DASH &&
                           t[2].type == TOK_WORD) {
                        t[1].type = TOK_SKIP;
                }
                if (t->type == TOK_DOT)
                        t->type = TOK_PUNCT;
        }
        return 0;
}

/* The index of the next token that still counts after i, or p->n. */
static size_t next_token(const struct parser *p, size_t i) {
        for (i++; i < p->n && p->tokens[i].type == TOK_SKIP; i++)
                ;
        return i;
}

/* Whether one alternative of the lexicon, a[0..len), matches the words from token i; on a match *last
 * is its last token. */
static bool phrase_match(const struct parser *p, size_t i, const char *a, size_t len,
                         const char *const *endings, size_t *last) {
        for (;; i = next_token(p, i)) {
                if (i >= p->n || p->tokens[i].type != TOK_WORD)
                        return false;
                const struct token *t = &p->tokens[i];
                const char *joint = memchr(a, '_', len);
                size_t n = joint ? (size_t) (joint - a) : len;
                if (t->len < n || memcmp(t->text, a, n) != 0)
                        return false;
                if (joint) {
                        if (t->len != n)
                                return false;
                        len -= n + 1;
                        a = joint + 1;
                        continue;
                }
                if (endings ? !text_in(t->text + n, t->len - n, endings) : t->len != n)
                        return false;
                *last = i;
                return true;
        }
}

/* Give the word at token i its meaning from the lexicon; returns false if it has none. */
static bool lookup(struct parser *p, size_t i) {
        struct token *t = &p->tokens[i];
        for (size_t r = 0; r < ELEMENTSOF(lexicon); r++) {
                int value = 1;
                for (const char *a = lexicon[r].words; *a;) {
                        size_t n = strcspn(a, " |"), last;
                        if (phrase_match(p, i, a, n, lexicon[r].endings, &last)) {
                                t->cls = lexicon[r].cls;
                                t->value = value;
                                for (size_t j = i + 1; j <= last; j++)
                                        p->tokens[j].type = TOK_SKIP;
                                return true;
                        }
                        a += n;
                        if (*a == ' ')
                                value++;
                        if (*a)
                                a++;
                }
        }
        return false;
}

/* Give every word its meaning; a word that has none makes the phrase an error. */
static int classify(struct parser *p) {
        for (size_t i = 0; i < p->n; i++)
                if (p->tokens[i].type == TOK_WORD && !lookup(p, i))
                        return fail_unknown(p, &p->tokens[i], &p->tokens[i]);
        return 0;
}

/* Note one named value, unless the phrase already named a different one. */
static int name_value(struct parser *p, int *field, int value, const char *what) {
        if (*field && *field != value)
                return fail(p, "two conflicting dates in '%s': %s %d and %d", p->phrase, what, *field, value);
        *field = value;
        return 0;
}

/* Refuse a year merzim cannot have been given a plan for. */
static int check_year(struct parser *p, int year) {
        if (year < YEAR_MIN || year > YEAR_MAX)
                return fail(p, "the year %d is outside %d-%d in '%s'", year, YEAR_MIN, YEAR_MAX, p->phrase);
        return 0;
}

/* Read a year at token i, or a range of years if one starts there; *i is left on its last token. */
static int read_years(struct parser *p, struct reading *r, size_t *i) {
        int from = p->tokens[*i].value, to = 0, k;
        size_t sep = next_token(p, *i), j = next_token(p, sep);
        /* j may be past the last token, even past the array: no pointer to it before it is checked. */
        const struct token *dash = j < p->n ? &p->tokens[sep] : NULL, *end = j < p->n ? &p->tokens[j] : NULL;
        if (p->tokens[*i].type == TOK_NUM && end && end->type == TOK_NUM && end->digits == 4 &&
            (dash->type == TOK_DASH || (dash->type == TOK_WORD && dash->cls == WORD_RANGE))) {
                to = end->value;
                *i = j;
        }
        if ((k = check_year(p, from)) < 0 || (to && (k = check_year(p, to)) < 0))
                return k;
        if (to && to < from)
                return fail(p, "the years %d-%d run backwards in '%s'", from, to, p->phrase);
        if (to == from)
                to = 0;
        if (r->year && (r->year != from || r->year_to != to)) {
                char before[16], now[16];
                snprintf(before, sizeof(before), r->year_to ? "%d-%d" : "%d", r->year, r->year_to);
                snprintf(now, sizeof(now), to ? "%d-%d" : "%d", from, to);
                return fail(p, "two conflicting dates in '%s': %s and %s", p->phrase, before, now);
        }
        r->year = from, r->year_to = to;
        return 0;
}

/* Note a numbered quarter or half-year. */
static int read_part(struct parser *p, struct reading *r, int part, enum deadline_unit unit) {
        if (r->part && r->part_unit != unit)
                return fail(p, "two conflicting dates in '%s': a quarter and a half-year", p->phrase);
        r->part_unit = unit;
        return name_value(p, &r->part, part, unit == DEADLINE_UNIT_QUARTER ? "quarter" : "half-year");
}

/* The quarter or half-year word that a number or ordinal at i numbers, or NULL. */
static struct token *numbered_period(struct parser *p, size_t i) {
        size_t j = next_token(p, i);
        if (j >= p->n || p->tokens[j].type != TOK_WORD)
                return NULL;
        return p->tokens[j].cls == WORD_QUARTER || p->tokens[j].cls == WORD_HALF ? &p->tokens[j] : NULL;
}

/* Go through the tokens and note what they name. */
static int collect(struct parser *p, struct reading *r) {
        int k = 0;
        for (size_t i = 0; i < p->n && k >= 0; i++) {
                struct token *t = &p->tokens[i], *period;
                if (t->type == TOK_SKIP || t->type == TOK_DASH || t->type == TOK_PUNCT ||
                    (t->type == TOK_WORD && t->cls == WORD_FILLER))
                        continue;
                r->named++;
                bool ordinal = t->type == TOK_WORD && t->cls == WORD_ORDINAL;
                if ((t->type == TOK_NUM && t->digits <= 2) || ordinal) {
                        if ((period = numbered_period(p, i))) {
                                enum deadline_unit unit = period->cls == WORD_QUARTER ? DEADLINE_UNIT_QUARTER
                                                                                       : DEADLINE_UNIT_HALF;
                                k = read_part(p, r, t->value, unit);
                                period->type = TOK_SKIP;
                        } else if (t->type == TOK_WORD) {
                                k = fail(p, "'%.*s' is not followed by a quarter or half-year in '%s'",
                                         (int) t->len, t->text, p->phrase);
                        } else if (t->value < 1 || t->value > 31) {
                                k = fail(p, "there is no day %d in a month, in '%s'", t->value, p->phrase);
                        } else {
                                k = name_value(p, &r->day, t->value, "day");
                        }
                } else if (t->type == TOK_NUM && t->digits == 4) {
                        k = read_years(p, r, &i);
                } else if (t->type == TOK_NUM) {
                        k = fail_unknown(p, t, t);
                } else if (t->type == TOK_DATE) {
                        if ((k = read_years(p, r, &i)) >= 0)
                                k = name_value(p, &r->month, t->month, "month");
                        if (k >= 0 && t->day)
                                k = name_value(p, &r->day, t->day, "day");
                } else if (t->type == TOK_PART) {
                        k = read_part(p, r, t->value, t->unit);
                } else if (t->cls == WORD_MONTH) {
                        k = name_value(p, &r->month, t->value, "month");
                } else if (t->cls == WORD_QUARTER || t->cls == WORD_HALF) {
                        r->bare_period = r->bare_period ? r->bare_period : t;
                } else if (t->cls == WORD_AFTER) {
                        r->after = r->after ? r->after : t;
                } else if (t->cls == WORD_ANNUAL || t->cls == WORD_QUARTERLY || t->cls == WORD_CONTINUOUS) {
                        r->annual |= t->cls == WORD_ANNUAL;
                        r->quarterly |= t->cls == WORD_QUARTERLY;
                        r->continuous |= t->cls == WORD_CONTINUOUS;
                } else if (t->cls == WORD_MONTHLY) {
                        k = fail(p, "monthly deadlines are not supported: '%s'", p->phrase);
                } else {
                        k = fail_unknown(p, t, t);
                }
        }
        return k < 0 ? k : 0;
}

/* Decide the rule of a recurring deadline. */
static int decide_recurring(struct parser *p, const struct reading *r, struct deadline *dl) {
        if (r->annual && r->quarterly)
                return fail(p, "a deadline cannot be both annual and quarterly: '%s'", p->phrase);
        if (r->part)
                return fail(p, "a recurring deadline cannot name one quarter or half-year: '%s'", p->phrase);
        if (!r->day)
                return fail(p, "no day of the month in '%s'", p->phrase);
        dl->day = r->day;
        dl->year_from = r->year;
        dl->year_to = r->year_to ? r->year_to : r->year;
        if (r->annual) {
                if (r->after)
                        return fail_unknown(p, r->after, r->after);
                if (!r->month)
                        return fail(p, "no month in the annual deadline '%s'", p->phrase);
                if (!date_valid(2000, r->month, r->day))
                        return fail(p, "%d %s does not exist", r->day, month_names[r->month - 1]);
                dl->kind = DEADLINE_ANNUAL;
                dl->month = r->month;
                return 0;
        }
        if (r->month)
                return fail(p, "a quarterly deadline falls in the month after each quarter, not in %s: '%s'",
                            month_names[r->month - 1], p->phrase);
        for (int q = 1; q <= 4; q++)
                if (!date_valid(2000, q * 3 % 12 + 1, r->day))
                        return fail(p, "%d %s does not exist (the month after Q%d): '%s'", r->day,
                                    month_names[q * 3 % 12], q, p->phrase);
        dl->kind = DEADLINE_QUARTERLY;
        return 0;
}

/* Turn what the phrase named into a rule, or say why it is not one. */
static int decide(struct parser *p, const struct reading *r, struct deadline *dl) {
        *dl = (struct deadline) {0};
        if (r->named == 0)
                return fail(p, "the deadline is empty");
        if (r->continuous) {
                if (r->named > 1)
                        return fail(p, "a continuous deadline cannot have a date or a rule: '%s'", p->phrase);
                dl->kind = DEADLINE_CONTINUOUS;
                return 0;
        }
        const struct token *bare = r->bare_period;
        if (bare && !(r->quarterly && bare->cls == WORD_QUARTER))
                return fail(p, "'%.*s' without the number of the %s in '%s'", (int) bare->len, bare->text,
                            bare->cls == WORD_QUARTER ? "quarter" : "half-year", p->phrase);
        if (r->annual || r->quarterly)
                return decide_recurring(p, r, dl);
        if (r->after)
                return fail_unknown(p, r->after, r->after);
        if (r->year_to)
                return fail(p, "a range of years needs 'жыл сайын', 'ежегодно' or 'annually': '%s'",
                            p->phrase);
        if (!r->year)
                return fail(p, "no year in '%s'", p->phrase);
        dl->kind = DEADLINE_ONCE;
        dl->year = r->year;
        if (r->part) {
                bool quarter = r->part_unit == DEADLINE_UNIT_QUARTER;
                const char *what = quarter ? "quarter" : "half-year";
                if (r->month || r->day)
                        return fail(p, "two conflicting dates in '%s': a %s and a day or month", p->phrase,
                                    what);
                if (r->part > (quarter ? 4 : 2))
                        return fail(p, "there is no %s %d in '%s'", what, r->part, p->phrase);
                dl->unit = r->part_unit;
                dl->part = r->part;
                dl->month = r->part * (quarter ? 3 : 6);
        } else if (r->month) {
                dl->unit = r->day ? DEADLINE_UNIT_DAY : DEADLINE_UNIT_MONTH;
                dl->month = r->month;
                if (r->day && !date_valid(r->year, r->month, r->day))
                        return fail(p, "%d %s %d does not exist", r->day, month_names[r->month - 1], r->year);
        } else if (r->day) {
                return fail(p, "no month for the day %d in '%s'", r->day, p->phrase);
        } else {
                return fail(p, "no month, quarter or half-year in '%s'", p->phrase);
        }
        dl->day = r->day ? r->day : date_days_in_month(dl->year, dl->month);
        return 0;
}

/* Read the text deadline_format() writes, so that a stored rule reads back; 1 if s is not one. */
static int parse_canonical(struct parser *p, const char *s, struct deadline *dl) {
        static const char *const units[] = {"day", "month", "quarter", "half"};
        int y, m, d, from = 0, to = 0, n = -1;
        char name[8];
        struct deadline c = {0};
        if (sscanf(s, "once %4d-%2d-%2d %7s%n", &y, &m, &d, name, &n) == 4 && n > 0 && !s[n]) {
                unsigned unit = 0;
                while (unit < ELEMENTSOF(units) && !streq(name, units[unit]))
                        unit++;
                int months = unit == DEADLINE_UNIT_QUARTER ? 3 : unit == DEADLINE_UNIT_HALF ? 6 : 1;
                if (unit >= ELEMENTSOF(units) || y < YEAR_MIN || y > YEAR_MAX || !date_valid(y, m, d) ||
                    m % months || (unit != DEADLINE_UNIT_DAY && d != date_days_in_month(y, m)))
                        return fail(p, "malformed rule '%s'", p->phrase);
                *dl = (struct deadline) {.kind = DEADLINE_ONCE, .unit = unit, .year = y, .month = m, .day = d,
                                         .part = months > 1 ? m / months : 0};
                return 0;
        }
        if (sscanf(s, "annual %2d-%2d%n", &m, &d, &n) == 2)
                c = (struct deadline) {.kind = DEADLINE_ANNUAL, .month = m, .day = d};
        else if (sscanf(s, "quarterly %2d%n", &d, &n) == 1)
                c = (struct deadline) {.kind = DEADLINE_QUARTERLY, .day = d};
        else
                return 1;
        const char *range = s + n;
        if (*range && (sscanf(range, " %4d-%4d%n", &from, &to, &n) != 2 || range[n]))
                return 1;
        c.year_from = from, c.year_to = to;
        if ((*range && (from < YEAR_MIN || to > YEAR_MAX || to < from)) ||
            (c.kind == DEADLINE_ANNUAL ? !date_valid(2000, m, d) : d < 1 || d > 30))
                return fail(p, "malformed rule '%s'", p->phrase);
        *dl = c;
        return 0;
}

int deadline_parse(const char *phrase, struct deadline *ret, char *err, size_t errlen) {
        struct parser p = {.phrase = phrase ? phrase : "", .err = err, .errlen = errlen};
        struct reading r = {0};
        struct deadline dl;
        size_t bad = 0;
        int k;
        if (err && errlen)
                err[0] = 0;
        if (!phrase || !ret)
                return fail(&p, "no deadline given");
        if (!utf8_valid(phrase, strlen(phrase), &bad))
                return fail(&p, "the deadline is not valid UTF-8 (at byte %zu)", bad);
        _cleanup_free_ char *folded = utf8_fold(phrase);
        _cleanup_free_ char *words = xmalloc(2 * strlen(folded) + 1);
        if ((k = parse_canonical(&p, folded, ret)) <= 0)
                return k;
        if ((k = tokenize(&p, folded, words)) < 0 || (k = glue(&p)) < 0 || (k = classify(&p)) < 0 ||
            (k = collect(&p, &r)) < 0 || (k = decide(&p, &r, &dl)) < 0)
                return k;
        *ret = dl;
        return 0;
}

int deadline_read(const char *phrase, const struct deadline_context *ctx, struct deadline_rules *ret, char *err,
                  size_t errlen) {
        (void) ctx;
        ret->n = 0;
        int r = deadline_parse(phrase, &ret->rule[0], err, errlen);
        if (r < 0)
                return r;
        ret->n = 1;
        return 0;
}

void deadline_format(const struct deadline *dl, char *buf, size_t len) {
        static const char *const units[] = {"day", "month", "quarter", "half"};
        char range[16] = "";
        if (dl->year_from)
                snprintf(range, sizeof(range), " %04d-%04d", dl->year_from, dl->year_to);
        switch (dl->kind) {
        case DEADLINE_ONCE:
                snprintf(buf, len, "once %04d-%02d-%02d %s", dl->year, dl->month, dl->day,
                         (unsigned) dl->unit < ELEMENTSOF(units) ? units[dl->unit] : "day");
                break;
        case DEADLINE_ANNUAL:
                snprintf(buf, len, "annual %02d-%02d%s", dl->month, dl->day, range);
                break;
        case DEADLINE_QUARTERLY:
                snprintf(buf, len, "quarterly %d%s", dl->day, range);
                break;
        case DEADLINE_RELATIVE: {
                static const char *const steps[] = {"days", "workdays", "weeks", "months", "years"};
                snprintf(buf, len, "relative %c%d %s %s «%s»", dl->before ? '-' : '+', dl->amount,
                         (unsigned) dl->step < ELEMENTSOF(steps) ? steps[dl->step] : "days",
                         dl->before ? "before" : "after", dl->event);
                break;
        }
        case DEADLINE_EVENT:
                snprintf(buf, len, "event «%s»", dl->event);
                break;
        default:
                snprintf(buf, len, "continuous");
                break;
        }
}

void deadline_format_rules(const struct deadline_rules *r, char *buf, size_t len) {
        size_t used = 0;
        if (len)
                buf[0] = 0;
        for (size_t i = 0; i < r->n && used + 3 < len; i++) {
                if (i > 0) {
                        memcpy(buf + used, "; ", 3);
                        used += 2;
                }
                deadline_format(&r->rule[i], buf + used, len - used);
                used += strlen(buf + used);
        }
}

bool deadline_waits(const struct deadline *dl) {
        return dl->kind == DEADLINE_RELATIVE || dl->kind == DEADLINE_EVENT;
}

int deadline_relative_due(const struct deadline *dl, day_t event, const struct calendar *cal, day_t *ret) {
        if (dl->kind != DEADLINE_RELATIVE || dl->amount < 0 || dl->amount > 3660)
                return -EINVAL;
        int sign = dl->before ? -1 : 1;
        int y, m, d;
        switch (dl->step) {
        case DEADLINE_DAYS:
                *ret = event + sign * dl->amount;
                return 0;
        case DEADLINE_WEEKS:
                *ret = event + sign * 7 * dl->amount;
                return 0;
        case DEADLINE_WORKING_DAYS: {
                day_t day = event;
                for (int k = 0; k < dl->amount;) {
                        day += sign;
                        k += !cal || calendar_is_working_day(cal, day);
                }
                *ret = day;
                return 0;
        }
        case DEADLINE_MONTHS:
        case DEADLINE_YEARS: {
                date_to_ymd(event, &y, &m, &d);
                int months = (dl->step == DEADLINE_YEARS ? 12 : 1) * dl->amount * sign;
                int total = y * 12 + (m - 1) + months;
                y = total / 12, m = total % 12 + 1;
                int last = date_days_in_month(y, m);
                *ret = date_from_ymd(y, m, d < last ? d : last);
                return 0;
        }
        }
        return -EINVAL;
}

int deadline_expand_rules(const struct deadline_rules *r, int year_from, int year_to,
                          struct deadline_occurrence **ret) {
        struct deadline_occurrence *all = NULL;
        int n = 0;
        *ret = NULL;
        for (size_t i = 0; i < r->n; i++) {
                struct deadline_occurrence *occ = NULL;
                int got = deadline_expand(&r->rule[i], year_from, year_to, &occ);
                if (got < 0) {
                        free(occ);
                        free(all);
                        return got;
                }
                all = xreallocarray(all, (size_t) n + (size_t) got + 1, sizeof(*all));
                if (got > 0)
                        memcpy(all + n, occ, (size_t) got * sizeof(*occ));
                n += got;
                free(occ);
        }
        *ret = all;
        return n;
}

/* The label of the period a one-off deadline closes. */
static int once_period(const struct deadline *dl, char *period, size_t len) {
        if (!date_valid(dl->year, dl->month, dl->day))
                return -EINVAL;
        switch (dl->unit) {
        case DEADLINE_UNIT_DAY:
                snprintf(period, len, "%04d-%02d-%02d", dl->year, dl->month, dl->day);
                return 0;
        case DEADLINE_UNIT_MONTH:
                snprintf(period, len, "%04d-%02d", dl->year, dl->month);
                return 0;
        case DEADLINE_UNIT_QUARTER:
                snprintf(period, len, "%04d-Q%d", dl->year, dl->part);
                return 0;
        case DEADLINE_UNIT_HALF:
                snprintf(period, len, "%04d-H%d", dl->year, dl->part);
                return 0;
        }
        return -EINVAL;
}

int deadline_expand(const struct deadline *dl, int year_from, int year_to, struct deadline_occurrence **ret) {
        struct deadline_occurrence *occ;
        int n = 0;
        *ret = NULL;
        if (dl->kind == DEADLINE_CONTINUOUS || deadline_waits(dl))
                return 0;
        if (dl->kind == DEADLINE_ONCE) {
                occ = xcalloc(1, sizeof(*occ));
                if (once_period(dl, occ->period, sizeof(occ->period)) < 0) {
                        free(occ);
                        return -EINVAL;
                }
                occ->nominal = date_from_ymd(dl->year, dl->month, dl->day);
                *ret = occ;
                return 1;
        }
        if (dl->year_from)
                year_from = dl->year_from, year_to = dl->year_to;
        if (!year_from && !year_to)
                return -EDOM;
        if (year_from < 1 || year_to > 9998 || year_to < year_from)
                return -EINVAL;
        if (dl->kind == DEADLINE_ANNUAL ? !date_valid(2000, dl->month, dl->day) : dl->day < 1 || dl->day > 30)
                return -EINVAL;
        int per_year = dl->kind == DEADLINE_ANNUAL ? 1 : 4;
        occ = xcalloc((size_t) (year_to - year_from + 1) * (size_t) per_year, sizeof(*occ));
        for (int y = year_from; y <= year_to; y++) {
                if (dl->kind == DEADLINE_ANNUAL) {
                        int last = date_days_in_month(y, dl->month); /* 29 February in other years */
                        snprintf(occ[n].period, sizeof(occ[n].period), "%04d", y);
                        occ[n++].nominal = date_from_ymd(y, dl->month, dl->day < last ? dl->day : last);
                        continue;
                }
                for (int q = 1; q <= 4; q++) {
                        snprintf(occ[n].period, sizeof(occ[n].period), "%04d-Q%d", y, q);
                        occ[n++].nominal = date_from_ymd(q == 4 ? y + 1 : y, q * 3 % 12 + 1, dl->day);
                }
        }
        *ret = occ;
        return n;
}

int deadline_month_from_word(const char *folded_word) {
        struct parser p = {.phrase = folded_word};
        size_t len = strlen(folded_word);
        if (len == 0 || len > 64)
                return 0;
        char words[2 * 64 + 1];
        if (tokenize(&p, folded_word, words) < 0 || p.n != 1 || p.tokens[0].type != TOK_WORD)
                return 0;
        if (!lookup(&p, 0) || p.tokens[0].cls != WORD_MONTH)
                return 0;
        return p.tokens[0].value;
}
