/* Human-readable tables for merzimctl, measured in terminal columns, with long cells wrapped. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "table.h"
#include "utf8.h"
#include "util.h"

#define DEFAULT_WIDTH 100
#define MIN_WIDTH 40
/* A flexible column is not made narrower than its longest word up to this many columns, unless the
 * table cannot fit otherwise; then not narrower than MIN_FLEX_WIDTH, longer words broken. */
#define WORD_WIDTH 20
#define MIN_FLEX_WIDTH 8
/* The layout is worked out on at most this many rows, spread over the table, widening a column by at
 * most LOOKAHEAD columns at a time: it takes milliseconds whatever the table and the width. */
#define LAYOUT_ROWS 400
#define LOOKAHEAD 64
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
                t->headers[i] = utf8_squeeze(_(headers[i] + t->flex[i]));
        }
        return t;
}

/* A copy of a cell's text with each run of white space as one ' ', where lines may break, except that a
 * no-break space (U+00A0, U+202F) stays as it is: it joins what it stands between. */
static char *squeeze_cell(const char *s) {
        struct buf b = {0};
        const char *p = s, *end = s + strlen(s);
        bool space = false;
        while (p < end) {
                int32_t c = utf8_decode(&p, end);
                if (c < 0)
                        c = 0xFFFD;
                if (c != 0xA0 && c != 0x202F && unicode_is_space((uint32_t) c)) {
                        space = true;
                        continue;
                }
                if (space && b.len > 0)
                        buf_putc(&b, ' ');
                space = false;
                utf8_encode(&b, (uint32_t) c);
        }
        return b.data ? buf_steal(&b) : xstrdup("");
}

/* A cell as shown: white space squeezed (see squeeze_cell), control characters (an escape sequence from
 * an agency's note, a right-to-left override) as visible escapes rather than acted on by the terminal. */
