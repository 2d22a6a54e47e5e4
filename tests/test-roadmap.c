/* Reading roadmap documents: the real seed with its flaws, and broken copies of it. */
#include "config.h"

#include <criterion/criterion.h>

#include "doc.h"
#include "helpers.h"
#include "roadmap.h"
#include "utf8.h"

static struct roadmap *parse_text(const char *text, struct errlist *errs) {
        struct roadmap *r = NULL;
        roadmap_parse(text, strlen(text), "doc.txt", NULL, &r, errs);
        return r;
}

static struct roadmap *parse_seed(void) {
        _cleanup_free_ char *path = test_seed_path();
        _cleanup_free_ char *text = test_read(path);
        struct errlist errs = {0};
        struct roadmap *r = parse_text(text, &errs);
        cr_assert_not_null(r, "the seed must parse; first error: %s", errs.n ? errs.msgs[0] : "?");
        errlist_clear(&errs);
        return r;
}

static const struct roadmap_measure *measure(const struct roadmap *r, int number) {
        for (size_t i = 0; i < r->n_measures; i++)
                if (r->measures[i].number == number)
                        return &r->measures[i];
        cr_assert_fail("no measure %d", number);
        return NULL;
}

Test(roadmap, seed_has_33_measures_in_9_sections) {
        struct roadmap *r = parse_seed();
        cr_assert_eq(r->n_measures, 33);
        cr_assert_eq(r->n_sections, 9);
        cr_assert_str_eq(r->title, "Машина жасауды дамытудың 2024 жылға дейінгі жол картасы");
        cr_assert_str_eq(r->doc_number, "104-ө", "the amending order gives this edition");
        cr_assert_str_eq(r->doc_date, "2022-06-16");
        cr_assert_eq(r->year_from, 2019, "the roadmap \"to 2024\" was approved in 2019");
        cr_assert_str_eq(r->act_date, "2019-06-26");
        cr_assert_eq(r->year_to, 2024);
        cr_assert_not_null(r->expected_results);
        cr_assert(strstr(r->expected_results, "2,6 трлн"));
        cr_assert_str_eq(r->sections[0].title, "Жұмыс істеп тұрған кәсіпорындарды шикізатпен қамтамасыз ету");
        cr_assert_str_eq(r->sections[8].title, "Машина жасау секторын қолдаудың нақты шаралары");
        for (size_t i = 0; i < r->n_measures; i++)
                cr_assert_eq(r->measures[i].number, (int) i + 1);
        cr_assert_eq(measure(r, 1)->section, 0);
        cr_assert_eq(measure(r, 6)->section, 1);
        cr_assert_eq(measure(r, 33)->section, 8);
        cr_assert_eq(measure(r, 10)->line, 36);
        roadmap_free(r);
}

Test(roadmap, seed_executors_survive_missing_commas_and_stray_periods) {
        struct roadmap *r = parse_seed();
        const struct roadmap_measure *m7 = measure(r, 7);
        cr_assert_eq(m7->n_executors, 6, "measure 7 lacks a comma between two executors");
        static const char *const want7[] = {"ИИДМ", "\"ҚИЭО\" АҚ", "\"Самұрық-Қазына\" ҰӘҚ\" АҚ",
                                            "\"Бәйтерек\" ҰБХ\" АҚ", "\"ҚазАвтоЖол\" АҚ", "\"Зерде\" ҰИХ\" АҚ"};
        for (size_t i = 0; i < 6; i++)
                cr_assert_str_eq(m7->executors[i].code, want7[i]);
        cr_assert_not(m7->executors[0].by_agreement, "ИИДМ is a ministry, not by agreement");
        cr_assert(m7->executors[1].by_agreement);
        cr_assert(m7->executors[5].by_agreement);

        const struct roadmap_measure *m21 = measure(r, 21);
        cr_assert_eq(m21->n_executors, 6, "measure 21 has a period for a comma");
        cr_assert_str_eq(m21->executors[3].code, "\"ӨДҚ\" АҚ");
        cr_assert_str_eq(m21->executors[5].code, "ҚМО");

        const struct roadmap_measure *m22 = measure(r, 22);
        cr_assert_eq(m22->n_executors, 5, "measure 22 ends with a period");
        cr_assert_str_eq(m22->executors[4].code, "\"Атамекен\" ҰКП");
        cr_assert(m22->executors[4].by_agreement);

        const struct roadmap_measure *m1 = measure(r, 1);
        cr_assert_str_eq(m1->executors[2].code, "\"Атамекен\" ҰКП", "runs of spaces are squeezed");
        const struct roadmap_measure *m12 = measure(r, 12);
        cr_assert_str_eq(m12->executors[0].code, "\"Самұрық-Қазына\" ҰӘҚ\" АҚ");
        cr_assert_not(m12->executors[0].by_agreement);

        /* ИИДМ is among the executors of 23 measures; 25 distinct agencies in all. */
        int iidm = 0;
        char *seen[64];
        size_t n_seen = 0;
        for (size_t i = 0; i < r->n_measures; i++)
                for (size_t j = 0; j < r->measures[i].n_executors; j++) {
                        const char *code = r->measures[i].executors[j].code;
                        iidm += streq(code, "ИИДМ");
                        bool known = false;
                        for (size_t k = 0; k < n_seen; k++)
                                known = known || streq(seen[k], code);
                        if (!known)
                                seen[n_seen++] = (char *) code;
                }
        cr_assert_eq(iidm, 23);
        cr_assert_eq(n_seen, 25);
        roadmap_free(r);
}

