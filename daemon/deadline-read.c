/* The grammar of the deadline language: the words of a cell read into its rules. A cell may name several
 * stages, spans of periods, a recurrence, a count of days before or after an event, or an event alone;
 * what could mean two things is refused with both readings. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "deadline-phrase.h"
#include "utf8.h"
#include "util.h"

/* A moment a phrase names: a year or a range of years, a quarter or half-year, a month, a day. */
struct point {
        int year, year_to; /* year_to: the last year of a range, or 0 */
        int part;
        enum deadline_unit part_unit;
        int month, day;
        bool leads;    /* its year was written before what it dates: "2024 жылғы IV тоқсан" */
        bool the_year; /* "в течение года", "жыл бойы": the plan's one year */
        size_t at;  /* its first token, to keep rules in the order they are written */
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
        unsigned reported;              /* the periods a day follows ("отчетным кварталом"), by unit bit */
        const struct token *following, *reporting, *after, *month_unit, *period;
        const struct token *bare[5];    /* the first period word without a number, by unit */
        const struct token *continuous, *count_word;
        const struct token *then;      /* "далее": what follows goes on from the stage before */
        const struct token *part_list; /* "ІІІ, ІҮ кварталы": one deadline or one each? */
        bool as_needed, until, end, throughout;
        bool borrowed; /* a stage took its year from another */
        int named;     /* words and numbers that carry meaning */
};

/* A rule and where the words that made it begin, to order the rules of a cell as written. */
struct placed {
        struct deadline rule;
        size_t at;
};

static const char *const period_names[] = {"day", "month", "quarter", "half-year", "year"};

static int months_of(enum deadline_unit unit) {
        return unit == DEADLINE_UNIT_QUARTER ? 3 : unit == DEADLINE_UNIT_HALF ? 6 : unit == DEADLINE_UNIT_YEAR ? 12 : 1;
}

static bool is_word(const struct token *t, enum word_class cls) {
        return t->type == TOK_WORD && t->cls == cls;
}

/* The next token after i that counts and is not taken by a rule, or p->n. */
static size_t next_free(const struct phrase *p, size_t i) {
        for (i = phrase_next(p, i); i < p->n && p->tokens[i].used; i = phrase_next(p, i))
                ;
        return i;
}

/* The quarter or half-year word that a number or ordinal at i numbers, directly ("IV квартал") or over
 * a span or list of numbers ("I – III кварталы", "I и III кварталы": then *list is set), or NULL. */
static struct token *numbered_period(struct phrase *p, size_t i, int depth, bool *list) {
        size_t j = next_free(p, i);
        if (j >= p->n || depth > 4)
                return NULL;
        struct token *t = &p->tokens[j];
        if (is_word(t, WORD_QUARTER) || is_word(t, WORD_HALF))
                return t;
        size_t after_dash = next_free(p, j); /* "ІІІ- тоқсан", "3-тоқсан" */
        if (t->type == TOK_DASH && !t->spaced && after_dash < p->n &&
            (is_word(&p->tokens[after_dash], WORD_QUARTER) || is_word(&p->tokens[after_dash], WORD_HALF)))
                return &p->tokens[after_dash];
        if (t->type != TOK_DASH && !is_word(t, WORD_RANGE) && !is_word(t, WORD_FILLER) && t->type != TOK_COMMA)
                return NULL;
        size_t k = next_free(p, j);
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
        size_t j = next_free(p, i);
        if (j < p->n && p->tokens[j].type == TOK_DASH && &p->tokens[next_free(p, j)] == period)
                p->tokens[j].used = true, j = next_free(p, j);
        if (&p->tokens[j] == period)
                period->used = true;
}

/* ---- Events: a count of days before or after one, or one alone. ---- */

/* Whether a token may stand around the count of a relative deadline: "в течение", "после", "бұрын". */
static bool frame_word(const struct token *t) {
        if (t->type == TOK_PUNCT)
                return true;
        if (t->type != TOK_WORD)
                return false;
        switch (t->cls) {
        case WORD_THROUGHOUT:
        case WORD_UNTIL:
        case WORD_AT_LEAST:
        case WORD_AFTER:
        case WORD_BEFORE:
        case WORD_FROM:
        case WORD_FROM_AFTER:
        case WORD_FILLER:
                return true;
        default:
                return false;
        }
}

/* Find the count of a relative deadline in tokens [a, b): "5 рабочих дней", "3 жұмыс күні", or "года"
 * after "в течение" when there is an event. Returns whether there is one, with its first and last token. */
static bool find_count(struct phrase *p, size_t a, size_t b, bool event, struct deadline *dl, size_t *first,
                       size_t *last) {
        for (size_t i = a; i < b; i = next_free(p, i)) {
                struct token *t = &p->tokens[i];
                size_t j = next_free(p, i);
                bool implicit = event && is_word(t, WORD_THROUGHOUT); /* "в течение года со дня" */
                if (t->used || !((t->type == TOK_NUM && t->digits <= 3) || is_word(t, WORD_CARDINAL) || implicit))
                        continue;
                size_t k = i; /* "раз в три года" is how often, not a count from an event */
                while (k > a && (p->tokens[k - 1].type == TOK_SKIP || is_word(&p->tokens[k - 1], WORD_FILLER)))
                        k--;
                if (k > a && is_word(&p->tokens[k - 1], WORD_TIMES))
                        continue;
                bool working = false;
                while (j < b && (is_word(&p->tokens[j], WORD_WORKING) || is_word(&p->tokens[j], WORD_CALENDAR))) {
                        working = working || is_word(&p->tokens[j], WORD_WORKING);
                        j = next_free(p, j);
                }
                if (j >= b || p->tokens[j].type != TOK_WORD)
                        continue;
                switch (p->tokens[j].cls) {
                case WORD_DAY_UNIT:
                        dl->step = working ? DEADLINE_WORKING_DAYS : DEADLINE_DAYS;
                        break;
                case WORD_WEEK:
                        dl->step = DEADLINE_WEEKS;
                        break;
                case WORD_MONTH_UNIT:
                        dl->step = DEADLINE_MONTHS;
                        break;
                case WORD_YEAR:
                        if (p->tokens[j].value == YEAR_LEADS) /* "202 жылғы": a year, badly written */
                                continue;
                        dl->step = DEADLINE_YEARS;
                        break;
                default:
                        continue;
                }
                if (working && dl->step != DEADLINE_WORKING_DAYS)
                        continue;
                dl->amount = implicit ? 1 : t->value;
                *first = implicit ? phrase_next(p, i) : i;
                *last = j;
                return true;
        }
        return false;
}

