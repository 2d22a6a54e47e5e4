/* One delivery: an outbox row (a notification on one channel to one address) as it goes out through
 * libcurl, and what came of it. mail.c and webhook.c set up the transfer; the outbox decides what a
 * result means for the row. */
#pragma once

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"

enum delivery_channel {
        CHANNEL_EMAIL,
        CHANNEL_WEBHOOK,
};

struct delivery {
        int64_t id; /* outbox row */
        int64_t notification_id;
        char *recipient; /* the recipient agency's code, as in the notification */
        enum delivery_channel channel;
        char *address;    /* "plan@economy.gov.kz" or "https://hooks.example.kz/merzim" */
        char *key;        /* the notification's unique key (hex): Message-ID and Idempotency-Key */
        char *to_name;    /* the recipient agency's name (UTF-8), for the To: header */
        char *subject;    /* e-mail: subject and plain-text body (UTF-8) */
        char *body;
        char *payload;    /* webhook: the JSON body */
        char *secret;     /* webhook: the HMAC-SHA256 key */
        int64_t created_at; /* when the notification was made: the Date: header */
        int attempts;       /* made before this one */
};

enum delivery_verdict {
        DELIVERY_SENT,   /* the server took it: 2xx, or SMTP 250 */
        DELIVERY_RETRY,  /* a temporary failure: try again later */
        DELIVERY_FAILED, /* a permanent refusal: do not try again */
};

struct delivery_result {
        enum delivery_verdict verdict;
        long code;           /* HTTP status or SMTP reply code; 0 if none came */
        char *reply;         /* the server's reply or curl's error, for the audit; malloc'ed */
        int64_t retry_after; /* seconds the server asked to wait (Retry-After), 0 if it did not */
};

void delivery_free(struct delivery *d);
void delivery_drop_content(struct delivery *d);
void delivery_result_clear(struct delivery_result *r);

/* E-mail through libcurl SMTP (mail.c). The job owns what the transfer reads from (the message text,
 * the recipient list) and must live until the transfer is done. */
struct mail_job;
int mail_setup(CURL *easy, const struct config *cfg, const struct delivery *d, struct mail_job **ret);
void mail_result(struct mail_job *job, CURL *easy, CURLcode code, struct delivery_result *ret);
void mail_job_free(struct mail_job *job);
/* Whether a transfer failed because the reused session it went out on was already closed by the relay
 * (no answer, 421, or 503 before anything was sent): then it goes again at once on a new session. */
bool mail_session_lost(struct mail_job *job, CURL *easy, CURLcode code);
/* Make the job ready to be sent again on the same easy handle. */
void mail_job_rewind(struct mail_job *job);
/* The EHLO name: smtp.helo_name, else the path of smtp.url, else the domain of smtp.from. Caller frees. */
char *mail_helo_name(const struct config *cfg);
/* When neither smtp.helo_name nor a path in smtp.url gives the EHLO name, take the machine's
 * fully-qualified name if it has one (its host name, or what the resolver gives for it). */
int mail_resolve_helo(struct config *cfg);
/* Settings a relay may refuse or that leak a password (credentials without TLS, an EHLO name that is
 * not fully qualified), as warnings. */
void mail_settings_warnings(const struct config *cfg, struct errlist *warnings);

/* Webhooks through libcurl (webhook.c): POST application/json with X-Merzim-Timestamp,
 * X-Merzim-Signature: sha256=HEX (HMAC-SHA256 of "TIMESTAMP.BODY" with the endpoint's secret) and
 * Idempotency-Key. */
struct webhook_job;
int webhook_setup(CURL *easy, const struct config *cfg, const struct delivery *d, int64_t now,
                  struct webhook_job **ret);
void webhook_result(struct webhook_job *job, CURL *easy, CURLcode code, struct delivery_result *ret);
void webhook_job_free(struct webhook_job *job);
/* "sha256=" and the hex HMAC-SHA256 of "timestamp.body" under secret. Caller frees. */
char *webhook_signature(const char *secret, const char *timestamp, const char *body);
