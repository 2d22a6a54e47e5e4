/* Human-readable tables for merzimctl, measured in terminal columns so that Kazakh and Russian text
 * lines up, and fitted to a width by wrapping the cells of the columns marked as flexible onto further
 * lines (and headers at their spaces): nothing is cut. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct table;

/* headers is a NULL-terminated list of message ids (N_("AGENCY")), translated here; a header starting
 * with '~' ("~" N_("NAME")) marks a column whose cells may wrap. */
struct table *table_new(const char *const *headers);
/* Add a row of as many cells as headers; NULL cells print as "-". Lines break at spaces, never at a
 * no-break space (U+00A0): "10\u00a0(2024)" stays on one line. Control characters show as escapes
 * ("\x1B", "\u202E"). */
void table_add(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
/* Print with at most width columns per line (0: no limit), as far as the longest words and the columns
 * that do not wrap allow. */
void table_print(const struct table *t, FILE *f, size_t width);
/* The next line of s wrapped to width columns: its length in bytes; *skip is set to the bytes after it
 * that start no line (the space it was broken at). A word longer than width is broken. */
size_t table_next_line(const char *s, size_t width, size_t *skip);
void table_free(struct table *t);
/* The width to fit output to: $COLUMNS if set, else the terminal's if standard output is one, else 100;
 * at least 40. */
size_t table_default_width(void);
