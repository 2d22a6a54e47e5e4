/* merzim.conf: the one configuration file of merzimd and merzimctl (libconfig syntax). */
#include "config.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <libconfig.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf-slices.h"
#include "executors.h"
#include "log.h"
#include "tzone.h"
#include "utf8.h"

#define CONFIG_FILE_MAX (16 << 20) /* bytes: a bigger file is not a configuration */
#define SECRET_FILE_MAX 65536      /* bytes of a password or secret file */
#define STRING_MAX 4096            /* bytes of a string setting */

struct loader {
        const char *file;
        const char *text;            /* the file's text, while its agencies are read a slice at a time */
        const struct conf_list *agencies; /* where they are in it; NULL: in the tree with the rest */
        struct errlist *errs;
        struct config *c;
        unsigned flags; /* CONFIG_* */
        mode_t mode;    /* of the file */
};

#define ERR(l, s, ...) errlist_add((l)->errs, (l)->file, (s) ? config_setting_source_line(s) : 0, __VA_ARGS__)

struct config *config_new_defaults(void) {
        struct config *c = xcalloc(1, sizeof(*c));
        c->database = xstrdup("merzim.db");
        c->timezone = xstrdup("Asia/Almaty");
        c->due_shift = DUE_SHIFT_PRECEDING;
        c->language = xstrdup("kk");
        c->send_minute = 9 * 60;
        c->reminders[0] = 30, c->reminders[1] = 7, c->reminders[2] = 1;
        c->n_reminders = 3;
        c->due_notice = true;
        c->escalate_after_days = 7;
        c->escalate_repeat_days = 30;
        c->catch_up = CATCH_UP_DIGEST;
        c->late_after_minutes = 12 * 60;
        c->max_attempts = 8;
        c->retry_initial_seconds = 60;
        c->retry_max_seconds = 3600;
        c->max_parallel = 16;
        c->timeout_seconds = 30;
        c->smtp_url = xstrdup("smtp://127.0.0.1:25");
        c->smtp_tls = SMTP_TLS_TRY;
        c->smtp_from = xstrdup("merzim <merzim@localhost>");
        c->smtp_verify = true;
        c->smtp_max_connections = 4;
        c->smtp_idle_seconds = 3;
        c->webhook_verify = true;
        c->http_listen = xstrdup("127.0.0.1:8080");
        c->http_public_url = xstrdup("http://127.0.0.1:8080");
        c->link_days = 60;
        c->http_max_connections = 1000;
        char host[256] = "localhost";
        gethostname(host, sizeof(host) - 1);
        c->hostname = xstrdup(host);
        return c;
}

static void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

void config_free(struct config *c) {
        if (!c)
                return;
        free(c->path);
        free(c->dir);
        free(c->database);
        free(c->timezone);
        free(c->calendar);
        free(c->templates);
        free(c->language);
        free(c->smtp_url);
        free(c->smtp_from);
        free(c->smtp_username);
        if (c->smtp_password)
                explicit_bzero(c->smtp_password, strlen(c->smtp_password));
        free(c->smtp_password);
        free(c->smtp_ca_file);
        free(c->smtp_helo_name);
        free(c->webhook_ca_file);
        free(c->hostname);
        free(c->http_listen);
        free(c->http_public_url);
        if (c->link_secret)
                explicit_bzero(c->link_secret, strlen(c->link_secret));
        free(c->link_secret);
        for (size_t i = 0; i < c->n_tokens; i++) {
                free(c->tokens[i].agency);
                free(c->tokens[i].name);
        }
        free(c->tokens);
        for (size_t i = 0; i < c->n_plans; i++) {
                free(c->plans[i].title);
                free(c->plans[i].coordinator);
                free(c->plans[i].supervisor);
        }
        free(c->plans);
        for (size_t i = 0; i < c->n_agencies; i++) {
                struct agency_contact *a = &c->agencies[i];
                free(a->code);
                free(a->name);
                strv_free(a->aliases);
                strv_free(a->emails);
                free(a->language);
                free(a->webhook_url);
                if (a->webhook_secret)
                        explicit_bzero(a->webhook_secret, strlen(a->webhook_secret));
                free(a->webhook_secret);
        }
        free(c->agencies);
        free(c->agencies_by_code);
        for (size_t i = 0; i < c->n_agency_keys; i++)
                free(c->agency_keys[i].key);
        free(c->agency_keys);
        free(c);
}

/* Report every member of group s whose name is not among allowed. */
static void check_keys(struct loader *l, config_setting_t *s, const char *where, const char *const *allowed) {
        for (int i = 0; i < config_setting_length(s); i++) {
                config_setting_t *m = config_setting_get_elem(s, (unsigned) i);
                const char *name = config_setting_name(m);
                bool ok = false;
                for (size_t k = 0; allowed[k]; k++)
                        ok = ok || (name && streq(name, allowed[k]));
                if (!ok)
                        ERR(l, m, _("unknown setting \"%s\" in %s"), name ? name : "?", where);
        }
}

/* Whether the value of string setting s is one line of UTF-8 text of a sane length; the value is not quoted
 * in the error, as it could be anything. */
