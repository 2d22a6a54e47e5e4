/* The SQLite store shared by merzimd and merzimctl: opening, migrations, transactions, statements. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "embedded.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define BUSY_TIMEOUT_MS 10000

struct cached_stmt {
        const char *sql;
        sqlite3_stmt *stmt;
};

struct store {
        sqlite3 *db;
        char *path;
        struct cached_stmt *stmts;
        size_t n_stmts;
        int busy_timeout_ms;
};

int store_error(struct store *s, const char *context) {
        int code = sqlite3_errcode(s->db);
        log_error("%s: %s: %s", s->path, context, sqlite3_errmsg(s->db));
        return (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? -EBUSY
               : code == SQLITE_READONLY                      ? -EROFS
               : code == SQLITE_FULL                          ? -ENOSPC
                                                              : -EIO;
}

int store_step_done(struct store *s, sqlite3_stmt *st, const char *context) {
        if (!st)
                return -EIO;
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_error(s, context);
}

int store_exec(struct store *s, const char *sql) {
        char *err = NULL;
        if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
                int code = sqlite3_errcode(s->db);
                log_error("%s: %s", s->path, err ? err : sqlite3_errstr(code));
                sqlite3_free(err);
                return code == SQLITE_BUSY ? -EBUSY : code == SQLITE_READONLY ? -EROFS : -EIO;
        }
        return 0;
}

int store_schema_latest(void) {
        int n = 0;
        while (embedded_migrations[n].name)
                n++;
        return n;
}

int store_schema_version(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "PRAGMA user_version");
        if (!st)
                return -1;
        int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_reset(st);
        return v;
}

/* Whether every reference in the database holds (PRAGMA foreign_key_check finds nothing). */
static int references_hold(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "PRAGMA foreign_key_check");
        if (!st)
                return -EIO;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                log_error(_("%s: row %lld of table %s refers to a row of %s that is not there: the migration "
                            "is not applied"),
                          s->path, (long long) sqlite3_column_int64(st, 1), stmt_text(st, 0), stmt_text(st, 2));
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : rc == SQLITE_ROW ? -EBADMSG : store_error(s, "cannot check references");
}

static int migrate_each(struct store *s, int version, int latest) {
        for (int v = version; v < latest; v++) {
                int r = store_begin(s);
                if (r < 0)
                        return r;
                /* Another process may have migrated while we waited for the lock. */
                if (store_schema_version(s) > v) {
                        store_rollback(s);
                        continue;
                }
                r = store_exec(s, embedded_migrations[v].text);
                if (r >= 0)
                        r = references_hold(s);
                if (r >= 0) {
                        _cleanup_free_ char *set = xasprintf("PRAGMA user_version = %d", v + 1);
                        r = store_exec(s, set);
                }
                if (r < 0) {
                        store_rollback(s);
                        return log_error_errno(r, "%s: migration %s failed", s->path,
                                               embedded_migrations[v].name);
                }
                r = store_commit(s);
                if (r < 0)
                        return r;
                log_debug("%s: applied migration %s", s->path, embedded_migrations[v].name);
        }
        return 0;
}

/* Bring the schema to the latest version, one migration per transaction. */
static int store_migrate(struct store *s, unsigned flags) {
        int latest = store_schema_latest();
        int version = store_schema_version(s);
        if (version < 0)
                return store_error(s, "cannot read the schema version");
        if (version > latest) {
                log_error(_("%s: the database has schema version %d, newer than this merzim knows (%d); "
                          "upgrade merzim"), s->path, version, latest);
                return -EPROTO;
        }
        if (version < latest && (flags & STORE_READONLY)) {
                log_error(_("%s: schema version %d is older than %d; open it once read-write to migrate"),
                          s->path, version, latest);
                return -EPROTO;
        }
        if (version == latest)
                return 0;
        /* A migration may make a table anew: references to it are checked before each commit instead of
         * being acted on (a dropped table's rows would take with them every row that refers to them). */
        int r = store_exec(s, "PRAGMA foreign_keys = OFF");
        if (r >= 0)
                r = migrate_each(s, version, latest);
        int rr = store_exec(s, "PRAGMA foreign_keys = ON");
        return r < 0 ? r : rr;
}

