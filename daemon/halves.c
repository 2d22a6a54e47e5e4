/* Joining a table printed in two halves (halves.h). The second half is known by its header: it has a
 * deadline column but no number, name or executors column, so it cannot be a table of its own. Its
 * first half is the run of tables before it that starts with a header of names and no deadline; both
 * must have as many rows, each as many cells as its header, or they are not joined. */
#include "config.h"

#include <stdio.h>

#include "columns.h"
#include "halves.h"
#include "utf8.h"

struct header_roles {
        bool deadline, names; /* names: a number, name or executors column */
};

static struct header_roles roles_of(const struct doc_block *b) {
        struct header_roles r = {0};
        for (size_t k = 0; k < b->n_cells; k++) {
                enum column_role role = column_role(b->cells[k].text);
                r.deadline = r.deadline || role == COLUMN_DEADLINE;
                r.names = r.names || role == COLUMN_NUMBER || role == COLUMN_NAME || role == COLUMN_EXECUTORS;
        }
        return r;
}

/* Whether a paragraph only says that the table goes on: "продолжение таблицы", "кестенің жалғасы". */
static bool goes_on(const struct doc_block *b) {
        if (b->table != 0)
                return false;
        _cleanup_free_ char *f = utf8_fold(b->cells[0].text);
        return f && strlen(f) < 40 && (strstr(f, "продолжение") || strstr(f, "жалғасы"));
}

static void append_cells(struct doc_block *to, const struct doc_block *from) {
        to->cells = xreallocarray(to->cells, to->n_cells + from->n_cells, sizeof(struct doc_cell));
        for (size_t k = 0; k < from->n_cells; k++)
                to->cells[to->n_cells + k] = (struct doc_cell) {
                        .text = xstrdup(from->cells[k].text),
                        .spanned = from->cells[k].spanned,
                        .continued = from->cells[k].continued,
                };
        to->n_cells += from->n_cells;
}

/* Remove blocks [from, to) from the document. */
static void drop_blocks(struct document *d, size_t from, size_t to) {
        for (size_t i = from; i < to; i++) {
                for (size_t k = 0; k < d->blocks[i].n_cells; k++)
                        free(d->blocks[i].cells[k].text);
                free(d->blocks[i].cells);
        }
        memmove(&d->blocks[from], &d->blocks[to], (d->n_blocks - to) * sizeof(*d->blocks));
        d->n_blocks -= to - from;
}

/* Try the second half whose header is blocks[second]; returns 1, 0 or -EINVAL as halves_join. */
static int join_at(struct document *d, size_t second, struct errlist *errs) {
        const struct doc_block *h2 = &d->blocks[second];
        /* Its first half: back over the tables of rows without a header, to the table with one. */
        ssize_t first = -1;
        for (ssize_t i = (ssize_t) second - 1; i >= 0 && first < 0; i--) {
                const struct doc_block *b = &d->blocks[i];
                if (b->table == 0 || b->row != 1 || b->depth != 0)
                        continue;
                struct header_roles r = roles_of(b);
                if (r.deadline)
                        return 0; /* a table with deadlines of its own before it: not halves */
                if (r.names)
                        first = i;
        }
        if (first < 0)
                return 0;
        size_t width1 = d->blocks[first].n_cells, width2 = h2->n_cells;
        size_t rows1 = 0, rows2 = 0;
        const struct doc_block *odd = NULL;
        for (size_t i = (size_t) first + 1; i < second; i++) {
                const struct doc_block *b = &d->blocks[i];
                if (b->table == 0)
                        continue;
                rows1++;
                if (b->n_cells != width1 && !odd)
                        odd = b;
        }
        size_t end = second + 1;
        for (; end < d->n_blocks && d->blocks[end].table == h2->table; end++) {
                rows2++;
                if (d->blocks[end].n_cells != width2 && !odd)
                        odd = &d->blocks[end];
        }
        if (rows1 != rows2 || odd) {
                _cleanup_free_ char *where = doc_where(d, h2);
                if (odd)
                        errlist_add(errs, where, 0,
                                    _("this table goes on the plan's table side by side (its header has the "
                                      "deadline but no measures), but a row of the two has %zu cells, not as many "
                                      "as its header"), odd->n_cells);
                else
                        errlist_add(errs, where, 0,
                                    _("this table goes on the plan's table side by side (its header has the "
                                      "deadline but no measures), but has %zu rows where the measures have %zu: "
                                      "merzim joins them only row for row"), rows2, rows1);
                return -EINVAL;
        }
        append_cells(&d->blocks[first], h2);
        size_t k = second + 1;
        for (size_t i = (size_t) first + 1; i < second; i++)
                if (d->blocks[i].table != 0)
                        append_cells(&d->blocks[i], &d->blocks[k++]);
        /* Every table of the first half now has the joined columns; the second half goes, with the line
         * that said it goes on. */
        size_t from = second;
        if (from > 0 && goes_on(&d->blocks[from - 1]))
                from--;
        drop_blocks(d, from, end);
        return 1;
}

int halves_join(struct document *d, struct errlist *errs) {
        int joined = 0;
        for (size_t i = 0; i < d->n_blocks; i++) {
                const struct doc_block *b = &d->blocks[i];
                if (b->table == 0 || b->row != 1 || b->depth != 0)
                        continue;
                struct header_roles r = roles_of(b);
                if (!r.deadline || r.names)
                        continue;
                int k = join_at(d, i, errs);
                if (k < 0)
                        return k;
                if (k > 0) {
                        joined++;
                        i = 0; /* the blocks moved; a joined header is no second half */
                }
        }
        return joined > 0;
}
