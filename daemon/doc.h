/* A document as merzim reads it, whatever it was saved as: a sequence of paragraphs and table rows, each
 * cell's text as written and where it came from. One reader per format (doc-text.c, doc-html.c,
 * doc-docx.c) turns bytes into this model; everything after (plan.c: the header, the columns, the frame,
 * executors and deadlines) works on the model alone, once for all formats. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum doc_format {
        DOC_TEXT, /* merzim's text layout and Markdown pipe tables */
        DOC_HTML, /* a web page, or Markdown with HTML tables */
        DOC_DOCX, /* Word */
};

/* Bounds every reader keeps, so that no document can take unbounded memory or time. */
#define DOC_SIZE_MAX (32u << 20)      /* bytes of a document as given, and of a .docx's unpacked text */
#define DOC_CELLS_MAX 1000000u        /* cells in all tables together */
#define DOC_COLUMNS_MAX 64u           /* columns of one table row */
#define DOC_CELL_MAX 65536u           /* bytes of one cell or paragraph */
#define DOC_DEPTH_MAX 64u             /* nesting of HTML elements or Word tables */

struct doc_cell {
        char *text;     /* white space squeezed, line breaks of the document kept as '\n'; never NULL */
        bool spanned;   /* a copy of the cell to its left: the document merged them (colspan, gridSpan) */
        bool continued; /* a copy of the cell above: the document merged them (rowspan, vMerge) */
};

struct doc_block {
        int table;   /* 0: a paragraph; else the number of the table it is a row of (1, 2, ...) */
        int row;     /* the row's number in its table (1, 2, ...); for a paragraph its number */
        int line;    /* the line of the source it starts on, or 0 where the format has no lines (.docx) */
        int depth;   /* how deep the table is nested in other tables (0: not nested) */
        size_t n_cells;
        struct doc_cell *cells; /* a paragraph has one */
};

struct document {
        char *file;
        enum doc_format format;
        struct doc_block *blocks;
        size_t n_blocks, cap;
        size_t n_cells;      /* in all rows, for DOC_CELLS_MAX */
        size_t n_paragraphs;
};

/* Read a document of any supported format, chosen by its content (a .docx is a zip, a page has HTML
 * tags, anything else is text). Problems are added to errs as "FILE:LINE: what"; returns 0, or -EINVAL
 * when the document cannot be read at all (then *ret is NULL). */
int doc_read(const char *file, const char *data, size_t len, struct document **ret, struct errlist *errs);
void doc_free(struct document *d);

/* Where a block is, for messages: "FILE:LINE" or "FILE: table 2, row 7". */
char *doc_where(const struct document *d, const struct doc_block *b);
/* The name of a format for messages: "text", "HTML", "Word (.docx)". */
const char *doc_format_name(enum doc_format f);

/* For readers: the document so far. */
struct document *doc_new(const char *file, enum doc_format format);
/* Append a paragraph of text (squeezed; an empty one is dropped). */
int doc_add_paragraph(struct document *d, int line, const char *text, struct errlist *errs);
/* Append a table row; takes the cells (their texts included). Refuses rows past the bounds. */
int doc_add_row(struct document *d, int table, int row, int line, int depth, struct doc_cell *cells, size_t n,
                struct errlist *errs);
/* A cell's text as the model keeps it: runs of white space in a line squeezed to one space, lines
 * trimmed, empty lines dropped, control characters refused (-EINVAL). */
int doc_clean_text(const char *raw, size_t len, char **ret);

/* A line of Markdown as its reader sees it: without heading marks, quote marks, emphasis and escapes;
 * *heading if it was a heading (a paragraph of its own). */
char *doc_markdown_line(const char *line, size_t len, bool *heading);

/* The readers. Each appends to d; returns 0 or -EINVAL with errs filled. */
int doc_read_text(struct document *d, const char *data, size_t len, struct errlist *errs);
int doc_read_html(struct document *d, const char *data, size_t len, struct errlist *errs);
int doc_read_docx(struct document *d, const char *data, size_t len, struct errlist *errs);