/* Copy an event's words as written, joining words broken by a line-wrap hyphen ("прове- дения") and
 * with guillemets as curly quotes, so that the rule's text keeps its own. */
static void event_text(const struct phrase *p, size_t first, size_t last, char *out, size_t len) {
        const char *s = p->tokens[first].src, *end = p->tokens[last].src + p->tokens[last].srclen;
        struct buf b = {0};
        bool letter = false;
        while (s < end) {
                const char *at = s;
                int32_t c = utf8_decode(&s, end);
                if (c == '-' && letter && s + 1 < end && *s == ' ') {
                        const char *q = s + 1;
                        int32_t next = utf8_decode(&q, end);
                        if (next > 0 && unicode_is_letter((uint32_t) next) && !unicode_is_upper((uint32_t) next)) {
                                s++;
                                continue;
                        }
                }
                letter = c > 0 && unicode_is_letter((uint32_t) c);
                if (c == 0xAB || c == 0xBB)
                        utf8_encode(&b, c == 0xAB ? 0x201C : 0x201D);
                else
                        buf_append(&b, at, (size_t) (s - at));
        }
        buf_putc(&b, 0);
        /* A parenthesis the event's words do not open or close is the cell's, not the event's. */
        if (!strchr(b.data, '(') && b.len > 1 && b.data[b.len - 2] == ')')
                b.data[b.len - 2] = 0;
        if (b.data[0] == '(' && !strchr(b.data, ')'))
                memmove(b.data, b.data + 1, strlen(b.data));
        size_t n = strlen(b.data);
        if (n >= len) { /* cut at a character's start */
                n = len - 1;
                while (n > 0 && ((unsigned char) b.data[n] & 0xC0) == 0x80)
                        n--;
        }
        memcpy(out, b.data, n);
        out[n] = 0;
        buf_free(&b);
}

/* The tokens of [a, b) that are not taken, trimmed of punctuation and filler at both ends; false if none. */
static bool trim(const struct phrase *p, size_t *a, size_t *b) {
        size_t first = p->n, last = 0;
        for (size_t i = *a; i < *b; i++) {
                const struct token *t = &p->tokens[i];
                if (t->type == TOK_SKIP || t->used || t->type == TOK_PUNCT || t->type == TOK_COMMA ||
                    is_word(t, WORD_FILLER) || t->type == TOK_DASH)
                        continue;
                if (first == p->n)
                        first = i;
                last = i;
        }
        if (first == p->n)
                return false;
        *a = first, *b = last;
        return true;
}

/* Whether tokens [a, b] hold a word the language does not know. */
static const struct token *unknown_in(const struct phrase *p, size_t a, size_t b) {
        for (size_t i = a; i <= b && i < p->n; i++)
                if (p->tokens[i].type != TOK_SKIP && !p->tokens[i].used &&
                    ((p->tokens[i].type == TOK_WORD && p->tokens[i].cls == WORD_UNKNOWN) ||
                     p->tokens[i].type == TOK_OTHER))
                        return &p->tokens[i];
        return NULL;
}

static void take(struct phrase *p, size_t a, size_t b) {
        for (size_t i = a; i <= b && i < p->n; i++)
                p->tokens[i].used = true;
}

/* Read a clause [a, b) with a count into a relative rule: the words around the count say before or
 * after, the rest is the event. */
static int relative_clause(struct phrase *p, size_t a, size_t b, size_t first, size_t last, struct deadline *dl,
                           size_t *event_first) {
        while (first > a) { /* the frame: words before the count that belong to it */
                size_t k = first - 1;
                while (k > a && p->tokens[k].type == TOK_SKIP)
                        k--;
                if (p->tokens[k].type == TOK_SKIP || p->tokens[k].used || !frame_word(&p->tokens[k]))
                        break;
                first = k;
        }
        for (size_t k = next_free(p, last); k < b && frame_word(&p->tokens[k]); k = next_free(p, k))
                last = k;
        size_t ea = a, eb = first, fa = last + 1, fb = b;
        bool before_frame = trim(p, &ea, &eb), after_frame = trim(p, &fa, &fb);
        const struct token *unknown_before = before_frame ? unknown_in(p, ea, eb) : NULL;
        const struct token *unknown_after = after_frame ? unknown_in(p, fa, fb) : NULL;
        if (unknown_before && unknown_after)
                return phrase_fail(p, "'%s' has words on both sides of its count of days; which is the event?",
                                   p->phrase);
        if (!unknown_before && !unknown_after)
                return phrase_fail(p, "'%s' counts from no event: say after or before what", p->phrase);
        bool after = false, before = false, until = false, marked = false;
        for (size_t k = first; k <= last; k++) {
                const struct token *t = &p->tokens[k];
                if (t->type != TOK_WORD || t->used)
                        continue;
                after = after || t->cls == WORD_AFTER || t->cls == WORD_FROM || t->cls == WORD_FROM_AFTER;
                before = before || t->cls == WORD_BEFORE;
                /* "10 дней до X", "X-ға дейін 10 күн", but not "не позднее 10 дней после X" */
                until = until || (t->cls == WORD_UNTIL && (k > first || unknown_before));
        }
        size_t ev_a = unknown_before ? ea : fa, ev_b = unknown_before ? eb : fb;
        /* "При получении кредитов в течение трех месяцев": the event's own "при", "по итогам" say after. */
        while (ev_a < ev_b && (p->tokens[ev_a].type == TOK_SKIP || is_word(&p->tokens[ev_a], WORD_EVENT) ||
                               is_word(&p->tokens[ev_a], WORD_AFTER)))
                marked = marked || p->tokens[ev_a].type != TOK_SKIP, ev_a++;
        while (ev_b > ev_a && (p->tokens[ev_b].type == TOK_SKIP || is_word(&p->tokens[ev_b], WORD_EVENT) ||
                               is_word(&p->tokens[ev_b], WORD_AFTER)))
                marked = marked || p->tokens[ev_b].type != TOK_SKIP, ev_b--;
        after = after || (marked && !before && !until);
        if (!after && !before && !until)
                return phrase_fail(p, "'%s' does not say whether its count is before or after the event",
                                   p->phrase);
        if (after && (before || (until && !unknown_before)))
                return phrase_fail(p, "'%s' says both before and after its event", p->phrase);
        dl->kind = DEADLINE_RELATIVE;
        dl->before = !after;
        event_text(p, ev_a, ev_b, dl->event, sizeof(dl->event));
        *event_first = unknown_before ? p->n : ev_a; /* only an event after its count goes on past a comma */
        take(p, a, b - 1);
        return 0;
}

