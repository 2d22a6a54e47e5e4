/* The working-day calendar of a plan: weekends, public holidays, the weekend-transfer rule and
 * government-decreed day transfers, loaded from a libconfig file (conf/calendar-kz.conf). */
#include "config.h"

#include <libconfig.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "calendar.h"
#include "embedded.h"
#include "utf8.h"

#define YEAR_MIN 1900
#define YEAR_MAX 9998
#define YEARS_SPAN_MAX 200
/* No real calendar keeps anyone off work this long; a longer run of days off is a broken file. */
#define DAYS_OFF_IN_A_ROW_MAX 60
#define CALENDAR_FILE_MAX (4 << 20) /* bytes: the built-in calendar of 12 years is 10 KiB */

enum { LANG_KK, LANG_RU, LANG_EN, N_LANGS };
static const char *const lang_codes[N_LANGS] = {"kk", "ru", "en"};
/* What calendar_day_off_reason() says of a day off decreed by the Government. */
static const char *const decreed_day_off[N_LANGS] = {
        "Ауыстырылған демалыс күні",
        "Перенесённый выходной день",
        "Transferred day off",
};
static const char *const weekday_names[8] = {NULL, "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

struct holiday {
        bool movable;
        int month, day;  /* a fixed holiday */
        int from, until; /* the years a fixed holiday is a day off, inclusive */
        day_t date;      /* a movable holiday */
        bool transfer;   /* carried over from a weekend to the next working day */
        char *names[N_LANGS];
};

enum day_kind {
        DAY_WORKING,
        DAY_WEEKEND,
        DAY_HOLIDAY, /* a holiday falls on it, on a weekend too */
        DAY_CARRIED, /* the day off of a holiday that fell on a weekend */
        DAY_DECREED_OFF,
        DAY_DECREED_WORKING,
};

struct day_status {
        enum day_kind kind;
        int32_t holiday; /* index into holidays for DAY_HOLIDAY and DAY_CARRIED, else -1 */
};

struct calendar {
        char *name;
        char fingerprint[33]; /* of the text it was read from */
        int first_year, last_year;
        bool weekend[8]; /* by ISO weekday */
        struct holiday *holidays;
        size_t n_holidays;
        /* Every day of the years of the file and one year either side, laid out at load time. */
        day_t start;
        size_t n_days;
        struct day_status *days;
};

struct loader {
        const char *file;
        struct errlist *errs;
        struct calendar *cal;
        bool years_ok, weekend_ok;
};

#define ERR(l, s, ...) \
        errlist_add((l)->errs, (l)->file, (s) ? (int) config_setting_source_line(s) : 0, __VA_ARGS__)

/* Free a calendar and everything it owns; NULL is allowed. */
void calendar_free(struct calendar *cal) {
        if (!cal)
                return;
        for (size_t i = 0; i < cal->n_holidays; i++)
                for (size_t k = 0; k < N_LANGS; k++)
                        free(cal->holidays[i].names[k]);
        free(cal->holidays);
        free(cal->days);
        free(cal->name);
        free(cal);
}

/* The holiday that falls on d, as an index into cal->holidays, or -1. */
static int32_t holiday_on(const struct calendar *cal, day_t d) {
        int year, month, day;
        date_to_ymd(d, &year, &month, &day);
        for (size_t i = 0; i < cal->n_holidays; i++) {
                const struct holiday *h = &cal->holidays[i];
                if (h->movable ? h->date == d
                               : h->month == month && h->day == day && year >= h->from && year <= h->until)
                        return (int32_t) i;
        }
        return -1;
}

/* Lay out n days from `from`: weekends and holidays, then each holiday that fell on a weekend carried,
 * in date order, to the next day that is not already a day off. */
static void lay_out_days(const struct calendar *cal, day_t from, size_t n, struct day_status *out) {
        for (size_t i = 0; i < n; i++) {
                day_t d = from + (day_t) i;
                int32_t h = holiday_on(cal, d);
                if (h >= 0)
                        out[i] = (struct day_status) {DAY_HOLIDAY, h};
                else
                        out[i] = (struct day_status) {
                                cal->weekend[date_weekday(d)] ? DAY_WEEKEND : DAY_WORKING, -1};
        }
        for (size_t i = 0; i < n; i++) {
                if (out[i].kind != DAY_HOLIDAY || !cal->holidays[out[i].holiday].transfer ||
                    !cal->weekend[date_weekday(from + (day_t) i)])
                        continue;
                for (size_t j = i + 1; j < n; j++)
                        if (out[j].kind == DAY_WORKING) {
                                out[j] = (struct day_status) {DAY_CARRIED, out[i].holiday};
                                break;
                        }
        }
}

/* Whether d is a day calendar_load kept in cal->days. */
static bool laid_out(const struct calendar *cal, day_t d) {
        return cal->days && d >= cal->start && (size_t) (d - cal->start) < cal->n_days;
}

/* The status of any day: from the table inside the years of the file, worked out outside them. */
static struct day_status day_status_of(const struct calendar *cal, day_t d) {
        if (laid_out(cal, d))
                return cal->days[d - cal->start];
        int year = date_year(d);
        if (year < 2 || year > 9999)
                return (struct day_status) {cal->weekend[date_weekday(d)] ? DAY_WEEKEND : DAY_WORKING, -1};
        /* A holiday is carried a few days at most, so the year before d is enough history. */
        struct day_status window[2 * 366];
        day_t from = date_from_ymd(year - 1, 1, 1);
        size_t n = (size_t) (d - from) + 1;
        lay_out_days(cal, from, n, window);
        return window[n - 1];
}

/* Report every member of group g whose name is not among allowed. */
static void check_keys(struct loader *l, config_setting_t *g, const char *where, const char *const *allowed) {
        for (int i = 0; i < config_setting_length(g); i++) {
                config_setting_t *m = config_setting_get_elem(g, (unsigned) i);
                const char *name = config_setting_name(m);
                bool known = false;
                for (size_t k = 0; allowed[k]; k++)
                        known = known || (name && streq(name, allowed[k]));
                if (!known)
                        ERR(l, m, _("unknown setting \"%s\" in %s"), name ? name : "?", where);
        }
}

/* A string member of g that must be valid UTF-8; NULL (and reported if required) when missing or wrong. */
static const char *get_text(struct loader *l, config_setting_t *g, const char *key, bool required,
                            const char *where) {
        config_setting_t *s = config_setting_get_member(g, key);
        if (!s) {
                if (required)
                        ERR(l, g, _("\"%s\" is missing in %s"), key, where);
                return NULL;
        }
        const char *v = config_setting_get_string(s);
        if (!v) {
                ERR(l, s, _("\"%s\" in %s must be a string"), key, where);
                return NULL;
        }
        size_t bad;
        if (!utf8_valid(v, strlen(v), &bad)) {
                ERR(l, s, _("\"%s\" in %s is not valid UTF-8 (byte %zu)"), key, where, bad);
                return NULL;
        }
        if (required && isempty(v)) {
                ERR(l, s, _("\"%s\" in %s is empty"), key, where);
                return NULL;
        }
        return v;
}

/* An optional integer member of g in min..max; false when missing or wrong (and then reported). */
static bool get_year(struct loader *l, config_setting_t *g, const char *key, const char *where, int *ret) {
        config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
                ERR(l, s, _("\"%s\" in %s must be a year, a number"), key, where);
                return false;
        }
        long long v = config_setting_get_int64(s);
        if (v < YEAR_MIN || v > YEAR_MAX) {
                ERR(l, s, _("year %lld in %s is out of range %d..%d"), v, where, YEAR_MIN, YEAR_MAX);
                return false;
        }
        *ret = (int) v;
        return true;
}

