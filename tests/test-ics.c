/* The iCalendar feed, read back by a real iCalendar parser (python3-icalendar): merzimctl ics on the seed. */
#include "config.h"

#include <criterion/criterion.h>
#include <jansson.h>

#include "calendar.h"
#include "date.h"
#include "helpers.h"
#include "ics.h"
#include "util.h"

/* Parse the feed in argv[1] with python3-icalendar and print what it read as JSON: the raw line
 * checks, the calendar's properties, UTC offsets the VTIMEZONE gives, every VTODO with its alarms as
 * local times (DUE's midnight plus the trigger), and every VEVENT with its alarms (DTSTART's midnight
 * plus the trigger). */
static const char parse_script[] =
        "import sys, json, datetime\n"
        "from icalendar import Calendar\n"
        "raw = open(sys.argv[1], 'rb').read()\n"
        "lines = raw.split(b'\\r\\n')\n"
        "def utf8(b):\n"
        "    try:\n"
        "        b.decode('utf-8')\n"
        "        return True\n"
        "    except UnicodeDecodeError:\n"
        "        return False\n"
        "out = {'ends_crlf': raw.endswith(b'\\r\\n'),\n"
        "       'bare_line_ends': sum(1 for l in lines if b'\\n' in l or b'\\r' in l),\n"
        "       'longest_line': max(len(l) for l in lines),\n"
        "       'lines_utf8': all(utf8(l) for l in lines)}\n"
        "cal = Calendar.from_ical(raw.decode('utf-8'))\n"
        "out['errors'] = [str(e) for c in cal.walk() for e in getattr(c, 'errors', [])]\n"
        "out['version'] = str(cal.get('VERSION'))\n"
        "out['prodid'] = str(cal.get('PRODID', ''))\n"
        "out['calname'] = str(cal.get('X-WR-CALNAME'))\n"
        "out['wr_timezone'] = str(cal.get('X-WR-TIMEZONE'))\n"
        "zones = cal.walk('VTIMEZONE')\n"
        "out['tzids'] = [str(z['TZID']) for z in zones]\n"
        "out['offsets'] = {}\n"
        "if zones:\n"
        "    tz = zones[0].to_tz()\n"
        "    for s in ('2023-06-01T12:00:00', '2024-02-29T17:59:59', '2024-02-29T18:00:00', '2024-06-01T12:00:00'):\n"
        "        t = datetime.datetime.fromisoformat(s).replace(tzinfo=datetime.timezone.utc)\n"
        "        out['offsets'][s] = t.astimezone(tz).strftime('%z')\n"
        "todos = []\n"
        "for t in cal.walk('VTODO'):\n"
        "    due = t['DUE'].dt\n"
        "    midnight = datetime.datetime.combine(due, datetime.time())\n"
        "    cats = t.get('CATEGORIES')\n"
        "    todos.append({'uid': str(t['UID']), 'dtstamp': t['DTSTAMP'].dt.isoformat(),\n"
        "        'due': due.isoformat(), 'due_is_date': not isinstance(due, datetime.datetime),\n"
        "        'summary': str(t['SUMMARY']), 'description': str(t.get('DESCRIPTION', '')),\n"
        "        'status': str(t['STATUS']),\n"
        "        'completed': t['COMPLETED'].dt.isoformat() if 'COMPLETED' in t else None,\n"
        "        'priority': int(t['PRIORITY']) if 'PRIORITY' in t else None,\n"
        "        'categories': [str(c) for c in cats.cats] if cats is not None else [],\n"
        "        'alarms': [{'action': str(a['ACTION']), 'related': a['TRIGGER'].params.get('RELATED'),\n"
        "                    'at': (midnight + a['TRIGGER'].dt).isoformat(),\n"
        "                    'description': str(a.get('DESCRIPTION', ''))} for a in t.walk('VALARM')]})\n"
        "out['todos'] = todos\n"
        "events = []\n"
        "for e in cal.walk('VEVENT'):\n"
        "    start, end = e['DTSTART'].dt, e['DTEND'].dt\n"
        "    midnight = datetime.datetime.combine(start, datetime.time())\n"
        "    events.append({'uid': str(e['UID']), 'start': start.isoformat(), 'end': end.isoformat(),\n"
        "        'all_day': not isinstance(start, datetime.datetime) and not isinstance(end, datetime.datetime),\n"
        "        'days': (end - start).days, 'summary': str(e['SUMMARY']),\n"
        "        'description': str(e.get('DESCRIPTION', '')), 'status': str(e['STATUS']),\n"
        "        'transp': str(e.get('TRANSP', 'OPAQUE')),\n"
        "        'priority': int(e['PRIORITY']) if 'PRIORITY' in e else None,\n"
        "        'alarms': [{'action': str(a['ACTION']), 'related': a['TRIGGER'].params.get('RELATED', 'START'),\n"
        "                    'at': (midnight + a['TRIGGER'].dt).isoformat(),\n"
        "                    'description': str(a.get('DESCRIPTION', ''))} for a in e.walk('VALARM')]})\n"
        "out['events'] = events\n"
        "print(json.dumps(out, ensure_ascii=False))\n";

