/* Real published plans (tests/corpus, kept as found, see tests/corpus/SOURCES): every plan imports from
 * its original file with every measure counted by hand (COUNTS.tsv), the measures sampled by hand read
 * as written (SAMPLES.tsv), and a plan's .md, .html and .docx give the same measures. */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "helpers.h"
#include "roadmap.h"
#include "utf8.h"
#include "util.h"

#define FILES_MAX 128

/* The lines of a TSV file of the corpus, split at TABs; the header line (its first field says "file")
 * is left out. */
struct tsv {
        char ***rows;
        size_t *widths, n;
};

static void tsv_read(const char *name, struct tsv *t) {
        _cleanup_free_ char *path = xasprintf("%s/tests/corpus/%s", test_srcdir(), name);
        _cleanup_free_ char *text = test_read(path);
        *t = (struct tsv) {0};
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#' || isempty(strstrip(line)))
                        continue;
                char **fields = NULL;
                size_t n = 0;
                for (char *p = line;;) {
                        char *tab = strchr(p, '\t');
                        fields = xreallocarray(fields, n + 1, sizeof(char *));
                        fields[n++] = xstrndup(p, tab ? (size_t) (tab - p) : strlen(p));
                        if (!tab)
                                break;
                        p = tab + 1;
                }
                if (streq(fields[0], "file")) {
                        for (size_t k = 0; k < n; k++)
                                free(fields[k]);
                        free(fields);
                        continue;
                }
                t->rows = xreallocarray(t->rows, t->n + 1, sizeof(char **));
                t->widths = xreallocarray(t->widths, t->n + 1, sizeof(size_t));
                t->rows[t->n] = fields;
                t->widths[t->n++] = n;
        }
}

static void tsv_free(struct tsv *t) {
        for (size_t i = 0; i < t->n; i++) {
                for (size_t k = 0; k < t->widths[i]; k++)
                        free(t->rows[i][k]);
                free(t->rows[i]);
        }
        free(t->rows);
        free(t->widths);
}

static struct roadmap *read_plan(const char *file) {
        _cleanup_free_ char *path = xasprintf("%s/tests/corpus/%s", test_srcdir(), file);
        _cleanup_free_ char *text = NULL;
        size_t len;
        cr_assert_eq(read_file(path, &text, &len), 0, "cannot read %s", path);
        struct errlist errs = {0};
        struct roadmap *r = NULL;
        int ret = roadmap_parse(text, len, file, NULL, &r, &errs);
        cr_assert_eq(ret, 0, "%s does not import: %s%s", file, errs.n ? errs.msgs[0] : "?",
                     errs.n > 1 ? " (and more)" : "");
        errlist_clear(&errs);
        return r;
}

/* A measure by the id SAMPLES.tsv gives it: its number as written ("12.", "1.1.1"); "A2:5" for the 5 of
 * the second table (the second measure numbered 5); "G:M" for measure M under the numbered instruction
 * G, and "G:-" for the one unnumbered measure under it. */
static const struct roadmap_measure *by_label(const struct roadmap *r, const char *id) {
        _cleanup_free_ char *want = xstrdup(id);
        size_t n = strlen(want);
        while (n > 0 && (want[n - 1] == '.' || want[n - 1] == ')'))
                want[--n] = 0;
        unsigned nth = 1;
        if (want[0] == 'A' && strchr(want, ':')) {
                nth = (unsigned) atoi(want + 1);
                memmove(want, strchr(want, ':') + 1, strlen(strchr(want, ':') + 1) + 1);
        } else if (n > 2 && streq(want + n - 2, ":-")) {
                want[n - 2] = 0;
        }
        for (size_t i = 0; i < r->n_measures; i++)
                if (streq(r->measures[i].label, want) && --nth == 0)
                        return &r->measures[i];
        /* "1" of a plan whose measures are "1:1", "1:2" under the numbered instruction 1. */
        _cleanup_free_ char *group = xasprintf("%s:", want);
        for (size_t i = 0; !strchr(want, ':') && i < r->n_measures; i++)
                if (strncmp(r->measures[i].label, group, strlen(group)) == 0)
                        return &r->measures[i];
        return NULL;
}

/* s without spaces, for names of stages written with a break ("Прави тельство"). */
static char *unspaced(const char *s) {
        struct buf b = {0};
        for (; *s; s++)
                if (*s != ' ')
                        buf_putc(&b, *s);
        return buf_steal(&b);
}

