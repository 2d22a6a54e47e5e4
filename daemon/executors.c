/* Executors as real plans write them: separators, abbreviations, agreement marks, head nouns, spellings
 * of one organisation; and the addressee of a completion form. */
#include "config.h"

#include <stdint.h>

#include "executors.h"
#include "utf8.h"
#include "util.h"

#define EXECUTOR_ITEMS_MAX 256

static const char *const agreement_marks[] = {"(келісу бойынша)", "(келісім бойынша)", "(по согласованию)",
                                              "(по согласованию.)", "(by agreement)", "(upon agreement)", NULL};

/* Words that a period ends without ending the executor: "гг. Астаны", "т.б.", initials. */
static const char *const abbreviations[] = {"г", "гг", "т", "б", "д", "обл", "р", "им", "ж", "жж", "к", "с",
                                            "п", "пр", "ул", "и.о", "м", "қ", "т.б", "т.д", "т.п", "т.с.с", "resp",
                                            NULL};

static bool is_quote(uint32_t c) {
        return c == '"' || c == 0xAB || c == 0xBB || (c >= 0x2018 && c <= 0x201F) || c == '\'' || c == '`' ||
               c == 0x2039 || c == 0x203A;
}

/* The code point before p in s (0 at the start). */
static uint32_t prev_cp(const char *s, const char *p) {
        const char *q = p;
        while (q > s && ((unsigned char) q[-1] & 0xC0) == 0x80)
                q--;
        if (q <= s)
                return 0;
        q--;
        while (q > s && ((unsigned char) *q & 0xC0) == 0x80)
                q--;
        const char *r = q;
        int32_t c = utf8_decode(&r, p);
        return c < 0 ? 0 : (uint32_t) c;
}

/* Whether the period at s[i] ends an abbreviation or an initial rather than an executor. */
static bool abbreviation_period(const char *s, size_t i) {
        size_t start = i;
        while (start > 0 && s[start - 1] != ' ' && s[start - 1] != ',' && s[start - 1] != '(' &&
               s[start - 1] != '"')
                start--;
        _cleanup_free_ char *word = xstrndup(s + start, i - start);
        _cleanup_free_ char *f = utf8_fold(word);
        for (size_t k = 0; abbreviations[k]; k++)
                if (streq(f, abbreviations[k]))
                        return true;
        /* One letter, as in initials "А.Б. Сидоров". */
        const char *p = f, *end = f + strlen(f);
        int32_t c = utf8_next(&p, end);
        if (c > 0 && p == end && unicode_is_letter((uint32_t) c))
                return true;
        /* Followed by a lower-case word: the sentence goes on. */
        const char *next = s + i + 1;
        while (*next == ' ')
                next++;
        const char *q = next;
        int32_t n = utf8_decode(&q, next + strlen(next));
        return n > 0 && unicode_is_letter((uint32_t) n) && !unicode_is_upper((uint32_t) n);
}

/* Remove an agreement mark from an item wherever it is ("АО «ИЭИ (по согласованию)»"); true if found. */
static bool take_agreement_mark(char **item) {
        _cleanup_free_ char *f = utf8_fold(*item);
        for (size_t k = 0; agreement_marks[k]; k++) {
                const char *at = strstr(f, agreement_marks[k]);
                if (!at)
                        continue;
                /* Folding keeps byte lengths of Cyrillic and Latin letters, but squeezes spaces: find the
                 * mark in the original by its opening parenthesis count. */
                size_t paren = 0;
                for (const char *p = f; p < at; p++)
                        paren += *p == '(';
                char *s = *item, *open = s;
                for (size_t seen = 0; (open = strchr(open, '(')); open++)
                        if (seen++ == paren)
                                break;
                char *close = open ? strchr(open, ')') : NULL;
                if (!open || !close)
                        return false;
                memmove(open, close + 1, strlen(close + 1) + 1);
                char *squeezed = utf8_squeeze(s);
                free(*item);
                *item = squeezed;
                return true;
        }
        return false;
}

/* Tidy an item: no space just inside quotes ("«ИЭИ »" after a mark was taken out), no trailing
 * punctuation. */
