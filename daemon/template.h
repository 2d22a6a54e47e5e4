/* Message templates that operators can edit: text with {{name}} values (dotted names reach into
 * objects), {{#name}}...{{/name}} sections (repeated for each element of a list, shown once for a true
 * value) and {{^name}}...{{/name}} for a false or empty one, {{! comments }}. A section tag alone on
 * its line takes the line with it. Data is JSON (jansson). */
#pragma once

#include <jansson.h>

#include "util.h"

struct template;

/* Compile text; problems are added to errs as "name:line: message". Sections nest at most 16 deep.
 * Returns 0 or -EINVAL. */
int template_compile(const char *text, const char *name, struct template **ret, struct errlist *errs);
/* The same for text that starts on line first_line of its file. */
int template_compile_at(const char *text, const char *name, int first_line, struct template **ret,
                        struct errlist *errs);
/* Render with data; the result is malloc'ed. */
char *template_render(const struct template *t, json_t *data);
void template_free(struct template *t);
