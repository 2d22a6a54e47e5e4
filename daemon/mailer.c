/* E-mail sessions, each in a thread of its own: a shared queue of transfers, sessions that take them
 * one at a time on the connection they keep (a curl share of one connection), and the results handed
 * back to the caller's event loop through an eventfd. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "delivery.h"
#include "log.h"
#include "mailer.h"
#include "util.h"

#define MAX_SESSIONS 64
#define SESSION_SOCKETS 4 /* sockets a session may have open at once: one, two while it reconnects */

struct job {
        CURL *easy;
        struct mail_job *mail;
        mailer_done_fn done;
        void *userdata;
        CURLcode result;
        struct job *next;
};

/* One SMTP session: a thread, and the connection it keeps between messages. */
struct session {
        struct mailer *mailer;
        size_t index;
        pthread_t thread;
        CURLSH *share;             /* holds the session's connection between transfers */
        bool open;                 /* a message went through on it and the connection was kept */
        struct timespec idle_until; /* CLOCK_MONOTONIC: then it is closed */
        curl_socket_t sockets[SESSION_SOCKETS]; /* open, as curl opened and closed them (-1: free) */
};

struct mailer {
        pthread_mutex_t lock;
        pthread_cond_t wake;            /* work, new limits, or stop */
        struct job *queue, *queue_tail; /* under lock: waiting for a session, oldest first */
        size_t queued;                  /* under lock: how many */
        size_t waiting_open;            /* under lock: sessions with a connection, waiting for work */
        struct job *finished;           /* under lock: done, for the caller's loop */
        bool stop;                      /* under lock */
        size_t max;                     /* under lock: sessions that may take work */
        int idle_seconds;               /* under lock */
        atomic_bool abort;              /* read by the transfers' progress callbacks */
        atomic_size_t open_sessions;
        struct session *sessions[MAX_SESSIONS];
        size_t n_sessions;              /* threads started (changed by the caller's thread only) */
        int wake_main;                  /* eventfd: results are waiting */
        sd_event_source *finished_source;
};

/* Reverse a list taken whole, so that jobs are handled in the order they came. */
static struct job *reverse(struct job *j) {
        struct job *out = NULL;
        while (j) {
                struct job *next = j->next;
                j->next = out;
                out = j;
                j = next;
        }
        return out;
}

/* CURLOPT_XFERINFOFUNCTION: a transfer stops when the mailer does (curl asks at least once a second,
 * even while it waits for an answer). */