/* An optional true/false member of g; *ret keeps its value when the member is missing. */
static void get_bool(struct loader *l, config_setting_t *g, const char *key, const char *where, bool *ret) {
        config_setting_t *s = config_setting_get_member(g, key);
        if (!s)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                ERR(l, s, _("\"%s\" in %s must be true or false"), key, where);
                return;
        }
        *ret = config_setting_get_bool(s);
}

/* Parse a fixed holiday's strict "MM-DD"; 02-29 is allowed, as a holiday of leap years. */
static int parse_month_day(const char *s, int *month, int *day) {
        if (strlen(s) != 5 || s[2] != '-')
                return -EINVAL;
        for (size_t i = 0; i < 5; i++)
                if (i != 2 && (s[i] < '0' || s[i] > '9'))
                        return -EINVAL;
        int m = (s[0] - '0') * 10 + (s[1] - '0');
        int d = (s[3] - '0') * 10 + (s[4] - '0');
        if (!date_valid(2000, m, d))
                return -EINVAL;
        *month = m;
        *day = d;
        return 0;
}

/* Whether d lies in the years the file covers (always true while those are unknown). */
static bool in_years(struct loader *l, day_t d) {
        int year = date_year(d);
        return !l->years_ok || (year >= l->cal->first_year && year <= l->cal->last_year);
}