static char *tidy(const char *s) {
        _cleanup_free_ char *q = utf8_squeeze(s);
        struct buf b = {0};
        const char *p = q, *end = q + strlen(q);
        while (p < end) {
                const char *at = p;
                int32_t c = utf8_next(&p, end);
                if (c == ' ') {
                        const char *r = p;
                        int32_t next = r < end ? utf8_decode(&r, end) : 0;
                        if (next == 0xBB || next == 0x201D || next == ')')
                                continue; /* "ИЭИ »" */
                        uint32_t before = prev_cp(q, at);
                        if (before == 0xAB || before == 0x201C || before == '(')
                                continue; /* "« ИЭИ" */
                }
                buf_append(&b, at, (size_t) (p - at));
        }
        char *t = buf_steal(&b);
        size_t n = strlen(t);
        while (n > 0 && strchr(".,;: ", t[n - 1]))
                t[--n] = 0;
        return t;
}

/* Whether the straight quote at s closes what came before rather than opens the next name: nothing but
 * spaces and punctuation follow it. */
static bool closing_quote(const char *s) {
        for (s++; *s == ' '; s++)
                ;
        return *s == 0 || *s == ',' || *s == ';' || *s == '.' || *s == '\n' || *s == '"';
}

struct item {
        char *text;
        bool agree;
};

static void items_add(struct item **v, size_t *n, struct buf *cur, bool agree) {
        if (*n >= EXECUTOR_ITEMS_MAX) {
                buf_free(cur);
                return;
        }
        char *text = tidy(cur->data ? cur->data : "");
        buf_free(cur);
        bool mark = take_agreement_mark(&text);
        if (isempty(text)) {
                /* A mark after a separator belongs to the executor before it. */
                if ((agree || mark) && *n > 0)
                        (*v)[*n - 1].agree = true;
                free(text);
                return;
        }
        *v = xreallocarray(*v, *n + 1, sizeof(**v));
        (*v)[(*n)++] = (struct item) {.text = text, .agree = agree || mark};
}

/* Split at separators outside parentheses (quotes are too often unbalanced in real plans to go by). */
static size_t split_items(const char *s, bool newline_separates, struct item **ret) {
        struct item *v = NULL;
        size_t n = 0;
        struct buf cur = {0};
        int paren = 0;
        size_t paren_start = 0;
        bool agree = false;
        for (size_t i = 0; s[i]; i++) {
                char c = s[i];
                if (c == '(') {
                        if (paren++ == 0)
                                paren_start = cur.len;
                } else if (c == ')' && paren > 0) {
                        buf_putc(&cur, c);
                        if (--paren == 0) {
                                _cleanup_free_ char *p = xstrndup(cur.data + paren_start, cur.len - paren_start);
                                _cleanup_free_ char *f = utf8_fold(p);
                                for (size_t k = 0; agreement_marks[k]; k++)
                                        if (streq(f, agreement_marks[k])) {
                                                /* The mark ends an executor even when the comma after it is
                                                 * missing; quotes that close after it are the executor's:
                                                 * АО «ИЭИ (по согласованию)». */
                                                cur.len = paren_start;
                                                cur.data[cur.len] = 0;
                                                for (size_t j = i + 1;; j++) {
                                                        if (s[j] == ' ')
                                                                continue;
                                                        size_t q = strncmp(s + j, "\xc2\xbb", 2) == 0       ? 2
                                                                   : strncmp(s + j, "\xe2\x80\x9d", 3) == 0 ? 3
                                                                   : s[j] == '"' && closing_quote(s + j)    ? 1
                                                                                                            : 0;
                                                        if (!q)
                                                                break;
                                                        buf_append(&cur, s + j, q);
                                                        i = j + q - 1;
                                                        j += q - 1;
                                                }
                                                items_add(&v, &n, &cur, true);
                                                agree = false;
                                                break;
                                        }
                        }
                        continue;
                } else if (paren == 0 &&
                           (c == ',' || c == ';' || (c == '\n' && newline_separates) ||
                            (c == '.' && (s[i + 1] == ' ' || s[i + 1] == '\n') && !abbreviation_period(s, i)))) {
                        items_add(&v, &n, &cur, agree);
                        agree = false;
                        continue;
                }
                buf_putc(&cur, c == '\n' ? ' ' : c);
        }
        items_add(&v, &n, &cur, agree);
        *ret = v;
        return n;
}

static char *first_word_folded(const char *s) {
        _cleanup_free_ char *f = utf8_fold(s);
        char *sp = strchr(f, ' ');
        return xstrndup(f, sp ? (size_t) (sp - f) : strlen(f));
}

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t count_words(const char *s) {
        size_t n = 1;
        for (; *s; s++)
                n += *s == ' ';
        return n;
}

/* Whether an item is a place name that continues a list of places under a head noun: "гг. Астаны",
 * "Алматы и Шымкента", "городов республиканского значения". */
