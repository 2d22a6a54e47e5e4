/* Reading a plan out of a document: the header, the rows, the measures and their deadlines. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "ahead.h"
#include "columns.h"
#include "frame.h"
#include "halves.h"
#include "roadmap.h"
#include "textmap.h"
#include "utf8.h"

#define MEASURE_NUMBER_MAX 100000
#define QUOTE_MAX 60        /* how much of an offending row an error message quotes */
#define CELL_MAX 32768      /* bytes in a title, a section title or a cell: a row of a real plan held 9 KB */
#define EXECUTOR_WIDTH_MAX 400 /* columns of one executor's name: the longest in real plans has 230 */
#define ERRORS_MAX 100      /* reported in full; past them, a count */
#define SPLIT_AHEAD_ROWS 2000 /* a plan of this many rows or more: executors' cells split in a thread */
#define SPLIT_AHEAD_WINDOW 4096 /* rows split and not yet read, at most */

/* A row's executors' cell as split ahead (executors_split depends on the text alone). */
struct split {
        const char *text; /* the cell split, or NULL if none (or taken) */
        struct roadmap_executor *v;
        size_t n;
};

struct reader {
        const struct document *d;
        const struct roadmap_options *o;
        struct errlist *errs;
        struct roadmap *r;
        struct plan_columns cols;
        size_t header, end; /* the header's block; past the table's last row */
        bool *plan_table;   /* by table number: a part of the plan's table */
        size_t n_tables;
        size_t row;         /* the block being read */
        char *group;        /* the label of the numbered row whose measures are numbered in their names */
        size_t errors_dropped;
        struct textmap readings; /* deadline cells read so far (struct reading), under readings_ctx */
        struct deadline_context readings_ctx;
        struct ahead *ahead;  /* a large plan's executors' cells split ahead, or NULL */
        struct split *splits; /* by block, from the first row after the header */
        size_t splits_from, n_splits;
};

/* What a deadline cell says in the plan's context: a plan writes the same deadline in many rows. */
struct reading {
        int r;        /* of deadline_read */
        char *err;    /* its message, when r < 0 */
        size_t n;
        struct deadline *rule; /* one of the plan's rule_sets */
};

static void reading_free(void *p) {
        struct reading *g = p;
        free(g->err);
        free(g);
}

/* Read a deadline cell, or look up how the same text was read before in the same context. */
static const struct reading *read_deadline(struct reader *rd, const char *text, const struct deadline_context *ctx) {
        if (ctx->year_from != rd->readings_ctx.year_from || ctx->year_to != rd->readings_ctx.year_to ||
            ctx->month_start != rd->readings_ctx.month_start) {
                textmap_clear(&rd->readings, reading_free);
                rd->readings_ctx = *ctx;
        }
        struct reading *g = textmap_get(&rd->readings, text);
        if (g)
                return g;
        char err[256];
        struct deadline_rules rules;
        g = xcalloc(1, sizeof(*g));
        g->r = deadline_read(text, ctx, &rules, err, sizeof(err));
        if (g->r < 0) {
                g->err = xstrdup(err);
        } else {
                /* Kept as long as the plan: the rules it has, not room for as many as a cell may name. */
                g->n = rules.n;
                g->rule = xmalloc((rules.n ? rules.n : 1) * sizeof(*g->rule));
                memcpy(g->rule, rules.rule, rules.n * sizeof(*g->rule));
                struct roadmap *r = rd->r;
                r->rule_sets = xreallocarray(r->rule_sets, r->n_rule_sets + 1, sizeof(*r->rule_sets));
                r->rule_sets[r->n_rule_sets++] = g->rule;
        }
        textmap_put(&rd->readings, text, g);
        return g;
}

/* A short quote of text for an error message, cut on a character boundary. */
static char *quote(const char *s) {
        _cleanup_free_ char *q = utf8_squeeze(s);
        size_t cut = utf8_prefix_for_width(q, QUOTE_MAX);
        if (q[cut] == 0)
                return xasprintf("\"%s\"", q);
        return xasprintf("\"%.*s...\"", (int) cut, q);
}

/* The cells of a row as one line, for quoting. */
static char *row_text(const struct doc_block *b) {
        struct buf t = {0};
        for (size_t k = 0; k < b->n_cells; k++) {
                if (k > 0)
                        buf_puts(&t, " | ");
                buf_puts(&t, b->cells[k].text);
        }
        return buf_steal(&t);
}

static void add_error(struct reader *rd, const struct doc_block *b, const char *fmt, ...) _printf_(3, 4);
static void add_error(struct reader *rd, const struct doc_block *b, const char *fmt, ...) {
        if (rd->errs->n >= ERRORS_MAX) {
                rd->errors_dropped++;
                return;
        }
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *what = xvasprintf(fmt, ap);
        va_end(ap);
        _cleanup_free_ char *where = b ? doc_where(rd->d, b) : xstrdup(rd->d->file);
        errlist_add(rd->errs, where, 0, "%s", what);
}

static void add_warning(struct reader *rd, const struct doc_block *b, const char *fmt, ...) _printf_(3, 4);
static void add_warning(struct reader *rd, const struct doc_block *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *what = xvasprintf(fmt, ap);
        va_end(ap);
        _cleanup_free_ char *where = b ? doc_where(rd->d, b) : xstrdup(rd->d->file);
        errlist_add(&rd->r->warnings, where, 0, "%s", what);
}

