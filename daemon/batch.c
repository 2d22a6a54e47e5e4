/* Rows of one table written many at a time, by one statement of BATCH_ROWS rows. */
#include "config.h"

#include "batch.h"

void batch_init(struct batch *b, struct store *s, const char *one_sql, const char *many_sql, size_t n_columns,
                const char *what) {
        *b = (struct batch) {.s = s, .one_sql = one_sql, .many_sql = many_sql, .what = what, .n_columns = n_columns,
                             .values = xcalloc(BATCH_ROWS * n_columns, sizeof(struct batch_value))};
}

void batch_free(struct batch *b) {
        free(b->values);
        buf_free(&b->texts);
        *b = (struct batch) {0};
}

void batch_number(struct batch *b, int64_t v) {
        b->values[b->n_values++] = (struct batch_value) {.number = v, .text = SIZE_MAX};
}

void batch_text(struct batch *b, const char *text) {
        if (!text) {
                b->values[b->n_values++] = (struct batch_value) {.text = SIZE_MAX, .null = true};
                return;
        }
        b->values[b->n_values++] = (struct batch_value) {.text = b->texts.len};
        buf_append(&b->texts, text, strlen(text) + 1);
}

/* Write n rows from the first value on with the statement for that many. */
static int write_rows(struct batch *b, size_t first, size_t n) {
        sqlite3_stmt *st = store_stmt(b->s, n == 1 ? b->one_sql : b->many_sql);
        if (!st)
                return -EIO;
        for (size_t i = 0; i < n * b->n_columns; i++) {
                const struct batch_value *v = &b->values[first + i];
                int at = (int) i + 1;
                if (v->null)
                        sqlite3_bind_null(st, at);
                else if (v->text == SIZE_MAX)
                        sqlite3_bind_int64(st, at, v->number);
                else /* the texts stay where they are until the statement is done */
                        sqlite3_bind_text(st, at, b->texts.data + v->text, -1, SQLITE_STATIC);
        }
        return store_step_done(b->s, st, b->what);
}

int batch_flush(struct batch *b) {
        size_t rows = b->n_values / b->n_columns;
        int r = 0;
        if (rows == BATCH_ROWS)
                r = write_rows(b, 0, BATCH_ROWS);
        else
                for (size_t i = 0; r >= 0 && i < rows; i++)
                        r = write_rows(b, i * b->n_columns, 1);
        b->n_values = 0;
        b->texts.len = 0;
        return r;
}

int batch_row_done(struct batch *b) {
        if (b->one_by_one || b->n_values == BATCH_ROWS * b->n_columns)
                return batch_flush(b);
        return 0;
}