static char *dir, *conf, *seed;

static void setup(void) {
        dir = test_mkdtemp();
        conf = test_write(dir, "merzim.conf", "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\n");
        seed = test_seed_path();
}

static void teardown(void) {
        test_rmdir(dir);
        free(dir);
        free(conf);
        free(seed);
}

TestSuite(ics, .init = setup, .fini = teardown);

/* Run merzimctl -c CONF ARGS...; returns the exit status. */
#define CTL(out, err, ...) test_run((const char *const[]) {"merzimctl", "-c", conf, __VA_ARGS__, NULL}, NULL, out, err)

static void import(const char *path) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "import", path, "--coordinator", "ИИДМ"), 0, "%s", err);
}

/* merzimctl ARGS... --json, parsed. */
static json_t *ctl_json(const char *const *args) {
        const char *argv[32] = {"merzimctl", "-c", conf};
        size_t n = 3;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n++] = "--json";
        argv[n] = NULL;
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(test_run(argv, NULL, &out, &err), 0, "merzimctl %s failed: %s", args[0], err);
        json_t *v = json_loads(out, 0, NULL);
        cr_assert_not_null(v, "not JSON: %s", out);
        return v;
}

/* merzimctl ics ARGS... read by python3-icalendar; the raw text in *raw if wanted. */
static json_t *feed(const char *const *args, char **raw) {
        const char *argv[32] = {"merzimctl", "-c", conf, "ics"};
        size_t n = 4;
        for (size_t i = 0; args[i]; i++)
                argv[n++] = args[i];
        argv[n] = NULL;
        char *text = NULL;
        _cleanup_free_ char *err = NULL;
        cr_assert_eq(test_run(argv, NULL, &text, &err), 0, "merzimctl ics failed: %s", err);
        _cleanup_free_ char *path = test_write(dir, "feed.ics", text);

        _cleanup_free_ char *out = NULL, *perr = NULL;
        int status = test_run((const char *const[]) {"/usr/bin/python3", "-c", parse_script, path, NULL}, NULL, &out,
                              &perr);
        cr_assert_eq(status, 0, "python3-icalendar could not read the feed (scripts/install-deps test): %s", perr);
        json_error_t e;
        json_t *v = json_loads(out, 0, &e);
        cr_assert_not_null(v, "not JSON (%s): %s", e.text, out);
        cr_assert_eq(json_array_size(json_object_get(v, "errors")), 0, "parser errors: %s", out);
        if (raw)
                *raw = text;
        else
                free(text);
        return v;
}

static const char *str(json_t *o, const char *key) {
        return json_string_value(json_object_get(o, key));
}

/* The VTODO ("todos") or VEVENT ("events") whose SUMMARY starts with prefix ("10-іс-шара (2024):"),
 * which must be there once. */
static json_t *component(json_t *cal, const char *kind, const char *prefix) {
        json_t *found = NULL, *t;
        size_t i;
        json_array_foreach(json_object_get(cal, kind), i, t)
                if (strncmp(str(t, "summary"), prefix, strlen(prefix)) == 0) {
                        cr_assert_null(found, "two %s \"%s\"", kind, prefix);
                        found = t;
                }
        cr_assert_not_null(found, "no %s \"%s\"", kind, prefix);
        return found;
}

static json_t *todo(json_t *cal, const char *prefix) {
        return component(cal, "todos", prefix);
}

static json_t *event(json_t *cal, const char *prefix) {
        return component(cal, "events", prefix);
}

/* The alarms of a VTODO or VEVENT as "AT AT ..." (local times), checking each is a DISPLAY alarm
 * relative to related: DUE's "END" for a task, DTSTART's "START" for an event. */
static char *related_alarm_times(json_t *t, const char *related) {
        struct buf b = {0};
        json_t *a;
        size_t i;
        json_array_foreach(json_object_get(t, "alarms"), i, a) {
                cr_assert_str_eq(str(a, "action"), "DISPLAY");
                cr_assert_str_eq(str(a, "related"), related, "relative to the start of the due day");
                cr_assert(!isempty(str(a, "description")));
                buf_printf(&b, "%s%s", i ? " " : "", str(a, "at"));
        }
        return b.data ? buf_steal(&b) : xstrdup("");
}