/* Whether a token may stand in an event's words: a word the language does not know, a filler, a mark. */
static bool event_word(const struct token *t) {
        return t->type == TOK_SKIP || t->type == TOK_PUNCT || t->type == TOK_OTHER || is_word(t, WORD_UNKNOWN) ||
               is_word(t, WORD_FILLER);
}

/* Find the event in a clause [a, b] (trimmed): the whole clause when it begins with "по итогам", "при",
 * "согласно", or has words the language does not know and begins with a preposition ("после", "до") or
 * ends with a postposition ("кезінде", "кейін", "бойынша", "дейін"); else a preposition and the unknown
 * words after it to the clause's end ("Ежеквартально согласно плану"), or unknown words and the
 * postposition that ends the clause. Returns whether there is one, as [*sa, *sb]. */
static bool event_span(const struct phrase *p, size_t a, size_t b, bool unknown, size_t *sa, size_t *sb) {
        while (a < b && p->tokens[a].type != TOK_WORD)
                a++;
        while (b > a && p->tokens[b].type != TOK_WORD)
                b--;
        const struct token *first = &p->tokens[a], *last = &p->tokens[b];
        *sa = a, *sb = b;
        if (first->type != TOK_WORD || last->type != TOK_WORD)
                return false;
        if (first->cls == WORD_EVENT) /* "по итогам года" */
                return true;
        if (!unknown)
                return false;
        if (last->cls == WORD_EVENT || first->cls == WORD_AFTER || first->cls == WORD_BEFORE ||
            first->cls == WORD_UNTIL || first->cls == WORD_FROM || first->cls == WORD_RANGE || last->cls == WORD_AFTER ||
            last->cls == WORD_BEFORE || last->cls == WORD_UNTIL || last->cls == WORD_FROM_AFTER)
                return true;
        for (size_t m = a + 1; m < b; m++) { /* "... согласно плану", "... по специальному плану" */
                const struct token *t = &p->tokens[m];
                if (!is_word(t, WORD_EVENT) && !is_word(t, WORD_RANGE) && !is_word(t, WORD_AFTER) &&
                    !is_word(t, WORD_UNTIL))
                        continue;
                bool words = true, any = false;
                for (size_t k = m + 1; k <= b && words; k++) {
                        words = event_word(&p->tokens[k]);
                        any = any || is_word(&p->tokens[k], WORD_UNKNOWN);
                }
                if (words && any) {
                        *sa = m;
                        return true;
                }
        }
        if (last->cls == WORD_EVENT || last->cls == WORD_AFTER || last->cls == WORD_FROM_AFTER) {
                size_t r = b; /* "... арнайы жоспар бойынша" */
                while (r > a && event_word(&p->tokens[r - 1]))
                        r--;
                *sa = r;
                return unknown_in(p, r, b) != NULL;
        }
        return false;
}

/* Take the words of a clause [a, b) that say how a stage is done ("интернет желісі арқылы"): a run of
 * words the language does not know around "арқылы", "посредством". */
static void take_means(struct phrase *p, size_t a, size_t b) {
        for (size_t i = a; i < b; i++) {
                if (!is_word(&p->tokens[i], WORD_MEANS) || p->tokens[i].used)
                        continue;
                size_t lo = i, hi = i;
                for (size_t k = i; k-- > a;) {
                        const struct token *t = &p->tokens[k];
                        if (t->type == TOK_SKIP)
                                continue;
                        if (!is_word(t, WORD_UNKNOWN) && !is_word(t, WORD_MEANS) && !is_word(t, WORD_FILLER))
                                break;
                        lo = k;
                }
                for (size_t k = i + 1; k < b; k++) {
                        const struct token *t = &p->tokens[k];
                        if (t->type == TOK_SKIP)
                                continue;
                        if (!is_word(t, WORD_UNKNOWN) && !is_word(t, WORD_MEANS) && !is_word(t, WORD_FILLER))
                                break;
                        hi = k;
                }
                take(p, lo, hi);
        }
}

/* Take notes in parentheses of words the language does not know ("декабрь 2024 года (проект)"): they
 * name a stage, not its date. A phrase of nothing but such a note keeps it, to be refused. */
