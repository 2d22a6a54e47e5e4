/* The durable outbox. */
#include "config.h"

#include <stdio.h>

#include "log.h"
#include "outbox.h"
#include "util.h"

static int add_row(struct store *s, int64_t notification_id, const char *channel, const char *address, int64_t now) {
        sqlite3_stmt *st = store_stmt(s, "INSERT OR IGNORE INTO outbox (notification_id, channel, address, "
                                         "next_attempt_at) VALUES (?, ?, ?, ?)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, notification_id);
        stmt_bind_text(st, 2, channel);
        stmt_bind_text(st, 3, address);
        stmt_bind_int(st, 4, now);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_error(s, "cannot write the outbox");
}

static int add_items(struct store *s, int64_t id, const struct message *m) {
        for (size_t i = 0; i < m->n_items; i++) {
                const struct message_item *it = &m->items[i];
                struct buf roles = {0};
                for (unsigned bit = 1; bit <= ROLE_SUPERVISOR; bit <<= 1)
                        if (it->roles & bit)
                                buf_printf(&roles, "%s%s", roles.len ? ", " : "", role_name((enum role) bit));
                if (it->n_forwarded)
                        buf_printf(&roles, "%sforwarded", roles.len ? ", " : "");
                _cleanup_free_ char *fwd = message_item_forwarded(it);
                sqlite3_stmt *st = store_stmt(s, "INSERT OR IGNORE INTO notification_item (notification_id, "
                                                 "occurrence_id, stage, role, on_behalf_of) VALUES (?, ?, ?, ?, ?)");
                if (!st) {
                        buf_free(&roles);
                        return -EIO;
                }
                stmt_bind_int(st, 1, id);
                stmt_bind_int(st, 2, it->occ->id);
                stmt_bind_text(st, 3, it->stage.name);
                stmt_bind_text(st, 4, roles.data ? roles.data : "");
                stmt_bind_text(st, 5, fwd);
                int rc = sqlite3_step(st);
                sqlite3_reset(st);
                buf_free(&roles);
                if (rc != SQLITE_DONE)
                        return store_error(s, "cannot write a notification item");
        }
        return 0;
}

/* A message written before (a send time's work cut short and done again): as it was. */
static int written_before(struct store *s, const struct message *m, int64_t *ret, int *rows) {
        sqlite3_stmt *st = store_stmt(s, "SELECT n.id, (SELECT count(*) FROM outbox o WHERE o.notification_id = n.id) "
                                         "FROM notification n WHERE n.scheduled_at = ? AND n.recipient = ? AND n.key = ?");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, m->at);
        stmt_bind_text(st, 2, m->recipient);
        stmt_bind_text(st, 3, m->key);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                *rows = sqlite3_column_int(st, 1);
        }
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? 0 : store_error(s, "cannot read a notification written before");
}

int outbox_add(struct store *s, const struct config *cfg, const struct message *m, const struct rendered *r,
               int64_t now, int64_t *ret, int *rows) {
        *rows = 0;
        sqlite3_stmt *st = store_stmt(s, "INSERT INTO notification (key, plan_id, recipient, kind, stage, scheduled_at, "
                                         "created_at, language, subject, body, payload) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scheduled_at, recipient, key) DO NOTHING");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, m->key);
        stmt_bind_int(st, 2, m->n_items ? m->items[0].occ->plan->id : 0);
        stmt_bind_text(st, 3, m->recipient);
        stmt_bind_text(st, 4, m->kind);
        stmt_bind_text(st, 5, m->stage);
        stmt_bind_int(st, 6, m->at);
        stmt_bind_int(st, 7, now);
        stmt_bind_text(st, 8, r->language);
        stmt_bind_text(st, 9, r->subject);
        stmt_bind_text(st, 10, r->body);
        stmt_bind_text(st, 11, r->payload);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return store_error(s, "cannot write a notification");
        if (sqlite3_changes(store_db(s)) == 0)
                return written_before(s, m, ret, rows);
        *ret = sqlite3_last_insert_rowid(store_db(s));

        int rr = add_items(s, *ret, m);
        const struct agency_contact *a = config_agency(cfg, m->recipient);
        for (size_t i = 0; rr >= 0 && a && a->emails && a->emails[i]; i++, (*rows)++)
                rr = add_row(s, *ret, "email", a->emails[i], now);
        if (rr >= 0 && a && a->webhook_url) {
                rr = add_row(s, *ret, "webhook", a->webhook_url, now);
                (*rows)++;
        }
        return rr;
}

static int compare_ids(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return (x > y) - (x < y);
}