/* A "YYYY-MM-DD" member of g that must lie in the years of the file. */
static bool get_date(struct loader *l, config_setting_t *g, const char *key, const char *where, day_t *ret) {
        const char *text = get_text(l, g, key, true, where);
        if (!text)
                return false;
        config_setting_t *s = config_setting_get_member(g, key);
        if (date_parse(text, ret) < 0) {
                ERR(l, s, _("invalid date \"%s\" in %s"), text, where);
                return false;
        }
        if (!in_years(l, *ret)) {
                ERR(l, s, _("date \"%s\" in %s is outside years %d..%d"), text, where, l->cal->first_year,
                    l->cal->last_year);
                return false;
        }
        return true;
}

/* The list member `key` of the root, or NULL when missing (reported if required) or not a list. */
static config_setting_t *get_list(struct loader *l, config_setting_t *root, const char *key, bool required) {
        config_setting_t *s = config_setting_get_member(root, key);
        if (!s) {
                if (required)
                        ERR(l, root, _("\"%s\" is missing"), key);
                return NULL;
        }
        if (!config_setting_is_list(s)) {
                ERR(l, s, _("%s must be a list of groups: %s = ( { ... }, ... );"), key, key);
                return NULL;
        }
        return s;
}

/* Read years = [first, last]: the years the lists of the file cover. */
static void load_years(struct loader *l, config_setting_t *root) {
        config_setting_t *s = config_setting_get_member(root, "years");
        if (!s) {
                ERR(l, root, _("\"years\" is missing"));
                return;
        }
        int v[2];
        bool ok = (config_setting_is_array(s) || config_setting_is_list(s)) && config_setting_length(s) == 2;
        for (unsigned i = 0; ok && i < 2; i++) {
                config_setting_t *e = config_setting_get_elem(s, i);
                ok = config_setting_type(e) == CONFIG_TYPE_INT || config_setting_type(e) == CONFIG_TYPE_INT64;
                long long y = ok ? config_setting_get_int64(e) : 0;
                ok = ok && y >= YEAR_MIN && y <= YEAR_MAX;
                v[i] = (int) y;
        }
        if (!ok) {
                ERR(l, s, _("years must be [first, last], two years in %d..%d"), YEAR_MIN, YEAR_MAX);
                return;
        }
        if (v[0] > v[1] || v[1] - v[0] >= YEARS_SPAN_MAX) {
                ERR(l, s, _("years [%d, %d] must be in order and span less than %d years"), v[0], v[1],
                    YEARS_SPAN_MAX);
                return;
        }
        l->cal->first_year = v[0];
        l->cal->last_year = v[1];
        l->years_ok = true;
}

/* Read the days of the week that are not worked. */
static void load_weekend(struct loader *l, config_setting_t *root) {
        config_setting_t *s = config_setting_get_member(root, "weekend");
        if (!s) {
                ERR(l, root, _("\"weekend\" is missing"));
                return;
        }
        if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
                ERR(l, s, _("weekend must be a list of days: weekend = [\"sat\", \"sun\"];"));
                return;
        }
        bool ok = true;
        size_t n_weekend = 0;
        for (int i = 0; i < config_setting_length(s); i++) {
                config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const char *name = config_setting_get_string(e);
                int wd = 0;
                for (int k = 1; name && k <= 7; k++)
                        if (streq(name, weekday_names[k]))
                                wd = k;
                if (wd == 0) {
                        ERR(l, e, _("invalid day \"%s\" in weekend (mon tue wed thu fri sat sun)"),
                            name ? name : "?");
                        ok = false;
                } else if (l->cal->weekend[wd]) {
                        ERR(l, e, _("day \"%s\" is listed twice in weekend"), name);
                        ok = false;
                } else {
                        l->cal->weekend[wd] = true;
                        n_weekend++;
                }
        }
        if (ok && n_weekend == 7) {
                ERR(l, s, _("weekend leaves no working day in the week"));
                ok = false;
        }
        l->weekend_ok = ok;
}

