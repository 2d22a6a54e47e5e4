/* The iCalendar feed of the deadlines: occurrences as VTODOs (or all-day VEVENTs), reminders as VALARMs, the
 * zone as a VTIMEZONE. */
#include "config.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <time.h>

#include "ics.h"
#include "policy.h"
#include "render.h"
#include "tzone.h"
#include "utf8.h"

#define SUMMARY_NAME_MAX 80 /* characters of a measure's name in SUMMARY; DESCRIPTION has all of it */

struct ics_executor {
        char *code;
        bool by_agreement;
};

/* One occurrence with what its VTODO or VEVENT says. */
struct ics_item {
        bool event; /* written as an all-day VEVENT rather than a VTODO */
        char *uid;
        int64_t measure_id;
        int number;
        char *plan_title, *edition, *name, *form, *deadline, *period, *status, *done_at, *done_by, *note;
        char *modified; /* the last change, from the history */
        int sequence;   /* changes since it was created */
        day_t nominal, effective;
        struct ics_executor *executors; /* lead first */
        size_t n_executors;
};

/* The words of the feed in one language. */
struct labels {
        const char *form, *executors, *lead, *by_agreement, *plan, *deadline, *period, *nominal, *effective;
        const char *done, *waived, *note, *all_plans;
};

static const struct labels labels_kk = {
        "Аяқталу нысаны", "Жауапты орындаушылар", "бас орындаушы", "келісу бойынша",
        "Жоспар", "Орындау мерзімі", "Кезең", "Құжат бойынша мерзімі", "Нақты мерзімі (жұмыс күні)", "Орындалды",
        "Бақылаудан алынды", "Ескертпе", "Іс-шаралардың мерзімдері",
};
static const struct labels labels_ru = {
        "Форма завершения", "Ответственные исполнители", "головной исполнитель",
        "по согласованию", "План", "Срок исполнения", "Период", "Срок по документу", "Срок с учётом выходных",
        "Исполнено", "Снято с контроля", "Примечание", "Сроки мероприятий",
};
static const struct labels labels_en = {
        "Completion form", "Responsible executors", "lead", "by agreement", "Plan",
        "Deadline", "Period", "Due as written", "Effective due date (working day)", "Done", "Waived", "Note",
        "Deadlines of measures",
};

/* The first characters of a measure's name for SUMMARY: whole words, with "…" when cut. */
static char *shorten(const char *text, size_t max_chars) {
        _cleanup_free_ char *s = utf8_squeeze(text);
        const char *end = s + strlen(s), *p = s, *word_end = NULL;
        size_t chars = 0;
        while (p < end && chars < max_chars) {
                if (*p == ' ')
                        word_end = p;
                utf8_decode(&p, end);
                chars++;
        }
        if (p >= end)
                return xstrdup(s);
        /* A word boundary unless that loses more than half. */
        const char *cut = word_end && (size_t) (word_end - s) * 2 > (size_t) (p - s) ? word_end : p;
        for (;;) {
                if (cut > s && strchr(" ,;:.-(", cut[-1]))
                        cut--;
                else if (cut - s >= 3 && memcmp(cut - 3, "–", 3) == 0)
                        cut -= 3;
                else
                        break;
        }
        return xasprintf("%.*s…", (int) (cut - s), s);
}

/* SUMMARY: the measure's number, the period and the start of its name, "10-іс-шара (2024): ...". */
static char *summary_of(const struct ics_item *it, const struct labels *l) {
        _cleanup_free_ char *name = shorten(it->name, SUMMARY_NAME_MAX);
        if (l == &labels_ru)
                return xasprintf("Мероприятие %d (%s): %s", it->number, it->period, name);
        if (l == &labels_en)
                return xasprintf("Measure %d (%s): %s", it->number, it->period, name);
        return xasprintf("%d-іс-шара (%s): %s", it->number, it->period, name);
}

/* The words of a language, Kazakh unless it is "ru" or "en". */
static const struct labels *labels_for(const char *language) {
        if (language && streq(language, "ru"))
                return &labels_ru;
        if (language && streq(language, "en"))
                return &labels_en;
        return &labels_kk;
}