static bool place_item(const char *text) {
        _cleanup_free_ char *w = first_word_folded(text);
        size_t wl = strlen(w);
        while (wl > 0 && w[wl - 1] == '.')
                w[--wl] = 0;
        if (starts_with(w, "г.") || streq(w, "гг") || streq(w, "г") || starts_with(w, "город") ||
            starts_with(w, "област") || starts_with(w, "столиц") || starts_with(w, "район"))
                return true;
        if (count_words(text) > 3)
                return false;
        /* A proper name, not an abbreviation nor an organisation in quotes. */
        size_t upper = 0, letters = 0;
        for (const char *p = text, *end = text + strlen(text); p < end;) {
                int32_t c = utf8_next(&p, end);
                if (c < 0 || is_quote((uint32_t) c))
                        return false;
                if (unicode_is_letter((uint32_t) c))
                        letters++, upper += unicode_is_upper((uint32_t) c);
        }
        const char *q = text;
        int32_t first = utf8_decode(&q, text + strlen(text));
        return first > 0 && unicode_is_upper((uint32_t) first) && upper * 2 < letters;
}

/* Whether a Kazakh word is in the genitive case: "облыстардың", "қалаларының". */
static bool genitive(const char *word) {
        static const char *const endings[] = {"ның", "нің", "дың", "дің", "тың", "тің", NULL};
        size_t n = strlen(word);
        for (size_t k = 0; endings[k]; k++) {
                size_t e = strlen(endings[k]);
                if (n > e && streq(word + n - e, endings[k]))
                        return true;
        }
        return false;
}

static char *last_word_folded(const char *s) {
        _cleanup_free_ char *f = utf8_fold(s);
        char *sp = strrchr(f, ' ');
        return xstrdup(sp ? sp + 1 : f);
}

/* The item that ends a Kazakh list under a head noun: "... қалаларының әкімдіктері". */
static bool kazakh_head(const char *text) {
        _cleanup_free_ char *w = last_word_folded(text);
        return starts_with(w, "әкімдік") || starts_with(w, "органдар") || starts_with(w, "басқармалар");
}

/* Join items from first to last into one. */
static void join_items(struct item *v, size_t *n, size_t first, size_t last) {
        struct buf b = {0};
        bool agree = false;
        for (size_t k = first; k <= last; k++) {
                if (k > first)
                        buf_puts(&b, ", ");
                buf_puts(&b, v[k].text);
                agree = agree || v[k].agree;
                free(v[k].text);
        }
        v[first] = (struct item) {.text = buf_steal(&b), .agree = agree};
        memmove(&v[first + 1], &v[last + 1], (*n - last - 1) * sizeof(*v));
        *n -= last - first;
}

/* Whether an item of a Kazakh list can hang on a head noun after it: "облыстар", "облыстардың", "Астана",
 * "республикалық маңызы бар қалалар". */
static bool kazakh_fragment(const char *text) {
        _cleanup_free_ char *last = last_word_folded(text);
        if (genitive(last) || place_item(text))
                return true;
        const char *q = text;
        int32_t first = utf8_decode(&q, text + strlen(text));
        return first > 0 && unicode_is_letter((uint32_t) first) && !unicode_is_upper((uint32_t) first) &&
               count_words(text) <= 4;
}

/* Lists that end or begin with a head noun are one executor. */
static void join_head_nouns(struct item *v, size_t *n) {
        for (size_t i = 0; i < *n; i++) {
                _cleanup_free_ char *w = first_word_folded(v[i].text);
                if (starts_with(w, "акимат") && strstr(v[i].text, " ")) {
                        /* "акиматы областей, гг. Астаны, Алматы и Шымкента" */
                        size_t j = i;
                        while (j + 1 < *n && place_item(v[j + 1].text))
                                j++;
                        if (j > i)
                                join_items(v, n, i, j);
                }
        }
        /* "облыстар, республикалық маңызы бар қалалар мен астана әкімдіктері": the head noun comes last. */
        for (size_t j = 1; j < *n; j++) {
                if (!kazakh_head(v[j].text))
                        continue;
                size_t i = j;
                while (i > 0 && kazakh_fragment(v[i - 1].text) && !kazakh_head(v[i - 1].text))
                        i--;
                if (i < j) {
                        join_items(v, n, i, j);
                        j = i;
                }
        }
}

