/* Human-readable tables for merzimctl, measured in terminal columns so that Kazakh and Russian text
 * lines up, and fitted to a width by shortening the columns marked as flexible. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct table;

/* headers is a NULL-terminated list; a header starting with '~' marks a column that may be shortened. */
struct table *table_new(const char *const *headers);
/* Add a row of as many cells as headers; NULL cells print as "-". Cells are shown on one line, with
 * control characters as escapes ("\x1B", "\u202E"). */
void table_add(struct table *t, const char *const *cells);
size_t table_rows(const struct table *t);
/* Print with at most width columns per line (0: no limit). */
void table_print(const struct table *t, FILE *f, size_t width);
void table_free(struct table *t);
/* The width to fit output to: $COLUMNS, or 100. */
size_t table_default_width(void);