Test(roadmap, seed_report_recipients_come_from_the_completion_form) {
        struct roadmap *r = parse_seed();
        cr_assert_str_eq(measure(r, 10)->report_to, "ИИДМ");
        cr_assert_str_eq(measure(r, 13)->report_to, "ИИДМ");
        cr_assert_str_eq(measure(r, 3)->report_to, "ҰЭМ");
        cr_assert_str_eq(measure(r, 23)->report_to, "БҒМ");
        cr_assert_null(measure(r, 1)->report_to, "\"келісім\" names no agency");
        cr_assert_null(measure(r, 12)->report_to, "a genitive \"АҚ-ның\" is not an addressee");
        cr_assert_null(measure(r, 19)->report_to, "\"ИИДМ бұйрығы\" is an order of ИИДМ, not a report to it");
        roadmap_free(r);
}

Test(roadmap, seed_deadlines) {
        struct roadmap *r = parse_seed();
        const struct roadmap_measure *m10 = measure(r, 10);
        cr_assert_eq(m10->n_dues, 1);
        cr_assert_eq(m10->dues[0].n_rules, 1);
        cr_assert_eq(m10->dues[0].rule[0].kind, DEADLINE_ANNUAL);
        cr_assert_eq(m10->dues[0].rule[0].year_from, 2022);
        cr_assert_eq(m10->dues[0].rule[0].year_to, 2024);
        cr_assert_eq(measure(r, 12)->dues[0].rule[0].kind, DEADLINE_ONCE);
        int annual = 0;
        for (size_t i = 0; i < r->n_measures; i++)
                annual += r->measures[i].dues[0].rule[0].kind == DEADLINE_ANNUAL;
        cr_assert_eq(annual, 7, "measures 7, 10, 16, 25, 26, 27, 32 recur every year");
        roadmap_free(r);
}

Test(roadmap, crlf_bom_and_nbsp_are_read_alike) {
        _cleanup_free_ char *path = test_seed_path();
        _cleanup_free_ char *text = test_read(path);
        struct buf b = {0};
        buf_puts(&b, "\xef\xbb\xbf");
        for (const char *p = text; *p; p++) {
                if (*p == '\n')
                        buf_puts(&b, "\r\n");
                else
                        buf_putc(&b, *p);
        }
        _cleanup_free_ char *crlf = buf_steal(&b);
        _cleanup_free_ char *nbsp = test_replace(crlf, "2022 – 2024 жылдары жыл сайын 30 маусымға",
                                                 "2022\u00a0—\u00a02024 жылдары  жыл сайын 30 маусымға");
        struct errlist errs = {0};
        struct roadmap *r = parse_text(nbsp, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "");
        cr_assert_eq(r->n_measures, 33);
        cr_assert_str_eq(r->title, "Машина жасауды дамытудың 2024 жылға дейінгі жол картасы", "no CR in titles");
        cr_assert_str_eq(measure(r, 33)->executors[3].code, "АТМКА", "no CR at the end of a row");
        roadmap_free(r);
}