/* The corpus is there, and every file of it is counted. */
Test(corpus, every_plan_is_counted_by_hand) {
        struct tsv counts;
        tsv_read("COUNTS.tsv", &counts);
        cr_assert_geq(counts.n, 12, "at least 12 plans");
        _cleanup_free_ char *dir = xasprintf("%s/tests/corpus", test_srcdir());
        DIR *d = opendir(dir);
        cr_assert_not_null(d);
        for (struct dirent *e; (e = readdir(d));) {
                const char *ext = strrchr(e->d_name, '.');
                if (!ext || (!streq(ext, ".md") && !streq(ext, ".html") && !streq(ext, ".docx") && !streq(ext, ".txt")))
                        continue;
                bool counted = false;
                /* A .docx or .html made from a counted .md is counted with it (and compared with it). */
                _cleanup_free_ char *md = xasprintf("%.*s.md", (int) (ext - e->d_name), e->d_name);
                for (size_t i = 0; i < counts.n && !counted; i++)
                        counted = streq(counts.rows[i][0], e->d_name) || streq(counts.rows[i][0], md);
                cr_expect(counted, "%s is not in COUNTS.tsv", e->d_name);
        }
        closedir(d);
        tsv_free(&counts);
}

struct corpus_plan {
        char file[96];
        int measures;
        char first[16], last[16];
};

static void plans_free(struct criterion_test_params *params) {
        cr_free(params->params);
}

ParameterizedTestParameters(corpus, plan) {
        struct tsv counts;
        tsv_read("COUNTS.tsv", &counts);
        struct corpus_plan *v = cr_calloc(FILES_MAX, sizeof(*v));
        size_t n = 0;
        for (size_t i = 0; i < counts.n && n < FILES_MAX; i++) {
                if (counts.widths[i] < 4)
                        continue;
                snprintf(v[n].file, sizeof(v[n].file), "%s", counts.rows[i][0]);
                v[n].measures = atoi(counts.rows[i][1]);
                snprintf(v[n].first, sizeof(v[n].first), "%s", counts.rows[i][2]);
                snprintf(v[n].last, sizeof(v[n].last), "%s", counts.rows[i][3]);
                n++;
        }
        tsv_free(&counts);
        return cr_make_param_array(struct corpus_plan, v, n, plans_free);
}

/* Every measure of every plan, as counted by hand; the samples read as written. */
ParameterizedTest(struct corpus_plan *p, corpus, plan) {
        struct roadmap *r = read_plan(p->file);
        cr_expect_eq((int) r->n_measures, p->measures, "%s: %zu measures, counted by hand %d", p->file,
                     r->n_measures, p->measures);
        if (!streq(p->first, "-")) /* "-": the plan numbers no measures */
                cr_expect_not_null(by_label(r, p->first), "%s: no first measure %s", p->file, p->first);
        if (!streq(p->last, "-"))
                cr_expect_not_null(by_label(r, p->last), "%s: no last measure %s", p->file, p->last);
        cr_expect(!isempty(r->title), "%s: a title", p->file);

        struct tsv samples;
        tsv_read("SAMPLES.tsv", &samples);
        for (size_t i = 0; i < samples.n; i++) {
                char **f = samples.rows[i];
                if (samples.widths[i] < 3 || !streq(f[0], p->file) || f[1][0] == '(')
                        continue; /* "(single data row)": a row that holds several measures as a whole */
                const char *sample = samples.widths[i] > 3 ? f[3] : "";
                /* "1:1/b1": a part of measure 1:1 on a row of its own, with its own deadline. */
                _cleanup_free_ char *id = xstrdup(f[1]);
                char *part = strstr(id, "/b");
                if (part)
                        *part = 0;
                const struct roadmap_measure *m = by_label(r, id);
                cr_expect_not_null(m, "%s: no measure %s", p->file, id);
                if (!m)
                        continue;
                _cleanup_free_ char *want = utf8_squeeze(sample);
                size_t wlen = strlen(want);
                bool cut = wlen >= 3 && streq(want + wlen - 3, "…");
                if (cut)
                        want[wlen - 3] = 0;
                const char *column = f[2];
                if (strncmp(column, "deadline", 8) == 0) {
                        /* The deadline cell of its row (of its stage): one of the measure's deadlines. */
                        _cleanup_free_ char *stage = column[8] == ':' ? unspaced(column + 9) : NULL;
                        bool found = false;
                        for (size_t k = 0; k < m->n_dues && !found; k++) {
                                _cleanup_free_ char *s2 = m->dues[k].stage ? unspaced(m->dues[k].stage) : NULL;
                                found = streq_ptr(s2, stage) && (cut ? strncmp(m->dues[k].text, want, strlen(want)) == 0
                                                                     : streq(m->dues[k].text, want));
                        }
                        if (isempty(want) && m->n_dues == 0)
                                found = true;
                        cr_expect(found, "%s measure %s: no deadline \"%s\"%s%s (it has \"%s\")", p->file, f[1], want,
                                  stage ? " of the stage " : "", stage ? stage : "", m->deadline_text);
                } else if (streq(column, "name") || streq(column, "form")) {
                        if (part)
                                continue; /* the part's own words go with its deadline */
                        const char *got = streq(column, "name") ? m->name : m->form;
                        if (cut)
                                cr_expect(strncmp(got, want, strlen(want)) == 0, "%s measure %s %s: \"%s\", not \"%s…\"",
                                          p->file, f[1], column, got, want);
                        else
                                cr_expect(streq(got, want), "%s measure %s %s: \"%s\", not \"%s\"", p->file, f[1],
                                          column, got, want);
                } else if (streq(column, "executors")) {
                        /* Every executor is read from the cell as written, and only from it. */
                        cr_expect(m->n_executors > 0 || isempty(want), "%s measure %s: no executors read from \"%s\"",
                                  p->file, f[1], want);
                        if (cut)
                                continue;
                        if (isempty(want)) { /* an empty cell: the measure has no executors */
                                cr_expect_eq(m->n_executors, 0, "%s measure %s", p->file, f[1]);
                                continue;
                        }
                        /* Every executor of the cell is the measure's; a measure of one row has no other. */
                        _cleanup_free_ char *cell = agency_key(want);
                        _cleanup_free_ char *flat = unspaced(cell);
                        size_t inside = 0;
                        for (size_t k = 0; k < m->n_executors; k++) {
                                _cleanup_free_ char *code = agency_key(m->executors[k].code);
                                _cleanup_free_ char *flat_code = unspaced(code);
                                inside += strstr(flat, flat_code) != NULL;
                        }
                        cr_expect_gt(inside, 0, "%s measure %s: none of its executors is in \"%s\"", p->file, f[1],
                                     want);
                        bool own_row = !part && (m->n_dues <= 1);
                        if (own_row)
                                cr_expect_eq(inside, m->n_executors, "%s measure %s: %zu of its %zu executors are not "
                                             "in \"%s\"", p->file, f[1], m->n_executors - inside, m->n_executors,
                                             want);
                }
        }
        tsv_free(&samples);
        roadmap_free(r);
}

