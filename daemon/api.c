/* The JSON API of the HTTP interface: occurrences, marking them done or reopening them, dating a
 * measure that waits for a date, the outbox and health. Each agency's token sees and changes only its
 * own occurrences; the coordinator's sees all and alone dates measures. */
#include "config.h"

#include <stdio.h>

#include "dating.h"
#include "http.h"
#include "ledger.h"
#include "outbox.h"
#include "tzone.h"
#include "utf8.h"

#define NOTE_MAX 2000 /* bytes of a note */
#define BY_MAX 200    /* bytes of who reported it done, or of a stage's name */
#define MEASURE_NUMBER_MAX 100000

/* The occurrences the token may see, filtered; one JSON object each. */
static json_t *list_occurrences(struct http_request *r, const char *agency, const char *status, int64_t only_id) {
        char today[DATE_ISO_MAX];
        date_format(tz_day(r->now, NULL), today);
        bool overdue = status && streq(status, "overdue");
        sqlite3_stmt *st = store_stmt(r->store,
                "SELECT o.id, m.plan_id, m.number, m.name, o.period, o.nominal_due, o.effective_due, o.status, "
                "o.done_at, o.done_by, o.note, m.id FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                "WHERE NOT m.withdrawn AND (?1 IS NULL OR EXISTS (SELECT 1 FROM assignment x "
                "JOIN agency g ON g.id = x.agency_id WHERE x.measure_id = m.id AND g.code = ?1)) "
                "AND (?2 IS NULL OR o.status = ?2) AND (NOT ?3 OR o.effective_due < ?4) AND (?5 = 0 OR o.id = ?5) "
                "ORDER BY o.effective_due, m.plan_id, m.number LIMIT 10000");
        if (!st)
                return NULL;
        stmt_bind_text(st, 1, agency);
        stmt_bind_text(st, 2, overdue ? "pending" : status);
        stmt_bind_int(st, 3, overdue);
        stmt_bind_text(st, 4, today);
        stmt_bind_int(st, 5, only_id);
        json_t *arr = json_array();
        while (sqlite3_step(st) == SQLITE_ROW)
                json_array_append_new(arr, json_pack("{s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:I}",
                        "id", sqlite3_column_int64(st, 0), "plan", sqlite3_column_int64(st, 1), "measure",
                        sqlite3_column_int(st, 2), "name", stmt_text(st, 3), "period", stmt_text(st, 4), "nominal_due",
                        stmt_text(st, 5), "effective_due", stmt_text(st, 6), "status", stmt_text(st, 7), "done_at",
                        stmt_text(st, 8), "done_by", stmt_text(st, 9), "note", stmt_text(st, 10), "measure_id",
                        sqlite3_column_int64(st, 11)));
        sqlite3_reset(st);

        /* The executors of each, lead first. */
        size_t i;
        json_t *o;
        json_array_foreach(arr, i, o) {
                sqlite3_stmt *ex = store_stmt(r->store, "SELECT g.code, x.by_agreement FROM assignment x "
                                                        "JOIN agency g ON g.id = x.agency_id WHERE x.measure_id = ? "
                                                        "ORDER BY x.position");
                if (!ex)
                        break;
                sqlite3_bind_int64(ex, 1, json_integer_value(json_object_get(o, "measure_id")));
                json_t *list = json_array();
                while (sqlite3_step(ex) == SQLITE_ROW)
                        json_array_append_new(list, json_pack("{s:s, s:b}", "code", stmt_text(ex, 0), "by_agreement",
                                                              sqlite3_column_int(ex, 1)));
                sqlite3_reset(ex);
                json_object_set_new(o, "executors", list);
                json_object_del(o, "measure_id");
        }
        return arr;
}

static enum MHD_Result get_occurrences(struct http_request *r) {
        const char *agency = http_arg(r, "agency");
        const char *status = http_arg(r, "status");
        if (status && !streq(status, "pending") && !streq(status, "done") && !streq(status, "waived") &&
            !streq(status, "overdue"))
                return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "status must be pending, done, waived or overdue");
        if (r->token->agency) {
                if (agency && !streq(agency, r->token->agency))
                        return http_reply_error(r, MHD_HTTP_FORBIDDEN, "this token sees only %s's occurrences",
                                                r->token->agency);
                agency = r->token->agency;
        }
        json_t *arr = list_occurrences(r, isempty(agency) ? NULL : agency, status, 0);
        if (!arr)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
        return http_reply_json(r, MHD_HTTP_OK, arr);
}

/* Whether agency is among the executors of occurrence id. */
static int is_executor(struct http_request *r, int64_t id, const char *agency) {
        sqlite3_stmt *st = store_stmt(r->store, "SELECT count(*) FROM occurrence o JOIN assignment x "
                                                "ON x.measure_id = o.measure_id JOIN agency g ON g.id = x.agency_id "
                                                "WHERE o.id = ? AND g.code = ?");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, id);
        stmt_bind_text(st, 2, agency);
        int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_reset(st);
        return n;
}

