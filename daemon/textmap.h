/* A table from texts to values, for readers that meet the same text many times (a deadline phrase, an
 * agency's name): what was worked out for a text once is looked up the next time. */
#pragma once

#include <stddef.h>

struct textmap_slot {
        char *key; /* a copy; NULL: an empty slot */
        void *value;
};

struct textmap {
        struct textmap_slot *slots; /* open addressing, n_slots a power of two */
        size_t n_slots, n;
};

/* The value kept under key, or NULL. */
void *textmap_get(const struct textmap *m, const char *key);
/* Keep value under key (a copy of key is made); a value kept before under the same key is returned
 * for the caller to free, else NULL. */
void *textmap_put(struct textmap *m, const char *key, void *value);
/* Forget every key; free_value (if not NULL) is given each value. */
void textmap_clear(struct textmap *m, void (*free_value)(void *value));
