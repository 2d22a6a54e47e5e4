/* The Word reader: the body of a .docx (word/document.xml in its zip, read with libzip and parsed with
 * libxml2) as paragraphs and tables. Merged cells (gridSpan, vMerge) are spread over the grid as a
 * reader sees them; a cell's paragraphs are its lines. Deleted text of tracked changes is left out. */
#include "config.h"

#include <libxml/parser.h>
#include <limits.h>
#include <zip.h>

#include "doc.h"
#include "utf8.h"

#define BODY_ENTRY "word/document.xml"
#define XML_DEPTH_MAX 256

struct docx_reader {
        struct document *d;
        struct errlist *errs;
        int tables;
        int failed;
};

static int fail(struct docx_reader *x, const char *fmt, ...) _printf_(2, 3);
static int fail(struct docx_reader *x, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        errlist_add(x->errs, x->d->file, 0, "%s", msg);
        x->failed = -EINVAL;
        return -EINVAL;
}

/* Whether n is the WordprocessingML element name (any namespace prefix: Transitional or Strict). */
static bool is_w(const xmlNode *n, const char *name) {
        return n && n->type == XML_ELEMENT_NODE && strcmp((const char *) n->name, name) == 0;
}

static const xmlNode *child_w(const xmlNode *n, const char *name) {
        for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (is_w(c, name))
                        return c;
        return NULL;
}

/* The w:val attribute of an element, or NULL; to be freed with xmlFree. */
static xmlChar *val(const xmlNode *n) {
        if (!n)
                return NULL;
        for (const xmlAttr *a = n->properties; a; a = a->next)
                if (strcmp((const char *) a->name, "val") == 0)
                        return xmlNodeGetContent((const xmlNode *) a);
        return NULL;
}

/* The text of runs under n: w:t, with tabs and breaks; deleted text and field codes are left out. */
static void run_text(struct docx_reader *x, const xmlNode *n, struct buf *out, unsigned depth) {
        if (depth > XML_DEPTH_MAX) {
                fail(x, "the document is nested more than %d elements deep", XML_DEPTH_MAX);
                return;
        }
        for (const xmlNode *c = n->children; c && !x->failed; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_w(c, "t")) {
                        xmlChar *t = xmlNodeGetContent(c);
                        if (t)
                                buf_puts(out, (const char *) t);
                        xmlFree(t);
                } else if (is_w(c, "tab") || is_w(c, "ptab")) {
                        buf_putc(out, ' ');
                } else if (is_w(c, "br") || is_w(c, "cr")) {
                        buf_putc(out, '\n');
                } else if (is_w(c, "noBreakHyphen")) {
                        buf_putc(out, '-');
                } else if (is_w(c, "del") || is_w(c, "instrText") || is_w(c, "delText") || is_w(c, "tbl") ||
                           is_w(c, "pPr") || is_w(c, "rPr")) {
                        continue;
                } else {
                        run_text(x, c, out, depth + 1);
                }
        }
}

static char *clean(struct docx_reader *x, const char *raw) {
        char *text = NULL;
        if (doc_clean_text(raw, strlen(raw), &text) < 0) {
                fail(x, "control character or invalid UTF-8 in the document's text");
                return xstrdup("");
        }
        return text;
}

static void read_flow(struct docx_reader *x, const xmlNode *n, unsigned depth, unsigned table_depth);

/* Whether a table's cells hold tables: then it only lays out the page. */
static bool layout_table(const xmlNode *tbl) {
        for (const xmlNode *tr = tbl->children; tr; tr = tr->next)
                for (const xmlNode *tc = is_w(tr, "tr") ? tr->children : NULL; tc; tc = tc->next)
                        if (is_w(tc, "tc") && child_w(tc, "tbl"))
                                return true;
        return false;
}

/* A cell's text: its paragraphs are its lines. */
static char *cell_text(struct docx_reader *x, const xmlNode *tc) {
        struct buf raw = {0};
        for (const xmlNode *c = tc->children; c && !x->failed; c = c->next) {
                if (is_w(c, "p") || is_w(c, "sdt") || is_w(c, "customXml")) {
                        run_text(x, c, &raw, 0);
                        buf_putc(&raw, '\n');
                }
        }
        buf_putc(&raw, 0);
        char *text = clean(x, raw.data);
        buf_free(&raw);
        return text;
}

