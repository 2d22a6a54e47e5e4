/* The coordinator's status page: the figures of merzimctl status as a page people would rather look at
 * than read. Plain server-rendered HTML and CSS, no external assets, in Kazakh or Russian. */
#include "config.h"

#include <stdio.h>

#include "http.h"
#include "ics.h"
#include "status.h"
#include "tzone.h"

/* The words of the page, in Kazakh and in Russian. */
struct words {
        const char *lang, *title, *overdue, *due_soon, *on_time, *late, *agency, *oldest, *days_late, *outbox,
                *waiting, *retrying, *failed, *no_problems, *as_of, *other, *attempts, *error, *delivered_today;
};

static const struct words kk = {
        "kk", "Мерзімдердің орындалуы", "Мерзімі өткен", "30 күнде мерзімі келетін", "Мерзімінде орындалды",
        "Кешіктіріп орындалды", "Ұйым", "Ең ескі мерзім", "Кешігу, күн", "Хабарламалар",
        "Жіберілуін күтуде", "Қайта жіберілуде", "Жіберілмеді", "Жеткізу мәселелері жоқ.", "Жағдайы",
        "Русский", "Әрекет", "Қате", "Бүгін жеткізілді"};
static const struct words ru = {
        "ru", "Исполнение сроков", "Просрочено", "Срок в ближайшие 30 дней", "Исполнено в срок",
        "Исполнено с опозданием", "Организация", "Самый ранний срок", "Опоздание, дн.", "Уведомления",
        "Ожидают отправки", "Повторная отправка", "Не доставлено", "Проблем с доставкой нет.", "Состояние на",
        "Қазақша", "Попыток", "Ошибка", "Доставлено сегодня"};

static const char style[] =
        "*{box-sizing:border-box}body{font-family:system-ui,'Segoe UI',sans-serif;margin:0;background:#eef1f4;"
        "color:#1d2733}header{background:#17324d;color:#fff;padding:1rem 2rem;display:flex;align-items:baseline;"
        "gap:1rem;flex-wrap:wrap}header h1{margin:0;font-size:1.4rem}header a{color:#cfe3f7;margin-left:auto}"
        "main{padding:1.5rem 2rem;max-width:80rem}"
        ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(12rem,1fr));gap:1rem;margin-bottom:1.5rem}"
        ".card{background:#fff;border-radius:8px;padding:1rem 1.2rem;box-shadow:0 1px 3px rgba(0,0,0,.1)}"
        ".card b{display:block;font-size:2.2rem}.card.bad b{color:#b3261e}.card.soon b{color:#b26a00}"
        ".card.good b{color:#1f7a4d}table{width:100%;border-collapse:collapse;background:#fff;border-radius:8px;"
        "overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.1)}th,td{padding:.5rem .8rem;text-align:left;"
        "border-bottom:1px solid #e3e8ee}th{background:#f6f8fa;font-weight:600}td.n{text-align:right;"
        "font-variant-numeric:tabular-nums}.bar{height:.55rem;background:#b3261e;border-radius:3px}"
        "h2{margin:2rem 0 .8rem;font-size:1.15rem}.muted{color:#5b6b7c}td:nth-child(4){white-space:nowrap}";

static void card(struct buf *b, const char *cls, const char *label, json_int_t value, const char *id) {
        buf_printf(b, "<div class=\"card %s\" id=\"%s\"><b>%lld</b>", cls, id, (long long) value);
        html_escape(b, label);
        buf_puts(b, "</div>");
}

static json_int_t num(json_t *o, const char *key) {
        return json_integer_value(json_object_get(o, key));
}

static void agencies_table(struct buf *b, json_t *agencies, const struct words *w) {
        json_int_t worst = 1;
        size_t i;
        json_t *a;
        json_array_foreach(agencies, i, a) if (num(a, "overdue") > worst) worst = num(a, "overdue");
        buf_printf(b, "<table id=\"agencies\"><thead><tr><th>%s</th><th>%s</th><th></th><th>%s</th><th>%s</th>"
                      "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
                   w->agency, w->overdue, w->oldest, w->days_late, w->due_soon, w->on_time, w->late);
        json_array_foreach(agencies, i, a) {
                const char *code = json_string_value(json_object_get(a, "code"));
                const char *name = json_string_value(json_object_get(a, "name"));
                json_int_t overdue = num(a, "overdue");
                buf_puts(b, "<tr><td class=\"agency\">");
                html_escape(b, code);
                if (name && !streq(name, code)) {
                        buf_puts(b, "<div class=\"muted\">");
                        html_escape(b, name);
                        buf_puts(b, "</div>");
                }
                buf_printf(b, "</td><td class=\"n overdue\">%lld</td><td style=\"width:12rem\"><div class=\"bar\" "
                              "style=\"width:%d%%\"></div></td><td>",
                           (long long) overdue, (int) (overdue * 100 / worst));
                if (overdue) {
                        html_escape(b, json_string_value(json_object_get(a, "oldest_overdue")));
                        buf_printf(b, "</td><td class=\"n\">%lld", (long long) num(a, "oldest_overdue_days"));
                } else {
                        buf_puts(b, "</td><td class=\"n\">");
                }
                buf_printf(b, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td></tr>",
                           (long long) num(a, "due_soon"), (long long) num(a, "done_on_time"),
                           (long long) num(a, "done_late"));
        }
        buf_puts(b, "</tbody></table>");
}

