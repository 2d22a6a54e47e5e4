/* Human-readable tables for merzimctl, measured in terminal columns. */
#include "config.h"

#include <stdlib.h>

#include "table.h"
#include "utf8.h"
#include "util.h"

#define DEFAULT_WIDTH 100
#define MIN_FLEX_WIDTH 12
#define GAP 2

struct table {
        size_t n_cols, n_rows;
        char **headers;
        bool *flex;
        char **cells; /* n_rows * n_cols */
};

struct table *table_new(const char *const *headers) {
        struct table *t = xcalloc(1, sizeof(*t));
        while (headers[t->n_cols])
                t->n_cols++;
        t->headers = xcalloc(t->n_cols, sizeof(char *));
        t->flex = xcalloc(t->n_cols, sizeof(bool));
        for (size_t i = 0; i < t->n_cols; i++) {
                t->flex[i] = headers[i][0] == '~';
                t->headers[i] = xstrdup(headers[i] + t->flex[i]);
        }
        return t;
}

/* A cell as shown: on one line, control characters (an escape sequence from an agency's note, a
 * right-to-left override) as visible escapes rather than acted on by the terminal. */
static char *table_cell_text(const char *text) {
        _cleanup_free_ char *line = utf8_squeeze(text ? text : "-");
        return utf8_printable(line);
}

void table_add(struct table *t, const char *const *cells) {
        t->cells = xreallocarray(t->cells, (t->n_rows + 1) * t->n_cols, sizeof(char *));
        for (size_t i = 0; i < t->n_cols; i++)
                t->cells[t->n_rows * t->n_cols + i] = table_cell_text(cells[i]);
        t->n_rows++;
}

size_t table_rows(const struct table *t) {
        return t->n_rows;
}

/* Print s in exactly w columns: padded, or cut with an ellipsis. */
static void print_cell(FILE *f, const char *s, size_t w, bool last) {
        size_t sw = utf8_width(s);
        if (sw <= w) {
                fputs(s, f);
                if (!last)
                        fprintf(f, "%*s", (int) (w - sw), "");
                return;
        }
        size_t cut = utf8_prefix_for_width(s, w - 1);
        fwrite(s, 1, cut, f);
        fputs("…", f);
        if (!last)
                fprintf(f, "%*s", (int) (w - 1 - utf8_width(s) + utf8_width(s + cut)), "");
}

void table_print(const struct table *t, FILE *f, size_t width) {
        size_t *w = xcalloc(t->n_cols, sizeof(size_t));
        for (size_t c = 0; c < t->n_cols; c++) {
                w[c] = utf8_width(t->headers[c]);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t cw = utf8_width(t->cells[r * t->n_cols + c]);
                        if (cw > w[c])
                                w[c] = cw;
                }
        }
        /* Shorten the widest flexible column until the table fits. */
        for (;;) {
                size_t total = 0;
                for (size_t c = 0; c < t->n_cols; c++)
                        total += w[c] + (c + 1 < t->n_cols ? GAP : 0);
                if (!width || total <= width)
                        break;
                size_t widest = SIZE_MAX;
                for (size_t c = 0; c < t->n_cols; c++)
                        if (t->flex[c] && w[c] > MIN_FLEX_WIDTH && (widest == SIZE_MAX || w[c] > w[widest]))
                                widest = c;
                if (widest == SIZE_MAX)
                        break;
                size_t excess = total - width;
                size_t room = w[widest] - MIN_FLEX_WIDTH;
                w[widest] -= excess < room ? excess : room;
        }

        for (size_t r = 0; r <= t->n_rows; r++) {
                for (size_t c = 0; c < t->n_cols; c++) {
                        const char *s = r == 0 ? t->headers[c] : t->cells[(r - 1) * t->n_cols + c];
                        bool last = c + 1 == t->n_cols;
                        print_cell(f, s, w[c], last);
                        if (!last)
                                fprintf(f, "%*s", GAP, "");
                }
                fputc('\n', f);
        }
        free(w);
}

void table_free(struct table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_cols; i++)
                free(t->headers[i]);
        for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
                free(t->cells[i]);
        free(t->headers);
        free(t->flex);
        free(t->cells);
        free(t);
}

size_t table_default_width(void) {
        const char *e = getenv("COLUMNS");
        unsigned long v;
        if (e && parse_uint(e, 1000, &v) >= 0 && v >= 40)
                return v;
        return DEFAULT_WIDTH;
}