static void add_cell(struct doc_cell **cells, size_t *n, char *text, bool spanned, bool continued) {
        *cells = xreallocarray(*cells, *n + 1, sizeof(**cells));
        (*cells)[(*n)++] = (struct doc_cell) {.text = text, .spanned = spanned, .continued = continued};
}

static void free_cells(struct doc_cell *cells, size_t n) {
        for (size_t k = 0; k < n; k++)
                free(cells[k].text);
        free(cells);
}

static void read_table(struct docx_reader *x, const xmlNode *tbl, unsigned table_depth) {
        if (table_depth >= DOC_DEPTH_MAX) {
                fail(x, "tables are nested more than %u deep", DOC_DEPTH_MAX);
                return;
        }
        if (layout_table(tbl)) {
                for (const xmlNode *tr = tbl->children; tr && !x->failed; tr = tr->next)
                        for (const xmlNode *tc = is_w(tr, "tr") ? tr->children : NULL; tc; tc = tc->next)
                                if (is_w(tc, "tc"))
                                        read_flow(x, tc, 0, table_depth + 1);
                return;
        }
        int table = ++x->tables, rows = 0;
        struct doc_cell *above = NULL; /* the previous row, for vertical merges */
        size_t n_above = 0;
        for (const xmlNode *tr = tbl->children; tr && !x->failed; tr = tr->next) {
                if (!is_w(tr, "tr"))
                        continue;
                struct doc_cell *cells = NULL;
                size_t n = 0;
                xmlChar *before = val(child_w(child_w(tr, "trPr"), "gridBefore"));
                for (unsigned long k = before ? strtoul((const char *) before, NULL, 10) : 0;
                     k > 0 && n < DOC_COLUMNS_MAX; k--)
                        add_cell(&cells, &n, xstrdup(""), false, false);
                xmlFree(before);
                for (const xmlNode *tc = tr->children; tc && !x->failed; tc = tc->next) {
                        if (!is_w(tc, "tc"))
                                continue;
                        const xmlNode *pr = child_w(tc, "tcPr");
                        xmlChar *span = val(child_w(pr, "gridSpan"));
                        unsigned long colspan = span ? strtoul((const char *) span, NULL, 10) : 1;
                        xmlFree(span);
                        const xmlNode *vmerge = child_w(pr, "vMerge");
                        xmlChar *vm = val(vmerge);
                        bool continues = vmerge && (!vm || strcmp((const char *) vm, "restart") != 0);
                        xmlFree(vm);
                        if (colspan < 1)
                                colspan = 1;
                        char *text = cell_text(x, tc);
                        bool from_above = continues && n < n_above;
                        if (from_above) {
                                free(text);
                                text = xstrdup(above[n].text);
                        }
                        for (unsigned long k = 0; k < colspan && !x->failed; k++) {
                                if (n >= DOC_COLUMNS_MAX) {
                                        fail(x, "table %d, row %d has more columns than merzim reads (at most %u)",
                                             table, rows + 1, DOC_COLUMNS_MAX);
                                        break;
                                }
                                add_cell(&cells, &n, xstrdup(text), k > 0, from_above);
                        }
                        free(text);
                }
                if (x->failed) {
                        free_cells(cells, n);
                        break;
                }
                if (n == 0) {
                        free(cells);
                        continue;
                }
                /* The row as the next one's "above": copies, as the document keeps the row. */
                free_cells(above, n_above);
                above = xcalloc(n, sizeof(*above));
                for (size_t k = 0; k < n; k++)
                        above[k].text = xstrdup(cells[k].text);
                n_above = n;
                if (doc_add_row(x->d, table, ++rows, 0, (int) table_depth, cells, n, x->errs) < 0)
                        x->failed = -EINVAL;
        }
        free_cells(above, n_above);
}