static void take_notes(struct phrase *p) {
        bool outside = false;
        for (size_t i = 0, depth = 0; i < p->n; i++) {
                const struct token *t = &p->tokens[i];
                if (t->type == TOK_PUNCT && (*t->src == '(' || *t->src == ')'))
                        depth += *t->src == '(' ? 1 : depth ? (size_t) -1 : 0;
                else if (!depth && t->type != TOK_SKIP && t->type != TOK_PUNCT && t->type != TOK_COMMA)
                        outside = true;
        }
        for (size_t i = 0; outside && i < p->n; i++) {
                if (p->tokens[i].type != TOK_PUNCT || *p->tokens[i].src != '(')
                        continue;
                size_t k = i + 1;
                bool note = false;
                while (k < p->n && !(p->tokens[k].type == TOK_PUNCT && *p->tokens[k].src == ')') &&
                       event_word(&p->tokens[k])) {
                        note = note || is_word(&p->tokens[k], WORD_UNKNOWN);
                        k++;
                }
                if (note && k < p->n && p->tokens[k].type == TOK_PUNCT && *p->tokens[k].src == ')')
                        take(p, i, k);
        }
}

/* Read the events of a phrase, clause by clause (clauses end at commas and "далее"): a clause with a
 * count is a relative rule, one with an event's words an event rule. */
static int read_events(struct phrase *p, struct placed *out, size_t *n_out, bool *any_event) {
        size_t a = 0;
        take_notes(p);
        while (a < p->n) {
                size_t b = a;
                while (b < p->n && p->tokens[b].type != TOK_COMMA && !is_word(&p->tokens[b], WORD_THEN))
                        b++;
                take_means(p, a, b);
                struct deadline dl = {0};
                size_t first, last, ea = a, eb = b;
                bool words = trim(p, &ea, &eb);
                const struct token *unknown = words ? unknown_in(p, ea, eb) : NULL;
                size_t sa = ea, sb = eb;
                bool marker = words && event_span(p, ea, eb, unknown != NULL, &sa, &sb);
                size_t event_first = p->n, at = a;
                if (find_count(p, a, b, unknown != NULL, &dl, &first, &last)) {
                        int r = relative_clause(p, a, b, first, last, &dl, &event_first);
                        if (r < 0)
                                return r;
                } else if (marker) {
                        while (sb + 1 < b && event_word(&p->tokens[sb + 1])) /* "… «Не стань дропом!»" */
                                sb++;
                        dl.kind = DEADLINE_EVENT;
                        event_first = at = sa;
                        event_text(p, sa, sb, dl.event, sizeof(dl.event));
                        take(p, sa, sb);
                } else {
                        a = b + 1;
                        continue;
                }
                /* Words of the event cut by a comma ("после подписания справки, акта") go with it. */
                while (b < p->n && p->tokens[b].type == TOK_COMMA && event_first < b) {
                        size_t c = b + 1, end = c;
                        while (end < p->n && p->tokens[end].type != TOK_COMMA && !is_word(&p->tokens[end], WORD_THEN))
                                end++;
                        size_t ca = c, cb = end;
                        bool all_unknown = trim(p, &ca, &cb);
                        for (size_t i = ca; all_unknown && i <= cb; i++)
                                all_unknown = p->tokens[i].type == TOK_SKIP || is_word(&p->tokens[i], WORD_UNKNOWN) ||
                                              is_word(&p->tokens[i], WORD_FILLER) || p->tokens[i].type == TOK_PUNCT ||
                                              p->tokens[i].type == TOK_OTHER;
                        if (!all_unknown)
                                break;
                        event_text(p, event_first, cb, dl.event, sizeof(dl.event));
                        take(p, b, end - 1);
                        b = end;
                }
                if (*n_out >= DEADLINE_RULES_MAX)
                        return phrase_fail(p, "'%s' names more than %d deadlines", p->phrase, DEADLINE_RULES_MAX);
                *any_event = true;
                out[(*n_out)++] = (struct placed) {.rule = dl, .at = at};
                a = b + 1;
        }
        return 0;
}

