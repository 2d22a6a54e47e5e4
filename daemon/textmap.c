/* A table from texts to values: open addressing on a hash of the text. */
#include "config.h"

#include "textmap.h"
#include "util.h"

/* FNV-1a of the text. */
static size_t text_hash(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return (size_t) (h ^ (h >> 32));
}

/* The slot of key: its own, or the empty one where it would go. */
static struct textmap_slot *find_slot(const struct textmap *m, const char *key) {
        size_t k = text_hash(key) & (m->n_slots - 1);
        while (m->slots[k].key && !streq(m->slots[k].key, key))
                k = (k + 1) & (m->n_slots - 1);
        return &m->slots[k];
}

void *textmap_get(const struct textmap *m, const char *key) {
        if (m->n == 0)
                return NULL;
        return find_slot(m, key)->value;
}

void *textmap_put(struct textmap *m, const char *key, void *value) {
        if ((m->n + 1) * 2 > m->n_slots) {
                struct textmap old = *m;
                m->n_slots = old.n_slots ? old.n_slots * 2 : 64;
                m->slots = xcalloc(m->n_slots, sizeof(*m->slots));
                for (size_t i = 0; i < old.n_slots; i++)
                        if (old.slots[i].key)
                                *find_slot(m, old.slots[i].key) = old.slots[i];
                free(old.slots);
        }
        struct textmap_slot *s = find_slot(m, key);
        if (s->key) {
                void *before = s->value;
                s->value = value;
                return before;
        }
        *s = (struct textmap_slot) {.key = xstrdup(key), .value = value};
        m->n++;
        return NULL;
}

void textmap_clear(struct textmap *m, void (*free_value)(void *value)) {
        for (size_t i = 0; i < m->n_slots; i++)
                if (m->slots[i].key) {
                        free(m->slots[i].key);
                        if (free_value)
                                free_value(m->slots[i].value);
                }
        free(m->slots);
        *m = (struct textmap) {0};
}