/* The body: paragraphs, tables, and content controls around them. */
static void read_flow(struct docx_reader *x, const xmlNode *n, unsigned depth, unsigned table_depth) {
        if (depth > XML_DEPTH_MAX) {
                fail(x, "the document is nested more than %d elements deep", XML_DEPTH_MAX);
                return;
        }
        for (const xmlNode *c = n->children; c && !x->failed; c = c->next) {
                if (is_w(c, "p")) {
                        struct buf raw = {0};
                        run_text(x, c, &raw, 0);
                        buf_putc(&raw, 0);
                        _cleanup_free_ char *text = clean(x, raw.data);
                        buf_free(&raw);
                        /* A paragraph's line breaks end paragraphs of the plan's preamble too. */
                        char *save = NULL;
                        for (char *line = strtok_r(text, "\n", &save); line && !x->failed;
                             line = strtok_r(NULL, "\n", &save))
                                if (doc_add_paragraph(x->d, 0, line, x->errs) < 0)
                                        x->failed = -EINVAL;
                } else if (is_w(c, "tbl")) {
                        read_table(x, c, table_depth);
                } else if (is_w(c, "sdt") || is_w(c, "sdtContent") || is_w(c, "customXml") || is_w(c, "body") ||
                           is_w(c, "tc")) {
                        read_flow(x, c, depth + 1, table_depth);
                }
        }
}

/* Read a zip entry whole, refusing one larger than the bound whatever its header says. */
static int read_entry(struct docx_reader *x, zip_t *zip, zip_int64_t index, char **ret, size_t *ret_len) {
        zip_file_t *f = zip_fopen_index(zip, (zip_uint64_t) index, 0);
        if (!f)
                return fail(x, "cannot open %s in the .docx: %s", BODY_ENTRY, zip_strerror(zip));
        struct buf b = {0};
        char chunk[65536];
        zip_int64_t got;
        int r = 0;
        while ((got = zip_fread(f, chunk, sizeof(chunk))) > 0) {
                if (b.len + (size_t) got > DOC_SIZE_MAX) {
                        r = fail(x, "the document's text unpacks to more than %u MiB: merzim does not read it",
                                 DOC_SIZE_MAX >> 20);
                        break;
                }
                buf_append(&b, chunk, (size_t) got);
        }
        if (got < 0 && r == 0)
                r = fail(x, "the .docx is damaged: %s", zip_file_strerror(f));
        zip_fclose(f);
        if (r < 0) {
                buf_free(&b);
                return r;
        }
        *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

int doc_read_docx(struct document *d, const char *data, size_t len, struct errlist *errs) {
        struct docx_reader x = {.d = d, .errs = errs};
        zip_error_t zerr;
        zip_error_init(&zerr);
        zip_source_t *src = zip_source_buffer_create(data, len, 0, &zerr);
        zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY, &zerr) : NULL;
        if (!zip) {
                fail(&x, "a zip file merzim cannot open (%s): save the plan again as .docx",
                     zip_error_strerror(&zerr));
                if (src)
                        zip_source_free(src);
                zip_error_fini(&zerr);
                return -EINVAL;
        }
        zip_error_fini(&zerr);
        zip_int64_t index = zip_name_locate(zip, BODY_ENTRY, 0);
        if (index < 0) {
                if (zip_name_locate(zip, "xl/workbook.xml", 0) >= 0)
                        fail(&x, "this is an Excel workbook (.xlsx): merzim reads a plan from a Word document "
                                 "(.docx), a web page (HTML) or text; save the sheet as a web page or copy the "
                                 "table into a .docx");
                else
                        fail(&x, "a zip file that is not a Word document (.docx): it has no %s", BODY_ENTRY);
                zip_close(zip);
                return -EINVAL;
        }
        char *xml = NULL;
        size_t xml_len = 0;
        int r = read_entry(&x, zip, index, &xml, &xml_len);
        zip_close(zip);
        if (r < 0)
                return r;
        if (xml_len > INT_MAX) {
                free(xml);
                return fail(&x, "the document's text is too large");
        }
        /* No entity substitution, no network, no DTD loading: the document is only data. */
        xmlDocPtr doc = xmlReadMemory(xml, (int) xml_len, BODY_ENTRY, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        free(xml);
        if (!doc)
                return fail(&x, "the .docx is damaged: its %s is not well-formed XML", BODY_ENTRY);
        if (doc->intSubset || doc->extSubset) {
                xmlFreeDoc(doc);
                return fail(&x, "the .docx declares a DTD, which Word never writes: merzim does not read it");
        }
        const xmlNode *root = xmlDocGetRootElement(doc);
        const xmlNode *body = is_w(root, "document") ? child_w(root, "body") : NULL;
        if (!body)
                fail(&x, "the .docx has no document body");
        else
                read_flow(&x, body, 0, 0);
        xmlFreeDoc(doc);
        return x.failed;
}
