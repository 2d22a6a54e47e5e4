/* The HTML reader: a page saved from the legal database, any page whose plan is a <table>, and Markdown
 * with HTML tables in it (the mirrors of the legal database), parsed by libxml2's HTML parser. Tables
 * become rows, with colspan and rowspan spread over the grid as a reader sees them; everything else is
 * paragraphs. A table whose cells hold tables only lays out the page: its contents are read as if it
 * were not there. */
#include "config.h"

#include <libxml/HTMLparser.h>
#include <limits.h>
#include <strings.h>

#include "doc.h"
#include "utf8.h"

#define ELEMENT_DEPTH_MAX 256 /* libxml2's own default nesting limit */
#define ROWSPAN_MAX 10000

struct html_reader {
        struct document *d;
        struct errlist *errs;
        bool markdown;   /* Markdown around the tables: a line break outside a table ends a paragraph */
        int tables;      /* numbered so far */
        struct buf para; /* the paragraph being read */
        int para_line;
        int failed;
};

static bool is_element(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && strcasecmp((const char *) n->name, name) == 0;
}

/* Elements whose contents are never text of the plan. */
static bool skipped(const xmlNode *n) {
        static const char *const names[] = {"head", "script", "style", "noscript", "template", "iframe", "object",
                                            "svg", "math", "button", "select", "textarea", "input", NULL};
        for (size_t i = 0; names[i]; i++)
                if (is_element(n, names[i]))
                        return true;
        return n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE;
}

/* Elements that start and end a paragraph (or a line in a cell). */
static bool block_level(const xmlNode *n) {
        static const char *const names[] = {
                "p",  "div", "h1",      "h2",     "h3",     "h4",      "h5",   "h6",   "li",      "ul",
                "ol", "dl",  "dt",      "dd",     "pre",    "section", "hr",   "br",   "article", "header",
                "footer", "blockquote", "center", "address", "figure", "figcaption", "caption", "main",
                "nav", "aside", "form", "body", "html", "tr", "table", NULL};
        if (n->type != XML_ELEMENT_NODE)
                return false;
        for (size_t i = 0; names[i]; i++)
                if (strcasecmp((const char *) n->name, names[i]) == 0)
                        return true;
        return false;
}

static int fail(struct html_reader *h, int line, const char *fmt, ...) _printf_(3, 4);
static int fail(struct html_reader *h, int line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        errlist_add(h->errs, h->d->file, line, "%s", msg);
        h->failed = -EINVAL;
        return -EINVAL;
}

static int node_line(const xmlNode *n) {
        long l = xmlGetLineNo(n);
        return l > 0 && l < INT_MAX ? (int) l : 0;
}

/* Check text before it reaches the model: a control character would reach the operator's terminal. */
static int check_text(struct html_reader *h, const xmlNode *n, const char *s) {
        for (const char *p = s, *end = s + strlen(s); p < end;) {
                int32_t c = utf8_decode(&p, end);
                if (c < 0)
                        return fail(h, node_line(n), "invalid UTF-8 in the page's text");
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') ||
                    (c >= 0x7F && c <= 0x9F))
                        return fail(h, node_line(n), "control character U+%04X in the text: this is not a "
                                    "document merzim reads", (unsigned) c);
        }
        return 0;
}

static void flush_paragraph(struct html_reader *h) {
        if (h->para.len > 0 && !h->failed) {
                buf_putc(&h->para, 0);
                if (doc_add_paragraph(h->d, h->para_line, h->para.data, h->errs) < 0)
                        h->failed = -EINVAL;
        }
        buf_free(&h->para);
        h->para_line = 0;
}

/* Add a line of Markdown text to the paragraph: a blank line or a heading ends one. */
static void markdown_line(struct html_reader *h, const char *line, size_t n, int lineno) {
        bool heading;
        _cleanup_free_ char *text = doc_markdown_line(line, n, &heading);
        bool blank = true;
        for (const char *p = text; *p && blank; p++)
                blank = strchr(" \t\r", *p) != NULL;
        if (blank || heading)
                flush_paragraph(h);
        if (blank)
                return;
        if (h->para.len == 0)
                h->para_line = lineno;
        else
                buf_putc(&h->para, ' ');
        buf_puts(&h->para, text);
        if (heading)
                flush_paragraph(h);
}

/* Text outside tables. In Markdown, a paragraph ends at a blank line; in a page, line breaks are
 * spaces. */
static void flow_text(struct html_reader *h, const xmlNode *n) {
        const char *s = (const char *) n->content;
        if (!s || check_text(h, n, s) < 0)
                return;
        int line = node_line(n);
        if (h->markdown) {
                /* The node's text starts where the last line of markup before it ended. */
                for (const char *p = s;;) {
                        const char *nl = strchr(p, '\n');
                        size_t len = nl ? (size_t) (nl - p) : strlen(p);
                        markdown_line(h, p, len, line);
                        if (!nl)
                                break;
                        p = nl + 1;
                        line += line > 0;
                }
                return;
        }
        for (const char *p = s; *p; p++) {
                if (h->para.len == 0) {
                        if (strchr(" \t\r\n", *p))
                                continue;
                        h->para_line = line;
                }
                buf_putc(&h->para, *p == '\n' ? ' ' : *p);
        }
}

