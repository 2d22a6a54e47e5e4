/* Turning a message into what is sent: e-mail text from templates, and the webhook's JSON. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>

#include "embedded.h"
#include "link.h"
#include "render.h"
#include "template.h"
#include "tzone.h"

static const char *const languages[] = {"kk", "ru", "en"};
#define N_LANGUAGES 3
#define TEMPLATE_FILE_MAX (1 << 20) /* bytes of a message template: a page of text is a few KiB */

struct templates {
        struct template *subject[N_LANGUAGES];
        struct template *body[N_LANGUAGES];
};

static size_t language_index(const char *lang) {
        for (size_t i = 0; i < N_LANGUAGES; i++)
                if (lang && streq(lang, languages[i]))
                        return i;
        return 0;
}

/* Split a template file into its "Subject:" line and the body after the blank line, and compile both. */
static int load_one(struct templates *t, size_t lang, const char *text, const char *name, struct errlist *errs) {
        /* Comments may come first: compile the whole, render nothing, and split the source after them. */
        const char *p = text;
        while (strncmp(p, "{{!", 3) == 0) {
                const char *end = strstr(p, "}}");
                if (!end)
                        break;
                p = end + 2;
                while (*p == '\n' || *p == '\r')
                        p++;
        }
        if (strncmp(p, "Subject:", 8) != 0) {
                errlist_add(errs, name, 0, _("the first line must be \"Subject: ...\""));
                return -EINVAL;
        }
        const char *nl = strchr(p, '\n');
        _cleanup_free_ char *subject = xstrndup(p + 8, nl ? (size_t) (nl - p - 8) : strlen(p + 8));
        const char *body = nl ? nl + 1 : "";
        while (*body == '\n' || *body == '\r')
                body++;
        /* Errors name the line in the file. */
        int subject_line = 1, body_line = 1;
        for (const char *q = text; q < body; q++) {
                subject_line += q < p && *q == '\n';
                body_line += *q == '\n';
        }
        int r = template_compile_at(strstrip(subject), name, subject_line, &t->subject[lang], errs);
        int r2 = template_compile_at(body, name, body_line, &t->body[lang], errs);
        return r < 0 ? r : r2;
}

int templates_load(const char *dir, struct templates **ret, struct errlist *errs) {
        struct templates *t = xcalloc(1, sizeof(*t));
        int r = 0;
        for (size_t i = 0; i < N_LANGUAGES; i++) {
                _cleanup_free_ char *file = xasprintf("message.%s.txt", languages[i]);
                _cleanup_free_ char *text = NULL;
                _cleanup_free_ char *path = dir ? path_join_rel(dir, file) : xasprintf("%s (built in)", file);
                if (dir) {
                        int rr = read_file_max(path, TEMPLATE_FILE_MAX, &text, NULL);
                        if (rr < 0) {
                                errlist_add(errs, path, 0, _("cannot read: %s"), strerror(-rr));
                                r = rr;
                                continue;
                        }
                } else {
                        for (size_t k = 0; embedded_templates[k].name; k++)
                                if (streq(embedded_templates[k].name, file))
                                        text = xstrdup(embedded_templates[k].text);
                        if (!text)
                                continue;
                }
                int rr = load_one(t, i, text, path, errs);
                if (rr < 0)
                        r = rr;
        }
        if (r < 0) {
                templates_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

void templates_free(struct templates *t) {
        if (!t)
                return;
        for (size_t i = 0; i < N_LANGUAGES; i++) {
                template_free(t->subject[i]);
                template_free(t->body[i]);
        }
        free(t);
}

/* Russian plural of "день" for n. */
static const char *ru_days(int n) {
        n = n < 0 ? -n : n;
        if (n % 10 == 1 && n % 100 != 11)
                return "день";
        if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14))
                return "дня";
        return "дней";
}

char *render_days(int days, const char *language) {
        int n = days < 0 ? -days : days;
        switch (language_index(language)) {
        case 1:
                return days == 0 ? xstrdup("срок сегодня")
                       : days > 0 ? xasprintf("осталось %d %s", n, ru_days(n))
                                  : xasprintf("просрочено на %d %s", n, ru_days(n));
        case 2:
                return days == 0 ? xstrdup("due today")
                       /* The English of the English template, whatever the locale: not plural(), which
                        * translates. */
                       : days > 0 ? xasprintf(n == 1 ? "%d day left" : "%d days left", n)
                                  : xasprintf(n == 1 ? "%d day overdue" : "%d days overdue", n);
        default:
                return days == 0 ? xstrdup("мерзімі бүгін")
                       : days > 0 ? xasprintf("%d күн қалды", n)
                                  : xasprintf("%d күн кешіктірілді", n);
        }
}

