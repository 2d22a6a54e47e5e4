/* The durable outbox: every notification is written, with one row per channel and address, before
 * anything is sent; each attempt is recorded, failures are retried with back-off and jitter. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "delivery.h"
#include "render.h"
#include "schedule.h"
#include "store.h"

/* Write message m (rendered as r) and its outbox rows, inside the caller's transaction. A message
 * whose key is already there is not written again. *ret gets the notification's id; *rows how many
 * outbox rows it has (0: its recipient has no contact). */
int outbox_add(struct store *s, const struct config *cfg, const struct message *m, const struct rendered *r,
               int64_t now, int64_t *ret, int *rows);

/* Rows due by now that are not among busy (those in flight), oldest first: up to room[CHANNEL_EMAIL]
 * e-mails and room[CHANNEL_WEBHOOK] webhooks. When fewer are due than there is room for, *next gets the
 * instant the next pending row on a channel with room falls due (INT64_MAX: none), else INT64_MAX. */
int outbox_due(struct store *s, const struct config *cfg, int64_t now, const int64_t *busy, size_t n_busy,
               const size_t room[2], struct delivery **ret, size_t *n, int64_t *next);
/* How many rows are pending, and how many have failed for good. */
int outbox_depth(struct store *s, int *pending, int *failed);

/* The delay before retry number `attempts` (1 = the first retry): exponential from retry_initial up to
 * retry_max, with jitter from random_value (any unsigned number); a server's Retry-After wins. */
int64_t outbox_backoff(const struct config *cfg, int attempts, int64_t retry_after, unsigned random_value);
/* Record one attempt and its result, and move the row on: sent, retried later, or failed; inside the
 * caller's transaction (the daemon records many at once). Returns the row's new state ("sent",
 * "pending", "failed") through *state. */
int outbox_record(struct store *s, const struct config *cfg, const struct delivery *d,
                  const struct delivery_result *res, int64_t started, int64_t now, unsigned random_value,
                  const char **state);
/* Cancel the pending rows of notifications that no longer list a pending occurrence (inside the
 * caller's transaction); returns how many were cancelled. */
int outbox_cancel_settled(struct store *s, int64_t occurrence_id);

/* What outbox_retry did with one delivery. */
struct outbox_retried {
        int64_t id;
        char *channel, *address, *agency;
        char **replaced_by; /* e-mail: the agency's current addresses it goes to instead (NULL-terminated),
                             * or NULL: the delivery itself goes out again */
};

/* Put deliveries back in line, due at once (at now, or when they last were if that is earlier: merzimd
 * may run on another clock with --now): delivery id, or with id 0 every failed one (of agency, if not
 * NULL). Each goes out again with its attempts counted afresh (those made stay in table attempt). An
 * e-mail whose address the agency no longer has in the configuration is cancelled, and e-mails to its
 * current addresses take its place. One transaction. Returns -ENOENT for an unknown id, -EALREADY for a
 * delivery already delivered or cancelled. */
int outbox_retry(struct store *s, const struct config *cfg, int64_t id, const char *agency, int64_t now,
                 struct outbox_retried **ret, size_t *n);
void outbox_retried_free(struct outbox_retried *v, size_t n);