/* "ДПП совместно с заинтересованными государственными органами": the agencies joined by words. */
static char *joining_words_as_commas(const char *cell) {
        static const char *const joins[] = {" совместно с ", " совместно со ", " с участием ", " при участии ",
                                            " together with ", NULL};
        char *s = xstrdup(cell);
        for (size_t k = 0; joins[k]; k++) {
                size_t n = strlen(joins[k]);
                for (char *at = strstr(s, joins[k]); at; at = strstr(at + 2, joins[k])) {
                        /* ", " and the rest moved up. */
                        at[0] = ',';
                        at[1] = ' ';
                        memmove(at + 2, at + n, strlen(at + n) + 1);
                }
        }
        return s;
}

/* Lines of a cell that go on from the line before: a word broken at the line's end ("сов-" / "местно"),
 * or a line that starts in lower case, are joined to it. */
static char *joined_lines(const char *raw) {
        struct buf b = {0};
        for (const char *p = raw; *p; p++) {
                if (*p != '\n') {
                        buf_putc(&b, *p);
                        continue;
                }
                const char *q = p + 1;
                int32_t next = utf8_decode(&q, q + strlen(q));
                bool lower = next > 0 && unicode_is_letter((uint32_t) next) && !unicode_is_upper((uint32_t) next);
                if (lower && b.len > 0 && b.data[b.len - 1] == '-' && b.len > 1 && b.data[b.len - 2] != ' ')
                        b.len--, b.data[b.len] = 0; /* "сов-" + "местно" */
                else
                        buf_putc(&b, lower ? ' ' : '\n');
        }
        return buf_steal(&b);
}

/* Whether the key of an executor (agency_key) names a generic group of agencies. */
static bool key_is_group(const char *key) {
        static const char *const contains[] = {"заинтересованн", "мүдделі", "государственные органы",
                                               "мемлекеттік органдар", "исполнительные органы", "атқарушы органдар",
                                               "әкімдіктері", "акиматы", "все государственные", "барлық мемлекеттік",
                                               NULL};
        static const char *const exact[] = {"мио", "қмо", "жао", "цго", "омо", "гo", "мо", NULL};
        for (size_t i = 0; contains[i]; i++)
                if (strstr(key, contains[i]))
                        return true;
        for (size_t i = 0; exact[i]; i++)
                if (streq(key, exact[i]))
                        return true;
        return false;
}

size_t executors_split(const char *raw, struct roadmap_executor **ret) {
        _cleanup_free_ char *lines = joined_lines(raw);
        _cleanup_free_ char *cell = joining_words_as_commas(lines);
        bool commas = strchr(cell, ',') || strchr(cell, ';');
        struct item *items = NULL;
        size_t n = split_items(cell, !commas, &items);
        join_head_nouns(items, &n);

        struct roadmap_executor *v = NULL;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                char *key = agency_key(items[i].text);
                bool seen = isempty(key);
                for (size_t j = 0; j < k && !seen; j++)
                        seen = streq(v[j].key, key);
                if (seen) { /* listed twice: keep the first */
                        free(key);
                        free(items[i].text);
                        continue;
                }
                v = xreallocarray(v, k + 1, sizeof(*v));
                v[k++] = (struct roadmap_executor) {.code = items[i].text, .key = key, .by_agreement = items[i].agree,
                                                    .group = key_is_group(key)};
        }
        free(items);
        *ret = v;
        return k;
}

void executors_free(struct roadmap_executor *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].code);
                free(e[i].key);
        }
        free(e);
}

/* Look-alike letters, folded: Latin and the Cyrillic letter it looks like (in either case). */
static const struct {
        uint32_t latin, cyrillic;
} lookalikes[] = {
        {'a', 0x430}, {'b', 0x432}, {'c', 0x441}, {'e', 0x435}, {'h', 0x43D}, {'i', 0x456}, {'j', 0x458},
        {'k', 0x43A}, {'m', 0x43C}, {'o', 0x43E}, {'p', 0x440}, {'s', 0x455}, {'t', 0x442}, {'x', 0x445},
        {'y', 0x443},
};