/* The text of a cell: block elements and <br> break lines. */
static void cell_text(struct html_reader *h, const xmlNode *n, struct buf *out, unsigned depth) {
        if (depth > ELEMENT_DEPTH_MAX) {
                fail(h, node_line(n), "the page is nested more than %d elements deep", ELEMENT_DEPTH_MAX);
                return;
        }
        for (const xmlNode *c = n->children; c && !h->failed; c = c->next) {
                if (skipped(c))
                        continue;
                if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
                        /* Markdown writes a cell's lines on lines of their own; a page's line breaks are
                         * spaces. */
                        if (c->content && check_text(h, c, (const char *) c->content) >= 0)
                                for (const char *p = (const char *) c->content; *p; p++)
                                        buf_putc(out, *p == '\n' && !h->markdown ? ' ' : *p);
                        continue;
                }
                bool block = block_level(c);
                if (block)
                        buf_putc(out, '\n');
                cell_text(h, c, out, depth + 1);
                if (block)
                        buf_putc(out, '\n');
        }
}

static unsigned span_attr(const xmlNode *cell, const char *name, unsigned max) {
        xmlChar *v = xmlGetProp(cell, (const xmlChar *) name);
        if (!v)
                return 1;
        unsigned long n = strtoul((const char *) v, NULL, 10);
        xmlFree(v);
        return n == 0 ? (strcmp(name, "rowspan") == 0 ? max : 1) : n > max ? max : (unsigned) n;
}

/* Whether a table's own cells hold tables: then it only lays out the page. */
static bool layout_table(const xmlNode *n, unsigned depth) {
        for (const xmlNode *c = n->children; c && depth < ELEMENT_DEPTH_MAX; c = c->next) {
                if (is_element(c, "table"))
                        return true;
                if (c->type == XML_ELEMENT_NODE && layout_table(c, depth + 1))
                        return true;
        }
        return false;
}

static void walk_flow(struct html_reader *h, const xmlNode *n, unsigned depth, unsigned table_depth);

/* A cell spread over the rows below it. */
struct pending_span {
        unsigned rows_left;
        char *text;
};

struct grid {
        struct pending_span spans[DOC_COLUMNS_MAX];
        int table, rows;
        unsigned depth;
};

static void add_cell(struct doc_cell **cells, size_t *n, const char *text, bool spanned, bool continued) {
        *cells = xreallocarray(*cells, *n + 1, sizeof(**cells));
        (*cells)[(*n)++] = (struct doc_cell) {.text = xstrdup(text), .spanned = spanned, .continued = continued};
}

/* Cells spread from rows above into the row, from column *n on, as long as there are any. */
static void add_continued(struct grid *g, struct doc_cell **cells, size_t *n) {
        while (*n < DOC_COLUMNS_MAX && g->spans[*n].rows_left > 0) {
                struct pending_span *s = &g->spans[*n];
                add_cell(cells, n, s->text, false, true);
                if (--s->rows_left == 0) {
                        free(s->text);
                        s->text = NULL;
                }
        }
}

/* Cells spread from rows above past the row's last cell: empty cells up to them. */
static void add_trailing(struct grid *g, struct doc_cell **cells, size_t *n) {
        size_t last = 0;
        for (size_t k = *n; k < DOC_COLUMNS_MAX; k++)
                if (g->spans[k].rows_left > 0)
                        last = k + 1;
        while (*n < last) {
                if (g->spans[*n].rows_left == 0)
                        add_cell(cells, n, "", false, false);
                add_continued(g, cells, n);
        }
}

static void read_row(struct html_reader *h, struct grid *g, const xmlNode *tr) {
        struct doc_cell *cells = NULL;
        size_t n = 0;
        add_continued(g, &cells, &n);
        for (const xmlNode *c = tr->children; c && !h->failed; c = c->next) {
                if (!is_element(c, "td") && !is_element(c, "th"))
                        continue;
                struct buf raw = {0};
                cell_text(h, c, &raw, 0);
                buf_putc(&raw, 0);
                _cleanup_free_ char *text = NULL;
                if (!h->failed && doc_clean_text(raw.data, strlen(raw.data), &text) < 0)
                        fail(h, node_line(c), "the text of a cell cannot be read");
                buf_free(&raw);
                if (h->failed)
                        break;
                unsigned colspan = span_attr(c, "colspan", DOC_COLUMNS_MAX);
                unsigned rowspan = span_attr(c, "rowspan", ROWSPAN_MAX);
                for (unsigned k = 0; k < colspan; k++) {
                        if (n >= DOC_COLUMNS_MAX) {
                                fail(h, node_line(tr), "a row has more columns than merzim reads (at most %u)",
                                     DOC_COLUMNS_MAX);
                                break;
                        }
                        if (rowspan > 1) {
                                free(g->spans[n].text);
                                g->spans[n] = (struct pending_span) {.rows_left = rowspan - 1, .text = xstrdup(text)};
                        }
                        add_cell(&cells, &n, text, k > 0, false);
                        add_continued(g, &cells, &n);
                }
        }
        if (!h->failed)
                add_trailing(g, &cells, &n);
        if (h->failed || n == 0) {
                for (size_t k = 0; k < n; k++)
                        free(cells[k].text);
                free(cells);
                return;
        }
        if (doc_add_row(h->d, g->table, ++g->rows, node_line(tr), (int) g->depth, cells, n, h->errs) < 0)
                h->failed = -EINVAL;
}

