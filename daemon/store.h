/* The SQLite store shared by merzimd and merzimctl: opening, migrations, transactions, statements. */
#pragma once

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

struct store;

enum {
        STORE_READONLY = 1 << 0, /* never create or migrate; fail if the schema is old */
        STORE_EXISTING = 1 << 1, /* never create: -ENOENT (logged) if there is no database */
};

/* Open (and create, 0660 less the umask) the database at path, apply pending migrations, turn on
 * foreign keys and WAL. The database and its -wal, -shm and -journal files are opened only if they are
 * regular files, not symbolic links (SQLITE_OPEN_NOFOLLOW, and O_NOFOLLOW, which SQLite uses for the
 * others), and the database only if it belongs to the owner of its directory: someone who may write
 * there cannot make whoever runs merzim (root, an operator) write elsewhere.
 * Errors are logged; returns 0 or a negative errno. */
int store_open(const char *path, unsigned flags, struct store **ret);
void store_close(struct store *s);
/* A copy of the database in memory, to work on without touching the file (merzimctl schedule runs
 * the daemon's own steps on one). */
int store_open_copy(struct store *from, struct store **ret);
sqlite3 *store_db(struct store *s);
const char *store_path(struct store *s);
/* The schema version this build knows, and the version of the open database. */
int store_schema_latest(void);
int store_schema_version(struct store *s);

/* A prepared statement for a constant SQL text (the pointer is the cache key), cached for the store's
 * life, returned reset and unbound; NULL (logged) if it cannot be prepared. */
sqlite3_stmt *store_stmt(struct store *s, const char *sql);

/* SQLite's page cache (PRAGMA cache_size: pages, or KiB when negative), read and set. */
int64_t store_cache_size(struct store *s);
void store_set_cache_size(struct store *s, int64_t size);

/* End whatever the connection still holds: an open transaction, a statement not reset (which would keep
 * a read snapshot, and the next user of a pooled connection would see old data). */
void store_idle(struct store *s);
/* How long a statement waits for a lock another connection holds (10 s unless set) before -EBUSY. */
void store_set_busy_timeout(struct store *s, int ms);

/* SQLite's data version: it changes when another connection commits. */
int64_t store_data_version(struct store *s);

/* For a large write when no other connection has the database open (merzimd is not running): a
 * rollback journal instead of the WAL, so that new pages are written once, into the database, rather
 * than into the WAL and again by the checkpoint. The transaction stays all-or-nothing (a crash leaves a
 * hot journal that the next opener rolls back) and durable once committed (synchronous = EXTRA also syncs
 * the directory after the journal's deletion, which is the commit). Returns whether it switched: not when
 * another connection has the database open (then nothing changes). Call outside a transaction. */
bool store_leave_wal(struct store *s);
/* Back to the WAL and synchronous = FULL after store_leave_wal, once the transaction is over. */
void store_return_to_wal(struct store *s);

/* BEGIN IMMEDIATE (waits for the write lock), COMMIT, ROLLBACK. */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/* Run SQL without results; returns 0 or -EIO after logging sqlite's message. */
int store_exec(struct store *s, const char *sql);
/* Log sqlite's last error with context; returns -EBUSY for a locked database, else -EIO. */
int store_error(struct store *s, const char *context);
/* Step a bound statement that returns no row (INSERT, UPDATE, DELETE) and reset it: 0, or what
 * store_error gives with context. A NULL statement (store_stmt failed, and logged) is -EIO. */
int store_step_done(struct store *s, sqlite3_stmt *st, const char *context);

/* Bind helpers: text may be NULL. */
void stmt_bind_text(sqlite3_stmt *st, int i, const char *text);
void stmt_bind_int(sqlite3_stmt *st, int i, int64_t v);
/* Column text as a C string, NULL for NULL. */
const char *stmt_text(sqlite3_stmt *st, int col);
