/* A plan as merzim reads it from a document of any format (doc.h): its frame (title, act, edition,
 * period), its sections and measures, each with its deadlines and executors. The table is found by its
 * header's words, in any column order; a cell merzim cannot read a date from makes its measure undated,
 * not the plan unreadable. Parsing is pure: no database. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "deadline.h"
#include "doc.h"
#include "executors.h"
#include "util.h"

/* One deadline of a measure: the whole deadline column, or one of several (one per stage). */
struct roadmap_due {
        char *stage;  /* the stage its column names ("в МЮ"), or NULL when the plan has one deadline column */
        char *text;   /* the cell as written, line breaks as spaces */
        const struct deadline *rule; /* what the cell says: one rule per stage it names (the plan's rule_sets
                                      * hold them, once for all dues whose cells say the same) */
        size_t n_rules;
        bool undated; /* no date can be read from it, or it waits for an event: the coordinator gives one */
        char *why;    /* when undated: why, in English */
};

struct roadmap_measure {
        int number;   /* the number merzim knows it by: the document's, or its place when the document's are
                       * not plain distinct numbers */
        char *label;  /* the number as the document writes it: "12", "1.1" */
        int line;     /* the source line, 0 if the format has none */
        char *where;  /* where it is, for messages: "plan.html:120", "plan.docx: table 1, row 14" */
        char *short_where; /* the same without the file: "line 120", "table 1, row 14" */
        size_t section; /* index into roadmap.sections, or SIZE_MAX before the first section */
        char *name;
        char *form;   /* "" when the table has no completion form column */
        char *deadline_text; /* every deadline cell as written; stages as "STAGE: TEXT; ..." */
        struct roadmap_due *dues;
        size_t n_dues;
        char *report_to; /* the agency the completion form addresses, or NULL */
        struct roadmap_executor *executors;
        size_t n_executors;
};

struct roadmap_section {
        char *title;
        int line;
};

/* A line of the abbreviation key after the table. */
struct roadmap_name {
        char *code, *name;
};

struct roadmap {
        char *title;
        char *act_date;   /* ISO date of the act that approved the plan (the first dated act), or NULL */
        char *doc_number; /* of the latest act: the one that made this edition, "104-ө" */
        char *doc_date;   /* its ISO date, or NULL */
        int year_from, year_to;
        char *expected_results;
        enum doc_format format;
        struct roadmap_section *sections;
        size_t n_sections;
        struct roadmap_measure *measures;
        size_t n_measures, measures_cap;
        struct roadmap_name *names;
        size_t n_names;
        size_t n_undated; /* measures with an undated deadline */
        struct deadline **rule_sets; /* the rules of the dues, each set once */
        size_t n_rule_sets;
        struct errlist warnings; /* "WHERE: what" for each measure imported with a caveat */
};

struct roadmap_options {
        bool strict;      /* an unreadable deadline refuses the plan, as merzim once did */
        bool month_start; /* a bare month in a deadline means its first day (the plan's act says so) */
        int year_from, year_to; /* the plan's period when the document does not say (--years), or 0 */
};

/* Read a plan from a document. Every problem is added to errs as "WHERE: what: text"; returns 0, or
 * -EINVAL when errs got anything (then *ret is NULL). */
int roadmap_read(const struct document *d, const struct roadmap_options *o, struct roadmap **ret,
                 struct errlist *errs);
/* Read a document of any format and the plan in it. */
int roadmap_parse(const char *data, size_t len, const char *file, const struct roadmap_options *o,
                  struct roadmap **ret, struct errlist *errs);
void roadmap_free(struct roadmap *r);

/* The measure's full name of an agency from the plan's abbreviation key, or NULL. */
const char *roadmap_agency_name(const struct roadmap *r, const char *code);
