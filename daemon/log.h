/* Logging: to the journal with structured fields when stderr is the journal, else to stderr. */
#pragma once

#include <syslog.h>

#include "util.h"

void log_open(const char *program);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Log a message; returns -abs(error) so that callers can "return log_error_errno(r, ...)".
 * fields is NULL or a NULL-terminated list of "KEY=value" journal fields. */
int log_internal(int level, int error, const char *const *fields, const char *fmt, ...) _printf_(4, 5);

#define log_error(...) log_internal(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_error_errno(r, ...) log_internal(LOG_ERR, (r), NULL, __VA_ARGS__)
#define log_warning_errno(r, ...) log_internal(LOG_WARNING, (r), NULL, __VA_ARGS__)
/* One message about many things at once (a batch of deliveries): fields holds n_fields "KEY=value"
 * journal fields, a key as many times as there are things, so that journalctl KEY=value finds the
 * message by any of them. Returns 0. */
int log_many(int level, char *const *fields, size_t n_fields, const char *fmt, ...) _printf_(4, 5);

/* With journal fields: log_fields(LOG_INFO, FIELDS("PLAN=1", "MEASURE=10"), "..."). */
#define FIELDS(...) ((const char *const[]) {__VA_ARGS__, NULL})
#define log_fields(level, fields, ...) log_internal((level), 0, (fields), __VA_ARGS__)
