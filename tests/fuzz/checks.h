/* What every libFuzzer target of the document readers checks, whatever the bytes: errors name the file and
 * are one line of UTF-8 text; the document model and the plan read from it have the shape the rest of
 * merzim relies on (clean UTF-8 text without control characters, within the bounds of doc.h). A broken
 * promise aborts, for libFuzzer to keep the input. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "doc.h"
#include "roadmap.h"
#include "utf8.h"
#include "util.h"

/* One line of UTF-8 text without control characters: what may reach a terminal, a header or a query. */
static inline bool fuzz_clean_line(const char *s) {
        size_t bad;
        if (!s || !utf8_valid(s, strlen(s), &bad))
                return false;
        for (const char *p = s, *end = s + strlen(s); p < end;) {
                int32_t c = utf8_decode(&p, end);
                if (c < 0x20 || (c >= 0x7F && c <= 0x9F))
                        return false;
        }
        return true;
}

static inline void fuzz_fail(const char *what, const char *text) {
        fprintf(stderr, "%s: %s\n", what, text ? text : "(null)");
        abort();
}

/* Every error starts with "FILE:" and is a clean line. */
static inline void fuzz_check_errors(const struct errlist *errs, const char *file) {
        for (size_t i = 0; i < errs->n; i++)
                if (strncmp(errs->msgs[i], file, strlen(file)) != 0 || errs->msgs[i][strlen(file)] != ':' ||
                    !fuzz_clean_line(errs->msgs[i]))
                        fuzz_fail("a bad message", errs->msgs[i]);
}

/* The model as readers leave it: cells within the bounds, their text already clean (cleaning it again
 * changes nothing), lines of clean text, no empty paragraph. */
static inline void fuzz_check_document(const struct document *d) {
        size_t cells = 0;
        for (size_t i = 0; i < d->n_blocks; i++) {
                const struct doc_block *b = &d->blocks[i];
                if (b->n_cells == 0 || b->n_cells > DOC_COLUMNS_MAX || b->table < 0 || b->row < 1 || b->line < 0 ||
                    b->depth < 0 || b->depth >= (int) DOC_DEPTH_MAX || (b->table == 0 && b->n_cells != 1))
                        fuzz_fail("a bad block", d->file);
                cells += b->table > 0 ? b->n_cells : 0;
                for (size_t k = 0; k < b->n_cells; k++) {
                        const char *t = b->cells[k].text;
                        char *again = NULL;
                        if (!t || strlen(t) > DOC_CELL_MAX || doc_clean_text(t, strlen(t), &again) < 0 ||
                            !streq(again, t) || (b->table == 0 && isempty(t)))
                                fuzz_fail("a cell that is not clean text", t);
                        free(again);
                        _cleanup_free_ char *copy = xstrdup(t);
                        char *save = NULL;
                        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
                                if (!fuzz_clean_line(l))
                                        fuzz_fail("a line with a control character", l);
                }
        }
        if (cells != d->n_cells || cells > DOC_CELLS_MAX)
                fuzz_fail("cells miscounted", d->file);
}

/* The plan as the importer takes it. */
static inline void fuzz_check_roadmap(const struct roadmap *r) {
        if (!fuzz_clean_line(r->title) || r->n_measures == 0)
                fuzz_fail("a bad title or no measures", r->title);
        for (size_t i = 0; i < r->n_sections; i++)
                if (!fuzz_clean_line(r->sections[i].title))
                        fuzz_fail("a bad section title", r->sections[i].title);
        for (size_t i = 0; i < r->n_measures; i++) {
                const struct roadmap_measure *m = &r->measures[i];
                if (m->number <= 0 || !fuzz_clean_line(m->name) || !fuzz_clean_line(m->form) ||
                    !fuzz_clean_line(m->label) || !fuzz_clean_line(m->deadline_text) ||
                    (m->section != SIZE_MAX && m->section >= r->n_sections))
                        fuzz_fail("a bad measure", m->name);
                for (size_t j = 0; j < i; j++)
                        if (r->measures[j].number == m->number)
                                fuzz_fail("a measure number twice", m->label);
                for (size_t k = 0; k < m->n_executors; k++)
                        if (!fuzz_clean_line(m->executors[k].code) || isempty(m->executors[k].code))
                                fuzz_fail("a bad executor", m->executors[k].code);
                /* What the importer does with the deadlines. */
                for (size_t k = 0; k < m->n_dues; k++) {
                        if (m->dues[k].undated != (m->dues[k].why != NULL))
                                fuzz_fail("an undated deadline without a reason", m->deadline_text);
                        for (size_t i_rule = 0; i_rule < m->dues[k].n_rules; i_rule++) {
                                struct deadline_occurrence *occ = NULL;
                                deadline_expand(&m->dues[k].rule[i_rule], r->year_from, r->year_to, &occ);
                                free(occ);
                        }
                }
        }
        for (size_t i = 0; i < r->warnings.n; i++)
                if (!fuzz_clean_line(r->warnings.msgs[i]))
                        fuzz_fail("a bad warning", r->warnings.msgs[i]);
}

/* The plan read from a document a reader returned (ret, with errs): errors agree with the result, and
 * what is read passes the checks above. Frees d. */
static inline void fuzz_check_reading(int ret, struct document *d, struct errlist *errs) {
        if ((ret < 0) != (errs->n > 0))
                fuzz_fail("the result and the errors disagree", d->file);
        fuzz_check_errors(errs, d->file);
        if (ret == 0) {
                fuzz_check_document(d);
                struct roadmap *r = NULL;
                struct errlist plan_errs = {0};
                int rr = roadmap_read(d, NULL, &r, &plan_errs);
                if ((rr < 0) != (plan_errs.n > 0) || (rr < 0) != (r == NULL))
                        fuzz_fail("the plan's result and errors disagree", d->file);
                fuzz_check_errors(&plan_errs, d->file);
                if (r)
                        fuzz_check_roadmap(r);
                roadmap_free(r);
                errlist_clear(&plan_errs);
        }
        doc_free(d);
}
