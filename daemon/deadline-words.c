/* The words of the deadline language: a phrase split into numbers, dates written in digits and words
 * with their meanings, in Kazakh, Russian and English, whatever letters, dashes and line-wrap hyphens it
 * was printed with. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "deadline-phrase.h"
#include "utf8.h"
#include "util.h"

struct lexeme {
        enum word_class cls;
        const char *const *endings; /* what may follow the last word's stem; NULL: nothing */
        const char *words;
};

static const char *const kk_endings[] = {
        "", "ға", "ге", "қа", "ке", "на", "не", "да", "де", "та", "те", "нда", "нде", "дан", "ден", "тан",
        "тен", "нан", "нен", "ның", "нің", "дың", "дің", "тың", "тің", "ды", "ді", "ты", "ті", "ны", "ні",
        "ы", "і", "сы", "сі", "ына", "іне", "сына", "сіне", "ында", "інде", "сында", "сінде", "ынан",
        "інен", "сынан", "сінен", "ының", "інің", "сының", "сінің", "ын", "ін", "сын", "сін", "дағы",
        "дегі", "тағы", "тегі", "ндағы", "ндегі", "ындағы", "індегі", "сындағы", "сіндегі", "дар", "дер",
        "тар", "тер", "лар", "лер", "дары", "дері", "тары", "тері", "лары", "лері", "дарда", "дерде",
        "дарға", "дерге", "дардың", "дердің", "дарында", "дерінде", "дарына", "деріне", NULL};
static const char *const ru_soft[] = {"ь", "я", "е", "ю", "ем", "ём", NULL};
static const char *const ru_hard[] = {"", "а", "е", "у", "ом", "ем", "ы", "ов", "ев", "ах", "ам", "ами", NULL};
static const char *const ru_may[] = {"й", "я", "е", "ю", "ем", NULL};
static const char *const ru_neuter[] = {"е", "я", "ю", "ем", "и", "й", "ями", "ям", NULL};
static const char *const ru_adjective[] = {"ый", "ий", "ой", "ая", "яя", "ое", "ее", "ого", "его", "ому",
                                           "ему", "ым", "им", "ом", "ем", "ую", "юю", "ых", "их", "ые", "ие",
                                           NULL};
static const char *const ru_third[] = {"ий", "ье", "ья", "ьего", "ьей", "ьем", "ьему", "ью", "ьим", NULL};
static const char *const ru_week[] = {"я", "и", "ю", "е", "ь", "ей", "ям", "ями", NULL};
static const char *const en_plural[] = {"", "s", NULL};

/* What may be glued to a number: "10th", "10-на", "1-ші", "10-го", "2022г", "20-сына", "1-күнінен". */
static const char *const number_suffixes[] = {
        "th", "st", "nd", "rd", "ші", "шы", "інші", "ыншы", "нші", "ншы", "на", "ына", "іне", "не", "ға",
        "ге", "қа", "ке", "ы", "і", "сы", "сі", "да", "де", "нда", "нде", "ында", "інде", "дағы", "дегі",
        "ндағы", "ндегі", "ж", "жж", "г", "гг", "го", "ого", "его", "е", "й", "я", "ое", "ой", "ый", "ий",
        "ая", "ю", "му", "сына", "сіне", "нан", "нен", "дан", "ден", "тан", "тен", "ынан", "інен", "сынан",
        "сінен", "күн", "күні", "күніне", "күнінен", "күнге", "ге", "ын", "ін", "м", "ом", "ем", NULL};

/* The words of the language by meaning. Alternatives are separated by spaces and the words of a phrase
 * by '_'; for months, ordinals, cardinals and year words an alternative's place is its value ("-" holds a
 * place) and '|' joins spellings of one value. A phrase comes before its first word alone. */