static void outbox_section(struct buf *b, json_t *outbox, const struct words *w) {
        buf_printf(b, "<h2>%s</h2><div class=\"cards\">", w->outbox);
        card(b, "good", w->delivered_today, num(outbox, "delivered_today"), "outbox-delivered-today");
        card(b, "soon", w->waiting, num(outbox, "pending"), "outbox-pending");
        card(b, "soon", w->retrying, num(outbox, "retrying"), "outbox-retrying");
        card(b, "bad", w->failed, num(outbox, "failed"), "outbox-failed");
        buf_puts(b, "</div>");
        json_t *problems = json_object_get(outbox, "problems");
        if (!json_array_size(problems)) {
                buf_printf(b, "<p class=\"muted\">%s</p>", w->no_problems);
                return;
        }
        buf_printf(b, "<table id=\"outbox\"><thead><tr><th>%s</th><th></th><th></th><th>%s</th><th>%s</th></tr></thead>"
                      "<tbody>", w->agency, w->attempts, w->error);
        size_t i;
        json_t *p;
        json_array_foreach(problems, i, p) {
                buf_puts(b, "<tr><td>");
                html_escape(b, json_string_value(json_object_get(p, "agency")));
                buf_puts(b, "</td><td>");
                html_escape(b, json_string_value(json_object_get(p, "channel")));
                buf_puts(b, "</td><td>");
                html_escape(b, json_string_value(json_object_get(p, "address")));
                buf_printf(b, "</td><td class=\"n\">%lld</td><td>", (long long) num(p, "attempts"));
                html_escape(b, json_string_value(json_object_get(p, "last_error")));
                buf_puts(b, "</td></tr>");
        }
        buf_puts(b, "</tbody></table>");
}

/* GET /status[?lang=ru][&plan=ID]: for the coordinator's token (header, or ?token= for a browser). */
enum MHD_Result page_handle(struct http_request *r) {
        enum MHD_Result result;
        if (!streq(r->method, "GET") && !streq(r->method, "HEAD"))
                return http_reply_method_not_allowed(r, "GET, HEAD");
        if (!http_authenticate(r, HTTP_ACCESS_PAGE, &result))
                return result;
        if (r->token->agency)
                return http_reply_error(r, MHD_HTTP_FORBIDDEN, "the status page is the coordinator's");
        const char *lang = http_arg(r, "lang");
        const struct words *w = lang && streq(lang, "ru") ? &ru : &kk;
        const char *plan_arg = http_arg(r, "plan");
        int64_t plan = plan_arg ? strtoll(plan_arg, NULL, 10) : 0;

        json_t *st;
        if (status_build(r->store, r->cfg, plan, r->now, &st) < 0)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "the database is not available");
        json_t *totals = json_object_get(st, "totals");
        char now[TZ_ISO_MAX];
        tz_format(r->now, now);
        now[16] = 0;
        now[10] = ' ';

        struct buf b = {0};
        buf_printf(&b, "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                       "<title>%s · merzim</title><style>%s</style></head><body><header><h1>%s</h1>"
                       "<span>%s %s</span>",
                   w->lang, w->title, style, w->title, w->as_of, now);
        /* A link to the other language, keeping the token the page was opened with. */
        const char *token = http_arg(r, "token");
        buf_printf(&b, "<a href=\"/status?lang=%s", w == &kk ? "ru" : "kk");
        if (token) {
                buf_puts(&b, "&amp;token=");
                html_escape(&b, token);
        }
        buf_printf(&b, "\">%s</a></header><main><div class=\"cards\">", w->other);
        card(&b, "bad", w->overdue, num(totals, "overdue"), "total-overdue");
        card(&b, "soon", w->due_soon, num(totals, "due_soon"), "total-due-soon");
        card(&b, "good", w->on_time, num(totals, "done_on_time"), "total-on-time");
        card(&b, "", w->late, num(totals, "done_late"), "total-late");
        buf_puts(&b, "</div>");
        agencies_table(&b, json_object_get(st, "agencies"), w);
        outbox_section(&b, json_object_get(st, "outbox"), w);
        buf_puts(&b, "</main></body></html>");
        json_decref(st);
        return http_reply_html(r, MHD_HTTP_OK, buf_steal(&b));
}

static bool feed_next(void *feed, struct store *s, struct buf *out) {
        return ics_feed_next(feed, s, out);
}

static void feed_free(void *feed) {
        ics_feed_free(feed);
}

/* GET /calendar.ics?token=...: an agency's deadlines for its calendar program (the coordinator's token
 * gets every agency's, or ?agency=CODE; &events=1 gives all-day events instead of tasks). Calendar
 * programs cannot send headers: the token is in the URL, and must be a feed token. The occurrences are
 * read at once; their text is made as the client reads. */
enum MHD_Result feed_handle(struct http_request *r) {
        enum MHD_Result result;
        if (!streq(r->method, "GET") && !streq(r->method, "HEAD"))
                return http_reply_method_not_allowed(r, "GET, HEAD");
        if (!http_authenticate(r, HTTP_ACCESS_PAGE, &result))
                return result;
        const char *agency = r->token->agency ? r->token->agency : http_arg(r, "agency");
        struct ics_options o = {.agency = isempty(agency) ? NULL : agency, .now = r->now};
        const char *events = http_arg(r, "events"); /* &events=1: all-day events instead of tasks */
        o.events = events && (streq(events, "1") || streq(events, "true"));
        struct ics_feed *feed;
        int rr = ics_feed_open(r->store, r->cfg, r->calendar, &o, &feed);
        if (rr == -EBUSY)
                return http_reply_busy(r);
        if (rr < 0)
                return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot make the calendar now");
        return http_reply_parts(r, "text/calendar; charset=utf-8", feed_next, feed_free, feed);
}
