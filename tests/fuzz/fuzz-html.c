/* libFuzzer target: the HTML reader (doc-html.c, libxml2's HTML parser) on any bytes, as a page or as
 * Markdown with HTML tables, and the plan read from what it gives (checks.h). */
#include "config.h"

#include "checks.h"

#define FILE_NAME "fuzz.html"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct document *d = doc_new(FILE_NAME, DOC_HTML);
        struct errlist errs = {0};
        int r = doc_read_html(d, (const char *) data, size, &errs);
        fuzz_check_reading(r, d, &errs);
        errlist_clear(&errs);
        return 0;
}
