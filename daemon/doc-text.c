/* The text reader: merzim's text layout (cells separated by "|", as the legal database's text export
 * gives them, TAB|TAB) and Markdown pipe tables. A line with a "|" is a table row; any other line is a
 * paragraph. */
#include "config.h"

#include <pthread.h>

#include "doc.h"
#include "utf8.h"

#define CHECK_APART_BYTES (256 * 1024) /* a text this large is checked in a thread while it is read */

/* The line of a byte offset in the text. */
static int line_at(const char *text, size_t offset) {
        int line = 1;
        for (size_t i = 0; i < offset; i++)
                line += text[i] == '\n';
        return line;
}

/* Check the text as a whole before reading lines: valid UTF-8, no NUL bytes, no control characters other
 * than white space (escape sequences would reach the operator's terminal). */
static int check_text(struct document *d, const char *text, size_t len, struct errlist *errs) {
        size_t bad;
        const char *nul = memchr(text, 0, len);
        if (!utf8_valid(text, nul ? (size_t) (nul - text) : len, &bad)) {
                errlist_add(errs, d->file, line_at(text, bad), "invalid UTF-8 (byte 0x%02x at offset %zu); save the "
                            "document as UTF-8", (unsigned char) text[bad], bad);
                return -EINVAL;
        }
        if (nul) {
                errlist_add(errs, d->file, line_at(text, (size_t) (nul - text)),
                            "NUL byte in the text: this is not a text document");
                return -EINVAL;
        }
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) text[i];
                unsigned next = i + 1 < len ? (unsigned char) text[i + 1] : 0;
                bool c0 = (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r') || c == 0x7F;
                bool c1 = c == 0xC2 && next >= 0x80 && next <= 0x9F; /* U+0080..U+009F */
                if (c0 || c1) {
                        errlist_add(errs, d->file, line_at(text, i),
                                    "control character U+%04X in the text: this is not a text document",
                                    c1 ? next : c);
                        return -EINVAL;
                }
        }
        return 0;
}

/* Whether a line is a Markdown table's delimiter row: "|---|:--:|". */
static bool delimiter_row(const char *s, size_t n) {
        bool dash = false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '-')
                        dash = true;
                else if (!strchr("|: \t\r", s[i]))
                        return false;
        }
        return dash;
}

/* A cell's text: "<br>" in a Markdown cell is a line break. */
static char *cell_text(const char *s, size_t n, bool markdown) {
        char *clean = NULL;
        if (!markdown && !memchr(s, '<', n)) {
                doc_clean_text(s, n, &clean); /* checked by check_text */
                return clean ? clean : xstrdup("");
        }
        struct buf b = {0};
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '<' && n - i >= 4 && strncmp(s + i, "<br", 3) == 0) {
                        const char *gt = memchr(s + i, '>', n - i);
                        if (gt && gt - (s + i) <= 5) {
                                buf_putc(&b, '\n');
                                i = (size_t) (gt - s);
                                continue;
                        }
                }
                buf_putc(&b, s[i]);
        }
        char *raw = buf_steal(&b);
        if (markdown) {
                bool heading;
                char *plain = doc_markdown_line(raw, strlen(raw), &heading);
                free(raw);
                raw = plain;
        }
        doc_clean_text(raw, strlen(raw), &clean); /* checked by check_text */
        free(raw);
        return clean ? clean : xstrdup("");
}

/* Split a row at "|"; a Markdown row's outer pipes ("| a | b |") enclose its cells. */
static int add_row(struct document *d, int table, int row, int lineno, const char *s, size_t n, bool markdown,
                   struct errlist *errs) {
        while (n > 0 && strchr(" \t\r", s[n - 1]))
                n--;
        while (n > 0 && strchr(" \t", *s))
                s++, n--;
        if (n > 1 && s[0] == '|' && s[n - 1] == '|')
                s++, n -= 2;
        size_t count = 1;
        for (size_t i = 0; i < n; i++)
                count += s[i] == '|';
        if (count > DOC_COLUMNS_MAX) {
                struct doc_block where = {.table = table, .row = row, .line = lineno};
                _cleanup_free_ char *w = doc_where(d, &where);
                errlist_add(errs, w, 0, "a row has more columns than merzim reads (%zu, at most %u)", count,
                            DOC_COLUMNS_MAX);
                return -EINVAL;
        }
        struct doc_cell *cells = xcalloc(count, sizeof(*cells));
        size_t k = 0, start = 0;
        for (size_t i = 0; i <= n; i++)
                if (i == n || s[i] == '|') {
                        cells[k++].text = cell_text(s + start, i - start, markdown);
                        start = i + 1;
                }
        return doc_add_row(d, table, row, lineno, 0, cells, count, errs);
}