Test(roadmap, an_impossible_deadline_leaves_its_measure_undated_and_names_its_line_and_text) {
        _cleanup_free_ char *path = test_seed_path();
        _cleanup_free_ char *text = test_read(path);
        _cleanup_free_ char *bad = test_replace(text, "|\t2022 жылғы желтоқсан\t|\t\"Самұрық-Қазына\" ҰӘҚ\" АҚ, ИИДМ",
                                                "|\t2022 жылғы 31 маусымға дейін\t|\t\"Самұрық-Қазына\" ҰӘҚ\" АҚ, ИИДМ");
        struct errlist errs = {0};
        struct roadmap *r = parse_text(bad, &errs);
        cr_assert_not_null(r, "one unreadable cell does not refuse the plan: %s", errs.n ? errs.msgs[0] : "");
        cr_assert_eq(r->n_measures, 33, "every measure is imported");
        cr_assert_eq(r->n_undated, 1);
        const struct roadmap_measure *m12 = measure(r, 12);
        cr_assert(m12->dues[0].undated);
        cr_assert_str_eq(m12->deadline_text, "2022 жылғы 31 маусымға дейін", "kept as written");
        cr_assert_eq(r->warnings.n, 1);
        const char *w = r->warnings.msgs[0];
        cr_assert(strstr(w, "doc.txt:38:"), "names the file and line: %s", w);
        cr_assert(strstr(w, "measure 12") && strstr(w, "2022 жылғы 31 маусымға дейін"), "quotes the text: %s", w);
        roadmap_free(r);

        /* --strict: all or nothing, as before. */
        struct roadmap_options strict = {.strict = true};
        cr_assert_lt(roadmap_parse(bad, strlen(bad), "doc.txt", &strict, &r, &errs), 0);
        cr_assert_null(r);
        cr_assert_eq(errs.n, 1);
        cr_assert(strstr(errs.msgs[0], "doc.txt:38:") && strstr(errs.msgs[0], "measure 12") &&
                          strstr(errs.msgs[0], "2022 жылғы 31 маусымға дейін"), "%s", errs.msgs[0]);
        errlist_clear(&errs);
}

Test(roadmap, every_error_is_reported_at_once_and_every_readable_measure_warned_about) {
        const char *doc = "Жол картасы 2022 – 2024\n"
                          "№ | Атауы | Нысан | Мерзім | Орындаушылар\n"
                          "Бөлім\n"
                          "1. | Бірінші | ақпарат | 2022 жылғы маусым | ИИДМ\n"
                          "2. | Екінші | ақпарат | келесі жыл | ИИДМ\n"
                          "3. | Үшінші | ақпарат | 2022 жылғы маусым\n"
                          "1. | Қайталанған | ақпарат | 2022 жылғы маусым | ҰЭМ\n"
                          "x | Нөмірсіз | ақпарат | 2022 жылғы маусым | ҰЭМ\n"
                          "6. | Алтыншы | ақпарат | 2022 жылғы маусым | \n";
        struct errlist errs = {0};
        cr_assert_null(parse_text(doc, &errs));
        cr_assert_eq(errs.n, 2, "one error per row that cannot be read, got %zu", errs.n);
        cr_assert(strstr(errs.msgs[0], "doc.txt:6:") && strstr(errs.msgs[0], "5 columns"), "%s", errs.msgs[0]);
        cr_assert(strstr(errs.msgs[1], "doc.txt:8:") && strstr(errs.msgs[1], "number"), "%s", errs.msgs[1]);
        errlist_clear(&errs);

        /* Without the two broken rows: an undated measure, a repeated number, a measure with no executors. */
        _cleanup_free_ char *fixable = test_replace(doc, "3. | Үшінші | ақпарат | 2022 жылғы маусым\n", "");
        _cleanup_free_ char *fixed = test_replace(fixable, "x | Нөмірсіз | ақпарат | 2022 жылғы маусым | ҰЭМ\n", "");
        struct roadmap *r = parse_text(fixed, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "");
        cr_assert_eq(r->n_measures, 4);
        cr_assert_eq(r->warnings.n, 3, "got %zu", r->warnings.n);
        static const char *const want[][2] = {{"doc.txt:5:", "келесі жыл"}, {"doc.txt:7:", "no executors"},
                                              {"doc.txt:", "listed twice"}};
        for (size_t w = 0; w < ELEMENTSOF(want); w++) {
                bool found = false;
                for (size_t k = 0; k < r->warnings.n && !found; k++)
                        found = strstr(r->warnings.msgs[k], want[w][0]) && strstr(r->warnings.msgs[k], want[w][1]);
                cr_assert(found, "no warning \"%s ...%s...\"", want[w][0], want[w][1]);
        }
        for (size_t i = 0; i < r->n_measures; i++)
                cr_assert_eq(r->measures[i].number, (int) i + 1, "numbered by their place");
        cr_assert_str_eq(r->measures[2].label, "1", "the document's number is kept as its label");
        roadmap_free(r);
}