static const struct lexeme lexicon[] = {
        {WORD_ANNUAL, NULL, "жыл_сайын жыл_сайынғы әр_жыл әр_жылы every_year each_year каждый_год каждого_года"},
        {WORD_ANNUAL, NULL, "ежегодно annually annual yearly каждом_году"},
        {WORD_HALFYEARLY, NULL, "жарты_жыл_сайын жартыжылдық_сайын әр_жарты_жыл әр_жартыжылдық"},
        {WORD_HALFYEARLY, NULL, "каждое_полугодие каждого_полугодия ежеполугодно полугодично"},
        {WORD_HALFYEARLY, NULL, "semi_annually semiannually biannually half_yearly every_half_year"},
        {WORD_QUARTERLY, NULL, "тоқсан_сайын тоқсан_сайынғы every_quarter each_quarter каждый_квартал"},
        {WORD_QUARTERLY, NULL, "каждого_квартала ежеквартально quarterly"},
        {WORD_QUARTERLY, kk_endings, "әр_тоқсан"},
        {WORD_MONTHLY, NULL, "ай_сайын every_month each_month каждый_месяц каждого_месяца ежемесячно monthly"},
        {WORD_MONTHLY, kk_endings, "әр_ай"},
        {WORD_MONTHLY, NULL, "әр_айдын"}, /* "айдың" typed with н, as a published plan has it */
        {WORD_CONTINUOUS, NULL, "на_постоянной_основе на_регулярной_основе тұрақты_негізде тұрақты_түрде"},
        {WORD_CONTINUOUS, NULL, "жүйелі_түрде тұрақты үнемі үздіксіз ұдайы әрқашан_да әрқашан"},
        {WORD_CONTINUOUS, NULL, "постоянно регулярно всегда"},
        {WORD_CONTINUOUS, NULL, "continuously continuous ongoing permanently regularly"},
        {WORD_AS_NEEDED, NULL, "по_мере_необходимости при_необходимости в_случае_необходимости"},
        {WORD_AS_NEEDED, NULL, "по_необходимости қажеттілігіне_қарай қажеттілікке_қарай қажетіне_қарай"},
        {WORD_AS_NEEDED, NULL, "қажеттілік_бойынша қажет_болған_жағдайда қажет_болған_кезде"},
        {WORD_AS_NEEDED, NULL, "as_needed as_required when_needed if_needed if_necessary when_necessary"},
        {WORD_AT_LEAST, NULL, "не_реже кем_дегенде кемінде at_least not_less_than но бірақ but"},
        {WORD_UNTIL, NULL, "не_позднее no_later_than not_later_than"},
        {WORD_AFTER, NULL, "со_дня с_даты с_момента от_даты с_дня по_истечении күннен_бастап"},
        {WORD_AFTER, NULL, "күнінен_бастап сәттен_бастап сәтінен_бастап кейін соң после через after"},
        {WORD_MEANS, NULL, "с_использованием в_режиме посредством путем арқылы режимінде режимде via using"},
        {WORD_EVENT, NULL, "по_итогам по_результатам по_завершении по_окончании по_факту по_мере"},
        {WORD_EVENT, NULL, "в_установленные_сроки в_установленный_срок в_сроки в_соответствии_с в_день в_дни"},
        {WORD_EVENT, NULL, "в_соотвествии_с"}, /* a letter left out, as a published plan has it */
        {WORD_EVENT, NULL, "белгіленген_мерзімде белгіленген_мерзімдерде заңнамада_белгіленген_мерзімде"},
        {WORD_EVENT, NULL, "в_случае в_ходе по_графику согласно при кезінде кезде жағдайда бойынша"},
        {WORD_EVENT, NULL, "upon on_completion according_to when"},
        {WORD_THROUGHOUT, NULL, "в_течение в_течении в_продолжение на_протяжении аралығындағы_кезеңде"},
        {WORD_THROUGHOUT, NULL, "в_период бойы бойында бойына ішінде аралығында аралығындағы during within"},
        {WORD_THROUGHOUT, NULL, "throughout"},
        {WORD_THEN, NULL, "әрі_қарай одан_әрі содан_кейін кейіннен в_дальнейшем далее затем then thereafter"},
        {WORD_FROM, NULL, "начиная_с начиная_со начиная_от starting_from beginning_with с со from since"},
        {WORD_FROM_AFTER, NULL, "бастап"},
        {WORD_BEFORE, NULL, "бұрын ранее прежде before prior_to"},

        {WORD_HALF, kk_endings, "жарты_жыл жарты_жылдық жартыжылдық жартыжылдығ"},
        {WORD_HALF, ru_neuter, "полугоди"},
        {WORD_HALF, NULL, "полгода half_year half"},
        {WORD_QUARTER, kk_endings, "тоқсан"},
        {WORD_QUARTER, ru_hard, "квартал"},
        {WORD_QUARTER, en_plural, "quarter"},
        {WORD_QUARTER, NULL, "кв"},

        {WORD_MONTH, kk_endings,
         "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек|қыркүйег қазан қараша желтоқсан"},
        {WORD_MONTH, ru_soft, "январ феврал - апрел - июн июл - сентябр октябр ноябр декабр"},
        {WORD_MONTH, ru_hard, "- - март - - - - август"},
        {WORD_MONTH, ru_may, "- - - - ма"},
        {WORD_MONTH, NULL, "янв фев|февр - апр - - - авг сен|сент окт ноя|нояб дек"},
        {WORD_MONTH, NULL, "january february march april may june july august september october november"},
        {WORD_MONTH, NULL, "- - - - - - - - - - - december"},
        {WORD_MONTH, NULL, "jan feb mar apr - jun jul aug sep|sept oct nov dec"},

        {WORD_ORDINAL, NULL, "i ii iii iv"}, /* Roman numerals, in whichever letters, are read as Latin */
        {WORD_ORDINAL, NULL, "бірінші екінші үшінші төртінші"},
        {WORD_ORDINAL, ru_adjective, "перв втор - четверт"},
        {WORD_ORDINAL, ru_third, "- - трет"},
        {WORD_ORDINAL, NULL, "first second third fourth"},
        {WORD_CARDINAL, NULL, "бір екі үш төрт бес алты жеті сегіз тоғыз он"},
        {WORD_CARDINAL, NULL, "один|одного|одной|одну|одним два|две|двух три|трех четыре|четырех пять|пяти"},
        {WORD_CARDINAL, NULL, "шесть|шести семь|семи восемь|восьми девять|девяти десять|десяти"},
        {WORD_CARDINAL, NULL, "one two three four five six seven eight nine ten"},
        {WORD_TIMES, NULL, "раз|раза|рет|мәрте|times|time|once дважды|twice"},

        {WORD_WORKING, NULL, "жұмыс рабочих рабочий рабочего рабочие раб working business"},
        {WORD_CALENDAR, NULL, "күнтізбелік календарных календарный календарного calendar"},
        {WORD_DAY_UNIT, kk_endings, "күн"},
        {WORD_DAY_UNIT, NULL, "день дня дней дн сутки суток day days"},
        {WORD_WEEK, kk_endings, "апта"},
        {WORD_WEEK, ru_week, "недел"},
        {WORD_WEEK, en_plural, "week"},
        {WORD_MONTH_UNIT, kk_endings, "ай"},
        {WORD_MONTH_UNIT, ru_hard, "месяц"},
        {WORD_MONTH_UNIT, en_plural, "month"},

        {WORD_FOLLOWING, ru_adjective, "следующ последующ"},
        {WORD_FOLLOWING, NULL, "кейінгі келесі following next"},
        {WORD_REPORTING, ru_adjective, "отчетн"},
        {WORD_REPORTING, NULL, "есепті есептік reporting"},
        {WORD_PERIOD, kk_endings, "кезең"},
        {WORD_PERIOD, ru_hard, "период"},
        {WORD_PERIOD, en_plural, "period"},

        {WORD_END, NULL, "конец конца концу конце окончания соңы соңына соңында соңынан аяғы аяғына аяғында"},
        {WORD_END, NULL, "end"},
        {WORD_RANGE, NULL, "по to through"},
        {WORD_UNTIL, NULL, "дейін дейінгі қарай кешіктірмей кешіктірмейтін до к ко by until till"},

        /* Year words by enum year_mark: names, leads, follows. */
        {WORD_YEAR, NULL, "год|годы|году|годом|годах|жыл|жылы|жылдар|жылдары|жылға|жылда|жылдан|жылдарда"},
        {WORD_YEAR, NULL, "жылына|жылынан|жылдарға|ж|жж|year|years жылғы|жылдың|жылдардағы|жылдардың"},
        {WORD_YEAR, NULL, "- - года|годов|г|гг|лет"},

        {WORD_FILLER, ru_hard, "числ"},
        {WORD_FILLER, NULL, "число числу в во на за и включительно және мен бен пен"},
        {WORD_FILLER, NULL, "of the on in at a an per and inclusive"},
};