static bool text_ok(struct loader *l, config_setting_t *s, const char *name, const char *v) {
        size_t len = strlen(v), bad;
        if (len > STRING_MAX) {
                ERR(l, s, _("\"%s\" is too long (%zu bytes, at most %d)"), name, len, STRING_MAX);
                return false;
        }
        if (!utf8_valid(v, len, &bad)) {
                ERR(l, s, _("\"%s\" is not valid UTF-8 (byte 0x%02x)"), name, (unsigned char) v[bad]);
                return false;
        }
        /* C0, C1, DEL and the bidirectional controls: U+202E would show a name reversed. */
        int control = utf8_find_control(v, NULL);
        if (control >= 0) {
                ERR(l, s, _("\"%s\" has a control character (U+%04X): one line of plain text is expected"), name,
                    (unsigned) control);
                return false;
        }
        return true;
}

/* A string member: replaces *dst if present. */
static bool get_string(struct loader *l, config_setting_t *g, const char *name, char **dst) {
        config_setting_t *s = config_setting_get_member(g, name);
        if (!s)
                return false;
        const char *v = config_setting_get_string(s);
        if (!v) {
                ERR(l, s, _("\"%s\" must be a string"), name);
                return false;
        }
        if (!text_ok(l, s, name, v))
                return false;
        free(*dst);
        *dst = xstrdup(v);
        return true;
}

static bool get_int(struct loader *l, config_setting_t *g, const char *name, int min, int max, int *dst) {
        config_setting_t *s = config_setting_get_member(g, name);
        if (!s)
                return false;
        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64) {
                ERR(l, s, _("\"%s\" must be an integer"), name);
                return false;
        }
        long long v = config_setting_get_int64(s);
        if (v < min || v > max) {
                ERR(l, s, _("\"%s\" = %lld is out of range %d..%d"), name, v, min, max);
                return false;
        }
        *dst = (int) v;
        return true;
}

static void get_bool(struct loader *l, config_setting_t *g, const char *name, bool *dst) {
        config_setting_t *s = config_setting_get_member(g, name);
        if (!s)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                ERR(l, s, _("\"%s\" must be true or false"), name);
                return;
        }
        *dst = config_setting_get_bool(s);
}

/* Who besides its owner may read a file of mode m: "everyone", "its group", or NULL for nobody. */
static const char *readers_of(mode_t m) {
        return (m & S_IROTH) ? "everyone" : (m & S_IRGRP) ? "its group" : NULL;
}

/* A secret written in the configuration itself: a warning if others may read the file (operators in
 * merzim's group read merzim.conf; a secret belongs in a file or credential only merzimd reads). */
static bool get_inline_secret(struct loader *l, config_setting_t *g, const char *name, const char *instead,
                              char **dst) {
        if (!get_string(l, g, name, dst))
                return false;
        const char *who = readers_of(l->mode);
        if (who && !(l->flags & CONFIG_NO_SECRETS))
                log_warning(streq(who, "everyone")
                                    ? _("%s:%d: \"%s\" is written here, and everyone may read this file: put it in %s "
                                        "(a systemd credential, or a file only merzimd's user reads)")
                                    : _("%s:%d: \"%s\" is written here, and its group may read this file: put it in %s "
                                        "(a systemd credential, or a file only merzimd's user reads)"),
                            l->file, config_setting_source_line(config_setting_get_member(g, name)), name, instead);
        return true;
}

/* Read the file a *_file setting names (a credential); trailing newlines are dropped. A file others may
 * read is taken, with a warning. */
static void get_secret_file(struct loader *l, config_setting_t *g, const char *name, char **dst) {
        char *path = NULL;
        if (!get_string(l, g, name, &path))
                return;
        _cleanup_free_ char *full = path_join_rel(l->c->dir, path);
        free(path);
        if (l->flags & CONFIG_NO_SECRETS)
                return;
        char *text;
        size_t len;
        int r = read_file_max(full, SECRET_FILE_MAX, &text, &len);
        /* A systemd credential exists only while the service runs: a check cannot read it. */
        if (r == -ENOENT && (l->flags & CONFIG_CHECK_ONLY) && strncmp(full, "/run/credentials/", 17) == 0)
                return;
        if (r < 0) {
                ERR(l, config_setting_get_member(g, name), _("cannot read %s \"%s\": %s"), name, full, strerror(-r));
                return;
        }
        size_t n = strlen(text);
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
                text[--n] = 0;
        free(*dst);
        *dst = text;
        struct stat st;
        const char *who = stat(full, &st) == 0 ? readers_of(st.st_mode) : NULL;
        if (who)
                log_warning(streq(who, "everyone")
                                    ? _("%s:%d: %s \"%s\" may be read by everyone: make it readable by merzimd's user "
                                        "alone (chmod 0600), or give it as a systemd credential")
                                    : _("%s:%d: %s \"%s\" may be read by its group: make it readable by merzimd's user "
                                        "alone (chmod 0600), or give it as a systemd credential"),
                            l->file, config_setting_source_line(config_setting_get_member(g, name)), name, full);
}

/* "HH:MM" as minutes after midnight. */
static int parse_clock(const char *s, int *ret) {
        unsigned h, m;
        char tail;
        if (sscanf(s, "%2u:%2u%c", &h, &m, &tail) != 2 || h > 23 || m > 59)
                return -EINVAL;
        *ret = (int) (h * 60 + m);
        return 0;
}