/* A large document is checked in a thread while its lines are read: what is refused, and where, is
 * the same as for a small one, and the check's error comes first. */
Test(roadmap, a_large_document_with_a_bad_byte_near_its_end_is_refused_at_that_line) {
        static const char *const bad[] = {"\xff\xfe", "\x1b[31m", "\xc2\x85"};
        static const char *const said[] = {"UTF-8", "control character U+001B", "control character U+0085"};
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                struct buf b = {0};
                buf_puts(&b, "Үлкен жол картасы: 2025 – 2031 жылдарға арналған жоспар\n"
                             "№ | Атауы | Аяқталу нысаны | Орындау мерзімі | Жауапты орындаушылар\n");
                int lines = 2;
                while (b.len < 600 * 1024) {
                        lines++;
                        buf_printf(&b, "%d. | Шара %d | ИИДМ-ге ақпарат | 2025 жылғы желтоқсан | ИИДМ\n", lines - 2,
                                   lines - 2);
                }
                /* The bad bytes on the last line but one; a line longer than merzim reads before it, which
                 * the reading would refuse first. */
                struct buf longline = {0};
                for (unsigned i = 0; i < DOC_CELL_MAX; i++)
                        buf_puts(&longline, "жжжж");
                buf_printf(&b, "%s\n", longline.data);
                buf_printf(&b, "%d. | Шара%s | ИИДМ-ге ақпарат | 2025 жылғы желтоқсан | ИИДМ\n", lines, bad[k]);
                buf_puts(&b, "1. | Соңғы | ИИДМ-ге ақпарат | 2025 жылғы желтоқсан | ИИДМ\n");
                struct errlist errs = {0};
                struct roadmap *r = NULL;
                cr_assert_lt(roadmap_parse(b.data, b.len, "large.txt", NULL, &r, &errs), 0);
                cr_assert_null(r);
                cr_assert_eq(errs.n, 1, "one error, the check's: %s", errs.n ? errs.msgs[0] : "");
                _cleanup_free_ char *where = xasprintf("large.txt:%d:", lines + 2);
                cr_assert(strstr(errs.msgs[0], where) && strstr(errs.msgs[0], said[k]), "%s", errs.msgs[0]);
                errlist_clear(&errs);
                free(longline.data);
                free(b.data);
        }
}

Test(roadmap, binary_junk_and_invalid_utf8_are_refused) {
        struct errlist errs = {0};
        const char junk[] = "Title\n1 | 2\xff\xfe | 3 | 4 | 5\n";
        struct roadmap *r = NULL;
        cr_assert_lt(roadmap_parse(junk, sizeof(junk) - 1, "junk.bin", NULL, &r, &errs), 0);
        cr_assert_null(r);
        cr_assert(strstr(errs.msgs[0], "junk.bin:2:") && strstr(errs.msgs[0], "UTF-8"), "%s", errs.msgs[0]);
        errlist_clear(&errs);

        const char nul[] = "Title\n1 | 2 | 3\0 | 4 | 5\n";
        cr_assert_lt(roadmap_parse(nul, sizeof(nul) - 1, "nul.txt", NULL, &r, &errs), 0);
        cr_assert(strstr(errs.msgs[0], "nul.txt:2:") && strstr(errs.msgs[0], "NUL"), "%s", errs.msgs[0]);
        errlist_clear(&errs);

        cr_assert_lt(roadmap_parse("", 0, "empty.txt", NULL, &r, &errs), 0);
        cr_assert(strstr(errs.msgs[0], "no table"), "%s", errs.msgs[0]);
        errlist_clear(&errs);
}

