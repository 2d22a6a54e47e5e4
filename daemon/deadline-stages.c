/* The dates of the deadline language: the numbers and words of a cell walked through into stages
 * (points, spans of periods, open starts: "III квартал 2023 года I – II кварталы 2024 года"), and the
 * recurrence they make ("ежегодно", "тоқсан сайын", "1 раз в полугодие", "до 10 числа месяца,
 * следующего за отчетным кварталом"). */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "deadline-phrase.h"
#include "util.h"

/* The quarter or half-year word that a number or ordinal at i numbers, directly ("IV квартал") or over
 * a span or list of numbers ("I – III кварталы", "I и III кварталы": then *list is set), or NULL. */
static struct token *numbered_period(struct phrase *p, size_t i, int depth, bool *list) {
        size_t j = phrase_next_free(p, i);
        if (j >= p->n || depth > 4)
                return NULL;
        struct token *t = &p->tokens[j];
        if (is_word(t, WORD_QUARTER) || is_word(t, WORD_HALF))
                return t;
        size_t after_dash = phrase_next_free(p, j); /* "ІІІ- тоқсан", "3-тоқсан" */
        if (t->type == TOK_DASH && !t->spaced && after_dash < p->n &&
            (is_word(&p->tokens[after_dash], WORD_QUARTER) || is_word(&p->tokens[after_dash], WORD_HALF)))
                return &p->tokens[after_dash];
        if (t->type != TOK_DASH && !is_word(t, WORD_RANGE) && !is_word(t, WORD_FILLER) && t->type != TOK_COMMA)
                return NULL;
        size_t k = phrase_next_free(p, j);
        if (k >= p->n)
                return NULL;
        struct token *n = &p->tokens[k];
        struct token *period = (n->type == TOK_NUM && n->digits <= 2) || is_word(n, WORD_ORDINAL) ?
                                       numbered_period(p, k, depth + 1, list) : NULL;
        if (period && (t->type == TOK_COMMA || is_word(t, WORD_FILLER)))
                *list = true; /* "ІІІ, ІҮ кварталы", "I и III кварталы" */
        return period;
}

/* Take the period word of a numbered part when nothing but a hyphen stands between them. */
static void take_period(struct phrase *p, size_t i, struct token *period) {
        size_t j = phrase_next_free(p, i);
        if (j < p->n && p->tokens[j].type == TOK_DASH && &p->tokens[phrase_next_free(p, j)] == period)
                p->tokens[j].used = true, j = phrase_next_free(p, j);
        if (&p->tokens[j] == period)
                period->used = true;
}


/* Close the stage being read, if any. */
static int finish_stage(struct phrase *p, struct dates *d) {
        if (d->has_cur) {
                if (d->n >= DEADLINE_RULES_MAX)
                        return phrase_fail(p, "'%s' names more than %d deadlines", p->phrase, DEADLINE_RULES_MAX);
                struct stage *s = &d->stage[d->n++];
                *s = (struct stage) {.from = d->start, .to = d->cur, .span = d->has_start};
                s->open = !s->span && (d->in_from || d->from_after);
                if (s->span) { /* what one end names and the other does not */
                        if (!s->to.year)
                                s->to.year = s->from.year, s->to.year_to = s->from.year_to;
                        if (!s->from.year)
                                s->from.year = s->to.year, s->from.year_to = s->to.year_to;
                        if (s->from.day && !s->from.month && !s->from.part)
                                s->from.month = s->to.month;
                        if (s->to.day && !s->to.month && !s->to.part)
                                s->to.month = s->from.month;
                }
        }
        d->has_cur = d->has_start = d->pending = d->in_from = d->from_after = false;
        d->cur = d->start = (struct point) {0};
        return 0;
}

/* Add what one or more tokens named to the stage being read: fill it, or begin the next stage or the
 * end of a span when it already names that. */
