/* Turning a message into what is sent: an e-mail subject and body in the recipient's language from
 * the operator's templates, and the webhook's JSON. */
#pragma once

#include "conf.h"
#include "schedule.h"
#include "util.h"

struct templates;

/* Load message.kk.txt, message.ru.txt and message.en.txt from dir, or the built-in ones if dir is
 * NULL. Problems are added to errs; returns 0 or a negative errno. */
int templates_load(const char *dir, struct templates **ret, struct errlist *errs);
void templates_free(struct templates *t);

struct rendered {
        const char *language;
        char *subject;
        char *body;
        char *payload;
};

/* Render m for its recipient, at the instant now (the time the message is made). */
void render_message(const struct templates *t, const struct config *cfg, const struct message *m, int64_t now,
                    struct rendered *ret);
void rendered_clear(struct rendered *r);
/* "7 күн қалды", "просрочено на 2 дня", "due today": days left (negative: overdue) in a language. */
char *render_days(int days, const char *language);