static char *alarm_times(json_t *t) {
        return related_alarm_times(t, "END");
}

/* The content lines of iCalendar text, unfolded (RFC 5545 3.1). */
static char *unfold(const char *raw) {
        struct buf b = {0};
        for (const char *p = raw; *p; p++)
                if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ')
                        p += 2;
                else
                        buf_putc(&b, *p);
        return buf_steal(&b);
}

/* The UIDs of a feed's VTODOs (kind "todos") or VEVENTs ("events") as a JSON object: UID -> it. */
static json_t *by_uid_of(json_t *cal, const char *kind) {
        json_t *map = json_object(), *t;
        size_t i;
        json_array_foreach(json_object_get(cal, kind), i, t) {
                cr_assert_null(json_object_get(map, str(t, "uid")), "UID %s twice", str(t, "uid"));
                json_object_set(map, str(t, "uid"), t);
        }
        return map;
}

static json_t *by_uid(json_t *cal) {
        return by_uid_of(cal, "todos");
}

Test(ics, the_seed_gives_one_todo_per_occurrence_due_on_its_effective_date) {
        import(seed);
        char *raw;
        json_t *cal = feed((const char *const[]) {"--now", "2022-01-01", NULL}, &raw);
        cr_assert_str_eq(str(cal, "version"), "2.0");
        cr_assert(!isempty(str(cal, "prodid")));
        json_t *todos = json_object_get(cal, "todos");
        cr_assert_eq(json_array_size(todos), 47);
        json_t *uids = by_uid(cal);
        cr_assert_eq(json_object_size(uids), 47, "unique UIDs");
        json_decref(uids);

        /* The same dates as merzimctl occurrences, every one a DATE. */
        json_t *occs = ctl_json((const char *const[]) {"occurrences", NULL});
        cr_assert_eq(json_array_size(occs), 47);
        json_t *o, *t;
        size_t i;
        json_array_foreach(occs, i, o) {
                _cleanup_free_ char *prefix = xasprintf("%lld-іс-шара (%s):",
                                                        json_integer_value(json_object_get(o, "measure")),
                                                        str(o, "period"));
                t = todo(cal, prefix);
                cr_assert_str_eq(str(t, "due"), str(o, "effective_due"), "%s", prefix);
                cr_assert(json_is_true(json_object_get(t, "due_is_date")), "DUE;VALUE=DATE");
                cr_assert_str_eq(str(t, "status"), "NEEDS-ACTION");
                cr_assert_str_eq(str(t, "dtstamp"), "2021-12-31T18:00:00+00:00", "DTSTAMP is --now, in UTC");
        }
        json_decref(occs);
        cr_assert_str_eq(str(todo(cal, "10-іс-шара (2022):"), "due"), "2022-06-30");
        cr_assert_str_eq(str(todo(cal, "10-іс-шара (2023):"), "due"), "2023-06-30");
        cr_assert_str_eq(str(todo(cal, "10-іс-шара (2024):"), "due"), "2024-06-28", "30 June 2024 is a Sunday");
        cr_assert_str_eq(str(todo(cal, "12-іс-шара (2022-12):"), "due"), "2022-12-30");

        /* What a reader sees: executors with the lead and by-agreement marks, the plan, both dates. */
        json_t *m10 = todo(cal, "10-іс-шара (2024):");
        const char *d = str(m10, "description");
        cr_assert(strstr(d, "Жауапты орындаушылар: ЭМ (бас орындаушы), \"ҚИЭО\" АҚ (келісу бойынша)"), "%s", d);
        cr_assert(strstr(d, "Аяқталу нысаны: ИИДМ-ға жер қойнауын"), "%s", d);
        cr_assert(strstr(d, "Жоспар: Машина жасауды дамытудың 2024 жылға дейінгі жол картасы (2022-06-16 № 104-ө)"),
                  "%s", d);
        cr_assert(strstr(d, "Құжат бойынша мерзімі: 2024-06-30\nНақты мерзімі (жұмыс күні): 2024-06-28"), "%s", d);
        json_t *cats = json_object_get(m10, "categories");
        cr_assert_eq(json_array_size(cats), 5);
        cr_assert_str_eq(json_string_value(json_array_get(cats, 0)), "ЭМ");
        cr_assert_str_eq(json_string_value(json_array_get(cats, 1)), "\"ҚИЭО\" АҚ");
        cr_assert_str_eq(str(cal, "calname"), "Машина жасауды дамытудың 2024 жылға дейінгі жол картасы");
        free(raw);
        json_decref(cal);
}