static int add_point(struct phrase *p, struct dates *d, const struct point *e, bool leads) {
        struct point *c = &d->cur;
        bool what = (e->month || e->part) && (c->month || c->part);
        bool conflict = d->has_cur && (e->the_year || c->the_year || (e->year && c->year) || what ||
                                       (e->day && c->day) || (e->day && c->part) || (e->part && c->day));
        if (conflict || (leads && d->has_cur)) {
                if (d->pending && !d->has_start) {
                        d->start = *c;
                        d->has_start = true;
                        d->cur = (struct point) {0};
                        d->has_cur = false;
                } else {
                        int r = finish_stage(p, d);
                        if (r < 0)
                                return r;
                }
        }
        if (!d->has_cur)
                c->at = e->at;
        if (e->year)
                c->year = e->year, c->year_to = e->year_to, c->leads = e->leads;
        c->the_year = c->the_year || e->the_year;
        if (e->part)
                c->part = e->part, c->part_unit = e->part_unit;
        if (e->month)
                c->month = e->month;
        if (e->day)
                c->day = e->day;
        d->has_cur = true;
        d->pending = false;
        return 0;
}

/* Whether the day, month or part at token i is dated by a year written after it ("2003-2005 годы IV
 * квартал 2005 года"): then it begins a new stage rather than taking the year written before it. */
static bool dated_after(const struct phrase *p, size_t i) {
        for (size_t j = phrase_next_free(p, i); j < p->n; j = phrase_next_free(p, j)) {
                const struct token *t = &p->tokens[j];
                if (t->type == TOK_PUNCT || (t->type == TOK_NUM && t->digits <= 2) || is_word(t, WORD_MONTH) ||
                    is_word(t, WORD_QUARTER) || is_word(t, WORD_HALF) || is_word(t, WORD_FILLER) ||
                    is_word(t, WORD_ORDINAL) || (t->type == TOK_DASH && !t->spaced))
                        continue;
                if (t->type != TOK_NUM || t->digits != 4)
                        return false;
                size_t k = phrase_next_free(p, j);
                return !(k < p->n && is_word(&p->tokens[k], WORD_YEAR) && p->tokens[k].value == YEAR_LEADS);
        }
        return false;
}

/* Add a day, month or part at token i, beginning a new stage first when a year after it dates it and
 * the stage being read has its year already, written before it. */
static int add_dated(struct phrase *p, struct dates *d, const struct point *e, size_t i) {
        if (d->has_cur && d->cur.year && !d->cur.leads && !d->pending && dated_after(p, i)) {
                int r = finish_stage(p, d);
                if (r < 0)
                        return r;
        }
        return add_point(p, d, e, false);
}

/* Refuse a year merzim cannot have been given a plan for. */
static int check_year(struct phrase *p, int year) {
        if (year < PHRASE_YEAR_MIN || year > PHRASE_YEAR_MAX)
                return phrase_fail(p, "the year %d is outside %d-%d in '%s'", year, PHRASE_YEAR_MIN,
                                   PHRASE_YEAR_MAX, p->phrase);
        return 0;
}

/* Read a year at token *i, or a range of years ("2023–2025", "с 2022 по 2024"), with the word after it. */
static int read_year(struct phrase *p, struct dates *d, size_t *i) {
        struct point e = {.year = p->tokens[*i].value, .at = *i};
        size_t sep = phrase_next_free(p, *i), j = sep < p->n ? phrase_next_free(p, sep) : p->n;
        if (j < p->n && p->tokens[j].type == TOK_NUM && p->tokens[j].digits == 4 &&
            (p->tokens[sep].type == TOK_DASH || is_word(&p->tokens[sep], WORD_RANGE) ||
             (is_word(&p->tokens[sep], WORD_UNTIL) && d->in_from))) {
                e.year_to = p->tokens[j].value;
                *i = j;
                d->in_from = false;
        }
        int r;
        if ((r = check_year(p, e.year)) < 0 || (e.year_to && (r = check_year(p, e.year_to)) < 0))
                return r;
        if (e.year_to && e.year_to < e.year)
                return phrase_fail(p, "the years %d-%d run backwards in '%s'", e.year, e.year_to, p->phrase);
        if (e.year_to == e.year)
                e.year_to = 0;
        enum year_mark mark = YEAR_NAMES;
        size_t k = phrase_next_free(p, *i);
        if (k < p->n && is_word(&p->tokens[k], WORD_YEAR)) {
                mark = (enum year_mark) p->tokens[k].value;
                p->tokens[k].used = true;
                *i = k;
        }
        e.leads = mark == YEAR_LEADS;
        return add_point(p, d, &e, e.leads);
}

