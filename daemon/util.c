/* Small helpers shared by every part of merzim. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utf8.h"
#include "util.h"

static void oom(void) {
        fputs("merzim: out of memory\n", stderr);
        abort();
}

void *xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

void *xrealloc(void *p, size_t n) {
        p = realloc(p, n ? n : 1);
        if (!p)
                oom();
        return p;
}

void *xreallocarray(void *p, size_t n, size_t size) {
        if (size && n > SIZE_MAX / size)
                oom();
        return xrealloc(p, n * size);
}

char *xstrdup(const char *s) {
        return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n) {
        char *p = xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = 0;
        return p;
}

char *xvasprintf(const char *fmt, va_list ap) {
        char *s;
        if (vasprintf(&s, fmt, ap) < 0)
                oom();
        return s;
}

char *xasprintf(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = xvasprintf(fmt, ap);
        va_end(ap);
        return s;
}

static void buf_reserve(struct buf *b, size_t extra) {
        if (b->len + extra + 1 <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1)
                cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
}

void buf_append(struct buf *b, const char *s, size_t n) {
        buf_reserve(b, n);
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = 0;
}

void buf_puts(struct buf *b, const char *s) {
        buf_append(b, s, strlen(s));
}

void buf_grow_putc(struct buf *b, char c) {
        buf_append(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = xvasprintf(fmt, ap);
        va_end(ap);
        buf_puts(b, s);
}

char *buf_steal(struct buf *b) {
        char *s = b->data ? b->data : xstrdup("");
        *b = (struct buf) {0};
        return s;
}

void buf_free(struct buf *b) {
        free(b->data);
        *b = (struct buf) {0};
}

void errlist_add(struct errlist *e, const char *file, int line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);

        char *full;
        if (file && line > 0)
                full = xasprintf("%s:%d: %s", file, line, msg);
        else if (file)
                full = xasprintf("%s: %s", file, msg);
        else
                full = xstrdup(msg);
        /* One line, whatever text of a document the message quotes: a line break or a control character
         * would start a line that names no file, or reach the operator's terminal. */
        for (char *p = full; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7F)
                        *p = ' ';
        e->msgs = xreallocarray(e->msgs, e->n + 1, sizeof(char *));
        e->msgs[e->n++] = full;
}

void errlist_clear(struct errlist *e) {
        for (size_t i = 0; i < e->n; i++)
                free(e->msgs[i]);
        free(e->msgs);
        *e = (struct errlist) {0};
}

char *strstrip(char *s) {
        char *p = s;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
                p++;
        size_t n = strlen(p);
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' || p[n - 1] == '\n'))
                n--;
        memmove(s, p, n);
        s[n] = 0;
        return s;
}

int read_file(const char *path, char **ret, size_t *ret_len) {
        return read_file_max(path, SIZE_MAX, ret, ret_len);
}

int read_file_max(const char *path, size_t max, char **ret, size_t *ret_len) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct buf b = {0};
        int r = 0;
        /* A regular file's size known: one buffer of that size, not one doubled (and copied) as it fills. */
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && (uint64_t) st.st_size < max) {
                b.cap = (size_t) st.st_size + 1;
                b.data = xmalloc(b.cap);
                b.data[0] = 0;
        }
        for (;;) {
                char chunk[65536];
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || b.len + (size_t) n > max)
                        r = n < 0 ? -errno : -EFBIG;
                if (n <= 0 || r < 0)
                        break;
                buf_append(&b, chunk, (size_t) n);
        }
        close(fd);
        if (r < 0) {
                buf_free(&b);
                return r;
        }
        if (ret_len)
                *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

int parse_uint(const char *s, unsigned long max, unsigned long *ret) {
        if (isempty(s))
                return -EINVAL;
        unsigned long v = 0;
        for (const char *p = s; *p; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                if (v > (max - (unsigned long) (*p - '0')) / 10)
                        return -ERANGE;
                v = v * 10 + (unsigned long) (*p - '0');
        }
        *ret = v;
        return 0;
}

char *path_join_rel(const char *dir, const char *name) {
        if (name[0] == '/' || isempty(dir))
                return xstrdup(name);
        return xasprintf("%s/%s", dir, name);
}

char *path_dirname(const char *path) {
        const char *slash = strrchr(path, '/');
        if (!slash)
                return xstrdup(".");
        if (slash == path)
                return xstrdup("/");
        return xstrndup(path, (size_t) (slash - path));
}

/* The line of a byte offset in text. */
static int line_at(const char *text, size_t offset) {
        int line = 1;
        for (size_t i = 0; i < offset; i++)
                line += text[i] == '\n';
        return line;
}

int libconfig_text_check(const char *path, const char *text, size_t len, struct errlist *errs) {
        size_t before = errs->n, bad;
        const char *nul = memchr(text, 0, len);
        if (nul)
                errlist_add(errs, path, line_at(text, (size_t) (nul - text)), _("NUL byte: this is not a text file"));
        else if (!utf8_valid(text, len, &bad))
                errlist_add(errs, path, line_at(text, bad), _("invalid UTF-8 (byte 0x%02x); save the file as UTF-8"),
                            (unsigned char) text[bad]);
        int line = 1;
        for (const char *p = text, *end = text + len; p < end; line++) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                /* Whatever may stand before it on its line: white space, and byte order marks. */
                for (;;) {
                        if (p < end && strchr(" \t\r\v\f", *p) && *p)
                                p++;
                        else if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
                                p += 3;
                        else
                                break;
                }
                if (end - p >= 8 && strncasecmp(p, "@include", 8) == 0)
                        errlist_add(errs, path, line, _("@include is not allowed: every setting belongs in this file "
                                    "(secrets in password_file or secret_file)"));
                p = nl ? nl + 1 : end;
        }
        return errs->n > before ? -EINVAL : 0;
}

const char *plural(const char *one, const char *many, unsigned long n) {
        return ngettext(one, many, n);
}