static const char *const month_names[] = {"January", "February", "March",     "April",   "May",     "June",
                                          "July",    "August",   "September", "October", "November",
                                          "December"};

const char *phrase_month_name(int month) {
        return month >= 1 && month <= 12 ? month_names[month - 1] : "?";
}

int phrase_fail(struct phrase *p, const char *fmt, ...) {
        if (p->err && p->errlen > 0) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(p->err, p->errlen, fmt, ap);
                va_end(ap);
                /* Cut short by errlen: do not end in half a character. */
                size_t len = strlen(p->err), start = len;
                while (start > 0 && ((unsigned char) p->err[start - 1] & 0xC0) == 0x80)
                        start--;
                if (n >= (int) p->errlen && start > 0 && (unsigned char) p->err[start - 1] >= 0xC0) {
                        unsigned char lead = (unsigned char) p->err[start - 1];
                        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                        if (len - (start - 1) < need)
                                p->err[start - 1] = 0;
                }
        }
        return -EINVAL;
}

int phrase_fail_word(struct phrase *p, const struct token *first, const struct token *last) {
        int len = (int) (last->src + last->srclen - first->src);
        return phrase_fail(p, "did not understand '%.*s' in '%s'", len, first->src, p->phrase);
}

/* The Latin Roman digits a code point stands for (lower case, Latin, Cyrillic or a Unicode numeral), or
 * NULL: plans type I as Latin I, Kazakh І or Ӏ, and V as Latin V or Y, Cyrillic У or Kazakh Ү ("ІУ"). */
