/* The slow-client guard of merzimd's HTTP interface: a deadline for every request to arrive whole. */
#include "config.h"

#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "http-guard.h"
#include "log.h"
#include "util.h"

struct http_guard {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        /* Waiting connections, oldest first: each joins at the tail with the time it began waiting, so
         * that the head always has the earliest deadline. */
        struct guarded_connection *head, *tail;
        unsigned open, limit;
        uint64_t cut;
        bool stopping;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

/* Take c out of the waiting list (the lock is held). */
static void unlink_waiting(struct http_guard *g, struct guarded_connection *c) {
        if (!c->waiting)
                return;
        *(c->prev ? &c->prev->next : &g->head) = c->next;
        *(c->next ? &c->next->prev : &g->tail) = c->prev;
        c->prev = c->next = NULL;
        c->waiting = false;
}

/* Put c at the end of the waiting list, waiting from now (the lock is held). */
static void link_waiting(struct http_guard *g, struct guarded_connection *c) {
        unlink_waiting(g, c);
        if (c->cut)
                return;
        c->since = now_usec();
        c->prev = g->tail;
        *(g->tail ? &g->tail->next : &g->head) = c;
        g->tail = c;
        c->waiting = true;
        if (c == g->head)
                pthread_cond_signal(&g->wake);
}

/* How long a connection may wait for its request now: less when many are taken. */
static uint64_t allowed_usec(const struct http_guard *g) {
        return (g->open > g->limit / 2 ? HTTP_GUARD_BUSY_SECONDS : HTTP_GUARD_SECONDS) * 1000000ULL;
}

/* The guard's thread: sleep until the earliest deadline, shut down what is past it. */
static void *guard_main(void *userdata) {
        struct http_guard *g = userdata;
        pthread_mutex_lock(&g->lock);
        while (!g->stopping) {
                uint64_t now = now_usec(), allowed = allowed_usec(g);
                struct guarded_connection *c = g->head;
                if (c && c->since + allowed <= now) {
                        /* The socket is libmicrohttpd's until it tells the guard it closed it, which takes
                         * this lock: it is still open here. Its next read sees the end. */
                        shutdown(c->fd, SHUT_RDWR);
                        c->cut = true;
                        g->cut++;
                        unlink_waiting(g, c);
                        continue;
                }
                if (!c) {
                        pthread_cond_wait(&g->wake, &g->lock);
                        continue;
                }
                /* Wake at the head's deadline, or sooner if connections pile up (the deadline shortens). */
                uint64_t at = c->since + allowed;
                uint64_t wait = at - now < 500000 ? at - now : 500000;
                struct timespec ts;
                clock_gettime(CLOCK_MONOTONIC, &ts);
                uint64_t nsec = (uint64_t) ts.tv_nsec + wait * 1000;
                ts.tv_sec += (time_t) (nsec / 1000000000ULL);
                ts.tv_nsec = (long) (nsec % 1000000000ULL);
                pthread_cond_timedwait(&g->wake, &g->lock, &ts);
        }
        pthread_mutex_unlock(&g->lock);
        return NULL;
}

int http_guard_new(unsigned connection_limit, struct http_guard **ret) {
        struct http_guard *g = xcalloc(1, sizeof(*g));
        g->limit = connection_limit;
        pthread_mutex_init(&g->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&g->wake, &attr);
        pthread_condattr_destroy(&attr);
        int r = pthread_create(&g->thread, NULL, guard_main, g);
        if (r != 0) {
                pthread_cond_destroy(&g->wake);
                pthread_mutex_destroy(&g->lock);
                free(g);
                return log_error_errno(-r, "http: cannot start the slow-client guard: %s", strerror(r));
        }
        *ret = g;
        return 0;
}

void http_guard_free(struct http_guard *g) {
        if (!g)
                return;
        pthread_mutex_lock(&g->lock);
        g->stopping = true;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->thread, NULL);
        pthread_cond_destroy(&g->wake);
        pthread_mutex_destroy(&g->lock);
        free(g);
}

struct guarded_connection *http_guard_opened(struct http_guard *g, int fd) {
        struct guarded_connection *c = xcalloc(1, sizeof(*c));
        c->fd = fd;
        pthread_mutex_lock(&g->lock);
        g->open++;
        link_waiting(g, c);
        pthread_mutex_unlock(&g->lock);
        return c;
}

void http_guard_closed(struct http_guard *g, struct guarded_connection *c) {
        if (!c)
                return;
        pthread_mutex_lock(&g->lock);
        unlink_waiting(g, c);
        g->open--;
        pthread_mutex_unlock(&g->lock);
        free(c);
}

void http_guard_request_whole(struct http_guard *g, struct guarded_connection *c) {
        if (!c)
                return;
        pthread_mutex_lock(&g->lock);
        unlink_waiting(g, c);
        pthread_mutex_unlock(&g->lock);
}

void http_guard_request_answered(struct http_guard *g, struct guarded_connection *c) {
        if (!c)
                return;
        pthread_mutex_lock(&g->lock);
        link_waiting(g, c);
        pthread_mutex_unlock(&g->lock);
}

uint64_t http_guard_cut_count(struct http_guard *g) {
        pthread_mutex_lock(&g->lock);
        uint64_t n = g->cut;
        pthread_mutex_unlock(&g->lock);
        return n;
}
