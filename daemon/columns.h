/* The columns of a plan's table, found by the words of its header in Kazakh, Russian or English, in any
 * order: number, name, completion form, deadline (one column, or one per stage), executors; other
 * columns (expenses, financing, indicators) are kept out of the way. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "doc.h"

enum column_role {
        COLUMN_OTHER,
        COLUMN_NUMBER,
        COLUMN_NAME,
        COLUMN_FORM,
        COLUMN_DEADLINE,
        COLUMN_EXECUTORS,
};

#define DEADLINE_COLUMNS_MAX 8

struct plan_columns {
        size_t n;         /* columns of the header's grid (merged cells spread over the columns they span) */
        size_t n_logical; /* cells of the header as written (a merged cell counted once) */
        int logical_of[DOC_COLUMNS_MAX]; /* by grid column: the header cell it belongs to */
        int number, name, form, executors; /* the column, or -1 if the table has none */
        int deadlines[DEADLINE_COLUMNS_MAX];
        char *stages[DEADLINE_COLUMNS_MAX]; /* each deadline column's stage ("в МЮ"), NULL for a single one */
        size_t n_deadlines;
        size_t header_rows; /* 1, or 2 when a second row names the stages */
};

/* What a header cell names. */
enum column_role column_role(const char *header);

/* Read the header of a table from its row at blocks[i] (and the row after it, if that names stages of a
 * merged header cell). Returns true if it is a plan's header: a deadline column and a name or executors
 * column. */
bool columns_read(const struct doc_block *blocks, size_t n_blocks, size_t i, struct plan_columns *ret);
void columns_done(struct plan_columns *c);

/* The cell of a row under a header column (its grid column): rows whose cells are merged otherwise than
 * the header's (Word's tables often are) are read cell by cell, as a person reads them, when they have as
 * many cells as the header; else by the grid. NULL if the row fits neither. */
const struct doc_cell *columns_cell(const struct plan_columns *c, const struct doc_block *b, int column);
/* Whether a row has the header's shape: as many cells, or as many grid columns. */
bool columns_fit(const struct plan_columns *c, const struct doc_block *b);

/* Whether a row only numbers the columns: "1 | 2 | 3 | 4 | 5". */
bool columns_numbering_row(const struct doc_block *b);
/* Whether a row says what the header says (a header repeated on every page). */
bool columns_same_header(const struct plan_columns *c, const struct doc_block *b);

/* The names of the columns merzim looks for, for a message. */
extern const char columns_wanted[];