static const char *roman_digits(uint32_t c) {
        static const char *const numerals[] = {"i", "ii", "iii", "iv", "v"};
        if (c == 'i' || c == 0x0456 || c == 0x04CF)
                return "i";
        if (c == 'v' || c == 'y' || c == 0x0443 || c == 0x04AF)
                return "v";
        if (c >= 0x2160 && c <= 0x2164)
                return numerals[c - 0x2160];
        if (c >= 0x2170 && c <= 0x2174)
                return numerals[c - 0x2170];
        return NULL;
}

/* The Cyrillic letter a Latin lookalike in a Cyrillic word stands for, or 0. */
static uint32_t cyrillic_lookalike(uint32_t c) {
        static const char latin[] = "aceikopxy";
        static const uint32_t cyrillic[] = {0x430, 0x441, 0x435, 0x456, 0x43A, 0x43E, 0x440, 0x445, 0x443};
        const char *at = c < 0x80 && c ? strchr(latin, (int) c) : NULL;
        return at ? cyrillic[at - latin] : 0;
}

/* Whether a code point belongs to a word: a letter, a Roman numeral, or a soft hyphen inside it. */
static bool is_word_char(uint32_t c) {
        return unicode_is_letter(c) || roman_digits(unicode_tolower(c)) || c == 0xAD;
}

/* Write a code point as UTF-8 at *out and advance it. */
static void put_codepoint(char **out, uint32_t c) {
        struct buf b = {0};
        utf8_encode(&b, c);
        memcpy(*out, b.data, b.len);
        *out += b.len;
        buf_free(&b);
}

/* Copy the word at *s into out: lower case, "ё" as "е", a Roman numeral as Latin "iv", Latin lookalikes
 * in Cyrillic words as Cyrillic, soft hyphens dropped. Returns the end of the copy. */