Test(ics, lines_are_folded_at_75_octets_with_crlf_and_text_is_escaped) {
        import(seed);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "waive", "12", "--note", "Күші жойылды; себебі: 1) бұйрық, 2) хат\nжәне \\ басқа"),
                     0, "%s", err);
        char *raw;
        json_t *cal = feed((const char *const[]) {"--now", "2022-01-01", NULL}, &raw);
        cr_assert(json_is_true(json_object_get(cal, "ends_crlf")));
        cr_assert_eq(json_integer_value(json_object_get(cal, "bare_line_ends")), 0, "only CRLF line ends");
        cr_assert_leq(json_integer_value(json_object_get(cal, "longest_line")), 75, "folded at 75 octets");
        cr_assert(json_is_true(json_object_get(cal, "lines_utf8")), "no line ends inside a UTF-8 character");
        cr_assert(strstr(raw, "\r\n "), "long lines are folded");

        /* The seed's names have commas and quotes: every one comes back whole. */
        json_t *measures = ctl_json((const char *const[]) {"measures", NULL});
        json_t *m;
        size_t i;
        bool comma = false;
        json_array_foreach(measures, i, m) {
                json_t *t, *found = NULL;
                size_t k;
                _cleanup_free_ char *prefix = xasprintf("%lld-іс-шара (", json_integer_value(json_object_get(m, "number")));
                json_array_foreach(json_object_get(cal, "todos"), k, t)
                        if (strncmp(str(t, "summary"), prefix, strlen(prefix)) == 0)
                                found = t;
                if (!found)
                        continue; /* continuous: no dated occurrence */
                _cleanup_free_ char *head = xasprintf("%s\n\n", str(m, "name"));
                cr_assert(strncmp(str(found, "description"), head, strlen(head)) == 0, "%s\n---\n%s", str(m, "name"),
                          str(found, "description"));
                comma = comma || strchr(str(m, "name"), ',');
        }
        cr_assert(comma, "the seed has a name with a comma");
        json_decref(measures);
        cr_assert(strstr(raw, "\\,"), "commas are escaped");

        /* The reason of the waiver, with ; , a newline and a backslash, read back as it was written. */
        json_t *t = todo(cal, "12-іс-шара (2022-12):");
        cr_assert_str_eq(str(t, "status"), "CANCELLED");
        cr_assert(strstr(str(t, "description"),
                         "\nБақылаудан алынды\nЕскертпе: Күші жойылды; себебі: 1) бұйрық, 2) хат\nжәне \\ басқа"),
                  "%s", str(t, "description"));
        _cleanup_free_ char *unfolded = unfold(raw);
        cr_assert(strstr(unfolded, "Күші жойылды\\; себебі: 1) бұйрық\\, 2) хат\\nжәне \\\\ басқа"),
                  "escaped in the text");
        cr_assert_eq(json_array_size(json_object_get(t, "alarms")), 0, "no reminders of a waived deadline");
        free(raw);
        json_decref(cal);
}

Test(ics, alarms_follow_the_reminder_policy) {
        import(seed);
        json_t *cal = feed((const char *const[]) {"--now", "2022-01-01", NULL}, NULL);
        _cleanup_free_ char *m10 = alarm_times(todo(cal, "10-іс-шара (2024):"));
        cr_assert_str_eq(m10, "2024-05-29T09:00:00 2024-06-21T09:00:00 2024-06-27T09:00:00 2024-06-28T09:00:00",
                         "30, 7 and 1 days before the effective due date and on it, at 09:00");
        _cleanup_free_ char *m12 = alarm_times(todo(cal, "12-іс-шара (2022-12):"));
        cr_assert_str_eq(m12, "2022-11-30T09:00:00 2022-12-23T09:00:00 2022-12-29T09:00:00 2022-12-30T09:00:00");
        json_t *first_alarm = json_array_get(json_object_get(todo(cal, "10-іс-шара (2024):"), "alarms"), 0);
        cr_assert(strncmp(str(first_alarm, "description"), "30 күн қалды: 10-іс-шара (2024):", 30) == 0, "%s",
                  str(first_alarm, "description"));

        /* Every deadline: four alarms at 09:00, on the working day the daemon sends on. */
        struct calendar *kz;
        struct errlist errs = {0};
        cr_assert_eq(calendar_load_builtin(&kz, &errs), 0);
        json_t *t;
        size_t i;
        json_array_foreach(json_object_get(cal, "todos"), i, t) {
                json_t *alarms = json_object_get(t, "alarms");
                cr_assert_eq(json_array_size(alarms), 4, "%s", str(t, "summary"));
                day_t due;
                cr_assert_eq(date_parse(str(t, "due"), &due), 0);
                static const int before[] = {30, 7, 1, 0};
                for (size_t k = 0; k < 4; k++) {
                        const char *at = str(json_array_get(alarms, k), "at");
                        char day[DATE_ISO_MAX];
                        snprintf(day, sizeof(day), "%.10s", at);
                        day_t d;
                        cr_assert_eq(date_parse(day, &d), 0);
                        cr_assert_str_eq(at + 10, "T09:00:00", "%s", at);
                        cr_assert(d <= due - before[k] && d > due - before[k] - 5, "%s: %s", str(t, "summary"), at);
                        cr_assert(calendar_is_working_day(kz, d), "%s: %s", str(t, "summary"), at);
                }
        }
        calendar_free(kz);
        json_decref(cal);

        /* Another policy, another set of alarms. */
        free(conf);
        conf = test_write(dir, "merzim.conf",
                          "database = \"merzim.db\";\ntimezone = \"Asia/Almaty\";\n"
                          "schedule = { send_time = \"10:30\"; reminders = [14]; due_notice = false; };\n");
        cal = feed((const char *const[]) {"--now", "2022-01-01", NULL}, NULL);
        _cleanup_free_ char *other = alarm_times(todo(cal, "10-іс-шара (2024):"));
        cr_assert_str_eq(other, "2024-06-14T10:30:00");
        json_decref(cal);
}

