/* The frame around a plan's table: title, act, edition, period, abbreviation key. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "date.h"
#include "deadline.h"
#include "frame.h"
#include "roadmap.h"
#include "utf8.h"

#define TITLE_MAX 2000  /* bytes: a longer paragraph is text of the act, not a title */
#define KEY_CODE_MAX 60 /* bytes of an abbreviation in the key */

static bool starts_with_any(const char *folded, const char *const *words) {
        for (size_t i = 0; words[i]; i++)
                if (strncmp(folded, words[i], strlen(words[i])) == 0)
                        return true;
        return false;
}

static bool contains_any(const char *folded, const char *const *words) {
        for (size_t i = 0; words[i]; i++)
                if (strstr(folded, words[i]))
                        return true;
        return false;
}

/* A note about the act, not its text: "Сноска. …", "Ескерту. …". */
static bool footnote(const char *f) {
        static const char *const words[] = {"сноска", "ескерту", "ескертпе", "примечание", "*", "note", NULL};
        return starts_with_any(f, words);
}

/* A note that the act was repealed: it gives no edition. */
static bool repeal(const char *f) {
        static const char *const words[] = {"утратил силу", "утратило силу", "утратила силу", "күші жойыл",
                                            "күшін жой", "признан утратившим", "жойылды деп", NULL};
        return contains_any(f, words);
}

/* The stamp of the act that approved the plan, the signature, the annex mark: not a title. */
static bool stamp(const char *f) {
        static const char *const starts[] = {"утвержден", "бекітілген", "бекiтiлген", "приложение", "қосымша",
                                             "премьер-министр", "министр ", "аким ", "әкім ", "председатель",
                                             "төраға", "approved", "annex", "постановление", "приказ ", "қаулы",
                                             "бұйрық", NULL};
        static const char *const contains[] = {"постановлением правительства", "приказом ", "қаулысымен",
                                               "бұйрығымен", "өкімімен", "распоряжением", "к постановлению",
                                               "қаулысына", "бұйрығына", "өкіміне", NULL};
        return starts_with_any(f, starts) || contains_any(f, contains);
}

/* Words of a plan's title. */
static bool plan_words(const char *f) {
        static const char *const words[] = {"план", "жоспар", "карта", "картасы", "программ", "бағдарлама",
                                            "мероприят", "іс-шара", "шаралар", "roadmap", "action plan", NULL};
        return contains_any(f, words);
}

/* Whether text is only a date and number, or a place and date: "2022 жылғы 16 маусымдағы № 104-ө". */
static bool requisites_only(const char *f) {
        size_t letters = 0, digits = 0;
        for (const char *p = f, *end = f + strlen(f); p < end;) {
                int32_t c = utf8_decode(&p, end);
                if (c >= '0' && c <= '9')
                        digits++;
                else if (c > 0 && unicode_is_letter((uint32_t) c))
                        letters++;
        }
        return digits > 0 && letters < 40 && strstr(f, "№") != NULL;
}

/* Whether a line could be the plan's title. */
static bool title_candidate(const char *text) {
        if (strlen(text) > TITLE_MAX)
                return false;
        _cleanup_free_ char *f = utf8_fold(text);
        return !isempty(f) && !footnote(f) && !stamp(f) && !requisites_only(f) && !repeal(f);
}

