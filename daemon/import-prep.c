/* What writing a measure needs that depends on the plan alone, prepared ahead of the writer. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "ahead.h"
#include "dating.h"
#include "import-prep.h"
#include "utf8.h"

#define PREPARE_AHEAD_MEASURES 2000 /* a plan of this many measures or more is prepared in a thread */
#define PREPARE_AHEAD_WINDOW 1024   /* measures prepared and not yet written, at most */

struct preparer {
        const struct roadmap *r;
        const struct import_options *o;
        int year_from, year_to; /* for a rule without years of its own */
        struct measure_prep *v; /* by measure */
        struct ahead *ahead;
};

/* The years a rule without its own gives: the plan's period, from the year of this edition when an
 * amending act made it (periods before it were the earlier edition's). */
static void rule_years(const struct roadmap *r, const struct import_options *o, int *from, int *to) {
        *from = o->year_from ? o->year_from : r->year_from;
        *to = o->year_to ? o->year_to : r->year_to;
        int edition = r->doc_date ? atoi(r->doc_date) : 0;
        int act = r->act_date ? atoi(r->act_date) : 0;
        if (!o->year_from && edition > act && edition > *from && edition <= *to)
                *from = edition;
}

/* One occurrence per period: the same date twice is one occurrence ("1998" in two rows of a measure);
 * two dates in one period are told apart by their dates ("ежегодно к 1 марта и к 1 сентября"). Returns
 * the new count. */
static int distinct_periods(struct deadline_occurrence *v, int n) {
        for (int i = 0; i < n; i++)
                for (int j = i + 1; j < n;) {
                        if (!streq(v[i].period, v[j].period)) {
                                j++;
                                continue;
                        }
                        if (v[i].nominal == v[j].nominal) {
                                memmove(&v[j], &v[j + 1], (size_t) (n - j - 1) * sizeof(*v));
                                n--;
                                continue;
                        }
                        char a[DATE_ISO_MAX], b[DATE_ISO_MAX];
                        date_format(v[i].nominal, a);
                        date_format(v[j].nominal, b);
                        /* "2024" becomes "2024-03-01"; a stage keeps its name: "Минюст: 2024-03-01". */
                        const char *colon = strrchr(v[i].period, ':');
                        size_t keep = colon ? (size_t) (colon - v[i].period) + 2 : 0;
                        snprintf(v[i].period + keep, sizeof(v[i].period) - keep, "%s", a);
                        snprintf(v[j].period + keep, sizeof(v[j].period) - keep, "%s", b);
                        j = i + 1; /* the new labels may meet others */
                }
        return n;
}

/* Every dated occurrence a measure's deadlines give, a stage's periods named after it; or a negative
 * errno, with the deadline that gives none. */
static int occurrences(const struct preparer *p, const struct roadmap_measure *m, const struct kept_dates *kept,
                       struct deadline_occurrence **ret, size_t *bad_due) {
        int y0 = p->year_from, y1 = p->year_to;
        struct deadline_occurrence *all = NULL;
        int n = 0;
        for (size_t k = 0; k < m->n_dues; k++) {
                const struct roadmap_due *due = &m->dues[k];
                struct deadline_occurrence *occ = NULL;
                int got = 0;
                for (size_t i = 0; got >= 0 && i < due->n_rules; i++) {
                        struct deadline_occurrence *one = NULL;
                        int n1 = deadline_expand(&due->rule[i], y0, y1, &one);
                        if (n1 > 0) {
                                occ = xreallocarray(occ, (size_t) got + (size_t) n1, sizeof(*occ));
                                memcpy(occ + got, one, (size_t) n1 * sizeof(*occ));
                                got += n1;
                        } else if (n1 < 0) {
                                got = n1;
                        }
                        free(one);
                }
                if (got >= 0 && kept && due->undated) {
                        /* The date the coordinator gave it, or that its event gives it. */
                        struct deadline_occurrence dated;
                        if (dating_occurrence(NULL, due->rule, due->n_rules, kept[k].given, kept[k].event,
                                              p->o->calendar, &dated) > 0) {
                                occ = xreallocarray(occ, (size_t) got + 1, sizeof(*occ));
                                occ[got++] = dated;
                        }
                }
                if (got < 0) {
                        free(occ);
                        free(all);
                        *bad_due = k;
                        return got;
                }
                all = xreallocarray(all, (size_t) n + (size_t) got + 1, sizeof(*all));
                for (int i = 0; i < got; i++) {
                        all[n] = occ[i];
                        if (due->stage) {
                                /* "в Правительство: 2024-03", the stage cut to fit on a character boundary. */
                                size_t room = sizeof(all[n].period) - strlen(occ[i].period) - 3;
                                size_t cut = utf8_prefix_for_width(due->stage, room);
                                if (cut > room)
                                        cut = room;
                                while (cut > 0 && ((unsigned char) due->stage[cut] & 0xC0) == 0x80)
                                        cut--;
                                _cleanup_free_ char *label = xasprintf("%.*s: %s", (int) cut, due->stage,
                                                                       occ[i].period);
                                memcpy(all[n].period, label, strlen(label) + 1);
                        }
                        n++;
                }
                free(occ);
        }
        *ret = all;
        return distinct_periods(all, n);
}

