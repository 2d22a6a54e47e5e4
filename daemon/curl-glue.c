/* libcurl's multi interface driven by sd-event: curl tells which sockets to watch and when to call it
 * back (CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION); the event loop calls curl_multi_socket_action
 * when a socket is ready or the timer expires, and finished transfers are handed back. */
#include "config.h"

#include <sys/epoll.h>
#include <time.h>

#include "curl-glue.h"
#include "log.h"
#include "util.h"

/* How late the timer may fire: curl's "now" (0 ms) must not wait for sd-event to coalesce wake-ups
 * (its default accuracy is 250 ms, and even 1 ms costs a millisecond on every transfer). */
#define TIMER_ACCURACY_USEC 1

/* One running transfer. */
struct transfer {
        struct transfer *prev, *next;
        CURL *easy;
        curl_glue_done_fn done;
        void *userdata;
        char *caller_private; /* the easy handle's CURLOPT_PRIVATE before it was added */
};

/* One socket curl wants watched. */
struct watched_socket {
        struct watched_socket *prev, *next;
        sd_event_source *source;
};

struct curl_glue {
        sd_event *event;
        CURLM *multi;
        sd_event_source *timer; /* one one-shot timer, re-armed whenever curl asks */
        sd_event_source *now;   /* curl's "at once": the next loop iteration, without a timerfd */
        struct transfer *transfers;
        struct watched_socket *sockets;
        size_t in_flight;
        bool closing;
};

/* The epoll events for what curl wants to know about a socket. */
static uint32_t epoll_events(int what) {
        uint32_t events = 0;
        if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
                events |= EPOLLIN;
        if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
                events |= EPOLLOUT;
        return events;
}

/* What to tell curl about a socket epoll found ready. */
static int curl_select_bits(uint32_t revents) {
        int action = 0;
        if (revents & (EPOLLIN | EPOLLHUP))
                action |= CURL_CSELECT_IN;
        if (revents & EPOLLOUT)
                action |= CURL_CSELECT_OUT;
        if (revents & EPOLLERR)
                action |= CURL_CSELECT_ERR;
        return action;
}

/* Hand a finished transfer back to its owner. */
static void transfer_finish(struct curl_glue *g, struct transfer *t, CURLcode result) {
        if (t->prev)
                t->prev->next = t->next;
        else
                g->transfers = t->next;
        if (t->next)
                t->next->prev = t->prev;
        g->in_flight--;

        CURL *easy = t->easy;
        curl_glue_done_fn done = t->done;
        void *userdata = t->userdata;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, t->caller_private);
        free(t);
        done(g, easy, result, userdata);
}

/* Hand back every transfer curl has finished. */
static void collect_finished(struct curl_glue *g) {
        CURLMsg *msg;
        int queued;
        while ((msg = curl_multi_info_read(g->multi, &queued))) {
                if (msg->msg != CURLMSG_DONE)
                        continue;
                /* msg does not survive curl_multi_remove_handle. */
                CURL *easy = msg->easy_handle;
                CURLcode result = msg->data.result;
                char *tag = NULL;
                if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &tag) != CURLE_OK || !tag) {
                        log_warning("curl finished a transfer it was not given");
                        continue;
                }
                curl_multi_remove_handle(g->multi, easy);
                transfer_finish(g, (struct transfer *) tag, result);
        }
}

/* Let curl act on a ready socket, or on its timeout with CURL_SOCKET_TIMEOUT, then collect. */
static void socket_action(struct curl_glue *g, curl_socket_t fd, int action) {
        int running;
        CURLMcode c = curl_multi_socket_action(g->multi, fd, action, &running);
        if (c != CURLM_OK)
                log_warning("curl_multi_socket_action failed: %s", curl_multi_strerror(c));
        collect_finished(g);
}

/* A socket curl watches is ready. */
static int on_socket_ready(sd_event_source *s _unused_, int fd, uint32_t revents, void *userdata) {
        socket_action(userdata, fd, curl_select_bits(revents));
        return 0; /* an error would disable the source */
}

/* curl's timeout has come. */
static int on_timer(sd_event_source *s _unused_, uint64_t usec _unused_, void *userdata) {
        socket_action(userdata, CURL_SOCKET_TIMEOUT, 0);
        return 0;
}

static int on_now(sd_event_source *s _unused_, void *userdata) {
        socket_action(userdata, CURL_SOCKET_TIMEOUT, 0);
        return 0;
}

/* Stop watching a socket. */
static void unwatch(struct curl_glue *g, struct watched_socket *w) {
        if (w->prev)
                w->prev->next = w->next;
        else
                g->sockets = w->next;
        if (w->next)
                w->next->prev = w->prev;
        sd_event_source_disable_unref(w->source);
        free(w);
}

/* Start watching a socket for curl. */
static int watch(struct curl_glue *g, curl_socket_t fd, uint32_t events, struct watched_socket **ret) {
        struct watched_socket *w = xcalloc(1, sizeof(*w));
        int r = sd_event_add_io(g->event, &w->source, fd, events, on_socket_ready, g);
        if (r < 0) {
                free(w);
                return r;
        }
        (void) sd_event_source_set_description(w->source, "curl-socket");
        w->next = g->sockets;
        if (w->next)
                w->next->prev = w;
        g->sockets = w;
        *ret = w;
        return 0;
}