static void load_schedule(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"send_time", "reminders", "due_notice", "escalate_after_days",
                                           "escalate_repeat_days", "catch_up", "late_after_minutes", NULL};
        struct config *c = l->c;
        check_keys(l, g, "schedule", keys);

        _cleanup_free_ char *send = NULL, *catch_up = NULL;
        if (get_string(l, g, "send_time", &send) && parse_clock(send, &c->send_minute) < 0)
                ERR(l, config_setting_get_member(g, "send_time"), _("send_time \"%s\" is not HH:MM"), send);

        config_setting_t *r = config_setting_get_member(g, "reminders");
        if (r) {
                if (!config_setting_is_array(r)) {
                        ERR(l, r, _("reminders must be an array of days, e.g. [30, 7, 1]"));
                } else {
                        c->n_reminders = 0;
                        for (int i = 0; i < config_setting_length(r); i++) {
                                config_setting_t *e = config_setting_get_elem(r, (unsigned) i);
                                long long d = config_setting_get_int64(e);
                                if (config_setting_type(e) != CONFIG_TYPE_INT || d < 1 || d > 366)
                                        ERR(l, e, _("reminder days must be integers from 1 to 366"));
                                else if (c->n_reminders >= CONFIG_MAX_REMINDERS)
                                        ERR(l, e, _("at most %d reminders"), CONFIG_MAX_REMINDERS);
                                else
                                        c->reminders[c->n_reminders++] = (int) d;
                        }
                }
        }
        get_bool(l, g, "due_notice", &c->due_notice);
        get_int(l, g, "escalate_after_days", 1, 365, &c->escalate_after_days);
        get_int(l, g, "escalate_repeat_days", 0, 365, &c->escalate_repeat_days);
        get_int(l, g, "late_after_minutes", 1, 7 * 24 * 60, &c->late_after_minutes);
        if (get_string(l, g, "catch_up", &catch_up)) {
                if (streq(catch_up, "digest"))
                        c->catch_up = CATCH_UP_DIGEST;
                else if (streq(catch_up, "skip"))
                        c->catch_up = CATCH_UP_SKIP;
                else
                        ERR(l, config_setting_get_member(g, "catch_up"),
                            _("catch_up must be \"digest\" or \"skip\", not \"%s\""), catch_up);
        }
}

static void load_delivery(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"max_attempts", "retry_initial_seconds", "retry_max_seconds",
                                           "max_parallel", "timeout_seconds", NULL};
        struct config *c = l->c;
        check_keys(l, g, "delivery", keys);
        get_int(l, g, "max_attempts", 1, 100, &c->max_attempts);
        get_int(l, g, "retry_initial_seconds", 1, 86400, &c->retry_initial_seconds);
        get_int(l, g, "retry_max_seconds", 1, 7 * 86400, &c->retry_max_seconds);
        get_int(l, g, "max_parallel", 1, 1024, &c->max_parallel);
        get_int(l, g, "timeout_seconds", 1, 3600, &c->timeout_seconds);
}

/* Whether an EHLO name is a fully-qualified domain name, or an address literal "[192.0.2.1]". */
static bool helo_name_valid(const char *s) {
        size_t n = strlen(s);
        if (n >= 3 && s[0] == '[' && s[n - 1] == ']')
                return strspn(s + 1, "0123456789abcdefABCDEF.:IPv") == n - 2;
        if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' || !strchr(s, '.') || strstr(s, ".."))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* The SMTP session settings: the EHLO name, how many sessions at once, and how long one may sit idle. */
static void load_smtp_sessions(struct loader *l, config_setting_t *g) {
        struct config *c = l->c;
        if (get_string(l, g, "helo_name", &c->smtp_helo_name) && !helo_name_valid(c->smtp_helo_name))
                ERR(l, config_setting_get_member(g, "helo_name"),
                    _("helo_name \"%s\" must be a fully-qualified domain name (letters, digits, hyphens, at least "
                    "one dot) or an address literal such as \"[192.0.2.1]\""), c->smtp_helo_name);
        get_int(l, g, "max_connections", 1, 64, &c->smtp_max_connections);
        get_int(l, g, "idle_seconds", 0, 3600, &c->smtp_idle_seconds);
}

static void load_smtp(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"url", "tls", "from", "username", "password", "password_file",
                                           "ca_file", "verify", "helo_name", "max_connections", "idle_seconds",
                                           NULL};
        struct config *c = l->c;
        check_keys(l, g, "smtp", keys);
        get_string(l, g, "url", &c->smtp_url);
        if (strncmp(c->smtp_url, "smtp://", 7) != 0 && strncmp(c->smtp_url, "smtps://", 8) != 0)
                ERR(l, config_setting_get_member(g, "url"), _("smtp url must start with smtp:// or smtps://"));
        _cleanup_free_ char *tls = NULL;
        if (get_string(l, g, "tls", &tls)) {
                if (streq(tls, "starttls"))
                        c->smtp_tls = SMTP_TLS_STARTTLS;
                else if (streq(tls, "try"))
                        c->smtp_tls = SMTP_TLS_TRY;
                else if (streq(tls, "none"))
                        c->smtp_tls = SMTP_TLS_NONE;
                else
                        ERR(l, config_setting_get_member(g, "tls"),
                            _("tls must be \"starttls\", \"try\" or \"none\", not \"%s\""), tls);
        }
        if (get_string(l, g, "from", &c->smtp_from) && (strpbrk(c->smtp_from, "\r\n") || !strchr(c->smtp_from, '@')))
                ERR(l, config_setting_get_member(g, "from"), _("from must be one address line with an @"));
        get_string(l, g, "username", &c->smtp_username);
        get_inline_secret(l, g, "password", "password_file", &c->smtp_password);
        get_secret_file(l, g, "password_file", &c->smtp_password);
        if (get_string(l, g, "ca_file", &c->smtp_ca_file)) {
                char *full = path_join_rel(c->dir, c->smtp_ca_file);
                free(c->smtp_ca_file);
                c->smtp_ca_file = full;
        }
        get_bool(l, g, "verify", &c->smtp_verify);
        load_smtp_sessions(l, g);
}