Test(roadmap, executors_in_russian_documents) {
        struct roadmap_executor *e;
        size_t n = executors_split("МИИР, МНЭ, НПП «Атамекен» (по согласованию); АО «ФНБ «Самрук-Казына» "
                                           "(по согласованию).", &e);
        cr_assert_eq(n, 4);
        cr_assert_str_eq(e[2].code, "НПП «Атамекен»");
        cr_assert(e[2].by_agreement);
        cr_assert_str_eq(e[3].code, "АО «ФНБ «Самрук-Казына»");
        cr_assert(e[3].by_agreement);
        cr_assert_not(e[0].by_agreement);
        executors_free(e, n);

        char *to = executors_report_recipient("информация в МИИР");
        cr_assert_str_eq(to, "МИИР");
        free(to);
        to = executors_report_recipient("ҰЭМ-ге ұсыныс");
        cr_assert_str_eq(to, "ҰЭМ");
        free(to);
}

/* Executor cells from the corpus of real plans (tests/corpus), as written there. */
Test(roadmap, a_list_under_a_head_noun_is_one_executor) {
        struct roadmap_executor *e;
        /* 06-census-2021-plan.ru.md */
        size_t n = executors_split("МНЭ, МИОР, акиматы областей, городов республиканского значения и столицы", &e);
        cr_assert_eq(n, 3);
        cr_assert_str_eq(e[2].code, "акиматы областей, городов республиканского значения и столицы");
        cr_assert(e[2].group, "local akimats are a group of agencies");
        executors_free(e, n);
        /* 06-census-2021-plan.kk.md: in Kazakh the head noun comes last. */
        n = executors_split("СЖРА ҰСБ аумақтық бөлімшелері (келісу бойынша), облыстар, республикалық маңызы бар "
                            "қалалар мен астана әкімдіктері", &e);
        cr_assert_eq(n, 2, "got %zu", n);
        cr_assert_str_eq(e[0].code, "СЖРА ҰСБ аумақтық бөлімшелері");
        cr_assert(e[0].by_agreement);
        cr_assert_str_eq(e[1].code, "облыстар, республикалық маңызы бар қалалар мен астана әкімдіктері");
        cr_assert_not(e[1].by_agreement);
        executors_free(e, n);
        /* "гг." ends an abbreviation, not an executor. */
        n = executors_split("МИИР, акиматы областей, гг. Астаны, Алматы и Шымкента", &e);
        cr_assert_eq(n, 2, "got %zu", n);
        cr_assert_str_eq(e[1].code, "акиматы областей, гг. Астаны, Алматы и Шымкента");
        executors_free(e, n);
}

Test(roadmap, an_agreement_mark_anywhere_marks_its_executor) {
        struct roadmap_executor *e;
        size_t n = executors_split("МЭ, АО «ИЭИ (по согласованию)», МФ", &e);
        cr_assert_eq(n, 3);
        cr_assert_str_eq(e[1].code, "АО «ИЭИ»");
        cr_assert(e[1].by_agreement);
        cr_assert_not(e[0].by_agreement);
        cr_assert_not(e[2].by_agreement);
        executors_free(e, n);
        /* 03-astana-tourism-2006-2008.ru.md: agencies joined by "совместно с". */
        n = executors_split("ДПП совместно с заинтере- сованными государственными органами", &e);
        cr_assert_eq(n, 2, "got %zu", n);
        cr_assert_str_eq(e[0].code, "ДПП");
        cr_assert(e[1].group, "interested state bodies are a group: %s", e[1].code);
        executors_free(e, n);
}