/* Add a holiday to the calendar if its names are all there. */
static void load_names_and_add(struct loader *l, config_setting_t *g, const char *where, struct holiday *h,
                               bool ok) {
        const char *names[N_LANGS];
        for (size_t k = 0; k < N_LANGS; k++) {
                names[k] = get_text(l, g, lang_codes[k], true, where);
                ok = ok && names[k];
        }
        if (!ok)
                return;
        for (size_t k = 0; k < N_LANGS; k++)
                h->names[k] = xstrdup(names[k]);
        struct calendar *cal = l->cal;
        cal->holidays = xreallocarray(cal->holidays, cal->n_holidays + 1, sizeof(struct holiday));
        cal->holidays[cal->n_holidays++] = *h;
}

/* Read a holiday that has the same date every year it applies. */
static void load_fixed_holiday(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"date", "from", "until", "kk", "ru", "en", "transfer", NULL};
        check_keys(l, g, "holidays", keys);
        struct holiday h = {.from = YEAR_MIN, .until = YEAR_MAX, .transfer = true};
        bool ok = true;
        const char *text = get_text(l, g, "date", true, "holidays");
        if (!text)
                ok = false;
        else if (parse_month_day(text, &h.month, &h.day) < 0) {
                ERR(l, config_setting_get_member(g, "date"), _("invalid date \"%s\" in holidays (want MM-DD)"),
                    text);
                ok = false;
        }
        if (config_setting_get_member(g, "from") && !get_year(l, g, "from", "holidays", &h.from))
                ok = false;
        if (config_setting_get_member(g, "until") && !get_year(l, g, "until", "holidays", &h.until))
                ok = false;
        if (ok && h.from > h.until) {
                ERR(l, g, _("holiday %s: from = %d is after until = %d"), text, h.from, h.until);
                ok = false;
        }
        get_bool(l, g, "transfer", "holidays", &h.transfer);
        for (size_t i = 0; ok && i < l->cal->n_holidays; i++) {
                const struct holiday *o = &l->cal->holidays[i];
                if (!o->movable && o->month == h.month && o->day == h.day && o->from <= h.until &&
                    h.from <= o->until) {
                        ERR(l, g, _("holiday %s is listed twice for the same years"), text);
                        ok = false;
                }
        }
        load_names_and_add(l, g, "holidays", &h, ok);
}

/* Read a holiday given by its date in one year, such as the first day of Kurban ait. */
static void load_movable_holiday(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"date", "kk", "ru", "en", "transfer", NULL};
        check_keys(l, g, "movable", keys);
        struct holiday h = {.movable = true, .transfer = true};
        bool ok = get_date(l, g, "date", "movable", &h.date);
        get_bool(l, g, "transfer", "movable", &h.transfer);
        for (size_t i = 0; ok && i < l->cal->n_holidays; i++)
                if (l->cal->holidays[i].movable && l->cal->holidays[i].date == h.date) {
                        char buf[DATE_ISO_MAX];
                        ERR(l, g, _("movable holiday on %s is listed twice"), date_format(h.date, buf));
                        ok = false;
                }
        load_names_and_add(l, g, "movable", &h, ok);
}

/* Run load_one on every group of the list `key`, reporting members that are not groups. */
static void load_groups(struct loader *l, config_setting_t *root, const char *key, bool required,
                        void (*load_one)(struct loader *, config_setting_t *)) {
        config_setting_t *list = get_list(l, root, key, required);
        for (int i = 0; list && i < config_setting_length(list); i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned) i);
                if (!config_setting_is_group(g))
                        ERR(l, g, _("each of %s must be a group { ... }"), key);
                else
                        load_one(l, g);
        }
}

/* Lay out the years of the file and one year either side, with a year of history before them. */
static void lay_out_calendar(struct loader *l) {
        struct calendar *cal = l->cal;
        day_t history = date_from_ymd(cal->first_year - 2, 1, 1);
        cal->start = date_from_ymd(cal->first_year - 1, 1, 1);
        day_t end = date_from_ymd(cal->last_year + 2, 1, 1);
        size_t skip = (size_t) (cal->start - history);
        size_t n = (size_t) (end - history);
        struct day_status *all = xreallocarray(NULL, n, sizeof(struct day_status));
        lay_out_days(cal, history, n, all);
        memmove(all, all + skip, (n - skip) * sizeof(struct day_status));
        cal->n_days = n - skip;
        cal->days = xreallocarray(all, cal->n_days, sizeof(struct day_status));
}

