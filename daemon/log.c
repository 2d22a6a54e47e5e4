/* Logging: to the journal with structured fields when stderr is the journal, else to stderr. */
#include "config.h"

#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "log.h"

static const char *program = "merzim";
static int max_level = LOG_INFO;
static bool to_journal;

/* Whether stderr is connected to the journal, as systemd tells through $JOURNAL_STREAM. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

void log_open(const char *name) {
        program = name;
        to_journal = stderr_is_journal();
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* Send msg with its fields to the journal; false if it could not be. */
static bool journal_send(int level, int error, const char *msg, char *const *fields, size_t n_fields) {
        _cleanup_free_ char *m = xasprintf("MESSAGE=%s", msg);
        _cleanup_free_ char *p = xasprintf("PRIORITY=%d", level);
        _cleanup_free_ char *id = xasprintf("SYSLOG_IDENTIFIER=%s", program);
        _cleanup_free_ char *e = error ? xasprintf("ERRNO=%d", error) : NULL;
        struct iovec *iov = xcalloc(n_fields + 4, sizeof(struct iovec));
        size_t n = 0;
        iov[n++] = (struct iovec) {m, strlen(m)};
        iov[n++] = (struct iovec) {p, strlen(p)};
        iov[n++] = (struct iovec) {id, strlen(id)};
        if (e)
                iov[n++] = (struct iovec) {e, strlen(e)};
        for (size_t i = 0; i < n_fields; i++)
                iov[n++] = (struct iovec) {fields[i], strlen(fields[i])};
        bool sent = sd_journal_sendv(iov, (int) n) >= 0;
        free(iov);
        return sent;
}

int log_internal(int level, int error, const char *const *fields, const char *fmt, ...) {
        int saved = errno;
        if (error < 0)
                error = -error;
        if (level > max_level)
                return -error;

        if (error)
                errno = error; /* so that %m works */
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);

        size_t n_fields = 0;
        while (fields && fields[n_fields])
                n_fields++;
        if (to_journal && journal_send(level, error, msg, (char *const *) fields, n_fields)) {
                errno = saved;
                return -error;
        }
        fprintf(stderr, "%s: %s\n", program, msg);
        errno = saved;
        return -error;
}

int log_many(int level, char *const *fields, size_t n_fields, const char *fmt, ...) {
        int saved = errno;
        if (level > max_level)
                return 0;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = xvasprintf(fmt, ap);
        va_end(ap);
        if (!to_journal || !journal_send(level, 0, msg, fields, n_fields))
                fprintf(stderr, "%s: %s\n", program, msg);
        errno = saved;
        return 0;
}
