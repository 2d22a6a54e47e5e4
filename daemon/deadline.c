/* The deadline language: the "Орындау мерзімі" / "Срок исполнения" column of a plan read into rules
 * (deadline-words.c, deadline-events.c, deadline-stages.c, deadline-read.c), the canonical text a rule
 * is stored as, and a rule expanded into dated occurrences. */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "calendar.h"
#include "deadline-phrase.h"
#include "deadline.h"
#include "utf8.h"
#include "util.h"

static const char *const unit_names[] = {"day", "month", "quarter", "half", "year"};
static const char *const step_names[] = {"days", "workdays", "weeks", "months", "years"};

/* The label of a period: "2022-06-15", "2022-06", "2022-Q4", "2023-H1", "2025". month is its last month,
 * or for a span's start its first. */
static void period_label(enum deadline_unit unit, int year, int month, int day, char *buf, size_t len) {
        int months = phrase_months_of(unit);
        switch (unit) {
        case DEADLINE_UNIT_DAY:
                snprintf(buf, len, "%04d-%02d-%02d", year, month, day);
                break;
        case DEADLINE_UNIT_MONTH:
                snprintf(buf, len, "%04d-%02d", year, month);
                break;
        case DEADLINE_UNIT_QUARTER:
        case DEADLINE_UNIT_HALF:
                snprintf(buf, len, "%04d-%c%d", year, unit == DEADLINE_UNIT_QUARTER ? 'Q' : 'H',
                         (month - 1) / months + 1);
                break;
        case DEADLINE_UNIT_YEAR:
                snprintf(buf, len, "%04d", year);
                break;
        }
}

