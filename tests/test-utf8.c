/* UTF-8 handling: folding Kazakh and Russian text, widths for tables, validation. */
#include "config.h"

#include <criterion/criterion.h>

#include "table.h"
#include "utf8.h"

Test(utf8, fold_lowercases_kazakh_and_russian_and_normalises_dashes_and_spaces) {
        char *f = utf8_fold("  2022\u00a0–\u202f2024 ЖЫЛДАРЫ Жыл Сайын 30 МАУСЫМҒА ҚАРАЙ ӘӨҮҰІҢҒҚҺ ЁЯ  ");
        cr_assert_str_eq(f, "2022 - 2024 жылдары жыл сайын 30 маусымға қарай әөүұіңғқһ ёя");
        free(f);
        char *s = utf8_squeeze("ИИДМ,\t\"Атамекен\"  ҰКП  ");
        cr_assert_str_eq(s, "ИИДМ, \"Атамекен\" ҰКП");
        free(s);
}

Test(utf8, width_counts_columns_not_bytes) {
        cr_assert_eq(utf8_width("ИИДМ"), 4);
        cr_assert_eq(utf8_width("Қаржымині"), 9);
        cr_assert_eq(utf8_width("abc"), 3);
        cr_assert_eq(utf8_width("日本"), 4);
        cr_assert_eq(utf8_prefix_for_width("Қаржымині", 3), strlen("Қар"));
}

Test(utf8, validation_finds_the_bad_byte) {
        size_t bad;
        cr_assert(utf8_valid("маусым", strlen("маусым"), NULL));
        cr_assert_not(utf8_valid("ab\xffz", 4, &bad));
        cr_assert_eq(bad, 2);
        cr_assert_not(utf8_valid("\xd0", 1, &bad), "a truncated sequence is invalid");
        cr_assert_not(utf8_valid("\xc0\xaf", 2, &bad), "an overlong encoding is invalid");
        cr_assert_not(utf8_valid("\xed\xa0\x80", 3, &bad), "a surrogate is invalid");
}

Test(table, columns_line_up_in_cyrillic_and_fit_the_width) {
        struct table *t = table_new((const char *const[]) {"CODE", "~NAME", NULL});
        table_add(t, (const char *const[]) {"ИИДМ", "Индустрия және инфрақұрылымдық даму министрлігі"});
        table_add(t, (const char *const[]) {"ҰЭМ", "Ұлттық экономика министрлігі"});
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        table_print(t, f, 30);
        fclose(f);
        table_free(t);
        cr_assert(strstr(out, "…") != NULL, "the long name is cut with an ellipsis");
        /* Every line is at most 30 columns, and the NAME column starts at column 6 on every line. */
        static const char *const starts[] = {"NAME", "Инд", "Ұлт"};
        char *save, *line = strtok_r(out, "\n", &save);
        int lines = 0;
        while (line) {
                cr_assert_leq(utf8_width(line), 30, "too wide: %s", line);
                char *name = strstr(line, starts[lines]);
                cr_assert_not_null(name, "line %d: %s", lines, line);
                *name = 0;
                cr_assert_eq(utf8_width(line), 6, "the second column does not line up on line %d", lines);
                *name = starts[lines][0];
                lines++;
                line = strtok_r(NULL, "\n", &save);
        }
        cr_assert_eq(lines, 3);
        free(out);
}