static char *table_cell_text(const char *text) {
        _cleanup_free_ char *line = squeeze_cell(text ? text : "-");
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

/* The text of row r (0: the headers, then the cells) in column c. */
static const char *text_at(const struct table *t, size_t r, size_t c) {
        return r == 0 ? t->headers[c] : t->cells[(r - 1) * t->n_cols + c];
}

size_t table_next_line(const char *s, size_t width, size_t *skip) {
        size_t fits = utf8_prefix_for_width(s, width);
        *skip = 0;
        if (!s[fits])
                return fits;
        if (s[fits] == ' ') {
                *skip = 1;
                return fits;
        }
        const char *space = NULL;
        for (const char *p = s; p < s + fits; p++)
                if (*p == ' ')
                        space = p;
        if (space && space > s) {
                *skip = 1;
                return (size_t) (space - s);
        }
        /* A word longer than the column: broken, at least one character a line. */
        if (fits == 0) {
                const char *p = s;
                utf8_decode(&p, s + strlen(s));
                return (size_t) (p - s);
        }
        return fits;
}

/* How many lines s takes wrapped to width columns. */
static size_t count_lines(const char *s, size_t width) {
        size_t n = 1, skip;
        for (size_t len = table_next_line(s, width, &skip); s[len]; len = table_next_line(s, width, &skip)) {
                s += len + skip;
                n++;
        }
        return n;
}

/* The columns of the longest word of s (words are separated by single spaces: cells are squeezed). */
static size_t longest_word(const char *s) {
        size_t longest = 0;
        while (*s) {
                size_t len = strcspn(s, " ");
                _cleanup_free_ char *word = xstrndup(s, len);
                size_t w = utf8_width(word);
                if (w > longest)
                        longest = w;
                s += len + (s[len] == ' ');
        }
        return longest;
}

/* The lines each sampled row takes in each column at each width the layout may give it, so that a width
 * is tried by looking up numbers. */
struct line_counts {
        size_t n_rows, *rows;      /* the sampled rows (0: the headers) */
        const size_t *low, *high; /* per column, the widths counted */
        unsigned short **lines; /* per column, [(width - low) * n_rows + i] */
};

static void count_all_lines(const struct table *t, const size_t *low, const size_t *high, struct line_counts *lc) {
        size_t total = t->n_rows + 1, step = total > LAYOUT_ROWS ? total / LAYOUT_ROWS + 1 : 1;
        lc->rows = xcalloc(total / step + 2, sizeof(size_t));
        lc->n_rows = 0;
        for (size_t r = 0; r < total; r += step)
                lc->rows[lc->n_rows++] = r;
        lc->lines = xcalloc(t->n_cols, sizeof(unsigned short *));
        for (size_t c = 0; c < t->n_cols; c++) {
                lc->lines[c] = xcalloc((high[c] - low[c] + 1) * lc->n_rows, sizeof(unsigned short));
                for (size_t w = low[c]; w <= high[c]; w++)
                        for (size_t i = 0; i < lc->n_rows; i++) {
                                size_t n = count_lines(text_at(t, lc->rows[i], c), w);
                                lc->lines[c][(w - low[c]) * lc->n_rows + i] = n > USHRT_MAX ? USHRT_MAX : (unsigned short) n;
                        }
        }
        lc->low = low;
        lc->high = high;
}

static void line_counts_free(struct line_counts *lc, size_t n_cols) {
        for (size_t c = 0; c < n_cols; c++)
                free(lc->lines[c]);
        free(lc->lines);
        free(lc->rows);
}

/* Lines of sampled row i in column c at width w. */
static size_t lines_at(const struct line_counts *lc, size_t c, size_t w, size_t i) {
        return lc->lines[c][(w - lc->low[c]) * lc->n_rows + i];
}

/* Give the columns the room there is, a column at a time, where it saves the most lines for the
 * columns it takes: the table is as short as this way of widening finds. */
static void share_room(const struct table *t, size_t *w, const size_t *natural, size_t room) {
        size_t *low = xcalloc(t->n_cols, sizeof(size_t)), *high = xcalloc(t->n_cols, sizeof(size_t));
        for (size_t c = 0; c < t->n_cols; c++) {
                low[c] = w[c];
                high[c] = natural[c] < w[c] + room ? natural[c] : w[c] + room;
                if (high[c] < low[c])
                        high[c] = low[c];
        }
        struct line_counts lc;
        count_all_lines(t, low, high, &lc);
        size_t *others = xcalloc(lc.n_rows, sizeof(size_t));
        while (room > 0) {
                size_t best_col = SIZE_MAX, best_extra = 0, best_saved = 0;
                for (size_t c = 0; c < t->n_cols; c++) {
                        if (w[c] >= high[c])
                                continue;
                        size_t now = 0;
                        for (size_t i = 0; i < lc.n_rows; i++) {
                                others[i] = 0;
                                for (size_t o = 0; o < t->n_cols; o++)
                                        if (o != c && lines_at(&lc, o, w[o], i) > others[i])
                                                others[i] = lines_at(&lc, o, w[o], i);
                                size_t own = lines_at(&lc, c, w[c], i);
                                now += own > others[i] ? own : others[i];
                        }
                        for (size_t extra = 1; extra <= room && extra <= LOOKAHEAD && w[c] + extra <= high[c]; extra++) {
                                size_t then = 0;
                                for (size_t i = 0; i < lc.n_rows; i++) {
                                        size_t own = lines_at(&lc, c, w[c] + extra, i);
                                        then += own > others[i] ? own : others[i];
                                }
                                /* More lines saved per column taken wins; on a tie, fewer columns. */
                                if (then < now && (best_col == SIZE_MAX ||
                                                   (now - then) * best_extra > best_saved * extra)) {
                                        best_col = c;
                                        best_extra = extra;
                                        best_saved = now - then;
                                }
                        }
                }
                if (best_col == SIZE_MAX)
                        break;
                w[best_col] += best_extra;
                room -= best_extra;
        }
        free(others);
        line_counts_free(&lc, t->n_cols);
        free(low);
        free(high);
}

/* The width of each column for a table of at most width columns (0: no limit). Headers wrap at spaces
 * and are never cut; cells of flexible columns wrap; other columns are as wide as their widest cell. */
static size_t *layout(const struct table *t, size_t width) {
        size_t *natural = xcalloc(t->n_cols, sizeof(size_t)), *w = xcalloc(t->n_cols, sizeof(size_t));
        size_t total = 0, gaps = t->n_cols > 0 ? (t->n_cols - 1) * GAP : 0;
        for (size_t c = 0; c < t->n_cols; c++) {
                for (size_t r = 0; r <= t->n_rows; r++) {
                        size_t cw = utf8_width(text_at(t, r, c));
                        if (cw > natural[c])
                                natural[c] = cw;
                }
                total += natural[c];
        }
        if (!width || total + gaps <= width) {
                free(w);
                return natural;
        }
        /* The narrowest each column may be: its header's longest word, and for a column that does not
         * wrap its widest cell, for one that does its longest word (up to WORD_WIDTH). */
        size_t sum = 0;
        for (size_t c = 0; c < t->n_cols; c++) {
                size_t cells = 0;
                for (size_t r = 1; r <= t->n_rows; r++) {
                        const char *s = text_at(t, r, c);
                        size_t cw = t->flex[c] ? longest_word(s) : utf8_width(s);
                        if (cw > cells)
                                cells = cw;
                }
                if (t->flex[c] && cells > WORD_WIDTH)
                        cells = WORD_WIDTH;
                size_t header = longest_word(t->headers[c]);
                w[c] = header > cells ? header : cells;
                sum += w[c];
        }
        /* Too narrow for whole words: flexible columns break them (and get back what room there is). */
        for (size_t c = 0; c < t->n_cols && sum + gaps > width; c++) {
                size_t header = longest_word(t->headers[c]);
                size_t least = header > MIN_FLEX_WIDTH ? header : MIN_FLEX_WIDTH;
                if (least > natural[c])
                        least = natural[c];
                if (t->flex[c] && w[c] > least) {
                        sum -= w[c] - least;
                        w[c] = least;
                }
        }
        if (sum + gaps < width)
                share_room(t, w, natural, width - sum - gaps);
        free(natural);
        return w;
}

/* One cell's lines: the start and length of each. */
struct cell_lines {
        size_t n;
        const char **start;
        size_t *len;
};

static void wrap_cell(const char *s, size_t width, struct cell_lines *cl) {
        cl->n = count_lines(s, width);
        cl->start = xcalloc(cl->n, sizeof(char *));
        cl->len = xcalloc(cl->n, sizeof(size_t));
        for (size_t i = 0; i < cl->n; i++) {
                size_t skip;
                cl->start[i] = s;
                cl->len[i] = table_next_line(s, width, &skip);
                s += cl->len[i] + skip;
        }
}

void table_print(const struct table *t, FILE *f, size_t width) {
        size_t *w = layout(t, width);
        struct cell_lines *cl = xcalloc(t->n_cols, sizeof(struct cell_lines));
        for (size_t r = 0; r <= t->n_rows; r++) {
                size_t height = 1;
                for (size_t c = 0; c < t->n_cols; c++) {
                        wrap_cell(text_at(t, r, c), w[c] ? w[c] : 1, &cl[c]);
                        if (cl[c].n > height)
                                height = cl[c].n;
                }
                for (size_t line = 0; line < height; line++) {
                        /* Nothing is printed after the last column with text on this line. */
                        size_t end = 0;
                        for (size_t c = 0; c < t->n_cols; c++)
                                if (line < cl[c].n && cl[c].len[line] > 0)
                                        end = c + 1;
                        for (size_t c = 0; c < end; c++) {
                                _cleanup_free_ char *text = line < cl[c].n ? xstrndup(cl[c].start[line], cl[c].len[line])
                                                                            : xstrdup("");
                                fputs(text, f);
                                size_t tw = utf8_width(text);
                                if (c + 1 < end)
                                        fprintf(f, "%*s", (int) ((tw < w[c] ? w[c] - tw : 0) + GAP), "");
                        }
                        fputc('\n', f);
                }
                for (size_t c = 0; c < t->n_cols; c++) {
                        free(cl[c].start);
                        free(cl[c].len);
                }
        }
        free(cl);
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
        if (e && parse_uint(e, 1000, &v) >= 0 && v > 0)
                return v >= MIN_WIDTH ? v : MIN_WIDTH;
        struct winsize ws;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                return ws.ws_col >= MIN_WIDTH ? ws.ws_col : MIN_WIDTH;
        return DEFAULT_WIDTH;
}
