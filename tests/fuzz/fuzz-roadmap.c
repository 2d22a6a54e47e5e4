/* libFuzzer target: the roadmap document parser. Any bytes are read or refused; every error names the
 * file and is UTF-8 text; what is read has the shape the importer relies on. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "roadmap.h"
#include "utf8.h"
#include "util.h"

#define FILE_NAME "fuzz.txt"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One line of UTF-8 text without control characters: what may reach a terminal, a header or a query. */
static bool clean_text(const char *s) {
        size_t bad;
        if (!s || !utf8_valid(s, strlen(s), &bad))
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7F)
                        return false;
        return true;
}

static void check_roadmap(const struct roadmap *r) {
        if (!clean_text(r->title) || r->n_measures == 0)
                abort();
        for (size_t i = 0; i < r->n_sections; i++)
                if (!clean_text(r->sections[i].title))
                        abort();
        for (size_t i = 0; i < r->n_measures; i++) {
                const struct roadmap_measure *m = &r->measures[i];
                if (m->number <= 0 || !clean_text(m->name) || !clean_text(m->form) || !clean_text(m->label) ||
                    !clean_text(m->deadline_text) || (m->section != SIZE_MAX && m->section >= r->n_sections))
                        abort();
                for (size_t j = 0; j < i; j++)
                        if (r->measures[j].number == m->number)
                                abort();
                for (size_t k = 0; k < m->n_executors; k++)
                        if (!clean_text(m->executors[k].code) || isempty(m->executors[k].code))
                                abort();
                /* What the importer does with the deadlines. */
                for (size_t k = 0; k < m->n_dues; k++) {
                        struct deadline_occurrence *occ = NULL;
                        if (m->dues[k].undated != (m->dues[k].why != NULL))
                                abort();
                        for (size_t i = 0; i < m->dues[k].n_rules; i++) {
                                deadline_expand(&m->dues[k].rule[i], r->year_from, r->year_to, &occ);
                                free(occ);
                                occ = NULL;
                        }
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct roadmap *r = NULL;
        struct errlist errs = {0};
        int ret = roadmap_parse((const char *) data, size, FILE_NAME, NULL, &r, &errs);
        if ((ret < 0) != (errs.n > 0) || (ret < 0) != (r == NULL))
                abort();
        for (size_t i = 0; i < errs.n; i++) {
                size_t bad;
                if (strncmp(errs.msgs[i], FILE_NAME ":", strlen(FILE_NAME ":")) != 0 ||
                    !utf8_valid(errs.msgs[i], strlen(errs.msgs[i]), &bad)) {
                        fprintf(stderr, "a bad message: %s\n", errs.msgs[i]);
                        abort();
                }
        }
        if (r)
                check_roadmap(r);
        roadmap_free(r);
        errlist_clear(&errs);
        return 0;
}