static void load_webhook(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"ca_file", "verify", NULL};
        struct config *c = l->c;
        check_keys(l, g, "webhook", keys);
        if (get_string(l, g, "ca_file", &c->webhook_ca_file)) {
                char *full = path_join_rel(c->dir, c->webhook_ca_file);
                free(c->webhook_ca_file);
                c->webhook_ca_file = full;
        }
        get_bool(l, g, "verify", &c->webhook_verify);
}

static void load_token(struct loader *l, config_setting_t *g, struct api_token *t) {
        static const char *const keys[] = {"agency", "coordinator", "name", "sha256", "feed", NULL};
        check_keys(l, g, "a token", keys);
        t->line = config_setting_source_line(g);
        bool coordinator = false;
        get_bool(l, g, "coordinator", &coordinator);
        get_bool(l, g, "feed", &t->feed_only);
        get_string(l, g, "agency", &t->agency);
        get_string(l, g, "name", &t->name);
        if (coordinator == (t->agency != NULL))
                ERR(l, g, _("a token is either for one agency (agency = \"CODE\") or the coordinator's "
                          "(coordinator = true)"));
        char *hash = NULL;
        if (!get_string(l, g, "sha256", &hash) || strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64)
                ERR(l, g, _("a token needs sha256 = \"<64 lower-case hex digits>\" (merzimctl token new makes one)"));
        else
                memcpy(t->sha256, hash, 65);
        free(hash);
}

static void load_token_any(struct loader *l, config_setting_t *g, void *t) {
        load_token(l, g, t);
}

static void *load_list(struct loader *l, config_setting_t *root, const char *name, size_t size, size_t *n,
                       void (*one)(struct loader *, config_setting_t *, void *));

static void load_http(struct loader *l, config_setting_t *g) {
        static const char *const keys[] = {"enabled", "listen", "public_url", "link_secret", "link_secret_file",
                                           "link_days", "tokens", "max_connections", "max_connections_per_address",
                                           NULL};
        struct config *c = l->c;
        check_keys(l, g, "http", keys);
        get_bool(l, g, "enabled", &c->http_enabled);
        if (get_string(l, g, "listen", &c->http_listen)) {
                const char *colon = strrchr(c->http_listen, ':');
                unsigned long port;
                unsigned char addr[16];
                _cleanup_free_ char *host = colon ? xstrndup(c->http_listen, (size_t) (colon - c->http_listen)) : NULL;
                size_t hn = host ? strlen(host) : 0;
                bool ip6 = hn >= 2 && host[0] == '[' && host[hn - 1] == ']';
                if (ip6)
                        host[hn - 1] = 0;
                if (!colon || colon == c->http_listen || parse_uint(colon + 1, 65535, &port) < 0 || port == 0 ||
                    inet_pton(ip6 ? AF_INET6 : AF_INET, ip6 ? host + 1 : host, addr) != 1)
                        ERR(l, config_setting_get_member(g, "listen"),
                            _("listen \"%s\" is not IPV4:PORT or [IPV6]:PORT (an address, not a host name)"),
                            c->http_listen);
        }
        if (get_string(l, g, "public_url", &c->http_public_url) &&
            strncmp(c->http_public_url, "http://", 7) != 0 && strncmp(c->http_public_url, "https://", 8) != 0)
                ERR(l, config_setting_get_member(g, "public_url"), _("public_url must start with http:// or https://"));
        get_inline_secret(l, g, "link_secret", "link_secret_file", &c->link_secret);
        get_secret_file(l, g, "link_secret_file", &c->link_secret);
        if (c->link_secret && strlen(c->link_secret) < 16)
                ERR(l, g, _("the link secret must be at least 16 characters"));
        get_int(l, g, "link_days", 1, 3650, &c->link_days);
        get_int(l, g, "max_connections", 16, 100000, &c->http_max_connections);
        get_int(l, g, "max_connections_per_address", 0, 100000, &c->http_max_connections_per_address);
        c->tokens = load_list(l, g, "tokens", sizeof(struct api_token), &c->n_tokens, load_token_any);
        if (c->http_enabled && !config_setting_get_member(g, "link_secret") &&
            !config_setting_get_member(g, "link_secret_file"))
                ERR(l, g, _("http is enabled: give link_secret_file (or link_secret) to sign confirmation links"));
}

static bool valid_language(const char *s) {
        return streq(s, "kk") || streq(s, "ru") || streq(s, "en");
}

/* An e-mail address as merzim accepts it: one line, local@domain, no spaces or angle brackets. */
static bool valid_email(const char *s) {
        const char *at = strchr(s, '@');
        return at && at != s && at[1] && !strchr(at + 1, '@') && !strpbrk(s, " \t\r\n<>,;\"()");
}

/* A string or an array of strings, as a NULL-terminated list; false (reported) if it is neither. */
static bool get_strings(struct loader *l, config_setting_t *g, const char *key, const char *what, char ***ret) {
        config_setting_t *e = config_setting_get_member(g, key);
        size_t n = 0;
        char **v = xcalloc(1, sizeof(char *));
        bool ok = true;
        if (e && config_setting_type(e) == CONFIG_TYPE_STRING) {
                v = xreallocarray(v, 2, sizeof(char *));
                v[n++] = xstrdup(config_setting_get_string(e));
        } else if (e && config_setting_is_array(e)) {
                for (int i = 0; i < config_setting_length(e); i++) {
                        const char *s = config_setting_get_string_elem(e, i);
                        if (!s) {
                                ok = false;
                                break;
                        }
                        v = xreallocarray(v, n + 2, sizeof(char *));
                        v[n++] = xstrdup(s);
                }
        } else if (e) {
                ok = false;
        }
        v[n] = NULL;
        if (!ok)
                ERR(l, e, _("%s must be a string or an array of strings"), what);
        *ret = v;
        return ok;
}

