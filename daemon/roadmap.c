/* A roadmap document as merzim reads it: preamble, title, header row, then sections and measure rows. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "roadmap.h"
#include "utf8.h"

#define N_COLUMNS 5
#define MEASURE_NUMBER_MAX 100000
#define QUOTE_MAX 60 /* how much of an offending line an error message quotes */
#define CELL_MAX 8192 /* bytes in a title, a section title or a cell: ten times the longest in real plans */

struct parser {
        const char *file;
        struct errlist *errs;
        struct roadmap *r;
        char *last_text_line; /* the last non-row line before the header: the title */
        int last_text_lineno;
        int best_doc_day; /* the latest document date seen in the preamble */
        int *first_line;  /* by measure number: the line it was first listed on, 0 if not yet */
        size_t measures_cap;
};

/* A short quote of a line for an error message, cut on a character boundary. */
static char *quote(const char *s) {
        _cleanup_free_ char *q = utf8_squeeze(s);
        size_t cut = utf8_prefix_for_width(q, QUOTE_MAX);
        if (q[cut] == 0)
                return xasprintf("\"%s\"", q);
        return xasprintf("\"%.*s...\"", (int) cut, q);
}

/* Split a line at '|' into trimmed, space-squeezed cells. Returns the count (1 if no '|'). */
static size_t split_cells(const char *line, char ***ret) {
        char **cells = NULL;
        size_t n = 0;
        const char *start = line;
        for (const char *p = line;; p++) {
                if (*p == '|' || *p == 0) {
                        _cleanup_free_ char *raw = xstrndup(start, (size_t) (p - start));
                        cells = xreallocarray(cells, n + 1, sizeof(char *));
                        cells[n++] = utf8_squeeze(raw);
                        if (*p == 0)
                                break;
                        start = p + 1;
                }
        }
        *ret = cells;
        return n;
}

static void cells_free(char **cells, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(cells[i]);
        free(cells);
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* "12." or "12" or "12)" as a measure number. */
static int parse_number(const char *cell, int *ret) {
        _cleanup_free_ char *s = xstrdup(cell);
        size_t n = strlen(s);
        if (n > 0 && (s[n - 1] == '.' || s[n - 1] == ')'))
                s[--n] = 0;
        unsigned long v;
        if (parse_uint(s, MEASURE_NUMBER_MAX, &v) < 0 || v == 0)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

static bool is_agreement_marker(const char *paren) {
        _cleanup_free_ char *f = utf8_fold(paren);
        static const char *const markers[] = {"(келісу бойынша)", "(келісім бойынша)", "(по согласованию)",
                                              "(by agreement)", "(upon agreement)", NULL};
        for (size_t i = 0; markers[i]; i++)
                if (streq(f, markers[i]))
                        return true;
        return false;
}

static void executor_flush(struct buf *cur, bool *agree, struct roadmap_executor **v, size_t *n) {
        _cleanup_free_ char *code = utf8_squeeze(cur->data ? cur->data : "");
        buf_free(cur);
        if (isempty(code)) {
                /* A marker after a separator belongs to the executor before it. */
                if (*agree && *n > 0)
                        (*v)[*n - 1].by_agreement = true;
                *agree = false;
                return;
        }
        for (size_t i = 0; i < *n; i++)
                if (streq((*v)[i].code, code)) { /* listed twice: keep the first */
                        *agree = false;
                        return;
                }
        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        (*v)[(*n)++] = (struct roadmap_executor) {.code = xstrdup(code), .by_agreement = *agree};
        *agree = false;
}

size_t roadmap_split_executors(const char *cell, struct roadmap_executor **ret) {
        _cleanup_free_ char *s = utf8_squeeze(cell);
        size_t len = strlen(s);
        while (len > 0 && strchr(".,; ", s[len - 1]))
                s[--len] = 0;

        struct roadmap_executor *v = NULL;
        size_t n = 0;
        struct buf cur = {0};
        bool agree = false;
        int depth = 0;
        size_t paren_start = 0;
        for (const char *p = s; *p; p++) {
                char c = *p;
                if (c == '(') {
                        if (depth++ == 0)
                                paren_start = cur.len;
                } else if (c == ')' && depth > 0) {
                        buf_putc(&cur, c);
                        if (--depth == 0 && is_agreement_marker(cur.data + paren_start)) {
                                /* The marker ends an executor even when the comma after it is missing. */
                                cur.data[paren_start] = 0;
                                cur.len = paren_start;
                                agree = true;
                                executor_flush(&cur, &agree, &v, &n);
                        }
                        continue;
                } else if (depth == 0 && (c == ',' || c == ';' || (c == '.' && p[1] == ' '))) {
                        /* A period before the next executor stands for a comma in some documents. */
                        executor_flush(&cur, &agree, &v, &n);
                        continue;
                }
                buf_putc(&cur, c);
        }
        executor_flush(&cur, &agree, &v, &n);
        *ret = v;
        return n;
}

void roadmap_executors_free(struct roadmap_executor *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].code);
        free(e);
}

