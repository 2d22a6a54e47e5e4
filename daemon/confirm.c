/* One-click confirmation pages: a link in a reminder opens a page that says what will be confirmed
 * (GET changes nothing); its button confirms (POST), recording the agency the link was made for. */
#include "config.h"

#include <stdio.h>

#include "http.h"
#include "ledger.h"
#include "link.h"
#include "tzone.h"

static const char page_style[] =
        "body{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1d2733;margin:0}"
        "main{max-width:44rem;margin:2rem auto;background:#fff;padding:2rem;border-radius:8px;"
        "box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:1.4rem;margin-top:0}h2{font-size:1.1rem}"
        "dl{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1rem}dt{color:#5b6b7c}dd{margin:0}"
        "button{font-size:1.1rem;padding:.8rem 1.4rem;border:0;border-radius:6px;background:#1f7a4d;color:#fff;"
        "cursor:pointer}.note{color:#5b6b7c;font-size:.9rem}.ok{color:#1f7a4d}.bad{color:#a23b2a}";

/* A bilingual page around body (kk first, then ru). */
static char *page(const char *title, const char *body) {
        struct buf b = {0};
        buf_puts(&b, "<!doctype html><html lang=\"kk\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
        html_escape(&b, title);
        buf_printf(&b, " · merzim</title><style>%s</style></head><body><main>", page_style);
        buf_puts(&b, body);
        buf_puts(&b, "<p class=\"note\">merzim</p></main></body></html>");
        return buf_steal(&b);
}

static enum MHD_Result refuse(struct http_request *r, unsigned status, const char *kk, const char *ru) {
        _cleanup_free_ char *body = xasprintf("<h1 class=\"bad\">%s</h1><p>%s</p>", kk, ru);
        return http_reply_html(r, status, page("merzim", body));
}

/* The occurrence a link is for, as the page shows it; false if it is not there any more. */
static bool describe(struct http_request *r, int64_t id, struct buf *b, char **status) {
        sqlite3_stmt *st = store_stmt(r->store, "SELECT p.title, m.number, m.name, o.period, o.nominal_due, "
                                                "o.effective_due, m.form, o.status, o.done_at, o.done_by "
                                                "FROM occurrence o JOIN measure m ON m.id = o.measure_id "
                                                "JOIN plan p ON p.id = m.plan_id WHERE o.id = ? AND NOT m.withdrawn");
        if (!st)
                return false;
        stmt_bind_int(st, 1, id);
        bool found = sqlite3_step(st) == SQLITE_ROW;
        if (found) {
                buf_puts(b, "<p class=\"note\">");
                html_escape(b, stmt_text(st, 0));
                buf_printf(b, "</p><h2>%d. ", sqlite3_column_int(st, 1));
                html_escape(b, stmt_text(st, 2));
                buf_puts(b, "</h2><dl><dt>Кезең · Период</dt><dd>");
                html_escape(b, stmt_text(st, 3));
                buf_puts(b, "</dd><dt>Мерзімі · Срок</dt><dd>");
                html_escape(b, stmt_text(st, 4));
                if (!streq(stmt_text(st, 4), stmt_text(st, 5))) {
                        buf_puts(b, " (");
                        html_escape(b, stmt_text(st, 5));
                        buf_puts(b, ")");
                }
                buf_puts(b, "</dd><dt>Аяқталу нысаны · Форма завершения</dt><dd>");
                html_escape(b, stmt_text(st, 6));
                buf_puts(b, "</dd></dl>");
                *status = xstrdup(stmt_text(st, 7));
        }
        sqlite3_reset(st);
        return found;
}

enum MHD_Result confirm_handle(struct http_request *r, const char *token) {
        bool get = streq(r->method, "GET") || streq(r->method, "HEAD"), post = streq(r->method, "POST");
        if (!get && !post)
                return http_reply_method_not_allowed(r, "GET, HEAD, POST");
        if (!r->cfg->link_secret)
                return refuse(r, MHD_HTTP_NOT_FOUND, "Растау сілтемелері қосылмаған.", "Ссылки подтверждения не включены.");
        int64_t id;
        _cleanup_free_ char *agency = NULL;
        int rr = link_verify(r->cfg->link_secret, token, r->now, &id, &agency);
        if (rr == -ETIME)
                return refuse(r, MHD_HTTP_GONE, "Сілтеменің мерзімі өтті.",
                              "Срок действия ссылки истёк. Сообщите об исполнении координатору.");
        if (rr < 0)
                return refuse(r, MHD_HTTP_NOT_FOUND, "Сілтеме жарамсыз.", "Ссылка недействительна.");

        struct buf what = {0};
        _cleanup_free_ char *status = NULL;
        if (!describe(r, id, &what, &status)) {
                buf_free(&what);
                return refuse(r, MHD_HTTP_NOT_FOUND, "Бұл іс-шара жоспарда жоқ.", "Этого мероприятия нет в плане.");
        }
        _cleanup_free_ char *description = buf_steal(&what);
        struct buf b = {0};
        if (get && streq(status, "pending")) {
                buf_puts(&b, "<h1>Есеп тапсырылды ма? · Отчёт представлен?</h1>");
                buf_puts(&b, description);
                buf_puts(&b, "<p>Орындаушы · Исполнитель: <strong>");
                html_escape(&b, agency);
                buf_puts(&b, "</strong></p><form method=\"post\"><button type=\"submit\">"
                             "Есеп тапсырылды · Отчёт представлен</button></form>");
                _cleanup_free_ char *body = buf_steal(&b);
                return http_reply_html(r, MHD_HTTP_OK, page("Растау · Подтверждение", body));
        }
        if (post && streq(status, "pending")) {
                _cleanup_free_ char *actor = xasprintf("confirmation link (%s)", agency);
                struct status_change c = {
                        .status = "done", .actor = actor, .done_by = agency, .note = "confirmed by link", .now = r->now,
                        .unless_waived = true};
                rr = ledger_set_status(r->store, id, &c);
                if (rr == -EPERM) /* waived since the page was opened */
                        goto settled;
                if (rr < 0 && rr != -EALREADY) {
                        free(description);
                        description = NULL;
                        return refuse(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Қазір сақтау мүмкін болмады, кейінірек қайталаңыз.",
                                      "Сейчас сохранить не удалось, повторите позже.");
                }
                buf_puts(&b, "<h1 class=\"ok\">Рақмет! Есеп тапсырылды деп белгіленді. · Спасибо! Отчёт отмечен как "
                             "представленный.</h1>");
                buf_puts(&b, description);
                _cleanup_free_ char *body = buf_steal(&b);
                return http_reply_html(r, MHD_HTTP_OK, page("Белгіленді · Отмечено", body));
        }
        /* Already done or waived: say so, change nothing. */
settled:
        buf_printf(&b, "<h1>%s</h1>", rr != -EPERM && streq(status, "done") ? "Бұл есеп тапсырылған деп белгіленген. · Этот отчёт уже "
                                                             "отмечен как представленный."
                                                           : "Бұл іс-шара алынып тасталған. · Это мероприятие снято.");
        buf_puts(&b, description);
        _cleanup_free_ char *body = buf_steal(&b);
        return http_reply_html(r, MHD_HTTP_OK, page("merzim", body));
}
