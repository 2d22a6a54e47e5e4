/* The document model shared by every reader, and the choice of reader by content. */
#include "config.h"

#include <stdio.h>
#include <strings.h>

#include "doc.h"
#include "utf8.h"

struct document *doc_new(const char *file, enum doc_format format) {
        struct document *d = xcalloc(1, sizeof(*d));
        d->file = xstrdup(file ? file : "-");
        d->format = format;
        return d;
}

void doc_free(struct document *d) {
        if (!d)
                return;
        for (size_t i = 0; i < d->n_blocks; i++) {
                for (size_t k = 0; k < d->blocks[i].n_cells; k++)
                        free(d->blocks[i].cells[k].text);
                free(d->blocks[i].cells);
        }
        free(d->blocks);
        free(d->file);
        free(d);
}

const char *doc_format_name(enum doc_format f) {
        switch (f) {
        case DOC_TEXT:
                return "text";
        case DOC_HTML:
                return "HTML";
        case DOC_DOCX:
                return "Word (.docx)";
        }
        return "?";
}

char *doc_where(const struct document *d, const struct doc_block *b) {
        if (b->line > 0)
                return xasprintf("%s:%d", d->file, b->line);
        if (b->table > 0)
                return xasprintf("%s: table %d, row %d", d->file, b->table, b->row);
        return xasprintf("%s: paragraph %d", d->file, b->row);
}

/* Code points that say nothing in a plan and would only hide text: soft hyphens, zero-width spaces and
 * joiners, byte order marks inside the text, and the bidirectional controls (a plan in Kazakh or Russian
 * has no right-to-left text; an override could make an agency's name look like another's). */
