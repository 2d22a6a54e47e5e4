/* A long list of a configuration's text (the agencies) found without libconfig, so that libconfig
 * parses it a slice at a time: its tree of 10,000 agencies takes many times the text. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "conf-slices.h"
#include "util.h"

/* The white space libconfig's scanner skips: not the vertical tab, which is a syntax error to it. */
#define LIBCONFIG_SPACE " \t\r\n\f"

/* The end of a comment or a string that starts at p, or p itself if none starts there; NULL if one
 * starts and does not end. */
static const char *skip_quoted(const char *p, const char *end) {
        if (*p == '#' || (*p == '/' && end - p >= 2 && p[1] == '/')) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                return nl ? nl : end;
        }
        if (*p == '/' && end - p >= 2 && p[1] == '*') {
                const char *q = memmem(p + 2, (size_t) (end - p - 2), "*/", 2);
                return q ? q + 2 : NULL;
        }
        if (*p == '"') {
                for (const char *q = p + 1; q < end; q++) {
                        if (*q == '\\')
                                q++;
                        else if (*q == '"')
                                return q + 1;
                }
                return NULL;
        }
        return p;
}

static bool name_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '*';
}

/* The next byte that is not white space or a comment, from p (end if none; NULL on an unended one). */
static const char *next_token(const char *p, const char *end) {
        while (p && p < end) {
                const char *q = skip_quoted(p, end);
                if (q && q != p && *p != '"')
                        p = q;
                else if (q && strchr(LIBCONFIG_SPACE, *p))
                        p++;
                else
                        return q ? p : NULL;
        }
        return p;
}

int conf_list_find(const char *text, size_t len, const char *name, struct conf_list *ret) {
        const char *end = text + len, *p = text;
        size_t name_len = strlen(name);
        int depth = 0, line = 1;
        struct conf_list l = {0};
        bool inside = false, want_element = false;
        while (p < end) {
                const char *q = skip_quoted(p, end);
                if (!q)
                        goto fail;
                if (q != p) {
                        if (want_element && *p == '"')
                                goto fail; /* an element is a group, never a string: libconfig says so */
                        for (; p < q; p++)
                                line += *p == '\n';
                        continue;
                }
                char c = *p;
                if (c == '\n')
                        line++;
                if (strchr(LIBCONFIG_SPACE, c)) {
                        p++;
                        continue;
                }
                if (want_element) {
                        if (c == ',' || c == ')')
                                goto fail; /* an empty element: libconfig's own error */
                        l.starts = xreallocarray(l.starts, l.n + 1, sizeof(size_t));
                        l.lines = xreallocarray(l.lines, l.n + 1, sizeof(int));
                        l.ends = xreallocarray(l.ends, l.n + 1, sizeof(size_t));
                        l.starts[l.n] = (size_t) (p - text);
                        l.lines[l.n++] = line;
                        want_element = false;
                }
                if (c == '(' || c == '[' || c == '{') {
                        depth++;
                } else if (c == ')' || c == ']' || c == '}') {
                        if (--depth < 0)
                                goto fail;
                        if (inside && depth == 0) {
                                l.close = l.ends[l.n - 1] = (size_t) (p - text);
                                *ret = l;
                                return 0;
                        }
                } else if (inside && depth == 1 && c == ',') {
                        l.ends[l.n - 1] = (size_t) (p - text);
                        want_element = true;
                } else if (!inside && depth == 0 && name_char(c)) {
                        const char *w = p;
                        while (p < end && name_char(*p))
                                p++;
                        if ((size_t) (p - w) != name_len || memcmp(w, name, name_len) != 0)
                                continue;
                        const char *e = next_token(p, end);
                        if (!e || e == end || (*e != '=' && *e != ':'))
                                continue;
                        const char *o = next_token(e + 1, end);
                        if (!o || o == end || *o != '(')
                                goto fail;
                        for (; p < o; p++)
                                line += *p == '\n';
                        l.open = (size_t) (o - text);
                        inside = true;
                        depth = 1;
                        want_element = true;
                        /* An empty list: nothing to slice. */
                        const char *f = next_token(o + 1, end);
                        if (!f || f == end || *f == ')')
                                goto fail;
                        p = o + 1;
                        continue;
                }
                p++;
        }
fail:
        conf_list_clear(&l);
        return -ENOENT;
}

void conf_list_clear(struct conf_list *l) {
        free(l->starts);
        free(l->ends);
        free(l->lines);
        *l = (struct conf_list) {0};
}

/* A stream made of pieces: bytes as they are, bytes blanked (spaces, their newlines kept), or newlines. */
enum piece_kind { PIECE_BYTES, PIECE_BLANK, PIECE_NEWLINES };

struct piece {
        enum piece_kind kind;
        const char *p;
        size_t n;
};

struct pieces {
        struct piece v[4];
        size_t n, at, off;
};

static ssize_t pieces_read(void *cookie, char *buf, size_t size) {
        struct pieces *s = cookie;
        size_t done = 0;
        while (done < size && s->at < s->n) {
                const struct piece *pc = &s->v[s->at];
                size_t k = pc->n - s->off < size - done ? pc->n - s->off : size - done;
                if (pc->kind == PIECE_NEWLINES)
                        memset(buf + done, '\n', k);
                else if (pc->kind == PIECE_BYTES)
                        memcpy(buf + done, pc->p + s->off, k);
                else
                        for (size_t i = 0; i < k; i++)
                                buf[done + i] = pc->p[s->off + i] == '\n' ? '\n' : ' ';
                done += k;
                s->off += k;
                if (s->off == pc->n) {
                        s->at++;
                        s->off = 0;
                }
        }
        return (ssize_t) done;
}

static int pieces_close(void *cookie) {
        free(cookie);
        return 0;
}

static FILE *pieces_open(const struct piece *v, size_t n) {
        struct pieces *s = xcalloc(1, sizeof(*s));
        memcpy(s->v, v, n * sizeof(*v));
        s->n = n;
        FILE *f = fopencookie(s, "r", (cookie_io_functions_t) {.read = pieces_read, .close = pieces_close});
        if (!f)
                free(s);
        return f;
}

FILE *conf_open_without_list(const char *text, size_t len, const struct conf_list *l) {
        const struct piece v[] = {
                {PIECE_BYTES, text, l->open + 1},
                {PIECE_BLANK, text + l->open + 1, l->close - l->open - 1},
                {PIECE_BYTES, text + l->close, len - l->close},
        };
        return pieces_open(v, ELEMENTSOF(v));
}

FILE *conf_open_slice(const char *text, const struct conf_list *l, const char *head, size_t from, size_t to) {
        static const char tail[] = ");\n";
        const struct piece v[] = {
                {PIECE_NEWLINES, NULL, (size_t) l->lines[from] - 1},
                {PIECE_BYTES, head, strlen(head)},
                {PIECE_BYTES, text + l->starts[from], l->ends[to - 1] - l->starts[from]},
                {PIECE_BYTES, tail, sizeof(tail) - 1},
        };
        return pieces_open(v, ELEMENTSOF(v));
}
