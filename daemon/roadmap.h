/* A roadmap document as merzim reads it: the order's preamble, then a table whose columns are separated
 * by "TAB|TAB": number, name, completion form, deadline, responsible executors; section header lines
 * between the rows. Parsing is pure: no database. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "util.h"

struct roadmap_executor {
        char *code;        /* as written, spaces squeezed: "\"Атамекен\" ҰКП" */
        bool by_agreement; /* "(келісу бойынша)", "(по согласованию)" */
};

struct roadmap_measure {
        int number;
        int line;
        size_t section; /* index into roadmap.sections, or SIZE_MAX before the first section */
        char *name;
        char *form;
        char *deadline_text;
        struct deadline deadline;
        char *report_to; /* the agency the completion form names, or NULL */
        struct roadmap_executor *executors;
        size_t n_executors;
};

struct roadmap_section {
        char *title;
        int line;
};

struct roadmap {
        char *title;
        char *doc_number; /* of the latest document in the preamble: "104-ө" */
        char *doc_date;   /* ISO date, or NULL */
        int year_from, year_to;
        char *expected_results;
        struct roadmap_section *sections;
        size_t n_sections;
        struct roadmap_measure *measures;
        size_t n_measures;
};

/* Parse a document. Every problem is added to errs as "file:line: what: text"; returns 0, or -EINVAL
 * when errs got anything (then *ret is NULL). */
int roadmap_parse(const char *text, size_t len, const char *file, struct roadmap **ret, struct errlist *errs);
void roadmap_free(struct roadmap *r);

/* Split an executors cell into agencies; exposed for tests. Returns the count; *ret is malloc'ed. */
size_t roadmap_split_executors(const char *cell, struct roadmap_executor **ret);
/* The agency code a completion form addresses ("ИИДМ-ға ақпарат" -> "ИИДМ"), or NULL. */
char *roadmap_report_recipient(const char *form);
void roadmap_executors_free(struct roadmap_executor *e, size_t n);