Test(ics, past_alarms_are_left_out_and_overdue_deadlines_are_urgent) {
        import(seed);
        json_t *cal = feed((const char *const[]) {"--now", "2024-06-25T12:00", NULL}, NULL);
        json_t *t = todo(cal, "10-іс-шара (2024):");
        _cleanup_free_ char *soon = alarm_times(t);
        cr_assert_str_eq(soon, "2024-06-27T09:00:00 2024-06-28T09:00:00");
        cr_assert(json_is_null(json_object_get(t, "priority")), "not overdue yet");
        json_t *late = todo(cal, "10-іс-шара (2023):");
        cr_assert_eq(json_integer_value(json_object_get(late, "priority")), 1, "overdue");
        cr_assert_eq(json_array_size(json_object_get(late, "alarms")), 0);
        cr_assert_eq(json_array_size(json_object_get(todo(cal, "7-іс-шара (2024):"), "alarms")), 4);
        json_decref(cal);
}

Test(ics, the_time_zone_is_almaty_at_utc6_then_utc5_from_march_2024) {
        import(seed);
        json_t *cal = feed((const char *const[]) {"--now", "2022-01-01", NULL}, NULL);
        json_t *tzids = json_object_get(cal, "tzids");
        cr_assert_eq(json_array_size(tzids), 1);
        cr_assert_str_eq(json_string_value(json_array_get(tzids, 0)), "Asia/Almaty");
        cr_assert_str_eq(str(cal, "wr_timezone"), "Asia/Almaty");
        json_t *off = json_object_get(cal, "offsets");
        cr_assert_str_eq(str(off, "2023-06-01T12:00:00"), "+0600");
        cr_assert_str_eq(str(off, "2024-02-29T17:59:59"), "+0600", "23:59:59 on 29 February, local");
        cr_assert_str_eq(str(off, "2024-02-29T18:00:00"), "+0500", "from 1 March 2024");
        cr_assert_str_eq(str(off, "2024-06-01T12:00:00"), "+0500");
        json_decref(cal);
}

Test(ics, a_done_occurrence_is_completed) {
        import(seed);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "10", "--period", "2023", "--by", "ЭМ", "--at", "2023-06-20T15:30",
                         "--now", "2023-06-21"),
                     0, "%s", err);
        json_t *cal = feed((const char *const[]) {"--now", "2023-06-01", NULL}, NULL);
        json_t *t = todo(cal, "10-іс-шара (2023):");
        cr_assert_str_eq(str(t, "status"), "COMPLETED");
        cr_assert_str_eq(str(t, "completed"), "2023-06-20T09:30:00+00:00", "15:30 at UTC+6");
        cr_assert(strstr(str(t, "description"), "\nОрындалды: 2023-06-20, ЭМ"), "%s", str(t, "description"));
        cr_assert_eq(json_array_size(json_object_get(t, "alarms")), 0, "no reminders of a deadline met");
        cr_assert_str_eq(str(todo(cal, "10-іс-шара (2024):"), "status"), "NEEDS-ACTION");
        json_decref(cal);
}

