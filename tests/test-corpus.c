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

static const struct roadmap_measure *by_label(const struct roadmap *r, const char *label) {
        _cleanup_free_ char *want = xstrdup(label);
        size_t n = strlen(want);
        while (n > 0 && (want[n - 1] == '.' || want[n - 1] == ')'))
                want[--n] = 0;
        for (size_t i = 0; i < r->n_measures; i++)
                if (streq(r->measures[i].label, want))
                        return &r->measures[i];
        return NULL;
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
                for (size_t i = 0; i < counts.n && !counted; i++)
                        counted = streq(counts.rows[i][0], e->d_name);
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
        cr_expect_not_null(by_label(r, p->first), "%s: no first measure %s", p->file, p->first);
        cr_expect_not_null(by_label(r, p->last), "%s: no last measure %s", p->file, p->last);
        cr_expect(!isempty(r->title), "%s: a title", p->file);

        struct tsv samples;
        tsv_read("SAMPLES.tsv", &samples);
        for (size_t i = 0; i < samples.n; i++) {
                char **f = samples.rows[i];
                if (samples.widths[i] < 4 || !streq(f[0], p->file))
                        continue;
                const struct roadmap_measure *m = by_label(r, f[1]);
                cr_expect_not_null(m, "%s: no measure %s", p->file, f[1]);
                if (!m)
                        continue;
                _cleanup_free_ char *want = utf8_squeeze(f[3]);
                size_t wlen = strlen(want);
                bool cut = wlen >= 3 && streq(want + wlen - 3, "…");
                if (cut)
                        want[wlen - 3] = 0;
                if (streq(f[2], "name") || streq(f[2], "form") || streq(f[2], "deadline")) {
                        const char *got = streq(f[2], "name") ? m->name : streq(f[2], "form") ? m->form
                                                                                               : m->deadline_text;
                        if (cut)
                                cr_expect(strncmp(got, want, strlen(want)) == 0, "%s measure %s %s: \"%s\", not \"%s…\"",
                                          p->file, f[1], f[2], got, want);
                        else
                                cr_expect_str_eq(got, want, "%s measure %s %s", p->file, f[1], f[2]);
                } else if (streq(f[2], "executors")) {
                        /* Every executor is read from the cell as written, and only from it. */
                        cr_expect_gt(m->n_executors, 0, "%s measure %s: executors", p->file, f[1]);
                        _cleanup_free_ char *cell = agency_key(want);
                        for (size_t k = 0; k < m->n_executors; k++) {
                                _cleanup_free_ char *code = agency_key(m->executors[k].code);
                                cr_expect(strstr(cell, code), "%s measure %s: executor \"%s\" is not in \"%s\"",
                                          p->file, f[1], m->executors[k].code, want);
                        }
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
