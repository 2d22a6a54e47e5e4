/* merzimctl's tables: cells wrapped, never cut, in columns that line up in terminal columns. */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "helpers.h"
#include "table.h"
#include "utf8.h"
#include "util.h"

static const char iidm_name[] = "Индустрия және инфрақұрылымдық даму министрлігі";
static const char nem_name[] = "Ұлттық экономика министрлігі";

/* Print t at width; the text. Caller frees. */
static char *print(struct table *t, size_t width) {
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        table_print(t, f, width);
        fclose(f);
        return out;
}

/* Every line of text is at most width terminal columns. */
static void assert_fits(const char *text, size_t width) {
        _cleanup_free_ char *copy = xstrdup(text);
        char *save;
        for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
                cr_assert_leq(utf8_width(line), width, "wider than %zu: %s", width, line);
}

/* The cell of row r, column c of a table read back. */
static const char *cell(json_t *rows, size_t r, size_t c) {
        return json_string_value(json_array_get(json_array_get(rows, r), c));
}

Test(table, long_cells_wrap_at_spaces_and_every_word_is_kept) {
        struct table *t = table_new((const char *const[]) {"CODE", "~NAME", "MEASURES", NULL});
        table_add(t, (const char *const[]) {"ИИДМ", iidm_name, "23"});
        table_add(t, (const char *const[]) {"ҰЭМ", nem_name, "5"});
        _cleanup_free_ char *out = print(t, 36);
        table_free(t);
        cr_assert_null(strstr(out, "…"), "a cell is cut:\n%s", out);
        assert_fits(out, 36);
        /* Read column by column, the lines of each cell give it back whole and in order. */
        json_t *rows = test_table_parse(out, " ");
        cr_assert_eq(json_array_size(rows), 3, "%s", out);
        cr_assert_str_eq(cell(rows, 0, 1), "NAME");
        cr_assert_str_eq(cell(rows, 1, 0), "ИИДМ");
        cr_assert_str_eq(cell(rows, 1, 1), iidm_name, "%s", out);
        cr_assert_str_eq(cell(rows, 1, 2), "23");
        cr_assert_str_eq(cell(rows, 2, 1), nem_name, "%s", out);
        cr_assert_str_eq(cell(rows, 2, 2), "5");
        json_decref(rows);
        /* The long name takes several lines: it was wrapped, not widened past the width. */
        cr_assert_gt(test_count_lines(out, ""), 3, "%s", out);
}

Test(table, columns_line_up_in_terminal_columns) {
        struct table *t = table_new((const char *const[]) {"CODE", "~NAME", "N", NULL});
        table_add(t, (const char *const[]) {"ИИДМ", iidm_name, "23"});
        table_add(t, (const char *const[]) {"ҰЭМ", nem_name, "5"});
        table_add(t, (const char *const[]) {"MoF", "Finance", "1"});
        _cleanup_free_ char *out = print(t, 30);
        table_free(t);
        /* NAME starts at column 6 on every line that has it (bytes differ: Cyrillic is two a letter). */
        char *save;
        int lines = 0;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), lines++) {
                size_t lead = utf8_prefix_for_width(line, 6);
                cr_assert(line[lead] != ' ' && (lead == 0 || line[lead - 1] == ' '),
                          "line %d: the second column does not start at column 6: %s", lines, line);
        }
        cr_assert_gt(lines, 4);
}

Test(table, headers_wrap_and_are_never_cut) {
        struct table *t = table_new((const char *const[]) {"NO", "~NAME", "~EXECUTORS (* by agreement)", "REPORT TO", NULL});
        table_add(t, (const char *const[]) {"1", iidm_name, "ИИДМ, ҰЭМ, \"Атамекен\" ҰКП*, ҚМО*", "ИИДМ"});
        _cleanup_free_ char *out = print(t, 50);
        table_free(t);
        cr_assert_null(strstr(out, "…"), "%s", out);
        assert_fits(out, 50);
        json_t *rows = test_table_parse(out, " ");
        cr_assert_eq(json_array_size(rows), 2, "%s", out);
        cr_assert_str_eq(cell(rows, 0, 2), "EXECUTORS (* by agreement)", "%s", out);
        cr_assert_str_eq(cell(rows, 0, 3), "REPORT TO", "%s", out);
        cr_assert_str_eq(cell(rows, 1, 1), iidm_name, "%s", out);
        cr_assert_str_eq(cell(rows, 1, 2), "ИИДМ, ҰЭМ, \"Атамекен\" ҰКП*, ҚМО*", "%s", out);
        json_decref(rows);
}