/* A text member of a change's body: absent (NULL), or a string of at most max bytes with no control
 * character but those of allowed (an escape sequence would reach the coordinator's terminal). On error
 * the reply is queued and *bad set. */
static const char *body_text(struct http_request *r, json_t *body, const char *key, size_t max,
                             const char *allowed, bool *bad, enum MHD_Result *result) {
        json_t *v = json_object_get(body, key);
        if (!v || *bad)
                return NULL;
        const char *text = json_string_value(v);
        int control;
        if (!text)
                *result = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "\"%s\" must be a string", key);
        else if (strlen(text) > max)
                *result = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "\"%s\" is longer than %zu bytes", key, max);
        else if ((control = utf8_find_control(text, allowed)) >= 0 || memchr(text, 0, json_string_length(v)))
                *result = http_reply_error(r, MHD_HTTP_BAD_REQUEST,
                                           "\"%s\" has a control character (U+%04X): plain text is expected", key,
                                           (unsigned) (control < 0 ? 0 : control));
        else
                return text;
        *bad = true;
        return NULL;
}

/* What a change needs to know of an occurrence: its status and the earliest day it can have been done
 * on, the plan's edition (else the first day of its period, else the day it was imported). */
static int occurrence_for_change(struct http_request *r, int64_t id, char **status, int64_t *earliest) {
        sqlite3_stmt *st = store_stmt(r->store,
                "SELECT o.status, p.doc_date, p.year_from, p.imported_at FROM occurrence o "
                "JOIN measure m ON m.id = o.measure_id JOIN plan p ON p.id = m.plan_id "
                "WHERE o.id = ? AND NOT m.withdrawn");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return rc == SQLITE_DONE ? -ENOENT : -EIO;
        }
        *status = xstrdup(stmt_text(st, 0));
        day_t d;
        if (stmt_text(st, 1) && date_parse(stmt_text(st, 1), &d) >= 0)
                *earliest = tz_instant(d, 0, 0, 0);
        else if (sqlite3_column_type(st, 2) != SQLITE_NULL)
                *earliest = tz_instant(date_from_ymd(sqlite3_column_int(st, 2), 1, 1), 0, 0, 0);
        else if (!stmt_text(st, 3) || tz_parse(stmt_text(st, 3), earliest) < 0)
                *earliest = 0;
        sqlite3_reset(st);
        return 0;
}