/* "12." or "12" or "12)" or "1.1." or "14-1" as a measure's label; NULL if the cell is not one. */
static char *parse_label(const char *cell) {
        _cleanup_free_ char *s = utf8_squeeze(cell);
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ')'))
                s[--n] = 0;
        if (n == 0 || n > 24)
                return NULL;
        bool digit = false;
        for (size_t i = 0; i < n; i++) {
                if (s[i] >= '0' && s[i] <= '9')
                        digit = true;
                else if (!((s[i] == '.' || s[i] == '-') && digit && i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9'))
                        return NULL;
        }
        if (strspn(s, "0.-") == n) /* "0", "0.0" */
                return NULL;
        return xstrdup(s);
}

/* The number a label is, if it is a plain number merzim can keep; 0 if not. */
static int plain_number(const char *label) {
        unsigned long v;
        return parse_uint(label, MEASURE_NUMBER_MAX, &v) >= 0 && v > 0 && label[0] != '0' ? (int) v : 0;
}

/* The text of a row's cell under a header column; "" if the table has no such column. */
static const char *cell(const struct reader *rd, const struct doc_block *b, int column) {
        const struct doc_cell *c = columns_cell(&rd->cols, b, column);
        return c ? c->text : "";
}

static bool cell_continued(const struct reader *rd, const struct doc_block *b, int column) {
        const struct doc_cell *c = columns_cell(&rd->cols, b, column);
        return c && c->continued;
}

/* The distinct texts of a row's cells, not counting the copies of merged cells. */
static size_t distinct_texts(const struct doc_block *b, const char **first) {
        size_t n = 0;
        *first = NULL;
        for (size_t k = 0; k < b->n_cells; k++) {
                const char *t = b->cells[k].text;
                if (isempty(t) || (*first && streq(t, *first)))
                        continue;
                if (!*first)
                        *first = t;
                n++;
        }
        return n;
}

static void add_section(struct reader *rd, const struct doc_block *b, const char *text) {
        struct roadmap *r = rd->r;
        if (strlen(text) > CELL_MAX) {
                _cleanup_free_ char *q = quote(text);
                add_error(rd, b, _("a section title or paragraph is too long (%zu bytes, at most %d): %s"), strlen(text),
                          CELL_MAX, q);
                return;
        }
        if (frame_expected_results(text)) {
                free(r->expected_results);
                r->expected_results = utf8_squeeze(text);
                return;
        }
        _cleanup_free_ char *f = utf8_fold(text);
        /* "Продолжение таблицы" between the pages of a table says nothing. */
        if (strncmp(f, "продолжение", strlen("продолжение")) == 0 || strstr(f, "жалғасы"))
                return;
        r->sections = xreallocarray(r->sections, r->n_sections + 1, sizeof(*r->sections));
        r->sections[r->n_sections++] = (struct roadmap_section) {utf8_squeeze(text), b->line};
}

static void due_free(struct roadmap_due *d) {
        free(d->stage);
        free(d->text);
        free(d->why);
}

static void measure_free(struct roadmap_measure *m) {
        free(m->label);
        free(m->where);
        free(m->short_where);
        free(m->name);
        free(m->form);
        free(m->deadline_text);
        free(m->report_to);
        for (size_t k = 0; k < m->n_dues; k++)
                due_free(&m->dues[k]);
        free(m->dues);
        executors_free(m->executors, m->n_executors);
}

/* What a measure's row says, column by column (for a row that holds several measures, one of them). */
struct row_texts {
        const char *name, *form, *executors;
        const char *deadlines[DEADLINE_COLUMNS_MAX];
        const char *unaligned; /* why the deadlines cannot be told apart: they are the measure's none */
};

static void row_texts(const struct reader *rd, const struct doc_block *b, struct row_texts *t) {
        *t = (struct row_texts) {.name = cell(rd, b, rd->cols.name), .form = cell(rd, b, rd->cols.form),
                                 .executors = cell(rd, b, rd->cols.executors)};
        for (size_t k = 0; k < rd->cols.n_deadlines; k++)
                t->deadlines[k] = cell(rd, b, rd->cols.deadlines[k]);
}

/* Read a deadline cell in the plan's context (its period, its bare months); an unreadable one is undated,
 * said once every cell was read (read_due may read it again once the plan's period is known). */
static void read_due(struct reader *rd, struct roadmap_due *due) {
        struct deadline_context ctx = {
                .year_from = rd->o && rd->o->year_from ? rd->o->year_from : rd->r->year_from,
                .year_to = rd->o && rd->o->year_to ? rd->o->year_to : rd->r->year_to,
                .month_start = rd->o && rd->o->month_start,
        };
        free(due->why);
        due->why = NULL, due->rule = NULL, due->n_rules = 0, due->undated = false;
        if (isempty(due->text)) {
                due->undated = true;
                /* why is kept in the database (due.waits): English, whatever the language of the import. */
                due->why = xstrdup("the deadline cell is empty");
                return;
        }
        const struct reading *g = read_deadline(rd, due->text, &ctx);
        if (g->r < 0) {
                due->undated = true;
                due->why = xstrdup(g->err);
                return;
        }
        due->n_rules = g->n;
        due->rule = g->rule;
        for (size_t i = 0; !due->undated && i < due->n_rules; i++)
                if (deadline_waits(&due->rule[i])) {
                        due->undated = true;
                        due->why = xasprintf("it waits for an event: «%s»", due->rule[i].event);
                }
}

/* Once the plan's period is known (from its deadlines, when its title names none), cells that needed it
 * are read again; then each deadline still undated is said: a warning, or with --strict an error. */
static void settle_dues(struct reader *rd, bool period_was_known) {
        struct roadmap *r = rd->r;
        for (size_t i = 0; i < r->n_measures; i++) {
                struct roadmap_measure *m = &r->measures[i];
                for (size_t k = 0; k < m->n_dues; k++) {
                        struct roadmap_due *due = &m->dues[k];
                        if (!period_was_known && due->undated && due->n_rules == 0 && !isempty(due->text) &&
                            (r->year_from || (rd->o && rd->o->year_from)))
                                read_due(rd, due);
                        if (!due->undated)
                                continue;
                        _cleanup_free_ char *dq = quote(due->text);
                        bool event = due->n_rules > 0;
                        if (rd->o && rd->o->strict && !event) {
                                if (rd->errs->n < ERRORS_MAX)
                                        errlist_add(rd->errs, m->where, 0, _("measure %s: cannot read the deadline %s: %s"),
                                                    m->label, dq, due->why);
                                continue;
                        }
                        if (event)
                                errlist_add(&r->warnings, m->where, 0,
                                            _("measure %s is undated: its deadline %s (%s); record the event's date "
                                              "with merzimctl event"),
                                            m->label, dq, due->why);
                        else
                                errlist_add(&r->warnings, m->where, 0,
                                            _("measure %s is undated: no date in its deadline %s (%s); give it a date "
                                              "with merzimctl due"),
                                            m->label, dq, due->why);
                }
        }
}

/* Read the deadline cells of a row into the measure's dues. */
static int read_dues(struct reader *rd, const struct doc_block *b, const struct row_texts *t,
                     struct roadmap_measure *m) {
        for (size_t k = 0; k < rd->cols.n_deadlines; k++) {
                _cleanup_free_ char *text = utf8_squeeze(t->deadlines[k]);
                if (strlen(text) > CELL_MAX) {
                        add_error(rd, b, _("measure %s: the deadline column is too long (%zu bytes, at most %d)"),
                                  m->label, strlen(text), CELL_MAX);
                        return -EINVAL;
                }
                if (isempty(text) && rd->cols.n_deadlines > 1)
                        continue; /* a stage this measure does not go through */
                struct roadmap_due due = {.stage = rd->cols.stages[k] ? xstrdup(rd->cols.stages[k]) : NULL,
                                          .text = TAKE_PTR(text)};
                if (t->unaligned) {
                        due.undated = true;
                        due.why = xstrdup(t->unaligned);
                } else {
                        read_due(rd, &due);
                }
                m->dues = xreallocarray(m->dues, m->n_dues + 1, sizeof(*m->dues));
                m->dues[m->n_dues++] = due;
        }
        return 0;
}

/* Split the executors' cell of the i-th row after the header, if it is a row of the plan's table. */
static void split_row(void *userdata, size_t i) {
        struct reader *rd = userdata;
        const struct doc_block *b = &rd->d->blocks[rd->splits_from + i];
        struct split *s = &rd->splits[i];
        if (b->table == 0 || !rd->plan_table[b->table])
                return;
        const char *text = cell(rd, b, rd->cols.executors);
        if (strlen(text) > CELL_MAX) /* refused by the reader, which says so */
                return;
        s->n = executors_split(text, &s->v);
        s->text = text;
}

/* A plan of many rows has the executors' cells of its rows split ahead of the reader, in a thread. */
static void splits_start(struct reader *rd) {
        size_t from = rd->header + rd->cols.header_rows;
        if (rd->cols.executors < 0 || rd->end <= from || rd->end - from < SPLIT_AHEAD_ROWS)
                return;
        rd->splits_from = from;
        rd->n_splits = rd->end - from;
        rd->splits = xcalloc(rd->n_splits, sizeof(struct split));
        rd->ahead = ahead_start(rd->n_splits, SPLIT_AHEAD_WINDOW, split_row, rd);
}

static void splits_stop(struct reader *rd) {
        ahead_stop(rd->ahead);
        rd->ahead = NULL;
        for (size_t i = 0; i < rd->n_splits; i++)
                executors_free(rd->splits[i].v, rd->splits[i].n);
        free(rd->splits);
        rd->splits = NULL;
        rd->n_splits = 0;
}

/* Split a row's executors' cell, or take the split the thread made of the same text. The thread's
 * array stays until splits_stop, its entries copied: a block freed here while the thread allocates from
 * the same malloc arena would wait for the arena's lock. */
static size_t split_executors(struct reader *rd, const struct doc_block *b, const char *text,
                              struct roadmap_executor **ret) {
        size_t i = (size_t) (b - rd->d->blocks) - rd->splits_from;
        if (b >= rd->d->blocks + rd->splits_from && i < rd->n_splits && ahead_taken(rd->ahead, i)) {
                struct split *s = &rd->splits[i];
                if (s->text && s->text == text) {
                        size_t n = s->n;
                        *ret = xmalloc((n + 1) * sizeof(**ret));
                        memcpy(*ret, s->v, n * sizeof(**ret));
                        s->text = NULL;
                        s->n = 0; /* the entries are the caller's now */
                        return n;
                }
        }
        return executors_split(text, ret);
}

/* Add the executors of a row to the measure's, each once. */
static int read_executors(struct reader *rd, const struct doc_block *b, const char *text,
                          struct roadmap_measure *m) {
        if (strlen(text) > CELL_MAX) {
                add_error(rd, b, _("measure %s: the executors column is too long (%zu bytes, at most %d)"), m->label,
                          strlen(text), CELL_MAX);
                return -EINVAL;
        }
        struct roadmap_executor *v;
        size_t n = split_executors(rd, b, text, &v);
        for (size_t i = 0; i < n; i++) {
                if (utf8_width(v[i].code) > EXECUTOR_WIDTH_MAX) {
                        _cleanup_free_ char *eq = quote(v[i].code);
                        add_error(rd, b, _("measure %s: an executor name is too long: %s"), m->label, eq);
                        for (size_t j = i; j < n; j++) { /* those before are the measure's now */
                                free(v[j].code);
                                free(v[j].key);
                        }
                        free(v);
                        return -EINVAL;
                }
                bool seen = false;
                for (size_t j = 0; j < m->n_executors && !seen; j++)
                        seen = streq(v[i].key, m->executors[j].key);
                if (seen) {
                        free(v[i].code);
                        free(v[i].key);
                        continue;
                }
                m->executors = xreallocarray(m->executors, m->n_executors + 1, sizeof(*m->executors));
                m->executors[m->n_executors++] = v[i];
        }
        free(v);
        return 0;
}

static char *join_deadline_text(const struct roadmap_measure *m) {
        if (m->n_dues == 1 && !m->dues[0].stage)
                return xstrdup(m->dues[0].text);
        struct buf t = {0};
        for (size_t k = 0; k < m->n_dues; k++)
                buf_printf(&t, "%s%s%s%s", k ? "; " : "", m->dues[k].stage ? m->dues[k].stage : "",
                           m->dues[k].stage ? ": " : "", m->dues[k].text);
        return buf_steal(&t);
}

static void add_measure(struct reader *rd, const struct doc_block *b, char *label, const struct row_texts *t) {
        struct roadmap *r = rd->r;
        struct roadmap_measure m = {
                .label = label,
                .number = plain_number(label),
                .line = b->line,
                .where = doc_where(rd->d, b),
                .short_where = b->line > 0 ? xasprintf("line %d", b->line)
                                           : xasprintf("table %d, row %d", b->table, b->row),
                .section = r->n_sections ? r->n_sections - 1 : SIZE_MAX,
        };
        const char *name = t->name, *form = t->form;
        static const char *const names[] = {"name", "completion form"};
        const char *texts[] = {name, form};
        for (size_t c = 0; c < ELEMENTSOF(texts); c++)
                if (strlen(texts[c]) > CELL_MAX) {
                        add_error(rd, b, "measure %s: the %s column is too long (%zu bytes, at most %d)", label,
                                  names[c], strlen(texts[c]), CELL_MAX);
                        measure_free(&m);
                        return;
                }
        if (read_dues(rd, b, t, &m) < 0 || read_executors(rd, b, t->executors, &m) < 0) {
                measure_free(&m);
                return;
        }
        m.name = utf8_squeeze(name);
        m.form = utf8_squeeze(form);
        if (isempty(m.name)) {
                free(m.name);
                m.name = isempty(m.form) ? xasprintf("(measure %s)", label) : xstrdup(m.form);
                add_warning(rd, b, _("measure %s has no name in the table"), label);
        }
        if (m.n_executors == 0)
                add_warning(rd, b, _("measure %s has no executors: its reminders go to the plan's coordinator"),
                            label);
        m.report_to = executors_report_recipient(m.form);
        if (r->n_measures == r->measures_cap) {
                r->measures_cap = r->measures_cap ? r->measures_cap * 3 / 2 : 64;
                r->measures = xreallocarray(r->measures, r->measures_cap, sizeof(m));
        }
        r->measures[r->n_measures++] = m;
}

static void drop_due(struct roadmap_measure *m, size_t k) {
        due_free(&m->dues[k]);
        memmove(&m->dues[k], &m->dues[k + 1], (m->n_dues - k - 1) * sizeof(*m->dues));
        m->n_dues--;
}

/* A row that carries on the measure above it (its number and name merged over both rows): more
 * deadlines and executors of that measure. */
static void continue_measure(struct reader *rd, const struct doc_block *b) {
        struct roadmap_measure *m = &rd->r->measures[rd->r->n_measures - 1];
        size_t before = m->n_dues;
        struct row_texts t;
        row_texts(rd, b, &t);
        if (read_dues(rd, b, &t, m) < 0 || read_executors(rd, b, t.executors, m) < 0)
                return;
        /* The same deadline written again on the carried-on row is no new one. */
        for (size_t k = before; k < m->n_dues;) {
                bool same = false;
                for (size_t j = 0; j < before && !same; j++)
                        same = streq(m->dues[j].text, m->dues[k].text) && streq_ptr(m->dues[j].stage, m->dues[k].stage);
                if (same)
                        drop_due(m, k);
                else
                        k++;
        }
        /* An empty cell above one the row fills says nothing: the measure's parts each have their year. */
        for (size_t k = 0; k < before;) {
                bool filled = false;
                for (size_t j = before; j < m->n_dues && !filled && isempty(m->dues[k].text); j++)
                        filled = !isempty(m->dues[j].text) && streq_ptr(m->dues[j].stage, m->dues[k].stage);
                if (filled) {
                        drop_due(m, k);
                        before--;
                } else {
                        k++;
                }
        }
}

/* The number a text starts with: "7. Выделять ..." gives "7" (also "11.№Шекараралық ...", as a mirror
 * lost a space); NULL if it starts otherwise. */
static char *leading_label(const char *text) {
        size_t n = strspn(text, "0123456789.-");
        if (n == 0 || n > 24 || (text[n - 1] != '.' && text[n] != ')'))
                return NULL;
        const char *rest = text + n + (text[n] == ')');
        if (*rest != ' ' && strncmp(rest, "№", strlen("№")) != 0)
                return NULL;
        _cleanup_free_ char *first = xstrndup(text, n);
        return parse_label(first);
}

/* Whether a line is a Roman-numbered heading: "I. Профилактика карантинных инфекций". */
static bool roman_heading(const char *line) {
        size_t n = strspn(line, "IVXLC");
        return n > 0 && line[n] == '.' && line[n + 1] == ' ';
}

static size_t split_lines(const char *text, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        for (const char *p = text; *p;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                v = xreallocarray(v, n + 1, sizeof(char *));
                v[n++] = xstrndup(p, len);
                p = nl ? nl + 1 : p + len;
        }
        *ret = v;
        return n;
}

static void lines_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* A row that holds several measures in one cell, one per numbered line ("1. Обеспечить ...", "2. ...",
 * as some akimats' plans are published): each line is a measure; another cell's lines go with them when
 * there are as many, or else that cell is every measure's (its deadlines then tell no measure's date).
 * Returns whether the row was one. */
/* A cell's numbered items on lines of their own: "... участкам; 3. Организовать ..." when the numbers
 * run 1, 2, 3 ... (again from 1 after a Roman-numbered heading), as a person reads a list; NULL if the
 * cell is no such list. */
static char *numbered_lines(const char *text) {
        struct buf out = {0};
        unsigned expect = 1, found = 0;
        size_t copied = 0, len = strlen(text);
        for (size_t i = 0; i < len; i++) {
                bool boundary = i == 0 || text[i - 1] == '\n' ||
                                (i >= 2 && text[i - 1] == ' ' && strchr(";.:)", text[i - 2]));
                if (!boundary)
                        continue;
                size_t digits = strspn(text + i, "0123456789"), roman = strspn(text + i, "IVX");
                size_t n = digits ? digits : roman;
                if (n == 0 || n > 4 || text[i + n] != '.')
                        continue;
                bool numero = strncmp(text + i + n + 1, "№", strlen("№")) == 0; /* past '.': in the text */
                if (text[i + n + 1] != ' ' && !numero)
                        continue;
                const char *after = text + i + n + 1 + (numero ? strlen("№") : 1);
                int32_t c = utf8_decode(&after, text + len);
                if (c <= 0 || !unicode_is_upper((uint32_t) c))
                        continue;
                if (digits) {
                        unsigned v = (unsigned) strtoul(text + i, NULL, 10);
                        if (v != expect && v != 1)
                                continue;
                        expect = v + 1;
                        found++;
                } else {
                        expect = 1; /* a heading: its items count from 1 again */
                }
                buf_append(&out, text + copied, i - copied);
                if (out.len > 0 && out.data[out.len - 1] == ' ')
                        out.data[--out.len] = 0;
                if (out.len > 0 && out.data[out.len - 1] != '\n')
                        buf_putc(&out, '\n');
                copied = i;
        }
        if (found < 2) {
                buf_free(&out);
                return NULL;
        }
        buf_append(&out, text + copied, len - copied);
        return buf_steal(&out);
}

static bool packed_row(struct reader *rd, const struct doc_block *b, const struct row_texts *t) {
        _cleanup_free_ char *listed = numbered_lines(t->name);
        if (!listed)
                return false;
        char **names;
        size_t n_names = split_lines(listed, &names), numbered = 0;
        for (size_t i = 0; i < n_names; i++) {
                _cleanup_free_ char *l = leading_label(names[i]);
                numbered += l != NULL;
        }
        if (numbered < 2) {
                lines_free(names, n_names);
                return false;
        }
        /* The measures: a numbered line starts one, other lines go on with it; headings are sections. */
        struct buf text = {0};
        char *label = NULL;
        char **items = NULL, **labels = NULL;
        size_t n_items = 0;
        for (size_t i = 0; i <= n_names; i++) {
                char *own = i < n_names ? leading_label(names[i]) : NULL;
                bool heading = i < n_names && !own && roman_heading(names[i]);
                if ((own || heading || i == n_names) && label) {
                        items = xreallocarray(items, n_items + 1, sizeof(char *));
                        labels = xreallocarray(labels, n_items + 1, sizeof(char *));
                        items[n_items] = buf_steal(&text);
                        labels[n_items++] = TAKE_PTR(label);
                }
                if (i == n_names)
                        break;
                if (heading) {
                        buf_free(&text);
                        add_section(rd, b, names[i]);
                } else if (own) {
                        label = own;
                        buf_free(&text);
                        buf_puts(&text, names[i] + strcspn(names[i], " ") + 1);
                } else if (label) {
                        buf_printf(&text, " %s", names[i]);
                }
        }
        buf_free(&text);
        lines_free(names, n_names);

        /* The other cells, line by line, if they have a line per measure. */
        char **dl[DEADLINE_COLUMNS_MAX] = {0}, **ex = NULL;
        size_t n_dl[DEADLINE_COLUMNS_MAX] = {0}, n_ex = split_lines(t->executors, &ex);
        bool aligned = true;
        for (size_t k = 0; k < rd->cols.n_deadlines; k++) {
                n_dl[k] = split_lines(t->deadlines[k], &dl[k]);
                aligned = aligned && n_dl[k] == n_items;
        }
        _cleanup_free_ char *why = xasprintf(_("the row holds %zu measures and its deadline cell cannot be told "
                                             "apart into theirs"), n_items);
        if (!aligned)
                add_warning(rd, b, "%s: each is undated", why);
        if (n_ex != n_items)
                add_warning(rd, b, _("the row holds %zu measures and %zu lines of executors: every executor of the "
                            "row is each measure's"), n_items, n_ex);
        for (size_t i = 0; i < n_items; i++) {
                struct row_texts one = {.name = items[i], .form = t->form,
                                        .executors = n_ex == n_items ? ex[i] : t->executors,
                                        .unaligned = aligned ? NULL : why};
                for (size_t k = 0; k < rd->cols.n_deadlines; k++)
                        one.deadlines[k] = aligned ? dl[k][i] : t->deadlines[k];
                add_measure(rd, b, labels[i], &one);
                free(items[i]);
        }
        for (size_t k = 0; k < rd->cols.n_deadlines; k++)
                lines_free(dl[k], n_dl[k]);
        lines_free(ex, n_ex);
        free(items);
        free(labels);
        return true;
}

/* The table of the next row of the plan after block i, or -1. */
static int next_plan_table(const struct reader *rd, size_t i) {
        for (size_t k = i + 1; k < rd->end; k++) {
                const struct doc_block *b = &rd->d->blocks[k];
                if (b->table > 0 && rd->plan_table[b->table])
                        return b->table;
        }
        return -1;
}

/* Whether a paragraph between two tables of the plan heads the next: "1. Эффективное освоение
 * выделенных средств", "II. Образование" (a table cut at its sections). */
static bool section_heading(const char *text) {
        _cleanup_free_ char *own = leading_label(text);
        return strlen(text) < 1000 && (own || roman_heading(text));
}

/* Whether a row says it was struck out of the plan: "5.1.3. Строка исключена - см. сноску". */
static bool struck_out(const char *text) {
        static const char *const words[] = {"исключен", "исключён", "алынып тасталд", "алып тасталд", NULL};
        _cleanup_free_ char *f = utf8_fold(text);
        for (size_t i = 0; words[i]; i++)
                if (strstr(f, words[i]))
                        return strlen(f) < 200;
        return false;
}

/* The number-column label of the next numbered row of the plan after block i, or NULL. */
static char *next_label(const struct reader *rd, size_t i) {
        for (size_t k = i + 1; k < rd->end; k++) {
                const struct doc_block *b = &rd->d->blocks[k];
                if (b->table == 0 || !rd->plan_table[b->table] || !columns_fit(&rd->cols, b))
                        continue;
                const char *number = cell(rd, b, rd->cols.number);
                char *label = parse_label(number);
                if (label)
                        return label;
        }
        return NULL;
}

/* Whether a numbered row only heads the measures numbered under it ("2." over "2.1", "2.2"): it has no
 * deadline and no executors of its own. */
static bool group_heading(const struct reader *rd, const struct row_texts *t, const char *label) {
        if (!isempty(t->executors))
                return false;
        for (size_t k = 0; k < rd->cols.n_deadlines; k++)
                if (!isempty(t->deadlines[k]))
                        return false;
        _cleanup_free_ char *next = next_label(rd, rd->row);
        size_t n = strlen(label);
        return next && strncmp(next, label, n) == 0 && next[n] == '.';
}

/* A row of sums under a table of expenses: "Итого: | | 20738 | 21562". */
static bool totals_row(const struct doc_block *b) {
        static const char *const words[] = {"итого", "всего", "барлығы", "жиыны", "total", NULL};
        for (size_t k = 0; k < b->n_cells; k++) {
                if (isempty(b->cells[k].text))
                        continue;
                _cleanup_free_ char *f = utf8_fold(b->cells[k].text);
                size_t n = strlen(f);
                while (n > 0 && strchr(":. ", f[n - 1]))
                        f[--n] = 0;
                for (size_t i = 0; words[i]; i++)
                        if (streq(f, words[i]))
                                return true;
                return false; /* only the first cell with text says it */
        }
        return false;
}

/* Whether a number cell holds a bullet, not a number: "-", "–", "•". A row so marked is a part of the
 * measure above ("- Зеренді ауданы"). */
static bool bullet(const char *text) {
        static const char *const bullets[] = {"-", "–", "—", "•", "*", NULL};
        for (size_t i = 0; bullets[i]; i++)
                if (streq(text, bullets[i]))
                        return true;
        return false;
}

/* One row of the plan's table. */
static void table_row(struct reader *rd, const struct doc_block *b) {
        const struct plan_columns *c = &rd->cols;
        const char *only;
        size_t distinct = distinct_texts(b, &only);
        const char *number = c->number >= 0 ? cell(rd, b, c->number) : NULL;
        _cleanup_free_ char *numbered = number && !cell_continued(rd, b, c->number) ? parse_label(number) : NULL;
        /* A row numbered as a measure is one; others may be numbering, a header again, sums. */
        if (distinct == 0 || columns_numbering_row(b) ||
            (!numbered && (columns_same_header(c, b) || totals_row(b))))
                return;
        if (distinct == 1 && struck_out(only))
                return;
        if (!columns_fit(c, b)) {
                if (distinct == 1) {
                        add_section(rd, b, only);
                        return;
                }
                _cleanup_free_ char *line = row_text(b);
                _cleanup_free_ char *q = quote(line);
                add_error(rd, b, _("expected %zu columns as in the header, found %zu: %s"), c->n_logical, b->n_cells, q);
                return;
        }
        struct row_texts t;
        row_texts(rd, b, &t);
        char *label = number ? parse_label(number) : NULL;
        if (label && !cell_continued(rd, b, c->number)) {
                free(rd->group);
                rd->group = NULL;
                if (group_heading(rd, &t, label)) {
                        add_section(rd, b, t.name);
                        free(label);
                        return;
                }
                /* Numbered twice, in its column and in its name ("1." and "1. Разработать ..."): the
                 * column numbers groups (instructions) and the names their measures: "1:1", "1:2" ... */
                char *own = leading_label(t.name);
                if (own) {
                        rd->group = label;
                        label = xasprintf("%s:%s", rd->group, own);
                }
                free(own);
                add_measure(rd, b, label, &t);
                return;
        }
        free(label);
        bool unnumbered = c->number < 0 || isempty(number) || cell_continued(rd, b, c->number) || bullet(number);
        bool named = c->name >= 0 && !isempty(t.name) && !cell_continued(rd, b, c->name);
        if (number && bullet(number) && !named) {
                /* "- | | | | 2004 ж. | 14,5 млн. теңге": money by year, no part of a measure. */
                _cleanup_free_ char *line = row_text(b);
                _cleanup_free_ char *q = quote(line);
                add_warning(rd, b, _("a row marked \"%s\" with no text is left out (no measure has it): %s"), number, q);
                return;
        }
        if (unnumbered && distinct > 1 && packed_row(rd, b, &t))
                return;
        if (unnumbered && named && distinct > 1) {
                /* Its number in its name ("7. Выделять микрокредиты ..."), or a part of the measure above
                 * with deadlines of its own ("- больницы и школы"). */
                char *own = leading_label(t.name);
                if (own) {
                        if (rd->group) {
                                char *in_group = xasprintf("%s:%s", rd->group, own);
                                free(own);
                                own = in_group;
                        }
                        add_measure(rd, b, own, &t);
                        return;
                }
                if (rd->r->n_measures > 0 && c->number >= 0) {
                        continue_measure(rd, b);
                        return;
                }
        } else if (unnumbered && c->number >= 0 && rd->r->n_measures > 0 && distinct > 1) {
                continue_measure(rd, b);
                return;
        }
        if (distinct == 1) {
                add_section(rd, b, only);
                return;
        }
        if (c->number < 0) {
                add_measure(rd, b, xasprintf("%zu", rd->r->n_measures + 1), &t);
                return;
        }
        _cleanup_free_ char *line = row_text(b);
        _cleanup_free_ char *q = quote(line);
        _cleanup_free_ char *nq = quote(number);
        add_error(rd, b, _("the number column (%s) is not a measure number: %s"), nq, q);
}

/* Whether a row starts with a measure's number and has more to say: a measure, even if cut short. */
static bool numbered_row(const struct doc_block *b) {
        size_t k = 0;
        while (k < b->n_cells && isempty(b->cells[k].text))
                k++;
        if (k + 1 >= b->n_cells)
                return false;
        _cleanup_free_ char *label = parse_label(b->cells[k].text);
        return label != NULL;
}

/* Which tables are parts of the plan's: the header's, and the tables after it that repeat its header
 * or have its columns. */
static void find_plan_tables(struct reader *rd) {
        int header_table = rd->d->blocks[rd->header].table;
        for (size_t i = 0; i < rd->d->n_blocks; i++)
                if ((size_t) rd->d->blocks[i].table > rd->n_tables)
                        rd->n_tables = (size_t) rd->d->blocks[i].table;
        rd->plan_table = xcalloc(rd->n_tables + 1, sizeof(bool));
        rd->plan_table[header_table] = true;
        for (size_t i = rd->header + 1; i < rd->d->n_blocks; i++) {
                const struct doc_block *b = &rd->d->blocks[i];
                if (b->table <= header_table || b->row != 1)
                        continue;
                rd->plan_table[b->table] = columns_fit(&rd->cols, b);
        }
        /* The table ends with its last row that has the header's columns. */
        rd->end = rd->header + 1;
        for (size_t i = rd->header + 1; i < rd->d->n_blocks; i++) {
                const struct doc_block *b = &rd->d->blocks[i];
                if (b->table > 0 && rd->plan_table[b->table] && (columns_fit(&rd->cols, b) || numbered_row(b)))
                        rd->end = i + 1;
        }
}

static bool find_header(struct reader *rd) {
        for (size_t i = 0; i < rd->d->n_blocks; i++)
                if (columns_read(rd->d->blocks, rd->d->n_blocks, i, &rd->cols)) {
                        rd->header = i;
                        return true;
                }
        return false;
}

/* When the document's numbers are not plain distinct numbers ("1.1", or one repeated), measures are
 * known by their place in the table. */
static void number_measures(struct reader *rd) {
        struct roadmap *r = rd->r;
        bool plain = true;
        int *seen = xcalloc(MEASURE_NUMBER_MAX + 1, sizeof(int));
        for (size_t i = 0; i < r->n_measures; i++) {
                const struct roadmap_measure *m = &r->measures[i];
                if (m->number <= 0) {
                        if (plain)
                                add_warning(rd, NULL, _("measure numbers such as \"%s\" (%s) are not plain numbers: "
                                            "merzim numbers the measures by their place in the table and keeps the "
                                            "document's numbers as labels"), m->label, m->short_where);
                        plain = false;
                } else if (seen[m->number]) {
                        add_warning(rd, NULL, _("measure %d is listed twice (%s and %s): merzim numbers the measures "
                                    "by their place in the table and keeps the document's numbers as labels"),
                                    m->number, r->measures[seen[m->number] - 1].short_where, m->short_where);
                        plain = false;
                } else {
                        seen[m->number] = (int) i + 1;
                }
        }
        free(seen);
        if (!plain)
                for (size_t i = 0; i < r->n_measures; i++)
                        r->measures[i].number = (int) i + 1;
}

int roadmap_read(const struct document *d, const struct roadmap_options *o, struct roadmap **ret,
                 struct errlist *errs) {
        struct reader rd = {.d = d, .o = o, .errs = errs, .r = xcalloc(1, sizeof(struct roadmap))};
        size_t errors_before = errs->n;
        rd.r->format = d->format;
        *ret = NULL;

        if (!find_header(&rd)) {
                const struct doc_block *first = NULL;
                for (size_t i = 0; i < d->n_blocks && !first; i++)
                        if (d->blocks[i].table > 0)
                                first = &d->blocks[i];
                if (first) {
                        _cleanup_free_ char *line = row_text(first);
                        _cleanup_free_ char *q = quote(line);
                        add_error(&rd, first, "no header row found: merzim looks for %s; the first table row is %s",
                                  columns_wanted, q);
                } else {
                        const struct doc_block *last = d->n_blocks ? &d->blocks[d->n_blocks - 1] : NULL;
                        add_error(&rd, last, "no table found: merzim looks for a table with %s", columns_wanted);
                }
                goto fail;
        }
        find_plan_tables(&rd);
        splits_start(&rd);
        frame_read_preamble(rd.r, d, rd.header);
        if (!rd.r->title)
                add_error(&rd, &d->blocks[rd.header], _("no title before the table: merzim takes the plan's title "
                          "from the line before the table's header"));
        else if (strlen(rd.r->title) > CELL_MAX)
                add_error(&rd, &d->blocks[rd.header], _("the title is too long (%zu bytes, at most %d)"),
                          strlen(rd.r->title), CELL_MAX);

        if (rd.header > 0 && d->blocks[rd.header - 1].table == 0 &&
            frame_first_section(d->blocks[rd.header - 1].cells[0].text))
                add_section(&rd, &d->blocks[rd.header - 1], d->blocks[rd.header - 1].cells[0].text);
        int last_table = d->blocks[rd.header].table;
        for (size_t i = rd.header + rd.cols.header_rows; i < rd.end; i++) {
                const struct doc_block *b = &d->blocks[i];
                if (b->table == 0) {
                        /* Between the rows of one table (the text layout), a paragraph is a section; between
                         * two tables, it is no part of the plan, unless an abbreviation key. */
                        int next = next_plan_table(&rd, i);
                        if (next == last_table || (next > 0 && section_heading(b->cells[0].text)))
                                add_section(&rd, b, b->cells[0].text);
                        else
                                frame_read_key(rd.r, d, i, i + 1);
                } else if (rd.plan_table[b->table]) {
                        last_table = b->table;
                        rd.row = i;
                        table_row(&rd, b);
                } else {
                        frame_read_key(rd.r, d, i, i + 1);
                }
        }
        frame_read_key(rd.r, d, rd.end, d->n_blocks);
        splits_stop(&rd);
        if (rd.r->n_measures == 0 && errs->n == errors_before)
                add_error(&rd, &d->blocks[rd.header], _("the table has no measures"));
        if (rd.errors_dropped)
                errlist_add(errs, d->file, 0, plural("and %zu more error", "and %zu more errors", rd.errors_dropped),
                            rd.errors_dropped);
        if (errs->n > errors_before)
                goto fail;

        number_measures(&rd);
        bool period_was_known = rd.r->year_from != 0;
        if (!rd.r->year_from)
                frame_years_from_deadlines(rd.r);
        settle_dues(&rd, period_was_known);
        if (errs->n > errors_before)
                goto fail;
        for (size_t i = 0; i < rd.r->n_measures; i++) {
                struct roadmap_measure *m = &rd.r->measures[i];
                m->deadline_text = m->n_dues ? join_deadline_text(m) : xstrdup("");
                bool undated = false;
                for (size_t k = 0; k < m->n_dues; k++)
                        undated = undated || m->dues[k].undated;
                rd.r->n_undated += undated;
        }
        columns_done(&rd.cols);
        free(rd.plan_table);
        free(rd.group);
        textmap_clear(&rd.readings, reading_free);
        *ret = rd.r;
        return 0;

fail:
        splits_stop(&rd);
        columns_done(&rd.cols);
        free(rd.plan_table);
        free(rd.group);
        textmap_clear(&rd.readings, reading_free);
        roadmap_free(rd.r);
        return -EINVAL;
}

int roadmap_parse(const char *data, size_t len, const char *file, const struct roadmap_options *o,
                  struct roadmap **ret, struct errlist *errs) {
        struct document *d;
        *ret = NULL;
        if (doc_read(file, data, len, &d, errs) < 0)
                return -EINVAL;
        if (halves_join(d, errs) < 0) {
                doc_free(d);
                return -EINVAL;
        }
        int r = roadmap_read(d, o, ret, errs);
        doc_free(d);
        return r;
}

const char *roadmap_agency_name(const struct roadmap *r, const char *code) {
        if (r->n_names == 0)
                return NULL;
        _cleanup_free_ char *key = agency_key(code);
        for (size_t i = 0; i < r->n_names; i++) {
                _cleanup_free_ char *k = agency_key(r->names[i].code);
                if (streq(k, key))
                        return r->names[i].name;
        }
        return NULL;
}

void roadmap_free(struct roadmap *r) {
        if (!r)
                return;
        free(r->title);
        free(r->act_date);
        free(r->doc_number);
        free(r->doc_date);
        free(r->expected_results);
        for (size_t i = 0; i < r->n_sections; i++)
                free(r->sections[i].title);
        free(r->sections);
        for (size_t i = 0; i < r->n_measures; i++)
                measure_free(&r->measures[i]);
        free(r->measures);
        for (size_t i = 0; i < r->n_names; i++) {
                free(r->names[i].code);
                free(r->names[i].name);
        }
        free(r->names);
        for (size_t i = 0; i < r->n_rule_sets; i++)
                free(r->rule_sets[i]);
        free(r->rule_sets);
        errlist_clear(&r->warnings);
        free(r);
}
