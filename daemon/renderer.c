/* A thread that renders messages for merzimd's writer. */
#include "config.h"

#include <pthread.h>

#include "log.h"
#include "renderer.h"
#include "util.h"

struct renderer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t work, done; /* a batch to render; the batch is rendered */
        /* Under lock: */
        const struct templates *templates;
        const struct config *cfg;
        const struct message *messages;
        size_t n;
        int64_t now;
        struct rendered *out;
        bool busy, stop;
};

static void *renderer_main(void *userdata) {
        struct renderer *r = userdata;
        pthread_mutex_lock(&r->lock);
        for (;;) {
                while (!r->busy && !r->stop)
                        pthread_cond_wait(&r->work, &r->lock);
                if (r->stop)
                        break;
                pthread_mutex_unlock(&r->lock);
                for (size_t i = 0; i < r->n; i++)
                        render_message(r->templates, r->cfg, &r->messages[i], r->now, &r->out[i]);
                pthread_mutex_lock(&r->lock);
                r->busy = false;
                pthread_cond_signal(&r->done);
        }
        pthread_mutex_unlock(&r->lock);
        return NULL;
}

int renderer_new(struct renderer **ret) {
        struct renderer *r = xcalloc(1, sizeof(*r));
        pthread_mutex_init(&r->lock, NULL);
        pthread_cond_init(&r->work, NULL);
        pthread_cond_init(&r->done, NULL);
        int e = pthread_create(&r->thread, NULL, renderer_main, r);
        if (e) {
                pthread_cond_destroy(&r->work);
                pthread_cond_destroy(&r->done);
                pthread_mutex_destroy(&r->lock);
                free(r);
                return log_error_errno(-e, "cannot start the thread that renders messages: %m");
        }
        pthread_setname_np(r->thread, "merzimd-render");
        *ret = r;
        return 0;
}

void renderer_start(struct renderer *r, const struct templates *t, const struct config *cfg,
                    const struct message *v, size_t n, int64_t now, struct rendered *out) {
        renderer_wait(r);
        pthread_mutex_lock(&r->lock);
        r->templates = t;
        r->cfg = cfg;
        r->messages = v;
        r->n = n;
        r->now = now;
        r->out = out;
        r->busy = true;
        pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->lock);
}

void renderer_wait(struct renderer *r) {
        pthread_mutex_lock(&r->lock);
        while (r->busy)
                pthread_cond_wait(&r->done, &r->lock);
        pthread_mutex_unlock(&r->lock);
}

void renderer_free(struct renderer *r) {
        if (!r)
                return;
        pthread_mutex_lock(&r->lock);
        while (r->busy)
                pthread_cond_wait(&r->done, &r->lock);
        r->stop = true;
        pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
        pthread_cond_destroy(&r->work);
        pthread_cond_destroy(&r->done);
        pthread_mutex_destroy(&r->lock);
        free(r);
}
