/* The grammar of the deadline language: the words of a cell read into its rules. A cell may name several
 * stages, spans of periods, a recurrence, a count of days before or after an event, or an event alone
 * (deadline-events.c, deadline-stages.c); this puts them together, and what could mean two things is
 * refused with both readings. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "deadline-phrase.h"
#include "utf8.h"
#include "util.h"

const char *const phrase_period_names[5] = {"day", "month", "quarter", "half-year", "year"};

int phrase_months_of(enum deadline_unit unit) {
        return unit == DEADLINE_UNIT_QUARTER ? 3 : unit == DEADLINE_UNIT_HALF ? 6 : unit == DEADLINE_UNIT_YEAR ? 12 : 1;
}

/* The last day of a one-off rule's period, and the first of its span, from its points. */
static int point_rule(struct phrase *p, const struct point *e, bool month_start, struct deadline *dl) {
        *dl = (struct deadline) {.kind = DEADLINE_ONCE, .year = e->year};
        if (e->part) {
                bool quarter = e->part_unit == DEADLINE_UNIT_QUARTER;
                if (e->month || e->day)
                        return phrase_fail(p, "two conflicting dates in '%s': a %s and a day or month", p->phrase,
                                           phrase_period_names[e->part_unit]);
                if (e->part < 1 || e->part > (quarter ? 4 : 2))
                        return phrase_fail(p, "there is no %s %d in '%s'", phrase_period_names[e->part_unit], e->part,
                                           p->phrase);
                dl->unit = e->part_unit;
                dl->part = e->part;
                dl->month = e->part * phrase_months_of(e->part_unit);
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
        if (e->day)
                dl->day = e->day;
        else
                dl->day = month_start && dl->unit == DEADLINE_UNIT_MONTH ? 1 : date_days_in_month(dl->year, dl->month);
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
        if (!e->part && e->month && !e->day && !e->year_to && d->until_start && !d->end && !s->span) {
                /* "до мая 2000 года": by 30 April, before May begins, or by 31 May? */
                static const char *const months[] = {"January", "February", "March", "April", "May", "June",
                                                     "July", "August", "September", "October", "November",
                                                     "December"};
                int py = e->month == 1 ? e->year - 1 : e->year, pm = e->month == 1 ? 12 : e->month - 1;
                return phrase_fail(p, "'%s' could mean by %d %s %d (before %s begins) or by %d %s %d: write the "
                                   "date", p->phrase, date_days_in_month(py, pm), months[pm - 1], py,
                                   months[e->month - 1], date_days_in_month(e->year, e->month), months[e->month - 1],
                                   e->year);
        }
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
        dl->from_month = first.unit == DEADLINE_UNIT_DAY ? first.month : first.month - phrase_months_of(first.unit) + 1;
        dl->from_day = first.unit == DEADLINE_UNIT_DAY ? first.day : 1;
        if (date_from_ymd(dl->from_year, dl->from_month, dl->from_day) >= date_from_ymd(dl->year, dl->month, dl->day))
                return phrase_fail(p, "the span in '%s' ends before it begins", p->phrase);
        return 0;
}

/* The rule of a recurring deadline: the period from the recurrence, the day and years from its stage. */
static int recurring_rule(struct phrase *p, const struct dates *d, const struct stage *s,
                          const struct deadline_context *ctx, struct deadline *dl) {
        struct point e = s ? s->to : (struct point) {0};
        /* "Апрель-май ежегодно": each year by the span's end, as a span once is due at its end. */
        if (s && s->span && (d->every != DEADLINE_ANNUAL || s->from.year || e.year))
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
                                   phrase_period_names[e.part_unit]);
        if (d->every != DEADLINE_ANNUAL) {
                if (e.part || e.month)
                        return phrase_fail(p, "a %s deadline cannot name one %s: '%s'",
                                           d->every == DEADLINE_MONTHLY ? "monthly" : "recurring",
                                           e.part ? phrase_period_names[e.part_unit] : "month", p->phrase);
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
        int month = e.part ? e.part * phrase_months_of(e.part_unit) : e.month ? e.month : 12;
        if (e.day && following && e.month) { /* "до 25 января года, следующего за отчетным" */
                dl->after = true;
        } else if (e.day && following) { /* "до 10 числа месяца, следующего за отчетным годом" */
                dl->after = month == 12;
                month = month % 12 + 1;
        } else if (e.day && !e.month) {
                return phrase_fail(p, "no month in the annual deadline '%s'", p->phrase);
        } else if (following && !e.day) {
                const struct token *t = d->following ? d->following : d->after;
                return phrase_fail_word(p, t, t);
        }
        dl->month = month;
        dl->day = e.day ? e.day : date_days_in_month(2000, month);
        if (!date_valid(2000, month, dl->day))
                return phrase_fail(p, "%d %s does not exist", dl->day, phrase_month_name(month));
        return 0;
}

/* Add a rule and where it is written to a list, unless the list is full. */
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
        if (d->times) { /* "2 раза в год (июнь, декабрь)": each of the dates named, each year */
                bool dated = d->n == (size_t) d->times && !d->recurs;
                for (size_t k = 0; k < d->n && dated; k++)
                        dated = (d->stage[k].to.month || d->stage[k].to.part) && !d->stage[k].span &&
                                (!d->stage[k].to.year || d->stage[k].to.year_to);
                if (!dated)
                        return phrase_fail(p, "'%s' could mean by the end of each of %d parts of the year, or on %d "
                                           "dates the plan does not give: write the dates", p->phrase, d->times,
                                           d->times);
                d->recurs = true;
                d->every = DEADLINE_ANNUAL;
        }
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
                                /* "до 1 июля 2025 года, далее – ежегодно до 1 июля": after it, to the end */
                                bool then = !s.to.year && before && before->year && !before->year_to && d->then &&
                                            s.to.at > (size_t) (d->then - p->tokens) && *n > 0 &&
                                            out[*n - 1].rule.kind == DEADLINE_ONCE;
                                if (then) {
                                        s.to.year = before->year;
                                        s.open = true;
                                }
                                if ((r = recurring_rule(p, d, &s, ctx, &dl)) < 0)
                                        return r;
                                if (then && dl.kind == DEADLINE_ANNUAL && dl.year_from < dl.year_to &&
                                    date_from_ymd(dl.year_from + dl.after, dl.month, dl.day) <=
                                            date_from_ymd(out[*n - 1].rule.year, out[*n - 1].rule.month,
                                                          out[*n - 1].rule.day))
                                        dl.year_from++;
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
static void drop(struct placed *v, size_t *n, bool (*pick)(const struct deadline *dl, const void *arg),
                 const void *arg) {
        size_t kept = 0;
        for (size_t k = 0; k < *n; k++)
                if (!pick(&v[k].rule, arg))
                        v[kept++] = v[k];
        *n = kept;
}

/* Whether a rule is of a kind (for drop). */
static bool is_kind(const struct deadline *dl, const void *kind) {
        return dl->kind == *(const enum deadline_kind *) kind;
}

/* Whether a rule is a year or a range of years (for drop). */
static bool is_year(const struct deadline *dl, _unused_ const void *arg) {
        return dl->kind == DEADLINE_ONCE && dl->unit == DEADLINE_UNIT_YEAR;
}

/* Whether a list has a rule of a kind. */
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
                        return phrase_fail(p, "'%s' could mean by the end of each period, or on the dates of a "
                                           "schedule the plan does not give: write the dates", p->phrase);
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
                phrase_event_text(p, first, last, events[0].rule.event, sizeof(events[0].rule.event));
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
        struct dates d = {0};
        int r;
        if ((r = phrase_read_events(p, placed, &n_events)) < 0 || (r = phrase_read_dates(p, &d)) < 0)
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