/* The mark after an agency that takes part by agreement, in a language. */
static const char *by_agreement_mark(const char *language) {
        switch (language_index(language)) {
        case 1:
                return " (по согласованию)";
        case 2:
                return " (by agreement)";
        default:
                return " (келісу бойынша)";
        }
}

static json_t *roles_array(unsigned roles) {
        json_t *v = json_array();
        for (unsigned bit = 1; bit <= ROLE_SUPERVISOR; bit <<= 1)
                if (roles & bit)
                        json_array_append_new(v, json_string(role_name((enum role) bit)));
        return v;
}

/* The one-click confirmation link of an item, bound to the agency that receives it as an executor (or
 * that it is forwarded for); NULL when the HTTP interface is off or no executor is told. */
static char *confirm_url(const struct config *cfg, const struct message *m, const struct message_item *it,
                         int64_t now) {
        if (!cfg->http_enabled || !cfg->link_secret || !streq(it->occ->status, "pending"))
                return NULL;
        const char *agency = (it->roles & ROLE_EXECUTOR) ? m->recipient
                             : it->n_forwarded          ? it->forwarded[0].code
                                                        : NULL;
        if (!agency)
                return NULL;
        int64_t from = tz_end_of_day(it->occ->effective);
        int64_t expires = (from > now ? from : now) + (int64_t) cfg->link_days * 86400;
        _cleanup_free_ char *token = link_token(cfg->link_secret, it->occ->id, agency, expires);
        size_t n = strlen(cfg->http_public_url);
        return xasprintf("%.*s/confirm/%s", (int) (n && cfg->http_public_url[n - 1] == '/' ? n - 1 : n),
                         cfg->http_public_url, token);
}

/* What the templates see of one item. */
static json_t *item_data(const struct config *cfg, const struct message *m, const struct message_item *it,
                         const char *lang, int64_t now) {
        char nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
        int days = it->occ->effective - m->day;
        _cleanup_free_ char *days_text = render_days(days, lang);
        json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:s, s:b, s:b, s:b, s:b, s:s}", "measure",
                              it->occ->measure, "name", it->occ->measure_name, "plan_title", it->occ->plan->title,
                              "period", it->occ->period, "nominal_due", date_format(it->occ->nominal, nominal),
                              "effective_due", date_format(it->occ->effective, effective), "moved",
                              it->occ->nominal != it->occ->effective, "days_left", days, "days_text", days_text,
                              "overdue", days < 0, "due_today", days == 0, "by_agreement", it->by_agreement, "lead",
                              (it->roles & ROLE_LEAD) != 0, "stage", it->stage.name);
        json_object_set_new(o, "form", json_string(it->occ->form ? it->occ->form : ""));
        json_object_set_new(o, "own", json_boolean(it->roles != 0));
        /* Agencies without contact this is forwarded for: "A, B (by agreement)". */
        struct buf fwd = {0};
        for (size_t k = 0; k < it->n_forwarded; k++)
                buf_printf(&fwd, "%s%s%s", k ? ", " : "", it->forwarded[k].code,
                           it->forwarded[k].by_agreement ? by_agreement_mark(lang) : "");
        json_object_set_new(o, "forwarded", json_string(fwd.data ? fwd.data : ""));
        buf_free(&fwd);
        _cleanup_free_ char *url = confirm_url(cfg, m, it, now);
        json_object_set_new(o, "confirm_url", url ? json_string(url) : json_null());
        return o;
}