/* One outbox row as a delivery, with what the configuration says of its recipient now. */
static int load_delivery(struct store *s, const struct config *cfg, int64_t id, struct delivery *ret) {
        sqlite3_stmt *st = store_stmt(s, "SELECT o.id, o.channel, o.address, o.attempts, n.key, n.recipient, "
                                         "n.subject, n.body, n.payload, n.created_at, o.notification_id FROM outbox o "
                                         "JOIN notification n ON n.id = o.notification_id WHERE o.id = ? AND o.state = 'pending'");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return rc == SQLITE_DONE ? -ENOENT : store_error(s, "cannot read the outbox");
        }
        const char *recipient = stmt_text(st, 5);
        const struct agency_contact *a = config_agency(cfg, recipient);
        bool webhook = streq(stmt_text(st, 1), "webhook");
        *ret = (struct delivery) {
                .id = sqlite3_column_int64(st, 0),
                .notification_id = sqlite3_column_int64(st, 10),
                .recipient = recipient ? xstrdup(recipient) : NULL,
                .channel = webhook ? CHANNEL_WEBHOOK : CHANNEL_EMAIL,
                /* A webhook goes to the agency's URL as configured now: a corrected URL takes effect for
                 * what is still waiting. */
                .address = xstrdup(webhook && a && a->webhook_url ? a->webhook_url : stmt_text(st, 2)),
                .attempts = sqlite3_column_int(st, 3),
                .key = xstrdup(stmt_text(st, 4)),
                .to_name = xstrdup(a && a->name ? a->name : recipient),
                .subject = xstrdup(stmt_text(st, 6)),
                .body = xstrdup(stmt_text(st, 7)),
                .payload = xstrdup(stmt_text(st, 8)),
                .secret = webhook && a && a->webhook_secret ? xstrdup(a->webhook_secret) : NULL,
                .created_at = sqlite3_column_int64(st, 9),
        };
        sqlite3_reset(st);
        return 0;
}

/* The channel of an outbox row. */
static int row_channel(struct store *s, int64_t id, enum delivery_channel *ret) {
        sqlite3_stmt *st = store_stmt(s, "SELECT channel = 'webhook' FROM outbox WHERE id = ?");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, id);
        int rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW && sqlite3_column_int(st, 0) ? CHANNEL_WEBHOOK : CHANNEL_EMAIL;
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : store_error(s, "cannot read the outbox");
}

int outbox_due(struct store *s, const struct config *cfg, int64_t now, const int64_t *busy, size_t n_busy,
               const size_t room[2], struct delivery **ret, size_t *n, int64_t *next) {
        *ret = NULL;
        *n = 0;
        *next = INT64_MAX;
        size_t want[2] = {room[CHANNEL_EMAIL], room[CHANNEL_WEBHOOK]};
        if (want[0] + want[1] == 0)
                return 0;
        int64_t *sorted = xcalloc(n_busy + 1, sizeof(int64_t));
        if (n_busy)
                memcpy(sorted, busy, n_busy * sizeof(int64_t));
        qsort(sorted, n_busy, sizeof(int64_t), compare_ids);

        /* The pending rows in the order they fall due, from their partial index alone (no row is read for
         * the rows skipped): those in flight are skipped here rather than in SQL, and the first one not
         * due yet says when to look again. */
        sqlite3_stmt *st = store_stmt(s, "SELECT id, next_attempt_at FROM outbox INDEXED BY outbox_due "
                                         "WHERE state = 'pending' ORDER BY next_attempt_at, id");
        if (!st) {
                free(sorted);
                return -EIO;
        }
        struct delivery *v = xcalloc(want[0] + want[1], sizeof(*v));
        size_t k = 0;
        int r = 0, rc = SQLITE_DONE;
        while (want[0] + want[1] > 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0), at = sqlite3_column_int64(st, 1);
                if (bsearch(&id, sorted, n_busy, sizeof(int64_t), compare_ids))
                        continue;
                if (at > now) {
                        enum delivery_channel channel;
                        r = row_channel(s, id, &channel);
                        if (r == -ENOENT)
                                continue;
                        if (r < 0)
                                break;
                        if (want[channel] == 0)
                                continue;
                        *next = at;
                        break;
                }
                r = load_delivery(s, cfg, id, &v[k]);
                if (r == -ENOENT) /* no longer pending: cancelled meanwhile (merzimctl done) */
                        continue;
                if (r < 0)
                        break;
                if (want[v[k].channel] == 0) {
                        delivery_free(&v[k]);
                        continue;
                }
                want[v[k++].channel]--;
        }
        if (r >= 0 && want[0] + want[1] > 0 && rc != SQLITE_ROW && rc != SQLITE_DONE)
                r = store_error(s, "cannot read the outbox");
        sqlite3_reset(st);
        free(sorted);
        if (r < 0 && r != -ENOENT) {
                for (size_t i = 0; i < k; i++)
                        delivery_free(&v[i]);
                free(v);
                return r;
        }
        *ret = v;
        *n = k;
        return 0;
}