void deadline_format(const struct deadline *dl, char *buf, size_t len) {
        char range[16] = "", day[8], from[24] = "";
        if (dl->year_from)
                snprintf(range, sizeof(range), " %04d-%04d", dl->year_from, dl->year_to);
        if (dl->day)
                snprintf(day, sizeof(day), "%d", dl->day);
        else
                snprintf(day, sizeof(day), "end");
        switch (dl->kind) {
        case DEADLINE_ONCE:
                if (dl->from_year) {
                        char label[16];
                        period_label(dl->from_unit, dl->from_year, dl->from_month, dl->from_day, label, sizeof(label));
                        snprintf(from, sizeof(from), " from %s", label);
                }
                snprintf(buf, len, "once %04d-%02d-%02d %s%s", dl->year, dl->month, dl->day,
                         (unsigned) dl->unit < ELEMENTSOF(unit_names) ? unit_names[dl->unit] : "day", from);
                break;
        case DEADLINE_ANNUAL:
                snprintf(buf, len, "annual %02d-%02d%s%s", dl->month, dl->day, dl->after ? " after" : "", range);
                break;
        case DEADLINE_QUARTERLY:
                snprintf(buf, len, "quarterly %s%s", day, range);
                break;
        case DEADLINE_HALFYEARLY:
                snprintf(buf, len, "halfyearly %s%s", day, range);
                break;
        case DEADLINE_MONTHLY:
                snprintf(buf, len, "monthly %s%s%s", day, dl->after ? " after" : "", range);
                break;
        case DEADLINE_RELATIVE:
                snprintf(buf, len, "relative %c%d %s %s «%s»", dl->before ? '-' : '+', dl->amount,
                         (unsigned) dl->step < ELEMENTSOF(step_names) ? step_names[dl->step] : "days",
                         dl->before ? "before" : "after", dl->event);
                break;
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

/* ---- The canonical text read back. ---- */

/* Take a word at *s if it is there. */
static bool eat(const char **s, const char *word) {
        size_t n = strlen(word);
        if (strncmp(*s, word, n) != 0)
                return false;
        *s += n;
        return true;
}

/* Take a number of min to max digits at *s. */
static bool number(const char **s, int min, int max, int *ret) {
        int v = 0, digits = 0;
        while (**s >= '0' && **s <= '9' && digits < max)
                v = v * 10 + (*(*s)++ - '0'), digits++;
        *ret = v;
        return digits >= min && !(**s >= '0' && **s <= '9');
}

/* Read " YYYY-YYYY" at the end of a rule, if it is there; false if the rest is anything else. */
static bool read_range(const char *s, struct deadline *dl) {
        if (!*s)
                return true;
        return eat(&s, " ") && number(&s, 4, 4, &dl->year_from) && eat(&s, "-") &&
               number(&s, 4, 4, &dl->year_to) && !*s && dl->year_from >= PHRASE_YEAR_MIN &&
               dl->year_to <= PHRASE_YEAR_MAX && dl->year_to >= dl->year_from;
}

/* Read a period label, "2024-Q1", "2024-06-01", "2023", into its unit and first day. */
static bool read_label(const char *s, struct deadline *dl) {
        int y, a, b;
        char kind = 0;
        if (!number(&s, 4, 4, &y) || y < PHRASE_YEAR_MIN || y > PHRASE_YEAR_MAX)
                return false;
        dl->from_year = y, dl->from_month = 1, dl->from_day = 1, dl->from_unit = DEADLINE_UNIT_YEAR;
        if (!*s)
                return true;
        if (!eat(&s, "-"))
                return false;
        if (*s == 'Q' || *s == 'H') {
                kind = *s++;
                if (!number(&s, 1, 1, &a) || *s || a < 1 || a > (kind == 'Q' ? 4 : 2))
                        return false;
                dl->from_unit = kind == 'Q' ? DEADLINE_UNIT_QUARTER : DEADLINE_UNIT_HALF;
                dl->from_month = (a - 1) * phrase_months_of(dl->from_unit) + 1;
                return true;
        }
        if (!number(&s, 2, 2, &a) || a < 1 || a > 12)
                return false;
        dl->from_month = a, dl->from_unit = DEADLINE_UNIT_MONTH;
        if (!*s)
                return true;
        if (!eat(&s, "-") || !number(&s, 2, 2, &b) || *s || !date_valid(y, a, b))
                return false;
        dl->from_day = b, dl->from_unit = DEADLINE_UNIT_DAY;
        return true;
}

/* Read "once DATE UNIT [from LABEL]". */
static bool read_once(const char *s, struct deadline *dl) {
        int y, m, d;
        if (!number(&s, 4, 4, &y) || !eat(&s, "-") || !number(&s, 2, 2, &m) || !eat(&s, "-") ||
            !number(&s, 2, 2, &d) || !eat(&s, " "))
                return false;
        unsigned unit = 0;
        while (unit < ELEMENTSOF(unit_names) && !eat(&s, unit_names[unit]))
                unit++;
        if (unit >= ELEMENTSOF(unit_names) || y < PHRASE_YEAR_MIN || y > PHRASE_YEAR_MAX || !date_valid(y, m, d))
                return false;
        int months = phrase_months_of(unit), last = date_days_in_month(y, m);
        if (m % months || (unit == DEADLINE_UNIT_MONTH ? d != 1 && d != last : unit != DEADLINE_UNIT_DAY && d != last))
                return false;
        *dl = (struct deadline) {.kind = DEADLINE_ONCE, .unit = unit, .year = y, .month = m, .day = d,
                                 .part = months > 1 && months < 12 ? m / months : 0};
        if (!*s)
                return true;
        return eat(&s, " from ") && read_label(s, dl) &&
               date_from_ymd(dl->from_year, dl->from_month, dl->from_day) < date_from_ymd(y, m, d);
}

/* Read a recurring rule's day: a number or "end". */
static bool read_day(const char **s, int max, struct deadline *dl) {
        if (eat(s, "end"))
                return true;
        return number(s, 1, 2, &dl->day) && dl->day >= 1 && dl->day <= max;
}

/* Read "relative +5 workdays after «EVENT»" or "event «EVENT»"; s is after the kind's word. */
static bool read_event(const char *s, struct deadline *dl) {
        if (dl->kind == DEADLINE_RELATIVE) {
                char sign = *s++;
                unsigned step = 0;
                if ((sign != '+' && sign != '-') || !number(&s, 1, 4, &dl->amount) || dl->amount > 3660 ||
                    !eat(&s, " "))
                        return false;
                while (step < ELEMENTSOF(step_names) && !eat(&s, step_names[step]))
                        step++;
                if (step >= ELEMENTSOF(step_names) || !eat(&s, sign == '+' ? " after " : " before "))
                        return false;
                dl->step = step;
                dl->before = sign == '-';
        }
        size_t n = strlen(s);
        if (!eat(&s, "«") || n < 4 || strcmp(s + n - 4, "»") != 0 || n - 4 >= sizeof(dl->event))
                return false;
        memcpy(dl->event, s, n - 4);
        dl->event[n - 4] = 0;
        return !isempty(dl->event) && !strstr(dl->event, "«") && !strstr(dl->event, "»");
}

/* Read one rule as deadline_format() writes it; 1 if s is not one, -EINVAL if it is one and is wrong. */
static int read_rule(struct phrase *p, const char *s, struct deadline *dl) {
        *dl = (struct deadline) {0};
        const char *rest = s;
        bool ok;
        if (eat(&rest, "once "))
                ok = read_once(rest, dl);
        else if (eat(&rest, "continuous"))
                ok = !*rest;
        else if (eat(&rest, "annual ")) {
                dl->kind = DEADLINE_ANNUAL;
                ok = number(&rest, 2, 2, &dl->month) && eat(&rest, "-") && number(&rest, 2, 2, &dl->day) &&
                     date_valid(2000, dl->month, dl->day);
                dl->after = ok && eat(&rest, " after");
                ok = ok && read_range(rest, dl);
        } else if (eat(&rest, "quarterly ")) {
                dl->kind = DEADLINE_QUARTERLY;
                ok = read_day(&rest, 30, dl) && read_range(rest, dl);
        } else if (eat(&rest, "halfyearly ")) {
                dl->kind = DEADLINE_HALFYEARLY;
                ok = read_day(&rest, 31, dl) && read_range(rest, dl);
        } else if (eat(&rest, "monthly ")) {
                dl->kind = DEADLINE_MONTHLY;
                ok = read_day(&rest, 31, dl);
                dl->after = ok && dl->day && eat(&rest, " after");
                ok = ok && read_range(rest, dl);
        } else if (eat(&rest, "relative ")) {
                dl->kind = DEADLINE_RELATIVE;
                ok = read_event(rest, dl);
        } else if (eat(&rest, "event ")) {
                dl->kind = DEADLINE_EVENT;
                ok = read_event(rest, dl);
        } else {
                return 1;
        }
        /* A phrase that starts like a rule ("quarterly by the 10th ...") is read as a phrase; a rule with
         * a date that cannot be is an error. */
        if (ok)
                return 0;
        int y, m, d;
        if (sscanf(s, "once %4d-%2d-%2d", &y, &m, &d) == 3 || sscanf(s, "annual %2d-%2d ", &m, &d) == 2)
                return phrase_fail(p, "malformed rule '%s'", p->phrase);
        return 1;
}

/* Read rules as deadline_format_rules() writes them; 1 if the text is not such. */
static int read_canonical(struct phrase *p, const char *text, struct deadline_rules *ret) {
        _cleanup_free_ char *copy = xstrdup(text);
        char *s = copy;
        ret->n = 0;
        for (;;) {
                int depth = 0;
                char *end = s;
                for (; *end && !(depth == 0 && end[0] == ';' && end[1] == ' '); end++) {
                        if (strncmp(end, "«", 2) == 0)
                                depth++;
                        else if (strncmp(end, "»", 2) == 0 && depth > 0)
                                depth--;
                }
                bool last = !*end;
                *end = 0;
                if (ret->n >= DEADLINE_RULES_MAX)
                        return 1;
                int r = read_rule(p, s, &ret->rule[ret->n]);
                if (r != 0) {
                        ret->n = 0;
                        return r;
                }
                ret->n++;
                if (last)
                        return 0;
                s = end + 2;
        }
}

int deadline_read(const char *phrase, const struct deadline_context *ctx, struct deadline_rules *ret, char *err,
                  size_t errlen) {
        struct phrase p = {.phrase = phrase ? phrase : "", .err = err, .errlen = errlen};
        size_t bad = 0;
        if (err && errlen)
                err[0] = 0;
        if (ret)
                ret->n = 0;
        if (!phrase || !ret)
                return phrase_fail(&p, "no deadline given");
        if (!utf8_valid(phrase, strlen(phrase), &bad))
                return phrase_fail(&p, "the deadline is not valid UTF-8 (at byte %zu)", bad);
        _cleanup_free_ char *squeezed = utf8_squeeze(phrase);
        int r = read_canonical(&p, squeezed, ret);
        if (r <= 0)
                return r;
        if ((r = phrase_lex(&p, phrase, err, errlen)) >= 0)
                r = phrase_read(&p, ctx, ret);
        phrase_done(&p);
        if (r < 0)
                ret->n = 0;
        return r;
}

int deadline_parse(const char *phrase, struct deadline *ret, char *err, size_t errlen) {
        struct deadline_rules rules;
        int r = deadline_read(phrase, NULL, &rules, err, errlen);
        if (r < 0)
                return r;
        if (rules.n != 1) {
                struct phrase p = {.phrase = phrase, .err = err, .errlen = errlen};
                return phrase_fail(&p, "'%s' names %zu deadlines, not one", phrase, rules.n);
        }
        *ret = rules.rule[0];
        return 0;
}

/* ---- Dates. ---- */

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
                for (int k = 0; k < got; k++) {
                        /* A measure has one occurrence a period: two rules naming one period are told apart. */
                        bool same_day = false, same_period = false;
                        for (int j = 0; j < n; j++) {
                                bool period = streq(all[j].period, occ[k].period);
                                same_period = same_period || period;
                                same_day = same_day || (period && all[j].nominal == occ[k].nominal);
                        }
                        if (same_day)
                                continue;
                        all[n] = occ[k];
                        if (same_period) { /* "2024" of June and of December: "2024-12" */
                                int y, m, d;
                                date_to_ymd(occ[k].nominal, &y, &m, &d);
                                size_t used = strlen(all[n].period);
                                snprintf(all[n].period + used, sizeof(all[n].period) - used, "-%02d", m);
                                for (int j = 0; j < n; j++)
                                        if (streq(all[j].period, all[n].period))
                                                snprintf(all[n].period + used, sizeof(all[n].period) - used, " #%zu",
                                                         i + 1);
                        }
                        n++;
                }
                free(occ);
        }
        *ret = all;
        return n;
}

