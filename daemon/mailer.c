/* E-mail has a thread of its own. */
#include "config.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "curl-glue.h"
#include "log.h"
#include "mailer.h"
#include "util.h"

struct job {
        struct mailer *mailer;
        CURL *easy;
        mailer_done_fn done;
        void *userdata;
        CURLcode result;
        struct job *next;
};

struct mailer {
        pthread_t thread;
        bool started;
        pthread_mutex_t lock;
        struct job *incoming, *finished;  /* under lock: to the thread, and back */
        bool stop;                        /* under lock */
        int wake_thread, wake_main;       /* eventfds */
        sd_event_source *finished_source; /* in the caller's loop */
        /* The thread's own. */
        sd_event *event;
        struct curl_glue *glue;
};

static void signal_fd(int fd) {
        uint64_t one = 1;
        while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR)
                ;
}

static void drain_fd(int fd) {
        uint64_t v;
        while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
                ;
}

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

/* In the thread: a transfer is over; hand it back. */
static void on_transfer_done(struct curl_glue *g, CURL *easy, CURLcode result, void *userdata) {
        struct job *j = userdata;
        struct mailer *m = j->mailer;
        j->result = result;
        pthread_mutex_lock(&m->lock);
        j->next = m->finished;
        m->finished = j;
        pthread_mutex_unlock(&m->lock);
        signal_fd(m->wake_main);
}

/* In the thread: take new transfers, or the order to stop. */
static int on_incoming(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct mailer *m = userdata;
        drain_fd(fd);
        pthread_mutex_lock(&m->lock);
        struct job *jobs = reverse(m->incoming);
        m->incoming = NULL;
        bool stop = m->stop;
        pthread_mutex_unlock(&m->lock);
        while (jobs) {
                struct job *j = jobs;
                jobs = j->next;
                if (curl_glue_add(m->glue, j->easy, on_transfer_done, j) < 0)
                        on_transfer_done(m->glue, j->easy, CURLE_FAILED_INIT, j);
        }
        if (stop)
                sd_event_exit(m->event, 0);
        return 0;
}

static void *thread_main(void *userdata) {
        struct mailer *m = userdata;
        sd_event_loop(m->event);
        /* Transfers still running are aborted; their jobs go back like the others. */
        curl_glue_free(m->glue);
        m->glue = NULL;
        return NULL;
}

/* In the caller's loop: call done for every transfer the thread handed back. */
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

static int on_finished(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        drain_fd(fd);
        take_finished(userdata);
        return 0;
}

int mailer_new(sd_event *event, struct mailer **ret) {
        struct mailer *m = xcalloc(1, sizeof(*m));
        pthread_mutex_init(&m->lock, NULL);
        m->wake_thread = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        m->wake_main = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        int r = m->wake_thread < 0 || m->wake_main < 0 ? -errno : 0;
        if (r >= 0)
                r = sd_event_new(&m->event);
        if (r >= 0)
                r = curl_glue_new(m->event, &m->glue);
        if (r >= 0)
                r = sd_event_add_io(m->event, NULL, m->wake_thread, EPOLLIN, on_incoming, m);
        if (r >= 0)
                r = sd_event_add_io(event, &m->finished_source, m->wake_main, EPOLLIN, on_finished, m);
        if (r >= 0) {
                r = -pthread_create(&m->thread, NULL, thread_main, m);
                m->started = r >= 0;
        }
        if (r < 0) {
                mailer_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

int mailer_add(struct mailer *m, CURL *easy, mailer_done_fn done, void *userdata) {
        struct job *j = xcalloc(1, sizeof(*j));
        *j = (struct job) {.mailer = m, .easy = easy, .done = done, .userdata = userdata};
        pthread_mutex_lock(&m->lock);
        bool stopping = m->stop;
        if (!stopping) {
                j->next = m->incoming;
                m->incoming = j;
        }
        pthread_mutex_unlock(&m->lock);
        if (stopping) {
                free(j);
                return -ECANCELED;
        }
        signal_fd(m->wake_thread);
        return 0;
}

void mailer_free(struct mailer *m) {
        if (!m)
                return;
        if (m->started) {
                pthread_mutex_lock(&m->lock);
                m->stop = true;
                pthread_mutex_unlock(&m->lock);
                signal_fd(m->wake_thread);
                pthread_join(m->thread, NULL);
                take_finished(m);
        }
        curl_glue_free(m->glue);
        sd_event_source_disable_unref(m->finished_source);
        sd_event_unref(m->event);
        if (m->wake_thread >= 0)
                close(m->wake_thread);
        if (m->wake_main >= 0)
                close(m->wake_main);
        pthread_mutex_destroy(&m->lock);
        free(m);
}