int prep_wanted(const struct preparer *p, const struct roadmap_measure *m, const struct kept_dates *kept,
                struct wanted **ret, size_t *bad_due) {
        struct deadline_occurrence *occ = NULL;
        *ret = NULL;
        int n = occurrences(p, m, kept, &occ, bad_due);
        if (n < 0)
                return n;
        struct wanted *v = xcalloc((size_t) n + 1, sizeof(*v));
        for (int i = 0; i < n; i++) {
                v[i].d = occ[i];
                date_format(occ[i].nominal, v[i].nominal);
                date_format(calendar_effective_due(p->o->calendar, occ[i].nominal, p->o->due_shift), v[i].effective);
        }
        free(occ);
        *ret = v;
        return n;
}

static void prepare(void *userdata, size_t i) {
        struct preparer *p = userdata;
        const struct roadmap_measure *m = &p->r->measures[i];
        struct measure_prep *mp = &p->v[i];
        struct buf b = {0};
        mp->due_rules = xcalloc(m->n_dues + 1, sizeof(char *));
        mp->dated = true;
        for (size_t k = 0; k < m->n_dues; k++) {
                char rule[DEADLINE_RULES_TEXT_MAX];
                dating_format_rules(m->dues[k].rule, m->dues[k].n_rules, rule, sizeof(rule));
                mp->due_rules[k] = xstrdup(rule);
                buf_printf(&b, "%s%s%s%s", k ? "; " : "", m->dues[k].stage ? m->dues[k].stage : "",
                           m->dues[k].stage ? ": " : "", rule);
                mp->dated = mp->dated && !m->dues[k].undated;
        }
        /* "once 2022-06-30 month", "undated", and for a plan with a deadline per stage "STAGE: RULE; ...". */
        mp->rule = b.len ? buf_steal(&b) : xstrdup("undated");
        if (mp->dated)
                mp->n_want = prep_wanted(p, m, NULL, &mp->want, &mp->bad_due);
}

static void release(struct preparer *p, size_t i);

/* What the thread prepares: measure i, once it has freed what it prepared for measure i - window,
 * written by now (the thread keeps within the window: the writer has asked for a later measure). The
 * writer frees nothing the thread allocated, so that neither waits for the other's malloc arena. */
static void prepare_ahead(void *userdata, size_t i) {
        struct preparer *p = userdata;
        if (i >= PREPARE_AHEAD_WINDOW)
                release(p, i - PREPARE_AHEAD_WINDOW);
        prepare(p, i);
}

struct preparer *preparer_start(const struct roadmap *r, const struct import_options *o) {
        struct preparer *p = xcalloc(1, sizeof(*p));
        *p = (struct preparer) {.r = r, .o = o, .v = xcalloc(r->n_measures + 1, sizeof(struct measure_prep))};
        rule_years(r, o, &p->year_from, &p->year_to);
        if (r->n_measures >= PREPARE_AHEAD_MEASURES)
                p->ahead = ahead_start(r->n_measures, PREPARE_AHEAD_WINDOW, prepare_ahead, p);
        return p;
}

struct measure_prep *preparer_get(struct preparer *p, size_t i) {
        ahead_taken(p->ahead, i); /* after it, the thread no longer writes item i */
        if (!p->v[i].rule)
                prepare(p, i);
        return &p->v[i];
}

static void release(struct preparer *p, size_t i) {
        struct measure_prep *mp = &p->v[i];
        free(mp->rule);
        for (size_t k = 0; mp->due_rules && k < p->r->measures[i].n_dues; k++)
                free(mp->due_rules[k]);
        free(mp->due_rules);
        free(mp->want);
        *mp = (struct measure_prep) {0};
}

void preparer_done(struct preparer *p, size_t i) {
        if (!p->ahead)
                release(p, i); /* with a thread, it frees it (prepare_ahead) */
}

void preparer_stop(struct preparer *p) {
        if (!p)
                return;
        ahead_stop(p->ahead);
        for (size_t i = 0; i < p->r->n_measures; i++)
                release(p, i);
        free(p->v);
        free(p);
}