static void load_agency(struct loader *l, config_setting_t *g, struct agency_contact *a) {
        static const char *const keys[] = {"code", "name", "aliases", "email", "language", "webhook", NULL};
        check_keys(l, g, "an agency", keys);
        a->line = config_setting_source_line(g);
        if (!get_string(l, g, "code", &a->code) || isempty(a->code)) {
                ERR(l, g, _("an agency needs a code, as written in plans"));
                a->code = a->code ? a->code : xstrdup("");
        }
        get_string(l, g, "name", &a->name);
        _cleanup_free_ char *aliases_of = xasprintf("aliases of agency %s", a->code);
        if (get_strings(l, g, "aliases", aliases_of, &a->aliases))
                for (size_t i = 0; a->aliases[i]; i++)
                        if (text_ok(l, config_setting_get_member(g, "aliases"), "aliases", a->aliases[i]) &&
                            isempty(a->aliases[i]))
                                ERR(l, config_setting_get_member(g, "aliases"), _("an alias of agency %s is empty"),
                                    a->code);
        a->language = xstrdup(l->c->language);
        if (get_string(l, g, "language", &a->language) && !valid_language(a->language))
                ERR(l, config_setting_get_member(g, "language"), _("language \"%s\" of agency %s is not kk, ru or en"),
                    a->language, a->code);

        config_setting_t *e = config_setting_get_member(g, "email");
        size_t n = 0;
        a->emails = xcalloc(1, sizeof(char *));
        if (e && config_setting_type(e) == CONFIG_TYPE_STRING) {
                a->emails = xreallocarray(a->emails, 2, sizeof(char *));
                a->emails[n++] = xstrdup(config_setting_get_string(e));
        } else if (e && config_setting_is_array(e)) {
                for (int i = 0; i < config_setting_length(e); i++) {
                        const char *v = config_setting_get_string_elem(e, i);
                        if (!v) {
                                ERR(l, e, _("email of agency %s must be a string or an array of strings"), a->code);
                                break;
                        }
                        a->emails = xreallocarray(a->emails, n + 2, sizeof(char *));
                        a->emails[n++] = xstrdup(v);
                }
        } else if (e) {
                ERR(l, e, _("email of agency %s must be a string or an array of strings"), a->code);
        }
        a->emails[n] = NULL;
        for (size_t i = 0; i < n; i++)
                if (text_ok(l, e, "email", a->emails[i]) && !valid_email(a->emails[i]))
                        ERR(l, e, _("agency %s: \"%s\" is not an e-mail address"), a->code, a->emails[i]);

        config_setting_t *w = config_setting_get_member(g, "webhook");
        if (w) {
                static const char *const wkeys[] = {"url", "secret", "secret_file", NULL};
                if (!config_setting_is_group(w)) {
                        ERR(l, w, _("webhook of agency %s must be a group { url = ...; secret = ...; }"), a->code);
                        return;
                }
                check_keys(l, w, "a webhook", wkeys);
                if (!get_string(l, w, "url", &a->webhook_url) ||
                    (strncmp(a->webhook_url, "https://", 8) != 0 && strncmp(a->webhook_url, "http://", 7) != 0))
                        ERR(l, w, _("webhook of agency %s needs an http:// or https:// url"), a->code);
                else if (strchr(a->webhook_url, ' '))
                        ERR(l, w, _("webhook of agency %s: \"%s\" is not a URL (it has a space)"), a->code,
                            a->webhook_url);
                get_inline_secret(l, w, "secret", "secret_file", &a->webhook_secret);
                get_secret_file(l, w, "secret_file", &a->webhook_secret);
                if (isempty(a->webhook_secret) && !config_setting_get_member(w, "secret_file"))
                        ERR(l, w, _("webhook of agency %s needs a secret (or secret_file) to sign with"), a->code);
        }
}

static void load_plan(struct loader *l, config_setting_t *g, struct plan_settings *p) {
        static const char *const keys[] = {"title", "coordinator", "supervisor", "years", "bare_month", NULL};
        check_keys(l, g, "a plan", keys);
        p->line = config_setting_source_line(g);
        if (!get_string(l, g, "title", &p->title))
                ERR(l, g, _("a plan needs the title it has in the document"));
        get_string(l, g, "coordinator", &p->coordinator);
        get_string(l, g, "supervisor", &p->supervisor);
        _cleanup_free_ char *bare = NULL;
        if (get_string(l, g, "bare_month", &bare)) {
                if (streq(bare, "first"))
                        p->month_start = true;
                else if (!streq(bare, "last"))
                        ERR(l, config_setting_get_member(g, "bare_month"), _("bare_month is \"first\" or \"last\" "
                            "(the day of the month a deadline of only a month means), not \"%s\""), bare);
        }
        config_setting_t *y = config_setting_get_member(g, "years");
        if (y) {
                if (!config_setting_is_array(y) || config_setting_length(y) != 2) {
                        ERR(l, y, _("years must be [first, last]"));
                } else {
                        p->year_from = config_setting_get_int_elem(y, 0);
                        p->year_to = config_setting_get_int_elem(y, 1);
                        if (p->year_from < 1900 || p->year_to > 2199 || p->year_from > p->year_to)
                                ERR(l, y, _("years [%d, %d] is not a range of years"), p->year_from, p->year_to);
                }
        }
}