static bool invisible(uint32_t c) {
        return c == 0x00AD || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
               (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

int doc_clean_text(const char *raw, size_t len, char **ret) {
        struct buf out = {0};
        const char *p = raw, *end = raw + len;
        bool space = false, line_has_text = false, pending_newline = false;
        while (p < end) {
                int32_t c = utf8_decode(&p, end);
                if (c < 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') ||
                    (c >= 0x7F && c <= 0x9F)) {
                        buf_free(&out);
                        *ret = NULL;
                        return c < 0 ? -EILSEQ : -EINVAL;
                }
                if (invisible((uint32_t) c))
                        continue;
                if (c == '\n' || c == '\v' || c == '\f' || c == 0x2028 || c == 0x2029) {
                        if (line_has_text)
                                pending_newline = true;
                        line_has_text = false;
                        space = false;
                        continue;
                }
                if (c == '\r' || unicode_is_space((uint32_t) c)) {
                        space = line_has_text;
                        continue;
                }
                if (pending_newline) {
                        buf_putc(&out, '\n');
                        pending_newline = false;
                } else if (space) {
                        buf_putc(&out, ' ');
                }
                space = false;
                line_has_text = true;
                utf8_encode(&out, (uint32_t) c);
        }
        *ret = buf_steal(&out);
        return 0;
}

char *doc_markdown_line(const char *line, size_t len, bool *heading) {
        size_t i = 0;
        *heading = false;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
                i++;
        while (i < len && line[i] == '>') { /* a quote, nested or not */
                i++;
                while (i < len && line[i] == ' ')
                        i++;
        }
        size_t hashes = 0;
        while (i + hashes < len && line[i + hashes] == '#')
                hashes++;
        if (hashes > 0 && hashes <= 6 && (i + hashes == len || line[i + hashes] == ' ')) {
                *heading = true;
                i += hashes;
        }
        struct buf b = {0};
        for (; i < len; i++) {
                char c = line[i];
                if (c == '\\' && i + 1 < len && strchr("\\`*_{}[]()#+-.!|>~\"'", line[i + 1])) {
                        buf_putc(&b, line[++i]); /* an escaped character is itself */
                        continue;
                }
                /* Emphasis: runs of '*' and of "__"; a lone '_' is a character of its own. */
                if (c == '*' || (c == '_' && i + 1 < len && line[i + 1] == '_')) {
                        while (i + 1 < len && line[i + 1] == c)
                                i++;
                        continue;
                }
                buf_putc(&b, c);
        }
        return buf_steal(&b);
}

static struct doc_block *new_block(struct document *d) {
        if (d->n_blocks == d->cap) {
                d->cap = d->cap ? d->cap * 2 : 64;
                d->blocks = xreallocarray(d->blocks, d->cap, sizeof(*d->blocks));
        }
        struct doc_block *b = &d->blocks[d->n_blocks++];
        *b = (struct doc_block) {0};
        return b;
}

int doc_add_paragraph(struct document *d, int line, const char *text, struct errlist *errs) {
        size_t len = strlen(text);
        if (len > DOC_CELL_MAX) {
                struct doc_block where = {.line = line, .row = (int) d->n_paragraphs + 1};
                _cleanup_free_ char *w = doc_where(d, &where);
                errlist_add(errs, w, 0, "a paragraph of %zu bytes is longer than merzim reads (%u bytes)", len,
                            DOC_CELL_MAX);
                return -EINVAL;
        }
        _cleanup_free_ char *clean = NULL;
        if (doc_clean_text(text, len, &clean) < 0 || isempty(clean))
                return 0; /* readers check the text before; an empty paragraph says nothing */
        struct doc_block *b = new_block(d);
        b->line = line;
        b->row = (int) ++d->n_paragraphs;
        b->n_cells = 1;
        b->cells = xcalloc(1, sizeof(struct doc_cell));
        b->cells[0].text = TAKE_PTR(clean);
        return 0;
}

int doc_add_row(struct document *d, int table, int row, int line, int depth, struct doc_cell *cells, size_t n,
                struct errlist *errs) {
        struct doc_block where = {.table = table, .row = row, .line = line};
        _cleanup_free_ char *w = NULL;
        const char *problem = NULL;
        char detail[96] = "";
        if (n > DOC_COLUMNS_MAX) {
                problem = "a row has more columns than merzim reads";
                snprintf(detail, sizeof(detail), " (%zu, at most %u)", n, DOC_COLUMNS_MAX);
        } else if (d->n_cells + n > DOC_CELLS_MAX) {
                problem = "the document has more table cells than merzim reads";
                snprintf(detail, sizeof(detail), " (at most %u)", DOC_CELLS_MAX);
        }
        for (size_t k = 0; !problem && k < n; k++)
                if (strlen(cells[k].text) > DOC_CELL_MAX) {
                        problem = "a cell is longer than merzim reads";
                        snprintf(detail, sizeof(detail), " (column %zu: %zu bytes, at most %u)", k + 1,
                                 strlen(cells[k].text), DOC_CELL_MAX);
                }
        if (problem) {
                w = doc_where(d, &where);
                errlist_add(errs, w, 0, "%s%s", problem, detail);
                for (size_t k = 0; k < n; k++)
                        free(cells[k].text);
                free(cells);
                return -EINVAL;
        }
        struct doc_block *b = new_block(d);
        *b = (struct doc_block) {.table = table, .row = row, .line = line, .depth = depth, .n_cells = n,
                                 .cells = cells};
        d->n_cells += n;
        return 0;
}

/* What the first bytes say a file is, when it is something merzim does not read; NULL if nothing. */
static const char *foreign_format(const char *data, size_t len) {
        static const struct {
                const char *magic;
                size_t len;
                const char *what;
        } formats[] = {
                {"%PDF-", 5, "this is a PDF file: merzim reads the plan's table from the web page (HTML), a Word "
                             "document (.docx) or text; open the PDF in Word or LibreOffice and save it as .docx"},
                {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8,
                 "this is an old Word (.doc) or Excel (.xls) file: open it in Word or LibreOffice and save it as "
                 ".docx"},
                {"{\\rtf", 5, "this is an RTF file: open it in Word or LibreOffice and save it as .docx"},
                {"\xff\xfe", 2, "this text is UTF-16: save it as UTF-8"},
                {"\xfe\xff", 2, "this text is UTF-16: save it as UTF-8"},
                {"\x7f" "ELF", 4, "this is a program, not a document"},
        };
        for (size_t i = 0; i < ELEMENTSOF(formats); i++)
                if (len >= formats[i].len && memcmp(data, formats[i].magic, formats[i].len) == 0)
                        return formats[i].what;
        return NULL;
}

/* Whether text has HTML markup that holds a plan: a table, or a whole page. */
static bool looks_like_html(const char *data, size_t len) {
        static const char *const tags[] = {"<table", "<html", "<!doctype html", "<body", NULL};
        size_t n = len < 4096 ? len : 4096;
        bool page_start = false;
        /* A page says so at its start; Markdown may have a table anywhere. */
        for (size_t i = 0; i < n && !page_start; i++) {
                for (size_t t = 1; tags[t]; t++) {
                        size_t tl = strlen(tags[t]);
                        if (i + tl <= len && strncasecmp(data + i, tags[t], tl) == 0)
                                page_start = true;
                }
        }
        if (page_start)
                return true;
        for (size_t i = 0; i + 6 <= len; i++)
                if (data[i] == '<' && strncasecmp(data + i, "<table", 6) == 0)
                        return true;
        return false;
}

int doc_read(const char *file, const char *data, size_t len, struct document **ret, struct errlist *errs) {
        size_t errors_before = errs->n;
        *ret = NULL;
        if (len > DOC_SIZE_MAX) {
                errlist_add(errs, file, 0, "the document has %zu bytes; merzim reads documents of up to %u MiB",
                            len, DOC_SIZE_MAX >> 20);
                return -EINVAL;
        }
        const char *foreign = foreign_format(data, len);
        if (foreign) {
                errlist_add(errs, file, 0, "%s", foreign);
                return -EINVAL;
        }
        struct document *d;
        int r;
        if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) {
                d = doc_new(file, DOC_DOCX);
                r = doc_read_docx(d, data, len, errs);
        } else if (looks_like_html(data, len)) {
                d = doc_new(file, DOC_HTML);
                r = doc_read_html(d, data, len, errs);
        } else {
                d = doc_new(file, DOC_TEXT);
                r = doc_read_text(d, data, len, errs);
        }
        if (r < 0 || errs->n > errors_before) {
                if (errs->n == errors_before)
                        errlist_add(errs, file, 0, "cannot read this %s document", doc_format_name(d->format));
                doc_free(d);
                return -EINVAL;
        }
        *ret = d;
        return 0;
}