/* Whether text at p starts a Kazakh dative ending after a hyphen ("-ға", "-ге", "-қа", "-ке", "-на", "-не")
 * that ends the word. */
static bool dative_suffix(const char *p, const char *end) {
        static const char *const suffixes[] = {"ға", "ге", "қа", "ке", "на", "не", "а", "е", NULL};
        for (size_t i = 0; suffixes[i]; i++) {
                size_t n = strlen(suffixes[i]);
                if ((size_t) (end - p) >= n && memcmp(p, suffixes[i], n) == 0) {
                        const char *q = p + n;
                        int32_t c = q < end ? utf8_decode(&q, end) : ' ';
                        if (c < 0 || !unicode_is_letter((uint32_t) c))
                                return true;
                }
        }
        return false;
}

char *roadmap_report_recipient(const char *form) {
        _cleanup_free_ char *s = utf8_squeeze(form);
        const char *end = s + strlen(s);
        const char *prev_word = NULL, *prev_end = NULL;
        for (const char *p = s; p < end;) {
                /* A word: a run of letters and digits. */
                const char *start = p, *q = p;
                int32_t c = utf8_decode(&q, end);
                if (c < 0 || !(unicode_is_letter((uint32_t) c) || (c >= '0' && c <= '9'))) {
                        p = q;
                        continue;
                }
                size_t letters = 0, upper = 0;
                const char *wend = p;
                while (wend < end) {
                        q = wend;
                        c = utf8_decode(&q, end);
                        if (c < 0 || !(unicode_is_letter((uint32_t) c) || (c >= '0' && c <= '9')))
                                break;
                        if (unicode_is_letter((uint32_t) c))
                                letters++, upper += unicode_is_upper((uint32_t) c);
                        wend = q;
                }
                bool code = letters >= 2 && upper == letters;
                /* Kazakh: "ИИДМ-ға ақпарат". */
                if (code && wend < end && *wend == '-' && dative_suffix(wend + 1, end))
                        return xstrndup(start, (size_t) (wend - start));
                /* Russian and English: "информация в МИИР", "report to MIID". */
                if (code && prev_word) {
                        _cleanup_free_ char *raw = xstrndup(prev_word, (size_t) (prev_end - prev_word));
                        _cleanup_free_ char *w = utf8_fold(raw);
                        if (streq(w, "в") || streq(w, "во") || streq(w, "to"))
                                return xstrndup(start, (size_t) (wend - start));
                }
                prev_word = start;
                prev_end = wend;
                p = wend;
        }
        return NULL;
}

/* Find the date of a document named before a "№" in a preamble segment: a year, a day and a month
 * word in any order ("2022 жылғы 16 маусымдағы", "от 16 июня 2022 года"). */
static int segment_date(const char *segment, day_t *ret) {
        _cleanup_free_ char *f = utf8_fold(segment);
        const char *end = f + strlen(f);
        int year = 0, month = 0, day = 0;
        for (const char *p = f; p < end;) {
                const char *q = p;
                int32_t c = utf8_decode(&q, end);
                bool digit = c >= '0' && c <= '9';
                if (c < 0 || !(digit || unicode_is_letter((uint32_t) c))) {
                        p = q;
                        continue;
                }
                const char *wend = q;
                while (wend < end) {
                        q = wend;
                        int32_t d = utf8_decode(&q, end);
                        bool d_digit = d >= '0' && d <= '9';
                        if (d < 0 || d_digit != digit || !(d_digit || unicode_is_letter((uint32_t) d)))
                                break;
                        wend = q;
                }
                _cleanup_free_ char *word = xstrndup(p, (size_t) (wend - p));
                unsigned long v;
                if (digit && parse_uint(word, 9999, &v) >= 0) {
                        if (strlen(word) == 4 && v >= 1900 && v < 2200)
                                year = (int) v;
                        else if (v >= 1 && v <= 31)
                                day = (int) v;
                } else if (!digit) {
                        int m = deadline_month_from_word(word);
                        if (m > 0)
                                month = m;
                }
                p = wend;
        }
        if (!year || !month || !day || !date_valid(year, month, day))
                return -ENOENT;
        *ret = date_from_ymd(year, month, day);
        return 0;
}

