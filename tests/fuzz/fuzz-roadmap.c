/* libFuzzer target: the roadmap document parser, every reader chosen by content (text, HTML, .docx). Any
 * bytes are read or refused; every error names the file and is a line of UTF-8 text; what is read has the
 * shape the importer relies on (checks.h). */
#include "config.h"

#include "checks.h"

#define FILE_NAME "fuzz.txt"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct roadmap *r = NULL;
        struct errlist errs = {0};
        int ret = roadmap_parse((const char *) data, size, FILE_NAME, NULL, &r, &errs);
        if ((ret < 0) != (errs.n > 0) || (ret < 0) != (r == NULL))
                abort();
        fuzz_check_errors(&errs, FILE_NAME);
        if (r)
                fuzz_check_roadmap(r);
        roadmap_free(r);
        errlist_clear(&errs);
        return 0;
}