static char *normalize_word(const char **s, const char *end, char *out) {
        const char *start = *s, *p = *s;
        bool cyrillic = false, roman = true;
        while (p < end) {
                const char *at = p;
                int32_t c = utf8_decode(&p, end);
                if (c < 0 || !is_word_char((uint32_t) c)) {
                        p = at;
                        break;
                }
                uint32_t lower = unicode_tolower((uint32_t) c);
                cyrillic = cyrillic || (lower >= 0x400 && lower < 0x530);
                roman = roman && (roman_digits(lower) || c == 0xAD);
        }
        *s = p;
        for (const char *q = start; q < p;) {
                uint32_t c = unicode_tolower((uint32_t) utf8_decode(&q, p));
                uint32_t cy = cyrillic ? cyrillic_lookalike(c) : 0;
                if (c == 0xAD)
                        continue;
                if (roman) {
                        const char *digits = roman_digits(c);
                        memcpy(out, digits, strlen(digits));
                        out += strlen(digits);
                } else {
                        put_codepoint(&out, cy ? cy : c == 0x451 ? 0x435 : c);
                }
        }
        return out;
}

/* Split the squeezed phrase into numbers, words, dashes and punctuation. */
static int tokenize(struct phrase *p) {
        const char *s = p->src, *end = p->src + strlen(p->src);
        char *words = p->words;
        bool spaced = false;
        while (s < end) {
                const char *start = s;
                int32_t c = utf8_decode(&s, end);
                if (c == ' ') {
                        spaced = true;
                        continue;
                }
                if (p->n >= PHRASE_TOKENS_MAX)
                        return phrase_fail(p, "the deadline '%s' is too long", p->phrase);
                struct token *t = &p->tokens[p->n++];
                *t = (struct token) {.text = start, .len = (size_t) (s - start), .src = start, .spaced = spaced};
                spaced = false;
                if (c >= '0' && c <= '9') {
                        t->type = TOK_NUM;
                        for (s = start; s < end && *s >= '0' && *s <= '9'; s++)
                                if (++t->digits <= 4)
                                        t->value = t->value * 10 + (*s - '0');
                        t->len = (size_t) (s - start);
                } else if (is_word_char((uint32_t) c)) {
                        s = start;
                        t->type = TOK_WORD;
                        t->text = words;
                        words = normalize_word(&s, end, words);
                        t->len = (size_t) (words - t->text);
                } else if (unicode_is_dash((uint32_t) c)) {
                        t->type = TOK_DASH;
                } else if (c == '.') {
                        t->type = TOK_DOT;
                } else if (c == ',' || c == ';') {
                        t->type = TOK_COMMA;
                } else if (c < 0x80 ? strchr(":()[]*\"'", c) != NULL
                                    : (c == 0xAB || c == 0xBB || (c >= 0x2018 && c <= 0x201F))) {
                        t->type = TOK_PUNCT;
                } else {
                        t->type = TOK_OTHER;
                }
                t->srclen = (size_t) (s - start);
        }
        return 0;
}

/* Whether count tokens from i exist with no space between them. */
static bool glued(const struct phrase *p, size_t i, size_t count) {
        if (i + count > p->n)
                return false;
        for (size_t k = 1; k < count; k++)
                if (p->tokens[i + k].spaced)
                        return false;
        return true;
}

/* Whether s[0..len) is one of a NULL-terminated list of strings. */
static bool text_in(const char *s, size_t len, const char *const *list) {
        for (; list && *list; list++)
                if (strlen(*list) == len && memcmp(*list, s, len) == 0)
                        return true;
        return false;
}

/* Whether a word, w[0..len), is one the lexicon knows, alone or as a word of one of its phrases. */
static bool word_known(const char *w, size_t len) {
        for (size_t r = 0; r < ELEMENTSOF(lexicon); r++)
                for (const char *a = lexicon[r].words; *a;) {
                        size_t n = strcspn(a, " |");
                        for (const char *part = a; part < a + n;) {
                                const char *joint = memchr(part, '_', (size_t) (a + n - part));
                                size_t k = joint ? (size_t) (joint - part) : (size_t) (a + n - part);
                                bool last = !joint;
                                if (len >= k && memcmp(w, part, k) == 0 &&
                                    (last && lexicon[r].endings ? text_in(w + k, len - k, lexicon[r].endings)
                                                                : len == k))
                                        return true;
                                part += k + (joint ? 1 : 0);
                        }
                        a += n;
                        if (*a)
                                a++;
                }
        return false;
}

/* Join a word broken by a line-wrap hyphen ("Посто- янно", "Еже- месяч- но") when the whole is a word
 * of the language and the part after the break starts in lower case. */