/* Look for "DATE № NUMBER" in a preamble line; the latest document wins: it made this edition. */
static void scan_documents(struct parser *ps, const char *line) {
        static const char numero[] = "\xe2\x84\x96"; /* № */
        const char *seg = line;
        /* The next "№" is looked for after the number: "№115-ө№116" is one number, not a segment that ends
         * before it starts. */
        for (const char *p = strstr(line, numero); p; p = strstr(seg, numero)) {
                _cleanup_free_ char *segment = xstrndup(seg, (size_t) (p - seg));
                p += strlen(numero);
                while (*p == ' ' || *p == '\t')
                        p++;
                const char *n_end = p;
                while (*n_end && *n_end != ' ' && *n_end != '\t' && *n_end != ',')
                        n_end++;
                seg = n_end;
                day_t d;
                if (n_end == p || segment_date(segment, &d) < 0 || d < ps->best_doc_day)
                        continue;
                ps->best_doc_day = d;
                free(ps->r->doc_number);
                ps->r->doc_number = xstrndup(p, (size_t) (n_end - p));
                char iso[DATE_ISO_MAX];
                free(ps->r->doc_date);
                ps->r->doc_date = xstrdup(date_format(d, iso));
        }
}

/* A four-digit year at p (not inside a longer number); 0 if none. *end is set past it. */
static int year_at(const char *start, const char *p, const char **end) {
        if (p > start && p[-1] >= '0' && p[-1] <= '9')
                return 0;
        char *e;
        unsigned long y = strtoul(p, &e, 10);
        *end = e;
        return e - p == 4 && y >= 1900 && y < 2200 ? (int) y : 0;
}

/* The plan's period from its title: "2019 – 2024 жылдарға арналған" or "2024 жылға дейінгі". */
static void title_years(struct roadmap *r) {
        _cleanup_free_ char *f = utf8_fold(r->title);
        int last = 0;
        for (const char *p = f; *p;) {
                const char *e = p + 1;
                int y = *p >= '0' && *p <= '9' ? year_at(f, p, &e) : 0;
                p = e;
                if (!y)
                        continue;
                const char *q = e;
                while (*q == ' ')
                        q++;
                if (*q == '-') {
                        for (q++; *q == ' '; q++)
                                ;
                        int y2 = year_at(f, q, &e);
                        if (y2 >= y) {
                                r->year_from = y, r->year_to = y2;
                                return;
                        }
                }
                last = y;
        }
        if (last) {
                int doc_year = r->doc_date ? atoi(r->doc_date) : 0;
                r->year_to = last;
                r->year_from = doc_year && doc_year <= last ? doc_year : last;
        }
}

/* When the title names no years, the plan spans the years of its deadlines. */
static void deadline_years(struct roadmap *r) {
        for (size_t i = 0; i < r->n_measures; i++) {
                const struct deadline *d = &r->measures[i].deadline;
                int lo = 0, hi = 0;
                if (d->kind == DEADLINE_ONCE)
                        lo = hi = d->year;
                else if (d->year_from)
                        lo = d->year_from, hi = d->year_to;
                if (!lo)
                        continue;
                if (!r->year_from || lo < r->year_from)
                        r->year_from = lo;
                if (!r->year_to || hi > r->year_to)
                        r->year_to = hi;
        }
}

static bool is_expected_results(const char *line) {
        _cleanup_free_ char *f = utf8_fold(line);
        return strstr(f, "күтілетін нәтиже") || strstr(f, "ожидаемые результат") || strstr(f, "expected result");
}

/* Record a measure's problem, quoting its line (only then: quoting costs). */
static void measure_error(struct parser *ps, int lineno, const char *line, const char *fmt, ...) _printf_(4, 5);
static void measure_error(struct parser *ps, int lineno, const char *line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *what = xvasprintf(fmt, ap);
        va_end(ap);
        _cleanup_free_ char *q = quote(line);
        errlist_add(ps->errs, ps->file, lineno, "%s: %s", what, q);
}

