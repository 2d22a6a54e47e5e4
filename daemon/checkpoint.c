/* WAL checkpoints in a thread of their own, once a burst of commits is over. */
#include "config.h"

#include <pthread.h>
#include <time.h>

#include "checkpoint.h"
#include "log.h"
#include "util.h"

#define CHECKPOINT_PAGES 1000       /* SQLite's own threshold */
#define CHECKPOINT_MAX_PAGES 32768  /* 128 MiB of log with 4 KiB pages: copied back even in a long burst */
#define CHECKPOINT_QUIET_MSEC 200   /* no commit for that long: the burst is over */

struct checkpointer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct store *store;   /* the thread's own connection */
        struct store *watched; /* whose commits it checkpoints */
        /* under lock: */
        int pages;             /* in the log at the last commit */
        struct timespec last;  /* CLOCK_MONOTONIC of the last commit */
        bool wanted, stop;
};

static struct timespec after_msec(struct timespec t, long msec) {
        t.tv_nsec += msec * 1000000L;
        t.tv_sec += t.tv_nsec / 1000000000L;
        t.tv_nsec %= 1000000000L;
        return t;
}

static bool before(struct timespec a, struct timespec b) {
        return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

/* sqlite3_wal_hook: called in the committing thread after each commit, with the pages in the log. It
 * only takes note, and wakes the thread when the log first grows past the threshold. */
static int on_commit(void *userdata, sqlite3 *db _unused_, const char *name _unused_, int pages) {
        struct checkpointer *c = userdata;
        pthread_mutex_lock(&c->lock);
        c->pages = pages;
        clock_gettime(CLOCK_MONOTONIC, &c->last);
        if (pages >= CHECKPOINT_PAGES && (!c->wanted || pages >= CHECKPOINT_MAX_PAGES)) {
                c->wanted = true;
                pthread_cond_signal(&c->wake);
        }
        pthread_mutex_unlock(&c->lock);
        return SQLITE_OK;
}

/* Wait for a log to copy back, and for the commits to pause (not past the maximum); false when stopping. */
static bool wait_for_work(struct checkpointer *c) {
        pthread_mutex_lock(&c->lock);
        for (;;) {
                if (c->stop)
                        break;
                if (!c->wanted) {
                        pthread_cond_wait(&c->wake, &c->lock);
                        continue;
                }
                struct timespec quiet = after_msec(c->last, CHECKPOINT_QUIET_MSEC), now;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (c->pages >= CHECKPOINT_MAX_PAGES || !before(now, quiet))
                        break;
                pthread_cond_timedwait(&c->wake, &c->lock, &quiet);
        }
        bool go = !c->stop;
        c->wanted = false;
        pthread_mutex_unlock(&c->lock);
        return go;
}

static void *checkpointer_main(void *userdata) {
        struct checkpointer *c = userdata;
        while (wait_for_work(c)) {
                int log_pages = 0, copied = 0;
                /* PASSIVE: copies what no reader still needs, without waiting for anyone or blocking the
                 * writer, who goes on appending; the log starts over from its beginning once all of it is
                 * copied. */
                int rc = sqlite3_wal_checkpoint_v2(store_db(c->store), NULL, SQLITE_CHECKPOINT_PASSIVE, &log_pages,
                                                   &copied);
                if (rc != SQLITE_OK && rc != SQLITE_BUSY)
                        store_error(c->store, "cannot copy the write-ahead log back into the database");
                else
                        log_debug("checkpoint: %d of %d pages of the write-ahead log copied back", copied, log_pages);
        }
        return NULL;
}

int checkpointer_start(struct store *s, struct checkpointer **ret) {
        struct checkpointer *c = xcalloc(1, sizeof(*c));
        int r = store_open(store_path(s), 0, &c->store);
        if (r < 0) {
                free(c);
                return r;
        }
        store_set_cache_size(c->store, -64); /* a checkpoint copies pages without keeping them */
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&c->wake, &attr);
        pthread_condattr_destroy(&attr);
        pthread_mutex_init(&c->lock, NULL);
        clock_gettime(CLOCK_MONOTONIC, &c->last);
        r = -pthread_create(&c->thread, NULL, checkpointer_main, c);
        if (r < 0) {
                log_error_errno(r, "cannot start the checkpoint thread: %m");
                store_close(c->store);
                pthread_cond_destroy(&c->wake);
                pthread_mutex_destroy(&c->lock);
                free(c);
                return r;
        }
        pthread_setname_np(c->thread, "merzimd-ckpt");
        /* Replaces SQLite's automatic checkpoint on this connection. */
        sqlite3_wal_hook(store_db(s), on_commit, c);
        c->watched = s;
        *ret = c;
        return 0;
}

void checkpointer_stop(struct checkpointer *c) {
        if (!c)
                return;
        /* Back to SQLite's automatic checkpoints, for whatever the connection still commits. */
        sqlite3_wal_autocheckpoint(store_db(c->watched), CHECKPOINT_PAGES);
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
        store_close(c->store);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
}