static int on_progress(void *userdata, curl_off_t dltotal _unused_, curl_off_t dlnow _unused_,
                       curl_off_t ultotal _unused_, curl_off_t ulnow _unused_) {
        struct mailer *m = userdata;
        return atomic_load(&m->abort) ? 1 : 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: open the socket for curl and remember it. */
static curl_socket_t on_open_socket(void *userdata, curlsocktype purpose _unused_, struct curl_sockaddr *a) {
        struct session *s = userdata;
        curl_socket_t fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
        for (size_t i = 0; fd != CURL_SOCKET_BAD && i < SESSION_SOCKETS; i++)
                if (s->sockets[i] == CURL_SOCKET_BAD) {
                        s->sockets[i] = fd;
                        break;
                }
        return fd;
}

/* CURLOPT_CLOSESOCKETFUNCTION: curl is done with a socket. */
static int on_close_socket(void *userdata, curl_socket_t fd) {
        struct session *s = userdata;
        for (size_t i = 0; i < SESSION_SOCKETS; i++)
                if (s->sockets[i] == fd)
                        s->sockets[i] = CURL_SOCKET_BAD;
        return close(fd);
}

/* Close the session's connection: with QUIT if it is still up, or, hard, at once (after a transfer
 * stopped half-way, the relay may still be busy with it: it must not hold the stop for the length of
 * a timeout waiting for the answer to QUIT). */
static void session_close(struct session *s, bool hard) {
        if (hard)
                for (size_t i = 0; i < SESSION_SOCKETS; i++)
                        if (s->sockets[i] != CURL_SOCKET_BAD)
                                shutdown(s->sockets[i], SHUT_RDWR);
        if (s->share) {
                /* curl sends QUIT and waits for the answer, within the transfers' time limits. */
                curl_share_cleanup(s->share);
                s->share = NULL;
        }
        if (s->open) {
                s->open = false;
                atomic_fetch_sub(&s->mailer->open_sessions, 1);
        }
}

/* A new, empty session: the share that will hold its connection. */
static int session_begin(struct session *s) {
        s->share = curl_share_init();
        if (!s->share)
                return -ENOMEM;
        if (curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
                curl_share_cleanup(s->share);
                s->share = NULL;
                return -EOPNOTSUPP;
        }
        return 0;
}

/* Run one transfer on the session's connection (or the new one curl opens for it). */
static CURLcode session_perform(struct session *s, struct job *j) {
        if (!s->share && session_begin(s) < 0)
                return CURLE_OUT_OF_MEMORY;
        if (curl_easy_setopt(j->easy, CURLOPT_SHARE, s->share) != CURLE_OK)
                return CURLE_FAILED_INIT;
        curl_easy_setopt(j->easy, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(j->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(j->easy, CURLOPT_XFERINFODATA, s->mailer);
        curl_easy_setopt(j->easy, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
        curl_easy_setopt(j->easy, CURLOPT_OPENSOCKETDATA, s);
        curl_easy_setopt(j->easy, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
        curl_easy_setopt(j->easy, CURLOPT_CLOSESOCKETDATA, s);
        CURLcode code = curl_easy_perform(j->easy);
        curl_easy_setopt(j->easy, CURLOPT_SHARE, NULL);
        curl_easy_setopt(j->easy, CURLOPT_NOPROGRESS, 1L);
        curl_easy_setopt(j->easy, CURLOPT_XFERINFOFUNCTION, NULL);
        curl_easy_setopt(j->easy, CURLOPT_XFERINFODATA, NULL);
        return code;
}

/* Send one message. A failure on a reused session the relay had already closed is not the message's:
 * it goes again at once on a new session, and only that try counts. After any failure the session is
 * closed: a relay that refused a message may take no other on it (Postfix answers "503 5.5.1 nested
 * MAIL command" until a RSET that libcurl never sends). */
static void session_send(struct session *s, struct job *j, int idle_seconds) {
        bool reused = s->open;
        CURLcode code = session_perform(s, j);
        if (code != CURLE_OK && reused && mail_session_lost(j->mail, j->easy, code)) {
                log_debug("mail session %zu was closed by the relay; sending the message again on a new one",
                          s->index);
                session_close(s, false);
                mail_job_rewind(j->mail);
                code = session_perform(s, j);
        }
        j->result = code;
        if (code != CURLE_OK || idle_seconds == 0) {
                session_close(s, code == CURLE_ABORTED_BY_CALLBACK);
                return;
        }
        if (!s->open) {
                s->open = true;
                atomic_fetch_add(&s->mailer->open_sessions, 1);
        }
        clock_gettime(CLOCK_MONOTONIC, &s->idle_until);
        s->idle_until.tv_sec += idle_seconds;
}

/* Whether a CLOCK_MONOTONIC instant has passed. */
static bool passed(const struct timespec *t) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void *session_main(void *userdata) {
        struct session *s = userdata;
        struct mailer *m = s->mailer;
        pthread_mutex_lock(&m->lock);
        while (!m->stop) {
                bool active = s->index < m->max;
                /* A session with a connection open takes work first: no new connection while one
                 * waits idle. */
                if (active && m->queue && (s->open || m->queued > m->waiting_open)) {
                        struct job *j = m->queue;
                        m->queue = j->next;
                        m->queued--;
                        if (!m->queue)
                                m->queue_tail = NULL;
                        int idle = m->idle_seconds;
                        pthread_mutex_unlock(&m->lock);
                        session_send(s, j, idle);
                        pthread_mutex_lock(&m->lock);
                        j->next = m->finished;
                        m->finished = j;
                        (void) eventfd_write(m->wake_main, 1);
                } else if (s->open && (!active || passed(&s->idle_until))) {
                        pthread_mutex_unlock(&m->lock);
                        session_close(s, false);
                        pthread_mutex_lock(&m->lock);
                        pthread_cond_broadcast(&m->wake); /* work it left may go to another session */
                } else if (s->open) {
                        m->waiting_open++;
                        pthread_cond_timedwait(&m->wake, &m->lock, &s->idle_until);
                        m->waiting_open--;
                } else {
                        pthread_cond_wait(&m->wake, &m->lock);
                }
        }
        pthread_mutex_unlock(&m->lock);
        session_close(s, false);
        return NULL;
}

/* In the caller's loop: call done for every transfer the sessions handed back. */
static void take_finished(struct mailer *m) {
        pthread_mutex_lock(&m->lock);
        struct job *jobs = reverse(m->finished);
        m->finished = NULL;
        pthread_mutex_unlock(&m->lock);
        while (jobs) {
                struct job *j = jobs;
                jobs = j->next;
                j->done(j->easy, j->result, j->userdata);
                free(j);
        }
}

static int on_finished(sd_event_source *s _unused_, int fd, uint32_t revents _unused_, void *userdata) {
        (void) eventfd_read(fd, &(eventfd_t) {0});
        take_finished(userdata);
        return 0;
}

int mailer_configure(struct mailer *m, int max_connections, int idle_seconds) {
        size_t want = max_connections < 1 ? 1 : max_connections > MAX_SESSIONS ? MAX_SESSIONS : (size_t) max_connections;
        int r = 0;
        while (m->n_sessions < want) {
                struct session *s = xcalloc(1, sizeof(*s));
                *s = (struct session) {.mailer = m, .index = m->n_sessions};
                for (size_t i = 0; i < SESSION_SOCKETS; i++)
                        s->sockets[i] = CURL_SOCKET_BAD;
                r = -pthread_create(&s->thread, NULL, session_main, s);
                if (r < 0) {
                        free(s);
                        want = m->n_sessions;
                        break;
                }
                m->sessions[m->n_sessions++] = s;
        }
        pthread_mutex_lock(&m->lock);
        m->max = want;
        m->idle_seconds = idle_seconds < 0 ? 0 : idle_seconds;
        pthread_cond_broadcast(&m->wake);
        pthread_mutex_unlock(&m->lock);
        return want > 0 ? 0 : r;
}

int mailer_new(sd_event *event, int max_connections, int idle_seconds, struct mailer **ret) {
        struct mailer *m = xcalloc(1, sizeof(*m));
        pthread_condattr_t attr;
        pthread_mutex_init(&m->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&m->wake, &attr);
        pthread_condattr_destroy(&attr);
        atomic_init(&m->abort, false);
        atomic_init(&m->open_sessions, 0);
        m->wake_main = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int r = m->wake_main < 0 ? -errno : 0;
        if (r >= 0)
                r = sd_event_add_io(event, &m->finished_source, m->wake_main, EPOLLIN, on_finished, m);
        if (r >= 0)
                r = mailer_configure(m, max_connections, idle_seconds);
        if (r < 0) {
                mailer_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

int mailer_add(struct mailer *m, CURL *easy, struct mail_job *mail, mailer_done_fn done, void *userdata) {
        struct job *j = xcalloc(1, sizeof(*j));
        *j = (struct job) {.easy = easy, .mail = mail, .done = done, .userdata = userdata};
        pthread_mutex_lock(&m->lock);
        bool stopping = m->stop;
        if (!stopping) {
                if (m->queue_tail)
                        m->queue_tail->next = j;
                else
                        m->queue = j;
                m->queue_tail = j;
                m->queued++;
                /* Every session wakes: the one that may take it is not always the first in line. */
                pthread_cond_broadcast(&m->wake);
        }
        pthread_mutex_unlock(&m->lock);
        if (stopping) {
                free(j);
                return -ECANCELED;
        }
        return 0;
}

size_t mailer_open_sessions(struct mailer *m) {
        return m ? atomic_load(&m->open_sessions) : 0;
}

void mailer_free(struct mailer *m) {
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        m->stop = true;
        atomic_store(&m->abort, true);
        pthread_cond_broadcast(&m->wake);
        pthread_mutex_unlock(&m->lock);
        for (size_t i = 0; i < m->n_sessions; i++) {
                pthread_join(m->sessions[i]->thread, NULL);
                free(m->sessions[i]);
        }
        /* What no session took is handed back as aborted, like what was stopped. */
        pthread_mutex_lock(&m->lock);
        while (m->queue) {
                struct job *j = m->queue;
                m->queue = j->next;
                j->result = CURLE_ABORTED_BY_CALLBACK;
                j->next = m->finished;
                m->finished = j;
        }
        m->queue_tail = NULL;
        m->queued = 0;
        pthread_mutex_unlock(&m->lock);
        take_finished(m);
        sd_event_source_disable_unref(m->finished_source);
        if (m->wake_main >= 0)
                close(m->wake_main);
        pthread_cond_destroy(&m->wake);
        pthread_mutex_destroy(&m->lock);
        free(m);
}