/* Rows of a table, in its head, bodies and foot or directly in it; a caption is a paragraph before it. */
static void read_rows(struct html_reader *h, struct grid *g, const xmlNode *n, unsigned depth) {
        for (const xmlNode *c = n->children; c && !h->failed; c = c->next) {
                if (is_element(c, "tr"))
                        read_row(h, g, c);
                else if (is_element(c, "thead") || is_element(c, "tbody") || is_element(c, "tfoot"))
                        read_rows(h, g, c, depth + 1);
                else if (is_element(c, "caption")) {
                        walk_flow(h, c, depth + 1, g->depth);
                        flush_paragraph(h);
                }
        }
}

static void read_table(struct html_reader *h, const xmlNode *n, unsigned depth, unsigned table_depth) {
        flush_paragraph(h);
        if (table_depth >= DOC_DEPTH_MAX) {
                fail(h, node_line(n), "tables are nested more than %u deep", DOC_DEPTH_MAX);
                return;
        }
        if (layout_table(n, 0)) {
                walk_flow(h, n, depth + 1, table_depth + 1);
                flush_paragraph(h);
                return;
        }
        struct grid *g = xcalloc(1, sizeof(*g));
        g->table = ++h->tables;
        g->depth = table_depth;
        read_rows(h, g, n, depth);
        for (size_t k = 0; k < DOC_COLUMNS_MAX; k++)
                free(g->spans[k].text);
        free(g);
}

/* The page outside tables. */
static void walk_flow(struct html_reader *h, const xmlNode *n, unsigned depth, unsigned table_depth) {
        if (depth > ELEMENT_DEPTH_MAX) {
                fail(h, node_line(n), "the page is nested more than %d elements deep", ELEMENT_DEPTH_MAX);
                return;
        }
        for (const xmlNode *c = n->children; c && !h->failed; c = c->next) {
                if (skipped(c))
                        continue;
                if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
                        flow_text(h, c);
                        continue;
                }
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_element(c, "table")) {
                        read_table(h, c, depth + 1, table_depth);
                        continue;
                }
                bool block = block_level(c);
                if (block)
                        flush_paragraph(h);
                walk_flow(h, c, depth + 1, table_depth);
                if (block)
                        flush_paragraph(h);
        }
}

/* Whether the page names its character set: then libxml2 decodes it as it says. */
static bool declares_charset(const char *data, size_t len) {
        size_t n = len < 8192 ? len : 8192;
        for (size_t i = 0; i + 8 <= n; i++)
                if (strncasecmp(data + i, "charset=", 8) == 0)
                        return true;
        return false;
}

int doc_read_html(struct document *d, const char *data, size_t len, struct errlist *errs) {
        struct html_reader h = {.d = d, .errs = errs};
        size_t i = 0;
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                i = 3;
        while (i < len && strchr(" \t\r\n", data[i]))
                i++;
        h.markdown = i >= len || data[i] != '<';

        size_t bad;
        const char *encoding = "UTF-8";
        if (memchr(data, 0, len)) {
                errlist_add(errs, d->file, 0, "NUL byte in the page: this is not an HTML document");
                return -EINVAL;
        }
        if (!utf8_valid(data, len, &bad)) {
                if (!declares_charset(data, len)) {
                        errlist_add(errs, d->file, 0, "invalid UTF-8 (byte 0x%02x at offset %zu) and the page "
                                    "declares no character set; save it as UTF-8", (unsigned char) data[bad], bad);
                        return -EINVAL;
                }
                encoding = NULL; /* the page's <meta charset> */
        }
        if (len > INT_MAX)
                return -EINVAL;
        htmlDocPtr doc = htmlReadMemory(data, (int) len, NULL, encoding,
                                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                                HTML_PARSE_NONET | HTML_PARSE_NOIMPLIED);
        if (!doc) {
                errlist_add(errs, d->file, 0, "cannot parse the page as HTML");
                return -EINVAL;
        }
        walk_flow(&h, (const xmlNode *) doc, 0, 0);
        flush_paragraph(&h);
        xmlFreeDoc(doc);
        return h.failed;
}
