/* Writing a parsed roadmap into the store: one transaction, idempotent, amendments applied in place. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "calendar.h"
#include "roadmap.h"
#include "store.h"

struct import_options {
        const char *source_name; /* the file, for the record */
        const char *sha256;      /* hex digest of the document */
        const char *actor;       /* who imports, for the history */
        const char *coordinator; /* NULL: keep what the plan has */
        int year_from, year_to;  /* 0: the document's period */
        const struct calendar *calendar;
        enum due_shift due_shift;
        int64_t now;
        bool dry_run; /* do everything, then roll back */
};

struct import_report {
        int64_t plan_id;
        bool plan_created;
        bool unchanged; /* the same document was imported before: nothing was written */
        int measures_added, measures_updated, measures_withdrawn;
        int occurrences_added, occurrences_rescheduled, occurrences_withdrawn;
        int agencies_added;
        /* The plan as it stands after the import. */
        int n_sections, n_measures, n_occurrences, n_agencies;
        int n_waiting; /* measures with a deadline that gives no date and was given none */
};

/* The SHA-256 of a document in hex, which tells whether it was imported before. */
void import_digest(const char *text, size_t len, char out[65]);

/* Import r; on any error nothing is written. Errors are logged; returns 0 or a negative errno. */
int import_roadmap(struct store *s, const struct roadmap *r, const struct import_options *o,
                   struct import_report *rep);
