/* WAL checkpoints off the commit path: the commits of merzimd's writer leave the write-ahead log as it
 * is, however long it grows, and a thread copies it back into the database once they pause. */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "helpers.h"
#include "log.h"
#include "store.h"
#include "util.h"

static char *dir, *db;
static struct store *store;
static struct checkpointer *checkpointer;

static void setup(void) {
        dir = test_mkdtemp();
        db = xasprintf("%s/merzim.db", dir);
        cr_assert_geq(store_open(db, 0, &store), 0);
        cr_assert_eq(store_exec(store, "CREATE TABLE filler (data BLOB)"), 0);
        cr_assert_eq(checkpointer_start(store, &checkpointer), 0);
}

static void teardown(void) {
        checkpointer_stop(checkpointer);
        store_close(store);
        test_rmdir(dir);
        free(dir);
        free(db);
}

TestSuite(checkpoint, .init = setup, .fini = teardown);

/* The frames in the write-ahead log and how many of them are copied back into the database, from its
 * index (the -shm file, laid out as https://sqlite.org/walformat.html says: mxFrame at byte 16 of the
 * header, nBackfill at byte 96). */
static void wal_state(uint32_t *frames, uint32_t *copied) {
        _cleanup_free_ char *shm = xasprintf("%s-shm", db);
        int fd = open(shm, O_RDONLY | O_CLOEXEC);
        cr_assert_geq(fd, 0, "%s: %m", shm);
        unsigned char head[136];
        cr_assert_eq(pread(fd, head, sizeof(head), 0), (ssize_t) sizeof(head));
        close(fd);
        memcpy(frames, head + 16, sizeof(*frames));
        memcpy(copied, head + 96, sizeof(*copied));
}

/* Commit pages of filler: 16 rows of 16 KiB each time (about 64 pages of 4 KiB). */
static void commit_pages(int times) {
        for (int i = 0; i < times; i++) {
                cr_assert_eq(store_begin(store), 0);
                for (int k = 0; k < 16; k++)
                        cr_assert_eq(store_exec(store, "INSERT INTO filler VALUES (zeroblob(16384))"), 0);
                cr_assert_eq(store_commit(store), 0);
        }
}

Test(checkpoint, commits_leave_the_log_and_the_thread_copies_it_back_once_they_pause) {
        uint32_t frames, copied;
        commit_pages(24); /* past the 1,000 pages at which SQLite would checkpoint inside a commit */
        wal_state(&frames, &copied);
        cr_assert_gt(frames, 1000);
        cr_assert_eq(copied, 0, "%u of %u frames copied back inside the commits", copied, frames);
        int64_t deadline = (int64_t) time(NULL) + 10 * test_slowdown();
        do {
                usleep(50 * 1000);
                wal_state(&frames, &copied);
        } while (copied < frames && (int64_t) time(NULL) < deadline);
        cr_assert_eq(copied, frames, "%u of %u frames copied back after the commits paused", copied, frames);
}

Test(checkpoint, once_stopped_sqlite_checkpoints_in_the_commits_again) {
        checkpointer_stop(checkpointer);
        checkpointer = NULL;
        uint32_t frames, copied;
        commit_pages(24);
        /* 1,500 pages committed: the log was copied back at 1,000 and started over. */
        wal_state(&frames, &copied);
        cr_assert_lt(frames, 1000, "%u frames in the log", frames);
}
