/* One delivery and what came of it: freeing them. The transfers themselves are in mail.c and webhook.c. */
#include "config.h"

#include "delivery.h"
#include "util.h"

/* Free what a delivery holds (not the struct, which callers embed or keep in arrays) once its result is
 * recorded; the secret is wiped, not just freed. */
void delivery_free(struct delivery *d) {
        if (!d)
                return;
        free(d->address);
        free(d->recipient);
        free(d->key);
        free(d->to_name);
        free(d->subject);
        free(d->body);
        free(d->payload);
        if (d->secret)
                explicit_bzero(d->secret, strlen(d->secret));
        free(d->secret);
        *d = (struct delivery) {0};
}

/* Empty a result so that the struct can be reused for the next attempt. */
void delivery_result_clear(struct delivery_result *r) {
        if (!r)
                return;
        free(r->reply);
        *r = (struct delivery_result) {0};
}