int outbox_depth(struct store *s, int *pending, int *failed) {
        /* Two counts: the pending rows through their partial index, the failed ones with a plain scan
         * (four times cheaper than one scan that works out both for every row; this runs at every
         * wake-up, and the outbox keeps every row ever sent). */
        sqlite3_stmt *st = store_stmt(s, "SELECT (SELECT count(*) FROM outbox INDEXED BY outbox_due "
                                         "WHERE state = 'pending'), "
                                         "(SELECT count(*) FROM outbox WHERE state = 'failed')");
        if (!st)
                return -EIO;
        int rc = sqlite3_step(st);
        *pending = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        *failed = rc == SQLITE_ROW ? sqlite3_column_int(st, 1) : 0;
        sqlite3_reset(st);
        return rc == SQLITE_ROW ? 0 : store_error(s, "cannot count the outbox");
}

int64_t outbox_backoff(const struct config *cfg, int attempts, int64_t retry_after, unsigned random_value) {
        if (retry_after > 0)
                return retry_after < 86400 ? retry_after : 86400;
        int64_t delay = cfg->retry_initial_seconds;
        for (int i = 1; i < attempts && delay < cfg->retry_max_seconds; i++)
                delay *= 2;
        if (delay > cfg->retry_max_seconds)
                delay = cfg->retry_max_seconds;
        /* "Equal jitter": half fixed, half random, so that retries of many rows spread out. */
        int64_t half = delay / 2;
        return half + (int64_t) (random_value % (uint64_t) (delay - half + 1));
}

int outbox_record(struct store *s, const struct config *cfg, const struct delivery *d,
                  const struct delivery_result *res, int64_t started, int64_t now, unsigned random_value,
                  const char **state) {
        int attempts = d->attempts + 1;
        const char *result;
        if (res->verdict == DELIVERY_SENT) {
                *state = "sent";
                result = "sent";
        } else if (res->verdict == DELIVERY_RETRY && attempts < cfg->max_attempts) {
                *state = "pending";
                result = "retry";
        } else {
                *state = "failed";
                result = res->verdict == DELIVERY_RETRY ? "retry" : "failed";
        }
        int64_t next = now + (streq(*state, "pending") ? outbox_backoff(cfg, attempts, res->retry_after, random_value) : 0);

        int r;
        sqlite3_stmt *st = store_stmt(s, "INSERT INTO attempt (outbox_id, started_at, finished_at, result, code, reply) "
                                         "VALUES (?, ?, ?, ?, ?, ?)");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, d->id);
        stmt_bind_int(st, 2, started);
        stmt_bind_int(st, 3, now);
        stmt_bind_text(st, 4, result);
        stmt_bind_int(st, 5, res->code);
        stmt_bind_text(st, 6, res->reply);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return store_error(s, "cannot record an attempt");
        bool sent = res->verdict == DELIVERY_SENT;
        st = store_stmt(s, "UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, "
                           "reply = CASE WHEN ? THEN ? ELSE reply END, "
                           "last_error = CASE WHEN ? THEN NULL ELSE ? END, "
                           "sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE id = ? AND state = 'pending'");
        if (!st)
                return -EIO;
        stmt_bind_text(st, 1, *state);
        stmt_bind_int(st, 2, attempts);
        stmt_bind_int(st, 3, next);
        stmt_bind_int(st, 4, sent);
        stmt_bind_text(st, 5, res->reply);
        stmt_bind_int(st, 6, sent);
        stmt_bind_text(st, 7, res->reply);
        stmt_bind_int(st, 8, sent);
        stmt_bind_int(st, 9, now);
        stmt_bind_int(st, 10, d->id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        r = rc == SQLITE_DONE ? 0 : store_error(s, "cannot update the outbox");
        return r;
}

int outbox_cancel_settled(struct store *s, int64_t occurrence_id) {
        sqlite3_stmt *st = store_stmt(s, "UPDATE outbox SET state = 'cancelled', last_error = 'settled before delivery' "
                                         "WHERE state = 'pending' AND notification_id IN "
                                         "(SELECT i.notification_id FROM notification_item i WHERE i.occurrence_id = ?1) "
                                         "AND NOT EXISTS (SELECT 1 FROM notification_item j JOIN occurrence o "
                                         "ON o.id = j.occurrence_id WHERE j.notification_id = outbox.notification_id "
                                         "AND o.status = 'pending')");
        if (!st)
                return -EIO;
        stmt_bind_int(st, 1, occurrence_id);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return store_error(s, "cannot cancel deliveries");
        return sqlite3_changes(store_db(s));
}

/* Whether the agency's configuration still lists an e-mail address (or says nothing of the agency). */
static bool address_current(const struct agency_contact *a, const char *address) {
        if (!a || !a->emails || !a->emails[0])
                return true;
        for (size_t i = 0; a->emails[i]; i++)
                if (streq(a->emails[i], address))
                        return true;
        return false;
}

