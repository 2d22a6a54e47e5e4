/* libFuzzer target: message templates, as operators edit them. Any text is compiled or refused with
 * messages that name the file and a line; a template that compiles renders with real-looking data,
 * however its sections nest. */
#include "config.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "template.h"
#include "utf8.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = xstrndup((const char *) data, size);
        struct template *t = NULL;
        struct errlist errs = {0};
        int r = template_compile_at(text, "message.kk.txt", 3, &t, &errs);
        if ((r < 0) != (errs.n > 0) || (r < 0) != (t == NULL))
                abort();
        for (size_t i = 0; i < errs.n; i++)
                if (strncmp(errs.msgs[i], "message.kk.txt:", 15) != 0) {
                        fprintf(stderr, "a message without the file and line: %s\n", errs.msgs[i]);
                        abort();
                }
        errlist_clear(&errs);
        if (t) {
                /* Sections of sections of the same names: as deep as a template can go. */
                json_t *data_ = json_pack("{s:s, s:i, s:b, s:[{s:s, s:i, s:[{s:s}]}], s:{s:{s:s}}}", "recipient", "ИИДМ",
                                          "count", 2, "digest", 1, "items", "name", "Іс-шара", "measure", 10, "items",
                                          "name", "ішкі", "a", "a", "name", "x");
                free(template_render(t, data_));
                json_decref(data_);
                template_free(t);
        }
        return 0;
}
