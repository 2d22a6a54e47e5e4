/* Work done ahead in a second thread: see ahead.h. The thread and the reader both take items through
 * one counter, the first item nobody has taken, each by compare-and-swap: the thread one item at a
 * time, the reader by moving it past the item it needs if the thread has not come to it. An item the
 * thread took is waited for: it is the one in the thread's hands, a few microseconds of work. The
 * thread keeps within a window of the reader, so that what it prepares is not all held at once. */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "ahead.h"
#include "util.h"

#define SPINS_BEFORE_YIELD 1000 /* the thread may have lost its core: then let it have this one */

struct ahead {
        pthread_t thread;
        size_t n, window;
        void (*prepare)(void *userdata, size_t i);
        void *userdata;
        atomic_size_t next;  /* the first item nobody has taken */
        atomic_size_t asked; /* the last item the reader asked for */
        atomic_bool stop;
        atomic_uchar *state; /* by item, ITEM_* */
        /* The thread, a window ahead of the reader, waits for it here. */
        pthread_mutex_t lock;
        pthread_cond_t moved;
        atomic_size_t waiting_for; /* the item the thread waits to prepare, or SIZE_MAX */
};

enum {
        ITEM_OPEN,    /* not prepared yet, or in the thread's hands */
        ITEM_THREADS, /* prepared by the thread */
        ITEM_CALLERS, /* taken by the caller, or skipped */
};

/* Wait while item i is a window or more ahead of the reader, until it is half a window ahead: the
 * reader wakes the thread once per half window, not for every item. waiting_for and asked are
 * sequentially consistent: either the reader sees what the thread waits for and wakes it (under the
 * lock, so not before it sleeps), or the thread sees the reader's move and does not sleep. */
static void keep_within_window(struct ahead *a, size_t i) {
        if (i < atomic_load(&a->asked) + a->window)
                return;
        pthread_mutex_lock(&a->lock);
        atomic_store(&a->waiting_for, i);
        while (i >= atomic_load(&a->asked) + a->window / 2 && !atomic_load(&a->stop))
                pthread_cond_wait(&a->moved, &a->lock);
        atomic_store(&a->waiting_for, SIZE_MAX);
        pthread_mutex_unlock(&a->lock);
}

static void *ahead_main(void *p) {
        struct ahead *a = p;
        while (!atomic_load_explicit(&a->stop, memory_order_relaxed)) {
                size_t i = atomic_load(&a->next);
                if (i >= a->n)
                        break;
                /* Not taken before the window allows it: the reader takes what the thread waits for. */
                keep_within_window(a, i);
                if (!atomic_compare_exchange_strong(&a->next, &i, i + 1))
                        continue;
                a->prepare(a->userdata, i); /* taken: prepared even if told to stop meanwhile */
                atomic_store_explicit(&a->state[i], ITEM_THREADS, memory_order_release);
        }
        return NULL;
}

struct ahead *ahead_start(size_t n, size_t window, void (*prepare)(void *userdata, size_t i), void *userdata) {
        struct ahead *a = xcalloc(1, sizeof(*a));
        *a = (struct ahead) {.n = n, .window = window >= 2 ? window : 2, .prepare = prepare, .userdata = userdata};
        a->state = xcalloc(n + 1, sizeof(atomic_uchar));
        for (size_t i = 0; i < n; i++)
                atomic_init(&a->state[i], ITEM_OPEN);
        atomic_init(&a->next, 0);
        atomic_init(&a->asked, 0);
        atomic_init(&a->stop, false);
        atomic_init(&a->waiting_for, SIZE_MAX);
        pthread_mutex_init(&a->lock, NULL);
        pthread_cond_init(&a->moved, NULL);
        if (pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
                pthread_cond_destroy(&a->moved);
                pthread_mutex_destroy(&a->lock);
                free(a->state);
                free(a);
                return NULL;
        }
        return a;
}

static void wake(struct ahead *a) {
        size_t waiting_for = atomic_load(&a->waiting_for);
        if (waiting_for == SIZE_MAX || waiting_for >= atomic_load(&a->asked) + a->window / 2)
                return;
        pthread_mutex_lock(&a->lock);
        pthread_cond_signal(&a->moved);
        pthread_mutex_unlock(&a->lock);
}

bool ahead_taken(struct ahead *a, size_t i) {
        if (!a || i >= a->n)
                return false;
        if (i > atomic_load_explicit(&a->asked, memory_order_relaxed)) {
                atomic_store(&a->asked, i);
                wake(a);
        }
        size_t next = atomic_load(&a->next);
        while (next <= i)
                if (atomic_compare_exchange_weak(&a->next, &next, i + 1)) {
                        /* The caller's now; those before it that nobody took are skipped. */
                        for (size_t j = next; j <= i; j++)
                                atomic_store_explicit(&a->state[j], ITEM_CALLERS, memory_order_relaxed);
                        return false;
                }
        for (unsigned spins = 0;; spins++) {
                unsigned char state = atomic_load_explicit(&a->state[i], memory_order_acquire);
                if (state != ITEM_OPEN)
                        return state == ITEM_THREADS;
                if (spins >= SPINS_BEFORE_YIELD)
                        sched_yield();
        }
}

void ahead_stop(struct ahead *a) {
        if (!a)
                return;
        atomic_store(&a->stop, true);
        pthread_mutex_lock(&a->lock);
        pthread_cond_signal(&a->moved);
        pthread_mutex_unlock(&a->lock);
        pthread_join(a->thread, NULL);
        pthread_cond_destroy(&a->moved);
        pthread_mutex_destroy(&a->lock);
        free(a->state);
        free(a);
}
