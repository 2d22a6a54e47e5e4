/* Small helpers shared by every part of merzim. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

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

void buf_putc(struct buf *b, char c) {
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
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;

        struct buf b = {0};
        for (;;) {
                char chunk[65536];
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        close(fd);
                        buf_free(&b);
                        return r;
                }
                if (n == 0)
                        break;
                buf_append(&b, chunk, (size_t) n);
        }
        close(fd);
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

const char *plural(const char *one, const char *many, unsigned long n) {
        return n == 1 ? one : many;
}