Test(ics, events_give_each_occurrence_as_an_all_day_event_with_the_tasks_alarms) {
        import(seed);
        json_t *tasks = feed((const char *const[]) {"--now", "2022-01-01", NULL}, NULL);
        json_t *cal = feed((const char *const[]) {"--events", "--now", "2022-01-01", NULL}, NULL);
        cr_assert_eq(json_array_size(json_object_get(cal, "todos")), 0, "events only");
        cr_assert_eq(json_array_size(json_object_get(cal, "events")), 47);
        json_t *uids = by_uid_of(cal, "events");
        cr_assert_eq(json_object_size(uids), 47, "unique UIDs");
        json_decref(uids);

        json_t *occs = ctl_json((const char *const[]) {"occurrences", NULL});
        json_t *o;
        size_t i;
        json_array_foreach(occs, i, o) {
                _cleanup_free_ char *prefix = xasprintf("%lld-іс-шара (%s):",
                                                        json_integer_value(json_object_get(o, "measure")),
                                                        str(o, "period"));
                json_t *e = event(cal, prefix), *t = todo(tasks, prefix);
                /* All day on the effective due date: DTSTART;VALUE=DATE, DTEND the day after. */
                cr_assert(json_is_true(json_object_get(e, "all_day")), "%s: DATE values", prefix);
                cr_assert_str_eq(str(e, "start"), str(o, "effective_due"), "%s", prefix);
                cr_assert_eq(json_integer_value(json_object_get(e, "days")), 1, "%s: DTEND is the next day", prefix);
                cr_assert_str_eq(str(e, "status"), "CONFIRMED");
                cr_assert_str_eq(str(e, "transp"), "TRANSPARENT", "a deadline does not make anyone busy");
                cr_assert_str_eq(str(e, "summary"), str(t, "summary"));
                cr_assert_str_eq(str(e, "description"), str(t, "description"));
                /* The task's alarms, at the same local times. */
                _cleanup_free_ char *event_alarms = related_alarm_times(e, "START");
                _cleanup_free_ char *task_alarms = alarm_times(t);
                cr_assert_str_eq(event_alarms, task_alarms, "%s", prefix);
                cr_assert_eq(json_array_size(json_object_get(e, "alarms")), 4, "%s", prefix);
                /* The same UID policy: the task's UID, another component. */
                const char *task_uid = str(t, "uid");
                cr_assert(strncmp(task_uid, "occurrence-", 11) == 0, "%s", task_uid);
                _cleanup_free_ char *want = xasprintf("due-%s", task_uid + 11);
                cr_assert_str_eq(str(e, "uid"), want);
        }
        _cleanup_free_ char *m10 = related_alarm_times(event(cal, "10-іс-шара (2024):"), "START");
        cr_assert_str_eq(m10, "2024-05-29T09:00:00 2024-06-21T09:00:00 2024-06-27T09:00:00 2024-06-28T09:00:00");
        cr_assert_str_eq(str(event(cal, "10-іс-шара (2024):"), "start"), "2024-06-28", "30 June 2024 is a Sunday");
        json_decref(occs);
        json_decref(tasks);
        json_decref(cal);
}

Test(ics, events_done_waived_and_overdue) {
        import(seed);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "done", "10", "--period", "2023", "--by", "ЭМ", "--at", "2023-06-20",
                         "--now", "2023-06-21"),
                     0, "%s", err);
        free(err), err = NULL;
        cr_assert_eq(CTL(NULL, &err, "waive", "12", "--note", "Күші жойылды"), 0, "%s", err);
        json_t *cal = feed((const char *const[]) {"--events", "--now", "2024-06-25T12:00", NULL}, NULL);
        json_t *done = event(cal, "✓ 10-іс-шара (2023):");
        cr_assert_str_eq(str(done, "status"), "CONFIRMED");
        cr_assert(strstr(str(done, "description"), "\nОрындалды: 2023-06-20, ЭМ"), "%s", str(done, "description"));
        cr_assert_eq(json_array_size(json_object_get(done, "alarms")), 0, "no reminders of a deadline met");
        json_t *waived = event(cal, "12-іс-шара (2022-12):");
        cr_assert_str_eq(str(waived, "status"), "CANCELLED");
        cr_assert_eq(json_array_size(json_object_get(waived, "alarms")), 0);
        json_t *late = event(cal, "10-іс-шара (2022):");
        cr_assert_eq(json_integer_value(json_object_get(late, "priority")), 1, "overdue");
        json_t *soon = event(cal, "10-іс-шара (2024):");
        cr_assert(json_is_null(json_object_get(soon, "priority")), "not overdue yet");
        _cleanup_free_ char *left = related_alarm_times(soon, "START");
        cr_assert_str_eq(left, "2024-06-27T09:00:00 2024-06-28T09:00:00", "past alarms are left out");
        json_decref(cal);
}