void ics_escape_text(struct buf *b, const char *text) {
        const char *p = text, *end = text + strlen(text);
        while (p < end) {
                const char *start = p;
                int32_t c = utf8_decode(&p, end);
                if (c == '\\' || c == ';' || c == ',') {
                        buf_putc(b, '\\');
                        buf_putc(b, (char) c);
                } else if (c == '\n' || (c == '\r' && *p != '\n')) {
                        buf_puts(b, "\\n");
                } else if (c == '\t' || (c >= 0 && !unicode_is_control((uint32_t) c))) {
                        buf_append(b, start, (size_t) (p - start));
                }
        }
}

void ics_put_line(struct buf *b, const char *line) {
        size_t len = strlen(line), pos = 0, room = 75;
        while (len - pos > room) {
                /* Back off to the first byte of a character cut in two. */
                size_t cut = pos + room;
                while (cut > pos + 1 && ((unsigned char) line[cut] & 0xc0) == 0x80)
                        cut--;
                buf_append(b, line + pos, cut - pos);
                buf_puts(b, "\r\n ");
                pos = cut;
                room = 74; /* after the leading space */
        }
        buf_append(b, line + pos, len - pos);
        buf_puts(b, "\r\n");
}

/* Append a property whose value is already in iCalendar form. */
static void put_prop(struct buf *out, const char *name, const char *value) {
        _cleanup_free_ char *line = xasprintf("%s:%s", name, value);
        ics_put_line(out, line);
}

/* Append a property with a TEXT value. */
static void put_text(struct buf *out, const char *name, const char *text) {
        struct buf line = {0};
        buf_printf(&line, "%s:", name);
        ics_escape_text(&line, text);
        ics_put_line(out, line.data);
        buf_free(&line);
}

/* An instant as a UTC DATE-TIME, "20240627T040000Z". */
static char *format_utc(int64_t t, char buf[static 20]) {
        time_t tt = (time_t) t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(buf, 20, "%Y%m%dT%H%M%SZ", &tm);
        return buf;
}

/* A day as a DATE, "20240628". */
static char *format_date(day_t d, char buf[static 12]) {
        int y, m, dd;
        date_to_ymd(d, &y, &m, &dd);
        snprintf(buf, 12, "%04d%02d%02d", y, m, dd);
        return buf;
}