/* The occurrences of a recurring rule in one year: period label and nominal date. */
static int expand_year(const struct deadline *dl, int y, struct deadline_occurrence *occ) {
        int n = 0, every = dl->kind == DEADLINE_QUARTERLY ? 3 : dl->kind == DEADLINE_HALFYEARLY ? 6 :
                                 dl->kind == DEADLINE_MONTHLY ? 1 : 12;
        for (int m = every; m <= 12; m += every, n++) {
                int py = y, pm = m, day = dl->day;
                if (dl->kind == DEADLINE_ANNUAL) {
                        snprintf(occ[n].period, sizeof(occ[n].period), "%04d", y);
                        py = dl->after ? y + 1 : y, pm = dl->month;
                } else {
                        enum deadline_unit unit = every == 1   ? DEADLINE_UNIT_MONTH
                                                  : every == 3 ? DEADLINE_UNIT_QUARTER
                                                               : DEADLINE_UNIT_HALF;
                        period_label(unit, y, m, 0, occ[n].period, sizeof(occ[n].period));
                        if (day && (dl->kind != DEADLINE_MONTHLY || dl->after)) /* the month after the period */
                                py = m == 12 ? y + 1 : y, pm = m % 12 + 1;
                }
                int last = date_days_in_month(py, pm); /* 29 February in other years, the 31st of short months */
                occ[n].nominal = date_from_ymd(py, pm, !day || day > last ? last : day);
        }
        return n;
}