/* A plan's .md, .html and .docx give the same measures. */
Test(corpus, every_format_of_a_plan_gives_the_same_measures) {
        _cleanup_free_ char *dir = xasprintf("%s/tests/corpus", test_srcdir());
        DIR *d = opendir(dir);
        cr_assert_not_null(d);
        size_t twins = 0;
        for (struct dirent *e; (e = readdir(d));) {
                const char *ext = strrchr(e->d_name, '.');
                if (!ext || !streq(ext, ".docx"))
                        continue;
                _cleanup_free_ char *stem = xstrndup(e->d_name, (size_t) (ext - e->d_name));
                struct roadmap *docx = read_plan(e->d_name);
                static const char *const others[] = {".html", ".md"};
                for (size_t k = 0; k < ELEMENTSOF(others); k++) {
                        _cleanup_free_ char *name = xasprintf("%s%s", stem, others[k]);
                        _cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
                        if (access(path, R_OK) < 0)
                                continue;
                        twins++;
                        struct roadmap *r = read_plan(name);
                        cr_expect_eq(r->n_measures, docx->n_measures, "%s and %s", name, e->d_name);
                        cr_expect_str_eq(r->title, docx->title, "%s and %s", name, e->d_name);
                        for (size_t i = 0; i < r->n_measures && i < docx->n_measures; i++) {
                                const struct roadmap_measure *a = &r->measures[i], *b = &docx->measures[i];
                                cr_expect_str_eq(a->label, b->label, "%s #%zu", name, i);
                                cr_expect_str_eq(a->name, b->name, "%s measure %s", name, a->label);
                                cr_expect_str_eq(a->deadline_text, b->deadline_text, "%s measure %s", name, a->label);
                                cr_expect_eq(a->n_executors, b->n_executors, "%s measure %s", name, a->label);
                                for (size_t x = 0; x < a->n_executors && x < b->n_executors; x++)
                                        cr_expect_str_eq(a->executors[x].code, b->executors[x].code, "%s measure %s",
                                                         name, a->label);
                        }
                        roadmap_free(r);
                }
                roadmap_free(docx);
        }
        closedir(d);
        cr_expect_geq(twins, 2, "at least two plans kept as .docx beside their original");
}