static void join_wraps(struct phrase *p) {
        for (size_t i = 0; i + 2 < p->n; i++) {
                struct token *t = &p->tokens[i];
                if (t->type != TOK_WORD)
                        continue;
                char joined[256];
                size_t len = 0, last = i;
                for (size_t j = i; j + 2 < p->n && j < i + 8; j += 2) {
                        struct token *dash = &p->tokens[j + 1], *next = &p->tokens[j + 2];
                        const char *q = next->src;
                        if (dash->type != TOK_DASH || dash->spaced || !next->spaced || next->type != TOK_WORD ||
                            unicode_is_upper((uint32_t) utf8_decode(&q, next->src + next->srclen)))
                                break;
                        if (j == i) {
                                if (t->len >= sizeof(joined))
                                        break;
                                memcpy(joined, t->text, t->len);
                                len = t->len;
                        }
                        if (len + next->len >= sizeof(joined))
                                break;
                        memcpy(joined + len, next->text, next->len);
                        len += next->len;
                        if (word_known(joined, len))
                                last = j + 2;
                }
                if (last == i)
                        continue;
                /* The pieces are next to each other in p->words: make the first token span them. */
                char *at = (char *) t->text;
                size_t used = 0;
                for (size_t j = i; j <= last; j += 2) {
                        struct token *piece = &p->tokens[j];
                        memmove(at + used, piece->text, piece->len);
                        used += piece->len;
                        if (j > i)
                                p->tokens[j - 1].type = p->tokens[j].type = TOK_SKIP;
                }
                t->len = used;
                t->srclen = (size_t) (p->tokens[last].src + p->tokens[last].srclen - t->src);
        }
}

/* Make count tokens from i one date written in digits, "2022-06-15", "15.06.2022" or "2022-06". */
static int make_date(struct phrase *p, size_t i, size_t count, int year, int month, int day) {
        struct token *t = &p->tokens[i];
        if (year < PHRASE_YEAR_MIN || year > PHRASE_YEAR_MAX)
                return phrase_fail(p, "the year %d is outside %d-%d in '%s'", year, PHRASE_YEAR_MIN,
                                   PHRASE_YEAR_MAX, p->phrase);
        if (month < 1 || month > 12 || (count > 3 && day < 1))
                return phrase_fail_word(p, t, t + count - 1);
        if (day && !date_valid(year, month, day))
                return phrase_fail(p, "%d %s %d does not exist", day, month_names[month - 1], year);
        t->srclen = (size_t) (t[count - 1].src + t[count - 1].srclen - t->src);
        for (size_t k = 1; k < count; k++)
                t[k].type = TOK_SKIP;
        t->type = TOK_DATE;
        t->value = year, t->month = month, t->day = day;
        return 0;
}

/* Read what is glued to a number: a date in digits, or an ordinal or case suffix. */
static int glue_number(struct phrase *p, size_t i) {
        struct token *t = &p->tokens[i];
        if (t->digits > 4)
                return phrase_fail_word(p, t, t);
        if (glued(p, i, 3) && t[1].type == TOK_DOT && t[2].type == TOK_NUM) {
                if (glued(p, i, 5) && t[3].type == TOK_DOT && t[4].type == TOK_NUM && t->digits <= 2 &&
                    t[2].digits <= 2 && t[4].digits == 4)
                        return make_date(p, i, 5, t[4].value, t[2].value, t->value);
                struct token *last = t + 2;
                while (glued(p, (size_t) (last - p->tokens), 2) &&
                       (last[1].type == TOK_NUM || last[1].type == TOK_DOT))
                        last++;
                return phrase_fail_word(p, t, last);
        }
        if (t->digits == 4 && glued(p, i, 3) && t[1].type == TOK_DASH && t[2].type == TOK_NUM &&
            t[2].digits <= 2) {
                if (glued(p, i, 5) && t[3].type == TOK_DASH && t[4].type == TOK_NUM && t[4].digits <= 2)
                        return make_date(p, i, 5, t->value, t[2].value, t[4].value);
                return make_date(p, i, 3, t->value, t[2].value, 0);
        }
        if (glued(p, i, 2) && t[1].type == TOK_WORD && text_in(t[1].text, t[1].len, number_suffixes)) {
                t[1].type = TOK_SKIP;
        } else if (glued(p, i, 3) && t[1].type == TOK_DASH && t[2].type == TOK_WORD &&
                   (!t[2].spaced || text_in(t[2].text, t[2].len, number_suffixes))) {
                t[1].type = TOK_SKIP; /* "4-тоқсан": the dash marks an ordinal */
                if (text_in(t[2].text, t[2].len, number_suffixes))
                        t[2].type = TOK_SKIP;
        }
        return 0;
}