static void add_measure(struct parser *ps, int lineno, const char *line, char **cells) {
        struct roadmap *r = ps->r;
        int number;
        if (parse_number(cells[0], &number) < 0) {
                measure_error(ps, lineno, line, "the first column is not a measure number");
                return;
        }
        static const char *const column_names[] = {"number", "name", "completion form", "deadline", "executors"};
        for (size_t c = 1; c < N_COLUMNS; c++) {
                if (isempty(cells[c])) {
                        measure_error(ps, lineno, line, "measure %d: the %s column is empty", number, column_names[c]);
                        return;
                }
                if (strlen(cells[c]) > CELL_MAX) {
                        measure_error(ps, lineno, line, "measure %d: the %s column is too long (%zu bytes, at most %d)",
                                      number, column_names[c], strlen(cells[c]), CELL_MAX);
                        return;
                }
        }
        if (!ps->first_line)
                ps->first_line = xcalloc(MEASURE_NUMBER_MAX + 1, sizeof(int));
        if (ps->first_line[number]) {
                measure_error(ps, lineno, line, "measure %d is listed twice (first on line %d)", number,
                              ps->first_line[number]);
                return;
        }

        struct roadmap_measure m = {
                .number = number,
                .line = lineno,
                .section = r->n_sections ? r->n_sections - 1 : SIZE_MAX,
        };
        char err[256];
        if (deadline_parse(cells[3], &m.deadline, err, sizeof(err)) < 0) {
                _cleanup_free_ char *dq = quote(cells[3]);
                errlist_add(ps->errs, ps->file, lineno, "measure %d: cannot read the deadline %s: %s", number, dq,
                            err);
                return;
        }
        m.n_executors = roadmap_split_executors(cells[4], &m.executors);
        if (m.n_executors == 0) {
                measure_error(ps, lineno, line, "measure %d: no executors", number);
                return;
        }
        for (size_t i = 0; i < m.n_executors; i++)
                if (utf8_width(m.executors[i].code) > 200) {
                        _cleanup_free_ char *eq = quote(m.executors[i].code);
                        errlist_add(ps->errs, ps->file, lineno, "measure %d: an executor name is too long: %s",
                                    number, eq);
                        roadmap_executors_free(m.executors, m.n_executors);
                        return;
                }
        m.name = xstrdup(cells[1]);
        m.form = xstrdup(cells[2]);
        m.deadline_text = xstrdup(cells[3]);
        m.report_to = roadmap_report_recipient(cells[2]);
        ps->first_line[number] = lineno;
        /* Grow by half: a plan may have a hundred thousand measures. */
        if (r->n_measures == ps->measures_cap) {
                ps->measures_cap = ps->measures_cap ? ps->measures_cap * 3 / 2 : 64;
                r->measures = xreallocarray(r->measures, ps->measures_cap, sizeof(m));
        }
        r->measures[r->n_measures++] = m;
}

/* One line of the table part: a measure row, the numbering row, a section title or a paragraph. */
static void table_line(struct parser *ps, int lineno, const char *line, char **cells, size_t n) {
        struct roadmap *r = ps->r;
        if (n == 1) {
                if (strlen(cells[0]) > CELL_MAX) {
                        _cleanup_free_ char *q = quote(line);
                        errlist_add(ps->errs, ps->file, lineno, "a section title or paragraph is too long (%zu bytes, "
                                    "at most %d): %s", strlen(cells[0]), CELL_MAX, q);
                        return;
                }
                if (is_expected_results(cells[0])) {
                        free(r->expected_results);
                        r->expected_results = xstrdup(cells[0]);
                        return;
                }
                r->sections = xreallocarray(r->sections, r->n_sections + 1, sizeof(*r->sections));
                r->sections[r->n_sections++] = (struct roadmap_section) {xstrdup(cells[0]), lineno};
                return;
        }
        if (n != N_COLUMNS) {
                _cleanup_free_ char *q = quote(line);
                errlist_add(ps->errs, ps->file, lineno, "expected %d columns separated by \"|\", found %zu: %s",
                            N_COLUMNS, n, q);
                return;
        }
        bool numbering = true;
        for (size_t c = 0; c < n; c++)
                numbering = numbering && all_digits(cells[c]);
        if (!numbering)
                add_measure(ps, lineno, line, cells);
}

/* The line of a byte offset in the text. */
static int line_at(const char *text, size_t offset) {
        int line = 1;
        for (size_t i = 0; i < offset; i++)
                line += text[i] == '\n';
        return line;
}