static enum MHD_Result change_occurrence(struct http_request *r, int64_t id, const char *action) {
        json_auto_t *body = NULL;
        if (r->body.len > 0) {
                json_error_t e;
                body = json_loadb(r->body.data, r->body.len, 0, &e);
                if (!json_is_object(body))
                        return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "the body must be a JSON object: %s", e.text);
        }
        bool bad = false;
        enum MHD_Result result = MHD_NO;
        const char *note = body_text(r, body, "note", NOTE_MAX, "\n\t", &bad, &result);
        const char *by = body_text(r, body, "by", BY_MAX, NULL, &bad, &result);
        const char *at_text = body_text(r, body, "at", 32, NULL, &bad, &result);
        if (bad)
                return result;
        int64_t at = 0;
        if (at_text && tz_parse(at_text, &at) < 0)
                return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "\"at\" must be a date or time, YYYY-MM-DD[THH:MM]");

        _cleanup_free_ char *status = NULL;
        int64_t earliest = 0;
        int rr = occurrence_for_change(r, id, &status, &earliest);
        if (rr == -ENOENT)
                return http_reply_error(r, MHD_HTTP_NOT_FOUND, "no occurrence %lld", (long long) id);
        if (rr < 0)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
        if (r->token->agency && is_executor(r, id, r->token->agency) <= 0)
                return http_reply_error(r, MHD_HTTP_FORBIDDEN, "occurrence %lld is not one of %s's", (long long) id,
                                        r->token->agency);
        if (r->token->agency && streq(status, "waived"))
                return http_reply_error(r, MHD_HTTP_FORBIDDEN,
                                        "occurrence %lld was waived: only the coordinator changes it", (long long) id);
        /* Done before the plan said it was to be done, or in the future, it was not. */
        if (at_text && (at > r->now || at < earliest)) {
                char from[DATE_ISO_MAX], to[TZ_ISO_MAX];
                date_format(tz_day(earliest, NULL), from);
                return http_reply_error(r, MHD_HTTP_BAD_REQUEST,
                                        "\"at\" must be between %s (the plan's edition) and now (%s)", from,
                                        tz_format(r->now, to));
        }
        const char *who = r->token->agency ? r->token->agency : (r->token->name ? r->token->name : "coordinator");
        _cleanup_free_ char *actor = xasprintf("api (%s)", who);
        struct status_change c = {
                .status = streq(action, "done") ? "done" : "pending",
                .actor = actor,
                .done_by = r->token->agency ? r->token->agency : by,
                .note = note,
                .done_at = at,
                .now = r->now,
                .unless_waived = r->token->agency != NULL,
        };
        rr = ledger_set_status(r->store, id, &c);
        if (rr == -EPERM)
                return http_reply_error(r, MHD_HTTP_FORBIDDEN,
                                        "occurrence %lld was waived: only the coordinator changes it", (long long) id);
        if (rr == -EBUSY)
                return http_reply_busy(r);
        if (rr < 0 && rr != -EALREADY)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot change it now: %s", strerror(-rr));
        json_t *now = list_occurrences(r, NULL, NULL, id);
        json_t *one = json_incref(json_array_get(now, 0));
        json_decref(now);
        if (!one)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
        json_object_set_new(one, "changed", json_boolean(rr != -EALREADY));
        return http_reply_json(r, MHD_HTTP_OK, one);
}

/* POST /v1/measures/N/due or /event: what merzimctl due and event do, for the coordinator's token. */
static enum MHD_Result date_measure(struct http_request *r, int measure, enum dating_kind kind) {
        if (r->token->agency)
                return http_reply_error(r, MHD_HTTP_FORBIDDEN, "only the coordinator's token dates a measure");
        json_error_t e;
        json_auto_t *body = json_loadb(r->body.data, r->body.len, 0, &e);
        if (!json_is_object(body))
                return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "the body must be a JSON object with \"date\"");
        bool bad = false;
        enum MHD_Result result = MHD_NO;
        const char *date = body_text(r, body, "date", 10, NULL, &bad, &result);
        const char *stage = body_text(r, body, "stage", BY_MAX, NULL, &bad, &result);
        const char *note = body_text(r, body, "note", NOTE_MAX, "\n\t", &bad, &result);
        if (bad)
                return result;
        day_t day;
        if (!date || date_parse(date, &day) < 0)
                return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "\"date\" must be a date, YYYY-MM-DD");
        json_t *plan = json_object_get(body, "plan");
        if (plan && (!json_is_integer(plan) || json_integer_value(plan) <= 0))
                return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "\"plan\" must be a plan's number");

        const char *who = r->token->name ? r->token->name : "coordinator";
        _cleanup_free_ char *actor = xasprintf("api (%s)", who);
        struct dating d = {
                .kind = kind,
                .plan_id = plan ? json_integer_value(plan) : 0,
                .measure = measure,
                .stage = stage,
                .day = day,
                .actor = actor,
                .note = note,
                .now = r->now,
                .cal = r->calendar,
                .shift = r->cfg->due_shift,
        };
        struct dating_result res;
        int rr = dating_set(r->store, &d, &res);
        if (rr == -EBUSY)
                return http_reply_busy(r);
        if (rr < 0 && !*res.error)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot date it now: %s", strerror(-rr));
        unsigned status = rr == -ENOENT ? MHD_HTTP_NOT_FOUND : rr == -EINVAL ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_CONFLICT;
        if (rr < 0 && res.ask)
                return http_reply_error(r, status, "%s (\"%s\" in the body)", res.error, res.ask);
        if (rr < 0 && res.instead)
                return http_reply_error(r, status, "%s (POST /v1/measures/%d/%s)", res.error, measure, res.instead);
        if (rr < 0)
                return http_reply_error(r, status, "%s", res.error);
        return http_reply_json(r, MHD_HTTP_OK,
                               json_pack("{s:i, s:s, s:s, s:s, s:b}", "measure", measure, "period", res.period,
                                         "nominal_due", res.nominal, "effective_due", res.effective, "moved",
                                         res.moved));
}