/* The webhook's JSON: the event, the plan(s), the items and the recipients. */
static char *payload(const struct config *cfg, const struct message *m, const char *lang, int64_t now) {
        char at[TZ_ISO_MAX], made[TZ_ISO_MAX], nominal[DATE_ISO_MAX], effective[DATE_ISO_MAX];
        const struct agency_contact *a = config_agency(cfg, m->recipient);
        json_t *items = json_array(), *plans = json_array(), *recipients = json_array();
        unsigned all_roles = 0;
        for (size_t i = 0; i < m->n_items; i++) {
                const struct message_item *it = &m->items[i];
                json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "plan",
                                      it->occ->plan->id, "measure", it->occ->measure, "name", it->occ->measure_name,
                                      "period", it->occ->period, "nominal_due", date_format(it->occ->nominal, nominal),
                                      "effective_due", date_format(it->occ->effective, effective), "status",
                                      it->occ->status, "stage", it->stage.name, "days_left",
                                      it->occ->effective - m->day, "by_agreement", it->by_agreement);
                json_object_set_new(o, "roles", roles_array(it->roles));
                json_t *fwd = json_array();
                for (size_t k = 0; k < it->n_forwarded; k++)
                        json_array_append_new(fwd, json_pack("{s:s, s:b}", "code", it->forwarded[k].code, "by_agreement",
                                                             it->forwarded[k].by_agreement));
                json_object_set_new(o, "forwarded_for", fwd);
                _cleanup_free_ char *url = confirm_url(cfg, m, it, now);
                if (url)
                        json_object_set_new(o, "confirm_url", json_string(url));
                json_array_append_new(items, o);
                all_roles |= it->roles;
                bool seen = false;
                size_t k;
                json_t *p;
                json_array_foreach(plans, k, p) seen = seen || json_integer_value(json_object_get(p, "id")) == it->occ->plan->id;
                if (!seen)
                        json_array_append_new(plans, json_pack("{s:I, s:s, s:s?, s:s?}", "id", it->occ->plan->id,
                                                               "title", it->occ->plan->title, "coordinator",
                                                               it->occ->plan->coordinator, "supervisor",
                                                               it->occ->plan->supervisor));
        }
        json_t *r = json_pack("{s:s, s:s?, s:s}", "code", m->recipient, "name", a ? a->name : NULL, "language", lang);
        json_object_set_new(r, "roles", roles_array(all_roles));
        json_array_append_new(recipients, r);
        const char *event = streq(m->kind, "catch-up") ? "overdue" : m->kind;
        json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "event", event, "key", m->key, "stage", m->stage,
                                "scheduled_at", tz_format(m->at, at), "created_at", tz_format(now, made));
        json_object_set_new(doc, "plan", json_incref(json_array_get(plans, 0)));
        json_object_set_new(doc, "plans", plans);
        json_object_set_new(doc, "recipients", recipients);
        json_object_set_new(doc, "items", items);
        /* Into a buffer on the stack first: json_dumps grows its output a few bytes at a time. */
        char text[16384];
        size_t n = json_dumpb(doc, text, sizeof(text), JSON_COMPACT | JSON_PRESERVE_ORDER);
        char *s = n > 0 && n < sizeof(text) ? xstrndup(text, n) : json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(doc);
        return s;
}

/* The subject and the text of the e-mail. */
static void render_mail(const struct templates *t, const struct config *cfg, const struct message *m, size_t li,
                        int64_t now, struct rendered *ret) {
        const struct agency_contact *a = config_agency(cfg, m->recipient);
        char date[DATE_ISO_MAX];
        json_t *items = json_array();
        for (size_t i = 0; i < m->n_items; i++)
                json_array_append_new(items, item_data(cfg, m, &m->items[i], languages[li], now));
        json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:b, s:b, s:b}", "recipient", m->recipient,
                                 "recipient_name", a && a->name ? a->name : m->recipient, "kind", m->kind, "date",
                                 date_format(m->day, date), "count", (int) m->n_items, "reminder",
                                 streq(m->kind, "reminder"), "due", streq(m->kind, "due"), "escalation",
                                 streq(m->kind, "escalation"), "digest", streq(m->kind, "digest"), "catch_up",
                                 streq(m->kind, "catch-up"));
        json_object_set_new(data, "items", items);
        /* A missing language falls back to Kazakh, and that to a bare text. */
        size_t use = t->subject[li] ? li : 0;
        if (t->subject[use]) {
                _cleanup_free_ char *subject = template_render(t->subject[use], data);
                /* A subject is one line, whatever the data held. */
                for (char *p = subject; *p; p++)
                        if (*p == '\r' || *p == '\n')
                                *p = ' ';
                ret->subject = xstrdup(strstrip(subject));
                ret->body = template_render(t->body[use], data);
        } else {
                ret->subject = xasprintf("merzim: %s (%zu)", m->kind, m->n_items);
                ret->body = xstrdup("");
        }
        json_decref(data);
}

void render_message(const struct templates *t, const struct config *cfg, const struct message *m, int64_t now,
                    struct rendered *ret) {
        const struct agency_contact *a = config_agency(cfg, m->recipient);
        size_t li = language_index(a && a->language ? a->language : cfg->language);
        *ret = (struct rendered) {.language = languages[li]};
        /* Only what the recipient's channels carry: the outbox gets a row for each e-mail address and one
         * for the webhook, as configured when the message is written (outbox_add). A recipient with
         * neither is rendered whole. */
        bool mail = a && a->emails && a->emails[0], hook = a && a->webhook_url;
        if (mail || !hook)
                render_mail(t, cfg, m, li, now, ret);
        else
                ret->subject = xstrdup(""), ret->body = xstrdup("");
        ret->payload = hook || !mail ? payload(cfg, m, ret->language, now) : xstrdup("");
}

void rendered_clear(struct rendered *r) {
        free(r->subject);
        free(r->body);
        free(r->payload);
        *r = (struct rendered) {0};
}
