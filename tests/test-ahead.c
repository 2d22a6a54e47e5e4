/* Work done ahead in a second thread (ahead.h): each item prepared once, by the thread or by the
 * reader, never far ahead of the reader, and a stop in the middle waits for nothing more. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdatomic.h>
#include <time.h>

#include "ahead.h"
#include "util.h"

struct work {
        size_t n;
        atomic_int *times;     /* by item: how often it was prepared */
        atomic_size_t asked;   /* the reader's last item, as the reader saw it */
        atomic_size_t farthest; /* how far past the reader the thread ever prepared */
        long pause_ns;         /* of each preparation */
};

static void pause_for(long ns) {
        if (ns > 0)
                nanosleep(&(struct timespec) {.tv_nsec = ns}, NULL);
}

/* Count a preparation of item i, and how far past the reader it is. */
static void record(struct work *w, size_t i) {
        size_t asked = atomic_load(&w->asked);
        size_t past = i > asked ? i - asked : 0;
        size_t far = atomic_load(&w->farthest);
        while (past > far && !atomic_compare_exchange_weak(&w->farthest, &far, past))
                ;
        atomic_fetch_add(&w->times[i], 1);
}

/* The thread's preparation, pause_ns long: an item in the thread's hands is not ready until its end. */
static void prepare(void *userdata, size_t i) {
        struct work *w = userdata;
        pause_for(w->pause_ns);
        record(w, i);
}

static void work_init(struct work *w, size_t n, long pause_ns) {
        *w = (struct work) {.n = n, .times = xcalloc(n, sizeof(atomic_int)), .pause_ns = pause_ns};
}

/* Read items 0..n-1 (every step-th), preparing those the thread has not; returns how many it took. An
 * item the thread took is ready when the reader is told so, even if the reader came to it while it was
 * in the thread's hands. */
static size_t read_items(struct ahead *a, struct work *w, size_t step, long reader_pause_ns) {
        size_t by_thread = 0;
        for (size_t i = 0; i < w->n; i += step) {
                atomic_store(&w->asked, i);
                bool taken = ahead_taken(a, i);
                if (taken) {
                        by_thread++;
                        cr_assert_eq(atomic_load(&w->times[i]), 1, "item %zu is ready when the thread had it", i);
                } else {
                        record(w, i);
                }
                cr_assert_eq(ahead_taken(a, i), taken, "item %zu asked for again gives the same answer", i);
                pause_for(reader_pause_ns);
        }
        return by_thread;
}

Test(ahead, every_item_is_prepared_once_by_one_of_the_two) {
        for (int round = 0; round < 3; round++) {
                struct work w;
                /* A slow reader, then a slow thread, then both quick. */
                long reader = round == 0 ? 20000 : 0, thread = round == 1 ? 20000 : 0;
                work_init(&w, 3000, thread);
                struct ahead *a = ahead_start(w.n, 64, prepare, &w);
                cr_assert_not_null(a);
                if (round == 1)
                        pause_for(1000000); /* the reader then meets an item in the thread's hands */
                size_t by_thread = read_items(a, &w, 1, reader);
                ahead_stop(a);
                for (size_t i = 0; i < w.n; i++)
                        cr_assert_eq(atomic_load(&w.times[i]), 1, "round %d: item %zu prepared %d times", round, i,
                                     atomic_load(&w.times[i]));
                cr_assert_leq(by_thread, w.n);
                free(w.times);
        }
}

Test(ahead, the_thread_keeps_within_its_window) {
        struct work w;
        work_init(&w, 2000, 0);
        struct ahead *a = ahead_start(w.n, 100, prepare, &w);
        cr_assert_not_null(a);
        read_items(a, &w, 1, 50000);
        ahead_stop(a);
        cr_assert_leq(atomic_load(&w.farthest), 100, "prepared %zu items past the reader",
                      atomic_load(&w.farthest));
        cr_assert_geq(atomic_load(&w.farthest), 50, "the thread does run ahead");
        free(w.times);
}

Test(ahead, skipped_items_are_not_prepared_and_a_stop_ends_the_work) {
        struct work w;
        work_init(&w, 5000, 0);
        struct ahead *a = ahead_start(w.n, 64, prepare, &w);
        cr_assert_not_null(a);
        /* Every third item up to 1,500, then stop. */
        for (size_t i = 0; i < 1500; i += 3) {
                atomic_store(&w.asked, i);
                if (!ahead_taken(a, i))
                        record(&w, i);
        }
        ahead_stop(a);
        size_t prepared = 0;
        for (size_t i = 0; i < w.n; i++) {
                cr_assert_leq(atomic_load(&w.times[i]), 1);
                prepared += (size_t) atomic_load(&w.times[i]);
                if (i < 1500 && i % 3 == 0)
                        cr_assert_eq(atomic_load(&w.times[i]), 1, "item %zu was asked for", i);
        }
        cr_assert_leq(prepared, 1500 + 64 + 1, "nothing is prepared far past the stop (%zu)", prepared);
        free(w.times);
}
