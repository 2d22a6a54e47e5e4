/* merzim in the user's language: the locale chooses Kazakh, Russian or English (po/), and dates are
 * written as people of that language write them. _() and N_() are in util.h. */
#pragma once

#include "date.h"

/* "31.12.2024" and NUL, or any date format a translation gives, at most this long. */
#define DATE_SHOWN_MAX 32

/* Take the language from the locale (LANG, LC_MESSAGES, LC_ALL, LANGUAGE) and find merzim's catalogs in
 * $MERZIM_LOCALEDIR (the build tree's locale/, for the tests and scripts/quickstart), else in the
 * installed LOCALEDIR. Numbers stay in the C locale's form: configuration, templates and JSON read and
 * write them the same in every language. */
void i18n_init(void);

/* Speak English from now on: merzimctl --json, whose output (and its warnings) a program reads. */
void i18n_use_english(void);

/* A day as the language writes dates: "2024-12-31" in English (ISO 8601), "31.12.2024" in Kazakh and
 * Russian. Returns buf. */
char *date_shown(day_t d, char buf[static DATE_SHOWN_MAX]);

/* A text that starts with an ISO date ("2024-12-31", "2024-12-31 09:00", "2024-12-31 № 12") with that
 * date as date_shown writes it and the rest as it is; any other text (and NULL) unchanged. Caller
 * frees; NULL for NULL. */
char *date_text_shown(const char *text);
