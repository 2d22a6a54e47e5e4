/* The execution report: rows from the store, and their CSV and Markdown forms. */
#include "config.h"

#include "report.h"
#include "status.h"
#include "tzone.h"
#include "utf8.h"
#include "util.h"

/* The columns of the CSV and Markdown forms: the JSON key and the header a reader sees. */
static const struct report_column {
        const char *key, *header;
} report_columns[] = {
        {"plan", "plan"},
        {"measure", "measure"},
        {"period", "period"},
        {"name", "name"},
        {"executors", "executors (lead first, * by agreement)"},
        {"nominal_due", "nominal due"},
        {"effective_due", "effective due"},
        {"status", "status"},
        {"done_at", "done at"},
        {"done_by", "done by"},
        {"days_late", "days late"},
        {"reminders_sent", "reminders sent"},
        {"escalations_sent", "escalations sent"},
};

/* Fill each row's executors from its measure (rows of one measure follow each other). */
static int add_executors(struct store *s, json_t *rows, const int64_t *measure_ids) {
        sqlite3_stmt *st = store_stmt(s, "SELECT g.code, x.by_agreement FROM assignment x "
                                         "JOIN agency g ON g.id = x.agency_id WHERE x.measure_id = ? "
                                         "ORDER BY x.position");
        if (!st)
                return -EIO;
        json_t *executors = NULL;
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
                if (i == 0 || measure_ids[i] != measure_ids[i - 1]) {
                        executors = json_array();
                        stmt_bind_int(st, 1, measure_ids[i]);
                        int rc;
                        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                                json_array_append_new(executors,
                                                      json_pack("{s:s, s:b}", "code", stmt_text(st, 0),
                                                                "by_agreement", sqlite3_column_int(st, 1)));
                        sqlite3_reset(st);
                        if (rc != SQLITE_DONE) {
                                json_decref(executors);
                                return store_error(s, "cannot read the executors");
                        }
                        json_object_set_new(row, "executors", executors);
                } else {
                        json_object_set(row, "executors", executors);
                }
        }
        return 0;
}

int report_build(struct store *s, const struct report_options *o, json_t **ret) {
        sqlite3_stmt *st = store_stmt(s,
                "SELECT m.id, m.plan_id, m.number, o.period, m.name, o.nominal_due, o.effective_due, o.status, "
                "o.done_at, o.done_by, "
                "(SELECT count(DISTINCT i.stage) FROM notification_item i WHERE i.occurrence_id = o.id "
                " AND i.stage NOT LIKE '+%' AND EXISTS (SELECT 1 FROM outbox b "
                " WHERE b.notification_id = i.notification_id AND b.state = 'sent')), "
                "(SELECT count(DISTINCT i.stage) FROM notification_item i WHERE i.occurrence_id = o.id "
                " AND i.stage LIKE '+%' AND EXISTS (SELECT 1 FROM outbox b "
                " WHERE b.notification_id = i.notification_id AND b.state = 'sent')) "
                "FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                "WHERE NOT m.withdrawn AND (?1 = 0 OR m.plan_id = ?1) "
                "AND (?2 IS NULL OR o.effective_due >= ?2) AND (?3 IS NULL OR o.effective_due <= ?3) "
                "ORDER BY m.plan_id, m.number, o.effective_due, o.period");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, o->plan_id);
        stmt_bind_text(st, 2, o->from);
        stmt_bind_text(st, 3, o->to);

        day_t today = tz_day(o->now, NULL);
        json_t *rows = json_array();
        int64_t *measure_ids = NULL;
        size_t n = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *status = stmt_text(st, 7), *done_at = stmt_text(st, 8);
                day_t due;
                if (date_parse(stmt_text(st, 6), &due) < 0)
                        continue;
                int late = status_days_late(status, due, done_at, today);
                int64_t at;
                char done_on[DATE_ISO_MAX];
                bool has_done = done_at && tz_parse(done_at, &at) >= 0;
                if (has_done)
                        date_format(tz_day(at, NULL), done_on);
                json_t *row = json_pack("{s:I, s:i, s:s, s:s, s:n, s:s, s:s, s:s, s:s?, s:s?, s:o, s:i, s:i}",
                        "plan", (json_int_t) sqlite3_column_int64(st, 1), "measure", sqlite3_column_int(st, 2),
                        "period", stmt_text(st, 3), "name", stmt_text(st, 4), "executors",
                        "nominal_due", stmt_text(st, 5), "effective_due", stmt_text(st, 6), "status", status,
                        "done_at", has_done ? done_on : NULL, "done_by", stmt_text(st, 9),
                        "days_late", late >= 0 ? json_integer(late) : json_null(),
                        "reminders_sent", sqlite3_column_int(st, 10), "escalations_sent", sqlite3_column_int(st, 11));
                json_array_append_new(rows, row);
                measure_ids = xreallocarray(measure_ids, n + 1, sizeof(*measure_ids));
                measure_ids[n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
        int r = rc == SQLITE_DONE ? 0 : store_error(s, "cannot read the occurrences");
        if (r >= 0)
                r = add_executors(s, rows, measure_ids);
        free(measure_ids);
        if (r < 0) {
                json_decref(rows);
                return r;
        }
        *ret = rows;
        return 0;
}