/* Note a recurrence, unless the phrase already named another. */
static int set_every(struct phrase *p, struct dates *d, enum deadline_kind kind, const struct token *t) {
        static const char *const names[] = {[DEADLINE_ANNUAL] = "annual", [DEADLINE_QUARTERLY] = "quarterly",
                                            [DEADLINE_HALFYEARLY] = "half-yearly", [DEADLINE_MONTHLY] = "monthly"};
        if (d->recurs && d->every != kind)
                return phrase_fail(p, "a deadline cannot be both %s and %s: '%s'", names[d->every], names[kind],
                                   p->phrase);
        d->recurs = true;
        d->every = kind;
        d->every_word = t;
        return 0;
}

/* The recurrence of a period: each month, quarter, half-year or year. */
static enum deadline_kind kind_of_unit(enum deadline_unit unit) {
        return unit == DEADLINE_UNIT_MONTH ? DEADLINE_MONTHLY : unit == DEADLINE_UNIT_QUARTER ? DEADLINE_QUARTERLY :
               unit == DEADLINE_UNIT_HALF ? DEADLINE_HALFYEARLY : DEADLINE_ANNUAL;
}

/* The unit of a period word without a number: "квартал", "полугодие", "год", "месяц". */
static bool period_unit(const struct token *t, enum deadline_unit *unit) {
        if (t->type != TOK_WORD)
                return false;
        switch (t->cls) {
        case WORD_QUARTER:
                *unit = DEADLINE_UNIT_QUARTER;
                return true;
        case WORD_HALF:
                *unit = DEADLINE_UNIT_HALF;
                return true;
        case WORD_YEAR:
                *unit = DEADLINE_UNIT_YEAR;
                return true;
        case WORD_MONTH_UNIT:
                *unit = DEADLINE_UNIT_MONTH;
                return true;
        default:
                return false;
        }
}

/* Read how often a phrase says something is done: "1 раз в полугодие", "жарты жылда 1 рет", "два раза в
 * год", "тоқсанына 1 рет". */
static int read_frequency(struct phrase *p, struct dates *d) {
        for (size_t i = 0; i < p->n; i = phrase_next_free(p, i)) {
                struct token *t = &p->tokens[i];
                if (!is_word(t, WORD_TIMES) || t->used)
                        continue;
                int count = t->value ? t->value : 1;
                size_t lo = i, hi = i, k;
                /* The count before "раз": a number or a word, maybe after the period ("жылына 2 рет"). */
                for (k = i; k-- > 0;)
                        if (p->tokens[k].type != TOK_SKIP && !p->tokens[k].used)
                                break;
                if (k < i && ((p->tokens[k].type == TOK_NUM && p->tokens[k].digits <= 2) ||
                              is_word(&p->tokens[k], WORD_CARDINAL))) {
                        count = p->tokens[k].value;
                        lo = k;
                }
                enum deadline_unit unit;
                bool found = false;
                size_t j = phrase_next_free(p, i);
                while (j < p->n && is_word(&p->tokens[j], WORD_FILLER))
                        j = phrase_next_free(p, j);
                size_t k2 = j < p->n ? phrase_next_free(p, j) : p->n;
                if (j < p->n && (p->tokens[j].type == TOK_NUM || is_word(&p->tokens[j], WORD_CARDINAL)))
                        return phrase_fail(p, "'%s' is once every %d %ss: merzim has no such rule", p->phrase,
                                           p->tokens[j].value,
                                           k2 < p->n && period_unit(&p->tokens[k2], &unit) ? phrase_period_names[unit] :
                                                                                             "period");
                if (j < p->n && period_unit(&p->tokens[j], &unit)) {
                        found = true;
                        hi = j;
                } else {
                        for (k = lo; k-- > 0;) {
                                const struct token *b = &p->tokens[k];
                                if (b->type == TOK_SKIP || b->used || is_word(b, WORD_AT_LEAST) ||
                                    is_word(b, WORD_FILLER))
                                        continue;
                                if (period_unit(b, &unit)) {
                                        found = true;
                                        lo = k;
                                }
                                break;
                        }
                }
                if (!found && j < p->n && is_word(&p->tokens[j], WORD_WEEK))
                        return phrase_fail(p, "'%s' is weekly: merzim has no weekly rule", p->phrase);
                if (!found)
                        return phrase_fail(p, "'%s' does not say how often: no period after '%.*s'", p->phrase,
                                           (int) t->srclen, t->src);
                if (count > 1) { /* "два раза в год": when in the year? Only the dates it names can say. */
                        if (unit != DEADLINE_UNIT_YEAR || d->times)
                                return phrase_fail(p, "'%s' could mean by the end of each of %d parts of the %s, or "
                                                   "on %d dates the plan does not give: write the dates", p->phrase,
                                                   count, phrase_period_names[unit], count);
                        d->times = count;
                        phrase_take(p, lo, hi);
                        d->named++;
                        continue;
                }
                int per_year = count * 12 / phrase_months_of(unit);
                enum deadline_unit every = per_year == 1    ? DEADLINE_UNIT_YEAR
                                           : per_year == 2  ? DEADLINE_UNIT_HALF
                                           : per_year == 4  ? DEADLINE_UNIT_QUARTER
                                           : per_year == 12 ? DEADLINE_UNIT_MONTH
                                                            : DEADLINE_UNIT_DAY;
                if (count < 1 || every == DEADLINE_UNIT_DAY || count * 12 % phrase_months_of(unit))
                        return phrase_fail(p, "'%s' is %d times a year: merzim has no such rule", p->phrase,
                                           per_year);
                int r = set_every(p, d, kind_of_unit(every), t);
                if (r < 0)
                        return r;
                phrase_take(p, lo, hi);
                d->named++;
        }
        return 0;
}