Test(ics, uids_survive_the_import_of_an_amended_edition) {
        import(seed);
        json_t *before = feed((const char *const[]) {"--now", "2022-01-01", NULL}, NULL);
        json_t *uids_before = by_uid(before);
        json_t *events_before = feed((const char *const[]) {"--events", "--now", "2022-01-01", NULL}, NULL);
        json_t *event_uids_before = by_uid_of(events_before, "events");
        const char *event_uid12 = str(event(events_before, "12-іс-шара (2022-12):"), "uid");
        const char *uid12 = str(todo(before, "12-іс-шара (2022-12):"), "uid");
        const char *uid33 = str(todo(before, "33-іс-шара ("), "uid");
        const char *uid1 = str(todo(before, "1-іс-шара ("), "uid");

        /* The amendment moves measure 12 to March 2023, renames measure 1, drops measure 33, adds 34. */
        _cleanup_free_ char *text = test_read(seed);
        _cleanup_free_ char *a1 = test_replace(text, "2022 жылғы желтоқсан\t|\t\"Самұрық-Қазына\" ҰӘҚ\" АҚ, ИИДМ",
                                               "2023 жылғы наурыз\t|\t\"Самұрық-Қазына\" ҰӘҚ\" АҚ, ИИДМ");
        _cleanup_free_ char *a2 = test_replace(a1, "келісімдер жасау\t|", "келісімдер жасасу\t|");
        const char *m33 = strstr(a2, "33.\t|");
        cr_assert_not_null(m33);
        _cleanup_free_ char *a3 = xasprintf("%.*s34.\t|\tЖаңа іс-шара\t|\tИИДМ-ға ақпарат\t|\t2024 жылғы қазан\t|\tИИДМ\n",
                                            (int) (m33 - a2), a2);
        _cleanup_free_ char *a4 = test_replace(a3, "2022 жылғы 16 маусымдағы№ 104-ө", "2023 жылғы 1 ақпандағы№ 12-ө");
        _cleanup_free_ char *amended = test_write(dir, "amended.txt", a4);
        import(amended);

        json_t *after = feed((const char *const[]) {"--now", "2022-01-01", NULL}, NULL);
        json_t *uids_after = by_uid(after);
        cr_assert_eq(json_object_size(uids_after), 47);
        const char *uid;
        json_t *t;
        json_object_foreach(uids_before, uid, t)
                if (!streq(uid, uid33))
                        cr_assert_not_null(json_object_get(uids_after, uid), "%s (%s) lost", uid, str(t, "summary"));
        cr_assert_null(json_object_get(uids_after, uid33), "measure 33 was dropped");
        json_t *moved = json_object_get(uids_after, uid12);
        cr_assert_not_null(moved, "the one deadline of measure 12 keeps its UID when it moves");
        cr_assert_str_eq(str(moved, "due"), "2023-03-31");
        cr_assert(strstr(str(json_object_get(uids_after, uid1), "description"), "келісімдер жасасу"),
                  "measure 1 renamed");
        cr_assert(strstr(str(json_object_get(uids_after, uid1), "description"), "2023-02-01 № 12-ө"));
        const char *uid34 = str(todo(after, "34-іс-шара ("), "uid");
        cr_assert_null(json_object_get(uids_before, uid34));

        /* The events keep their UIDs alike. */
        json_t *events_after = feed((const char *const[]) {"--events", "--now", "2022-01-01", NULL}, NULL);
        json_t *event_uids_after = by_uid_of(events_after, "events");
        cr_assert_eq(json_object_size(event_uids_after), 47);
        size_t kept = 0;
        json_object_foreach(event_uids_before, uid, t)
                kept += json_object_get(event_uids_after, uid) != NULL;
        cr_assert_eq(kept, 46, "all but measure 33's");
        json_t *moved_event = json_object_get(event_uids_after, event_uid12);
        cr_assert_not_null(moved_event, "the one deadline of measure 12 keeps its event's UID when it moves");
        cr_assert_str_eq(str(moved_event, "start"), "2023-03-31");
        json_decref(event_uids_before);
        json_decref(event_uids_after);
        json_decref(events_before);
        json_decref(events_after);
        json_decref(uids_before);
        json_decref(uids_after);
        json_decref(before);
        json_decref(after);
}