/* The check of a large text, made in a thread of its own while the lines are read: the reading works
 * on any bytes, and what it read is thrown away if the check fails. */
struct text_check {
        pthread_t thread;
        struct document *d; /* its file name only, which the reading does not change */
        const char *text;
        size_t len;
        struct errlist errs;
        int r;
};

static void *check_main(void *p) {
        struct text_check *c = p;
        c->r = check_text(c->d, c->text, c->len, &c->errs);
        return NULL;
}

static int read_lines(struct document *d, const char *text, size_t len, struct errlist *errs) {
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                text += 3, len -= 3;

        /* Markdown, if any line is a table's delimiter row: its paragraphs lose their markup. */
        bool markdown = false;
        for (const char *p = text, *end = text + len; p < end && !markdown;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *line_end = nl ? nl : end;
                markdown = memchr(p, '|', (size_t) (line_end - p)) && delimiter_row(p, (size_t) (line_end - p));
                p = nl ? nl + 1 : end;
        }
        int lineno = 0, table = 0, row = 0;
        const char *prev_row = NULL;
        size_t prev_len = 0;
        int prev_lineno = 0;
        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *line_end = nl ? nl : end;
                size_t n = (size_t) (line_end - p);
                const char *line = p;
                p = nl ? nl + 1 : end;
                lineno++;
                if (n > DOC_CELL_MAX * 4) {
                        errlist_add(errs, d->file, lineno, "a line of %zu bytes is longer than merzim reads (%u "
                                    "bytes)", n, DOC_CELL_MAX * 4);
                        return -EINVAL;
                }
                if (!memchr(line, '|', n)) {
                        /* A row is added once the next line tells whether it heads a Markdown table. */
                        if (prev_row && add_row(d, table, ++row, prev_lineno, prev_row, prev_len, markdown, errs) < 0)
                                return -EINVAL;
                        prev_row = NULL;
                        bool heading;
                        _cleanup_free_ char *para = markdown ? doc_markdown_line(line, n, &heading) : xstrndup(line, n);
                        if (doc_add_paragraph(d, lineno, para, errs) < 0)
                                return -EINVAL;
                        continue;
                }
                if (delimiter_row(line, n)) {
                        /* The row before it heads a new table. */
                        table++, row = 0;
                        if (prev_row && add_row(d, table, ++row, prev_lineno, prev_row, prev_len, markdown, errs) < 0)
                                return -EINVAL;
                        prev_row = NULL;
                        continue;
                }
                if (table == 0)
                        table = 1;
                if (prev_row && add_row(d, table, ++row, prev_lineno, prev_row, prev_len, markdown, errs) < 0)
                        return -EINVAL;
                prev_row = line, prev_len = n, prev_lineno = lineno;
        }
        if (prev_row && add_row(d, table, ++row, prev_lineno, prev_row, prev_len, markdown, errs) < 0)
                return -EINVAL;
        return 0;
}

int doc_read_text(struct document *d, const char *text, size_t len, struct errlist *errs) {
        struct text_check c = {.d = d, .text = text, .len = len};
        if (len < CHECK_APART_BYTES || pthread_create(&c.thread, NULL, check_main, &c) != 0)
                return check_text(d, text, len, errs) < 0 ? -EINVAL : read_lines(d, text, len, errs);
        size_t errors_before = errs->n;
        int r = read_lines(d, text, len, errs);
        pthread_join(c.thread, NULL);
        if (c.r < 0) {
                /* What the reading said of bytes that are not text is beside the point. */
                for (size_t i = errors_before; i < errs->n; i++)
                        free(errs->msgs[i]);
                errs->n = errors_before;
                for (size_t i = 0; i < c.errs.n; i++)
                        errlist_add(errs, NULL, 0, "%s", c.errs.msgs[i]);
                r = -EINVAL;
        }
        errlist_clear(&c.errs);
        return r;
}