/* Whether the year word at token i means the plan's year: "в течение года", "до конца года", "жыл бойы". */
static bool the_year_word(const struct phrase *p, size_t i) {
        size_t k = i, j = phrase_next_free(p, i);
        while (k > 0 && (p->tokens[k - 1].type == TOK_SKIP || is_word(&p->tokens[k - 1], WORD_FILLER)))
                k--;
        return (k > 0 && (is_word(&p->tokens[k - 1], WORD_THROUGHOUT) || is_word(&p->tokens[k - 1], WORD_END))) ||
               (j < p->n && is_word(&p->tokens[j], WORD_THROUGHOUT));
}

/* Read a word of the date part. */
static int read_date_word(struct phrase *p, struct dates *d, size_t i) {
        struct token *t = &p->tokens[i];
        struct point e = {.at = i};
        struct token *period;
        switch (t->cls) {
        case WORD_MONTH: {
                e.month = t->value;
                int r = add_dated(p, d, &e, i);
                static const char *const from[] = {"нан", "нен", "дан", "ден", "тан", "тен"};
                for (size_t k = 0; k < ELEMENTSOF(from); k++) /* "29 маусымнан 20 шілдеге дейін" */
                        if (t->len > strlen(from[k]) &&
                            memcmp(t->text + t->len - strlen(from[k]), from[k], strlen(from[k])) == 0)
                                d->pending = true;
                return r;
        }
        case WORD_ORDINAL: {
                bool list = false;
                if (!(period = numbered_period(p, i, 0, &list)))
                        return phrase_fail(p, "'%.*s' is not followed by a quarter or half-year in '%s'",
                                           (int) t->srclen, t->src, p->phrase);
                e.part = t->value;
                e.part_unit = is_word(period, WORD_QUARTER) ? DEADLINE_UNIT_QUARTER : DEADLINE_UNIT_HALF;
                take_period(p, i, period);
                if (list && !d->part_list)
                        d->part_list = t;
                return add_dated(p, d, &e, i);
        }
        case WORD_ANNUAL:
                return set_every(p, d, DEADLINE_ANNUAL, t);
        case WORD_QUARTERLY:
                return set_every(p, d, DEADLINE_QUARTERLY, t);
        case WORD_HALFYEARLY:
                return set_every(p, d, DEADLINE_HALFYEARLY, t);
        case WORD_MONTHLY:
                return set_every(p, d, DEADLINE_MONTHLY, t);
        case WORD_CONTINUOUS:
                if (!d->continuous)
                        d->continuous = t;
                return 0;
        case WORD_AS_NEEDED:
                d->as_needed = true;
                return 0;
        case WORD_QUARTER:
        case WORD_HALF:
        case WORD_YEAR:
        case WORD_MONTH_UNIT: {
                if (t->cls == WORD_YEAR && the_year_word(p, i)) { /* "в течение года", "жыл бойы" */
                        e.the_year = true;
                        t->used = true;
                        return add_point(p, d, &e, false);
                }
                enum deadline_unit unit = DEADLINE_UNIT_DAY;
                period_unit(t, &unit);
                size_t k = i;
                while (k > 0 && (p->tokens[k - 1].type == TOK_SKIP || is_word(&p->tokens[k - 1], WORD_FILLER)))
                        k--;
                if (unit == DEADLINE_UNIT_MONTH && k > 0 && is_word(&p->tokens[k - 1], WORD_MONTH))
                        return 0; /* "мамыр-тамыз айлары": the months named */
                /* "месяца, следующего за": the month the day falls in; "отчетного месяца": the period */
                if (unit == DEADLINE_UNIT_MONTH && !(k > 0 && is_word(&p->tokens[k - 1], WORD_REPORTING))) {
                        if (!d->month_unit)
                                d->month_unit = t;
                } else if (!d->bare[unit]) {
                        d->bare[unit] = t;
                }
                return 0;
        }
        case WORD_FOLLOWING:
                d->following = t;
                return 0;
        case WORD_REPORTING:
                d->reporting = t;
                return 0;
        case WORD_PERIOD:
                d->period = t;
                return 0;
        case WORD_AFTER:
                d->after = t;
                return 0;
        case WORD_FROM: {
                int r = d->has_cur ? finish_stage(p, d) : 0;
                d->in_from = true;
                return r;
        }
        case WORD_FROM_AFTER:
                if (d->has_cur) {
                        d->pending = true;
                        d->from_after = true;
                }
                return 0;
        case WORD_UNTIL: {
                if (d->has_cur && (d->in_from || d->from_after))
                        d->pending = true;
                d->until = true;
                /* "не позднее", "кешіктірмей" close the period named; Russian "до мая" is read by some as
                 * "by 30 April" (a plan's own reader did); "маусымына дейін" has always been June's end here. */
                static const char *const exclusive[] = {"до", "к", "ко", NULL};
                for (size_t k = 0; exclusive[k]; k++)
                        if (t->len == strlen(exclusive[k]) && memcmp(t->text, exclusive[k], t->len) == 0)
                                d->until_start = true;
                return 0;
        }
        case WORD_RANGE:
                if (d->has_cur)
                        d->pending = true;
                return 0;
        case WORD_END:
                d->end = true;
                return 0;
        case WORD_THROUGHOUT:
                d->throughout = true;
                return 0;
        case WORD_THEN: {
                if (!d->then)
                        d->then = t;
                size_t j = phrase_next(p, i); /* "2025 год и далее": from then on */
                while (j < p->n && (p->tokens[j].type == TOK_PUNCT || p->tokens[j].type == TOK_DASH))
                        j = phrase_next(p, j);
                if (j >= p->n && !d->continuous)
                        d->continuous = t;
                return finish_stage(p, d);
        }
        case WORD_FILLER:
        case WORD_AT_LEAST:
                return 0;
        case WORD_CARDINAL:
        case WORD_DAY_UNIT:
        case WORD_WEEK:
        case WORD_WORKING:
        case WORD_CALENDAR:
        case WORD_TIMES:
        case WORD_BEFORE:
        case WORD_EVENT:
        case WORD_MEANS:
        case WORD_UNKNOWN:
                break;
        }
        return phrase_fail_word(p, t, t);
}