static void load_agency_any(struct loader *l, config_setting_t *g, void *a) {
        load_agency(l, g, a);
}

/* The groups of a list setting, each read by one into items from *n on. */
static void load_items(struct loader *l, config_setting_t *list, const char *name, char *items, size_t size, size_t *n,
                       void (*one)(struct loader *, config_setting_t *, void *)) {
        int len = config_setting_length(list);
        for (int i = 0; i < len; i++) {
                config_setting_t *g = config_setting_get_elem(list, (unsigned) i);
                if (!config_setting_is_group(g)) {
                        ERR(l, g, _("each of %s must be a group { ... }"), name);
                        continue;
                }
                one(l, g, items + (*n)++ * size);
        }
}

/* A list of groups, each read by one. */
static void *load_list(struct loader *l, config_setting_t *root, const char *name, size_t size, size_t *n,
                       void (*one)(struct loader *, config_setting_t *, void *)) {
        config_setting_t *list = config_setting_get_member(root, name);
        *n = 0;
        if (!list)
                return NULL;
        if (!config_setting_is_list(list)) {
                ERR(l, list, _("%s must be a list: %s = ( { ... }, { ... } );"), name, name);
                return NULL;
        }
        char *items = xcalloc((size_t) config_setting_length(list) + 1, size);
        load_items(l, list, name, items, size, n, one);
        return items;
}

#define AGENCY_SLICE 256 /* agencies in libconfig's tree at once */

/* The end of the slice that begins at from. */
static size_t slice_end(const struct conf_list *list, size_t from) {
        return list->n - from > AGENCY_SLICE ? from + AGENCY_SLICE : list->n;
}

/* Whether the agencies' list parses, a slice at a time (nothing else is read from it). */
static bool agency_slices_parse(const char *text, const struct conf_list *list) {
        bool ok = true;
        for (size_t from = 0; ok && from < list->n; from += AGENCY_SLICE) {
                config_t cfg;
                config_init(&cfg);
                FILE *f = conf_open_slice(text, list, "agencies = (", from, slice_end(list, from));
                ok = f && config_read(&cfg, f) == CONFIG_TRUE;
                if (f)
                        fclose(f);
                config_destroy(&cfg);
        }
        return ok;
}

/* The agencies, read from the text a slice at a time: libconfig's tree of thousands of them takes many
 * times the text, and the tree of the whole file is never held at once. */
static struct agency_contact *load_agency_slices(struct loader *l, size_t *n) {
        const struct conf_list *list = l->agencies;
        char *items = xcalloc(list->n + 1, sizeof(struct agency_contact));
        *n = 0;
        for (size_t from = 0; from < list->n; from += AGENCY_SLICE) {
                config_t cfg;
                config_init(&cfg);
                FILE *f = conf_open_slice(l->text, list, "agencies = (", from, slice_end(list, from));
                if (!f)
                        errlist_add(l->errs, l->file, 0, _("cannot open: %s"), strerror(errno));
                else if (config_read(&cfg, f) != CONFIG_TRUE)
                        errlist_add(l->errs, l->file, config_error_line(&cfg), "%s", config_error_text(&cfg));
                else
                        load_items(l, config_setting_get_member(config_root_setting(&cfg), "agencies"), "agencies",
                                   items, sizeof(struct agency_contact), n, load_agency_any);
                if (f)
                        fclose(f);
                config_destroy(&cfg);
        }
        return (struct agency_contact *) items;
}


static void load_plan_any(struct loader *l, config_setting_t *g, void *p) {
        load_plan(l, g, p);
}

/* The agencies' order by code, for config_agency's binary search (a duplicate code is an error anyway). */
static int compare_agency_codes(const void *a, const void *b, void *userdata) {
        const struct config *c = userdata;
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        int r = strcmp(c->agencies[x].code, c->agencies[y].code);
        /* One code twice: the first configured first, for check_references. */
        return r ? r : (x > y) - (x < y);
}

static void index_agencies(struct config *c) {
        free(c->agencies_by_code);
        c->agencies_by_code = xcalloc(c->n_agencies + 1, sizeof(size_t));
        for (size_t i = 0; i < c->n_agencies; i++)
                c->agencies_by_code[i] = i;
        if (c->n_agencies > 1)
                qsort_r(c->agencies_by_code, c->n_agencies, sizeof(size_t), compare_agency_codes, c);
}

static int compare_keys(const void *a, const void *b) {
        const struct agency_key_entry *x = a, *y = b;
        int r = strcmp(x->key, y->key);
        return r ? r : (x->agency > y->agency) - (x->agency < y->agency);
}

