/* Small helpers shared by every part of merzim. */
#pragma once

#include <errno.h>
#include <libintl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **) p); }
#define _cleanup_free_ _cleanup_(freep)

/* A message to users, translated into the language of the locale (po/, i18n.h); N_ marks one for
 * translation where it is written and _ translates it where it is shown. */
#define _(msgid) gettext(msgid)
#define N_(msgid) msgid
/* Hand over a pointer, leaving NULL behind (so that a cleanup does not free it). */
#define TAKE_PTR(p) ({ __typeof__(p) _taken = (p); (p) = NULL; _taken; })

static inline bool streq(const char *a, const char *b) { return strcmp(a, b) == 0; }
static inline bool streq_ptr(const char *a, const char *b) {
        return (a && b) ? strcmp(a, b) == 0 : a == b;
}
static inline bool isempty(const char *s) { return !s || !*s; }

/* Allocation that cannot fail: merzim aborts on out-of-memory, as it cannot do anything useful after. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
char *xvasprintf(const char *fmt, va_list ap) _printf_(1, 0);

/* The message for a count n, translated: one if n is 1, else many in English (each a whole message with
 * its number, such as "%zu measure\n" and "%zu measures\n"); the language's own plural form otherwise
 * (ngettext(3): Russian has three). */
const char *plural(const char *one, const char *many, unsigned long n) __attribute__((format_arg(1), format_arg(2)));

/* A growable string. */
struct buf {
        char *data;
        size_t len, cap;
};
void buf_append(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_grow_putc(struct buf *b, char c);
/* Append one byte: the common case inline, as text readers append byte by byte. */
static inline void buf_putc(struct buf *b, char c) {
        if (b->len + 2 <= b->cap) {
                b->data[b->len++] = c;
                b->data[b->len] = 0;
        } else {
                buf_grow_putc(b, c);
        }
}
void buf_printf(struct buf *b, const char *fmt, ...) _printf_(2, 3);
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* A list of diagnostics, "file:line: message", collected so that all are reported at once; each is one line
 * (control characters in it become spaces). */
struct errlist {
        char **msgs;
        size_t n;
};
void errlist_add(struct errlist *e, const char *file, int line, const char *fmt, ...) _printf_(4, 5);
void errlist_clear(struct errlist *e);

/* Remove leading and trailing ASCII white space in place; returns s. */
char *strstrip(char *s);
/* Read a whole file into memory, NUL-terminated; returns 0 or a negative errno. */
int read_file(const char *path, char **ret, size_t *ret_len);
/* The same for a file of at most max bytes: -EFBIG if it is bigger (/dev/zero, a wrong path). */
int read_file_max(const char *path, size_t max, char **ret, size_t *ret_len);
/* Check the text of a libconfig file (merzim.conf, a calendar) before libconfig reads it: no NUL byte,
 * valid UTF-8, and no @include on any line, whatever white space or byte order mark comes before it
 * (libconfig would read the included file, as root for merzimctl, and report its errors as this
 * file's). Problems go to errs as "path:line: message"; returns 0 or -EINVAL. */
int libconfig_text_check(const char *path, const char *text, size_t len, struct errlist *errs);
/* Parse a non-negative decimal integer that must span the whole string. */
int parse_uint(const char *s, unsigned long max, unsigned long *ret);
/* Join dir and name unless name is absolute. */
char *path_join_rel(const char *dir, const char *name);
/* The directory part of a path, "." if none. */
char *path_dirname(const char *path);