Test(roadmap, one_organisation_written_four_ways_is_one_agency) {
        /* Quotes «» or "", a stray quote, a Cyrillic Т in a Latin name, another case. */
        const char *spellings[] = {"АО «НК «KAZAKH INVEST»", "АО \"НК \"KAZAKH INVEST\"", "АО «НК «KAZAKH INVEST»»",
                                   "АО «НК «KAZAKH INVES\u0422»", "АО «НК «Kazakh Invest»"};
        _cleanup_free_ char *key = agency_key(spellings[0]);
        for (size_t i = 1; i < ELEMENTSOF(spellings); i++) {
                _cleanup_free_ char *k = agency_key(spellings[i]);
                cr_assert_str_eq(k, key, "\"%s\" and \"%s\" are one agency", spellings[i], spellings[0]);
        }
        /* Different agencies stay apart: СИМ (trade) and СІМ (foreign affairs). */
        _cleanup_free_ char *sim = agency_key("СИМ"), *sim_kk = agency_key("СІМ");
        cr_assert_str_neq(sim, sim_kk);
}

Test(roadmap, report_recipients_that_are_not_executors) {
        char *to = executors_report_recipient("информация в Правительство");
        cr_assert_str_eq(to, "Правительство");
        free(to);
        to = executors_report_recipient("Үкіметке ақпарат");
        cr_assert_str_eq(to, "Үкімет");
        free(to);
        /* 04-aml-risk-measures-2025.ru.md */
        to = executors_report_recipient("предложения в Аппарат Правительства Республики Казахстан");
        cr_assert_null(to, "the Government's Office is not the Government: got %s", to ? to : "");
        free(to);
        cr_assert_null(executors_report_recipient("публикация в СМИ"), "the media are nobody to report to");
        cr_assert_null(executors_report_recipient("БАҚ-қа жариялау"));
}

/* A plan of the corpus (tests/corpus), parsed from its file, or refused with the errors in errs. */
static struct roadmap *parse_corpus(const char *name, const char *from, const char *to, struct errlist *errs) {
        _cleanup_free_ char *path = xasprintf("%s/tests/corpus/%s", test_srcdir(), name);
        _cleanup_free_ char *text = test_read(path);
        _cleanup_free_ char *changed = from ? test_replace(text, from, to) : xstrdup(text);
        struct roadmap *r = NULL;
        roadmap_parse(changed, strlen(changed), name, NULL, &r, errs);
        return r;
}

/* The Mangistau plan of 2003 is printed in two halves: the measures in tables cut at their sections,
 * then, after "продолжение таблицы", their deadlines, expenses and sources, row for row. */
Test(roadmap, a_table_in_two_halves_is_joined_row_for_row) {
        struct errlist errs = {0};
        struct roadmap *r = parse_corpus("19-mangystau-address-2004-plan.ru.md", NULL, NULL, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "?");
        cr_assert_eq(r->n_measures, 34);
        cr_assert_str_eq(measure(r, 3)->deadline_text, "Ежемесячно");
        cr_assert_str_eq(measure(r, 34)->deadline_text, "2003-2004 годы");
        cr_assert(strstr(measure(r, 34)->name, "освещение в СМИ"));
        cr_assert_eq(r->n_sections, 7, "the paragraphs between the tables are not measures");
        roadmap_free(r);

        /* A row fewer in the second half: not joined by guess, and the error says so. */
        errlist_clear(&errs);
        r = parse_corpus("19-mangystau-address-2004-plan.ru.md",
                         "<tr>\n<td>Ежемесячно</td>\n<td>В пределах предусмотренных средств</td>\n"
                         "<td>Местный бюджет</td>\n</tr>\n", "", &errs);
        cr_assert_null(r);
        cr_assert_eq(errs.n, 1);
        cr_assert(strstr(errs.msgs[0], "19-mangystau-address-2004-plan.ru.md:") &&
                          strstr(errs.msgs[0], "has 33 rows where the measures have 34"), "%s", errs.msgs[0]);
        errlist_clear(&errs);
}

/* "-" in the number column marks a part of the measure above: the Akmola plan of 2004 lists four districts
 * under its measure 2, each with its year. */
