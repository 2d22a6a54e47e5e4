/* merzim.conf: the one configuration file of merzimd and merzimctl (libconfig syntax). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"
#include "util.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/merzim/merzim.conf"
#define CONFIG_MAX_REMINDERS 16

enum catch_up_policy {
        CATCH_UP_DIGEST, /* one digest per recipient of what was missed */
        CATCH_UP_SKIP,   /* drop what was missed; escalation goes on from now */
};

enum smtp_tls {
        SMTP_TLS_STARTTLS, /* smtp:// upgraded with STARTTLS, required */
        SMTP_TLS_TRY,      /* STARTTLS if offered */
        SMTP_TLS_NONE,     /* plain text: only for a relay on loopback */
};

struct agency_contact {
        char *code;     /* as written in plans */
        char *name;     /* full name */
        char **aliases; /* NULL-terminated: other spellings, and groups it answers for ("МИО") */
        char **emails;  /* NULL-terminated */
        char *language; /* "kk", "ru" or "en" */
        char *webhook_url;
        char *webhook_secret;
        int line;
};

/* A bearer token for the HTTP interface, kept as the SHA-256 of the token, never the token. */
struct api_token {
        char *agency; /* the agency it acts for; NULL: the coordinator's token, which sees every agency */
        char *name;   /* who holds it, for the logs */
        bool feed_only; /* feed = true: reads the calendar feed and the status page, changes nothing; the
                         * only kind of token a URL may carry (?token=) */
        char sha256[65];
        int line;
};

struct plan_settings {
        char *title; /* matched against the plan's title, case and spaces folded */
        char *coordinator;
        char *supervisor;
        int year_from, year_to; /* 0 = from the document */
        bool month_start;       /* a bare month in a deadline means its first day (bare_month = "first") */
        int line;
};

/* An agency's code or alias by its spelling-independent key (agency_key), for config_agency. */
struct agency_key_entry {
        char *key;
        size_t agency;
};

struct config {
        char *path; /* NULL when built-in defaults apply */
        char *dir;  /* relative paths in the file are relative to this directory */

        char *database;
        char *timezone;
        char *calendar; /* NULL: the built-in Kazakhstan calendar */
        char *templates;
        enum due_shift due_shift;
        char *language; /* default language of messages */

        /* When and what to send. */
        int send_minute;                       /* minutes after local midnight, default 9:00 */
        int reminders[CONFIG_MAX_REMINDERS];   /* days before the effective due date */
        size_t n_reminders;
        bool due_notice;
        int escalate_after_days;  /* the second escalation, days after the deadline */
        int escalate_repeat_days; /* then every so many days; 0 = never */
        enum catch_up_policy catch_up;
        int late_after_minutes; /* a send time passed by more than this counts as missed */

        /* Delivery. */
        int max_attempts;
        int retry_initial_seconds;
        int retry_max_seconds;
        int max_parallel;
        int timeout_seconds;

        char *smtp_url;
        enum smtp_tls smtp_tls;
        char *smtp_from;
        char *smtp_username;
        char *smtp_password;
        char *smtp_ca_file;
        bool smtp_verify;
        char *smtp_helo_name;     /* EHLO name; NULL: worked out at start (mail_resolve_helo) */
        int smtp_max_connections; /* SMTP sessions at once */
        int smtp_idle_seconds;    /* an idle session is closed with QUIT after this long */
        char *webhook_ca_file;
        bool webhook_verify;

        char *hostname; /* right-hand side of Message-IDs */

        /* The HTTP interface: the JSON API, confirmation links, the status page, calendar feeds. */
        bool http_enabled;
        char *http_listen;     /* "127.0.0.1:8080" */
        char *http_public_url; /* the address users reach it at, for links in messages */
        char *link_secret;     /* HMAC key of confirmation links */
        int link_days;         /* how long a confirmation link is good for after the deadline */
        int http_max_connections;             /* open at once, in all */
        int http_max_connections_per_address; /* from one address; 0: no limit (behind a reverse proxy) */
        struct api_token *tokens;
        size_t n_tokens;

        struct plan_settings *plans;
        size_t n_plans;
        struct agency_contact *agencies;
        size_t n_agencies;
        size_t *agencies_by_code; /* indexes into agencies, sorted by code, for config_agency */
        struct agency_key_entry *agency_keys; /* codes and aliases by key, sorted */
        size_t n_agency_keys;
};

/* $MERZIM_CONFIG, or SYSCONFDIR/merzim/merzim.conf. */
const char *config_default_path(void);
/* The built-in defaults (database "merzim.db" in the working directory). */
struct config *config_new_defaults(void);
/* Load path, or the defaults if path is NULL and there is no file at the default path. Every problem is
 * added to errs as "file:line: message"; returns 0, -EINVAL with errs filled, or another -errno. */
int config_load(const char *path, struct config **ret, struct errlist *errs);
enum {
        CONFIG_NO_SECRETS = 1 << 0,  /* do not read secret files: merzimctl needs none */
        CONFIG_CHECK_ONLY = 1 << 1,  /* a check: systemd credentials that are not there yet are fine */
        CONFIG_WHOLE = 1 << 2,       /* libconfig parses the file whole, agencies too (tests compare) */
};
int config_load_flags(const char *path, unsigned flags, struct config **ret, struct errlist *errs);
void config_free(struct config *c);

/* The configured agency for a code as a plan writes it: the agency with that code, or else the one whose
 * code or alias is the same when quotes, case and look-alike letters are set aside. NULL if none. */
const struct agency_contact *config_agency(const struct config *c, const char *code);
const struct plan_settings *config_plan(const struct config *c, const char *title);
/* The token whose SHA-256 (hex) is sha256_hex, or NULL. */
const struct api_token *config_token(const struct config *c, const char *sha256_hex);
/* An agency is reachable if it has an e-mail address or a webhook. */
bool agency_contact_reachable(const struct agency_contact *a);