static enum MHD_Result get_outbox(struct http_request *r) {
        const char *state = http_arg(r, "state");
        sqlite3_stmt *st = store_stmt(r->store,
                "SELECT o.id, n.key, n.recipient, n.kind, n.stage, o.channel, o.address, o.state, o.attempts, "
                "o.last_error, o.next_attempt_at, o.sent_at FROM outbox o JOIN notification n ON n.id = o.notification_id "
                "WHERE (?1 IS NULL OR n.recipient = ?1) AND (?2 IS NULL OR o.state = ?2) ORDER BY o.id DESC LIMIT 500");
        if (!st)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
        stmt_bind_text(st, 1, r->token->agency);
        stmt_bind_text(st, 2, state);
        json_t *arr = json_array();
        while (sqlite3_step(st) == SQLITE_ROW) {
                char next[TZ_ISO_MAX] = "", sent[TZ_ISO_MAX] = "";
                if (sqlite3_column_type(st, 11) != SQLITE_NULL)
                        tz_format(sqlite3_column_int64(st, 11), sent);
                tz_format(sqlite3_column_int64(st, 10), next);
                json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s?, s:s, s:s?}",
                        "id", sqlite3_column_int64(st, 0), "key", stmt_text(st, 1), "recipient", stmt_text(st, 2),
                        "kind", stmt_text(st, 3), "stage", stmt_text(st, 4), "channel", stmt_text(st, 5), "address",
                        stmt_text(st, 6), "state", stmt_text(st, 7), "attempts", sqlite3_column_int(st, 8),
                        "last_error", stmt_text(st, 9), "next_attempt_at", next, "sent_at", *sent ? sent : NULL));
        }
        sqlite3_reset(st);
        return http_reply_json(r, MHD_HTTP_OK, arr);
}

static enum MHD_Result get_health(struct http_request *r) {
        int pending = 0, failed = 0;
        int rr = outbox_depth(r->store, &pending, &failed);
        char now[TZ_ISO_MAX];
        json_t *o = json_pack("{s:s, s:s, s:s, s:{s:i, s:i}}", "status", rr < 0 ? "degraded" : "ok", "time",
                              tz_format(r->now, now), "database", rr < 0 ? "unavailable" : "ok", "outbox", "pending",
                              pending, "failed", failed);
        return http_reply_json(r, rr < 0 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, o);
}

/* "PREFIX/ID/ACTION", the id in one spelling only (digits, no sign, space or leading zero): ACTION, or
 * NULL. */
static const char *path_action(const char *path, const char *prefix, int64_t *id) {
        size_t n = strlen(prefix);
        if (strncmp(path, prefix, n) != 0)
                return NULL;
        const char *p = path + n;
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 18 || p[0] == '0' || p[digits] != '/')
                return NULL;
        *id = 0;
        for (size_t i = 0; i < digits; i++)
                *id = *id * 10 + (p[i] - '0');
        return p + digits + 1;
}

enum MHD_Result api_handle(struct http_request *r) {
        const char *path = r->url + 3; /* after "/v1" */
        bool get = streq(r->method, "GET") || streq(r->method, "HEAD"), post = streq(r->method, "POST");
        enum MHD_Result result;
        if (streq(path, "/health"))
                return get ? get_health(r) : http_reply_method_not_allowed(r, "GET, HEAD");
        if (!http_authenticate(r, HTTP_ACCESS_API, &result))
                return result;
        if (streq(path, "/occurrences"))
                return get ? get_occurrences(r) : http_reply_method_not_allowed(r, "GET, HEAD");
        if (streq(path, "/outbox"))
                return get ? get_outbox(r) : http_reply_method_not_allowed(r, "GET, HEAD");
        int64_t id;
        const char *action = path_action(path, "/occurrences/", &id);
        if (action && (streq(action, "done") || streq(action, "reopen")))
                return post ? change_occurrence(r, id, action) : http_reply_method_not_allowed(r, "POST");
        action = path_action(path, "/measures/", &id);
        if (action && (streq(action, "due") || streq(action, "event")) && id <= MEASURE_NUMBER_MAX)
                return post ? date_measure(r, (int) id, streq(action, "due") ? DATING_GIVEN : DATING_EVENT)
                            : http_reply_method_not_allowed(r, "POST");
        return http_reply_error(r, MHD_HTTP_NOT_FOUND, "no such API");
}