int deadline_expand(const struct deadline *dl, int year_from, int year_to, struct deadline_occurrence **ret) {
        struct deadline_occurrence *occ;
        *ret = NULL;
        if (dl->kind == DEADLINE_CONTINUOUS || deadline_waits(dl))
                return 0;
        if (dl->kind == DEADLINE_ONCE) {
                char label[16], from[16];
                if (!date_valid(dl->year, dl->month, dl->day) || (unsigned) dl->unit >= ELEMENTSOF(unit_names))
                        return -EINVAL;
                occ = xcalloc(1, sizeof(*occ));
                period_label(dl->unit, dl->year, dl->month, dl->day, label, sizeof(label));
                if (dl->from_year) {
                        period_label(dl->from_unit, dl->from_year, dl->from_month, dl->from_day, from, sizeof(from));
                        snprintf(occ->period, sizeof(occ->period), "%s/%s", from, label);
                } else {
                        snprintf(occ->period, sizeof(occ->period), "%s", label);
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
        if (dl->kind == DEADLINE_ANNUAL ? !date_valid(2000, dl->month, dl->day) : dl->day < 0 || dl->day > 31)
                return -EINVAL;
        occ = xcalloc((size_t) (year_to - year_from + 1) * 12, sizeof(*occ));
        int n = 0;
        for (int y = year_from; y <= year_to; y++)
                n += expand_year(dl, y, occ + n);
        *ret = occ;
        return n;
}