Test(roadmap, bullet_rows_are_parts_of_the_measure_above) {
        struct errlist errs = {0};
        struct roadmap *r = parse_corpus("22-akmola-iodine-2004-2005.kk.md", NULL, NULL, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "?");
        cr_assert_eq(r->n_measures, 10);
        const struct roadmap_measure *m = measure(r, 2);
        cr_assert_str_eq(m->deadline_text, "2004ж.");
        cr_assert_eq(m->n_executors, 2, "the districts are no executors");
        /* The two rows after measure 10 hold only a year and an amount: no part of it. */
        cr_assert_str_eq(measure(r, 10)->deadline_text, "2004 жылдың 2-3 тоқсаны");
        size_t left_out = 0;
        for (size_t i = 0; i < r->warnings.n; i++)
                left_out += strstr(r->warnings.msgs[i], "with no text is left out") != NULL;
        cr_assert_eq(left_out, 2);
        roadmap_free(r);
        errlist_clear(&errs);
}

/* The Karaganda plan of 2002: its title is the heading that names the plan, not the list items, the
 * sentences of the act or the "I." heading of its first section just above the table. */
Test(roadmap, title_and_first_section_above_the_table) {
        struct errlist errs = {0};
        struct roadmap *r = parse_corpus("17-karaganda-women-2002.ru.md", NULL, NULL, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "?");
        cr_assert_str_eq(r->title, "Региональный план действий по улучшению положения женщин в Карагандинской "
                                   "области на 2002 год");
        cr_assert_eq(r->n_sections, 10);
        cr_assert_str_eq(r->sections[measure(r, 1)->section].title, "I. Женщины и бедность");
        cr_assert_str_eq(r->sections[measure(r, 8)->section].title, "II. Образование и обучение женщин");
        roadmap_free(r);
        errlist_clear(&errs);
}

Test(roadmap, a_deadline_written_twice_is_read_again_once_the_plan_period_is_known) {
        /* "наурыз" (March) names no year, and the title none: measure 2's deadline gives the plan its year,
         * and both cells that say "наурыз" are read again in it, not as they were read before. */
        const char *doc = "Жол картасы\n"
                          "№ | Атауы | Нысан | Мерзім | Орындаушылар\n"
                          "1. | Бірінші | ақпарат | наурыз | ИИДМ\n"
                          "2. | Екінші | ақпарат | 2024 жылғы 15 маусымға дейін | ҰЭМ\n"
                          "3. | Үшінші | ақпарат | наурыз | ИИДМ\n"
                          "4. | Төртінші | ақпарат | 2024 жылғы 15 маусымға дейін | ҰЭМ\n";
        struct errlist errs = {0};
        struct roadmap *r = parse_text(doc, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "");
        cr_assert_eq(r->year_from, 2024);
        cr_assert_eq(r->n_undated, 0);
        for (int n = 1; n <= 3; n += 2) {
                const struct roadmap_measure *m = measure(r, n);
                cr_assert_eq(m->dues[0].n_rules, 1, "measure %d", n);
                cr_assert_not(m->dues[0].undated, "measure %d", n);
                cr_assert_eq(m->dues[0].rule[0].kind, DEADLINE_ONCE);
                cr_assert_eq(m->dues[0].rule[0].year, 2024, "measure %d", n);
                cr_assert_eq(m->dues[0].rule[0].month, 3);
        }
        cr_assert_eq(measure(r, 4)->dues[0].rule[0].day, 15, "the same cell twice, read alike");
        roadmap_free(r);
}

Test(roadmap, a_name_that_ends_in_a_number_is_read_to_its_end_and_no_further) {
        /* An unnumbered row may hold several measures, one per numbered line: a name ending in "; 12" is
         * looked at as the start of such a list, which must stop at the end of the text. */
        const char *doc = "Жол картасы 2024\n"
                          "№ | Атауы | Нысан | Мерзім | Орындаушылар\n"
                          "1. | Бірінші | ақпарат | 2024 жылғы 15 маусымға дейін | ИИДМ\n"
                          " |Екінші; 12| ақпарат | 2024 жылғы 15 маусымға дейін | ИИДМ\n";
        struct errlist errs = {0};
        struct roadmap *r = parse_text(doc, &errs);
        cr_assert_not_null(r, "%s", errs.n ? errs.msgs[0] : "");
        cr_assert_eq(r->n_measures, 1, "the row goes on with measure 1");
        cr_assert_eq(r->measures[0].n_dues, 1);
        roadmap_free(r);
}