/* Codes and aliases by key; one key naming two agencies is an error: a plan's executor must reach one. */
static void index_agency_keys(struct loader *l) {
        struct config *c = l->c;
        size_t n = 0;
        for (size_t i = 0; i < c->n_agencies; i++) {
                const struct agency_contact *a = &c->agencies[i];
                c->agency_keys = xreallocarray(c->agency_keys, n + 1, sizeof(*c->agency_keys));
                c->agency_keys[n++] = (struct agency_key_entry) {.key = agency_key(a->code), .agency = i};
                for (size_t k = 0; a->aliases && a->aliases[k]; k++) {
                        c->agency_keys = xreallocarray(c->agency_keys, n + 1, sizeof(*c->agency_keys));
                        c->agency_keys[n++] = (struct agency_key_entry) {.key = agency_key(a->aliases[k]), .agency = i};
                }
        }
        c->n_agency_keys = n;
        if (n > 1)
                qsort(c->agency_keys, n, sizeof(*c->agency_keys), compare_keys);
        for (size_t k = 1; k < n; k++) {
                const struct agency_key_entry *prev = &c->agency_keys[k - 1], *cur = &c->agency_keys[k];
                if (!streq(prev->key, cur->key) || prev->agency == cur->agency)
                        continue;
                const struct agency_contact *a = &c->agencies[prev->agency], *b = &c->agencies[cur->agency];
                if (streq(a->code, b->code))
                        continue; /* the same code twice: check_references says so */
                errlist_add(l->errs, l->file, b->line, _("agency %s: \"%s\" is also agency %s (line %d), as written or "
                            "as an alias: a plan's executor must reach one agency"), b->code, cur->key, a->code,
                            a->line);
        }
}

/* Agencies configured twice, found next to each other in the index by code; reported in the order of
 * the file. */
static void check_references(struct loader *l) {
        struct config *c = l->c;
        size_t *first = xcalloc(c->n_agencies + 1, sizeof(size_t));
        for (size_t i = 0; i < c->n_agencies; i++)
                first[i] = SIZE_MAX;
        for (size_t k = 1; k < c->n_agencies; k++) {
                size_t prev = c->agencies_by_code[k - 1], cur = c->agencies_by_code[k];
                if (streq(c->agencies[prev].code, c->agencies[cur].code))
                        first[cur] = first[prev] != SIZE_MAX ? first[prev] : prev;
        }
        for (size_t i = 0; i < c->n_agencies; i++)
                if (first[i] != SIZE_MAX)
                        errlist_add(l->errs, l->file, c->agencies[i].line,
                                    _("agency %s is configured twice (first on line %d)"), c->agencies[i].code,
                                    c->agencies[first[i]].line);
        free(first);
}

