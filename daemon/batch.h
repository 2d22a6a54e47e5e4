/* Rows of one table written many at a time: an import writes hundreds of thousands of rows, and one
 * statement of BATCH_ROWS rows costs SQLite about what a statement of one row does. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

#define BATCH_ROWS 64
/* The placeholders of BATCH_ROWS rows for INSERT ... VALUES: BATCH_VALUES("(?, ?)"). */
#define BATCH_VALUES_2(row) row ", " row
#define BATCH_VALUES_8(row) BATCH_VALUES_2(BATCH_VALUES_2(BATCH_VALUES_2(row)))
#define BATCH_VALUES(row) BATCH_VALUES_8(BATCH_VALUES_8(row))

struct batch_value {
        int64_t number;
        size_t text; /* offset of the text in batch.texts, or SIZE_MAX: a number (or NULL if null) */
        bool null;
};

struct batch {
        struct store *s;
        const char *one_sql, *many_sql; /* the INSERT with one row of placeholders, and with BATCH_ROWS */
        const char *what;               /* for an error: "cannot write an occurrence" */
        size_t n_columns, n_values;
        bool one_by_one;                /* write each row as it is done (the caller reads its id) */
        struct batch_value *values;     /* BATCH_ROWS rows of n_columns */
        struct buf texts;               /* the text values, each NUL-terminated */
};

void batch_init(struct batch *b, struct store *s, const char *one_sql, const char *many_sql, size_t n_columns,
                const char *what);
void batch_free(struct batch *b);
/* The next value of the row being filled, in the order of the statement's placeholders. */
void batch_number(struct batch *b, int64_t v);
void batch_text(struct batch *b, const char *text); /* NULL for NULL */
/* The row is filled: rows are written once there are BATCH_ROWS of them (or at once, one by one).
 * Returns 0 or the store's error. */
int batch_row_done(struct batch *b);
/* Write the rows kept so far. */
int batch_flush(struct batch *b);