/* Join what is written without spaces: dates in digits, "10-на", "Q4", "H1". */
static int glue(struct phrase *p) {
        for (size_t i = 0; i < p->n; i++) {
                struct token *t = &p->tokens[i];
                int r;
                if (t->type == TOK_NUM && (r = glue_number(p, i)) < 0)
                        return r;
                if (t->type == TOK_WORD && t->len == 1 && (*t->text == 'q' || *t->text == 'h') &&
                    glued(p, i, 2) && t[1].type == TOK_NUM) {
                        t->type = TOK_PART;
                        t->unit = *t->text == 'q' ? DEADLINE_UNIT_QUARTER : DEADLINE_UNIT_HALF;
                        t->value = t[1].value;
                        t->srclen = (size_t) (t[1].src + t[1].srclen - t->src);
                        t[1].type = TOK_SKIP;
                }
        }
        for (size_t i = 0; i < p->n; i++)
                if (p->tokens[i].type == TOK_DOT)
                        p->tokens[i].type = TOK_PUNCT;
        return 0;
}

size_t phrase_next(const struct phrase *p, size_t i) {
        for (i++; i < p->n && p->tokens[i].type == TOK_SKIP; i++)
                ;
        return i;
}

size_t phrase_next_free(const struct phrase *p, size_t i) {
        for (i = phrase_next(p, i); i < p->n && p->tokens[i].used; i = phrase_next(p, i))
                ;
        return i;
}

void phrase_take(struct phrase *p, size_t a, size_t b) {
        for (size_t i = a; i <= b && i < p->n; i++)
                p->tokens[i].used = true;
}

/* Whether one alternative of the lexicon, a[0..len), matches the words from token i; on a match *last
 * is its last token. */
static bool phrase_match(const struct phrase *p, size_t i, const char *a, size_t len,
                         const char *const *endings, size_t *last) {
        for (bool first = true;; first = false, i = phrase_next(p, i)) {
                /* "half-year", "semi-annually": a hyphen joins the words of a phrase as a space does. */
                if (!first && i + 1 < p->n && p->tokens[i].type == TOK_DASH && !p->tokens[i].spaced &&
                    !p->tokens[i + 1].spaced)
                        i++;
                if (i >= p->n || p->tokens[i].type != TOK_WORD)
                        return false;
                const struct token *t = &p->tokens[i];
                const char *joint = memchr(a, '_', len);
                size_t n = joint ? (size_t) (joint - a) : len;
                if (t->len < n || memcmp(t->text, a, n) != 0)
                        return false;
                if (joint) {
                        if (t->len != n)
                                return false;
                        len -= n + 1;
                        a = joint + 1;
                        continue;
                }
                if (endings ? !text_in(t->text + n, t->len - n, endings) : t->len != n)
                        return false;
                *last = i;
                return true;
        }
}

/* Give the word at token i its meaning from the lexicon; returns false if it has none. */
static bool lookup(struct phrase *p, size_t i) {
        struct token *t = &p->tokens[i];
        for (size_t r = 0; r < ELEMENTSOF(lexicon); r++) {
                int value = 1;
                for (const char *a = lexicon[r].words; *a;) {
                        size_t n = strcspn(a, " |"), last;
                        if (phrase_match(p, i, a, n, lexicon[r].endings, &last)) {
                                t->cls = lexicon[r].cls;
                                t->value = value;
                                if (t->cls == WORD_YEAR)
                                        t->value = value - 1; /* enum year_mark */
                                if (t->cls == WORD_TIMES)
                                        t->value = value == 2 ? 2 : 0;
                                if (last > i)
                                        t->srclen = (size_t) (p->tokens[last].src + p->tokens[last].srclen - t->src);
                                for (size_t j = i + 1; j <= last; j++)
                                        p->tokens[j].type = TOK_SKIP;
                                return true;
                        }
                        a += n;
                        if (*a == ' ')
                                value++;
                        if (*a)
                                a++;
                }
        }
        return false;
}