/* Why a database cannot be written, when the directory says it: read-only file system or permissions. */
static void explain_unwritable(const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        struct statvfs vfs;
        if (statvfs(dir, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
                log_error(_("%s: the file system is read-only; merzim needs to write its database"), dir);
        else if (access(dir, W_OK) < 0)
                log_error(_("%s: %s; merzim needs to write its database and journal there"), dir, strerror(errno));
}

/* Whether the files of the database at path may be opened: regular files, not symbolic links, the
 * database its directory owner's. Returns 0, -ENOENT if there is no database yet, or an error (logged). */
static int check_files(const char *path) {
        _cleanup_free_ char *dir = path_dirname(path);
        struct stat d, st;
        if (stat(dir, &d) < 0)
                return log_error_errno(-errno, "%s: %m", dir);
        static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *file = xasprintf("%s%s", path, suffixes[i]);
                if (lstat(file, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode))
                        return log_error_errno(-ELOOP, _("%s is a symbolic link: merzim opens no database file "
                                               "through one; remove it"), file);
                if (!S_ISREG(st.st_mode))
                        return log_error_errno(-EINVAL, _("%s is not a regular file; remove it"), file);
        }
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? -ENOENT : log_error_errno(-errno, "%s: %m", path);
        if (S_ISLNK(st.st_mode))
                return log_error_errno(-ELOOP, _("%s is a symbolic link: merzim opens no database through one; put "
                                       "the database itself there, or its real path in the configuration"), path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EINVAL, _("%s is not a regular file"), path);
        if (st.st_uid != d.st_uid)
                return log_error_errno(-EPERM, _("%s belongs to uid %u, not to the owner (uid %u) of %s: merzim "
                                       "opens only a database of its directory's owner (chown it)"),
                                       path, (unsigned) st.st_uid, (unsigned) d.st_uid, dir);
        return 0;
}

/* Set the journal mode; returns the mode the database is in after it ("wal", "delete"), or "" (then
 * sqlite3_errcode() says why). */
static const char *set_journal_mode(struct store *s, const char *sql, char mode[16]) {
        sqlite3_stmt *st = NULL;
        mode[0] = 0;
        if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                snprintf(mode, 16, "%s", stmt_text(st, 0) ? stmt_text(st, 0) : "");
        sqlite3_finalize(st);
        return mode;
}

/* Turn on WAL mode. While a large import holds the database in rollback-journal mode (store_leave_wal),
 * SQLite says "locked" at once rather than call the busy handler: wait for it as for any lock. */
static int enable_wal(struct store *s) {
        char mode[16];
        for (int waited = 0; waited < s->busy_timeout_ms; waited += 20) {
                if (streq(set_journal_mode(s, "PRAGMA journal_mode = WAL", mode), "wal"))
                        return 0;
                if (sqlite3_errcode(s->db) != SQLITE_BUSY)
                        break;
                usleep(20 * 1000);
        }
        return store_exec(s, "PRAGMA journal_mode = WAL"); /* says why, as before */
}

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

/* SQLite as merzim uses it, set before its first connection: no memory statistics, which nothing reads
 * and which take a lock shared by every thread for each allocation. (A program that used SQLite before,
 * such as a test, keeps SQLite's defaults: the call is then refused, harmlessly.) */
static void library_setup(void) {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, unsigned flags, struct store **ret) {
        int r = check_files(path);
        if (r == -ENOENT && (flags & (STORE_EXISTING | STORE_READONLY)))
                return log_error_errno(r, _("%s: there is no database: import a roadmap first (merzimctl import "
                                       "FILE), or give the configuration that names it (-c FILE)"), path);
        if (r == -ENOENT) {
                /* Made here rather than by SQLite, which would make it 0644: the group (operators) may
                 * write it, others get nothing (less the umask). */
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0660);
                if (fd < 0 && errno != EEXIST) {
                        r = log_error_errno(-errno, _("%s: cannot create the database: %m"), path);
                        explain_unwritable(path);
                        return r;
                }
                if (fd >= 0)
                        close(fd);
                r = check_files(path);
        }
        if (r < 0)
                return r;

        pthread_once(&library_once, library_setup);
        struct store *s = xcalloc(1, sizeof(*s));
        s->path = xstrdup(path);
        int oflags = (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
        if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
                r = s->db ? store_error(s, "cannot open database") : -ENOMEM;
                if (!(flags & STORE_READONLY))
                        explain_unwritable(path);
                store_close(s);
                return r;
        }
        sqlite3_extended_result_codes(s->db, 0);
        store_set_busy_timeout(s, BUSY_TIMEOUT_MS);

        r = store_exec(s, "PRAGMA foreign_keys = ON");
        if (r >= 0 && !(flags & STORE_READONLY)) {
                /* WAL lets merzimctl read while the daemon writes; FULL makes every commit durable. */
                r = enable_wal(s);
                if (r >= 0)
                        r = store_exec(s, "PRAGMA synchronous = FULL");
        }
        if (r >= 0)
                r = store_migrate(s, flags);
        if (r < 0) {
                if (r == -EROFS || r == -EIO)
                        explain_unwritable(path);
                store_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

void store_close(struct store *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n_stmts; i++)
                sqlite3_finalize(s->stmts[i].stmt);
        free(s->stmts);
        sqlite3_close(s->db);
        free(s->path);
        free(s);
}

int store_open_copy(struct store *from, struct store **ret) {
        struct store *s = xcalloc(1, sizeof(*s));
        s->path = xasprintf("%s (a copy in memory)", from->path);
        if (sqlite3_open_v2(":memory:", &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            NULL) != SQLITE_OK) {
                store_close(s);
                return -ENOMEM;
        }
        sqlite3_extended_result_codes(s->db, 0);
        /* One read transaction of the file: a consistent copy even while merzimd writes. */
        sqlite3_backup *b = sqlite3_backup_init(s->db, "main", from->db, "main");
        int rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(s->db);
        if (b)
                sqlite3_backup_finish(b);
        int r = rc == SQLITE_DONE ? store_exec(s, "PRAGMA foreign_keys = ON") : store_error(from, "cannot copy the database");
        if (r < 0) {
                store_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

sqlite3 *store_db(struct store *s) {
        return s->db;
}

const char *store_path(struct store *s) {
        return s->path;
}

sqlite3_stmt *store_stmt(struct store *s, const char *sql) {
        for (size_t i = 0; i < s->n_stmts; i++)
                if (s->stmts[i].sql == sql) {
                        sqlite3_reset(s->stmts[i].stmt);
                        sqlite3_clear_bindings(s->stmts[i].stmt);
                        return s->stmts[i].stmt;
                }

        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
                log_error("%s: cannot prepare \"%.60s...\": %s", s->path, sql, sqlite3_errmsg(s->db));
                return NULL;
        }
        s->stmts = xreallocarray(s->stmts, s->n_stmts + 1, sizeof(*s->stmts));
        s->stmts[s->n_stmts++] = (struct cached_stmt) {sql, st};
        return st;
}

void store_idle(struct store *s) {
        for (size_t i = 0; i < s->n_stmts; i++)
                sqlite3_reset(s->stmts[i].stmt);
        store_rollback(s);
}

void store_set_busy_timeout(struct store *s, int ms) {
        sqlite3_busy_timeout(s->db, ms);
        s->busy_timeout_ms = ms;
}

int64_t store_data_version(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "PRAGMA data_version");
        if (!st)
                return -1;
        int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
        sqlite3_reset(st);
        return v;
}

int64_t store_cache_size(struct store *s) {
        sqlite3_stmt *st = store_stmt(s, "PRAGMA cache_size");
        if (!st)
                return -2000;
        int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -2000;
        sqlite3_reset(st);
        return v;
}

void store_set_cache_size(struct store *s, int64_t size) {
        _cleanup_free_ char *sql = xasprintf("PRAGMA cache_size = %lld", (long long) size);
        store_exec(s, sql);
}

bool store_leave_wal(struct store *s) {
        char mode[16];
        /* Leaving the WAL needs every other connection closed: if one is open, say so at once. */
        sqlite3_busy_timeout(s->db, 0);
        bool left = streq(set_journal_mode(s, "PRAGMA journal_mode = DELETE", mode), "delete");
        sqlite3_busy_timeout(s->db, s->busy_timeout_ms);
        if (left && store_exec(s, "PRAGMA synchronous = EXTRA") < 0) {
                store_return_to_wal(s);
                return false;
        }
        return left;
}

void store_return_to_wal(struct store *s) {
        char mode[16];
        /* Should another process have opened the database meanwhile and hold it past the busy timeout, the
         * next store_open (merzimd's, merzimctl's) turns the WAL on again. */
        if (!streq(set_journal_mode(s, "PRAGMA journal_mode = WAL", mode), "wal"))
                log_warning(_("%s: cannot turn WAL mode on again (%s); merzimd or merzimctl turns it on when it "
                              "next opens the database"), s->path, sqlite3_errmsg(s->db));
        store_exec(s, "PRAGMA synchronous = FULL");
}

int store_begin(struct store *s) {
        return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(struct store *s) {
        return store_exec(s, "COMMIT");
}

void store_rollback(struct store *s) {
        if (!sqlite3_get_autocommit(s->db))
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void stmt_bind_text(sqlite3_stmt *st, int i, const char *text) {
        if (text)
                sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

void stmt_bind_int(sqlite3_stmt *st, int i, int64_t v) {
        sqlite3_bind_int64(st, i, v);
}

const char *stmt_text(sqlite3_stmt *st, int col) {
        return (const char *) sqlite3_column_text(st, col);
}
