/* Rendering messages in a thread of its own: merzimd's writer has the next chunk of a send time's
 * messages rendered while it writes the current one, so that the work of a burst spreads over two cores. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "render.h"
#include "schedule.h"

struct renderer;

/* Start the thread. */
int renderer_new(struct renderer **ret);
/* Render messages v[0..n) at the instant now into out[0..n) (which must stay until renderer_wait); the
 * templates, configuration and messages are only read. One batch at a time: wait for it first. */
void renderer_start(struct renderer *r, const struct templates *t, const struct config *cfg,
                    const struct message *v, size_t n, int64_t now, struct rendered *out);
/* Wait until the batch started is rendered (at once if none is). */
void renderer_wait(struct renderer *r);
void renderer_free(struct renderer *r);
