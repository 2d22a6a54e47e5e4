/* A plan's table printed in two halves side by side: the measures with their names and executors in one
 * table (often cut into several at its sections), and, after "продолжение таблицы", a second table with
 * the deadlines, expenses and sources of the same rows in the same order. */
#pragma once

#include "doc.h"
#include "util.h"

/* Join such halves row by row into the first, in place: returns 1 if it did, 0 if the document has no
 * halves, -EINVAL (with an error in errs) if a second half does not match its first row for row. */
int halves_join(struct document *d, struct errlist *errs);