static bool is_latin(uint32_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_cyrillic(uint32_t c) {
        return c >= 0x400 && c < 0x530;
}

/* Append a folded word with its look-alikes written in the script most of its letters are in. */
static void put_word(struct buf *b, const uint32_t *w, size_t n) {
        size_t latin = 0, cyrillic = 0;
        for (size_t i = 0; i < n; i++)
                latin += is_latin(w[i]), cyrillic += is_cyrillic(w[i]);
        for (size_t i = 0; i < n; i++) {
                uint32_t c = w[i];
                for (size_t k = 0; k < ELEMENTSOF(lookalikes); k++) {
                        if (cyrillic >= latin && c == lookalikes[k].latin)
                                c = lookalikes[k].cyrillic;
                        else if (latin > cyrillic && c == lookalikes[k].cyrillic)
                                c = lookalikes[k].latin;
                }
                utf8_encode(b, c);
        }
}

char *agency_key(const char *code) {
        _cleanup_free_ char *f = utf8_fold(code);
        struct buf b = {0};
        uint32_t word[128];
        size_t n = 0;
        bool space = false;
        for (const char *p = f, *end = f + strlen(f); p <= end;) {
                int32_t c = p < end ? utf8_next(&p, end) : (p++, ' ');
                if (c < 0 || is_quote((uint32_t) c))
                        continue;
                bool letter = unicode_is_letter((uint32_t) c);
                if (letter && n < ELEMENTSOF(word)) {
                        word[n++] = (uint32_t) c;
                        continue;
                }
                if (n > 0) {
                        if (space && b.len > 0)
                                buf_putc(&b, ' ');
                        space = false;
                        put_word(&b, word, n);
                        n = 0;
                }
                if (letter)
                        continue;
                if (c == ' ') {
                        space = true;
                } else if (c == '-' && !space && b.len > 0 && p < end && *p == ' ') {
                        /* "предприни- мательства": a word broken at the end of a line is one word. */
                        while (p < end && *p == ' ')
                                p++;
                } else if (c == '-') {
                        buf_putc(&b, '-'); /* "Самұрық - Қазына" is "Самұрық-Қазына" */
                        space = false;
                } else {
                        if (space && b.len > 0 && b.data[b.len - 1] != '-')
                                buf_putc(&b, ' ');
                        space = false;
                        utf8_encode(&b, (uint32_t) c);
                }
        }
        char *key = buf_steal(&b);
        size_t len = strlen(key);
        while (len > 0 && strchr(".,;: ", key[len - 1]))
                key[--len] = 0;
        return key;
}

bool executor_is_group(const char *code) {
        _cleanup_free_ char *key = agency_key(code);
        return key_is_group(key);
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

/* Codes in all capitals that name no agency as an addressee: the media. */
static bool not_an_addressee(const char *code) {
        static const char *const media[] = {"СМИ", "БАҚ", "ИС", "ЕАЭС", "ЕАЭО", NULL};
        for (size_t i = 0; media[i]; i++)
                if (streq(code, media[i]))
                        return true;
        return false;
}

/* Bodies that receive reports without executing measures, by the words of a completion form. */
static const struct {
        const char *words; /* folded, as they follow "в" or as the dative */
        const char *code;
} addressees[] = {
        {"в правительство", "Правительство"},
        {"в администрацию президента", "Администрация Президента"},
        {"в канцелярию премьер-министра", "Канцелярия Премьер-Министра"},
        {"в парламент", "Парламент"},
        {"в мажилис", "Мажилис Парламента"},
        {"үкіметке", "Үкімет"},
        {"президент әкімшілігіне", "Президент Әкімшілігі"},
        {"премьер-министрдің кеңсесіне", "Премьер-Министрдің Кеңсесі"},
        {"парламентке", "Парламент"},
        {"мәжіліске", "Парламент Мәжілісі"},
        {"to the government", "Government"},
};

char *executors_report_recipient(const char *form) {
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
                _cleanup_free_ char *word = xstrndup(start, (size_t) (wend - start));
                if (code && not_an_addressee(word)) {
                        prev_word = NULL;
                        p = wend;
                        continue;
                }
                /* Kazakh: "ИИДМ-ға ақпарат". */
                if (code && wend < end && *wend == '-' && dative_suffix(wend + 1, end))
                        return xstrdup(word);
                /* Russian and English: "информация в МИИР", "report to MIID". */
                if (code && prev_word) {
                        _cleanup_free_ char *raw = xstrndup(prev_word, (size_t) (prev_end - prev_word));
                        _cleanup_free_ char *w = utf8_fold(raw);
                        if (streq(w, "в") || streq(w, "во") || streq(w, "to"))
                                return xstrdup(word);
                }
                prev_word = start;
                prev_end = wend;
                p = wend;
        }
        _cleanup_free_ char *f = utf8_fold(s);
        for (size_t i = 0; i < ELEMENTSOF(addressees); i++) {
                const char *at = strstr(f, addressees[i].words);
                if (at && (at == f || at[-1] == ' '))
                        return xstrdup(addressees[i].code);
        }
        return NULL;
}