/* Walk the tokens no event took, noting what they name and splitting them into stages. */
static int walk_dates(struct phrase *p, struct dates *d) {
        int r = read_frequency(p, d);
        for (size_t i = 0; i < p->n && r >= 0; i++) {
                struct token *t = &p->tokens[i];
                if (t->type == TOK_SKIP || t->used || t->type == TOK_PUNCT)
                        continue;
                if (t->type == TOK_COMMA || t->type == TOK_DASH) {
                        if (t->type == TOK_DASH && d->has_cur)
                                d->pending = true;
                        continue;
                }
                if (t->type == TOK_WORD && (t->cls == WORD_FILLER || t->cls == WORD_AT_LEAST)) {
                        continue;
                }
                d->named++;
                struct point e = {.at = i};
                struct token *period;
                bool list = false;
                if (t->type == TOK_OTHER) {
                        r = phrase_fail_word(p, t, t);
                } else if (t->type == TOK_WORD) {
                        r = read_date_word(p, d, i);
                } else if (t->type == TOK_NUM && t->digits == 4) {
                        r = read_year(p, d, &i);
                } else if (t->type == TOK_NUM && t->digits <= 2 && (period = numbered_period(p, i, 0, &list))) {
                        if (list && !d->part_list)
                                d->part_list = t;
                        e.part = t->value;
                        e.part_unit = is_word(period, WORD_QUARTER) ? DEADLINE_UNIT_QUARTER : DEADLINE_UNIT_HALF;
                        take_period(p, i, period);
                        r = add_dated(p, d, &e, i);
                } else if (t->type == TOK_NUM && t->digits <= 2) {
                        size_t j = phrase_next_free(p, i);
                        if (j < p->n && p->tokens[j].type == TOK_WORD &&
                            (p->tokens[j].cls == WORD_DAY_UNIT || p->tokens[j].cls == WORD_WEEK ||
                             p->tokens[j].cls == WORD_WORKING || p->tokens[j].cls == WORD_CALENDAR))
                                return phrase_fail(p, "'%s' counts from no event: say after or before what",
                                                   p->phrase);
                        if (t->value < 1 || t->value > 31)
                                return phrase_fail(p, "there is no day %d in a month, in '%s'", t->value, p->phrase);
                        e.day = t->value;
                        r = add_dated(p, d, &e, i);
                } else if (t->type == TOK_NUM) {
                        r = phrase_fail_word(p, t, t);
                } else if (t->type == TOK_DATE) {
                        e.year = t->value, e.month = t->month, e.day = t->day;
                        size_t k = phrase_next_free(p, i);
                        if (k < p->n && is_word(&p->tokens[k], WORD_YEAR))
                                p->tokens[k].used = true;
                        r = add_point(p, d, &e, false);
                } else if (t->type == TOK_PART) {
                        e.part = t->value;
                        e.part_unit = t->unit;
                        r = add_point(p, d, &e, false);
                }
        }
        if (r < 0)
                return r;
        return finish_stage(p, d);
}