/* Cancel an e-mail row whose address the agency no longer has, and add rows for its current addresses. */
static int retarget(struct store *s, const struct agency_contact *a, int64_t row, int64_t notification_id,
                    int64_t now, struct outbox_retried *out) {
        sqlite3_stmt *st = store_stmt(s, "UPDATE outbox SET state = 'cancelled', last_error = 'sent again to the "
                                         "addresses the agency has now' WHERE id = ?");
        if (st)
                stmt_bind_int(st, 1, row);
        int r = store_step_done(s, st, "cannot cancel a delivery");
        size_t k = 0;
        out->replaced_by = xcalloc(1, sizeof(char *));
        for (size_t i = 0; r >= 0 && a->emails[i]; i++) {
                r = add_row(s, notification_id, "email", a->emails[i], now);
                if (r >= 0 && sqlite3_changes(store_db(s)) > 0) {
                        out->replaced_by = xreallocarray(out->replaced_by, k + 2, sizeof(char *));
                        out->replaced_by[k++] = xstrdup(a->emails[i]);
                        out->replaced_by[k] = NULL;
                }
        }
        return r;
}

int outbox_retry(struct store *s, const struct config *cfg, int64_t id, const char *agency, int64_t now,
                 struct outbox_retried **ret, size_t *n) {
        *ret = NULL;
        *n = 0;
        int r = store_begin(s);
        if (r < 0)
                return r;
        sqlite3_stmt *st = store_stmt(s, "SELECT o.id, o.notification_id, o.channel, o.address, o.state, n.recipient, "
                                         "min(o.next_attempt_at, ?3) "
                                         "FROM outbox o JOIN notification n ON n.id = o.notification_id "
                                         "WHERE (?1 <> 0 AND o.id = ?1) OR (?1 = 0 AND o.state = 'failed' "
                                         "AND (?2 IS NULL OR n.recipient = ?2)) ORDER BY o.id");
        if (!st) {
                store_rollback(s);
                return -EIO;
        }
        stmt_bind_int(st, 1, id);
        stmt_bind_text(st, 2, agency);
        stmt_bind_int(st, 3, now);
        struct row {
                int64_t id, notification_id, due;
                struct outbox_retried out;
                bool done;
        } *rows = NULL;
        size_t k = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                rows = xreallocarray(rows, k + 1, sizeof(*rows));
                rows[k++] = (struct row) {
                        .id = sqlite3_column_int64(st, 0),
                        .notification_id = sqlite3_column_int64(st, 1),
                        .due = sqlite3_column_int64(st, 6),
                        .out = {.id = sqlite3_column_int64(st, 0), .channel = xstrdup(stmt_text(st, 2)),
                                .address = xstrdup(stmt_text(st, 3)), .agency = xstrdup(stmt_text(st, 5))},
                        .done = !streq(stmt_text(st, 4), "failed") && !streq(stmt_text(st, 4), "pending"),
                };
        }
        sqlite3_reset(st);
        r = rc == SQLITE_DONE ? 0 : store_error(s, "cannot read the outbox");
        if (r >= 0 && id && k == 0)
                r = -ENOENT;
        else if (r >= 0 && id && rows[0].done)
                r = -EALREADY;
        for (size_t i = 0; r >= 0 && i < k; i++) {
                struct outbox_retried *out = &rows[i].out;
                const struct agency_contact *a = config_agency(cfg, out->agency);
                if (streq(out->channel, "email") && !address_current(a, out->address)) {
                        r = retarget(s, a, rows[i].id, rows[i].notification_id, rows[i].due, out);
                        continue;
                }
                st = store_stmt(s, "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, "
                                   "last_error = NULL WHERE id = ?");
                if (st) {
                        stmt_bind_int(st, 1, rows[i].due);
                        stmt_bind_int(st, 2, rows[i].id);
                }
                r = store_step_done(s, st, "cannot put a delivery back in line");
        }
        if (r >= 0)
                r = store_commit(s);
        else
                store_rollback(s);
        struct outbox_retried *v = xcalloc(k + 1, sizeof(*v));
        for (size_t i = 0; i < k; i++)
                v[i] = rows[i].out;
        free(rows);
        if (r < 0) {
                outbox_retried_free(v, k);
                return r;
        }
        *ret = v;
        *n = k;
        return 0;
}

void outbox_retried_free(struct outbox_retried *v, size_t n) {
        for (size_t i = 0; v && i < n; i++) {
                free(v[i].channel);
                free(v[i].address);
                free(v[i].agency);
                for (char **p = v[i].replaced_by; p && *p; p++)
                        free(*p);
                free(v[i].replaced_by);
        }
        free(v);
}