/* Check the text as a whole before reading lines: valid UTF-8, no NUL bytes, no control characters other
 * than white space (escape sequences would reach the operator's terminal). */
static int check_text(struct parser *ps, const char *text, size_t len) {
        size_t bad;
        const char *nul = memchr(text, 0, len);
        if (!utf8_valid(text, nul ? (size_t) (nul - text) : len, &bad)) {
                errlist_add(ps->errs, ps->file, line_at(text, bad), "invalid UTF-8 (byte 0x%02x at offset %zu); "
                            "save the document as UTF-8", (unsigned char) text[bad], bad);
                return -EINVAL;
        }
        if (nul) {
                errlist_add(ps->errs, ps->file, line_at(text, (size_t) (nul - text)),
                            "NUL byte in the text: this is not a text document");
                return -EINVAL;
        }
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) text[i];
                unsigned next = i + 1 < len ? (unsigned char) text[i + 1] : 0;
                bool c0 = (c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r') || c == 0x7F;
                bool c1 = c == 0xC2 && next >= 0x80 && next <= 0x9F; /* U+0080..U+009F */
                if (c0 || c1) {
                        errlist_add(ps->errs, ps->file, line_at(text, i),
                                    "control character U+%04X in the text: this is not a text document",
                                    c1 ? next : c);
                        return -EINVAL;
                }
        }
        return 0;
}

int roadmap_parse(const char *text, size_t len, const char *file, struct roadmap **ret, struct errlist *errs) {
        struct parser ps = {.file = file, .errs = errs, .r = xcalloc(1, sizeof(struct roadmap)), .best_doc_day = INT32_MIN};
        size_t errors_before = errs->n;

        if (check_text(&ps, text, len) < 0)
                goto fail;
        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                text += 3, len -= 3;

        bool in_table = false;
        int lineno = 0;
        for (const char *p = text, *end = text + len; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *line_end = nl ? nl : end;
                _cleanup_free_ char *line = xstrndup(p, (size_t) (line_end - p));
                p = nl ? nl + 1 : end;
                lineno++;

                char **cells;
                size_t n = split_cells(line, &cells);
                if (n == 1 && isempty(cells[0])) {
                        cells_free(cells, n);
                        continue;
                }
                if (in_table) {
                        table_line(&ps, lineno, line, cells, n);
                } else if (n >= N_COLUMNS) {
                        /* The header row starts the table; the text line before it is the title. */
                        in_table = true;
                        if (!ps.last_text_line)
                                errlist_add(errs, file, lineno, "no title line before the table header");
                        else if (strlen(ps.last_text_line) > CELL_MAX)
                                errlist_add(errs, file, ps.last_text_lineno, "the title is too long (%zu bytes, "
                                            "at most %d)", strlen(ps.last_text_line), CELL_MAX);
                        ps.r->title = ps.last_text_line ? xstrdup(ps.last_text_line) : xstrdup("");
                } else {
                        scan_documents(&ps, line);
                        if (n == 1) {
                                free(ps.last_text_line);
                                ps.last_text_line = xstrdup(cells[0]);
                                ps.last_text_lineno = lineno;
                        }
                }
                cells_free(cells, n);
        }
        free(ps.last_text_line);

        if (!in_table)
                errlist_add(errs, file, lineno, "no table found: expected a header row of %d columns separated "
                            "by \"|\" (number | name | completion form | deadline | executors)", N_COLUMNS);
        else if (ps.r->n_measures == 0 && errs->n == errors_before)
                errlist_add(errs, file, lineno, "the table has no measures");
        if (errs->n > errors_before)
                goto fail;

        title_years(ps.r);
        if (!ps.r->year_from)
                deadline_years(ps.r);
        free(ps.first_line);
        *ret = ps.r;
        return 0;

fail:
        free(ps.first_line);
        roadmap_free(ps.r);
        *ret = NULL;
        return -EINVAL;
}

void roadmap_free(struct roadmap *r) {
        if (!r)
                return;
        free(r->title);
        free(r->doc_number);
        free(r->doc_date);
        free(r->expected_results);
        for (size_t i = 0; i < r->n_sections; i++)
                free(r->sections[i].title);
        free(r->sections);
        for (size_t i = 0; i < r->n_measures; i++) {
                struct roadmap_measure *m = &r->measures[i];
                free(m->name);
                free(m->form);
                free(m->deadline_text);
                free(m->report_to);
                roadmap_executors_free(m->executors, m->n_executors);
        }
        free(r->measures);
        free(r);
}