/* A date in the text before a "№": "от 16 июня 2022 года", "2022 жылғы 16 маусымдағы", "от 16.09.2020". */
static int segment_date(const char *segment, day_t *ret) {
        _cleanup_free_ char *f = utf8_fold(segment);
        const char *end = f + strlen(f);
        int year = 0, month = 0, day = 0;
        /* The last date written in digits wins: "от 16.09.2020". */
        for (const char *p = f; p + 10 <= end; p++) {
                int d, m, y, n = 0;
                if ((p == f || p[-1] < '0' || p[-1] > '9') && sscanf(p, "%2d.%2d.%4d%n", &d, &m, &y, &n) == 3 &&
                    n == 10 && date_valid(y, m, d))
                        day = d, month = m, year = y;
        }
        if (year) {
                *ret = date_from_ymd(year, month, day);
                return 0;
        }
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

struct documents {
        struct roadmap *r;
        day_t first, latest;
        bool seen;
};

/* Look for "DATE № NUMBER" in a line: the first is the act, the latest made this edition. */
static void scan_documents(struct documents *ds, const char *line) {
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
                while (*n_end && *n_end != ' ' && *n_end != '\t' && *n_end != ',' && *n_end != ';' &&
                       *n_end != '\n' && !(*n_end == '.' && (n_end[1] == ' ' || n_end[1] == 0 || n_end[1] == '\n')))
                        n_end++;
                seg = n_end;
                day_t d;
                if (n_end == p || segment_date(segment, &d) < 0)
                        continue;
                char iso[DATE_ISO_MAX];
                if (!ds->seen) {
                        ds->first = d;
                        ds->seen = true;
                        free(ds->r->act_date);
                        ds->r->act_date = xstrdup(date_format(d, iso));
                }
                if (ds->r->doc_date && d < ds->latest)
                        continue;
                ds->latest = d;
                free(ds->r->doc_number);
                ds->r->doc_number = xstrndup(p, (size_t) (n_end - p));
                free(ds->r->doc_date);
                ds->r->doc_date = xstrdup(date_format(d, iso));
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

/* The plan's period from its title: "на 2022 – 2026 годы", "2019 – 2024 жылдарға арналған", "до 2026
 * года" (from the year of the act), "на 2024 год". */
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
        if (!last)
                return;
        bool until = strstr(f, "до ") || strstr(f, "дейін") || strstr(f, "by ") || strstr(f, "until ");
        int act_year = r->act_date ? atoi(r->act_date) : r->doc_date ? atoi(r->doc_date) : 0;
        r->year_to = last;
        r->year_from = until && act_year && act_year <= last ? act_year : last;
}

void frame_years_from_deadlines(struct roadmap *r) {
        for (size_t i = 0; i < r->n_measures; i++)
                for (size_t k = 0; k < r->measures[i].n_dues; k++)
                for (size_t j = 0; j < r->measures[i].dues[k].n_rules; j++) {
                        const struct deadline *d = &r->measures[i].dues[k].rule[j];
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

bool frame_expected_results(const char *text) {
        _cleanup_free_ char *f = utf8_fold(text);
        return strstr(f, "күтілетін нәтиже") || strstr(f, "ожидаемые результат") || strstr(f, "expected result");
}

/* The lines of a block: a paragraph's text, or each cell of a row. */
static size_t block_lines(const struct doc_block *b, const char **lines, size_t max) {
        size_t n = 0;
        for (size_t k = 0; k < b->n_cells && n < max; k++)
                if (!isempty(b->cells[k].text) && !b->cells[k].spanned && !b->cells[k].continued)
                        lines[n++] = b->cells[k].text;
        return n;
}

/* Whether a title candidate says little: a number, a word. */
static bool scant(const char *text) {
        size_t letters = 0;
        for (const char *p = text, *end = text + strlen(text); p < end;) {
                int32_t c = utf8_decode(&p, end);
                letters += c > 0 && unicode_is_letter((uint32_t) c);
        }
        return letters < 8;
}

void frame_read_preamble(struct roadmap *r, const struct document *d, size_t header) {
        struct documents ds = {.r = r};
        const char *last = NULL, *planned = NULL, *before_last = NULL, *prev = NULL;
        int header_table = d->blocks[header].table;
        for (size_t i = 0; i < header; i++) {
                const char *lines[DOC_COLUMNS_MAX];
                size_t n = block_lines(&d->blocks[i], lines, DOC_COLUMNS_MAX);
                for (size_t k = 0; k < n; k++) {
                        _cleanup_free_ char *f = utf8_fold(lines[k]);
                        if (!repeal(f))
                                scan_documents(&ds, lines[k]);
                        /* The rows above the header in its own table number columns, or are headers too. */
                        if (d->blocks[i].table == header_table || !title_candidate(lines[k])) {
                                prev = NULL;
                                continue;
                        }
                        if (plan_words(f))
                                planned = lines[k];
                        before_last = prev;
                        last = prev = lines[k];
                }
        }
        /* The title is the line just before the table, unless that says next to nothing. */
        const char *title = last && !scant(last) ? last : planned ? planned : last;
        if (title && title == last && before_last) {
                /* "ПЛАН" on one line and "мероприятий по ..." on the next: one title. */
                const char *p = title, *end = title + strlen(title);
                int32_t c = utf8_decode(&p, end);
                if (strlen(before_last) < 80 && c > 0 && unicode_is_letter((uint32_t) c) &&
                    !unicode_is_upper((uint32_t) c)) {
                        _cleanup_free_ char *joined = xasprintf("%s %s", before_last, title);
                        r->title = utf8_squeeze(joined);
                }
        }
        if (!r->title && title)
                r->title = utf8_squeeze(title);
        if (r->title)
                title_years(r);
}

/* "ИИДМ – Қазақстан Республикасы Индустрия және инфрақұрылымдық даму министрлігі". */
static void key_entry(struct roadmap *r, const char *code, const char *name) {
        _cleanup_free_ char *c = utf8_squeeze(code), *n = utf8_squeeze(name);
        size_t cl = strlen(c);
        while (cl > 0 && strchr(" :-", c[cl - 1]))
                c[--cl] = 0;
        size_t nl = strlen(n);
        while (nl > 0 && strchr(" ;,.", n[nl - 1]))
                n[--nl] = 0;
        if (isempty(c) || isempty(n) || cl > KEY_CODE_MAX || nl <= cl)
                return;
        bool upper = false;
        for (const char *p = c, *end = c + cl; p < end;) {
                int32_t ch = utf8_decode(&p, end);
                upper = upper || (ch > 0 && unicode_is_upper((uint32_t) ch));
        }
        if (!upper)
                return;
        for (size_t i = 0; i < r->n_names; i++)
                if (streq(r->names[i].code, c))
                        return;
        r->names = xreallocarray(r->names, r->n_names + 1, sizeof(*r->names));
        r->names[r->n_names++] = (struct roadmap_name) {.code = xstrdup(c), .name = xstrdup(n)};
}

/* A key's line: "CODE – full name", several of them separated by ";". */
static void key_line(struct roadmap *r, const char *line) {
        _cleanup_free_ char *copy = xstrdup(line);
        char *save = NULL;
        for (char *part = strtok_r(copy, ";\n", &save); part; part = strtok_r(NULL, ";\n", &save)) {
                /* The dash between code and name has spaces around it; a code may hold a hyphen. */
                static const char *const dashes[] = {" – ", " — ", " - ", " ‒ ", " − ", ": ", NULL};
                char *best = NULL;
                size_t dash_len = 0;
                for (size_t k = 0; dashes[k]; k++) {
                        char *at = strstr(part, dashes[k]);
                        if (at && (!best || at < best))
                                best = at, dash_len = strlen(dashes[k]);
                }
                if (!best)
                        continue;
                *best = 0;
                key_entry(r, part, best + dash_len);
        }
}

void frame_read_key(struct roadmap *r, const struct document *d, size_t from, size_t to) {
        for (size_t i = from; i < to && i < d->n_blocks; i++) {
                const struct doc_block *b = &d->blocks[i];
                const char *cells[DOC_COLUMNS_MAX];
                size_t n = block_lines(b, cells, DOC_COLUMNS_MAX);
                if (n == 1) {
                        key_line(r, cells[0]);
                } else if (n == 2) {
                        key_entry(r, cells[0], cells[1]);
                } else if (n == 3) {
                        _cleanup_free_ char *mid = utf8_fold(cells[1]);
                        if (streq(mid, "-") || streq(mid, ":"))
                                key_entry(r, cells[0], cells[2]);
                }
        }
}
