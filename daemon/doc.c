/* The document model shared by every reader, and the choice of reader by content. */
#include "config.h"

#include <ctype.h>
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
 * joiners, byte order marks inside the text, stray paragraph marks (¶), and the bidirectional controls (a plan in Kazakh or Russian
 * has no right-to-left text; an override could make an agency's name look like another's). */
static bool invisible(uint32_t c) {
        return c == 0x00AD || c == 0x00B6 /* a pilcrow left by a word processor */ || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
               (c >= 0x2060 && c <= 0x2069) || c == 0xFEFF;
}

int doc_clean_text(const char *raw, size_t len, char **ret) {
        /* The text only loses characters or has runs of them written as one byte: never longer. */
        char *out = xmalloc(len + 1);
        size_t n = 0;
        const char *p = raw, *end = raw + len;
        bool space = false, line_has_text = false, pending_newline = false;
        while (p < end) {
                const char *at = p;
                int32_t c = utf8_next(&p, end);
                if (c < 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') ||
                    (c >= 0x7F && c <= 0x9F)) {
                        free(out);
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
                        out[n++] = '\n';
                        pending_newline = false;
                } else if (space) {
                        out[n++] = ' ';
                }
                space = false;
                line_has_text = true;
                /* A well-formed code point is its own bytes. */
                memcpy(out + n, at, (size_t) (p - at));
                n += (size_t) (p - at);
        }
        out[n] = 0;
        *ret = out;
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

static bool markup_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The bytes from p on as libxml2 reads a tag after its '<': up to its '>' (or the next '<', or the end),
 * quoted values skipped whole; counts the attributes (names, with or without a value) and lines. */
static const char *scan_tag(const char *p, const char *end, size_t *attributes, int *line) {
        bool space = false, value = false;
        for (; p < end && *p != '>' && *p != '<'; p++) {
                char c = *p;
                if (c == '"' || c == '\'') {
                        const char *q = memchr(p + 1, c, (size_t) (end - p - 1));
                        for (const char *s = p; s < (q ? q : end); s++)
                                *line += *s == '\n';
                        if (!q)
                                return end;
                        p = q;
                        space = value = false;
                } else if (markup_space(c)) {
                        *line += c == '\n';
                        space = true;
                } else if (c == '=') {
                        value = true;
                        space = false;
                } else {
                        if (space && !value && c != '/')
                                (*attributes)++;
                        space = value = false;
                }
        }
        return p;
}

/* Where the text after p ends with "what" (any case), past it; end if nowhere. */
static const char *skip_past(const char *p, const char *end, const char *what, int *line) {
        size_t n = strlen(what);
        for (; p < end; p++) {
                if ((size_t) (end - p) >= n && strncasecmp(p, what, n) == 0)
                        return p + n;
                *line += *p == '\n';
        }
        return end;
}

int doc_check_markup(struct document *d, const char *data, size_t len, bool html, struct errlist *errs) {
        size_t markup = 0, cells = 0;
        int line = 1;
        for (const char *p = data, *end = data + len; p < end;) {
                const char *lt = memchr(p, '<', (size_t) (end - p));
                if (!lt)
                        break;
                for (; p < lt; p++)
                        line += *p == '\n';
                p = lt + 1;
                markup++;
                if ((size_t) (end - p) >= 3 && memcmp(p, "!--", 3) == 0) {
                        p = skip_past(p + 3, end, "-->", &line);
                        continue;
                }
                if (!html && (size_t) (end - p) >= 8 && memcmp(p, "![CDATA[", 8) == 0) {
                        p = skip_past(p + 8, end, "]]>", &line);
                        continue;
                }
                if (p == end || !(isalpha((unsigned char) *p) || *p == '_' || *p == ':' || (unsigned char) *p >= 0x80))
                        continue; /* an end tag, a declaration, or a '<' in text */
                const char *name = p;
                while (p < end && !markup_space(*p) && *p != '>' && *p != '/' && *p != '<')
                        p++;
                size_t name_len = (size_t) (p - name), attributes = 0;
                p = scan_tag(p, end, &attributes, &line);
                if (attributes > DOC_ATTRIBUTES_MAX) {
                        errlist_add(errs, d->file, html ? line : 0, "an element has more than %u attributes: "
                                    "this is not a document merzim reads", DOC_ATTRIBUTES_MAX);
                        return -EINVAL;
                }
                markup += attributes;
                if (!html)
                        continue;
                if (name_len == 2 && (strncasecmp(name, "td", 2) == 0 || strncasecmp(name, "th", 2) == 0))
                        cells++;
                /* The text of scripts and styles is not markup: libxml2 reads it up to the end tag. */
                if (name_len == 6 && strncasecmp(name, "script", 6) == 0)
                        p = skip_past(p, end, "</script", &line);
                else if (name_len == 5 && strncasecmp(name, "style", 5) == 0)
                        p = skip_past(p, end, "</style", &line);
        }
        if (cells > DOC_CELLS_MAX) {
                errlist_add(errs, d->file, 0, "the document has more table cells than merzim reads (at most %u)",
                            DOC_CELLS_MAX);
                return -EINVAL;
        }
        if (markup > DOC_MARKUP_MAX) {
                errlist_add(errs, d->file, 0, "the document has more markup than merzim reads (more than %u tags "
                            "and attributes); save the plan's table alone in a new document", DOC_MARKUP_MAX);
                return -EINVAL;
        }
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
                errlist_add(errs, file, 0, "the document is larger than %u MiB, more than merzim reads",
                            DOC_SIZE_MAX >> 20);
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
