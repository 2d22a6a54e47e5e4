/* One delivery and what came of it: freeing them. The transfers themselves are in mail.c and webhook.c. */
#include "config.h"

#include "delivery.h"
#include "util.h"

/* Free what was sent (the texts, and the secret, wiped, not just freed), keeping what recording the
 * result needs: the row, the key, the recipient and the address. */
void delivery_drop_content(struct delivery *d) {
        if (!d)
                return;
        free(d->to_name);
        free(d->subject);
        free(d->body);
        free(d->payload);
        if (d->secret)
                explicit_bzero(d->secret, strlen(d->secret));
        free(d->secret);
        d->to_name = d->subject = d->body = d->payload = d->secret = NULL;
}

/* Free what a delivery holds (not the struct, which callers embed or keep in arrays) once its result is
 * recorded. */
void delivery_free(struct delivery *d) {
        if (!d)
                return;
        delivery_drop_content(d);
        free(d->address);
        free(d->recipient);
        free(d->key);
        *d = (struct delivery) {0};
}

/* Empty a result so that the struct can be reused for the next attempt. */
void delivery_result_clear(struct delivery_result *r) {
        if (!r)
                return;
        free(r->reply);
        *r = (struct delivery_result) {0};
}
