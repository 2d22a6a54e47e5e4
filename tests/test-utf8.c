/* UTF-8 handling: folding Kazakh and Russian text, widths in terminal columns, validation. */
#include "config.h"

#include <criterion/criterion.h>

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