/* CURLMOPT_SOCKETFUNCTION: curl says which events it wants on a socket, or that it is done with it. */
static int on_curl_socket(CURL *easy _unused_, curl_socket_t fd, int what, void *userdata, void *socketp) {
        struct curl_glue *g = userdata;
        struct watched_socket *w = socketp;
        int r;

        if (what == CURL_POLL_REMOVE) {
                if (w)
                        unwatch(g, w);
                return 0;
        }
        if (w) {
                r = sd_event_source_set_io_events(w->source, epoll_events(what));
                if (r < 0) {
                        log_error_errno(r, "Failed to change the events watched on curl socket %d: %m", (int) fd);
                        return -1;
                }
                return 0;
        }
        r = watch(g, fd, epoll_events(what), &w);
        if (r < 0) {
                log_error_errno(r, "Failed to watch curl socket %d: %m", (int) fd);
                return -1;
        }
        CURLMcode c = curl_multi_assign(g->multi, fd, w);
        if (c != CURLM_OK) {
                unwatch(g, w);
                log_error("Failed to remember curl socket %d: %s", (int) fd, curl_multi_strerror(c));
                return -1;
        }
        return 0;
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called in timeout_ms (0: as soon as possible; -1: never). */
static int on_curl_timer(CURLM *multi _unused_, long timeout_ms, void *userdata) {
        struct curl_glue *g = userdata;
        int r;

        if (g->now)
                (void) sd_event_source_set_enabled(g->now, SD_EVENT_OFF);
        if (timeout_ms < 0) {
                if (g->timer)
                        (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
                return 0;
        }
        /* "At once" comes with every transfer started: a defer source costs no system call. */
        if (timeout_ms == 0 && g->now) {
                if (g->timer)
                        (void) sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
                r = sd_event_source_set_enabled(g->now, SD_EVENT_ONESHOT);
                if (r < 0) {
                        log_error_errno(r, "Failed to schedule curl: %m");
                        return -1;
                }
                return 0;
        }
        uint64_t usec = (uint64_t) timeout_ms * 1000;
        if (!g->timer) {
                r = sd_event_add_time_relative(g->event, &g->timer, CLOCK_MONOTONIC, usec, TIMER_ACCURACY_USEC,
                                               on_timer, g);
                if (r >= 0)
                        (void) sd_event_source_set_description(g->timer, "curl-timer");
        } else {
                r = sd_event_source_set_time_relative(g->timer, usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_error_errno(r, "Failed to arm the curl timer: %m");
                return -1;
        }
        return 0;
}

int curl_glue_new(sd_event *event, struct curl_glue **ret) {
        if (!event)
                return -EINVAL;
        CURLM *multi = curl_multi_init();
        if (!multi)
                return -ENOMEM;

        struct curl_glue *g = xcalloc(1, sizeof(*g));
        g->event = sd_event_ref(event);
        g->multi = multi;
        if (sd_event_add_defer(event, &g->now, on_now, g) < 0 ||
            sd_event_source_set_enabled(g->now, SD_EVENT_OFF) < 0) {
                curl_glue_free(g);
                return -ENOMEM;
        }
        (void) sd_event_source_set_description(g->now, "curl-now");
        if (curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
            curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, g) != CURLM_OK ||
            curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
            curl_multi_setopt(multi, CURLMOPT_TIMERDATA, g) != CURLM_OK) {
                curl_glue_free(g);
                return -EINVAL;
        }
        *ret = g;
        return 0;
}

int curl_glue_add(struct curl_glue *g, CURL *easy, curl_glue_done_fn done, void *userdata) {
        if (!g || !easy || !done)
                return -EINVAL;
        if (g->closing)
                return -ECANCELED;

        struct transfer *t = xcalloc(1, sizeof(*t));
        *t = (struct transfer) {.easy = easy, .done = done, .userdata = userdata};
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &t->caller_private) != CURLE_OK)
                t->caller_private = NULL;
        curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *) t);

        /* This only asks for the timer: the transfer starts, and may finish, from the event loop. */
        CURLMcode c = curl_multi_add_handle(g->multi, easy);
        if (c != CURLM_OK) {
                curl_easy_setopt(easy, CURLOPT_PRIVATE, t->caller_private);
                free(t);
                return c == CURLM_OUT_OF_MEMORY ? -ENOMEM : c == CURLM_ADDED_ALREADY ? -EBUSY : -EINVAL;
        }
        t->next = g->transfers;
        if (t->next)
                t->next->prev = t;
        g->transfers = t;
        g->in_flight++;
        return 0;
}

size_t curl_glue_in_flight(const struct curl_glue *g) {
        return g ? g->in_flight : 0;
}

void curl_glue_keep_connections(struct curl_glue *g, long n) {
        curl_multi_setopt(g->multi, CURLMOPT_MAXCONNECTS, n);
}

void curl_glue_set_max_host_connections(struct curl_glue *g, long n) {
        curl_multi_setopt(g->multi, CURLMOPT_MAX_HOST_CONNECTIONS, n);
}

void curl_glue_free(struct curl_glue *g) {
        if (!g)
                return;
        g->closing = true;
        while (g->transfers) {
                struct transfer *t = g->transfers;
                curl_multi_remove_handle(g->multi, t->easy);
                transfer_finish(g, t, CURLE_ABORTED_BY_CALLBACK);
        }
        /* Closing the cached connections may still call on_curl_socket; g must be whole until then. */
        curl_multi_cleanup(g->multi);
        while (g->sockets)
                unwatch(g, g->sockets);
        sd_event_source_disable_unref(g->timer);
        sd_event_source_disable_unref(g->now);
        sd_event_unref(g->event);
        free(g);
}
