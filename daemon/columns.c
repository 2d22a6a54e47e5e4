/* Finding a plan's columns by the words of its header. */
#include "config.h"

#include "columns.h"
#include "utf8.h"
#include "util.h"

const char columns_wanted[] =
        "a header row with a deadline column (\"Срок исполнения\", \"Орындау мерзімі\", \"Deadline\") and a "
        "name (\"Наименование мероприятия\", \"Іс-шараның атауы\") or executors column (\"Ответственные "
        "исполнители\", \"Жауапты орындаушылар\"); a number (\"№ п/п\", \"Р/с №\") and completion form "
        "(\"Форма завершения\", \"Аяқталу нысаны\") column are read too";

/* Words of header cells by role, folded; the first role whose word a cell contains wins. */
static const struct {
        enum column_role role;
        const char *const words[16];
} header_words[] = {
        {COLUMN_DEADLINE, {"срок", "мерзім", "мерзiм", "дата проведения", "дата исполнения", "өткізу уақыты",
                           "орындалу уақыты", "deadline", "due date", "timeline", "timeframe", NULL}},
        {COLUMN_EXECUTORS, {"ответственн", "исполнител", "жауапты", "орындаушы", "responsib", "executor",
                            "разработчик", "әзірлеуші", "әзiрлеушi", NULL}},
        {COLUMN_FORM, {"форма заверш", "формы заверш", "форма исполн", "форма реализ", "форма", "формы", "нысан",
                       "completion", "form of", NULL}},
        {COLUMN_NAME, {"наименование", "мероприят", "атау", "іс-шара", "іс шара", "шаралар", "шараның",
                       "measure", "action", "activit", "name", "содержание", "мазмұны", NULL}},
};

/* Header cells that name no column of ours although they share a word with one. */
static const char *const other_words[] = {"лицо", "тұлға", "person", NULL};

/* s without spaces and hyphens: headers of narrow columns are often broken inside words ("Ответс
 * твенные", "Срок испол- нения"). */
static char *unbroken(const char *s) {
        struct buf b = {0};
        for (; *s; s++)
                if (*s != ' ' && *s != '-')
                        buf_putc(&b, *s);
        return buf_steal(&b);
}

static bool is_number_header(const char *raw) {
        /* "№ п/п", "N п. п.", "№№ п/п", "Р/с №", "No." alike: without spaces, dots and slashes. */
        struct buf b = {0};
        for (const char *p = raw; *p; p++)
                if (!strchr(" .-/\\", *p))
                        buf_putc(&b, *p);
        _cleanup_free_ char *t = buf_steal(&b);
        static const char *const exact[] = {"n", "no", "nпп", "пп", "рс", "рн", "#", "number", "nо", "№", NULL};
        for (size_t i = 0; exact[i]; i++)
                if (streq(t, exact[i]))
                        return true;
        return strlen(t) <= 16 && strstr(t, "№") != NULL;
}

static enum column_role role_of(const char *f) {
        for (size_t i = 0; other_words[i]; i++)
                if (strstr(f, other_words[i]))
                        return COLUMN_OTHER;
        for (size_t r = 0; r < ELEMENTSOF(header_words); r++)
                for (size_t w = 0; header_words[r].words[w]; w++) {
                        _cleanup_free_ char *word = unbroken(header_words[r].words[w]);
                        if (strstr(f, word))
                                return header_words[r].role;
                }
        return COLUMN_OTHER;
}