/* The code points of a word, at most max; returns how many. */
static size_t code_points(const char *s, size_t len, uint32_t *out, size_t max) {
        const char *end = s + len;
        size_t n = 0;
        while (s < end && n < max) {
                int32_t c = utf8_decode(&s, end);
                out[n++] = c < 0 ? 0xFFFD : (uint32_t) c;
        }
        return s < end ? max + 1 : n;
}

/* Whether a and b differ by one letter left out, added or changed, not the first. */
static bool one_letter_off(const uint32_t *a, size_t na, const uint32_t *b, size_t nb) {
        if (na > nb)
                return one_letter_off(b, nb, a, na);
        if (nb - na > 1 || na == 0 || a[0] != b[0])
                return false;
        size_t i = 0;
        while (i < na && a[i] == b[i])
                i++;
        if (na == nb)
                return i < na && memcmp(a + i + 1, b + i + 1, (na - i - 1) * sizeof(*a)) == 0;
        return memcmp(a + i, b + i + 1, (na - i) * sizeof(*a)) == 0;
}

/* The month a word misspelt by one letter names ("яварь"), when the month's name has six letters or
 * more and no other month's is as near; 0 if none. */
static int misspelt_month(const struct token *t) {
        static const char *const names[] = {
                "январь", "февраль", NULL,     "апрель", NULL,     NULL,       NULL,     "август", "сентябрь",
                "октябрь", "ноябрь", "декабрь", "қаңтар", NULL,     "наурыз", NULL,       NULL,     "маусым",
                NULL,      NULL,     "қыркүйек", NULL,   NULL,     "желтоқсан"};
        uint32_t word[16], name[16];
        size_t n = code_points(t->text, t->len, word, ELEMENTSOF(word));
        int found = 0;
        if (n < 5 || n > ELEMENTSOF(word))
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                if (!names[k])
                        continue;
                size_t m = code_points(names[k], strlen(names[k]), name, ELEMENTSOF(name));
                if (!one_letter_off(word, n, name, m))
                        continue;
                if (found && found != (int) (k % 12) + 1)
                        return 0;
                found = (int) (k % 12) + 1;
        }
        return found;
}

int phrase_lex(struct phrase *p, const char *phrase, char *err, size_t errlen) {
        *p = (struct phrase) {.phrase = phrase ? phrase : "", .err = err, .errlen = errlen};
        if (err && errlen)
                err[0] = 0;
        size_t bad = 0;
        if (!phrase)
                return phrase_fail(p, "no deadline given");
        if (!utf8_valid(phrase, strlen(phrase), &bad))
                return phrase_fail(p, "the deadline is not valid UTF-8 (at byte %zu)", bad);
        p->src = utf8_squeeze(phrase);
        p->words = xmalloc(2 * strlen(p->src) + 1);
        int r;
        if ((r = tokenize(p)) < 0)
                return r;
        join_wraps(p);
        if ((r = glue(p)) < 0)
                return r;
        for (size_t i = 0; i < p->n; i++) {
                struct token *t = &p->tokens[i];
                if (t->type != TOK_WORD || lookup(p, i))
                        continue;
                t->cls = WORD_UNKNOWN;
                if ((t->value = misspelt_month(t)))
                        t->cls = WORD_MONTH;
        }
        return 0;
}

void phrase_done(struct phrase *p) {
        free(p->src);
        free(p->words);
        p->src = p->words = NULL;
}

int deadline_month_from_word(const char *folded_word) {
        size_t len = strlen(folded_word);
        if (len == 0 || len > 64)
                return 0;
        struct phrase p;
        int month = 0;
        if (phrase_lex(&p, folded_word, NULL, 0) == 0 && p.n == 1 && p.tokens[0].type == TOK_WORD &&
            p.tokens[0].cls == WORD_MONTH)
                month = p.tokens[0].value;
        phrase_done(&p);
        return month;
}