/* A UTC offset as "+0600" (seconds only when there are any). */
static char *format_offset(long off, char buf[static 12]) {
        long a = off < 0 ? -off : off;
        int n = snprintf(buf, 12, "%c%02ld%02ld", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
        if (a % 60)
                snprintf(buf + n, 12 - (size_t) n, "%02ld", a % 60);
        return buf;
}

/* A duration relative to the start of the due day, "-P29DT15H", "PT9H". */
static char *format_duration(int64_t seconds, char buf[static 40]) {
        int64_t a = seconds < 0 ? -seconds : seconds;
        int n = snprintf(buf, 40, "%sP", seconds < 0 ? "-" : "");
        if (a >= 86400 || a == 0)
                n += snprintf(buf + n, 40 - (size_t) n, "%lldD", (long long) (a / 86400));
        if (a % 86400) {
                n += snprintf(buf + n, 40 - (size_t) n, "T");
                if (a % 86400 / 3600)
                        n += snprintf(buf + n, 40 - (size_t) n, "%lldH", (long long) (a % 86400 / 3600));
                if (a % 3600 / 60)
                        n += snprintf(buf + n, 40 - (size_t) n, "%lldM", (long long) (a % 3600 / 60));
                if (a % 60)
                        snprintf(buf + n, 40 - (size_t) n, "%lldS", (long long) (a % 60));
        }
        return buf;
}

/* The state of the process's zone at an instant: UTC offset, daylight saving, abbreviation. */
struct zone_state {
        long offset;
        bool dst;
        char name[16];
};

/* The zone's state at the instant t. */
static void zone_state_at(int64_t t, struct zone_state *z) {
        time_t tt = (time_t) t;
        struct tm tm;
        localtime_r(&tt, &tm);
        *z = (struct zone_state) {.offset = tm.tm_gmtoff, .dst = tm.tm_isdst > 0};
        snprintf(z->name, sizeof(z->name), "%s", tm.tm_zone ? tm.tm_zone : "");
}

/* Whether two states of the zone are the same. */
static bool zone_state_eq(const struct zone_state *a, const struct zone_state *b) {
        return a->offset == b->offset && a->dst == b->dst && streq(a->name, b->name);
}

/* Append a STANDARD or DAYLIGHT sub-component: the zone is in state `to` from the instant at on. */
static void put_zone_change(struct buf *out, int64_t at, long from, const struct zone_state *to) {
        char start[20], off_from[12], off_to[12];
        time_t local = (time_t) (at + from); /* DTSTART is the local time in the offset before */
        struct tm tm;
        gmtime_r(&local, &tm);
        strftime(start, sizeof(start), "%Y%m%dT%H%M%S", &tm);
        const char *kind = to->dst ? "DAYLIGHT" : "STANDARD";
        put_prop(out, "BEGIN", kind);
        put_prop(out, "DTSTART", start);
        put_prop(out, "TZOFFSETFROM", format_offset(from, off_from));
        put_prop(out, "TZOFFSETTO", format_offset(to->offset, off_to));
        if (*to->name)
                put_text(out, "TZNAME", to->name);
        put_prop(out, "END", kind);
}

/* A change of the zone: from the instant at on (the first second of it), the zone is in state to. */
struct zone_change {
        int64_t at;
        long from; /* the offset before */
        struct zone_state to;
};

/* The changes of the process's zone in [scan, to), found by a day-by-day walk through the tz database
 * narrowed to the second. Returns the count. */
static size_t zone_changes(int64_t scan, int64_t to, struct zone_change **ret) {
        struct zone_change *c = NULL;
        size_t n = 0;
        struct zone_state cur, next;
        zone_state_at(scan, &cur);
        for (int64_t t = scan; t < to; t += 86400) {
                zone_state_at(t + 86400, &next);
                if (zone_state_eq(&cur, &next))
                        continue;
                int64_t lo = t, hi = t + 86400; /* cur at lo, another state at hi */
                while (hi - lo > 1) {
                        int64_t mid = lo + (hi - lo) / 2;
                        struct zone_state z;
                        zone_state_at(mid, &z);
                        *(zone_state_eq(&z, &cur) ? &lo : &hi) = mid;
                }
                c = xreallocarray(c, n + 1, sizeof(*c));
                c[n].at = hi;
                c[n].from = cur.offset;
                zone_state_at(hi, &c[n].to);
                n++;
                cur = next;
        }
        *ret = c;
        return n;
}

/* Append the VTIMEZONE of the process's zone for the instants [from, to): the change in force at from
 * and every change after it. */
static void put_vtimezone(struct buf *out, const char *tzid, int64_t from, int64_t to) {
        put_prop(out, "BEGIN", "VTIMEZONE");
        put_text(out, "TZID", tzid);
        put_text(out, "X-LIC-LOCATION", tzid);
        int64_t scan = from < 0 ? from - 366 * 86400 : 0; /* 1970, where the tz database's detail begins */
        struct zone_change *c;
        size_t n = zone_changes(scan, to, &c), k = 0;
        while (k < n && c[k].at <= from)
                k++;
        if (k > 0) {
                k--;
        } else {
                /* No change before: the zone as it was at the start, as if it began then. */
                struct zone_state z;
                zone_state_at(scan, &z);
                put_zone_change(out, scan, z.offset, &z);
        }
        for (; k < n; k++)
                put_zone_change(out, c[k].at, c[k].from, &c[k].to);
        free(c);
        put_prop(out, "END", "VTIMEZONE");
}

/* The plan part of UIDs: the first 8 hex digits of the SHA-256 of the plan's key (its folded title). */
static char *plan_hash(const char *key) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned n = 0;
        EVP_Digest(key, strlen(key), md, &n, EVP_sha256(), NULL);
        return xasprintf("%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

/* Free what an item holds. */
static void item_free(struct ics_item *it) {
        free(it->uid);
        free(it->plan_title);
        free(it->edition);
        free(it->name);
        free(it->form);
        free(it->deadline);
        free(it->period);
        free(it->status);
        free(it->done_at);
        free(it->done_by);
        free(it->note);
        free(it->modified);
        for (size_t i = 0; i < it->n_executors; i++)
                free(it->executors[i].code);
        free(it->executors);
}

/* A copy of s, or NULL for NULL. */
static char *dup_or_null(const char *s) {
        return s ? xstrdup(s) : NULL;
}

/* Read one occurrence of the feed with its executors: 0, -ENOENT if it is not there any more, or an
 * error. */
static int load_item(struct store *s, int64_t id, bool event, struct ics_item *it) {
        sqlite3_stmt *st = store_stmt(s,
                "SELECT p.key, p.title, p.edition, m.id, m.number, m.name, m.form, m.deadline, o.period, "
                "o.nominal_due, o.effective_due, o.status, o.done_at, o.done_by, o.note, "
                "coalesce((SELECT max(h.at) FROM history h WHERE h.occurrence_id = o.id), p.imported_at), "
                "(SELECT count(*) FROM history h WHERE h.occurrence_id = o.id AND h.action != 'created'), "
                "(SELECT count(*) FROM occurrence o2 WHERE o2.measure_id = m.id) "
                "FROM occurrence o JOIN measure m ON m.id = o.measure_id JOIN plan p ON p.id = m.plan_id "
                "WHERE o.id = ? AND NOT m.withdrawn");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return rc == SQLITE_DONE ? -ENOENT : store_error(s, "cannot read an occurrence");
        }
        _cleanup_free_ char *hash = plan_hash(stmt_text(st, 0));
        *it = (struct ics_item) {
                .plan_title = xstrdup(stmt_text(st, 1)),
                .edition = dup_or_null(stmt_text(st, 2)),
                .measure_id = sqlite3_column_int64(st, 3),
                .number = sqlite3_column_int(st, 4),
                .name = xstrdup(stmt_text(st, 5)),
                .form = xstrdup(stmt_text(st, 6)),
                .deadline = xstrdup(stmt_text(st, 7)),
                .period = xstrdup(stmt_text(st, 8)),
                .status = xstrdup(stmt_text(st, 11)),
                .done_at = dup_or_null(stmt_text(st, 12)),
                .done_by = dup_or_null(stmt_text(st, 13)),
                .note = dup_or_null(stmt_text(st, 14)),
                .modified = dup_or_null(stmt_text(st, 15)),
                .sequence = sqlite3_column_int(st, 16),
        };
        date_parse(stmt_text(st, 9), &it->nominal);
        date_parse(stmt_text(st, 10), &it->effective);
        /* An event is another component than the task of the same occurrence: another UID, made alike. */
        const char *kind = event ? "due" : "occurrence";
        it->event = event;
        it->uid = sqlite3_column_int(st, 17) == 1 ? xasprintf("%s-%s-%d@merzim", kind, hash, it->number)
                                                  : xasprintf("%s-%s-%d-%s@merzim", kind, hash, it->number, it->period);
        sqlite3_reset(st);

        st = store_stmt(s, "SELECT a.code, x.by_agreement FROM assignment x JOIN agency a ON a.id = x.agency_id "
                           "WHERE x.measure_id = ? ORDER BY x.position");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, it->measure_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                it->executors = xreallocarray(it->executors, it->n_executors + 1, sizeof(struct ics_executor));
                it->executors[it->n_executors++] = (struct ics_executor) {
                        .code = xstrdup(stmt_text(st, 0)), .by_agreement = sqlite3_column_int(st, 1)};
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot read executors");
}

/* An instant stored as ISO 8601 text as a UTC DATE-TIME, or the fallback if it does not parse. */
static char *stored_instant(const char *iso, int64_t fallback, char buf[static 20]) {
        int64_t t;
        if (!iso || tz_parse(iso, &t) < 0)
                t = fallback;
        return format_utc(t, buf);
}

/* The DESCRIPTION of an occurrence: the whole name, then a line for each thing a reader wants. */
static char *describe(const struct ics_item *it, const struct labels *l) {
        struct buf b = {0};
        _cleanup_free_ char *name = utf8_squeeze(it->name);
        buf_printf(&b, "%s\n\n%s: %s\n%s: ", name, l->form, it->form, l->executors);
        for (size_t i = 0; i < it->n_executors; i++) {
                const struct ics_executor *x = &it->executors[i];
                buf_printf(&b, "%s%s", i ? ", " : "", x->code);
                if (i == 0 || x->by_agreement)
                        buf_printf(&b, " (%s%s%s)", i == 0 ? l->lead : "", i == 0 && x->by_agreement ? ", " : "",
                                   x->by_agreement ? l->by_agreement : "");
        }
        buf_printf(&b, "\n%s: %s", l->plan, it->plan_title);
        if (it->edition)
                buf_printf(&b, " (%s)", it->edition);
        char nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
        buf_printf(&b, "\n%s: %s\n%s: %s\n%s: %s\n%s: %s", l->deadline, it->deadline, l->period, it->period,
                   l->nominal, date_format(it->nominal, nominal), l->effective, date_format(it->effective, effective));
        int64_t done_at;
        if (streq(it->status, "done")) {
                char day[DATE_ISO_MAX] = "";
                if (it->done_at && tz_parse(it->done_at, &done_at) >= 0)
                        date_format(tz_day(done_at, NULL), day);
                buf_printf(&b, "\n%s: %s%s%s", l->done, day, it->done_by ? ", " : "", it->done_by ? it->done_by : "");
        } else if (streq(it->status, "waived")) {
                buf_printf(&b, "\n%s", l->waived);
        }
        if (!isempty(it->note))
                buf_printf(&b, "\n%s: %s", l->note, it->note);
        return buf_steal(&b);
}

/* Append a DISPLAY alarm for each message merzimd sends before the deadline and on its day (at the
 * send time, on the working day the policy picks), relative to the start of the due day (a task's DUE,
 * an event's DTSTART); those already past are left out. */
static void put_alarms(struct buf *out, const struct ics_item *it, const char *summary, const struct policy *p,
                       const struct calendar *cal, const char *language, int64_t now) {
        struct stage stages[POLICY_MAX_STAGES];
        size_t n = policy_stages(p, cal, it->effective, stages);
        for (size_t i = 0; i < n; i++) {
                if (stages[i].level != 0 || stages[i].at <= now)
                        continue;
                char trigger[40];
                format_duration((int64_t) (stages[i].day - it->effective) * 86400 + p->send_minute * 60, trigger);
                _cleanup_free_ char *days = render_days(it->effective - stages[i].day, language);
                _cleanup_free_ char *text = xasprintf("%s: %s", days, summary);
                put_prop(out, "BEGIN", "VALARM");
                put_prop(out, "ACTION", "DISPLAY");
                put_prop(out, it->event ? "TRIGGER;RELATED=START" : "TRIGGER;RELATED=END", trigger);
                put_text(out, "DESCRIPTION", text);
                put_prop(out, "END", "VALARM");
        }
}

/* Append the executors' codes as CATEGORIES. */
static void put_categories(struct buf *out, const struct ics_item *it) {
        if (!it->n_executors)
                return;
        struct buf line = {0};
        buf_puts(&line, "CATEGORIES:");
        for (size_t i = 0; i < it->n_executors; i++) {
                if (i)
                        buf_putc(&line, ',');
                ics_escape_text(&line, it->executors[i].code);
        }
        ics_put_line(out, line.data);
        buf_free(&line);
}

/* Begin an occurrence's component (VTODO or VEVENT) with what both say: its UID, when the feed was made,
 * when the occurrence last changed and how often. */
static void put_component_start(struct buf *out, const char *component, const struct ics_item *it, int64_t now) {
        char stamp[20], modified[20];
        put_prop(out, "BEGIN", component);
        put_text(out, "UID", it->uid);
        put_prop(out, "DTSTAMP", format_utc(now, stamp));
        put_prop(out, "LAST-MODIFIED", stored_instant(it->modified, now, modified));
        _cleanup_free_ char *sequence = xasprintf("%d", it->sequence);
        put_prop(out, "SEQUENCE", sequence);
}

/* Append the all-day VEVENT of an occurrence, for calendars that show no tasks (Outlook's and Google's
 * subscriptions): on its effective due date, free time, its alarms while pending; a done one is
 * CONFIRMED with "✓" before its summary, a waived one CANCELLED. */
static void put_vevent(struct buf *out, const struct ics_item *it, const struct labels *l, const struct policy *p,
                       const struct calendar *cal, const char *language, int64_t now) {
        char start[12], end[12];
        put_component_start(out, "VEVENT", it, now);
        _cleanup_free_ char *summary = summary_of(it, l);
        bool done = streq(it->status, "done");
        _cleanup_free_ char *shown = done ? xasprintf("✓ %s", summary) : xstrdup(summary);
        put_text(out, "SUMMARY", shown);
        _cleanup_free_ char *description = describe(it, l);
        put_text(out, "DESCRIPTION", description);
        put_prop(out, "DTSTART;VALUE=DATE", format_date(it->effective, start));
        put_prop(out, "DTEND;VALUE=DATE", format_date(it->effective + 1, end));
        put_prop(out, "TRANSP", "TRANSPARENT");
        put_prop(out, "STATUS", streq(it->status, "waived") ? "CANCELLED" : "CONFIRMED");
        if (streq(it->status, "pending") && it->effective < tz_day(now, NULL))
                put_prop(out, "PRIORITY", "1"); /* overdue */
        put_categories(out, it);
        if (streq(it->status, "pending"))
                put_alarms(out, it, summary, p, cal, language, now);
        put_prop(out, "END", "VEVENT");
}

/* Append the VTODO of an occurrence (its VEVENT if the feed is of events). */
static void put_vtodo(struct buf *out, const struct ics_item *it, const struct labels *l, const struct policy *p,
                      const struct calendar *cal, const char *language, int64_t now) {
        if (it->event) {
                put_vevent(out, it, l, p, cal, language, now);
                return;
        }
        char due[12];
        put_component_start(out, "VTODO", it, now);
        _cleanup_free_ char *summary = summary_of(it, l);
        put_text(out, "SUMMARY", summary);
        _cleanup_free_ char *description = describe(it, l);
        put_text(out, "DESCRIPTION", description);
        put_prop(out, "DUE;VALUE=DATE", format_date(it->effective, due));
        if (streq(it->status, "done")) {
                char completed[20];
                put_prop(out, "STATUS", "COMPLETED");
                put_prop(out, "COMPLETED", stored_instant(it->done_at, now, completed));
                put_prop(out, "PERCENT-COMPLETE", "100");
        } else if (streq(it->status, "waived")) {
                put_prop(out, "STATUS", "CANCELLED");
        } else {
                put_prop(out, "STATUS", "NEEDS-ACTION");
                if (it->effective < tz_day(now, NULL))
                        put_prop(out, "PRIORITY", "1"); /* overdue */
        }
        put_categories(out, it);
        if (streq(it->status, "pending"))
                put_alarms(out, it, summary, p, cal, language, now);
        put_prop(out, "END", "VTODO");
}

/* A feed being written: the occurrences' ids in order, read at once; each occurrence read and written
 * when its turn comes. */
struct ics_feed {
        const struct config *cfg;
        const struct calendar *cal;
        int64_t now;
        char *agency;
        char *plan_title; /* the plan, when every occurrence is of one */
        int first_year, last_year;
        int64_t *ids;
        size_t n, next;
        const char *language;
        const struct labels *l;
        struct policy p;
        bool events; /* each occurrence a VEVENT */
        bool header_done, end_done;
};

/* The feed's occurrences in order, and what its header says: the plan if there is one only, and the
 * years its dates (and now) span. */
static int load_outline(struct store *s, const struct ics_options *o, struct ics_feed *f) {
        sqlite3_stmt *st = store_stmt(s,
                "SELECT o.id, p.id, p.title, o.nominal_due, o.effective_due "
                "FROM occurrence o JOIN measure m ON m.id = o.measure_id JOIN plan p ON p.id = m.plan_id "
                "WHERE NOT m.withdrawn AND (?1 = 0 OR p.id = ?1) AND (?2 IS NULL OR EXISTS "
                " (SELECT 1 FROM assignment x JOIN agency g ON g.id = x.agency_id "
                "  WHERE x.measure_id = m.id AND g.code = ?2)) "
                "ORDER BY o.effective_due, p.id, m.number, o.period");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, o->plan);
        stmt_bind_text(st, 2, o->agency);
        f->first_year = f->last_year = date_year(tz_day(o->now, NULL));
        int64_t plan = 0;
        bool several_plans = false;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                f->ids = xreallocarray(f->ids, f->n + 1, sizeof(*f->ids));
                f->ids[f->n++] = sqlite3_column_int64(st, 0);
                if (f->n == 1) {
                        plan = sqlite3_column_int64(st, 1);
                        f->plan_title = xstrdup(stmt_text(st, 2));
                }
                several_plans = several_plans || plan != sqlite3_column_int64(st, 1);
                for (int k = 3; k <= 4; k++) {
                        day_t d;
                        if (date_parse(stmt_text(st, k), &d) < 0)
                                continue;
                        int y = date_year(d);
                        f->first_year = y < f->first_year ? y : f->first_year;
                        f->last_year = y > f->last_year ? y : f->last_year;
                }
        }
        sqlite3_reset(st);
        if (several_plans) {
                free(f->plan_title);
                f->plan_title = NULL;
        }
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot read occurrences");
}

