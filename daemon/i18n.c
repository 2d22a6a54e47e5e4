/* merzim in the user's language: the locale, the catalogs, and dates as people write them. */
#include "config.h"

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "i18n.h"
#include "util.h"

/* The catalogs of the build tree a program runs from uninstalled (BUILD/daemon/merzimctl finds
 * BUILD/locale), or NULL. */
static char *build_tree_locale(void) {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return NULL;
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (!slash)
                return NULL;
        *slash = 0;
        const char *dir = strrchr(exe, '/');
        if (!dir || !streq(dir, "/daemon"))
                return NULL;
        char *locale = xasprintf("%.*s/locale", (int) (dir - exe), exe);
        if (access(locale, R_OK | X_OK) < 0) {
                free(locale);
                return NULL;
        }
        return locale;
}

void i18n_init(void) {
        setlocale(LC_ALL, "");
        setlocale(LC_NUMERIC, "C");
        /* Not for a program run with privileges it did not have (secure_getenv): the catalogs hold
         * format strings. */
        const char *dir = secure_getenv("MERZIM_LOCALEDIR");
        _cleanup_free_ char *built = isempty(dir) ? build_tree_locale() : NULL;
        bindtextdomain(PACKAGE, !isempty(dir) ? dir : built ? built : LOCALEDIR);
        /* merzim's own text (plans, agencies' names) is UTF-8: its messages are too, whatever the locale's
         * character set. */
        bind_textdomain_codeset(PACKAGE, "UTF-8");
        textdomain(PACKAGE);
}

void i18n_use_english(void) {
        setlocale(LC_MESSAGES, "C");
}

char *date_shown(day_t d, char buf[static DATE_SHOWN_MAX]) {
        int y, m, day;
        date_to_ymd(d, &y, &m, &day);
        /* TRANSLATORS: how a date is written, from its year (%1$d), month (%2$d) and day (%3$d): in
         * English ISO 8601, "2024-12-31"; in Kazakh and Russian "31.12.2024" is "%3$02d.%2$02d.%1$04d". */
        int n = snprintf(buf, DATE_SHOWN_MAX, _("%1$04d-%2$02d-%3$02d"), y, m, day);
        if (n < 0 || n >= DATE_SHOWN_MAX)
                date_format(d, buf);
        return buf;
}

char *date_text_shown(const char *text) {
        if (!text)
                return NULL;
        day_t d;
        char iso[DATE_ISO_MAX], shown[DATE_SHOWN_MAX];
        snprintf(iso, sizeof(iso), "%s", text);
        if (strlen(text) < DATE_ISO_MAX - 1 || date_parse(iso, &d) < 0 ||
            (text[DATE_ISO_MAX - 1] != 0 && text[DATE_ISO_MAX - 1] != ' '))
                return xstrdup(text);
        return xasprintf("%s%s", date_shown(d, shown), text + DATE_ISO_MAX - 1);
}