enum column_role column_role(const char *header) {
        _cleanup_free_ char *f = utf8_fold(header);
        if (isempty(f))
                return COLUMN_OTHER;
        if (is_number_header(f))
                return COLUMN_NUMBER;
        _cleanup_free_ char *u = unbroken(f);
        return role_of(u);
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

bool columns_numbering_row(const struct doc_block *b) {
        if (b->table == 0)
                return false;
        unsigned long expect = 0;
        size_t numbers = 0;
        for (size_t k = 0; k < b->n_cells; k++) {
                if (isempty(b->cells[k].text) || b->cells[k].spanned || b->cells[k].continued)
                        continue;
                char s[8];
                size_t len = strlen(b->cells[k].text);
                if (len > 4)
                        return false;
                memcpy(s, b->cells[k].text, len + 1);
                if (len > 1 && s[len - 1] == '.')
                        s[--len] = 0;
                if (!all_digits(s))
                        return false;
                unsigned long v = strtoul(s, NULL, 10);
                if (expect && v != expect)
                        return false;
                expect = v + 1;
                numbers++;
        }
        return numbers >= 2;
}

void columns_done(struct plan_columns *c) {
        for (size_t i = 0; i < c->n_deadlines; i++)
                free(c->stages[i]);
        *c = (struct plan_columns) {0};
}

/* Whether the header cell of column k is merged with a neighbour: then the row below may name its parts. */
static bool merged_across(const struct doc_block *h, size_t k) {
        return h->cells[k].spanned || (k + 1 < h->n_cells && h->cells[k + 1].spanned);
}

/* Whether the row after a header names the parts of its merged cells ("в МЮ", "в Правительство"). */
static bool stage_row(const struct doc_block *h, const struct doc_block *b) {
        if (b->table != h->table || b->n_cells != h->n_cells || columns_numbering_row(b))
                return false;
        bool named = false;
        for (size_t k = 0; k < b->n_cells; k++) {
                const struct doc_cell *c = &b->cells[k];
                if (isempty(c->text) || c->continued)
                        continue;
                if (!merged_across(h, k))
                        return false;
                named = true;
        }
        return named;
}

/* Whether a header names the measures themselves. */
static bool measure_words(const char *header) {
        static const char *const words[] = {"мероприят", "іс-шара", "ісшара", "шаралар", "шараның", "measure",
                                            "action", NULL};
        _cleanup_free_ char *f = utf8_fold(header);
        _cleanup_free_ char *u = unbroken(f);
        for (size_t i = 0; words[i]; i++)
                if (strstr(u, words[i]))
                        return true;
        return false;
}

bool columns_read(const struct doc_block *blocks, size_t n_blocks, size_t i, struct plan_columns *ret) {
        const struct doc_block *h = &blocks[i];
        struct plan_columns c = {.n = h->n_cells, .number = -1, .name = -1, .form = -1, .executors = -1,
                                 .header_rows = 1};
        if (h->table == 0 || h->n_cells < 2)
                return false;
        const struct doc_block *sub = i + 1 < n_blocks && stage_row(h, &blocks[i + 1]) ? &blocks[i + 1] : NULL;
        if (sub)
                c.header_rows = 2;
        for (size_t k = 0; k < h->n_cells; k++) {
                const char *top = h->cells[k].text;
                const char *below = sub && !sub->cells[k].continued ? sub->cells[k].text : NULL;
                enum column_role role = column_role(top);
                if (role == COLUMN_OTHER && below)
                        role = column_role(below);
                switch (role) {
                case COLUMN_NUMBER:
                        if (c.number < 0)
                                c.number = (int) k;
                        break;
                case COLUMN_NAME:
                        /* Of two name columns ("Наименование поручения", "Наименование мероприятий") the
                         * measures' own. */
                        if (c.name < 0 || (!measure_words(h->cells[c.name].text) && measure_words(top)))
                                c.name = (int) k;
                        break;
                case COLUMN_FORM:
                        if (c.form < 0)
                                c.form = (int) k;
                        break;
                case COLUMN_EXECUTORS:
                        if (c.executors < 0)
                                c.executors = (int) k;
                        break;
                case COLUMN_DEADLINE:
                        /* A merged cell repeats over its columns: one deadline column per part named below. */
                        if (c.n_deadlines < DEADLINE_COLUMNS_MAX && (!h->cells[k].spanned || !isempty(below))) {
                                c.stages[c.n_deadlines] = !isempty(below) && merged_across(h, k)
                                                                  ? utf8_squeeze(below) : NULL;
                                c.deadlines[c.n_deadlines++] = (int) k;
                        }
                        break;
                case COLUMN_OTHER:
                        break;
                }
        }
        /* A header cell merged over columns is one cell, unless the row below splits it into stages. */
        int logical = -1;
        for (size_t k = 0; k < h->n_cells; k++) {
                bool merged = h->cells[k].spanned && (!sub || sub->cells[k].spanned || isempty(sub->cells[k].text));
                if (!merged || logical < 0)
                        logical++;
                c.logical_of[k] = logical;
        }
        c.n_logical = (size_t) logical + 1;
        bool plan = c.n_deadlines > 0 && (c.name >= 0 || c.executors >= 0);
        if (!plan) {
                columns_done(&c);
                return false;
        }
        *ret = c;
        return true;
}

/* The cells of a row as written: the grid columns that do not repeat a merged cell. */
static size_t logical_cells(const struct doc_block *b, int *grid) {
        size_t n = 0;
        for (size_t k = 0; k < b->n_cells; k++)
                if (!b->cells[k].spanned)
                        grid[n++] = (int) k;
        return n;
}

const struct doc_cell *columns_cell(const struct plan_columns *c, const struct doc_block *b, int column) {
        if (column < 0 || (size_t) column >= c->n || b->table == 0)
                return NULL;
        int grid[DOC_COLUMNS_MAX];
        size_t n = logical_cells(b, grid);
        if (n == c->n_logical)
                return &b->cells[grid[c->logical_of[column]]];
        if (b->n_cells != c->n)
                return NULL;
        /* As many columns, merged otherwise: each header cell takes the first cell of the row its columns
         * overlap that no header cell before it took ("Форма" over one column and "Ответственные" over
         * two, in a row whose form spans two and executors one). */
        int want = c->logical_of[column];
        size_t taken = 0; /* cells of the row taken so far, in order */
        for (int h = 0; h <= want; h++) {
                size_t first = SIZE_MAX, last = 0; /* the header cell's columns */
                for (size_t k = 0; k < c->n; k++)
                        if (c->logical_of[k] == h) {
                                first = first == SIZE_MAX ? k : first;
                                last = k;
                        }
                size_t pick = SIZE_MAX;
                for (size_t j = taken; j < n && pick == SIZE_MAX; j++) {
                        size_t start = (size_t) grid[j], end = j + 1 < n ? (size_t) grid[j + 1] - 1 : c->n - 1;
                        if (start <= last && end >= first)
                                pick = j;
                }
                if (pick == SIZE_MAX) {
                        if (h == want)
                                return NULL;
                        continue; /* that header cell has none: the next may */
                }
                if (h == want)
                        return &b->cells[grid[pick]];
                taken = pick + 1;
        }
        return NULL;
}

bool columns_fit(const struct plan_columns *c, const struct doc_block *b) {
        int grid[DOC_COLUMNS_MAX];
        return b->table > 0 && (b->n_cells == c->n || logical_cells(b, grid) == c->n_logical);
}

static bool cell_has_role(const struct plan_columns *c, const struct doc_block *b, int column,
                          enum column_role role) {
        const struct doc_cell *cell = columns_cell(c, b, column);
        return cell && column_role(cell->text) == role;
}

bool columns_same_header(const struct plan_columns *c, const struct doc_block *b) {
        if (!columns_fit(c, b))
                return false;
        return cell_has_role(c, b, c->deadlines[0], COLUMN_DEADLINE) &&
               (c->executors < 0 || cell_has_role(c, b, c->executors, COLUMN_EXECUTORS)) &&
               (c->name < 0 || cell_has_role(c, b, c->name, COLUMN_NAME));
}
