/* libFuzzer target: the Word reader (doc-docx.c). The bytes are the word/document.xml of a .docx built
 * here in memory with libzip, so that mutations reach the XML walker instead of breaking the zip; the
 * plan read from what it gives is checked too (checks.h). */
#include "config.h"

#include <zip.h>

#include "checks.h"

#define FILE_NAME "fuzz.docx"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A .docx whose word/document.xml is xml (stored, not deflated: the reader unpacks either), or NULL. */
static char *build_docx(const uint8_t *xml, size_t size, size_t *ret_len) {
        zip_error_t ze;
        zip_error_init(&ze);
        zip_source_t *out = zip_source_buffer_create(NULL, 0, 0, &ze);
        zip_t *z = out ? zip_open_from_source(out, ZIP_TRUNCATE, &ze) : NULL;
        zip_error_fini(&ze);
        if (!z)
                abort();
        zip_source_keep(out); /* past zip_close, to read the zip from */
        zip_source_t *body = zip_source_buffer(z, xml, size, 0);
        zip_int64_t i = body ? zip_file_add(z, "word/document.xml", body, 0) : -1;
        if (i < 0 || zip_set_file_compression(z, (zip_uint64_t) i, ZIP_CM_STORE, 0) < 0 || zip_close(z) < 0)
                abort();
        zip_stat_t st;
        char *buf = NULL;
        if (zip_source_open(out) < 0 || zip_source_stat(out, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
                abort();
        buf = xmalloc(st.size);
        if (zip_source_read(out, buf, st.size) != (zip_int64_t) st.size)
                abort();
        zip_source_close(out);
        zip_source_free(out);
        *ret_len = st.size;
        return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t len;
        _cleanup_free_ char *docx = build_docx(data, size, &len);
        struct document *d = doc_new(FILE_NAME, DOC_DOCX);
        struct errlist errs = {0};
        int r = doc_read_docx(d, docx, len, &errs);
        fuzz_check_reading(r, d, &errs);
        errlist_clear(&errs);
        return 0;
}