Test(ics, an_agency_feed_has_the_occurrences_of_its_measures_only) {
        import(seed);
        json_t *cal = feed((const char *const[]) {"--agency", "иидм", "--now", "2022-01-01", NULL}, NULL);
        json_t *measures = ctl_json((const char *const[]) {"measures", "--agency", "ИИДМ", NULL});
        cr_assert_eq(json_array_size(measures), 23);
        json_t *occs = ctl_json((const char *const[]) {"occurrences", "--agency", "ИИДМ", NULL});
        json_t *todos = json_object_get(cal, "todos");
        cr_assert_eq(json_array_size(todos), json_array_size(occs));
        cr_assert_lt(json_array_size(todos), 47);
        json_t *o, *t;
        size_t i;
        json_array_foreach(occs, i, o) {
                _cleanup_free_ char *prefix = xasprintf("%lld-іс-шара (%s):",
                                                        json_integer_value(json_object_get(o, "measure")),
                                                        str(o, "period"));
                cr_assert_str_eq(str(todo(cal, prefix), "due"), str(o, "effective_due"));
        }
        json_array_foreach(todos, i, t) {
                bool executor = false;
                json_t *c;
                size_t k;
                json_array_foreach(json_object_get(t, "categories"), k, c)
                        executor = executor || streq(json_string_value(c), "ИИДМ");
                cr_assert(executor, "%s", str(t, "summary"));
        }
        cr_assert_str_eq(str(cal, "calname"), "ИИДМ: Машина жасауды дамытудың 2024 жылға дейінгі жол картасы");
        json_decref(measures);
        json_decref(occs);
        json_decref(cal);

        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "ics", "--agency", "ЖОҚ"), 1);
        cr_assert(strstr(err, "no agency \"ЖОҚ\""), "%s", err);
}

Test(ics, plans_and_wrong_arguments) {
        import(seed);
        json_t *cal = feed((const char *const[]) {"--plan", "1", NULL}, NULL);
        cr_assert_eq(json_array_size(json_object_get(cal, "todos")), 47);
        json_decref(cal);
        _cleanup_free_ char *out = NULL, *err = NULL;
        cr_assert_eq(CTL(&out, &err, "ics", "--plan", "2"), 1);
        cr_assert(strstr(err, "no plan 2"), "%s", err);
        free(err);
        err = NULL;
        cr_assert_eq(CTL(NULL, &err, "ics", "--json"), 2);
        free(err);
        err = NULL;
        cr_assert_eq(CTL(NULL, &err, "ics", "extra"), 2);
}

Test(ics, an_empty_database_gives_an_empty_calendar_with_its_zone) {
        /* A database with no plan in it yet (merzimctl makes none but by an import). */
        _cleanup_free_ char *db = xasprintf("%s/merzim.db", dir);
        struct store *s;
        cr_assert_eq(store_open(db, 0, &s), 0);
        store_close(s);
        json_t *cal = feed((const char *const[]) {"--now", "2024-06-01", NULL}, NULL);
        cr_assert_eq(json_array_size(json_object_get(cal, "todos")), 0);
        cr_assert_str_eq(str(json_object_get(cal, "offsets"), "2024-06-01T12:00:00"), "+0500");
        json_decref(cal);
}

/* The library's line folding and escaping, on their own. */
Test(ics_text, folding_never_splits_a_character_and_unfolds_to_the_line) {
        struct buf line = {0};
        buf_puts(&line, "SUMMARY:");
        for (int i = 0; i < 100; i++)
                buf_puts(&line, i % 3 ? "ә" : "x"); /* 2-byte letters at odd and even offsets */
        struct buf out = {0};
        ics_put_line(&out, line.data);
        struct buf unfolded = {0};
        size_t physical = 0;
        for (char *p = out.data, *end; *p; p = end + 2) {
                end = strstr(p, "\r\n");
                cr_assert_not_null(end);
                size_t n = (size_t) (end - p);
                cr_assert_leq(n, 75);
                cr_assert(physical == 0 || *p == ' ', "continuations start with a space");
                cr_assert(((unsigned char) p[physical ? 1 : 0] & 0xc0) != 0x80, "a line starts inside a character");
                buf_append(&unfolded, p + (physical ? 1 : 0), n - (physical ? 1 : 0));
                physical++;
        }
        cr_assert_gt(physical, 2);
        cr_assert_str_eq(unfolded.data, line.data);
        buf_free(&line);
        buf_free(&out);
        buf_free(&unfolded);

        char exact[76];
        memset(exact, 'a', 75);
        exact[75] = 0;
        struct buf b = {0};
        ics_put_line(&b, exact);
        cr_assert_eq(b.len, 77, "75 octets fit on one line");
        buf_free(&b);
}

Test(ics_text, text_values_escape_backslash_semicolon_comma_and_line_ends) {
        struct buf b = {0};
        ics_escape_text(&b, "a\\b;c,d\ne\r\nf\x01g\th");
        cr_assert_str_eq(b.data, "a\\\\b\\;c\\,d\\ne\\nfg\th");
        buf_free(&b);
}