/* Apply one decreed transfer: `work` (a day off that no holiday falls on) becomes a working day and
 * `off` (a working day) a day off. */
static void load_transfer(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"work", "off", "note", NULL};
        check_keys(l, g, "transfers", keys);
        day_t work, off;
        bool ok = get_date(l, g, "work", "transfers", &work);
        ok = get_date(l, g, "off", "transfers", &off) && ok;
        get_text(l, g, "note", false, "transfers");
        if (!ok || !l->cal->days)
                return;

        struct calendar *cal = l->cal;
        struct day_status *w = &cal->days[work - cal->start], *o = &cal->days[off - cal->start];
        char buf[DATE_ISO_MAX];
        if (w->kind == DAY_HOLIDAY)
                ERR(l, config_setting_get_member(g, "work"),
                    _("work day \"%s\" in transfers is a holiday (%s) and cannot become a working day"),
                    date_format(work, buf), cal->holidays[w->holiday].names[LANG_EN]);
        else if (w->kind != DAY_WEEKEND && w->kind != DAY_CARRIED)
                ERR(l, config_setting_get_member(g, "work"), _("work day \"%s\" in transfers is not a weekend day"),
                    date_format(work, buf));
        else if (o->kind != DAY_WORKING)
                ERR(l, config_setting_get_member(g, "off"), _("off day \"%s\" in transfers is not a working day"),
                    date_format(off, buf));
        else {
                *w = (struct day_status) {DAY_DECREED_WORKING, -1};
                *o = (struct day_status) {DAY_DECREED_OFF, -1};
        }
}

/* Report a run of days off so long that the searches for a working day would give up. */
static void check_working_days(struct loader *l, config_setting_t *root) {
        struct calendar *cal = l->cal;
        size_t run = 0;
        for (size_t i = 0; i < cal->n_days; i++) {
                enum day_kind k = cal->days[i].kind;
                run = (k == DAY_WORKING || k == DAY_DECREED_WORKING) ? 0 : run + 1;
                if (run == DAYS_OFF_IN_A_ROW_MAX) {
                        char first[DATE_ISO_MAX], last[DATE_ISO_MAX];
                        ERR(l, root, _("no working day from %s to %s"),
                            date_format(cal->start + (day_t) (i + 1 - run), first),
                            date_format(cal->start + (day_t) i, last));
                }
        }
}

/* Read the whole file, reporting every problem, and lay out its days. */
static void load_root(struct loader *l, config_setting_t *root) {
        static const char *const keys[] = {"name", "years", "weekend", "holidays", "movable", "transfers", NULL};
        check_keys(l, root, "the calendar", keys);
        const char *name = get_text(l, root, "name", true, "the calendar");
        l->cal->name = xstrdup(name ? name : "");
        load_years(l, root);
        load_weekend(l, root);
        load_groups(l, root, "holidays", true, load_fixed_holiday);
        load_groups(l, root, "movable", false, load_movable_holiday);
        if (l->years_ok && l->weekend_ok)
                lay_out_calendar(l);
        load_groups(l, root, "transfers", false, load_transfer);
        if (l->cal->days)
                check_working_days(l, root);
}

int calendar_load_string(const char *text, const char *name, struct calendar **ret, struct errlist *errs) {
        *ret = NULL;
        size_t before = errs->n;
        /* Nothing a calendar needs is in another file; libconfig would read one, whatever it is. */
        if (libconfig_text_check(name, text, strlen(text), errs) < 0)
                return -EINVAL;
        const char *body = strncmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text;
        struct calendar *cal = xcalloc(1, sizeof(*cal));
        config_t cfg;
        config_init(&cfg);
        if (config_read_string(&cfg, body) != CONFIG_TRUE) {
                errlist_add(errs, name, config_error_line(&cfg), "%s", config_error_text(&cfg));
        } else {
                struct loader l = {.file = name, .errs = errs, .cal = cal};
                load_root(&l, config_root_setting(&cfg));
        }
        config_destroy(&cfg);
        if (errs->n > before) {
                calendar_free(cal);
                return -EINVAL;
        }
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_Digest(text, strlen(text), md, &n, EVP_sha256(), NULL);
        for (unsigned i = 0; i < 16 && i < n; i++)
                snprintf(cal->fingerprint + 2 * i, 3, "%02x", md[i]);
        *ret = cal;
        return 0;
}