/* ---- Dates: stages, spans and recurrences. ---- */

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
        bool conflict = d->has_cur && (e->the_year || c->the_year || (e->year && c->year) || ((e->month || e->part) && (c->month || c->part)) ||
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
        for (size_t j = next_free(p, i); j < p->n; j = next_free(p, j)) {
                const struct token *t = &p->tokens[j];
                if (t->type == TOK_PUNCT || (t->type == TOK_NUM && t->digits <= 2) || is_word(t, WORD_MONTH) ||
                    is_word(t, WORD_QUARTER) || is_word(t, WORD_HALF) || is_word(t, WORD_FILLER) ||
                    is_word(t, WORD_ORDINAL) || (t->type == TOK_DASH && !t->spaced))
                        continue;
                if (t->type != TOK_NUM || t->digits != 4)
                        return false;
                size_t k = next_free(p, j);
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
        size_t sep = next_free(p, *i), j = sep < p->n ? next_free(p, sep) : p->n;
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
        size_t k = next_free(p, *i);
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
        for (size_t i = 0; i < p->n; i = next_free(p, i)) {
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
                size_t j = next_free(p, i);
                while (j < p->n && is_word(&p->tokens[j], WORD_FILLER))
                        j = next_free(p, j);
                size_t k2 = j < p->n ? next_free(p, j) : p->n;
                if (j < p->n && (p->tokens[j].type == TOK_NUM || is_word(&p->tokens[j], WORD_CARDINAL)))
                        return phrase_fail(p, "'%s' is once every %d %ss: merzim has no such rule", p->phrase,
                                           p->tokens[j].value,
                                           k2 < p->n && period_unit(&p->tokens[k2], &unit) ? period_names[unit] : "period");
                if (j < p->n && period_unit(&p->tokens[j], &unit)) {
                        found = true;
                        hi = j;
                } else {
                        for (k = lo; k-- > 0;) {
                                const struct token *b = &p->tokens[k];
                                if (b->type == TOK_SKIP || b->used || is_word(b, WORD_AT_LEAST) || is_word(b, WORD_FILLER))
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
                if (count > 1) /* "два раза в год": when in the year? */
                        return phrase_fail(p, "'%s' could mean by the end of each of %d parts of the %s, or on %d dates "
                                           "the plan does not give: write the dates", p->phrase, count,
                                           period_names[unit], count);
                int per_year = count * 12 / months_of(unit);
                enum deadline_unit every = per_year == 1    ? DEADLINE_UNIT_YEAR
                                           : per_year == 2  ? DEADLINE_UNIT_HALF
                                           : per_year == 4  ? DEADLINE_UNIT_QUARTER
                                           : per_year == 12 ? DEADLINE_UNIT_MONTH
                                                            : DEADLINE_UNIT_DAY;
                if (count < 1 || every == DEADLINE_UNIT_DAY || count * 12 % months_of(unit))
                        return phrase_fail(p, "'%s' is %d times a year: merzim has no such rule", p->phrase,
                                           per_year);
                int r = set_every(p, d, kind_of_unit(every), t);
                if (r < 0)
                        return r;
                take(p, lo, hi);
                d->named++;
        }
        return 0;
}

/* Whether the year word at token i means the plan's year: "в течение года", "до конца года", "жыл бойы". */
static bool the_year_word(const struct phrase *p, size_t i) {
        size_t k = i, j = next_free(p, i);
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
        case WORD_UNTIL:
                if (d->has_cur && (d->in_from || d->from_after))
                        d->pending = true;
                d->until = true;
                return 0;
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
static int read_dates(struct phrase *p, struct dates *d) {
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
                        size_t j = next_free(p, i);
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
                        size_t k = next_free(p, i);
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

/* ---- Rules from what the dates named. ---- */

/* The last day of a one-off rule's period, and the first of its span, from its points. */
static int point_rule(struct phrase *p, const struct point *e, bool month_start, struct deadline *dl) {
        *dl = (struct deadline) {.kind = DEADLINE_ONCE, .year = e->year};
        if (e->part) {
                bool quarter = e->part_unit == DEADLINE_UNIT_QUARTER;
                if (e->month || e->day)
                        return phrase_fail(p, "two conflicting dates in '%s': a %s and a day or month", p->phrase,
                                           period_names[e->part_unit]);
                if (e->part < 1 || e->part > (quarter ? 4 : 2))
                        return phrase_fail(p, "there is no %s %d in '%s'", period_names[e->part_unit], e->part,
                                           p->phrase);
                dl->unit = e->part_unit;
                dl->part = e->part;
                dl->month = e->part * months_of(e->part_unit);
        } else if (e->month) {
                dl->unit = e->day ? DEADLINE_UNIT_DAY : DEADLINE_UNIT_MONTH;
                dl->month = e->month;
                if (e->day && !date_valid(e->year, e->month, e->day))
                        return phrase_fail(p, "%d %s %d does not exist", e->day, phrase_month_name(e->month),
                                           e->year);
        } else if (e->day) {
                return phrase_fail(p, "no month for the day %d in '%s'", e->day, p->phrase);
        } else {
                dl->unit = DEADLINE_UNIT_YEAR;
                dl->month = 12;
        }
        dl->day = e->day ? e->day : month_start && dl->unit == DEADLINE_UNIT_MONTH ? 1 :
                                                                                     date_days_in_month(dl->year, dl->month);
        return 0;
}

/* The year of the plan when it is one year, or 0. */
static int plan_year(const struct deadline_context *ctx) {
        return ctx && ctx->year_from && ctx->year_from == ctx->year_to ? ctx->year_from : 0;
}

/* Refuse a phrase that names no year, saying what the plan's years are. */
static int fail_no_year(struct phrase *p, const struct deadline_context *ctx) {
        if (ctx && ctx->year_from)
                return phrase_fail(p, "no year in '%s', and the plan is for %d-%d: write the year", p->phrase,
                                   ctx->year_from, ctx->year_to);
        return phrase_fail(p, "no year in '%s'", p->phrase);
}

/* The rule of one stage: a one-off date (the end of a span), or a date each year of a range. */
static int stage_rule(struct phrase *p, const struct dates *d, struct stage *s, const struct deadline_context *ctx,
                      struct deadline *dl) {
        struct point *e = &s->to;
        bool month_start = ctx && ctx->month_start && s->bare && !s->span; /* "март", as the plan's act says */
        if (e->year_to) {
                if (s->span)
                        return phrase_fail(p, "'%s' could mean a span within each year of %d-%d or one span "
                                           "across them: write each stage with its year",
                                           p->phrase, e->year, e->year_to);
                if (!e->part && !e->month) {
                        if (e->day)
                                return phrase_fail(p, "no month for the day %d in '%s'", e->day, p->phrase);
                        *dl = (struct deadline) {.kind = DEADLINE_ONCE, .unit = DEADLINE_UNIT_YEAR, .year = e->year_to,
                                                 .month = 12, .day = 31, .from_year = e->year, .from_month = 1,
                                                 .from_day = 1, .from_unit = DEADLINE_UNIT_YEAR};
                        return 0;
                }
                struct point one = *e;
                one.year = 2000, one.year_to = 0; /* a leap year: 29 February stays */
                int r = point_rule(p, &one, false, dl);
                if (r < 0)
                        return r;
                *dl = (struct deadline) {.kind = DEADLINE_ANNUAL, .month = dl->month, .day = dl->day,
                                         .year_from = e->year, .year_to = e->year_to};
                return 0;
        }
        if (!e->part && !e->month && e->day)
                return phrase_fail(p, "no month for the day %d in '%s'", e->day, p->phrase);
        if (!e->year)
                return fail_no_year(p, ctx);
        if (!e->part && !e->month && !e->day && d->until && !d->end)
                return phrase_fail(p, "'%s' could mean by 31 December %d (before %d begins) or by 31 December %d: "
                                   "write the date",
                                   p->phrase, e->year - 1, e->year, e->year);
        int r = point_rule(p, e, month_start, dl);
        if (r < 0 || !s->span)
                return r;
        struct deadline first;
        if ((r = point_rule(p, &s->from, false, &first)) < 0)
                return r;
        if (s->from.year_to)
                return phrase_fail(p, "two conflicting dates in '%s': a span from a range of years", p->phrase);
        dl->from_unit = first.unit;
        dl->from_year = first.year;
        dl->from_month = first.unit == DEADLINE_UNIT_DAY ? first.month : first.month - months_of(first.unit) + 1;
        dl->from_day = first.unit == DEADLINE_UNIT_DAY ? first.day : 1;
        if (date_from_ymd(dl->from_year, dl->from_month, dl->from_day) >= date_from_ymd(dl->year, dl->month, dl->day))
                return phrase_fail(p, "the span in '%s' ends before it begins", p->phrase);
        return 0;
}

/* The rule of a recurring deadline: the period from the recurrence, the day and years from its stage. */
static int recurring_rule(struct phrase *p, const struct dates *d, const struct stage *s,
                          const struct deadline_context *ctx, struct deadline *dl) {
        struct point e = s ? s->to : (struct point) {0};
        if (s && s->span)
                return phrase_fail(p, "a recurring deadline over a span of dates: '%s'", p->phrase);
        *dl = (struct deadline) {.kind = d->every, .year_from = e.year, .year_to = e.year_to ? e.year_to : e.year};
        /* "начиная с 2025 года", "до 1 декабря 2024 года, далее ежегодно": from that year to the plan's end */
        bool from_then = d->then && d->every_word > d->then && s && s->to.at < (size_t) (d->then - p->tokens) &&
                         e.year && !e.year_to;
        if (s && (s->open || from_then)) {
                if (!ctx || ctx->year_to < e.year)
                        return phrase_fail(p, "'%s' starts in %d and the plan's last year is not known: write the "
                                           "last year", p->phrase, e.year);
                dl->year_to = ctx->year_to;
        }
        bool following = d->following || d->after;
        if (e.part && (e.month || e.day))
                return phrase_fail(p, "two conflicting dates in '%s': a %s and a day or month", p->phrase,
                                   period_names[e.part_unit]);
        if (d->every != DEADLINE_ANNUAL) {
                if (e.part || e.month)
                        return phrase_fail(p, "a %s deadline cannot name one %s: '%s'",
                                           d->every == DEADLINE_MONTHLY ? "monthly" : "recurring",
                                           e.part ? period_names[e.part_unit] : "month", p->phrase);
                dl->day = e.day;
                if (d->every == DEADLINE_MONTHLY) {
                        dl->after = e.day && following;
                        return 0;
                }
                if (e.day && !following)
                        return phrase_fail(p, "'%s' could mean day %d of the last month of each %s or of the month "
                                           "after it: say which month",
                                           p->phrase, e.day, d->every == DEADLINE_QUARTERLY ? "quarter" : "half-year");
                int step = d->every == DEADLINE_QUARTERLY ? 3 : 6;
                for (int m = step; e.day && m <= 12; m += step)
                        if (!date_valid(2000, m % 12 + 1, e.day))
                                return phrase_fail(p, "%d %s does not exist (the month after a %s): '%s'", e.day,
                                                   phrase_month_name(m % 12 + 1),
                                                   d->every == DEADLINE_QUARTERLY ? "quarter" : "half-year", p->phrase);
                return 0;
        }
        int month = e.part ? e.part * months_of(e.part_unit) : e.month ? e.month : 12;
        if (e.day && following && e.month) { /* "до 25 января года, следующего за отчетным" */
                dl->after = true;
        } else if (e.day && following) { /* "до 10 числа месяца, следующего за отчетным годом" */
                dl->after = month == 12;
                month = month % 12 + 1;
        } else if (e.day && !e.month) {
                return phrase_fail(p, "no month in the annual deadline '%s'", p->phrase);
        } else if (following && !e.day) {
                return phrase_fail_word(p, d->following ? d->following : d->after, d->following ? d->following : d->after);
        }
        dl->month = month;
        dl->day = e.day ? e.day : date_days_in_month(2000, month);
        if (!date_valid(2000, month, dl->day))
                return phrase_fail(p, "%d %s does not exist", dl->day, phrase_month_name(month));
        return 0;
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
                          (&p->tokens[next_free(p, (size_t) (d->following - p->tokens))] == d->month_unit ||
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
                                           d->bare[u]->src, period_names[u], p->phrase);
        return 0;
}

static int add_rule(struct phrase *p, struct placed *out, size_t *n, const struct deadline *dl, size_t at) {
        if (*n >= DEADLINE_RULES_MAX)
                return phrase_fail(p, "'%s' names more than %d deadlines", p->phrase, DEADLINE_RULES_MAX);
        out[(*n)++] = (struct placed) {.rule = *dl, .at = at};
        return 0;
}

/* The rules of the dates of a phrase. */
static int date_rules(struct phrase *p, struct dates *d, const struct deadline_context *ctx, bool events,
                      struct placed *out, size_t *n) {
        struct deadline dl;
        int r;
        const struct token *year_word = d->bare[DEADLINE_UNIT_YEAR];
        if (year_word && !d->recurs && !(d->following || d->after || d->reporting))
                return phrase_fail_word(p, year_word, year_word);
        if (d->part_list)
                return phrase_fail(p, "'%s' could mean one deadline at the end of the last period or one at the end of "
                                   "each: write a dash for a span, or each with its year", p->phrase);
        size_t kept = 0; /* "ежегодно, в течение года": the year is each year */
        for (size_t k = 0; k < d->n; k++) {
                const struct point *e = &d->stage[k].to;
                if (!(d->recurs && e->the_year && !e->part && !e->month && !e->day))
                        d->stage[kept++] = d->stage[k];
        }
        d->n = kept;
        if (d->continuous) {
                dl = (struct deadline) {.kind = DEADLINE_CONTINUOUS};
                if ((r = add_rule(p, out, n, &dl, (size_t) (d->continuous - p->tokens))) < 0)
                        return r;
        }
        /* "Ежегодно, к 1 февраля, начиная с 2025 года": the recurrence runs from that year. */
        for (size_t k = 0; d->recurs && d->n > 1 && k < d->n; k++) {
                const struct point *e = &d->stage[k].to;
                if (!d->stage[k].open || e->year_to || e->part || e->month || e->day || e->the_year)
                        continue;
                int start = e->year;
                memmove(&d->stage[k], &d->stage[k + 1], (d->n - k - 1) * sizeof(d->stage[0]));
                d->n--;
                for (size_t j = 0; j < d->n; j++)
                        if (!d->stage[j].to.year) {
                                d->stage[j].to.year = start;
                                d->stage[j].open = true;
                        }
                break;
        }
        if (d->recurs && d->n <= 1) {
                if ((r = recurring_rule(p, d, d->n ? &d->stage[0] : NULL, ctx, &dl)) < 0)
                        return r;
                size_t at = (size_t) (d->every_word - p->tokens);
                return add_rule(p, out, n, &dl, d->n && d->stage[0].to.at < at ? d->stage[0].to.at : at);
        }
        if (d->recurs) {
                /* Several stages: those with no year or a range of years recur ("Июнь, декабрь ежегодно"),
                 * those with one year are due once ("Июнь-июль 2001г. 1 квартал ежегодно 2002-2005
                 * годы"). */
                bool any = false;
                for (size_t k = 0; k < d->n; k++) {
                        struct stage s = d->stage[k];
                        if (s.to.year && !s.to.year_to) {
                                if ((r = stage_rule(p, d, &s, ctx, &dl)) < 0)
                                        return r;
                        } else {
                                const struct point *before = k > 0 ? &d->stage[k - 1].to : NULL;
                                if (!s.to.part && !s.to.month && !s.to.day && before &&
                                    (before->part || before->month || before->day))
                                        return phrase_fail(p, "'%s' could mean each year by the same quarter or month "
                                                           "as the stage before, or by the end of each year: write it "
                                                           "with each stage", p->phrase);
                                if ((r = recurring_rule(p, d, &s, ctx, &dl)) < 0)
                                        return r;
                                any = true;
                        }
                        if ((r = add_rule(p, out, n, &dl, s.span ? s.from.at : s.to.at)) < 0)
                                return r;
                }
                if (!any)
                        return phrase_fail(p, "a recurring deadline with more than one date: '%s'", p->phrase);
                return 0;
        }
        /* A stage without a year takes the year of the next stage when that year follows what it dates
         * ("Июнь, октябрь 2004 года"), or of the stage before when its year leads ("2024 жылғы IV
         * тоқсан, ..."), or the one year (or range of years) all the others name, or the plan's. */
        int only = 0, only_to = 0;
        bool several = false;
        for (size_t k = 0; k < d->n; k++) {
                const struct point *e = &d->stage[k].to;
                if (e->year && only && (e->year != only || e->year_to != only_to))
                        several = true;
                else if (e->year && !only)
                        only = e->year, only_to = e->year_to;
        }
        if (!only || several)
                only = 0, only_to = 0;
        for (size_t k = 0; k < d->n; k++) {
                struct stage *s = &d->stage[k];
                const struct point *next = NULL, *before = NULL;
                for (size_t j = k + 1; j < d->n && !next; j++)
                        next = d->stage[j].to.year ? &d->stage[j].to : NULL;
                for (size_t j = k; j-- > 0 && !before;)
                        before = d->stage[j].to.year ? &d->stage[j].to : NULL;
                const struct point *from = next && !next->leads ? next : before && before->leads ? before : NULL;
                if (s->to.the_year) {
                        int year = plan_year(ctx);
                        if (!year && ctx && ctx->year_from)
                                return phrase_fail(p, "'%s' could mean within each year of %d-%d or by the end of %d: "
                                                   "write 'ежегодно' or the year", p->phrase, ctx->year_from,
                                                   ctx->year_to, ctx->year_from);
                        if (!year)
                                return fail_no_year(p, ctx);
                        s->to.year = year;
                } else if (!s->to.year && (from || only)) {
                        s->to.year = from ? from->year : only;
                        s->to.year_to = from ? from->year_to : only_to;
                        d->borrowed = true;
                } else if (!s->to.year && plan_year(ctx)) {
                        s->to.year = plan_year(ctx);
                        s->bare = true;
                }
                if (s->span && !s->from.year)
                        s->from.year = s->to.year;
                if (s->open) {
                        dl = (struct deadline) {.kind = DEADLINE_CONTINUOUS}; /* "начиная с": from then on */
                } else if ((r = stage_rule(p, d, s, ctx, &dl)) < 0) {
                        return r;
                }
                if ((r = add_rule(p, out, n, &dl, s->span ? s->from.at : s->to.at)) < 0)
                        return r;
        }
        if (*n == 0 && d->as_needed && !events) { /* "по мере необходимости" alone */
                dl = (struct deadline) {.kind = DEADLINE_CONTINUOUS};
                return add_rule(p, out, n, &dl, 0);
        }
        return 0;
}

/* Remove the rules of a list that a test picks. */
static void drop(struct placed *v, size_t *n, bool (*pick)(const struct deadline *dl, const void *arg), const void *arg) {
        size_t kept = 0;
        for (size_t k = 0; k < *n; k++)
                if (!pick(&v[k].rule, arg))
                        v[kept++] = v[k];
        *n = kept;
}

static bool is_kind(const struct deadline *dl, const void *kind) {
        return dl->kind == *(const enum deadline_kind *) kind;
}

static bool is_year(const struct deadline *dl, _unused_ const void *arg) {
        return dl->kind == DEADLINE_ONCE && dl->unit == DEADLINE_UNIT_YEAR;
}

static bool has_kind(const struct placed *v, size_t n, enum deadline_kind kind) {
        for (size_t k = 0; k < n; k++)
                if (v[k].rule.kind == kind)
                        return true;
        return false;
}

/* Whether an event's words hold one of some stems ("итог", "график"), in any case. */
static bool event_says(const struct deadline *dl, const char *const *stems) {
        _cleanup_free_ char *folded = utf8_fold(dl->event);
        for (; *stems; stems++)
                if (strstr(folded, *stems))
                        return true;
        return false;
}

/* Put the events of a cell and its dates together: a count of days after an event is the deadline of
 * what is done "постоянно"; "постоянно, после X" is done from X on; a year or a range of years beside
 * an event or "постоянно" is the period of the work, not a deadline; and a recurrence without a date of
 * its own is dated by an event of results ("Ежегодно, по итогам года": by hand), refused beside a
 * schedule that is not given ("Ежегодно, по графику"), and keeps its dates beside a plan of the work
 * ("Ежеквартально согласно плану"). */
static int combine(struct phrase *p, const struct dates *d, struct placed *events, size_t *n_events,
                   struct placed *dates, size_t *n_dates) {
        static const char *const results[] = {"итог", "результат", "қорытынды", "нәтиже", "завершени", "окончани",
                                              NULL};
        static const char *const schedule[] = {"график", "кесте", "расписани", NULL};
        static const enum deadline_kind continuous = DEADLINE_CONTINUOUS, event = DEADLINE_EVENT;
        if (has_kind(events, *n_events, DEADLINE_RELATIVE))
                drop(dates, n_dates, is_kind, &continuous);
        if (has_kind(dates, *n_dates, DEADLINE_CONTINUOUS))
                drop(events, n_events, is_kind, &event);
        if (has_kind(dates, *n_dates, DEADLINE_CONTINUOUS) || has_kind(events, *n_events, DEADLINE_EVENT))
                drop(dates, n_dates, is_year, NULL);
        if (!d->recurs || d->n > 0 || *n_events == 0)
                return 0;
        if (has_kind(events, *n_events, DEADLINE_RELATIVE)) {
                drop(dates, n_dates, is_kind, &d->every);
                return 0;
        }
        for (size_t k = 0; k < *n_events; k++) {
                if (event_says(&events[k].rule, schedule))
                        return phrase_fail(p, "'%s' could mean by the end of each period, or on the dates of a schedule "
                                           "the plan does not give: write the dates", p->phrase);
                if (!event_says(&events[k].rule, results))
                        continue;
                /* "Ежегодно, по итогам года": the event decides the date, not the end of the period. */
                size_t first = 0, last = p->n - 1;
                while (first < last && (p->tokens[first].type == TOK_PUNCT || p->tokens[first].type == TOK_SKIP))
                        first++;
                while (last > first && (p->tokens[last].type == TOK_PUNCT || p->tokens[last].type == TOK_SKIP ||
                                        p->tokens[last].type == TOK_COMMA))
                        last--;
                drop(dates, n_dates, is_kind, &d->every);
                *n_events = 1;
                events[0] = (struct placed) {.rule = {.kind = DEADLINE_EVENT}, .at = 0};
                event_text(p, first, last, events[0].rule.event, sizeof(events[0].rule.event));
                return 0;
        }
        *n_events = 0; /* "согласно плану": how the work is planned, not when it is due */
        return 0;
}

/* The nominal date of a one-off rule, to check that stages come in order. */
static day_t once_date(const struct deadline *dl) {
        return date_from_ymd(dl->year, dl->month, dl->day);
}

int phrase_read(struct phrase *p, const struct deadline_context *ctx, struct deadline_rules *ret) {
        struct placed placed[2 * DEADLINE_RULES_MAX];
        size_t n_events = 0, n = 0;
        bool any_event = false;
        struct dates d = {0};
        int r;
        if ((r = read_events(p, placed, &n_events, &any_event)) < 0 || (r = read_dates(p, &d)) < 0 ||
            (r = read_recurrence(p, &d)) < 0)
                return r;
        if (d.named == 0 && n_events == 0)
                return phrase_fail(p, "the deadline is empty");
        n = n_events;
        struct placed dates[DEADLINE_RULES_MAX];
        size_t n_dates = 0;
        if ((r = date_rules(p, &d, ctx, n_events > 0, dates, &n_dates)) < 0)
                return r;
        if ((r = combine(p, &d, placed, &n, dates, &n_dates)) < 0)
                return r;
        if (n_dates == 0 && n == 0)
                return phrase_fail(p, "no date in '%s'", p->phrase);
        for (size_t k = 0; k < n_dates; k++)
                placed[n++] = dates[k];
        /* In the order written; the same rule twice is one ("15 маусым 2022, 15.06.2022"). */
        ret->n = 0;
        day_t last_once = 0;
        for (size_t done = 0; done < n; done++) {
                size_t best = done;
                for (size_t k = done + 1; k < n; k++)
                        if (placed[k].at < placed[best].at)
                                best = k;
                struct placed t = placed[best];
                placed[best] = placed[done];
                placed[done] = t;
                const struct deadline *dl = &placed[done].rule;
                char text[512], other[512];
                bool again = false;
                deadline_format(dl, text, sizeof(text));
                for (size_t k = 0; k < ret->n && !again; k++) {
                        deadline_format(&ret->rule[k], other, sizeof(other));
                        again = streq(text, other);
                }
                if (again)
                        continue;
                if (dl->kind == DEADLINE_ONCE) {
                        /* A stage that took its year from another must come after it: "2023 жылғы IV
                         * тоқсан, I тоқсан" may mean the first quarter of 2024. */
                        if (last_once && once_date(dl) < last_once && d.borrowed)
                                return phrase_fail(p, "the stages of '%s' are out of order: one without a year is "
                                                   "due before the one it takes its year from; write its year",
                                                   p->phrase);
                        last_once = once_date(dl);
                }
                if (ret->n >= DEADLINE_RULES_MAX)
                        return phrase_fail(p, "'%s' names more than %d deadlines", p->phrase, DEADLINE_RULES_MAX);
                ret->rule[ret->n++] = *dl;
        }
        return 0;
}