/* A row's value for a column as text: executors as "ИИДМ, ҚМО*", null as "". */
static char *cell_text(json_t *row, const char *key) {
        json_t *v = json_object_get(row, key);
        if (json_is_string(v))
                return xstrdup(json_string_value(v));
        if (json_is_integer(v))
                return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        if (json_is_array(v)) {
                struct buf b = {0};
                size_t i;
                json_t *e;
                json_array_foreach(v, i, e) {
                        buf_printf(&b, "%s%s%s", i ? ", " : "", json_string_value(json_object_get(e, "code")),
                                   json_is_true(json_object_get(e, "by_agreement")) ? "*" : "");
                }
                return b.data ? buf_steal(&b) : xstrdup("");
        }
        return xstrdup("");
}

/* Whether a spreadsheet would take a cell starting with text for a formula or a command: =, +, -, @, a
 * tab or a carriage return first (OWASP's list), or their full-width forms. */
static bool looks_like_formula(const char *text) {
        const char *p = text, *end = text + strlen(text);
        int32_t c = utf8_decode(&p, end);
        return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' || c == 0xFF1D ||
               c == 0xFF0B || c == 0xFF0D || c == 0xFF20;
}

/* Write one CSV field: quoted, with quotes doubled, when it holds a comma, quote, CR or LF. A text cell
 * (what agencies and documents wrote, not a number merzim counted) shows control characters as escapes
 * and gets an apostrophe before what a spreadsheet would run as a formula. */
static void csv_field(const char *value, bool text, FILE *f) {
        _cleanup_free_ char *shown = text ? utf8_printable(value) : xstrdup(value);
        bool formula = text && (looks_like_formula(value) || looks_like_formula(shown));
        _cleanup_free_ char *s = formula ? xasprintf("'%s", shown) : xstrdup(shown);
        if (!strpbrk(s, ",\"\r\n")) {
                fputs(s, f);
                return;
        }
        fputc('"', f);
        for (const char *p = s; *p; p++) {
                if (*p == '"')
                        fputc('"', f);
                fputc(*p, f);
        }
        fputc('"', f);
}

int report_write_csv(json_t *rows, bool bom, FILE *f) {
        if (bom)
                fputs("\xEF\xBB\xBF", f);
        for (size_t c = 0; c < ELEMENTSOF(report_columns); c++) {
                if (c)
                        fputc(',', f);
                csv_field(report_columns[c].header, false, f);
        }
        fputs("\r\n", f);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
                for (size_t c = 0; c < ELEMENTSOF(report_columns); c++) {
                        _cleanup_free_ char *text = cell_text(row, report_columns[c].key);
                        json_t *v = json_object_get(row, report_columns[c].key);
                        if (c)
                                fputc(',', f);
                        csv_field(text, json_is_string(v) || json_is_array(v), f);
                }
                fputs("\r\n", f);
        }
        return ferror(f) ? -EIO : 0;
}

/* Write one Markdown table cell on one line: control characters as escapes, HTML's <, > and & as
 * entities, and what Markdown would read as a table border, code, emphasis or a link with a backslash. */
static void md_cell(const char *s, FILE *f) {
        _cleanup_free_ char *line = utf8_squeeze(s);
        _cleanup_free_ char *shown = utf8_printable(line);
        fputs("| ", f);
        for (const char *p = shown; *p; p++) {
                if (*p == '<')
                        fputs("&lt;", f);
                else if (*p == '>')
                        fputs("&gt;", f);
                else if (*p == '&')
                        fputs("&amp;", f);
                else {
                        if (strchr("|\\`*_[]", *p))
                                fputc('\\', f);
                        fputc(*p, f);
                }
        }
        fputc(' ', f);
}

int report_write_md(json_t *rows, FILE *f) {
        for (size_t c = 0; c < ELEMENTSOF(report_columns); c++)
                md_cell(report_columns[c].header, f);
        fputs("|\n", f);
        for (size_t c = 0; c < ELEMENTSOF(report_columns); c++)
                fputs("|---", f);
        fputs("|\n", f);
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row) {
                for (size_t c = 0; c < ELEMENTSOF(report_columns); c++) {
                        _cleanup_free_ char *text = cell_text(row, report_columns[c].key);
                        md_cell(text, f);
                }
                fputs("|\n", f);
        }
        return ferror(f) ? -EIO : 0;
}