/* The calendar's header: its properties and the VTIMEZONE over the years of the feed and of now. */
static void put_header(struct ics_feed *f, struct buf *out) {
        put_prop(out, "BEGIN", "VCALENDAR");
        put_prop(out, "VERSION", "2.0");
        _cleanup_free_ char *prodid = xasprintf("-//merzim//merzim %s//%s", PACKAGE_VERSION,
                                                f->l == &labels_ru ? "RU" : f->l == &labels_en ? "EN" : "KK");
        put_prop(out, "PRODID", prodid);
        put_prop(out, "CALSCALE", "GREGORIAN");
        put_prop(out, "METHOD", "PUBLISH");
        /* The calendar's name: the agency, and the plan when all occurrences are of one. */
        const char *plan = f->plan_title ? f->plan_title : f->l->all_plans;
        _cleanup_free_ char *name = f->agency ? xasprintf("%s: %s", f->agency, plan) : xstrdup(plan);
        put_text(out, "X-WR-CALNAME", name);
        put_text(out, "X-WR-TIMEZONE", f->cfg->timezone);
        put_prop(out, "REFRESH-INTERVAL;VALUE=DURATION", "PT1H");
        put_prop(out, "X-PUBLISHED-TTL", "PT1H");
        put_vtimezone(out, f->cfg->timezone, tz_instant(date_from_ymd(f->first_year, 1, 1), 0, 0, 0),
                      tz_instant(date_from_ymd(f->last_year + 1, 12, 31), 0, 0, 0));
}