Test(table, a_word_longer_than_its_column_is_broken_not_cut) {
        static const char word[] = "Индустриялықинфрақұрылымдықдамуминистрлігі";
        struct table *t = table_new((const char *const[]) {"CODE", "~NAME", NULL});
        table_add(t, (const char *const[]) {"ИИДМ", word});
        _cleanup_free_ char *out = print(t, 20);
        table_free(t);
        assert_fits(out, 20);
        json_t *rows = test_table_parse(out, "");
        cr_assert_str_eq(cell(rows, 1, 1), word, "%s", out);
        json_decref(rows);
}

Test(table, a_no_break_space_joins_what_it_stands_between) {
        struct table *t = table_new((const char *const[]) {"AT", "~MEASURES (PERIOD)", NULL});
        table_add(t, (const char *const[]) {"2024-06-28", "10\u00a0(2024), 32\u00a0(2024), 26\u00a0(2022-06), 7\u00a0(2024)"});
        _cleanup_free_ char *out = print(t, 30);
        table_free(t);
        assert_fits(out, 30);
        json_t *rows = test_table_parse(out, " ");
        cr_assert_str_eq(cell(rows, 1, 1), "10\u00a0(2024), 32\u00a0(2024), 26\u00a0(2022-06), 7\u00a0(2024)", "%s", out);
        json_decref(rows);
        /* No line ends with a measure's number: each stays with its period. */
        char *save;
        for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                size_t n = strlen(line);
                cr_assert(n == 0 || line[n - 1] == ')' || line[n - 1] == ',' || line[n - 1] == 'D' ||
                                  line[n - 1] == 'S',
                          "a line ends inside a measure and its period: \"%s\"", line);
        }
}

Test(table, a_table_that_fits_is_one_line_a_row) {
        struct table *t = table_new((const char *const[]) {"CODE", "~NAME", NULL});
        table_add(t, (const char *const[]) {"ИИДМ", iidm_name});
        table_add(t, (const char *const[]) {"ҰЭМ", NULL});
        _cleanup_free_ char *out = print(t, 100);
        table_free(t);
        _cleanup_free_ char *want = xasprintf("CODE  NAME\nИИДМ  %s\nҰЭМ   -\n", iidm_name);
        cr_assert_str_eq(out, want);
}

Test(table, next_line_breaks_at_the_last_space_that_fits) {
        size_t skip;
        const char *s = "жыл сайын 30 маусымға қарай";
        cr_assert_eq(table_next_line(s, 12, &skip), strlen("жыл сайын 30"));
        cr_assert_eq(skip, 1);
        cr_assert_eq(table_next_line(s, 100, &skip), strlen(s));
        cr_assert_eq(skip, 0);
        cr_assert_eq(table_next_line("маусымға", 3, &skip), strlen("мау"), "a long word is broken");
        cr_assert_eq(table_next_line("日本", 1, &skip), strlen("日"), "at least one character a line");
}

Test(table, the_width_is_columns_then_the_terminal_then_100) {
        setenv("COLUMNS", "132", 1);
        cr_assert_eq(table_default_width(), 132);
        setenv("COLUMNS", "20", 1);
        cr_assert_eq(table_default_width(), 40, "at least 40");
        unsetenv("COLUMNS");

        /* Standard output on a terminal 123 columns wide. */
        int master = posix_openpt(O_RDWR | O_NOCTTY);
        cr_assert_geq(master, 0);
        cr_assert_eq(grantpt(master), 0);
        cr_assert_eq(unlockpt(master), 0);
        int terminal = open(ptsname(master), O_RDWR | O_NOCTTY);
        cr_assert_geq(terminal, 0);
        struct winsize ws = {.ws_row = 40, .ws_col = 123};
        cr_assert_eq(ioctl(terminal, TIOCSWINSZ, &ws), 0);
        fflush(stdout);
        int saved = dup(STDOUT_FILENO);
        dup2(terminal, STDOUT_FILENO);
        size_t on_terminal = table_default_width();
        dup2(saved, STDOUT_FILENO);
        close(saved);
        close(terminal);
        close(master);
        cr_assert_eq(on_terminal, 123);

        /* Not a terminal (a pipe): 100. */
        int p[2];
        cr_assert_eq(pipe(p), 0);
        saved = dup(STDOUT_FILENO);
        dup2(p[1], STDOUT_FILENO);
        size_t on_pipe = table_default_width();
        dup2(saved, STDOUT_FILENO);
        close(saved);
        close(p[0]);
        close(p[1]);
        cr_assert_eq(on_pipe, 100);
}
