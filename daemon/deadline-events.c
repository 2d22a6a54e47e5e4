/* The events of the deadline language: a count of days, weeks, months or years before or after an
 * event ("в течение 5 рабочих дней после подписания справки", "жоспар бекітілген күннен бастап 3
 * жұмыс күні ішінде"), an event alone ("по итогам проверки", "шығу кезінде"), and the words of a cell
 * that say how a stage is done rather than when. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "deadline-phrase.h"
#include "utf8.h"
#include "util.h"

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
        for (size_t i = a; i < b; i = phrase_next_free(p, i)) {
                struct token *t = &p->tokens[i];
                size_t j = phrase_next_free(p, i);
                /* "в течение года со дня", "через месяц после": one of what follows */
                bool implicit = event && (is_word(t, WORD_THROUGHOUT) ||
                                          (is_word(t, WORD_AFTER) && t->len == strlen("через") &&
                                           memcmp(t->text, "через", t->len) == 0));
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
                        j = phrase_next_free(p, j);
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
void phrase_event_text(const struct phrase *p, size_t first, size_t last, char *out, size_t len) {
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
        for (size_t k = phrase_next_free(p, last); k < b && frame_word(&p->tokens[k]); k = phrase_next_free(p, k))
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
        phrase_event_text(p, ev_a, ev_b, dl->event, sizeof(dl->event));
        *event_first = unknown_before ? p->n : ev_a; /* only an event after its count goes on past a comma */
        phrase_take(p, a, b - 1);
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
            first->cls == WORD_UNTIL || first->cls == WORD_FROM || first->cls == WORD_RANGE ||
            last->cls == WORD_AFTER ||
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
                phrase_take(p, lo, hi);
        }
}

/* Whether a token may stand in a note: anything but a year, a month, a quarter or half-year, a date. */
static bool note_word(const struct token *t) {
        if (t->type == TOK_NUM)
                return t->digits < 4;
        if (t->type == TOK_DATE || t->type == TOK_PART || t->type == TOK_DASH || t->type == TOK_COMMA)
                return t->type != TOK_DATE && t->type != TOK_PART;
        return event_word(t) || is_word(t, WORD_ORDINAL) || is_word(t, WORD_CARDINAL) || is_word(t, WORD_PERIOD);
}

/* Whether a token may stand in a remark: words the language does not know, and "согласно", "по",
 * "с", no date, count or deadline word. */
static bool remark_word(const struct token *t) {
        if (t->type != TOK_WORD)
                return t->type != TOK_NUM && t->type != TOK_DATE && t->type != TOK_PART;
        return t->cls == WORD_UNKNOWN || t->cls == WORD_FILLER || t->cls == WORD_EVENT || t->cls == WORD_FROM ||
               t->cls == WORD_RANGE || t->cls == WORD_MEANS;
}

/* Whether a token dates a phrase on its own: a date, a year, a month, a quarter or half-year. */
static bool dating_token(const struct token *t) {
        return t->type == TOK_DATE || t->type == TOK_PART || (t->type == TOK_NUM && t->digits == 4) ||
               is_word(t, WORD_YEAR) || is_word(t, WORD_MONTH) || is_word(t, WORD_QUARTER) || is_word(t, WORD_HALF);
}

/* Take notes in parentheses: with words the language does not know and no date ("декабрь 2024 года
 * (проект)", "2025 год (I этап)"), they name a stage, not its date; after a date, a remark of how it is
 * done ("В течение 2002 г. (согласно плану)", "В течение года (по согласов.с международ.
 * организациями)") is no event to wait for. A phrase of nothing but such a note keeps it, to be
 * refused. */
static void take_notes(struct phrase *p) {
        bool outside = false, dated = false;
        for (size_t i = 0, depth = 0; i < p->n; i++) {
                const struct token *t = &p->tokens[i];
                if (t->type == TOK_PUNCT && (*t->src == '(' || *t->src == ')'))
                        depth += *t->src == '(' ? 1 : depth ? (size_t) -1 : 0;
                else if (!depth && t->type != TOK_SKIP && t->type != TOK_PUNCT && t->type != TOK_COMMA) {
                        outside = true;
                        dated = dated || dating_token(t);
                }
        }
        for (size_t i = 0; outside && i < p->n; i++) {
                if (p->tokens[i].type != TOK_PUNCT || *p->tokens[i].src != '(')
                        continue;
                size_t k = i + 1;
                while (k < p->n && !(p->tokens[k].type == TOK_PUNCT && *p->tokens[k].src == ')'))
                        k++;
                if (k >= p->n)
                        break;
                bool all_note = true, named = false, remark = dated, unknown = false;
                for (size_t j = i + 1; j < k; j++) {
                        const struct token *t = &p->tokens[j];
                        all_note = all_note && note_word(t);
                        named = named || is_word(t, WORD_UNKNOWN) || is_word(t, WORD_PERIOD);
                        remark = remark && remark_word(t);
                        unknown = unknown || is_word(t, WORD_UNKNOWN);
                }
                if ((all_note && named) || (remark && unknown))
                        phrase_take(p, i, k);
                i = k;
        }
}

/* Read the events of a phrase, clause by clause (clauses end at commas and "далее"): a clause with a
 * count is a relative rule, one with an event's words an event rule. */
int phrase_read_events(struct phrase *p, struct placed *out, size_t *n_out) {
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
                        phrase_event_text(p, sa, sb, dl.event, sizeof(dl.event));
                        phrase_take(p, sa, sb);
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
                        phrase_event_text(p, event_first, cb, dl.event, sizeof(dl.event));
                        phrase_take(p, b, end - 1);
                        b = end;
                }
                if (*n_out >= DEADLINE_RULES_MAX)
                        return phrase_fail(p, "'%s' names more than %d deadlines", p->phrase, DEADLINE_RULES_MAX);
                out[(*n_out)++] = (struct placed) {.rule = dl, .at = at};
                a = b + 1;
        }
        return 0;
}