/* Check the words that only a recurring deadline has, and make a recurrence of the period a day follows
 * ("до 10 числа месяца, следующего за отчетным полугодием"). */
static int read_recurrence(struct phrase *p, struct dates *d) {
        const struct token *follows = d->following ? d->following : d->after ? d->after : d->reporting;
        int r;
        if (follows) {
                static const enum deadline_unit finest[] = {DEADLINE_UNIT_MONTH, DEADLINE_UNIT_QUARTER,
                                                            DEADLINE_UNIT_HALF, DEADLINE_UNIT_YEAR};
                for (size_t k = 0; k < ELEMENTSOF(finest); k++) {
                        const struct token *t = d->bare[finest[k]];
                        if (!t)
                                continue;
                        if (!d->recurs && (r = set_every(p, d, kind_of_unit(finest[k]), t)) < 0)
                                return r;
                        if (d->every != kind_of_unit(finest[k]))
                                return phrase_fail(p, "'%s' names a recurrence and the period after which it falls "
                                                   "that differ ('%.*s')", p->phrase, (int) t->srclen, t->src);
                        break;
                }
        }
        /* "до 15 числа следующего месяца", "10 числа месяца, следующего за отчетным": each month, by a day
         * of the month after it */
        bool next_month = d->following && d->month_unit &&
                          (&p->tokens[phrase_next_free(p, (size_t) (d->following - p->tokens))] == d->month_unit ||
                           (d->reporting && d->month_unit < d->following));
        if (!d->recurs && next_month && (r = set_every(p, d, DEADLINE_MONTHLY, d->following)) < 0)
                return r;
        if (!d->recurs && d->month_unit && d->throughout)
                return phrase_fail(p, "'%s' counts a month from no event: say after or before what", p->phrase);
        if (!d->recurs) {
                const struct token *t = d->period ? d->period : follows ? follows : d->month_unit;
                if (t)
                        return phrase_fail_word(p, t, t);
        }
        for (enum deadline_unit u = DEADLINE_UNIT_QUARTER; u <= DEADLINE_UNIT_HALF; u++)
                if (d->bare[u] && !(d->recurs && (follows || d->every == kind_of_unit(u))))
                        return phrase_fail(p, "'%.*s' without the number of the %s in '%s'", (int) d->bare[u]->srclen,
                                           d->bare[u]->src, phrase_period_names[u], p->phrase);
        return 0;
}

int phrase_read_dates(struct phrase *p, struct dates *d) {
        int r = walk_dates(p, d);
        return r < 0 ? r : read_recurrence(p, d);
}