int ics_feed_open(struct store *s, const struct config *cfg, const struct calendar *cal, const struct ics_options *o,
                  struct ics_feed **ret) {
        if (o->plan) {
                sqlite3_stmt *st = store_stmt(s, "SELECT 1 FROM plan WHERE id = ?");
                if (!st)
                        return -EIO;
                sqlite3_bind_int64(st, 1, o->plan);
                int rc = sqlite3_step(st);
                sqlite3_reset(st);
                if (rc != SQLITE_ROW)
                        return rc == SQLITE_DONE ? -ENOENT : store_error(s, "cannot read plans");
        }
        struct ics_feed *f = xcalloc(1, sizeof(*f));
        f->cfg = cfg;
        f->cal = cal;
        f->now = o->now;
        f->events = o->events;
        f->agency = o->agency ? xstrdup(o->agency) : NULL;
        int r = load_outline(s, o, f);
        if (r < 0) {
                ics_feed_free(f);
                return r;
        }
        const struct agency_contact *contact = f->agency ? config_agency(cfg, f->agency) : NULL;
        f->language = o->language ? o->language : contact && contact->language ? contact->language : cfg->language;
        f->l = labels_for(f->language);
        policy_from_config(cfg, &f->p);
        *ret = f;
        return 0;
}

bool ics_feed_next(struct ics_feed *f, struct store *s, struct buf *out) {
        if (!f->header_done) {
                put_header(f, out);
                f->header_done = true;
        } else if (f->next < f->n) {
                /* One that went since the feed began (withdrawn, or the database failing) is left out. */
                struct ics_item it = {0};
                if (load_item(s, f->ids[f->next++], f->events, &it) >= 0)
                        put_vtodo(out, &it, f->l, &f->p, f->cal, f->language, f->now);
                item_free(&it);
        } else if (!f->end_done) {
                put_prop(out, "END", "VCALENDAR");
                f->end_done = true;
        }
        return !f->end_done;
}

void ics_feed_free(struct ics_feed *f) {
        if (!f)
                return;
        free(f->ids);
        free(f->agency);
        free(f->plan_title);
        free(f);
}

int ics_build(struct store *s, const struct config *cfg, const struct calendar *cal, const struct ics_options *o,
              char **ret) {
        struct ics_feed *f;
        int r = ics_feed_open(s, cfg, cal, o, &f);
        if (r < 0)
                return r;
        struct buf out = {0};
        while (ics_feed_next(f, s, &out))
                ;
        ics_feed_free(f);
        *ret = buf_steal(&out);
        return 0;
}