int calendar_load_file(const char *path, struct calendar **ret, struct errlist *errs) {
        *ret = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_max(path, CALENDAR_FILE_MAX, &text, &len);
        if (r == -EFBIG) {
                errlist_add(errs, path, 0, _("cannot read: larger than %d bytes: this is not a calendar"),
                            CALENDAR_FILE_MAX);
                return r;
        }
        if (r < 0) {
                errlist_add(errs, path, 0, _("cannot read: %s"), strerror(-r));
                return r;
        }
        if (libconfig_text_check(path, text, len, errs) < 0)
                return -EINVAL;
        return calendar_load_string(text, path, ret, errs);
}

int calendar_load_builtin(struct calendar **ret, struct errlist *errs) {
        return calendar_load_string(embedded_calendar[0].text, "calendar-kz.conf (built in)", ret, errs);
}

const char *calendar_fingerprint(const struct calendar *cal) {
        return cal->fingerprint;
}

const char *calendar_name(const struct calendar *cal) {
        return cal->name;
}

void calendar_years(const struct calendar *cal, int *first, int *last) {
        if (first)
                *first = cal->first_year;
        if (last)
                *last = cal->last_year;
}

bool calendar_is_working_day(const struct calendar *cal, day_t d) {
        enum day_kind k = day_status_of(cal, d).kind;
        return k == DAY_WORKING || k == DAY_DECREED_WORKING;
}

/* The names are in Kazakh for any language other than "ru" and "en". */
const char *calendar_day_off_reason(const struct calendar *cal, day_t d, const char *lang) {
        size_t k = LANG_KK;
        for (size_t i = 0; lang && i < N_LANGS; i++)
                if (streq(lang, lang_codes[i]))
                        k = i;
        struct day_status s = day_status_of(cal, d);
        switch (s.kind) {
        case DAY_HOLIDAY:
        case DAY_CARRIED:
                return cal->holidays[s.holiday].names[k];
        case DAY_DECREED_OFF:
                return decreed_day_off[k];
        default:
                return NULL;
        }
}

/* A loaded calendar has a working day in every DAYS_OFF_IN_A_ROW_MAX days inside its years; outside them
 * the bound keeps a strange file from looping for ever, and d itself is the answer then. */
day_t calendar_working_on_or_before(const struct calendar *cal, day_t d) {
        for (day_t w = d; w > d - 2 * DAYS_OFF_IN_A_ROW_MAX; w--)
                if (calendar_is_working_day(cal, w))
                        return w;
        return d;
}

/* The same bound as calendar_working_on_or_before(). */
day_t calendar_working_on_or_after(const struct calendar *cal, day_t d) {
        for (day_t w = d; w < d + 2 * DAYS_OFF_IN_A_ROW_MAX; w++)
                if (calendar_is_working_day(cal, w))
                        return w;
        return d;
}

day_t calendar_effective_due(const struct calendar *cal, day_t nominal, enum due_shift shift) {
        switch (shift) {
        case DUE_SHIFT_PRECEDING:
                return calendar_working_on_or_before(cal, nominal);
        case DUE_SHIFT_FOLLOWING:
                return calendar_working_on_or_after(cal, nominal);
        default:
                return nominal;
        }
}

/* The names of enum due_shift in merzim.conf (effective_due). */
static const char *const due_shift_names[] = {
        [DUE_SHIFT_PRECEDING] = "preceding",
        [DUE_SHIFT_FOLLOWING] = "following",
        [DUE_SHIFT_NONE] = "none",
};

int due_shift_from_string(const char *s, enum due_shift *ret) {
        for (size_t i = 0; s && i < ELEMENTSOF(due_shift_names); i++)
                if (streq(s, due_shift_names[i])) {
                        *ret = (enum due_shift) i;
                        return 0;
                }
        return -EINVAL;
}

const char *due_shift_to_string(enum due_shift shift) {
        if ((size_t) shift >= ELEMENTSOF(due_shift_names))
                return NULL;
        return due_shift_names[shift];
}