static void load_root(struct loader *l, config_setting_t *root) {
        static const char *const keys[] = {"database", "timezone", "calendar", "templates", "effective_due",
                                           "language", "hostname", "schedule", "delivery", "smtp",
                                           "webhook", "http", "plans", "agencies", NULL};
        struct config *c = l->c;
        check_keys(l, root, "the configuration", keys);

        if (get_string(l, root, "database", &c->database)) {
                char *full = path_join_rel(c->dir, c->database);
                free(c->database);
                c->database = full;
        }
        if (get_string(l, root, "timezone", &c->timezone) && tz_check(c->timezone) < 0)
                ERR(l, config_setting_get_member(root, "timezone"),
                    _("unknown time zone \"%s\" (see /usr/share/zoneinfo)"), c->timezone);
        if (get_string(l, root, "calendar", &c->calendar) && isempty(c->calendar)) {
                /* calendar = ""; is the built-in calendar. */
                free(c->calendar);
                c->calendar = NULL;
        } else if (c->calendar) {
                char *full = path_join_rel(c->dir, c->calendar);
                free(c->calendar);
                c->calendar = full;
                if (access(full, R_OK) < 0)
                        ERR(l, config_setting_get_member(root, "calendar"), _("cannot read the calendar \"%s\": %s"),
                            full, strerror(errno));
        }
        if (get_string(l, root, "templates", &c->templates) && isempty(c->templates)) {
                /* templates = ""; are the built-in templates. */
                free(c->templates);
                c->templates = NULL;
        } else if (c->templates) {
                char *full = path_join_rel(c->dir, c->templates);
                free(c->templates);
                c->templates = full;
        }
        _cleanup_free_ char *shift = NULL;
        if (get_string(l, root, "effective_due", &shift) && due_shift_from_string(shift, &c->due_shift) < 0)
                ERR(l, config_setting_get_member(root, "effective_due"),
                    _("effective_due must be \"preceding\", \"following\" or \"none\", not \"%s\""), shift);
        if (get_string(l, root, "language", &c->language) && !valid_language(c->language))
                ERR(l, config_setting_get_member(root, "language"), _("language \"%s\" is not kk, ru or en"),
                    c->language);
        if (get_string(l, root, "hostname", &c->hostname) &&
            (isempty(c->hostname) || strspn(c->hostname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
                                             strlen(c->hostname)))
                ERR(l, config_setting_get_member(root, "hostname"),
                    _("hostname \"%s\" must be a DNS name: letters, digits, dots and hyphens"), c->hostname);

        static const struct {
                const char *name;
                void (*load)(struct loader *, config_setting_t *);
        } groups[] = {
                {"schedule", load_schedule},
                {"delivery", load_delivery},
                {"smtp", load_smtp},
                {"webhook", load_webhook},
                {"http", load_http},
        };
        for (size_t i = 0; i < ELEMENTSOF(groups); i++) {
                config_setting_t *g = config_setting_get_member(root, groups[i].name);
                if (!g)
                        continue;
                if (!config_setting_is_group(g))
                        ERR(l, g, _("%s must be a group: %s = { ... };"), groups[i].name, groups[i].name);
                else
                        groups[i].load(l, g);
        }
        if (l->agencies)
                c->agencies = load_agency_slices(l, &c->n_agencies);
        else
                c->agencies = load_list(l, root, "agencies", sizeof(struct agency_contact), &c->n_agencies,
                                        load_agency_any);
        c->plans = load_list(l, root, "plans", sizeof(struct plan_settings), &c->n_plans, load_plan_any);
        index_agencies(c);
        check_references(l);
        index_agency_keys(l);
}

const char *config_default_path(void) {
        const char *e = getenv("MERZIM_CONFIG");
        return isempty(e) ? CONFIG_DEFAULT_PATH : e;
}

/* Whether no configuration file is wanted: MERZIM_CONFIG=none. */
static bool config_none(void) {
        const char *e = getenv("MERZIM_CONFIG");
        return e && streq(e, "none");
}

int config_load(const char *path, struct config **ret, struct errlist *errs) {
        return config_load_flags(path, 0, ret, errs);
}

int config_load_flags(const char *path, unsigned flags, struct config **ret, struct errlist *errs) {
        if (!path) {
                /* No file where the default path points is fine (built-in defaults); a missing file that
                 * MERZIM_CONFIG names is a mistake worth saying. */
                path = config_default_path();
                bool from_env = !isempty(getenv("MERZIM_CONFIG"));
                if (config_none() || (!from_env && access(path, F_OK) < 0)) {
                        *ret = config_new_defaults();
                        return 0;
                }
        }

        struct config *c = config_new_defaults();
        c->path = xstrdup(path);
        c->dir = path_dirname(path);
        /* Relative paths in a file are relative to the file; the default database is next to it. */
        free(c->database);
        c->database = path_join_rel(c->dir, "merzim.db");

        size_t before = errs->n;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_max(path, CONFIG_FILE_MAX, &text, &len);
        if (r < 0) {
                errlist_add(errs, path, 0, _("cannot open: %s"), strerror(-r));
                config_free(c);
                return r;
        }
        config_t cfg;
        config_init(&cfg);
        size_t skip = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
        const char *body = text + skip;
        size_t body_len = len - skip;
        bool parsed = false;
        struct conf_list agencies = {0};
        bool sliced = false;
        if (libconfig_text_check(path, text, len, errs) >= 0) {
                /* The agencies a slice at a time if each slice and the rest parse; otherwise the whole,
                 * for libconfig's word on the first error. */
                sliced = !(flags & CONFIG_WHOLE) && conf_list_find(body, body_len, "agencies", &agencies) == 0 &&
                         agency_slices_parse(body, &agencies);
                /* Read as a stream, not with config_read_string, which parses a copy of the whole text. */
                FILE *f = sliced ? conf_open_without_list(body, body_len, &agencies) : NULL;
                int ok = f && config_read(&cfg, f) == CONFIG_TRUE;
                if (f)
                        fclose(f);
                if (!ok) {
                        sliced = false;
                        config_destroy(&cfg);
                        config_init(&cfg);
                        f = body_len > 0 ? fmemopen((char *) body, body_len, "r") : NULL;
                        ok = (f ? config_read(&cfg, f) : config_read_string(&cfg, body)) == CONFIG_TRUE;
                        if (f)
                                fclose(f);
                        if (!ok)
                                errlist_add(errs, path, config_error_line(&cfg), "%s", config_error_text(&cfg));
                }
                parsed = ok;
        }
        if (!sliced) {
                /* The text goes as soon as the tree is built. */
                free(TAKE_PTR(text));
                conf_list_clear(&agencies);
        }
        if (parsed) {
                struct stat st;
                struct loader l = {.file = path, .errs = errs, .c = c, .flags = flags,
                                   .mode = stat(path, &st) == 0 ? st.st_mode : 0,
                                   .text = text ? body : NULL, .agencies = sliced ? &agencies : NULL};
                load_root(&l, config_root_setting(&cfg));
        }
        conf_list_clear(&agencies);
        config_destroy(&cfg);

        if (errs->n > before) {
                config_free(c);
                return -EINVAL;
        }
        *ret = c;
        return 0;
}

const struct agency_contact *config_agency(const struct config *c, const char *code) {
        /* Binary search: a national deployment configures thousands of agencies. */
        size_t lo = 0, hi = c->agencies_by_code ? c->n_agencies : 0;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                const struct agency_contact *a = &c->agencies[c->agencies_by_code[mid]];
                int cmp = strcmp(a->code, code);
                if (cmp == 0)
                        return a;
                if (cmp < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = 0; !c->agencies_by_code && i < c->n_agencies; i++)
                if (streq(c->agencies[i].code, code))
                        return &c->agencies[i];
        if (c->n_agency_keys == 0)
                return NULL;
        _cleanup_free_ char *key = agency_key(code);
        lo = 0, hi = c->n_agency_keys;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int cmp = strcmp(c->agency_keys[mid].key, key);
                if (cmp == 0)
                        return &c->agencies[c->agency_keys[mid].agency];
                if (cmp < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

const struct plan_settings *config_plan(const struct config *c, const char *title) {
        _cleanup_free_ char *want = utf8_fold(title);
        for (size_t i = 0; i < c->n_plans; i++) {
                if (!c->plans[i].title)
                        continue;
                _cleanup_free_ char *have = utf8_fold(c->plans[i].title);
                if (streq(have, want))
                        return &c->plans[i];
        }
        return NULL;
}

const struct api_token *config_token(const struct config *c, const char *sha256_hex) {
        for (size_t i = 0; i < c->n_tokens; i++)
                if (streq(c->tokens[i].sha256, sha256_hex))
                        return &c->tokens[i];
        return NULL;
}

bool agency_contact_reachable(const struct agency_contact *a) {
        return a && ((a->emails && a->emails[0]) || a->webhook_url);
}
